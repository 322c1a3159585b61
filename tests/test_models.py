"""Baseline recurrences against NumPy loops, and the models built around every core."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import linen as nn

from configs import assoc_recall
from fwrnn import tasks
from fwrnn.layers import associative_lstm
from fwrnn.layers import baselines
from fwrnn.layers import convnet
from fwrnn.layers.cores import RECURRENT_CORE_NAMES
from fwrnn.layers.inputs import EmbeddedTokens, project_inputs
from fwrnn.layers.models import build_model
from fwrnn.engine.state import Member
from fwrnn.tasks import assoc_sequences
from tests import reference


def test_irnn_scan_equals_numpy_loop():
  rng = np.random.default_rng(0)
  W, x = rng.normal(0, 0.5, (5, 5)), rng.normal(0, 1, (7, 3, 5))
  got = baselines.run_irnn(jnp.float32(W), jnp.float32(x))
  np.testing.assert_allclose(got, reference.irnn(W, x), rtol=1e-4, atol=1e-5)


def test_lstm_scan_equals_numpy_loop():
  rng = np.random.default_rng(1)
  U, x = rng.normal(0, 0.5, (5, 20)), rng.normal(0, 1, (7, 3, 20))
  got = baselines.run_lstm(jnp.float32(U), jnp.float32(x))
  np.testing.assert_allclose(got, reference.lstm(U, x), rtol=1e-4, atol=1e-5)


def model_and_inputs(name: str, **overrides):
  """The associative-retrieval model with this core, a batch of its sequences, its rates."""
  config = assoc_recall.get_config()
  config.model.name = name
  config.model.update(overrides)
  tokens = jnp.asarray(assoc_sequences.sample(np.random.default_rng(0), 4, 4).x)
  return build_model(config, tasks.load(config.task)), tokens, Member.of(config).rates


def init(name: str, **overrides):
  model, tokens, rates = model_and_inputs(name, **overrides)
  return model, jax.jit(model.init)(jax.random.key(0), tokens, rates), tokens, rates


@pytest.mark.parametrize('name', RECURRENT_CORE_NAMES)
def test_every_model_shares_encoder_and_head(name):
  model, tokens, rates = model_and_inputs(name, hidden_size=20)
  p = jax.eval_shape(model.init, jax.random.key(0), tokens, rates)['params']  # shapes only
  assert p['encoder']['embedding'].shape == (assoc_sequences.VOCAB_SIZE, 100)
  assert p['head']['kernel'].shape == (20, 100)
  assert p['logits']['kernel'].shape == (100, 10)
  assert p['core']['input']['kernel'].shape[0] == 100


def test_paper_initialisation():
  _, params, _, _ = init('fast_weights', hidden_size=50)
  core = params['params']['core']
  np.testing.assert_array_equal(core['recurrent'], 0.05 * np.eye(50, dtype=np.float32))
  np.testing.assert_array_equal(core['ln_gain'], 1.0)
  np.testing.assert_array_equal(core['input']['bias'], 0.0)
  bound = 1 / np.sqrt(100)
  assert np.abs(core['input']['kernel']).max() <= bound
  assert np.abs(core['input']['kernel']).max() > 0.9 * bound


def test_ln_irnn_is_fast_weights_with_zero_fast_lr():
  model, params, tokens, rates = init('ln_irnn')
  fw, _, _, _ = init('fast_weights')
  no_memory = rates._replace(lr=jnp.float32(0.0))
  np.testing.assert_array_equal(model.apply(params, tokens, rates),
                                fw.apply(params, tokens, no_memory))
  assert not np.allclose(model.apply(params, tokens, rates), fw.apply(params, tokens, rates))


def test_rates_given_to_the_model_replace_the_configs():
  model, params, tokens, rates = init('fast_weights')
  other = rates._replace(lr=jnp.float32(1.0))
  fw_eta_1, _, _, _ = init('fast_weights', fast_lr=1.0)
  np.testing.assert_array_equal(model.apply(params, tokens, other),
                                fw_eta_1.apply(params, tokens, None))
  assert not np.allclose(model.apply(params, tokens, other), model.apply(params, tokens, rates))


def test_embedded_tokens_project_like_embed_then_project():
  rng = np.random.default_rng(0)
  table, kernel, bias = rng.normal(size=(37, 6)), rng.normal(size=(6, 4)), rng.normal(size=4)
  tokens = rng.integers(0, 37, (3, 5))
  got = project_inputs(EmbeddedTokens(jnp.asarray(tokens), jnp.float32(table)),
                       jnp.float32(kernel), jnp.float32(bias))
  want = np.einsum('bte,eh->tbh', table[tokens], kernel) + bias
  np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
  dense = project_inputs(jnp.float32(table[tokens]), jnp.float32(kernel), jnp.float32(bias))
  np.testing.assert_allclose(dense, want, rtol=1e-5, atol=1e-5)


def test_associative_lstm_scan_equals_numpy_complex_loop():
  rng = np.random.default_rng(2)
  hidden, copies = 6, 3
  width = associative_lstm.projection_size(hidden)
  U, x = rng.normal(0, 0.5, (hidden, width)), rng.normal(0, 1.5, (7, 3, width))
  perms = associative_lstm.copy_permutations(copies, hidden // 2)
  assert sorted(perms[1]) == list(range(hidden // 2)) and not np.array_equal(perms[0], perms[1])
  got = associative_lstm.run_alstm(jnp.float32(U), perms, jnp.float32(x))
  np.testing.assert_allclose(got, reference.associative_lstm(U, perms, x), rtol=1e-4, atol=1e-5)


def test_associative_lstm_gradient_is_finite_at_zero_state():
  hidden = 4
  x = jnp.zeros((3, 2, associative_lstm.projection_size(hidden)))
  perms = associative_lstm.copy_permutations(2, hidden // 2)
  loss = lambda U: jnp.sum(associative_lstm.run_alstm(U, perms, x) ** 2)
  grad = jax.grad(loss)(jnp.zeros((hidden, x.shape[-1])))
  assert np.all(np.isfinite(grad))


@pytest.mark.parametrize('size,stride', [(7, 1), (7, 2), (4, 2), (12, 1), (6, 2)])
def test_the_sliced_convolution_is_flaxs_convolution(size, stride):
  maps = jax.random.normal(jax.random.key(0), (5, size, size, 3))
  mine = convnet.SlicedConv(4, stride)
  params = mine.init(jax.random.key(1), maps)
  theirs = nn.Conv(4, (3, 3), strides=stride, padding='SAME')
  assert jax.tree.map(jnp.shape, theirs.init(jax.random.key(1), maps)) == jax.tree.map(
      jnp.shape, params)
  np.testing.assert_allclose(mine.apply(params, maps), theirs.apply(params, maps),
                             rtol=1e-5, atol=1e-5)
  np.testing.assert_allclose(  # the same initialisation from the same key
      params['params']['kernel'], theirs.init(jax.random.key(1), maps)['params']['kernel'])
