r"""Catch's Figure 5 on fresh seeds: every core at the setting its search chose, for longer.

    python scripts/sweep.py --config=configs/catch_figure.py --sweep_dir=results/catch_figure_runs/n16
    python scripts/sweep.py --config=configs/catch_figure.py:visible --sweep_dir=results/catch_figure_runs/visible
    python scripts/sweep.py --config=configs/catch_figure.py:n24 --sweep_dir=results/catch_figure_runs/n24
    python scripts/report.py --table=catch --sweep_dir=results/catch_figure_runs --out_dir=results/catch

The settings are those configs/catch_search.py chose on seeds 0–2 (its report:
results/catch/search_n16/ and search_n24/); the figure's seeds 3–5 were not part of the
search. Budgets: 10.08 million environment steps on N = 16 (M = 3), 20.02 million on N = 24
(M = 5); the ball always visible (N = 16, M = 16) at N = 16's chosen settings, for the
search's 4.99 million.
"""

import ml_collections

from configs import catch
from fwrnn.errors import ConfigError

SEEDS = (3, 4, 5)
BUDGETS = {'': 10_500, 'visible': 5_200, 'n24': 13_600}  # updates of 64 games of N − 1 steps
# Each core's chosen setting, from the search's report (criterion: the mean catch rate over the
# last tenth of the search's budget on seeds 0–2); 'visible' trains N = 16's.
CHOSEN = {
    '': {
        'irnn': {'train.learning_rate': 1e-3},
        'ln_irnn': {'train.learning_rate': 1e-3},
        'fast_weights': {'train.learning_rate': 1e-3, 'model.fast_lr': 1e-3,
                         'model.fast_decay': 0.95},
        'lstm': {'train.learning_rate': 1e-3},
        'alstm': {'train.learning_rate': 3e-3},
    },
    'n24': {
        'irnn': {'train.learning_rate': 3e-3},
        'ln_irnn': {'train.learning_rate': 3e-4},
        'fast_weights': {'train.learning_rate': 3e-3, 'model.fast_lr': 0.5,
                         'model.fast_decay': 0.99},
        'lstm': {'train.learning_rate': 1e-2},
        'alstm': {'train.learning_rate': 1e-2},
    },
}


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """configs/catch.py's version of the game at the figure's budget."""
  return catch.at_budget(variant, BUDGETS, 'catch_figure.py')


def get_sweep(variant: str = '') -> list[dict]:
  """Every core at its chosen setting × the fresh seeds."""
  chosen = CHOSEN['' if variant == 'visible' else variant]
  if chosen is None:
    raise ConfigError(f'the search of variant {variant!r} has not chosen its settings yet: run '
                     'configs/catch_search.py:n24 and fill in CHOSEN')
  return [{'model.name': core, **fields, 'seed': seed}
          for core, fields in chosen.items() for seed in SEEDS]
