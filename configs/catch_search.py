r"""The search behind Catch's Figure 5: every core given the same learning rates, on seeds 0–2.

    python scripts/sweep.py --config=configs/catch_search.py --sweep_dir=results/catch_search_runs/n16
    python scripts/sweep.py --config=configs/catch_search.py:n24 --sweep_dir=results/catch_search_runs/n24
    python scripts/report.py --table=catch_search --sweep_dir=results/catch_search_runs/n16 \
        --out_dir=results/catch/search_n16

Every core (IRNN, LSTM, A-LSTM, fast weights, and the LN-IRNN: the fast-weights cell without
its memory) tries LEARNING_RATES; fast weights also try every η in FAST_LRS and λ in
FAST_DECAYS, the extra freedom its memory brings. The criterion, fixed before the search ran:
a setting's mean catch rate over the last tenth of the search budget, averaged over seeds 0–2;
each core's best setting is then trained on fresh seeds (configs/catch_figure.py), so that the
figure is not the best of the search. Variants: '' (N = 16, M = 3) and 'n24' (N = 24, M = 5).
"""

import ml_collections

from configs import catch

CORES = ('irnn', 'ln_irnn', 'fast_weights', 'lstm', 'alstm')
SEEDS = (0, 1, 2)
LEARNING_RATES = (3e-4, 1e-3, 3e-3, 1e-2)
FAST_LRS = (1e-3, 1e-2, 0.1, 0.5)  # η, on a log scale down to 1e-3
FAST_DECAYS = (0.95, 0.99)         # λ: the paper's, and a memory that fades 4 times slower
# Updates of the search: 4.99 million environment steps on N = 16, 6.03 million on N = 24
# (an update plays 64 games of N − 1 steps).
BUDGETS = {'': 5_200, 'n24': 4_100}


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """configs/catch.py's version of the game, at the search's budget."""
  return catch.at_budget(variant, BUDGETS, 'catch_search.py')


def get_sweep(variant: str = '') -> list[dict]:
  """Every core × learning rate × seed; for fast weights also × η × λ."""
  del variant  # both versions search the same grid
  members = []
  for core in CORES:
    memory = ([dict()] if core != 'fast_weights' else
              [{'model.fast_lr': eta, 'model.fast_decay': decay}
               for eta in FAST_LRS for decay in FAST_DECAYS])
    for rate in LEARNING_RATES:
      for fields in memory:
        for seed in SEEDS:
          members.append({'model.name': core, 'train.learning_rate': rate, **fields,
                          'seed': seed})
  return members
