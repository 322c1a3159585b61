r"""The controls the paper lacks: depth (η = 0), no layer norm, S, λ × η, and harder tasks.

    python scripts/sweep.py --config=configs/ablations.py
    python scripts/report.py --table=ablations --sweep_dir=sweeps/ablations

Every member trains 10k steps at learning rate 1e-3 with seeds 0, 1, 2. The LN-IRNN depth
control is the fast-weights cell with η = 0 (the same inner loop and layer norm, no memory),
so it trains in the same population as the λ × η grid.
"""

import itertools

import ml_collections

from configs import assoc_recall

SEEDS = (0, 1, 2)
DECAYS = (0.9, 0.95, 0.99)
FAST_LRS = (0.0, 0.25, 0.5, 1.0)
INNER_STEPS = (0, 2, 3)
MODELS = ('irnn', 'lstm', 'alstm', 'fast_weights')
HARDER_PAIRS = (8, 16)
HARDER_SIZES = (50, 100)


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The default experiment, 10k steps."""
  config = assoc_recall.get_config(variant)
  if not variant:
    config.train.num_steps = 10_000
  return config


def get_sweep(variant: str = '') -> list[dict]:
  """Every member of every control, each with every seed."""
  fw = {'model.name': 'fast_weights'}
  settings = [dict(fw, **{'model.hidden_size': 20, 'model.fast_lr': eta}) for eta in (0.0, 0.5)]
  settings += [dict(fw, **{'model.hidden_size': 50, 'model.fast_decay': lam, 'model.fast_lr': eta})
               for lam, eta in itertools.product(DECAYS, FAST_LRS)]
  settings += [dict(fw, **{'model.hidden_size': size, 'model.layer_norm': False})
               for size in (20, 50)]
  settings += [dict(fw, **{'model.hidden_size': 50, 'model.inner_steps': s}) for s in INNER_STEPS]
  settings += [{'model.name': name, 'model.hidden_size': size, 'data.num_pairs': pairs}
               for pairs in HARDER_PAIRS for size in HARDER_SIZES for name in MODELS]
  if variant == 'tiny':
    settings = [dict(s, **{'model.hidden_size': 8}) for s in settings[:3]]
  return [dict(s, seed=seed) for s in settings for seed in SEEDS]
