"""The implicit form with its gradient written by hand: a reverse scan over the steps.

Autodiff of the forward scan saves the history buffer at every step (T²·B·H numbers) and
compiles to many more small operations. Here each step's gradient is written out from the
StepTrace that the forward pass kept (fast_weights.settle) or, for sequences longer than
CellOptions.trace_length, from the step recomputed out of the saved states h(0) … h(T−1)
(∂ a gradient, w_τ = λ^{t−τ}, η the fast rate):

    ReLU          ∂n = ∂h ⊙ [n > 0]
    layer norm    ∂u = (∂n·g − mean(∂n·g) − x̂·mean(∂n·g ⊙ x̂)) / σ,   ∂g += ∂n ⊙ x̂,   ∂β += ∂n
    attention     a = η Σ_τ w_τ c_τ h(τ) with c_τ = ⟨h(τ), v⟩; with e_τ = ⟨h(τ), ∂a⟩:
                  ∂v = η Σ_τ w_τ e_τ h(τ)   (A(t) is symmetric)
                  ∂h(τ) += η w_τ (c_τ ∂a + e_τ v)
                  ∂η += Σ w_τ c_τ e_τ,   ∂λ += η Σ ∂w_τ/∂λ c_τ e_τ
    boundary      z = W h(t) + x:   ∂x = ∂z,   ∂h(t) += ∂z W,   ∂W = Σ_t ∂z(t)ᵀ h(t)

Recomputing keeps memory at T·B·H; the gradient of W is one matrix product over all steps.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp

from fwrnn.layers import fast_weights
from fwrnn.layers.cell_parts import (CellOptions, CellParams, FastDynamics, StepTrace, decay_weights,
                              decay_weights_slope, scan_unroll)


class _PerExampleSums(NamedTuple):
  """Gradient terms summed over the steps so far: of g and β (B×H), η and λ (B×T)."""
  gain: jax.Array
  bias: jax.Array
  lr: jax.Array
  decay: jax.Array


def _normalise_gradient(grad_n, stats, gain_H):
  """(∂u, ∂g, ∂β) per example (B×H each) of n = g·x̂ + β, stats = (x̂, 1/σ)."""
  normalised, inv_std = stats
  grad_x = grad_n * gain_H
  grad_u = inv_std * (grad_x - jnp.mean(grad_x, axis=-1, keepdims=True)
                      - normalised * jnp.mean(grad_x * normalised, axis=-1, keepdims=True))
  return grad_u, grad_n * normalised, grad_n


def _step_gradient(cell, dyn, opts, hist_BxTxH, weights_T, trace: StepTrace, grad_h_BxH,
                   grad_hist_BxTxH):
  """Gradients of one step from the gradient of its output h(t+1).

  Returns ∂z (= ∂x), ∂h(t) through z, grad_hist_BxTxH plus the attention's gradient of the
  history, ∂g and ∂β per example, and Σ_s c ⊙ e (B×T) for the gradients of the rates.
  """
  grad_z = jnp.zeros_like(grad_h_BxH)
  grad_gain = grad_bias = jnp.zeros_like(grad_h_BxH)
  scores_product = jnp.zeros(hist_BxTxH.shape[:2], grad_h_BxH.dtype)

  def through_norm(grad_n, stats):
    nonlocal grad_gain, grad_bias
    if stats is None:
      return grad_n
    grad_u, d_gain, d_bias = _normalise_gradient(grad_n, stats, cell.ln_gain_H)
    grad_gain, grad_bias = grad_gain + d_gain, grad_bias + d_bias
    return grad_u

  for s in reversed(range(opts.inner_steps)):
    h_in = trace.states[s - 1] if s else trace.h0
    stats = None if trace.norms is None else jax.tree.map(lambda x: x[s], trace.norms)
    grad_u = through_norm(jnp.where(trace.states[s] > 0, grad_h_BxH, 0.0), stats)
    grad_z = grad_z + grad_u
    grad_scores_BxT = jnp.einsum('bth,bh->bt', hist_BxTxH, grad_u)
    grad_h_BxH = dyn.lr * jnp.einsum('bt,bth->bh', grad_scores_BxT * weights_T, hist_BxTxH)
    grad_hist_BxTxH = grad_hist_BxTxH + dyn.lr * weights_T[:, None] * (
        trace.scores[s][:, :, None] * grad_u[:, None, :]
        + grad_scores_BxT[:, :, None] * h_in[:, None, :])
    scores_product = scores_product + trace.scores[s] * grad_scores_BxT
  grad_z = grad_z + through_norm(jnp.where(trace.h0 > 0, grad_h_BxH, 0.0), trace.norm0)
  grad_h_prev = jnp.einsum('bi,ij->bj', grad_z, cell.recurrent_HxH)
  return grad_z, grad_h_prev, grad_hist_BxTxH, grad_gain, grad_bias, scores_product


def sequence_gradient(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                      x_proj_TxBxH: jax.Array, h_TxBxH: jax.Array, grad_TxBxH: jax.Array,
                      traces: StepTrace | None = None, unroll: int = 1):
  """Cotangents (cell, dyn, x_proj) of the implicit recurrence, given its outputs h(1) … h(T)
  and the gradient of a loss with respect to them (T×B×H).

  traces are the steps' traces from fast_weights.implicit_scan; without them each step is
  recomputed, which keeps memory at T·B·H.
  """
  num_steps = x_proj_TxBxH.shape[0]
  h_prev_TxBxH = jnp.concatenate([jnp.zeros_like(h_TxBxH[:1]), h_TxBxH[:-1]])
  hist_BxTxH = h_prev_TxBxH.transpose(1, 0, 2)  # hist[:, τ] = h(τ), the state entering step τ

  def body(carry, inputs):
    grad_hist, grad_through_z, sums = carry
    t, x_proj_BxH, grad_out_BxH, trace = inputs
    # h(t+1) is hist[:, t+1] too: steps t+1 … T−1, done already, attended to it.
    later = jax.lax.dynamic_index_in_dim(grad_hist, jnp.minimum(t + 1, num_steps - 1), axis=1,
                                         keepdims=False)
    grad_h = grad_out_BxH + grad_through_z + jnp.where(t + 1 < num_steps, later, 0.0)
    weights_T = decay_weights(dyn.decay, t, num_steps)
    if trace is None:
      trace = fast_weights.implicit_step(cell, dyn, opts, hist_BxTxH, t, x_proj_BxH)
    grad_z, grad_h_prev, grad_hist, d_gain, d_bias, scores_product = _step_gradient(
        cell, dyn, opts, hist_BxTxH, weights_T, trace, grad_h, grad_hist)
    # Kept per example and summed once after the loop: XLA would split a sum over the
    # stacked steps into a reduction per step, each costing more than the adds here.
    slope_T = decay_weights_slope(dyn.decay, t, num_steps)
    sums = jax.tree.map(jnp.add, sums, _PerExampleSums(
        gain=d_gain, bias=d_bias, lr=scores_product * weights_T, decay=scores_product * slope_T))
    return (grad_hist, grad_h_prev, sums), grad_z

  per_slot = jnp.zeros(hist_BxTxH.shape[:2], hist_BxTxH.dtype)
  per_unit = jnp.zeros_like(h_TxBxH[0])
  init = (jnp.zeros_like(hist_BxTxH), per_unit,
          _PerExampleSums(per_unit, per_unit, per_slot, per_slot))
  xs = (jnp.arange(num_steps), x_proj_TxBxH, grad_TxBxH, traces)
  (_, _, sums), grad_z_TxBxH = jax.lax.scan(body, init, xs, reverse=True, unroll=unroll)
  grad_cell = CellParams(recurrent_HxH=jnp.einsum('tbi,tbj->ij', grad_z_TxBxH, h_prev_TxBxH),
                         ln_gain_H=jnp.sum(sums.gain, axis=0), ln_bias_H=jnp.sum(sums.bias, axis=0))
  grad_dyn = FastDynamics(decay=dyn.lr * jnp.sum(sums.decay), lr=jnp.sum(sums.lr))
  return grad_cell, grad_dyn, grad_z_TxBxH


def run_implicit(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                 x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) without building A; gradient by hand, memory T·B·H."""
  traced = len(x_proj_TxBxH) <= opts.trace_length
  unroll = scan_unroll(len(x_proj_TxBxH), opts.unroll_length)

  @jax.custom_vjp
  def sequence(cell, dyn, x_proj):
    return fast_weights.implicit_scan(cell, dyn, opts, x_proj)

  def sequence_fwd(cell, dyn, x_proj):
    if not traced:  # recomputed backwards: memory T·B·H
      h_TxBxH = fast_weights.implicit_scan(cell, dyn, opts, x_proj)
      return h_TxBxH, (cell, dyn, x_proj, h_TxBxH, None)
    traces = fast_weights.implicit_scan(cell, dyn, opts, x_proj, keep_trace=True)
    return traces.output, (cell, dyn, x_proj, traces.output, traces)

  def sequence_bwd(residuals, grad_TxBxH):
    cell, dyn, x_proj, h_TxBxH, traces = residuals
    # Unrolled, a recomputing scan's steps would each keep their own B×T×H history gradient.
    return sequence_gradient(cell, dyn, opts, x_proj, h_TxBxH, grad_TxBxH, traces,
                             unroll if traced else 1)

  sequence.defvjp(sequence_fwd, sequence_bwd)
  return sequence(cell, dyn, x_proj_TxBxH)
