"""The descendants' layers: both forms of each give the same outputs, every layer is causal,
and bad options are one clear error."""

import re

import flax.linen as nn
import jax
import numpy as np
import pytest

from fwrnn.layers.descendants import (CausalConvolution, DecayGates, DeltaNet, GatedDeltaNet,
                                      LinearAttention, SoftmaxAttention)

LINEAR_LAYERS = {
    'linear attention': lambda form: LinearAttention(form=form, chunk=8),
    'linear attention without a feature map': lambda form: LinearAttention(
        feature_map='identity', normalize=False, form=form, chunk=8),
    "linear attention with the 2016 cell's h, decay and tied q = k = v": lambda form:
        LinearAttention(feature_map='relu_ln', decay=0.95, tied=True, form=form, chunk=8),
    'DeltaNet': lambda form: DeltaNet(form=form, chunk=8),
    'Gated DeltaNet': lambda form: GatedDeltaNet(form=form, chunk=8),
}
X = np.random.default_rng(0).normal(size=(2, 19, 8)).astype(np.float32)  # 19: not a multiple of 8


def test_the_causal_convolution_is_flaxs_depthwise_convolution_padded_on_the_left():
  layer = CausalConvolution(4)
  params = layer.init(jax.random.key(0), X)
  kernel, bias = params['params']['kernel'], params['params']['bias'] + 0.5
  conv = nn.Conv(8, (4,), padding=[(3, 0)], feature_group_count=8)
  want = conv.apply({'params': {'kernel': kernel[:, None, :], 'bias': bias}}, X)
  got = layer.apply({'params': {'kernel': kernel, 'bias': bias}}, X)
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
  changed = X.copy()
  changed[:, 10:] += 1.0
  np.testing.assert_array_equal(layer.apply(params, changed)[:, :10], layer.apply(params, X)[:, :10])


def test_gated_deltanets_heads_start_with_memories_of_many_lengths():
  """α = exp(−a·dt), a in [1, 16] and dt in [0.001, 0.1]: time constants from under one step
  to a thousand, a different one for each head."""
  gates = DecayGates(num_heads=64)
  params = gates.init(jax.random.key(0), X)
  alpha = np.exp(gates.apply(params, np.zeros_like(X))[0, 0])
  assert np.all(alpha > np.exp(-1.6)) and np.all(alpha < np.exp(-1e-3))
  assert alpha.min() < 0.5 and alpha.max() > 0.99


@pytest.mark.parametrize('name', LINEAR_LAYERS)
def test_both_forms_of_a_layer_give_the_same_outputs(name):
  """(Their gradients agree at the level of the recurrences: test_linear_recurrences.py.)"""
  make = LINEAR_LAYERS[name]
  params = make('chunkwise').init(jax.random.key(0), X)
  outputs = {form: make(form).apply(params, X) for form in ('recurrent', 'chunkwise')}
  np.testing.assert_allclose(outputs['chunkwise'], outputs['recurrent'], rtol=1e-4, atol=1e-5)


def test_tied_decaying_linear_attention_is_ba_et_als_memory_read_with_h():
  """With q = k = v = h = x W and a decay λ: y_t = Σ_{i≤t} λ^(t−i) (h_i·h_t) h_i, the 2016
  cell's A_t h_t (η = 1), then the output projection."""
  layer = LinearAttention(num_heads=1, feature_map='identity', normalize=False, decay=0.9,
                          tied=True, form='chunkwise', chunk=8)
  params = layer.init(jax.random.key(0), X)
  h = X @ np.asarray(params['params']['qkv_proj']['kernel'])
  want = np.zeros_like(h)
  for t in range(X.shape[1]):
    for i in range(t + 1):
      want[:, t] += 0.9 ** (t - i) * np.sum(h[:, i] * h[:, t], -1, keepdims=True) * h[:, i]
  want = want @ np.asarray(params['params']['out_proj']['kernel'])
  np.testing.assert_allclose(layer.apply(params, X), want, rtol=1e-4, atol=1e-4)


# The tests compile unoptimised (tests/conftest.py); the fault this test guards against lives in
# XLA's optimised compilation, at its default level.
XLA_DEFAULT_OPTIMISATION = {'xla_backend_optimization_level': 3}


@pytest.fixture
def uncached():
  """Every jit compiles anew: the session's compilation cache is off."""
  jax.config.update('jax_enable_compilation_cache', False)
  yield
  jax.config.update('jax_enable_compilation_cache', True)


@pytest.mark.parametrize('make', [
    lambda form: DeltaNet(form=form),
    lambda form: LinearAttention(feature_map='relu_ln', decay=0.95, tied=True, form=form)],
    ids=['DeltaNet', 'linear attention as the 2016 memory'])
def test_the_chunkwise_form_agrees_at_a_sweeps_size_each_time_it_is_compiled(make, uncached):
  """Batch 256, 64 steps, width 64, chunks of 64: XLA on a CPU once compiled the outputs of a
  scan over chunks, read by a reduction (DeltaNet's head norm), to garbage in about half of
  its compilations; the chunks' outputs are now computed outside the scan."""
  x = jax.random.normal(jax.random.key(1), (256, 64, 64))
  params = make('chunkwise').init(jax.random.key(0), x[:1])
  want = jax.jit(make('recurrent').apply)(params, x)
  for _ in range(4):  # a new compilation each time, optimised as outside the tests
    chunkwise = jax.jit(lambda p, x: make('chunkwise').apply(p, x)).lower(params, x).compile(
        compiler_options=XLA_DEFAULT_OPTIMISATION)
    np.testing.assert_allclose(chunkwise(params, x), want, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('layer', [LINEAR_LAYERS['linear attention']('chunkwise'),
                                   LINEAR_LAYERS['Gated DeltaNet']('chunkwise'),
                                   SoftmaxAttention()], ids=['linear', 'gated_delta', 'softmax'])
def test_a_layer_never_sees_the_future(layer):
  params = layer.init(jax.random.key(0), X)
  changed = X.copy()
  changed[:, 10:] += 1.0
  before, after = layer.apply(params, X), layer.apply(params, changed)
  np.testing.assert_allclose(after[:, :10], before[:, :10], rtol=1e-5, atol=1e-6)
  assert not np.allclose(after[:, 10:], before[:, 10:])


@pytest.mark.parametrize('make, message', [
    (lambda: LinearAttention(form='scan'), "LinearAttention(form='scan'): form must be one of"),
    (lambda: LinearAttention(feature_map='relu'), 'feature_map must be one of'),
    (lambda: LinearAttention(feature_map='identity'), 'use normalize=False'),
    (lambda: LinearAttention(decay=0.0), 'LinearAttention(decay=0.0): decay must be a number in'),
    (lambda: DeltaNet(chunk=0), 'DeltaNet(chunk=0): chunk must be an integer >= 1'),
    (lambda: DeltaNet(num_heads=3).init(jax.random.key(0), X),
     'features a multiple of num_heads=3; got shape (2, 19, 8)')])
def test_a_bad_option_is_one_clear_error(make, message):
  with pytest.raises(ValueError, match=re.escape(message)):
    make()
