"""The Associative LSTM (Danihelka, Wayne, Uria, Kalchbrenner & Graves 2016) as pure functions.

An LSTM whose cell is a holographic associative memory: H real hidden units are H/2 complex
numbers (real parts first, imaginary parts second). Keys bind values by complex
multiplication, and the memory is kept in S redundant copies, each with its keys permuted
by a fixed random permutation, so that the noise of retrieval averages out over copies.
Shapes as suffixes: T time, B batch, H hidden units, N = H/2 complex units, S copies.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from fwrnn.layers.cell_parts import scan_unroll


class ALSTMState(NamedTuple):
  h_BxH: jax.Array
  c_SxBxH: jax.Array


def projection_size(hidden: int) -> int:
  """Width of the pre-activations: gates f, i, o (N each), keys r_i, r_o and value u (H each)."""
  return 3 * (hidden // 2) + 3 * hidden


def copy_permutations(copies: int, complex_units: int) -> np.ndarray:
  """The fixed permutations P_s of the complex units, one per copy (S×N), from a fixed seed."""
  rng = np.random.default_rng(0)
  return np.stack([rng.permutation(complex_units) for _ in range(copies)])


def permutation_matrices(perms_SxN: np.ndarray) -> np.ndarray:
  """P_s as 0/1 matrices (S×N×N) with (r P_s)[m] = r[perm_s[m]]: a product, not a gather,
  because on CPU a small matrix product and its gradient are far cheaper than a gather's."""
  return np.eye(perms_SxN.shape[1], dtype=np.float32)[perms_SxN].transpose(0, 2, 1)


def complex_multiply(a: jax.Array, b: jax.Array) -> jax.Array:
  """Elementwise product of complex vectors stored as [real | imaginary] halves."""
  a_re, a_im = jnp.split(a, 2, axis=-1)
  b_re, b_im = jnp.split(b, 2, axis=-1)
  return jnp.concatenate([a_re * b_re - a_im * b_im, a_re * b_im + a_im * b_re], axis=-1)


def bound(h: jax.Array) -> jax.Array:
  """Each complex unit divided by max(1, its modulus)."""
  re, im = jnp.split(h, 2, axis=-1)
  scale = jax.lax.rsqrt(jnp.maximum(1.0, re * re + im * im))  # max before the root: finite grad
  return jnp.concatenate([re * scale, im * scale], axis=-1)


def permute_copies(key_BxH: jax.Array, perm_SxNxN: jax.Array) -> jax.Array:
  """The key of every copy, P_s r (S×B×H)."""
  re, im = jnp.split(key_BxH, 2, axis=-1)
  permute = lambda part: jnp.einsum('bn,snm->sbm', part, perm_SxNxN)
  return jnp.concatenate([permute(re), permute(im)], axis=-1)


def alstm_step(recurrent_HxG: jax.Array, perm_SxNxN: jax.Array, state: ALSTMState,
               x_proj_BxG: jax.Array) -> ALSTMState:
  """One step: c_s = f c_s + P_s r_i ⊛ (i u);  h = o bound(mean_s P_s r_o ⊛ c_s)."""
  hidden = state.h_BxH.shape[-1]
  n = hidden // 2
  pre = x_proj_BxG + state.h_BxH @ recurrent_HxG
  gates, r_in, r_out, u = jnp.split(pre, [3 * n, 3 * n + hidden, 3 * n + 2 * hidden], axis=-1)
  f, i, o = (jnp.tile(g, 2) for g in jnp.split(jax.nn.sigmoid(gates), 3, axis=-1))
  value = i * bound(u)
  c_SxBxH = f * state.c_SxBxH + complex_multiply(permute_copies(bound(r_in), perm_SxNxN), value)
  read = jnp.mean(complex_multiply(permute_copies(bound(r_out), perm_SxNxN), c_SxBxH), axis=0)
  return ALSTMState(o * bound(read), c_SxBxH)


def run_alstm(recurrent_HxG: jax.Array, perms_SxN: np.ndarray, x_proj_TxBxG: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) of an Associative LSTM with the copies' permutations."""
  perm_SxNxN = jnp.asarray(permutation_matrices(np.asarray(perms_SxN)))
  hidden = recurrent_HxG.shape[0]
  batch = x_proj_TxBxG.shape[1]
  init = ALSTMState(jnp.zeros((batch, hidden), x_proj_TxBxG.dtype),
                    jnp.zeros((len(perms_SxN), batch, hidden), x_proj_TxBxG.dtype))

  def body(state, x_proj_BxG):
    state = alstm_step(recurrent_HxG, perm_SxNxN, state, x_proj_BxG)
    return state, state.h_BxH

  return jax.lax.scan(body, init, x_proj_TxBxG, unroll=scan_unroll(len(x_proj_TxBxG)))[1]
