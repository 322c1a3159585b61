"""The fast-weights cell's parameters, rates, options, the decay weights of its memory, and
the trace of one time step.

Shared by the recurrence (fast_weights.py), its hand-written gradient (implicit_gradient.py),
the layers (layers.py) and the memory picture.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

# A sequence of at most this many steps is unrolled whole (on a CPU every loop iteration
# has a fixed cost); longer ones LONG_SEQUENCE_UNROLL steps an iteration.
UNROLL_LENGTH = 32
LONG_SEQUENCE_UNROLL = 8
# Up to this length the implicit form's forward pass keeps every step's trace for the
# gradient; past it the gradient recomputes each step, so memory stays T·B·H.
TRACE_LENGTH = 32


class CellParams(NamedTuple):
  """Slow weights of the recurrence (the input projection C x + b is applied outside)."""
  recurrent_HxH: jax.Array  # W
  ln_gain_H: jax.Array      # g
  ln_bias_H: jax.Array      # β


class FastDynamics(NamedTuple):
  """The fast-weight rates; arrays, so that a population can vmap over them."""
  decay: jax.Array  # λ
  lr: jax.Array     # η


@dataclasses.dataclass(frozen=True)
class CellOptions:
  """Static choices that change the program, not its numbers."""
  inner_steps: int = 1      # S
  layer_norm: bool = True
  ln_on_h0: bool = False
  unroll_length: int = UNROLL_LENGTH
  trace_length: int = TRACE_LENGTH


class StepTrace(NamedTuple):
  """One time step's inner loop, as the gradient and the pictures need it.

  h0: h_0 (B×H); states: h_1 … h_S (S×B×H); scores: ⟨h(τ), h_s⟩ of the fast product of
  each inner step s = 0 … S−1 (S×B×T; None in the explicit form); norm0: (x̂, 1/σ) of h_0's
  layer norm, or None; norms: (x̂, 1/σ) of every inner step's layer norm (S×B×H, S×B×1), or
  None without layer norm. Over a sequence every leaf gains a leading T axis.
  """
  h0: jax.Array
  states: jax.Array
  scores: jax.Array | None
  norm0: tuple | None
  norms: tuple | None

  @property
  def output(self) -> jax.Array:
    """h(t+1) = h_S (h_0 when S = 0)."""
    return self.states[..., -1, :, :] if self.states.shape[-3] else self.h0


def scan_unroll(num_steps: int, unroll_length: int = UNROLL_LENGTH) -> int:
  """How many steps of a scan over num_steps to unroll per loop iteration: all of a sequence of
  at most unroll_length steps, else min(unroll_length, LONG_SEQUENCE_UNROLL)."""
  return num_steps if num_steps <= unroll_length else min(unroll_length, LONG_SEQUENCE_UNROLL)


def decay_weights(decay: jax.Array, t: jax.Array, num_slots: int) -> jax.Array:
  """λ^{t−τ} for the slots τ ≤ t of the history, 0 for later ones (T)."""
  age_T = t - jnp.arange(num_slots)
  # The exponent is clipped so that masked entries stay finite.
  return jnp.where(age_T >= 0, decay ** jnp.maximum(age_T, 0), 0.0)


def decay_weights_slope(decay: jax.Array, t: jax.Array, num_slots: int) -> jax.Array:
  """d/dλ of decay_weights: (t−τ)·λ^{t−τ−1} for τ < t, 0 otherwise (T)."""
  age_T = t - jnp.arange(num_slots)
  return jnp.where(age_T >= 1, age_T * decay ** jnp.maximum(age_T - 1, 0), 0.0)
