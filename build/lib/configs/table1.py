r"""Table 1 of the paper: every model × R ∈ {20, 50, 100} on associative retrieval, K = 4,
each run trained until its validation error stops falling.

    python scripts/sweep.py --config=configs/table1.py --sweep_dir=results/table1_runs
    python scripts/report.py --table=table1 --sweep_dir=results/table1_runs --out_dir=results

Each model and size trains for each learning rate of LEARNING_RATES and each seed as one
population (the rate is chosen afterwards on the validation split); 4 × 3 × 2 × 3 = 72 runs.
At R = 100, where fast weights were unstable at 1e-3 and stuck at 3e-3, every model also
tries LOW_RATE_AT_100: 12 more runs. A run stops after PATIENCE evaluations (of 1,000 steps)
without a lower validation error, or at NUM_STEPS (first 100,000, raised to 200,000 when eight
runs, three of them at the chosen rates, reached it before their patience ran out, and to
400,000 when the three LSTM runs at R = 20 and rate 1e-3 reached 200,000 still improving; a
longer ceiling resumes the runs that reached the old one). The IRNN, ten times cheaper per
step and still improving at 100,000 updates at R = 50, got IRNN_NUM_STEPS while the base
ceiling was 100,000; its members' names carry it, so it stays. The sweep's small files (configs,
results, curves) are kept in results/table1_runs so that it resumes on another machine.

Variants: '20k_steps' (every run 20,000 steps, no early stopping: the first Table 1) and
'tiny' (a two-model miniature for the tests).
"""

import ml_collections

from configs import assoc_recall

MODELS = ('lstm', 'fast_weights', 'irnn', 'alstm')  # the A-LSTM, dearest per step, last
HIDDEN_SIZES = (50, 20, 100)  # R = 50 (Figure 2) first, R = 100 (the dearest) last
LEARNING_RATES = (1e-3, 3e-3)
LOW_RATE_AT_100 = 3e-4
SEEDS = (0, 1, 2)
NUM_STEPS = 400_000
IRNN_NUM_STEPS = 300_000
PATIENCE = 20


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The base of every member: the default experiment with early stopping, or a variant."""
  config = assoc_recall.get_config('tiny' if variant == 'tiny' else '')
  if variant == '':
    config.train.num_steps = NUM_STEPS
    config.train.patience = PATIENCE
  elif variant == '20k_steps':
    config.train.num_steps = 20_000
  elif variant != 'tiny':
    raise ValueError(f"unknown variant {variant!r} of table1.py; known: '20k_steps', 'tiny'")
  return config


def get_sweep(variant: str = '') -> list[dict]:
  """Model × R × learning rate × seed, or a two-model miniature for the 'tiny' variant."""
  if variant == 'tiny':
    return [{'model.name': name, 'model.hidden_size': 8, 'train.learning_rate': lr, 'seed': seed}
            for name in ('irnn', 'fast_weights') for lr in (1e-3, 3e-3) for seed in (0, 1)]
  rates = lambda size: LEARNING_RATES + ((LOW_RATE_AT_100,) if size == 100 else ())
  ceiling = lambda name: ({'train.num_steps': IRNN_NUM_STEPS}
                          if name == 'irnn' and variant == '' else {})
  return [{'model.name': name, 'model.hidden_size': size, 'train.learning_rate': lr,
           **ceiling(name), 'seed': seed}
          for size in HIDDEN_SIZES for name in MODELS for lr in rates(size) for seed in SEEDS]
