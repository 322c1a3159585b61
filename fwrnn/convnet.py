"""The ConvNet baseline of the glimpse experiments (Ba et al. 2016, Table 2): no recurrence.

Three convolutional layers of F feature maps (F = model.hidden_size: 50, 100 or 200 in the
paper's table), shared over the glimpses, turn each glimpse into a feature vector; the vectors
of all glimpses and where they were taken are joined and mapped to F units. The paper gives
only the number of layers and maps; the kernels (3×3), strides (1, 2, 2) and the joining
layer are this implementation's [choice].
"""

import flax.linen as nn
import jax
import jax.numpy as jnp

from fwrnn.cell_parts import FastDynamics
from fwrnn.inputs import Glimpses, uniform_fan_in


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
      maps = nn.relu(nn.Conv(self.feature_maps, (3, 3), strides=stride, padding='SAME',
                             name=f'conv{layer + 1}')(maps))
    per_glimpse = jnp.concatenate([maps.reshape(batch, steps, -1), inputs.where_BxTxK], -1)
    joined = per_glimpse.reshape(batch, -1)
    return nn.relu(nn.Dense(self.feature_maps, kernel_init=uniform_fan_in,
                            name='join')(joined))[:, None]
