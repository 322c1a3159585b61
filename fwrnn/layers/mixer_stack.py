"""A stack of sequence-mixing layers, the body of Zoology's models: each layer adds a mixer of
its normalised input to it (x + mixer(LN(x))), optionally then an MLP the same way
(x + MLP(LN(x))); a last LayerNorm. Any mixer fits: softmax attention, the descendants
(linear attention, DeltaNet, Gated DeltaNet), the fast-weights layer or an LSTM.
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.layers.inputs import EmbeddedTokens
from fwrnn.layers.descendants import CausalConvolution

MixerFactory = Callable[[], nn.Module]  # a new mixer (B, T, D) → (B, T, D) for each layer


class GatedConvolution(nn.Module):
  """Zoology's BaseConv with a short kernel: u + conv(u) ⊙ (W u + b), the convolution causal
  and depthwise over `size` steps. Zoology puts one before every mixer (its Hybrid layers)."""
  size: int = 3

  @nn.compact
  def __call__(self, u):
    conv = CausalConvolution(self.size, name='conv')
    return u + conv(u) * nn.Dense(u.shape[-1], name='projection')(u)


class MixerStack(nn.Module):
  """num_layers residual layers of the mixer that `make_mixer` builds, width D throughout;
  with conv_first, Zoology's layout: the even layers are GatedConvolution, the odd ones the
  mixer (two layers: a convolution, then the mixer)."""
  make_mixer: MixerFactory
  num_layers: int = 2
  mlp: bool = False
  takes_rates: bool = False  # the mixer is a fast-weights layer: pass it the population's η, λ
  conv_first: bool = False

  @nn.compact
  def __call__(self, inputs, rates: FastDynamics | None = None) -> jax.Array:
    """The B×T×D states of the last layer, after a LayerNorm."""
    x = jnp.take(inputs.table_VxD, inputs.tokens_BxT, axis=0) if isinstance(
        inputs, EmbeddedTokens) else inputs
    width = x.shape[-1]
    for layer in range(self.num_layers):
      normed = nn.LayerNorm(name=f'mixer_norm_{layer}')(x)
      if self.conv_first and layer % 2 == 0:
        x = x + GatedConvolution(name=f'conv_{layer}')(normed)
      else:
        mixer = self.make_mixer()
        x = x + (mixer(normed, rates) if self.takes_rates else mixer(normed))
      if self.mlp:
        normed = nn.LayerNorm(name=f'mlp_norm_{layer}')(x)
        hidden = nn.gelu(nn.Dense(4 * width, name=f'mlp_in_{layer}')(normed))
        x = x + nn.Dense(width, name=f'mlp_out_{layer}')(hidden)
    return nn.LayerNorm(name='final_norm')(x)

