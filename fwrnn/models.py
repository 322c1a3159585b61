"""Flax modules that own the parameters and call the pure recurrences.

Every model is embedding (V→E) → recurrent core → head (H → 100 ReLU → classes) on the
last hidden state, so the models differ only in their core. Since C·embed(x) is linear in
a one-hot x, each core projects the V×E embedding table once (V×H) and gathers rows:
the same function as embedding then projecting, for a fraction of the work.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from fwrnn import associative_lstm, baselines, fast_weights

MODEL_NAMES = ('fast_weights', 'irnn', 'lstm', 'alstm', 'ln_irnn')


def uniform_fan_in(key, shape, dtype=jnp.float32):
  """U(±1/√fan_in) with fan_in = shape[0], the paper's init for weight matrices."""
  bound = 1.0 / jnp.sqrt(shape[0])
  return jax.random.uniform(key, shape, dtype, -bound, bound)


def scaled_identity(scale):
  """Initialiser of a square matrix as scale·I."""
  return lambda key, shape, dtype=jnp.float32: scale * jnp.eye(shape[0], dtype=dtype)


def project_inputs(tokens_BxT, embedding_VxE, kernel_ExN, bias_N):
  """Returns C·embed(x) + b for every position, time-major (T×B×N)."""
  # b joins the V×N table before the lookup: the same sums, and the gradient of b is then
  # one reduction over V rows rather than one per time step.
  return jnp.take(embedding_VxE @ kernel_ExN + bias_N, tokens_BxT.T, axis=0)


class InputProjection(nn.Module):
  """The input weights C and bias b of a core (N = H, or 4H for the LSTM)."""
  features: int
  bias_init: nn.initializers.Initializer = nn.initializers.zeros

  @nn.compact
  def __call__(self, tokens_BxT, embedding_VxE):
    kernel = self.param('kernel', uniform_fan_in, (embedding_VxE.shape[1], self.features))
    bias = self.param('bias', self.bias_init, (self.features,))
    return project_inputs(tokens_BxT, embedding_VxE, kernel, bias)


class FastWeightsCore(nn.Module):
  """The fast-weights RNN; with fast_lr = 0 it is the LN-IRNN depth control."""
  hidden_size: int
  fast_decay: float | jax.Array = 0.95
  fast_lr: float | jax.Array = 0.5
  inner_steps: int = 1
  layer_norm: bool = True
  ln_on_h0: bool = False
  form: str = 'implicit'

  @nn.compact
  def __call__(self, tokens_BxT, embedding_VxE):
    hidden = self.hidden_size
    cell = fast_weights.CellParams(
        recurrent_HxH=self.param('recurrent', scaled_identity(0.05), (hidden, hidden)),
        ln_gain_H=self.param('ln_gain', nn.initializers.ones, (hidden,)),
        ln_bias_H=self.param('ln_bias', nn.initializers.zeros, (hidden,)))
    x_proj_TxBxH = InputProjection(hidden, name='input')(tokens_BxT, embedding_VxE)
    dyn = fast_weights.FastDynamics(self.fast_decay, self.fast_lr)
    opts = fast_weights.CellOptions(self.inner_steps, self.layer_norm, self.ln_on_h0)
    return fast_weights.run(cell, dyn, opts, x_proj_TxBxH, self.form)


class IRNNCore(nn.Module):
  """ReLU RNN with identity recurrent init (Le, Jaitly & Hinton 2015)."""
  hidden_size: int

  @nn.compact
  def __call__(self, tokens_BxT, embedding_VxE):
    hidden = self.hidden_size
    recurrent = self.param('recurrent', scaled_identity(1.0), (hidden, hidden))
    x_proj_TxBxH = InputProjection(hidden, name='input')(tokens_BxT, embedding_VxE)
    return baselines.run_irnn(recurrent, x_proj_TxBxH)


def lstm_bias_init(key, shape, dtype=jnp.float32):
  """Zero biases except 1 on the forget gate (gate order i, f, g, o)."""
  del key
  hidden = shape[0] // 4
  return jnp.zeros(shape, dtype).at[hidden:2 * hidden].set(1.0)


class LSTMCore(nn.Module):
  """A standard LSTM with forget-gate bias 1."""
  hidden_size: int

  @nn.compact
  def __call__(self, tokens_BxT, embedding_VxE):
    hidden = self.hidden_size
    recurrent = self.param('recurrent', uniform_fan_in, (hidden, 4 * hidden))
    x_proj_TxBx4H = InputProjection(4 * hidden, lstm_bias_init, name='input')(
        tokens_BxT, embedding_VxE)
    return baselines.run_lstm(recurrent, x_proj_TxBx4H)


def alstm_bias_init(key, shape, dtype=jnp.float32):
  """Zero biases except 1 on the forget gate (the first H/2 pre-activations)."""
  del key
  hidden = shape[0] * 2 // 9  # shape[0] = 4.5 H
  return jnp.zeros(shape, dtype).at[:hidden // 2].set(1.0)


class AssociativeLSTMCore(nn.Module):
  """The Associative LSTM: H real units as H/2 complex ones, num_copies memory copies."""
  hidden_size: int
  num_copies: int = 4

  @nn.compact
  def __call__(self, tokens_BxT, embedding_VxE):
    hidden = self.hidden_size
    width = associative_lstm.projection_size(hidden)
    recurrent = self.param('recurrent', uniform_fan_in, (hidden, width))
    x_proj_TxBxG = InputProjection(width, alstm_bias_init, name='input')(tokens_BxT, embedding_VxE)
    perms = associative_lstm.copy_permutations(self.num_copies, hidden // 2)
    return associative_lstm.run_alstm(recurrent, perms, x_proj_TxBxG)


class SequenceClassifier(nn.Module):
  """Embedding → core → H → head_size ReLU → classes, read at the last time step."""
  core: nn.Module
  vocab_size: int
  num_classes: int
  embed_size: int = 100
  head_size: int = 100

  @nn.compact
  def __call__(self, tokens_BxT):
    """Returns logits (B×classes) for integer tokens (B×T)."""
    embedding = self.param('embedding', uniform_fan_in, (self.vocab_size, self.embed_size))
    h_last_BxH = self.core(tokens_BxT, embedding)[-1]
    hidden = nn.relu(nn.Dense(self.head_size, kernel_init=uniform_fan_in, name='head')(h_last_BxH))
    return nn.Dense(self.num_classes, kernel_init=uniform_fan_in, name='logits')(hidden)


def build_core(model_cfg: ml_collections.ConfigDict, fast_decay=None, fast_lr=None) -> nn.Module:
  """The recurrent core named by model.name; fast_decay/fast_lr override the config (sweeps)."""
  name = model_cfg.name
  if name == 'irnn':
    return IRNNCore(model_cfg.hidden_size)
  if name == 'lstm':
    return LSTMCore(model_cfg.hidden_size)
  if name == 'alstm':
    return AssociativeLSTMCore(model_cfg.hidden_size, model_cfg.num_copies)
  return FastWeightsCore(
      hidden_size=model_cfg.hidden_size,
      fast_decay=model_cfg.fast_decay if fast_decay is None else fast_decay,
      fast_lr=0.0 if name == 'ln_irnn' else (model_cfg.fast_lr if fast_lr is None else fast_lr),
      inner_steps=model_cfg.inner_steps,
      layer_norm=model_cfg.layer_norm,
      ln_on_h0=model_cfg.ln_on_h0,
      form=model_cfg.form)


def build_model(model_cfg: ml_collections.ConfigDict, vocab_size: int, num_classes: int,
                fast_decay=None, fast_lr=None) -> SequenceClassifier:
  """The classifier of the config's model.* group."""
  return SequenceClassifier(
      core=build_core(model_cfg, fast_decay, fast_lr),
      vocab_size=vocab_size, num_classes=num_classes,
      embed_size=model_cfg.embed_size, head_size=model_cfg.head_size)
