"""The fast-weights recurrence of Ba et al. (2016) as pure functions of arrays.

Shapes are named once, as suffixes: T time, B batch, H hidden units, S inner steps.

    A(t)    = λ·A(t−1) + η·h(t) h(t)ᵀ                 (A(0) = 0)
    z       = W h(t) + C x(t) + b
    h_0     = ReLU(z)                                   (LN(z) when ln_on_h0)
    h_{s+1} = ReLU(LN(z + A(t) h_s)),   s = 0 … S−1
    h(t+1)  = h_S

`settle` is the inner loop, written once; the two forms differ only in how they compute
A(t)·v. The implicit form never builds A: A(t)·v = η Σ_{τ≤t} λ^{t−τ} h(τ)⟨h(τ), v⟩,
attention over the states kept in a B×T×H buffer (batch-leading: XLA's batched mat-vec is
several times faster that way on CPU). Its gradient is written by hand in
implicit_gradient.py. The explicit form carries A (B×H×H per sequence) and is
differentiated by autodiff.
"""

from typing import Callable

import jax
import jax.numpy as jnp

from fwrnn.layers.cell_parts import (CellOptions, CellParams, FastDynamics, StepTrace, decay_weights,
                              scan_unroll)
from fwrnn.layers.layer_norm import normalise


def settle(z_BxH: jax.Array, attend: Callable, cell: CellParams, opts: CellOptions) -> StepTrace:
  """The paper's inner loop from z, given attend: v ↦ (A(t)·v, what the gradient keeps of
  it); trace.output is h(t+1) (B×H)."""

  def norm(u_BxH):
    if not opts.layer_norm:
      return u_BxH, None
    normalised, inv_std = normalise(u_BxH)
    return cell.ln_gain_H * normalised + cell.ln_bias_H, (normalised, inv_std)

  n_0, norm0 = norm(z_BxH) if opts.ln_on_h0 else (z_BxH, None)

  def inner_step(h_s, _):
    fast_BxH, scores = attend(h_s)
    n_s, stats = norm(z_BxH + fast_BxH)
    h_next = jax.nn.relu(n_s)
    return h_next, (h_next, scores, stats)

  h_0 = jax.nn.relu(n_0)
  _, (states, scores, norms) = jax.lax.scan(inner_step, h_0, length=opts.inner_steps,
                                            unroll=max(opts.inner_steps, 1))
  return StepTrace(h_0, states, scores, norm0, norms)


def boundary_condition(cell: CellParams, h_BxH: jax.Array, x_proj_BxH: jax.Array) -> jax.Array:
  """Returns z = W h(t) + (C x(t) + b), held fixed during the inner loop (B×H)."""
  return jnp.einsum('ij,bj->bi', cell.recurrent_HxH, h_BxH) + x_proj_BxH


def implicit_step(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                  hist_BxTxH: jax.Array, t: jax.Array, x_proj_BxH: jax.Array) -> StepTrace:
  """The step that makes h(t+1); hist_BxTxH[:, τ] holds h(τ) for τ ≤ t (later slots are
  ignored)."""
  decay_T = decay_weights(dyn.decay, t, hist_BxTxH.shape[1])

  def attend(v_BxH):
    scores_BxT = jnp.einsum('bth,bh->bt', hist_BxTxH, v_BxH)
    return dyn.lr * jnp.einsum('bt,bth->bh', scores_BxT * decay_T, hist_BxTxH), scores_BxT

  h_BxH = jax.lax.dynamic_index_in_dim(hist_BxTxH, t, axis=1, keepdims=False)
  return settle(boundary_condition(cell, h_BxH, x_proj_BxH), attend, cell, opts)


def explicit_step(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                  h_BxH: jax.Array, fast_BxHxH: jax.Array, x_proj_BxH: jax.Array):
  """Returns (h(t+1), A(t)) from h(t) and A(t−1); A already holds η h(t)h(t)ᵀ when used."""
  fast_BxHxH = dyn.decay * fast_BxHxH + dyn.lr * jnp.einsum('bi,bj->bij', h_BxH, h_BxH)
  attend = lambda v_BxH: (jnp.einsum('bij,bj->bi', fast_BxHxH, v_BxH), None)
  trace = settle(boundary_condition(cell, h_BxH, x_proj_BxH), attend, cell, opts)
  return trace.output, fast_BxHxH


def run_explicit(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                 x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H), carrying A per sequence."""
  _, batch, hidden = x_proj_TxBxH.shape
  init = (jnp.zeros((batch, hidden), x_proj_TxBxH.dtype),
          jnp.zeros((batch, hidden, hidden), x_proj_TxBxH.dtype))

  def body(carry, x_proj_BxH):
    h_next, fast = explicit_step(cell, dyn, opts, *carry, x_proj_BxH)
    return (h_next, fast), h_next

  unroll = scan_unroll(len(x_proj_TxBxH), opts.unroll_length)
  return jax.lax.scan(body, init, x_proj_TxBxH, unroll=unroll)[1]


def implicit_scan(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                  x_proj_TxBxH: jax.Array, keep_trace: bool = False):
  """h(1) … h(T) (T×B×H) without building A or, with keep_trace, every step's StepTrace
  (leaves T-leading; its .output is h(1) … h(T)). Autodiff of it keeps the history buffer
  of every step: T²·B·H numbers."""
  num_steps, batch, hidden = x_proj_TxBxH.shape

  def body(carry, inputs):
    h_BxH, hist_BxTxH = carry
    t, x_proj_BxH = inputs
    hist_BxTxH = jax.lax.dynamic_update_index_in_dim(hist_BxTxH, h_BxH, t, 1)
    trace = implicit_step(cell, dyn, opts, hist_BxTxH, t, x_proj_BxH)
    return (trace.output, hist_BxTxH), trace if keep_trace else trace.output

  init = (jnp.zeros((batch, hidden), x_proj_TxBxH.dtype),
          jnp.zeros((batch, num_steps, hidden), x_proj_TxBxH.dtype))
  xs = (jnp.arange(num_steps), x_proj_TxBxH)
  return jax.lax.scan(body, init, xs, unroll=scan_unroll(num_steps, opts.unroll_length))[1]
