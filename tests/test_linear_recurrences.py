"""The descendants' recurrences: the scanned form against a plain NumPy loop, and the chunkwise
form against the scanned one (outputs, final state and gradients), at lengths that are not a
multiple of the chunk, as flash-linear-attention tests its kernels."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fwrnn.layers import linear_recurrences

# (erase, gated): linear attention, its gated form, DeltaNet, Gated DeltaNet.
FAMILY = {'linear attention': (False, False), 'gated linear attention': (False, True),
          'DeltaNet': (True, False), 'Gated DeltaNet': (True, True)}


def arrays(length=37, d_k=6, d_v=4, gated=True, seed=0):
  """q, k, v, beta, log_alpha and an initial state; keys of unit length, as DeltaNet's."""
  rng = np.random.default_rng(seed)
  q, k = rng.normal(size=(2, length, d_k))
  k /= np.linalg.norm(k, axis=1, keepdims=True)
  v = rng.normal(size=(length, d_v))
  beta = rng.uniform(0.1, 1.0, length)
  log_alpha = np.log(rng.uniform(0.7, 1.0, length)) if gated else np.zeros(length)
  initial = rng.normal(size=(d_k, d_v)) * 0.3
  return [a.astype(np.float32) for a in (q, k, v, beta, log_alpha, initial)]


def numpy_loop(q, k, v, beta, log_alpha, initial, erase):
  """S_t = α_t (I − [erase] β_t k_t k_tᵀ) S_{t−1} + β_t k_t v_tᵀ, o_t = S_tᵀ q_t, in float64."""
  state = initial.astype(np.float64)
  outputs = []
  for t in range(len(q)):
    keep = np.eye(len(k[t])) - (beta[t] * np.outer(k[t], k[t]) if erase else 0)
    state = np.exp(log_alpha[t]) * keep @ state + beta[t] * np.outer(k[t], v[t])
    outputs.append(state.T @ q[t])
  return np.array(outputs), state


@pytest.mark.parametrize('name', FAMILY)
def test_the_scanned_recurrence_is_the_plain_loop(name):
  erase, gated = FAMILY[name]
  q, k, v, beta, log_alpha, initial = arrays(gated=gated)
  outputs, state = jax.jit(functools.partial(linear_recurrences.recurrent, erase=erase))(
      q, k, v, beta, log_alpha, initial=initial)
  expected_outputs, expected_state = numpy_loop(q, k, v, beta, log_alpha, initial, erase)
  np.testing.assert_allclose(outputs, expected_outputs, rtol=1e-4, atol=1e-5)
  np.testing.assert_allclose(state, expected_state, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize('name', FAMILY)
@pytest.mark.parametrize('length, chunk', [(37, 8), (5, 16)])
def test_the_chunkwise_form_gives_the_recurrent_outputs_state_and_gradients(name, length, chunk):
  erase, gated = FAMILY[name]
  inputs = arrays(length=length, gated=gated, seed=length)
  weights = np.random.default_rng(1).normal(size=(length, inputs[2].shape[1]))

  def loss(form, q, k, v, beta, log_alpha, initial):
    outputs, state = form(q, k, v, beta, log_alpha, erase=erase, initial=initial)
    return jnp.sum(outputs * weights) + jnp.sum(jnp.sin(state))

  forms = {'recurrent': linear_recurrences.recurrent,
           'chunkwise': functools.partial(linear_recurrences.chunkwise, chunk=chunk)}
  results = {name: jax.jit(jax.value_and_grad(functools.partial(loss, form), argnums=range(6)))(
      *inputs) for name, form in forms.items()}
  (value, grads), (chunked_value, chunked_grads) = results['recurrent'], results['chunkwise']
  np.testing.assert_allclose(chunked_value, value, rtol=1e-4)
  for argument, a, b in zip(('q', 'k', 'v', 'beta', 'log_alpha', 'initial'), grads,
                            chunked_grads):
    np.testing.assert_allclose(b, a, rtol=2e-3, atol=2e-4, err_msg=f'gradient of {argument}')


def test_the_chunkwise_delta_rule_stays_exact_for_correlated_keys_in_long_chunks():
  """Keys with a mean cosine of 0.8 (as keys after a SiLU can be) in one chunk of 64: summing
  the powers of the strictly lower part lost every digit here (errors of 10³)."""
  rng = np.random.default_rng(0)
  keys = rng.normal(size=(64, 16)) + 2.0
  keys /= np.linalg.norm(keys, axis=-1, keepdims=True)
  q, k, v = (jnp.asarray(a, jnp.float32) for a in (rng.normal(size=(64, 16)), keys,
                                                   rng.normal(size=(64, 16))))
  beta = jnp.asarray(rng.uniform(0.3, 1.0, size=64), jnp.float32)
  want, _ = linear_recurrences.recurrent(q, k, v, beta=beta, erase=True)
  got, _ = linear_recurrences.chunkwise(q, k, v, beta=beta, erase=True, chunk=64)
  np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
