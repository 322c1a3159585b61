"""Flax layers of the fast-weights cell's descendants, each a sequence mixer (B, T, D) → (B, T, D)
usable in a user's model like `FastWeights`: linear attention, DeltaNet, Gated DeltaNet, and
causal softmax attention as the ceiling.

Each linear layer projects the input to heads of queries, keys and values (optionally through
a short causal depthwise convolution, as in flash-linear-attention and Zoology), runs one of
the recurrences of `linear_recurrences` per head in its recurrent or chunkwise form, and
projects the heads back to D.
"""

import functools
import math

import flax.linen as nn
import jax
import jax.numpy as jnp

from fwrnn.layers import linear_recurrences

FORMS = ('chunkwise', 'recurrent')
FEATURE_MAPS = ('identity', 'elu1', 'relu_ln')


def _check(layer: str, name: str, value, allowed) -> None:
  if value not in allowed:
    raise ValueError(f'{layer}({name}={value!r}): {name} must be one of {", ".join(map(repr, allowed))}')


def _check_positive(layer: str, **values) -> None:
  for name, value in values.items():
    if not (isinstance(value, int) and value >= 1):
      raise ValueError(f'{layer}({name}={value!r}): {name} must be an integer >= 1')


class CausalConvolution(nn.Module):
  """A causal depthwise convolution over time of `size` steps, (B, T, D) → (B, T, D):
  y_t = b + Σ_j w_j ⊙ x_{t−size+1+j}, written as `size` shifted products (XLA's grouped
  convolution and its gradient are several times slower on a CPU)."""
  size: int

  @nn.compact
  def __call__(self, x):
    length, features = x.shape[-2:]
    kernel = self.param('kernel', nn.initializers.lecun_normal(), (self.size, features))
    bias = self.param('bias', nn.initializers.zeros, (features,))
    padded = jnp.pad(x, [(0, 0)] * (x.ndim - 2) + [(self.size - 1, 0), (0, 0)])
    return bias + sum(padded[..., j:j + length, :] * kernel[j] for j in range(self.size))


class ShortConvolution(nn.Module):
  """A causal depthwise convolution over time of `size` steps, then SiLU."""
  size: int

  @nn.compact
  def __call__(self, x):
    return nn.silu(CausalConvolution(self.size, name='conv')(x))


def _heads(x, num_heads: int):
  """(B, T, H·d) → (B, H, T, d)."""
  batch, length, width = x.shape
  return x.reshape(batch, length, num_heads, width // num_heads).transpose(0, 2, 1, 3)


def _merge(y):
  """(B, H, T, d) → (B, T, H·d)."""
  batch, heads, length, width = y.shape
  return y.transpose(0, 2, 1, 3).reshape(batch, length, heads * width)


def _project(x, num_heads: int, short_conv: int, names=('q', 'k', 'v')):
  """Queries, keys and values of x, each (B, H, T, D/H)."""
  width = x.shape[-1]
  if x.ndim != 3 or width % num_heads:
    raise ValueError(f'the input must be (batch, time, features) with features a multiple of '
                     f'num_heads={num_heads}; got shape {x.shape}')
  projected = []
  for name in names:
    y = nn.Dense(width, use_bias=False, name=f'{name}_proj')(x)
    if short_conv:
      y = ShortConvolution(short_conv, name=f'{name}_conv')(y)
    projected.append(_heads(y, num_heads))
  return projected


def _mix(q, k, v, beta, log_alpha, erase: bool, form: str, chunk: int):
  """The recurrence over every batch row and head: (B, H, T, d_v)."""
  if form == 'recurrent':
    run = functools.partial(linear_recurrences.recurrent, erase=erase)
  else:
    run = functools.partial(linear_recurrences.chunkwise, erase=erase, chunk=chunk)
  per_head = lambda *arrays: run(*arrays)[0]
  return jax.vmap(jax.vmap(per_head))(q, k, v, beta, log_alpha)


def _l2_normalised(x):
  return x / jnp.sqrt(jnp.sum(x * x, axis=-1, keepdims=True) + 1e-6)


class LinearAttention(nn.Module):
  """Causal linear attention (Katharopoulos et al. 2020): S_t = S_{t−1} + φ(k_t) v_tᵀ and
  o_t = S_tᵀ φ(q_t), divided by φ(q_t)ᵀ Σ φ(k_i) if `normalize`. φ is 'elu1' (elu + 1, the
  paper's), 'identity' (no feature map; then there is no normaliser) or 'relu_ln' (ReLU of a
  LayerNorm over each head, as the 2016 cell's h).

  Two options take it toward Ba et al.'s memory A_t = λ A_{t−1} + η h_t h_tᵀ, one difference
  at a time: `decay`, a fixed λ by which the memory (and the normaliser) fades every step, and
  `tied`, queries, keys and values all one projection (v = φ(k) = φ(q), as A reads and writes
  with the same h)."""
  num_heads: int = 2
  feature_map: str = 'elu1'
  normalize: bool = True
  form: str = 'chunkwise'
  chunk: int = 64
  short_conv: int = 0
  decay: float = 1.0
  tied: bool = False

  def __post_init__(self):
    _check('LinearAttention', 'feature_map', self.feature_map, FEATURE_MAPS)
    _check('LinearAttention', 'form', self.form, FORMS)
    _check_positive('LinearAttention', num_heads=self.num_heads, chunk=self.chunk)
    if self.normalize and self.feature_map == 'identity':
      raise ValueError("LinearAttention(feature_map='identity', normalize=True): without a "
                       'feature map the normaliser can be zero; use normalize=False')
    if not (isinstance(self.decay, (int, float)) and 0 < self.decay <= 1):
      raise ValueError(f'LinearAttention(decay={self.decay!r}): decay must be a number in (0, 1]')
    super().__post_init__()

  def _feature(self, x, name: str):
    if self.feature_map == 'elu1':
      return nn.elu(x) + 1
    if self.feature_map == 'relu_ln':
      return nn.relu(nn.LayerNorm(name=f'{name}_norm')(x))
    return x

  @nn.compact
  def __call__(self, x):
    if self.tied:
      (shared,) = _project(x, self.num_heads, self.short_conv, names=('qkv',))
      q = k = v = self._feature(shared, 'qkv')
    else:
      q, k, v = _project(x, self.num_heads, self.short_conv)
      q, k = self._feature(q, 'q'), self._feature(k, 'k')
    if self.normalize:  # the normaliser is the recurrence's output on a value of ones
      v = jnp.concatenate([v, jnp.ones(v.shape[:-1] + (1,), v.dtype)], axis=-1)
    ones = jnp.ones(q.shape[:-1], q.dtype)
    log_alpha = jnp.full_like(ones, math.log(self.decay))
    y = _mix(q, k, v, ones, log_alpha, False, self.form, self.chunk)
    if self.normalize:
      y = y[..., :-1] / (y[..., -1:] + 1e-6)
    return nn.Dense(x.shape[-1], use_bias=False, name='out_proj')(_merge(y))


class DecayGates(nn.Module):
  """log α_t = −a·softplus(w·x_t + b) of each head, (B, T, D) → (B, T, H), initialised as
  Mamba-2's and Yang et al.'s: a uniform in [1, 16], softplus(b) log-uniform in [0.001, 0.1]."""
  num_heads: int

  @nn.compact
  def __call__(self, x):
    def log_rate_init(key, shape):
      return jnp.log(jax.random.uniform(key, shape, minval=1.0, maxval=16.0))

    def step_bias_init(key, shape):  # softplus⁻¹(dt) = dt + log(1 − e^(−dt))
      log_dt = jax.random.uniform(key, shape, minval=math.log(1e-3), maxval=math.log(1e-1))
      dt = jnp.exp(log_dt)
      return dt + jnp.log(-jnp.expm1(-dt))

    log_rate = self.param('log_rate', log_rate_init, (self.num_heads,))
    step_bias = self.param('step_bias', step_bias_init, (self.num_heads,))
    gate = nn.Dense(self.num_heads, use_bias=False, name='proj')(x)
    return -jnp.exp(log_rate) * nn.softplus(gate + step_bias)


class HeadNorm(nn.Module):
  """RMSNorm of each head's output (B, H, T, d) over d, with a gain of d numbers shared by the
  heads: flash-linear-attention's `o_norm`."""
  epsilon: float = 1e-5

  @nn.compact
  def __call__(self, y):
    gain = self.param('scale', nn.initializers.ones, (y.shape[-1],))
    return gain * y * jax.lax.rsqrt(jnp.mean(y * y, axis=-1, keepdims=True) + self.epsilon)


class DeltaNet(nn.Module):
  """The delta rule (Schlag et al. 2021; Yang et al. 2024): S_t = (I − β_t k_t k_tᵀ) S_{t−1} +
  β_t k_t v_tᵀ, o_t = S_tᵀ q_t, with queries and keys L2-normalised, β_t = σ(w_β·x_t) per
  head, and each head's output RMS-normalised before the output projection (HeadNorm), as in
  flash-linear-attention's layers, which Zoology runs. With `gated`, Gated DeltaNet (Yang et
  al. 2025): the state also decays by α_t = exp(−a·softplus(w_α·x_t + b)) per head
  (DecayGates: heads that start with memories from under a step to about a thousand steps)."""
  num_heads: int = 2
  gated: bool = False
  form: str = 'chunkwise'
  chunk: int = 64
  short_conv: int = 4

  def __post_init__(self):
    _check('DeltaNet', 'form', self.form, FORMS)
    _check_positive('DeltaNet', num_heads=self.num_heads, chunk=self.chunk)
    super().__post_init__()

  @nn.compact
  def __call__(self, x):
    q, k, v = _project(x, self.num_heads, self.short_conv)
    q, k = _l2_normalised(q), _l2_normalised(k)
    beta = nn.sigmoid(nn.Dense(self.num_heads, name='beta_proj')(x)).transpose(0, 2, 1)
    if self.gated:
      log_alpha = DecayGates(self.num_heads, name='gates')(x).transpose(0, 2, 1)
    else:
      log_alpha = jnp.zeros_like(beta)
    y = HeadNorm(name='head_norm')(_mix(q, k, v, beta, log_alpha, True, self.form, self.chunk))
    return nn.Dense(x.shape[-1], use_bias=False, name='out_proj')(_merge(y))


class SoftmaxAttention(nn.Module):
  """Causal multi-head softmax attention: the ceiling the recurrences are measured against."""
  num_heads: int = 2

  def __post_init__(self):
    _check_positive('SoftmaxAttention', num_heads=self.num_heads)
    super().__post_init__()

  @nn.compact
  def __call__(self, x):
    mask = nn.make_causal_mask(jnp.ones(x.shape[:2]))
    return nn.MultiHeadDotProductAttention(num_heads=self.num_heads, use_bias=False)(x, mask=mask)


class GatedDeltaNet(DeltaNet):
  """Gated DeltaNet (Yang et al. 2025): DeltaNet whose state also decays by a gate α_t."""
  gated: bool = True
