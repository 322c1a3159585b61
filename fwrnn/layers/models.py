"""The classifier of every experiment: the task's input encoder → a recurrent core → head.

The head (H → head_size ReLU → classes, on the last state) and the encoder are the same for
every core, so models differ only in their core.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.layers.cores import build_core
from fwrnn.layers.inputs import uniform_fan_in


class Classifier(nn.Module):
  """encoder → core → H → head_size ReLU (none if head_size is 0) → classes, read at the last
  time step or at given positions."""
  encoder: nn.Module
  core: nn.Module
  num_classes: int
  head_size: int = 100

  @nn.compact
  def __call__(self, x, rates: FastDynamics | None = None, positions=None) -> jax.Array:
    """Logits of a batch of the task's inputs: B×classes, read at the last step, or with
    positions (B×K) B×K×classes, read there. rates as in layers.FastWeights."""
    h_BxTxH = self.core(self.encoder(x), rates)
    if positions is None:
      read = h_BxTxH[:, -1]
    else:
      read = jnp.take_along_axis(h_BxTxH, positions[..., None], axis=1)
    if self.head_size:
      read = nn.relu(nn.Dense(self.head_size, kernel_init=uniform_fan_in, name='head')(read))
    return nn.Dense(self.num_classes, kernel_init=uniform_fan_in, name='logits')(read)


def build_model(config: ml_collections.ConfigDict, task) -> Classifier:
  """The classifier of the config's model.* group for the config's task."""
  return Classifier(encoder=task.encoder(config), core=build_core(config.model),
                    num_classes=task.num_classes(config), head_size=config.model.head_size)
