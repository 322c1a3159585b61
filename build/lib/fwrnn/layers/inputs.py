"""How a sequence enters a recurrent core: C x(t) + b at every position.

A core reads a B×T×D sequence of vectors: a plain array; EmbeddedTokens, the vectors of a
token task given as ids and their embedding table (since C·embed(x) is linear in a one-hot x,
they project the V×D table once and gather rows: the same function as embedding then
projecting, for a fraction of the work); or Glimpses, image patches with where they were
taken, which a recurrent core reads flattened and a convolutional one as images.
"""

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp


class EmbeddedTokens(NamedTuple):
  """The B×T×D sequence table_VxD[tokens_BxT], never built."""
  tokens_BxT: jax.Array
  table_VxD: jax.Array


class Glimpses(NamedTuple):
  """The B×T×(G² + K) sequence concat(flatten(pixels), where), kept as its two parts."""
  pixels_BxTxGxG: jax.Array
  where_BxTxK: jax.Array

  def flat(self) -> jax.Array:
    """The sequence as one B×T×D array."""
    b, t = self.pixels_BxTxGxG.shape[:2]
    return jnp.concatenate([self.pixels_BxTxGxG.reshape(b, t, -1), self.where_BxTxK], -1)


def uniform_fan_in(key, shape, dtype=jnp.float32):
  """U(±1/√fan_in) with fan_in = shape[0], the paper's init for weight matrices."""
  bound = 1.0 / jnp.sqrt(shape[0])
  return jax.random.uniform(key, shape, dtype, -bound, bound)


def project_inputs(inputs, kernel_DxN: jax.Array, bias_N: jax.Array) -> jax.Array:
  """Returns C x + b for every position of a B×T×D sequence, time-major (T×B×N)."""
  if isinstance(inputs, EmbeddedTokens):
    # b joins the V×N table before the lookup: the same sums, and the gradient of b is
    # then one reduction over V rows rather than one per time step.
    return jnp.take(inputs.table_VxD @ kernel_DxN + bias_N, inputs.tokens_BxT.T, axis=0)
  if isinstance(inputs, Glimpses):
    inputs = inputs.flat()
  return jnp.einsum('btd,dn->tbn', inputs, kernel_DxN) + bias_N


def sequence_shape(inputs) -> tuple[int, int, int]:
  """(B, T, D) of a sequence given either way."""
  if isinstance(inputs, EmbeddedTokens):
    return (*inputs.tokens_BxT.shape, inputs.table_VxD.shape[1])
  if isinstance(inputs, Glimpses):
    b, t, g, _ = inputs.pixels_BxTxGxG.shape
    return b, t, g * g + inputs.where_BxTxK.shape[2]
  return inputs.shape


class InputProjection(nn.Module):
  """The input weights C (D×N) and bias b of a core (N = H, or 4H for the LSTM)."""
  features: int
  bias_init: nn.initializers.Initializer = nn.initializers.zeros

  @nn.compact
  def __call__(self, inputs) -> jax.Array:
    """C x + b, time-major (T×B×N)."""
    kernel = self.param('kernel', uniform_fan_in, (sequence_shape(inputs)[2], self.features))
    bias = self.param('bias', self.bias_init, (self.features,))
    return project_inputs(inputs, kernel, bias)
