"""The baseline recurrences (IRNN and LSTM) as pure functions of arrays.

Shapes as suffixes: T time, B batch, H hidden units. Inputs arrive already projected
(C x + b), exactly as for the fast-weights cell, so every model shares embedding and head.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fwrnn.layers.cell_parts import scan_unroll


def irnn_step(recurrent_HxH: jax.Array, h_BxH: jax.Array, x_proj_BxH: jax.Array) -> jax.Array:
  """Returns h(t+1) = ReLU(W h(t) + C x(t) + b) (B×H)."""
  return jax.nn.relu(jnp.einsum('ij,bj->bi', recurrent_HxH, h_BxH) + x_proj_BxH)


def run_irnn(recurrent_HxH: jax.Array, x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) of a ReLU RNN."""
  h0_BxH = jnp.zeros(x_proj_TxBxH.shape[1:], x_proj_TxBxH.dtype)

  def body(h_BxH, x_proj_BxH):
    h_next = irnn_step(recurrent_HxH, h_BxH, x_proj_BxH)
    return h_next, h_next

  return jax.lax.scan(body, h0_BxH, x_proj_TxBxH, unroll=scan_unroll(len(x_proj_TxBxH)))[1]


class LSTMState(NamedTuple):
  h_BxH: jax.Array
  c_BxH: jax.Array


def lstm_step(recurrent_Hx4H: jax.Array, state: LSTMState, x_proj_Bx4H: jax.Array) -> LSTMState:
  """Returns the next LSTM state; gates in the order input, forget, cell, output."""
  gates = x_proj_Bx4H + state.h_BxH @ recurrent_Hx4H
  i, f, g, o = jnp.split(gates, 4, axis=-1)
  c_BxH = jax.nn.sigmoid(f) * state.c_BxH + jax.nn.sigmoid(i) * jnp.tanh(g)
  return LSTMState(jax.nn.sigmoid(o) * jnp.tanh(c_BxH), c_BxH)


def run_lstm(recurrent_Hx4H: jax.Array, x_proj_TxBx4H: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) of an LSTM."""
  _, batch, four_hidden = x_proj_TxBx4H.shape
  zeros = jnp.zeros((batch, four_hidden // 4), x_proj_TxBx4H.dtype)

  def body(state, x_proj_Bx4H):
    state = lstm_step(recurrent_Hx4H, state, x_proj_Bx4H)
    return state, state.h_BxH

  init = LSTMState(zeros, zeros)
  return jax.lax.scan(body, init, x_proj_TxBx4H, unroll=scan_unroll(len(x_proj_TxBx4H)))[1]
