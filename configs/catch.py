r"""Partially observable Catch with actor-critic agents (Ba et al. 2016, Section 4.4).

    python scripts/train.py --config=configs/catch.py --workdir=runs/catch_fw
    python scripts/sweep.py --config=configs/catch.py --grid='seed=0,1,2 train.learning_rate=1e-3,3e-3'

Variants: '' (N = 16, M = 3), 'n24' (N = 24, M = 5), 'visible' (N = 16, M = 16: the ball
never disappears), 'tiny' (a few updates on a small board, for the tests).
"""

import ml_collections

VERSIONS = {'': (16, 3), 'n24': (24, 5), 'visible': (16, 16), 'tiny': (6, 2)}


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """A fast-weights agent with 64 hidden units on the variant's version of the game."""
  if variant not in VERSIONS:
    raise ValueError(f'unknown variant {variant!r} of catch.py; known: {sorted(VERSIONS)}')
  size, visible = VERSIONS[variant]
  config = ml_collections.ConfigDict()
  config.task = 'fwrnn.tasks.catch'  # The kind of run: an actor-critic agent on Catch.
  config.seed = 0  # Seeds the parameters and the games.

  config.model = ml_collections.ConfigDict()
  config.model.name = 'fast_weights'  # fast_weights | irnn | lstm | alstm | ln_irnn.
  config.model.hidden_size = 64
  config.model.fast_decay = 0.95
  config.model.fast_lr = 0.5          # The paper's λ and η; not yet searched on Catch.
  config.model.inner_steps = 1
  config.model.layer_norm = True
  config.model.ln_on_h0 = False
  config.model.form = 'implicit'
  config.model.num_copies = 4

  config.env = ml_collections.ConfigDict()
  config.env.size = size               # N: the screen is N×N; an episode lasts N − 1 steps.
  config.env.visible_frames = visible  # M: the screen goes blank after M frames.
  config.env.diagonal = False          # The ball also moves sideways and bounces.

  config.train = ml_collections.ConfigDict()
  config.train.num_games = 64          # Games played in parallel; one update per episode.
  config.train.num_updates = 20_000   # Updates (the engine's steps).
  config.train.learning_rate = 1e-3    # Adam; for fast weights on N = 16 above 3e-3 (80.8 against
                                       # 69.5% caught, results/catch_lr/catch.md).
  config.train.grad_clip_norm = 5.0
  config.train.discount = 0.99
  config.train.value_weight = 0.5
  config.train.entropy_weight = 0.01
  config.train.log_every = 100         # Updates between log lines and curve rows.
  config.train.checkpoint_every = 1_000
  config.train.checkpoints_to_keep = 2
  if variant == 'tiny':
    config.model.hidden_size = 8
    config.train.update(num_games=8, num_updates=40, log_every=10, checkpoint_every=20)
  return config


def at_budget(variant: str, budgets: dict, file: str) -> ml_collections.ConfigDict:
  """The variant's config trained for budgets[variant] updates (file: the config file that
  names the budgets, for the error of an unknown variant)."""
  if variant not in budgets:
    raise ValueError(f'unknown variant {variant!r} of {file}; known: {sorted(budgets)}')
  config = get_config(variant)
  config.train.num_updates = budgets[variant]
  return config
