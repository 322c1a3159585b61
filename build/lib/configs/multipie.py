r"""Facial expressions of CMU Multi-PIE as glimpses (Ba et al. 2016, Section 4.3, Table 3).

    python scripts/train.py --config=configs/multipie.py --config.data.dir=PATH

The data are licensed and not shipped: data.dir must hold the layout of
fwrnn/tasks/multipie.py (train/, valid/, test/, one folder per expression, 48×48 faces).
Variants: 'tiny' (a few steps of a small net, for the tests).
"""

import ml_collections

from configs import mnist_glimpses


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """Fast weights, 100 units, on 24 glimpses of 12×12 pixels at two scales."""
  config = mnist_glimpses.get_config('tiny' if variant == 'tiny' else '')
  config.task = 'fwrnn.tasks.multipie'
  data = ml_collections.ConfigDict()
  data.dir = 'data/multipie'          # train/, valid/, test/ with one folder per expression.
  data.layout = 'hierarchical'        # hierarchical | hierarchical_recall | coarse_then_fine
  data.glimpse_size = 12              # G: G×G pixels per glimpse; divides 24.
  config.data = data
  if variant not in ('', 'tiny'):
    raise ValueError(f"unknown variant {variant!r} of multipie.py; known: 'tiny'")
  return config
