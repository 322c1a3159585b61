"""The ConvNet baseline of the glimpse experiments (Ba et al. 2016, Table 2): no recurrence.

Three convolutional layers of F feature maps (F = model.hidden_size: 50, 100 or 200 in the
paper's table), shared over the glimpses, turn each glimpse into a feature vector; the vectors
of all glimpses and where they were taken are joined and mapped to F units. The paper gives
only the number of layers and maps; the kernels (3×3), strides (1, 2, 2) and the joining
layer are this implementation's [choice].

Each convolution is written as shifted slices and one matrix product (SlicedConv): XLA's own
convolution runs many times slower on a CPU inside a loop (jax-ml/jax#12868), and training
runs its steps inside one.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.layers.inputs import Glimpses, uniform_fan_in


class SlicedConv(nn.Module):
  """A 3×3 convolution of square maps with 'SAME' padding, as nn.Conv computes it (the same
  parameters and initialisation): the nine shifted, strided views of the padded maps, joined
  on the channel axis, times the kernel."""
  features: int
  stride: int

  @nn.compact
  def __call__(self, maps_NxHxWxC: jax.Array) -> jax.Array:
    channels = maps_NxHxWxC.shape[-1]
    kernel = self.param('kernel', nn.initializers.lecun_normal(), (3, 3, channels, self.features))
    bias = self.param('bias', nn.initializers.zeros_init(), (self.features,))
    size, stride = maps_NxHxWxC.shape[1], self.stride
    out = -(-size // stride)
    pad = max((out - 1) * stride + 3 - size, 0)
    padded = jnp.pad(maps_NxHxWxC, ((0, 0), (pad // 2, pad - pad // 2),
                                    (pad // 2, pad - pad // 2), (0, 0)))
    span = (out - 1) * stride + 1
    views = [padded[:, dy:dy + span:stride, dx:dx + span:stride] for dy in range(3)
             for dx in range(3)]
    return jnp.concatenate(views, -1) @ kernel.reshape(9 * channels, self.features) + bias


class GlimpseConvNet(nn.Module):
  """Glimpses (B×T×G×G pixels, B×T×K where) → B×1×F: one state for the head to read."""
  feature_maps: int

  @nn.compact
  def __call__(self, inputs: Glimpses, rates: FastDynamics | None = None) -> jax.Array:
    del rates
    if not isinstance(inputs, Glimpses):
      raise TypeError('the convnet core reads image glimpses (a task whose encoder gives '
                      'Glimpses), not a sequence of vectors')
    batch, steps, size, _ = inputs.pixels_BxTxGxG.shape
    maps = inputs.pixels_BxTxGxG.reshape(batch * steps, size, size, 1)
    for layer, stride in enumerate((1, 2, 2)):
      maps = nn.relu(SlicedConv(self.feature_maps, stride, name=f'conv{layer + 1}')(maps))
    per_glimpse = jnp.concatenate([maps.reshape(batch, steps, -1), inputs.where_BxTxK], -1)
    joined = per_glimpse.reshape(batch, -1)
    return nn.relu(nn.Dense(self.feature_maps, kernel_init=uniform_fan_in,
                            name='join')(joined))[:, None]
