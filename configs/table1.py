r"""Table 1 of the paper: every model × R ∈ {20, 50, 100} on associative retrieval, K = 4.

    python scripts/sweep.py --config=configs/table1.py
    python scripts/report.py --table=table1 --sweep_dir=sweeps/table1

Each model and size trains for each learning rate of LEARNING_RATES and each seed as one
population (the rate is chosen afterwards on the validation split); 4 × 3 × 2 × 3 = 72 runs.
At R = 100, where fast weights were unstable at 1e-3 and stuck at 3e-3, every model also
tries LOW_RATE_AT_100: 12 more runs.
"""

import ml_collections

from configs import assoc_recall

MODELS = ('irnn', 'lstm', 'alstm', 'fast_weights')
HIDDEN_SIZES = (20, 50, 100)
LEARNING_RATES = (1e-3, 3e-3)
LOW_RATE_AT_100 = 3e-4
SEEDS = (0, 1, 2)


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The base of every member: the default experiment, trained for 20k steps."""
  config = assoc_recall.get_config(variant)
  if not variant:
    config.train.num_steps = 20_000
  return config


def get_sweep(variant: str = '') -> list[dict]:
  """Model × R × learning rate × seed, or a two-model miniature for the 'tiny' variant."""
  if variant == 'tiny':
    return [{'model.name': name, 'model.hidden_size': 8, 'train.learning_rate': lr, 'seed': seed}
            for name in ('irnn', 'fast_weights') for lr in (1e-3, 3e-3) for seed in (0, 1)]
  rates = lambda size: LEARNING_RATES + ((LOW_RATE_AT_100,) if size == 100 else ())
  return [{'model.name': name, 'model.hidden_size': size, 'train.learning_rate': lr, 'seed': seed}
          for name in MODELS for size in HIDDEN_SIZES for lr in rates(size) for seed in SEEDS]
