"""Layer normalisation over the hidden units of each example (Ba, Kiros & Hinton 2016)."""

import jax
import jax.numpy as jnp

EPSILON = 1e-5


def normalise(u_BxH: jax.Array) -> tuple[jax.Array, jax.Array]:
  """Returns (x̂, 1/σ): (u − mean)/sqrt(var + 1e-5) (B×H) and its inverse deviation (B×1),
  statistics over the last (hidden) axis; the gradient of layer norm needs both."""
  centred = u_BxH - jnp.mean(u_BxH, axis=-1, keepdims=True)
  inv_std = jax.lax.rsqrt(jnp.mean(jnp.square(centred), axis=-1, keepdims=True) + EPSILON)
  return centred * inv_std, inv_std


def layer_norm(u_BxH: jax.Array, gain_H: jax.Array, bias_H: jax.Array) -> jax.Array:
  """Returns g·x̂ + β, x̂ from normalise (B×H)."""
  return gain_H * normalise(u_BxH)[0] + bias_H
