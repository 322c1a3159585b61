r"""MNIST read as 24 glimpses of 7×7 pixels at two scales (Ba et al. 2016, Section 4.2, Table 2).

    python scripts/train.py --config=configs/mnist_glimpses.py --config.data.dir=PATH

data.dir holds the four standard MNIST files (gzipped or not); --config.data.download=True
fetches any that are missing from the standard mirrors, checked against their MD5 sums.

Variants: `configs/mnist_glimpses.py:tiny` (a few steps of a small net, for the tests).
"""

import ml_collections


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The experiment: fast weights, 100 units, trained until validation stops improving."""
  config = ml_collections.ConfigDict()
  config.task = 'fwrnn.tasks.mnist_glimpses'  # The task module: data, glimpses, examples.
  config.seed = 0  # Seeds parameters and batch order; the validation split uses data.seed.

  config.model = ml_collections.ConfigDict()  # The glimpses enter the core as they are.
  config.model.name = 'fast_weights'  # fast_weights | irnn | lstm | alstm | ln_irnn | convnet.
  config.model.hidden_size = 100      # R, recurrent hidden units (ConvNet: feature maps).
  config.model.fast_decay = 0.95      # λ, in (0, 1].
  config.model.fast_lr = 0.005        # η, ≥ 0 (ln_irnn forces 0). Chosen on validation at 100
                                      # units in Table 2's grid (results/table2/table2.md: η
                                      # 0.005 of 0.001–0.5 at rate 1e-3); the paper's 0.5 ranked last.
  config.model.inner_steps = 1        # S, inner settling steps.
  config.model.layer_norm = True      # LN on every inner step.
  config.model.ln_on_h0 = False       # Also LN the preliminary h_0 (paper: no).
  config.model.form = 'implicit'      # implicit (attention over past states) | explicit (carry A).
  config.model.num_copies = 4         # alstm: redundant copies of the associative memory.
  config.model.head_size = 100        # Head: H → head_size ReLU → 10 logits.

  config.data = ml_collections.ConfigDict()
  config.data.dir = 'data/mnist'         # The four MNIST files; data/ is ignored by git.
  config.data.download = False           # Fetch missing files from the standard mirrors.
  config.data.num_valid = 5_000          # Held out of the 60,000 training images.
  config.data.seed = 0                   # The validation images are a function of this seed.
  config.data.layout = 'hierarchical'    # hierarchical | hierarchical_recall | coarse_then_fine
  config.data.glimpse_size = 7           # G: G×G pixels per glimpse; divides 14.

  config.train = ml_collections.ConfigDict()
  config.train.batch_size = 128
  config.train.num_steps = 100_000       # The most steps (about 230 epochs of 55,000).
  config.train.patience = 10             # Evaluations (of eval_every steps) without a lower
  config.train.eval_every = 1_000        # validation error before the run stops.
  config.train.learning_rate = 1e-3      # Adam; chosen for fast weights at 100 units in Table 2.
  config.train.grad_clip_norm = 5.0      # Global-norm clipping; 0 turns it off.
  config.train.log_every = 200           # Training metrics to TensorBoard and the terminal.
  config.train.checkpoints_to_keep = 2

  if variant == 'tiny':
    config.model.update(hidden_size=8, head_size=8)
    config.data.num_valid = 100
    config.train.update(batch_size=16, num_steps=20, eval_every=10, log_every=10, patience=0)
  elif variant:
    raise ValueError(f"unknown variant {variant!r} of mnist_glimpses.py; known: 'tiny'")
  return config
