r"""Table 2 of the paper: MNIST read as 24 glimpses, every model × {50, 100, 200} units.

    python scripts/sweep.py --config=configs/table2.py --config.data.dir=PATH \
        --sweep_dir=results/table2_runs
    python scripts/report.py --table=table2 --sweep_dir=results/table2_runs --out_dir=results

Each model and size trains for each learning rate of LEARNING_RATES and each seed as one
population; fast weights also try each η of FAST_LRS (the paper gives no λ or η for this
experiment), so they have 2 × 6 settings where the others have 2. The four smaller η were
added after the first runs, one at a time, each when the smallest so far had the lowest
validation error (the README's Table 2 section says what was tried). The LN-IRNN (the
fast-weights cell with η = 0: the same layer norm and inner step, no memory) is the control
the paper lacks: what fast weights gain over it is the memory's. The setting with the lowest
mean validation error is reported. Every run stops after the base config's patience (10
evaluations of 1,000 steps without a lower validation error) or at 200,000 steps: the first
ceiling, 50,000, stopped the first run (fast weights at 100 units, rate 1e-3, η 0.5) one
evaluation before its patience would have, so it was raised, clear of where runs stop,
before the others were trained. The populations train model by model, the ConvNet last: on a
CPU its convolutions make it by far the dearest (the README's ConvNet paragraph has the
speeds), so its row is for a GPU.
"""

import ml_collections

from configs import mnist_glimpses

MODELS = ('fast_weights', 'ln_irnn', 'irnn', 'lstm', 'alstm', 'convnet')  # trained in this order
HIDDEN_SIZES = (100, 200, 50)
LEARNING_RATES = (1e-3, 3e-4)
FAST_LRS = (0.5, 0.1, 0.02, 0.005, 0.001, 0.0002)
SEEDS = (0, 1, 2)
# η of the grid's base and of the members that have no fast memory: the paper's, which every
# committed run of this grid recorded (mnist_glimpses.py's default is now the η chosen here).
BASE_FAST_LR = 0.5


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The base of every member: configs/mnist_glimpses.py with a ceiling of 200,000 steps."""
  config = mnist_glimpses.get_config(variant)
  config.model.fast_lr = BASE_FAST_LR
  if not variant:
    config.train.num_steps = 200_000
  return config


def get_sweep(variant: str = '') -> list[dict]:
  """Model × size × learning rate (× η for fast weights) × seed; two small models for 'tiny'."""
  if variant == 'tiny':
    return [{'model.name': name, 'train.learning_rate': lr, 'seed': seed}
            for name in ('irnn', 'convnet') for lr in (1e-3, 3e-3) for seed in (0, 1)]
  members = []
  for name in MODELS:
    for size in HIDDEN_SIZES:
      etas = FAST_LRS if name == 'fast_weights' else (BASE_FAST_LR,)
      members += [{'model.name': name, 'model.hidden_size': size, 'train.learning_rate': lr,
                   'model.fast_lr': eta, 'seed': seed}
                  for lr in LEARNING_RATES for eta in etas for seed in SEEDS]
  return members
