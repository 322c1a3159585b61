r"""MNIST read as 24 glimpses of 7×7 pixels at two scales (Ba et al. 2016, Section 4.2, Table 2).

    python scripts/train.py --config=configs/mnist_glimpses.py --config.data.dir=PATH

data.dir holds the four standard MNIST files (gzipped or not); --config.data.download=True
fetches any that are missing from the standard mirrors, checked against their MD5 sums.

Variants: `configs/mnist_glimpses.py:tiny` (a few steps of a small net, for the tests).
"""

import ml_collections

from configs import assoc_recall


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The experiment: fast weights, 100 units, trained until validation stops improving."""
  config = assoc_recall.get_config('tiny' if variant == 'tiny' else '')
  config.task = 'fwrnn.tasks.mnist_glimpses'
  del config.model['embed_size']  # the glimpses enter the core as they are
  config.model.hidden_size = 100

  config.data = ml_collections.ConfigDict()
  config.data.dir = 'data/mnist'         # The four MNIST files; data/ is ignored by git.
  config.data.download = False           # Fetch missing files from the standard mirrors.
  config.data.num_valid = 5_000          # Held out of the 60,000 training images.
  config.data.seed = 0                   # The validation images are a function of this seed.
  config.data.layout = 'hierarchical'    # hierarchical | hierarchical_recall | coarse_then_fine
  config.data.glimpse_size = 7           # G: G×G pixels per glimpse; divides 14.

  config.train.num_steps = 100_000       # The most steps (about 230 epochs of 55,000).
  config.train.patience = 10             # Evaluations (of eval_every steps) without a lower
  config.train.eval_every = 1_000        # validation error before the run stops.

  if variant == 'tiny':
    config.model.hidden_size = 8
    config.data.num_valid = 100
    config.train.num_steps = 20
    config.train.eval_every = 10
    config.train.patience = 0
  elif variant:
    raise ValueError(f"unknown variant {variant!r} of mnist_glimpses.py; known: 'tiny'")
  return config
