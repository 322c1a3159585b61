"""The fast-weights recurrence of Ba et al. (2016) as pure functions of arrays.

Shapes are named once, as suffixes: T time, B batch, H hidden units.

    A(t)    = λ·A(t−1) + η·h(t) h(t)ᵀ                 (A(0) = 0)
    z       = W h(t) + C x(t) + b
    h_0     = ReLU(z)                                   (LN(z) when ln_on_h0)
    h_{s+1} = ReLU(LN(z + A(t) h_s)),   s = 0 … S−1
    h(t+1)  = h_S

`settle` is the inner loop; the two forms differ only in how they compute A(t)·v.
The implicit form (default) never builds A: A(t)·v = η Σ_{τ≤t} λ^{t−τ} h(τ)⟨h(τ), v⟩,
attention over the states kept in a B×T×H buffer (batch-leading: XLA's batched mat-vec
is several times faster that way on CPU). Its gradient is written by hand
(implicit_gradient.py): autodiff would save the buffer at every step (T²·B·H numbers) and
compiles to many more small operations. Up to SHORT_SEQUENCE steps the forward pass keeps
each step's trace (B×H and B×T arrays); past it each step is recomputed backwards, so
training memory grows as T·B·H.
The explicit form carries A (B×H×H per sequence) and is differentiated by autodiff.
"""

from typing import Callable

import jax
import jax.numpy as jnp

from fwrnn import implicit_gradient
from fwrnn.cell_parts import CellOptions, CellParams, FastDynamics, decay_weights
from fwrnn.layer_norm import layer_norm


SHORT_SEQUENCE = 32


def scan_unroll(num_steps: int) -> int:
  """Short sequences are unrolled whole: on CPU each loop iteration has a fixed cost."""
  return num_steps if num_steps <= SHORT_SEQUENCE else 8


def settle(z_BxH: jax.Array, fast_product: Callable[[jax.Array], jax.Array],
           cell: CellParams, opts: CellOptions) -> jax.Array:
  """Returns h(t+1) (B×H): the paper's inner loop, given z and v ↦ A(t)·v."""
  def norm(u_BxH):
    if not opts.layer_norm:
      return u_BxH
    return layer_norm(u_BxH, cell.ln_gain_H, cell.ln_bias_H)

  h_s = jax.nn.relu(norm(z_BxH) if opts.ln_on_h0 else z_BxH)
  inner_step = lambda _, h_s: jax.nn.relu(norm(z_BxH + fast_product(h_s)))
  return jax.lax.fori_loop(0, opts.inner_steps, inner_step, h_s, unroll=True)


def boundary_condition(cell: CellParams, h_BxH: jax.Array, x_proj_BxH: jax.Array) -> jax.Array:
  """Returns z = W h(t) + (C x(t) + b), held fixed during the inner loop (B×H)."""
  return jnp.einsum('ij,bj->bi', cell.recurrent_HxH, h_BxH) + x_proj_BxH


def implicit_step(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                  hist_BxTxH: jax.Array, t: jax.Array, x_proj_BxH: jax.Array) -> jax.Array:
  """Returns h(t+1) (B×H); hist_BxTxH[:, τ] holds h(τ) for τ ≤ t (later slots are ignored)."""
  decay_T = decay_weights(dyn.decay, t, hist_BxTxH.shape[1])

  def fast_product(v_BxH):
    scores_BxT = jnp.einsum('bth,bh->bt', hist_BxTxH, v_BxH) * decay_T
    return dyn.lr * jnp.einsum('bt,bth->bh', scores_BxT, hist_BxTxH)

  h_BxH = jax.lax.dynamic_index_in_dim(hist_BxTxH, t, axis=1, keepdims=False)
  return settle(boundary_condition(cell, h_BxH, x_proj_BxH), fast_product, cell, opts)


def explicit_step(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                  h_BxH: jax.Array, fast_BxHxH: jax.Array, x_proj_BxH: jax.Array):
  """Returns (h(t+1), A(t)) from h(t) and A(t−1); A already holds η h(t)h(t)ᵀ when used."""
  fast_BxHxH = dyn.decay * fast_BxHxH + dyn.lr * jnp.einsum('bi,bj->bij', h_BxH, h_BxH)
  fast_product = lambda v_BxH: jnp.einsum('bij,bj->bi', fast_BxHxH, v_BxH)
  h_next = settle(boundary_condition(cell, h_BxH, x_proj_BxH), fast_product, cell, opts)
  return h_next, fast_BxHxH


def run_explicit(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                 x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H), carrying A per sequence."""
  _, batch, hidden = x_proj_TxBxH.shape
  init = (jnp.zeros((batch, hidden), x_proj_TxBxH.dtype),
          jnp.zeros((batch, hidden, hidden), x_proj_TxBxH.dtype))

  def body(carry, x_proj_BxH):
    h_next, fast = explicit_step(cell, dyn, opts, *carry, x_proj_BxH)
    return (h_next, fast), h_next

  return jax.lax.scan(body, init, x_proj_TxBxH, unroll=scan_unroll(len(x_proj_TxBxH)))[1]


def _implicit_forward(cell, dyn, opts, x_proj_TxBxH):
  num_steps, batch, hidden = x_proj_TxBxH.shape
  init = (jnp.zeros((batch, hidden), x_proj_TxBxH.dtype),
          jnp.zeros((batch, num_steps, hidden), x_proj_TxBxH.dtype))

  def body(carry, inputs):
    h_BxH, hist_BxTxH = carry
    t, x_proj_BxH = inputs
    hist_BxTxH = jax.lax.dynamic_update_index_in_dim(hist_BxTxH, h_BxH, t, 1)
    h_next = implicit_step(cell, dyn, opts, hist_BxTxH, t, x_proj_BxH)
    return (h_next, hist_BxTxH), h_next

  xs = (jnp.arange(num_steps), x_proj_TxBxH)
  return jax.lax.scan(body, init, xs, unroll=scan_unroll(num_steps))[1]


def run_implicit_autodiff(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                          x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) without building A; gradient memory T²·B·H."""
  return _implicit_forward(cell, dyn, opts, x_proj_TxBxH)


def run_implicit(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                 x_proj_TxBxH: jax.Array) -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) without building A; gradient by hand, memory T·B·H."""

  @jax.custom_vjp
  def sequence(cell, dyn, x_proj):
    return _implicit_forward(cell, dyn, opts, x_proj)

  short = len(x_proj_TxBxH) <= SHORT_SEQUENCE

  def sequence_fwd(cell, dyn, x_proj):
    if not short:  # recomputed backwards: memory T·B·H
      h_TxBxH = _implicit_forward(cell, dyn, opts, x_proj)
      return h_TxBxH, (cell, dyn, x_proj, h_TxBxH, None)
    traces = implicit_gradient.traced_forward(cell, dyn, opts, x_proj, scan_unroll(len(x_proj)))
    return traces.states[-1], (cell, dyn, x_proj, traces.states[-1], traces)

  def sequence_bwd(residuals, grad_TxBxH):
    cell, dyn, x_proj, h_TxBxH, traces = residuals
    # Unrolled, a long sequence's steps would each keep their own B×T×H history gradient.
    return implicit_gradient.sequence_gradient(cell, dyn, opts, x_proj, h_TxBxH, grad_TxBxH,
                                               traces, scan_unroll(len(x_proj)) if short else 1)

  sequence.defvjp(sequence_fwd, sequence_bwd)
  return sequence(cell, dyn, x_proj_TxBxH)


FORMS = {'implicit': run_implicit, 'explicit': run_explicit}


def run(cell: CellParams, dyn: FastDynamics, opts: CellOptions, x_proj_TxBxH: jax.Array,
        form: str = 'implicit') -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) of the fast-weights RNN in the chosen form."""
  dyn = FastDynamics(*(jnp.asarray(v, x_proj_TxBxH.dtype) for v in dyn))
  return FORMS[form](cell, dyn, opts, x_proj_TxBxH)
