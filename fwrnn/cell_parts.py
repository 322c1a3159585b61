"""The fast-weights cell's parameters, rates and options, and the decay weights of its memory.

Shared by the recurrence (fast_weights.py) and its hand-written gradient (implicit_gradient.py).
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp


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


def decay_weights(decay: jax.Array, t: jax.Array, num_slots: int) -> jax.Array:
  """λ^{t−τ} for the slots τ ≤ t of the history, 0 for later ones (T)."""
  age_T = t - jnp.arange(num_slots)
  # The exponent is clipped so that masked entries stay finite.
  return jnp.where(age_T >= 0, decay ** jnp.maximum(age_T, 0), 0.0)


def decay_weights_slope(decay: jax.Array, t: jax.Array, num_slots: int) -> jax.Array:
  """d/dλ of decay_weights: (t−τ)·λ^{t−τ−1} for τ < t, 0 otherwise (T)."""
  age_T = t - jnp.arange(num_slots)
  return jnp.where(age_T >= 1, age_T * decay ** jnp.maximum(age_T - 1, 0), 0.0)
