r"""The fast-weight recurrences that descend from Ba et al.'s cell, in two forms.

One family covers them all: a matrix memory S (d_k × d_v) written with a key and a value and
read with a query,

    S_t = α_t (I − β_t k_t k_tᵀ) S_{t−1} + β_t k_t v_tᵀ        (erase = True: the delta rule)
    S_t = α_t S_{t−1} + β_t k_t v_tᵀ                           (erase = False)
    o_t = S_tᵀ q_t

Linear attention (Katharopoulos et al. 2020; Schlag et al. 2021 read it as a fast-weight
programmer) is erase = False, α = β = 1; DeltaNet (Schlag et al. 2021; Yang et al. 2024) is
erase = True, α = 1; Gated DeltaNet (Yang et al. 2025) is erase = True with a gate α ∈ (0, 1].
Ba et al.'s memory A_t = λ A_{t−1} + η h_t h_tᵀ is erase = False with α = λ, β = η and
q = k = v = h (its inner settling loop and layer norm sit outside this family).

`recurrent` is the reference: one step at a time under lax.scan. `chunkwise` is the parallel
form of Yang et al. (2024): the sequence in chunks of C steps, the state carried from chunk
to chunk, and inside a chunk the delta rule's corrections in the WY representation (the
inverse of a unit lower-triangular matrix, by forward substitution). Both take one head's
arrays, (T, d) each; vmap them over heads and batch.
"""

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp


def _defaults(q, beta, log_alpha):
  length = q.shape[0]
  beta = jnp.ones(length, q.dtype) if beta is None else beta
  log_alpha = jnp.zeros(length, q.dtype) if log_alpha is None else log_alpha
  return beta, log_alpha


def recurrent(q, k, v, beta=None, log_alpha=None, erase: bool = False, initial=None):
  """Outputs (T, d_v) and the final state (d_k, d_v), one step at a time.

  q, k: (T, d_k); v: (T, d_v); beta: (T,) write strengths (default 1); log_alpha: (T,) log of
  the decay gates (default 0, no decay); erase: the delta rule's erase term; initial: the
  state before the first step (default zeros)."""
  beta, log_alpha = _defaults(q, beta, log_alpha)
  state = jnp.zeros((k.shape[1], v.shape[1]), q.dtype) if initial is None else initial

  def step(state, inputs):
    q_t, k_t, v_t, beta_t, log_alpha_t = inputs
    if erase:
      state = state - beta_t * jnp.outer(k_t, k_t @ state)
    state = jnp.exp(log_alpha_t) * state + beta_t * jnp.outer(k_t, v_t)
    return state, q_t @ state

  state, outputs = jax.lax.scan(step, state, (q, k, v, beta, log_alpha))
  return outputs, state


def chunkwise(q, k, v, beta=None, log_alpha=None, erase: bool = False, initial=None,
              chunk: int = 64):
  """The same outputs and final state as `recurrent`, computed chunk by chunk (any length: the
  last chunk is padded with steps that neither write nor decay): each chunk's own part for
  all chunks at once, then the state carried from chunk to chunk, then every chunk's outputs
  from the state before it."""
  beta, log_alpha = _defaults(q, beta, log_alpha)
  length = q.shape[0]
  pad = -length % chunk
  padded = [jnp.pad(a, [(0, pad)] + [(0, 0)] * (a.ndim - 1)) for a in (q, k, v, beta, log_alpha)]
  parts = jax.vmap(functools.partial(_chunk_parts, erase=erase))(
      *(a.reshape(-1, chunk, *a.shape[1:]) for a in padded))
  state = jnp.zeros((k.shape[1], v.shape[1]), q.dtype) if initial is None else initial

  def advance(state, part):
    return part.total * state + (part.to_end * part.k).T @ part.delta(state), state

  state, starts = jax.lax.scan(advance, state, parts)
  outputs = jax.vmap(lambda start, part: part.outputs(start))(starts, parts)
  return outputs.reshape(-1, v.shape[1])[:length], state


class ChunkParts(NamedTuple):
  """What a chunk of C steps contributes whatever the state S_0 before it.

  With γ_t the product of the gates up to step t of the chunk, the state after step t is
  γ_t S_0 + Σ_{i≤t} (γ_t/γ_i) k_i δ_iᵀ, where δ_i = β_i (v_i − [erase] α_i S_{i−1}ᵀ k_i).
  The δ solve the triangular system δ = T (V − [erase] diag(γ) K S_0) with
  T = (I + [erase] tril(diag(β) (Γ ⊙ K Kᵀ), −1))⁻¹ diag(β), Γ_ti = γ_t/γ_i: δ = U − W S_0."""
  q: jax.Array        # (C, d_k)
  k: jax.Array        # (C, d_k)
  decay: jax.Array    # Γ masked to i ≤ t (C, C)
  gamma: jax.Array    # γ_t (C, 1)
  to_end: jax.Array   # γ_C/γ_t (C, 1)
  total: jax.Array    # γ_C
  u: jax.Array        # T V (C, d_v)
  w: jax.Array | None  # T diag(γ) K (C, d_k) for the delta rule; None without erase

  def delta(self, state):
    return self.u if self.w is None else self.u - self.w @ state

  def outputs(self, state):
    """The chunk's outputs (C, d_v) from the state before it."""
    return self.gamma * (self.q @ state) + (self.decay * (self.q @ self.k.T)) @ self.delta(state)


def _chunk_parts(q, k, v, beta, log_alpha, erase: bool) -> ChunkParts:
  size = q.shape[0]
  log_gamma = jnp.cumsum(log_alpha)
  causal = jnp.tril(jnp.ones((size, size), bool))
  # Γ_ti = γ_t/γ_i where i ≤ t; zero above the diagonal (masked before exp: no overflow).
  decay = jnp.where(causal, jnp.exp(jnp.where(causal, log_gamma[:, None] - log_gamma[None], 0.)),
                    0.)
  gamma = jnp.exp(log_gamma)[:, None]
  if erase:
    inverse = _unit_lower_inverse(jnp.tril(beta[:, None] * decay * (k @ k.T), -1))
    u, w = inverse @ (beta[:, None] * v), inverse @ (beta[:, None] * gamma * k)
  else:
    u, w = beta[:, None] * v, None
  return ChunkParts(q, k, decay, gamma, jnp.exp(log_gamma[-1] - log_gamma)[:, None],
                    jnp.exp(log_gamma[-1]), u, w)


def _unit_lower_inverse(strictly):
  """(I + N)⁻¹ for N strictly lower triangular (C × C), row by row by forward substitution:
  row i is e_i − N_i (I + N)⁻¹, which needs only the rows before it. (Summing the powers of the
  nilpotent N instead loses every digit once the keys are correlated: its terms grow like
  binomial coefficients before they cancel. XLA on a CPU compiles a batched triangular solve of
  C = 64 under a sharded program for minutes.)"""
  size = strictly.shape[0]

  def row(i, inverse):
    return inverse.at[i].set(jax.nn.one_hot(i, size, dtype=strictly.dtype) - strictly[i] @ inverse)

  return jax.lax.fori_loop(0, size, row, jnp.zeros_like(strictly))
