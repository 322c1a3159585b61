"""The fast-weights recurrence against the paper's equations, in both forms."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fwrnn.layers import cell_parts
from fwrnn.layers import fast_weights
from fwrnn.layers import implicit_gradient
from fwrnn.layers.cell_parts import CellOptions, CellParams, FastDynamics
from fwrnn.layers.layer_norm import layer_norm, normalise
from fwrnn.layers import run_fast_weights
from tests import reference

T, B, H = 6, 3, 5


def random_cell(seed=0, hidden=H):
  rng = np.random.default_rng(seed)
  return CellParams(recurrent_HxH=jnp.asarray(rng.normal(0, 0.4, (hidden, hidden)), jnp.float32),
                    ln_gain_H=jnp.asarray(rng.uniform(0.5, 1.5, hidden), jnp.float32),
                    ln_bias_H=jnp.asarray(rng.normal(0, 0.2, hidden), jnp.float32))


def random_inputs(seed=1, steps=T, batch=B, hidden=H, scale=1.0):
  x = np.random.default_rng(seed).normal(0, scale, (steps, batch, hidden))
  return jnp.asarray(x, jnp.float32)


DYN = FastDynamics(0.9, 0.7)


@pytest.mark.parametrize('form', ['implicit', 'explicit'])
@pytest.mark.parametrize('opts', [CellOptions(1, True, False), CellOptions(0, True, False),
                                  CellOptions(3, True, False), CellOptions(2, False, False),
                                  CellOptions(2, True, True)], ids=str)
def test_scan_equals_numpy_loop_of_equations(form, opts):
  # Without LN, z + A·h grows cubically per step: smaller inputs keep the numbers finite.
  cell, x = random_cell(), random_inputs(scale=1.0 if opts.layer_norm else 0.3)
  got = run_fast_weights(cell, DYN, opts, x, form)
  want = reference.fast_weights(*(np.float64(a) for a in cell), np.float64(x), DYN.decay,
                                DYN.lr, opts.inner_steps, opts.layer_norm, opts.ln_on_h0)
  np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-5)


def rolled(*fields, **more) -> CellOptions:
  """Options with the time loop compiled rolled: the same numbers as the unrolled loop that
  training compiles for short sequences (the first case of each form below), compiled faster."""
  return CellOptions(*fields, unroll_length=1, **more)


GRADIENT_CASES = [  # (implicit form, options, sequence length)
    (fast_weights.implicit_scan, CellOptions(1, True, False), T),
    (fast_weights.implicit_scan, rolled(2, True, False), T),
    (implicit_gradient.run_implicit, CellOptions(1, True, False), T),
    *((implicit_gradient.run_implicit, opts, T) for opts in (
        rolled(0, True, False), rolled(3, True, False), rolled(2, False, False),
        rolled(2, True, True))),
    # Past trace_length the hand-written gradient recomputes each step; 11 steps are not a
    # multiple of the unrolled chunk.
    (implicit_gradient.run_implicit, CellOptions(2, True, True, unroll_length=4,
                                                 trace_length=4), 11),
    (implicit_gradient.run_implicit, rolled(1, True, False, trace_length=4), T),
]


@pytest.mark.parametrize('implicit, opts, steps', GRADIENT_CASES,
                         ids=lambda v: getattr(v, '__name__', str(v)))
def test_implicit_and_explicit_forms_agree_in_outputs_and_gradients(implicit, opts, steps):
  # Without LN the states grow with every step: smaller inputs keep them finite.
  cell, x = random_cell(), random_inputs(steps=steps, scale=1.0 if opts.layer_norm else 0.3)
  weights = jnp.asarray(np.random.default_rng(2).normal(size=(steps, B, H)), jnp.float32)

  def loss(cell, dyn, x, run):
    # The explicit form is the reference: compiled rolled (the same numbers, compiled faster).
    options = opts if run is implicit else dataclasses.replace(opts, unroll_length=1)
    return jnp.sum(weights * run(cell, dyn, options, x))

  dyn = FastDynamics(jnp.float32(0.9), jnp.float32(0.7))
  # value_and_grad: the value comes from the forward pass that the gradient uses.
  value_and_grad = jax.jit(jax.value_and_grad(loss, argnums=(0, 1, 2)), static_argnums=3)
  value_i, grad_i = value_and_grad(cell, dyn, x, implicit)
  assert implicit is fast_weights.implicit_scan or steps > opts.trace_length or any(
      'custom_vjp' in str(e.primitive) for e in jax.make_jaxpr(implicit, static_argnums=2)(
          cell, dyn, opts, x).eqns)
  value_e, grad_e = value_and_grad(cell, dyn, x, fast_weights.run_explicit)
  np.testing.assert_allclose(value_i, value_e, rtol=1e-5)
  assert np.abs(grad_e[0].recurrent_HxH).max() > 0
  if opts.inner_steps:  # the rates enter only through the fast product
    assert all(np.abs(g) > 0 for g in grad_e[1])
  for g_i, g_e in zip(jax.tree.leaves(grad_i), jax.tree.leaves(grad_e)):
    # Rounding in a sum over the steps scales with its largest terms, not with each entry.
    scale = max(1.0, float(np.abs(g_e).max()))
    np.testing.assert_allclose(g_i, g_e, rtol=2e-4, atol=2e-5 * scale)


def test_fast_memory_at_t_already_holds_h_t():
  """h(2) by hand: A(1) = η h(1)h(1)ᵀ is used, so A contains h(1) when h(2) is computed."""
  hidden, lr = 4, 2.0
  cell = CellParams(jnp.zeros((hidden, hidden)), jnp.ones(hidden), jnp.zeros(hidden))
  e = np.eye(hidden)
  x = jnp.asarray(np.stack([e[0], e[0] + e[1]])[:, None, :])
  h = np.asarray(run_fast_weights(cell, FastDynamics(0.5, lr), CellOptions(1, False), x))
  np.testing.assert_allclose(h[0, 0], e[0])  # A(0) = 0 and h(0) = 0: h(1) = ReLU(x(1)).
  z = e[0] + e[1]
  # h_0 = ReLU(z); h_1 = ReLU(z + η h(1)⟨h(1), h_0⟩) = z + 2·e0. A lagging a step would give z.
  np.testing.assert_allclose(h[1, 0], z + lr * e[0] * (e[0] @ z))


def test_decay_weights_older_states_by_powers_of_lambda():
  """With W = 0, LN off and one inner step, h(T) − z exposes η Σ λ^{t−τ} h(τ)⟨h(τ), h_0⟩."""
  hidden, decay, lr = 3, 0.5, 1.0
  cell = CellParams(jnp.zeros((hidden, hidden)), jnp.ones(hidden), jnp.zeros(hidden))
  e = np.eye(hidden)
  x = jnp.asarray(np.stack([e[0], e[1], e[0]])[:, None, :])
  h = np.asarray(run_fast_weights(cell, FastDynamics(decay, lr), CellOptions(1, False), x))
  # h(1) = e0. h(2): z = e1, A(1) = e0e0ᵀ, A h_0 = 0 → e1. h(3): z = e0,
  # A(2) = λ e0e0ᵀ + e1e1ᵀ, A h_0 = λ e0 → h(3) = (1 + λ) e0.
  np.testing.assert_allclose(h[:, 0], [e[0], e[1], (1 + decay) * e[0]], atol=1e-6)


def test_no_leakage_between_sequences_of_a_batch():
  cell, x = random_cell(), random_inputs()
  opts = CellOptions(2, True, False)
  for form in ('implicit', 'explicit'):
    base = run_fast_weights(cell, DYN, opts, x, form)
    changed = run_fast_weights(cell, DYN, opts, x.at[:, 1:].multiply(-3.0), form)
    np.testing.assert_array_equal(base[:, 0], changed[:, 0])
    assert not np.allclose(base[:, 1], changed[:, 1])


def test_layer_norm_is_over_hidden_units_of_each_example():
  u = jnp.asarray([[1.0, 2.0, 3.0, 6.0], [100.0, 0.0, -100.0, 0.0]])
  out = layer_norm(u, jnp.ones(4), jnp.zeros(4))
  np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-5)
  np.testing.assert_allclose(out.var(axis=1), 1.0, rtol=1e-3)
  alone = layer_norm(u[:1], jnp.ones(4), jnp.zeros(4))
  np.testing.assert_allclose(out[:1], alone, rtol=1e-6)
  gain, bias = jnp.asarray([1.0, 2.0, 3.0, 4.0]), jnp.asarray([0.0, 1.0, 0.0, -1.0])
  np.testing.assert_allclose(layer_norm(u, gain, bias), out * gain + bias, rtol=1e-5)


def test_long_sequences_keep_gradient_residuals_linear_in_length():
  """Past trace_length the default keeps O(T·B·H) residuals; autodiff keeps T×(T·B·H)."""
  steps, batch, hidden = 64, 2, 8
  cell, x = random_cell(hidden=hidden), random_inputs(steps=steps, batch=batch, hidden=hidden)

  def saved_numbers(run):
    _, backward = jax.vjp(lambda x: jnp.sum(run(cell, DYN, rolled(), x)), x)
    return sum(a.size for a in jax.tree.leaves(backward))  # the residuals it keeps

  assert steps > cell_parts.TRACE_LENGTH
  assert saved_numbers(implicit_gradient.run_implicit) < 10 * steps * batch * hidden
  assert saved_numbers(fast_weights.implicit_scan) > steps * steps * batch * hidden


def test_layer_norm_returns_what_its_gradient_needs():
  u = jnp.asarray(np.random.default_rng(0).normal(size=(3, 7)), jnp.float32)
  normalised, inv_std = normalise(u)
  assert inv_std.shape == (3, 1)
  np.testing.assert_allclose(normalised / inv_std + u.mean(axis=1, keepdims=True), u, rtol=1e-5)
  np.testing.assert_allclose(inv_std[:, 0], 1 / np.sqrt(u.var(axis=1) + 1e-5), rtol=1e-4)


def test_the_trace_holds_every_inner_state_and_the_attention_scores():
  """The StepTrace that the gradient and the memory picture read: its states are the inner
  loop's h_1 … h_S, its scores ⟨h(τ), h_s⟩ over the history."""
  cell, x = random_cell(), random_inputs()
  opts = rolled(3, True, True)
  dyn = FastDynamics(jnp.float32(0.9), jnp.float32(0.7))
  trace = fast_weights.implicit_scan(cell, dyn, opts, x, keep_trace=True)
  assert trace.states.shape == (T, 3, B, H) and trace.scores.shape == (T, 3, B, T)
  np.testing.assert_allclose(trace.output, run_fast_weights(cell, dyn, opts, x), rtol=1e-5)
  t = 4
  hist = np.concatenate([np.zeros((1, B, H)), np.asarray(trace.output[:t])])  # h(0) … h(t)
  inner_inputs = np.concatenate([trace.h0[t][None], trace.states[t][:-1]])  # h_0 … h_{S−1}
  want = np.einsum('tbh,sbh->sbt', hist, inner_inputs)
  np.testing.assert_allclose(trace.scores[t][:, :, :t + 1], want, rtol=1e-4, atol=1e-5)
