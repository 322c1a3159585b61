"""Layer normalisation over the hidden units of each example (Ba, Kiros & Hinton 2016)."""

import jax
import jax.numpy as jnp

EPSILON = 1e-5


def layer_norm(u_BxH: jax.Array, gain_H: jax.Array, bias_H: jax.Array) -> jax.Array:
  """Returns g·(u − mean)/sqrt(var + 1e-5) + β, statistics over the last (hidden) axis."""
  mean = jnp.mean(u_BxH, axis=-1, keepdims=True)
  var = jnp.mean(jnp.square(u_BxH - mean), axis=-1, keepdims=True)
  return gain_H * (u_BxH - mean) * jax.lax.rsqrt(var + EPSILON) + bias_H
