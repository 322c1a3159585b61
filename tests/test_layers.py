"""The public fast-weights layer and cell, against the NumPy loop of the paper's equations."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fwrnn.layers import FastWeights, FastWeightsCell
from tests import reference

B, T, D, H = 3, 7, 4, 6


def inputs(seed=0):
  return jnp.asarray(np.random.default_rng(seed).normal(size=(B, T, D)), jnp.float32)


def numpy_states(params, x, layer):
  """h(1) … h(T) (B×T×H) by the NumPy loop, from the layer's own parameters."""
  p = {k: np.float64(v) for k, v in jax.tree_util.tree_leaves_with_path(params)}
  get = lambda *names: next(v for k, v in p.items()
                            if [getattr(e, 'key', None) for e in k][-len(names):] == list(names))
  x_proj = np.einsum('btd,dh->tbh', np.float64(x), get('input', 'kernel')) + get('input', 'bias')
  h = reference.fast_weights(get('recurrent'), get('ln_gain'), get('ln_bias'), x_proj,
                             layer.fast_decay, layer.fast_lr, layer.inner_steps, layer.layer_norm,
                             layer.ln_on_h0)
  return h.transpose(1, 0, 2)


def perturbed(params, scale=0.3, seed=1):
  """The init (W = 0.05·I, LN gain 1) made generic, so that a wrong weight would show."""
  rng = np.random.default_rng(seed)
  return jax.tree.map(lambda v: v + jnp.asarray(rng.normal(0, scale, v.shape), v.dtype), params)


@pytest.mark.parametrize('form', ['implicit', 'explicit'])
@pytest.mark.parametrize('inner_steps, layer_norm, ln_on_h0', [(1, True, False), (2, True, True),
                                                               (2, False, False)])
def test_layer_maps_a_sequence_to_its_states(form, inner_steps, layer_norm, ln_on_h0):
  layer = FastWeights(H, fast_decay=0.9, fast_lr=0.7, inner_steps=inner_steps,
                      layer_norm=layer_norm, ln_on_h0=ln_on_h0, form=form)
  # Without LN, z + A·h grows cubically per step: smaller numbers keep it finite.
  x = inputs() * (1.0 if layer_norm else 0.3)
  params = perturbed(layer.init(jax.random.key(0), x), 0.3 if layer_norm else 0.1)
  assert np.all(np.isfinite(numpy_states(params, x, layer)))
  h = layer.apply(params, x)
  assert h.shape == (B, T, H)
  np.testing.assert_allclose(h, numpy_states(params, x, layer), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize('form, max_length', [('explicit', None), ('implicit', T)])
def test_cell_in_flax_rnn_equals_the_layer_with_the_same_parameters(form, max_length):
  layer = FastWeights(H, inner_steps=2)
  x = inputs()
  params = perturbed(layer.init(jax.random.key(0), x))
  rnn = nn.RNN(FastWeightsCell(H, inner_steps=2, form=form, max_length=max_length))
  assert jax.tree.structure(rnn.init(jax.random.key(0), x)['params']['cell']) == \
      jax.tree.structure(params['params'])
  h = rnn.apply({'params': {'cell': params['params']}}, x)
  np.testing.assert_allclose(h, layer.apply(params, x), rtol=2e-4, atol=2e-5)


def test_layer_in_a_users_model_trains():
  """Ten lines of a user's model: the layer's gradient reaches every parameter."""

  class Model(nn.Module):
    @nn.compact
    def __call__(self, x):
      h = FastWeights(hidden_size=H)(x)
      return nn.Dense(1)(h[:, -1])[:, 0]

  model, x = Model(), inputs()
  params = model.init(jax.random.key(0), x)
  grads = jax.grad(lambda p: jnp.sum(model.apply(p, x) ** 2))(params)
  assert all(np.abs(g).max() > 0 for g in jax.tree.leaves(grads))


def test_the_implicit_cell_refuses_a_sequence_longer_than_its_history_under_jit():
  layer = FastWeights(H)
  long_x = jnp.concatenate([inputs(), inputs(1)], axis=1)  # 2T steps
  params = perturbed(layer.init(jax.random.key(0), long_x))
  short = nn.RNN(FastWeightsCell(H, form='implicit', max_length=T))
  with pytest.raises(Exception, match=r'longer than max_length \(step 8\)'):
    jax.block_until_ready(jax.jit(short.apply)({'params': {'cell': params['params']}}, long_x))
  enough = nn.RNN(FastWeightsCell(H, form='implicit', max_length=2 * T))
  np.testing.assert_allclose(jax.jit(enough.apply)({'params': {'cell': params['params']}}, long_x),
                             layer.apply(params, long_x), rtol=2e-4, atol=2e-5)


def test_the_explicit_cell_takes_any_length():
  layer = FastWeights(H)
  long_x = jnp.concatenate([inputs(), inputs(1), inputs(2)], axis=1)
  params = perturbed(layer.init(jax.random.key(0), long_x))
  rnn = nn.RNN(FastWeightsCell(H, form='explicit'))
  np.testing.assert_allclose(rnn.apply({'params': {'cell': params['params']}}, long_x),
                             layer.apply(params, long_x), rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize('make, message', [
    (lambda: FastWeights(H, form='implict'), r"form='implict'\): form must be one of 'implicit'"),
    (lambda: FastWeightsCell(H, form='implict'), r"FastWeightsCell\(form='implict'\)"),
    (lambda: FastWeights(H, inner_steps=-1), r'inner_steps must be an integer in 0\.\.16'),
    (lambda: FastWeights(0), r'hidden_size=0\): hidden_size must be an integer >= 1'),
    (lambda: FastWeights(H, fast_decay=1.5), r'fast_decay must be a number in \(0, 1\]'),
    (lambda: FastWeights(H, fast_lr=-0.1), 'fast_lr must be a number >= 0'),
    (lambda: FastWeights(H, layer_norm='yes'), 'layer_norm must be True or False'),
    (lambda: FastWeightsCell(H, max_length=0), 'max_length must be None or an integer >= 1'),
])
def test_every_bad_option_is_one_clear_error_naming_it(make, message):
  with pytest.raises(ValueError, match=message):
    make()


def test_inputs_of_the_wrong_shape_are_named():
  with pytest.raises(ValueError, match=r'sequences of shape B×T×D .* shape \(7, 4\)'):
    FastWeights(H).init(jax.random.key(0), jnp.ones((7, 4)))
  with pytest.raises(ValueError, match=r'one time step of shape B×D .* shape \(3, 7, 4\)'):
    FastWeightsCell(H).init(jax.random.key(0), FastWeightsCell(H).initialize_carry(
        jax.random.key(0), (B, D)), inputs())


def test_implicit_cell_needs_a_length():
  with pytest.raises(ValueError, match='needs max_length'):
    FastWeightsCell(H, form='implicit').initialize_carry(jax.random.key(0), (B, D))
