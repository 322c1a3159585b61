r"""Associative retrieval (Ba et al. 2016, Section 4.1): fast weights, R = 50, K = 4.

    python scripts/train.py --config=configs/assoc_recall.py

Variants: `configs/assoc_recall.py:tiny` (a seconds-long smoke run used by the tests).
Any field can be overridden, e.g. `--config.model.name=lstm --config.model.hidden_size=20`.

    python scripts/sweep.py --config=configs/assoc_recall.py

trains get_sweep(): 3 learning rates × 3 seeds of this config, as one population.
"""

import ml_collections


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The experiment: model, data and training settings."""
  config = ml_collections.ConfigDict()
  config.task = 'fwrnn.tasks.assoc_recall'  # The task module: data, input encoder, examples.
  config.seed = 0  # Seeds parameters and batch order; the data splits use data.seed.

  config.model = ml_collections.ConfigDict()
  config.model.name = 'fast_weights'  # fast_weights | irnn | lstm | alstm | ln_irnn (η = 0).
  config.model.hidden_size = 50       # R, recurrent hidden units.
  config.model.fast_decay = 0.95      # λ, in (0, 1].
  config.model.fast_lr = 0.5          # η, ≥ 0 (ln_irnn forces 0). The paper's, used by Table 1;
                                      # the 10,000-step λ × η grid favoured 0.25 (results/ablations).
  config.model.inner_steps = 1        # S, inner settling steps; 0 means h(t+1) = ReLU(z).
  config.model.layer_norm = True      # LN on every inner step.
  config.model.ln_on_h0 = False       # Also LN the preliminary h_0 (paper: no).
  config.model.form = 'implicit'      # implicit (attention over past states) | explicit (carry A).
  config.model.num_copies = 4         # alstm: redundant copies of the associative memory.
  config.model.embed_size = 100       # Learned embedding shared by every model.
  config.model.head_size = 100        # Head: H → head_size ReLU → 10 logits.

  config.data = ml_collections.ConfigDict()
  config.data.num_pairs = 4        # K key/value pairs per sequence, 1 … 26.
  config.data.num_train = 100_000  # Fixed splits, all sequences distinct.
  config.data.num_valid = 10_000
  config.data.num_test = 20_000
  config.data.seed = 0             # The splits are a function of this seed alone.

  config.train = ml_collections.ConfigDict()
  config.train.batch_size = 128
  config.train.num_steps = 30_000     # The most steps; patience may stop a run before.
  config.train.patience = 0           # Evaluations without a lower validation error before
                                      # the run stops; 0: train all num_steps.
  config.train.learning_rate = 1e-3   # Adam; chosen for fast weights at R = 20 and 50 in Table 1
                                      # (results/table1/table1.md; 3e-4 at R = 100).
  config.train.grad_clip_norm = 5.0   # Global-norm clipping; 0 turns it off.
  config.train.log_every = 200        # Training metrics to TensorBoard and the terminal.
  config.train.eval_every = 1_000     # Validation and a checkpoint.
  config.train.checkpoints_to_keep = 2

  if variant == 'tiny':
    config.model.hidden_size = 8
    config.model.embed_size = 8
    config.model.head_size = 8
    config.data.num_train = 512
    config.data.num_valid = 128
    config.data.num_test = 128
    config.train.batch_size = 16
    config.train.num_steps = 40
    config.train.log_every = 10
    config.train.eval_every = 20
  elif variant:
    raise ValueError(f"unknown variant {variant!r} of assoc_recall.py; known: 'tiny'")
  return config


def get_sweep(variant: str = '') -> list[dict]:
  """Learning rates × seeds of the config's model: the members of one population."""
  if variant == 'tiny':
    return [{'train.learning_rate': lr, 'seed': seed} for lr in (1e-3, 3e-3) for seed in (0, 1)]
  return [{'train.learning_rate': lr, 'seed': seed}
          for lr in (3e-4, 1e-3, 3e-3) for seed in (0, 1, 2)]
