"""fwrnn: fast-weights recurrent networks (Ba, Hinton et al., NIPS 2016) in JAX and Flax."""
