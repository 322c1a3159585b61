"""The classifier of every experiment: the task's input encoder → a recurrent core → head.

The head (H → head_size ReLU → classes, on the last state) and the encoder are the same for
every core, so models differ only in their core.
"""

import flax.linen as nn
import jax
import ml_collections

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.layers.cores import build_core
from fwrnn.layers.inputs import uniform_fan_in


class Classifier(nn.Module):
  """encoder → core → H → head_size ReLU → classes, read at the last time step."""
  encoder: nn.Module
  core: nn.Module
  num_classes: int
  head_size: int = 100

  @nn.compact
  def __call__(self, x, rates: FastDynamics | None = None) -> jax.Array:
    """Logits (B×classes) of a batch of the task's inputs; rates as in layers.FastWeights."""
    h_last_BxH = self.core(self.encoder(x), rates)[:, -1]
    hidden = nn.relu(nn.Dense(self.head_size, kernel_init=uniform_fan_in, name='head')(h_last_BxH))
    return nn.Dense(self.num_classes, kernel_init=uniform_fan_in, name='logits')(hidden)


def build_model(config: ml_collections.ConfigDict, task) -> Classifier:
  """The classifier of the config's model.* group for the config's task."""
  return Classifier(encoder=task.encoder(config), core=build_core(config.model),
                    num_classes=task.num_classes(config), head_size=config.model.head_size)
