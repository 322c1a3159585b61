"""The cores of the experiments: B×T×D sequences in, B×T×H states out (the glimpse tasks'
ConvNet baseline, convnet.py, gives one state, B×1×H).

Every recurrent core also has a one-step form, state in and state out, for an agent that acts
at every time step: `initial_carry(batch, max_length)` and `step(carry, x_BxD, rates) ->
(carry, h_BxH)`, the same function as the sequence form one step at a time.

Fast weights are the public layer itself (layers.FastWeights); the baselines (IRNN, LSTM,
Associative LSTM) wrap their pure recurrences the same way, so that every model differs
from the others only in its core.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from fwrnn.layers import associative_lstm
from fwrnn.layers import baselines
from fwrnn.layers import descendants
from fwrnn.layers import mixer_stack
from fwrnn.layers.convnet import GlimpseConvNet
from fwrnn.layers.inputs import InputProjection, uniform_fan_in
from fwrnn.layers.cell_parts import TRACE_LENGTH, UNROLL_LENGTH, FastDynamics
from fwrnn.layers.fast_weights_layer import FastWeights, scaled_identity

RECURRENT_CORE_NAMES = ('fast_weights', 'irnn', 'lstm', 'alstm', 'ln_irnn')
CORE_NAMES = RECURRENT_CORE_NAMES + ('convnet',)  # convnet reads image glimpses only


class IRNNCore(nn.Module):
  """ReLU RNN with identity recurrent init (Le, Jaitly & Hinton 2015)."""
  hidden_size: int

  def setup(self):
    hidden = self.hidden_size
    self.recurrent = self.param('recurrent', scaled_identity(1.0), (hidden, hidden))
    self.input = InputProjection(hidden)

  def __call__(self, inputs, rates: FastDynamics | None = None) -> jax.Array:
    del rates  # no fast memory
    return baselines.run_irnn(self.recurrent, self.input(inputs)).transpose(1, 0, 2)

  @nn.nowrap
  def initial_carry(self, batch: int, max_length: int):
    del max_length
    return jnp.zeros((batch, self.hidden_size))

  def step(self, h_BxH, x_BxD, rates: FastDynamics | None = None):
    del rates
    h_next = baselines.irnn_step(self.recurrent, h_BxH, self.input(x_BxD[:, None])[0])
    return h_next, h_next


def lstm_bias_init(key, shape, dtype=jnp.float32):
  """Zero biases except 1 on the forget gate (gate order i, f, g, o)."""
  del key
  hidden = shape[0] // 4
  return jnp.zeros(shape, dtype).at[hidden:2 * hidden].set(1.0)


class LSTMCore(nn.Module):
  """A standard LSTM with forget-gate bias 1."""
  hidden_size: int

  def setup(self):
    hidden = self.hidden_size
    self.recurrent = self.param('recurrent', uniform_fan_in, (hidden, 4 * hidden))
    self.input = InputProjection(4 * hidden, lstm_bias_init)

  def __call__(self, inputs, rates: FastDynamics | None = None) -> jax.Array:
    del rates
    return baselines.run_lstm(self.recurrent, self.input(inputs)).transpose(1, 0, 2)

  @nn.nowrap
  def initial_carry(self, batch: int, max_length: int):
    del max_length
    zeros = jnp.zeros((batch, self.hidden_size))
    return baselines.LSTMState(zeros, zeros)

  def step(self, state: baselines.LSTMState, x_BxD, rates: FastDynamics | None = None):
    del rates
    state = baselines.lstm_step(self.recurrent, state, self.input(x_BxD[:, None])[0])
    return state, state.h_BxH


def alstm_bias_init(key, shape, dtype=jnp.float32):
  """Zero biases except 1 on the forget gate (the first H/2 pre-activations)."""
  del key
  hidden = shape[0] * 2 // 9  # shape[0] = 4.5 H
  return jnp.zeros(shape, dtype).at[:hidden // 2].set(1.0)


class AssociativeLSTMCore(nn.Module):
  """The Associative LSTM: H real units as H/2 complex ones, num_copies memory copies."""
  hidden_size: int
  num_copies: int = 4

  def setup(self):
    hidden = self.hidden_size
    width = associative_lstm.projection_size(hidden)
    self.recurrent = self.param('recurrent', uniform_fan_in, (hidden, width))
    self.input = InputProjection(width, alstm_bias_init)
    self.perms = associative_lstm.copy_permutations(self.num_copies, hidden // 2)

  def __call__(self, inputs, rates: FastDynamics | None = None) -> jax.Array:
    del rates
    return associative_lstm.run_alstm(self.recurrent, self.perms,
                                      self.input(inputs)).transpose(1, 0, 2)

  @nn.nowrap
  def initial_carry(self, batch: int, max_length: int):
    del max_length
    return associative_lstm.ALSTMState(jnp.zeros((batch, self.hidden_size)),
                                       jnp.zeros((self.num_copies, batch, self.hidden_size)))

  def step(self, state, x_BxD, rates: FastDynamics | None = None):
    del rates
    perm_SxNxN = jnp.asarray(associative_lstm.permutation_matrices(self.perms))
    state = associative_lstm.alstm_step(self.recurrent, perm_SxNxN, state,
                                        self.input(x_BxD[:, None])[0])
    return state, state.h_BxH


def _mixer_factory(model_cfg) -> tuple[mixer_stack.MixerFactory, bool]:
  """(a maker of the mixer model.name, whether it takes the population's rates)."""
  m = model_cfg
  linear = dict(num_heads=m.num_heads, form=m.chunk_form, chunk=m.chunk, short_conv=m.short_conv)
  makers = {
      'softmax_attention': lambda: descendants.SoftmaxAttention(num_heads=m.num_heads),
      'linear_attention': lambda: descendants.LinearAttention(
          feature_map=m.feature_map, normalize=m.feature_map != 'identity', decay=m.decay,
          tied=m.tied_qkv, **linear),
      'deltanet': lambda: descendants.DeltaNet(**linear),
      'gated_deltanet': lambda: descendants.GatedDeltaNet(**linear),
      'lstm': lambda: LSTMCore(m.hidden_size),
      'fast_weights': lambda: FastWeights(
          hidden_size=m.hidden_size, fast_decay=m.fast_decay, fast_lr=m.fast_lr,
          inner_steps=m.inner_steps, layer_norm=m.layer_norm, ln_on_h0=m.ln_on_h0, form=m.form,
          unroll_length=UNROLL_LENGTH, trace_length=TRACE_LENGTH),
  }
  return makers[m.name], m.name == 'fast_weights'


STACK_MIXER_NAMES = ('softmax_attention', 'linear_attention', 'deltanet', 'gated_deltanet',
                     'fast_weights', 'lstm')


def build_stack(model_cfg) -> mixer_stack.MixerStack:
  """The stack of model.num_layers layers of the mixer model.name (one of STACK_MIXER_NAMES)."""
  make_mixer, takes_rates = _mixer_factory(model_cfg)
  return mixer_stack.MixerStack(make_mixer, model_cfg.num_layers, model_cfg.mlp, takes_rates,
                               model_cfg.conv_first)


def build_core(model_cfg: ml_collections.ConfigDict) -> nn.Module:
  """The recurrent core named by model.name, with the config's options; a stack of layers of
  it (mixer_stack.py) where the config has model.num_layers."""
  name = model_cfg.name
  if 'num_layers' in model_cfg:
    return build_stack(model_cfg)
  if name == 'irnn':
    return IRNNCore(model_cfg.hidden_size)
  if name == 'lstm':
    return LSTMCore(model_cfg.hidden_size)
  if name == 'alstm':
    return AssociativeLSTMCore(model_cfg.hidden_size, model_cfg.num_copies)
  if name == 'convnet':
    return GlimpseConvNet(model_cfg.hidden_size)
  return FastWeights(
      hidden_size=model_cfg.hidden_size, fast_decay=model_cfg.fast_decay,
      fast_lr=model_cfg.fast_lr, inner_steps=model_cfg.inner_steps,
      layer_norm=model_cfg.layer_norm, ln_on_h0=model_cfg.ln_on_h0, form=model_cfg.form,
      fast_memory=name != 'ln_irnn', unroll_length=UNROLL_LENGTH, trace_length=TRACE_LENGTH)


def stack_state_bytes(model_cfg, length: int) -> int:
  """The bytes a stack (build_stack) carries from one token to the next at sequence length
  `length`, counted as Zoology counts them (4 bytes a number): the gated convolution's D × 3
  window; softmax attention's keys and values, 2 D L; a linear mixer's H matrices d × d
  (d = D/H; linear attention with its normaliser adds H d); fast weights' D × D memory A and
  h; the LSTM's h and c."""
  m = model_cfg
  width, head = m.hidden_size, m.hidden_size // m.num_heads
  mixer = {
      'softmax_attention': 2 * width * length,
      'linear_attention': m.num_heads * head * (head + (m.feature_map != 'identity')),
      'deltanet': m.num_heads * head * head,
      'gated_deltanet': m.num_heads * head * head,
      'fast_weights': width * width + width,
      'lstm': 2 * width,
  }[m.name]
  convs = m.num_layers // 2 + m.num_layers % 2 if m.conv_first else 0
  return 4 * (convs * width * 3 + (m.num_layers - convs) * mixer)
