r"""Multi-query associative recall (Zoology's MQAR): fast weights beside their descendants.

    python scripts/train.py --config=configs/mqar.py --config.model.name=deltanet
    python scripts/sweep.py --config=configs/mqar.py:cpu --sweep_dir=results/mqar_runs
    python scripts/sweep.py --config=configs/mqar.py:zoology     # Zoology's grid, for a GPU
    python scripts/sweep.py --config=configs/mqar.py:fast_weights_search \
        --sweep_dir=results/mqar_fw_search_runs                    # the cell's η and λ
    python scripts/sweep.py --config=configs/mqar.py:memory_ablation \
        --sweep_dir=results/mqar_ablation_runs                     # why the cell misses

A model is Zoology's: a token embedding, model.num_layers residual layers x + layer(LN(x))
alternating a gated short convolution and the mixer model.name (softmax_attention |
linear_attention | deltanet | gated_deltanet | fast_weights | lstm), a last LayerNorm, and the
logits of the next token read at the queries only. Variants: '' (L = 64, kv = 4, V = 8,192,
width 64), 'tiny' (for the tests), 'cpu' and 'zoology', whose get_sweep are the grids, and
'fast_weights_search' and 'memory_ablation', the two studies of the fast-weights cell.
"""

import ml_collections

from fwrnn.errors import ConfigError


def get_config(variant: str = '') -> ml_collections.ConfigDict:
  """The experiment: model, data and training settings."""
  config = ml_collections.ConfigDict()
  config.task = 'fwrnn.tasks.mqar'
  config.seed = 0  # Seeds parameters and batch order; the data splits use data.seed.

  config.model = ml_collections.ConfigDict()
  config.model.name = 'gated_deltanet'
  config.model.hidden_size = 64       # D, the width of every layer.
  config.model.num_layers = 2         # Zoology's.
  config.model.conv_first = True      # Zoology's layout: a gated short convolution, then the mixer.
  config.model.num_heads = 2          # Zoology's, for every mixer with heads.
  config.model.mlp = False            # Zoology's MQAR models have none (an identity state mixer).
  config.model.short_conv = 4         # Causal convolution of q, k, v (linear mixers); 0: none.
  config.model.feature_map = 'elu1'   # linear_attention: elu1 (normalised) | identity (not) |
                                      # relu_ln (normalised; the 2016 cell's h)
  config.model.decay = 1.0            # linear_attention: a fixed λ of its memory; 1: none.
  config.model.tied_qkv = False       # linear_attention: q = k = v, one projection (as A = Σ h hᵀ).
  config.model.chunk_form = 'chunkwise'  # linear mixers: chunkwise | recurrent (the reference).
  config.model.chunk = 64             # Steps per chunk of the chunkwise form.
  config.model.fast_decay = 0.95      # fast_weights: λ, η, S and the rest as in the paper.
  config.model.fast_lr = 0.5
  config.model.inner_steps = 1
  config.model.layer_norm = True
  config.model.ln_on_h0 = False
  config.model.form = 'implicit'
  config.model.num_copies = 4         # (alstm only; not a mixer here.)
  config.model.head_size = 0          # The next token's logits straight from the last norm.

  config.data = ml_collections.ConfigDict()
  config.data.vocab_size = 8_192      # V: keys from the first half, values from the second.
  config.data.length = 64             # L.
  config.data.num_pairs = 4           # kv, every key queried once.
  config.data.power_a = 0.01          # Zoology's power law of the queries' gaps.
  config.data.num_train = 100_000     # Zoology's for (64, 4).
  config.data.num_valid = 1_000
  config.data.num_test = 1_000
  config.data.seed = 0
  config.data.longer_tests = 2        # Test slices of 2L and 4L tokens (length generalisation).

  config.train = ml_collections.ConfigDict()
  config.train.batch_size = 256       # Zoology's.
  config.train.num_steps = 12_500     # 32 epochs of 100,000 (Zoology's max_epochs).
  config.train.patience = 0
  config.train.target_error = 1.0     # Stop once the validation error is at most 1% (Zoology's
                                      # early stop at 99% accuracy); 0: never.
  config.train.learning_rate = 1e-3
  config.train.grad_clip_norm = 1.0
  config.train.log_every = 100
  config.train.eval_every = 500
  config.train.checkpoints_to_keep = 2

  if variant == 'tiny':
    config.model.hidden_size = 16
    config.model.chunk = 8
    config.data.vocab_size = 64
    config.data.length = 24
    config.data.num_pairs = 3
    config.data.num_train = 512
    config.data.num_valid = 64
    config.data.num_test = 64
    config.data.longer_tests = 1
    config.train.batch_size = 32
    config.train.num_steps = 40
    config.train.log_every = 10
    config.train.eval_every = 20
  elif variant not in ('', *GRIDS, *VARIANT_SWEEPS):
    raise ValueError(f"unknown variant {variant!r} of mqar.py; known: 'tiny', "
                     f"{', '.join(map(repr, [*GRIDS, *VARIANT_SWEEPS]))}")
  return config


CORES = ('softmax_attention', 'linear_attention', 'deltanet', 'gated_deltanet', 'fast_weights',
         'lstm')
SHAPES = ((64, 4), (128, 8), (256, 16))  # (L, kv)
SEEDS = (0, 1, 2)
# Each grid: widths, learning rates and training examples of each L, batch, epochs, and the
# chunk of the delta-rule cores. Zoology's: its rates np.logspace(-3, -1.5, 4) rounded, 100,000
# and 20,000 examples, 32 epochs of batch 256. The CPU slice's (results/mqar/README.md): 1,250
# steps of batch 64 at every L (5.1, 10.2 and 20.5 million training tokens; Zoology's: 205
# million at L = 64), since at L = 128 half of that left softmax attention short of recall
# (and so did 1,250 steps of batch 32); Zoology's three higher rates at L = 64 (there 1e-3 left
# softmax and linear attention at chance and 3.2e-2 every core), its middle two beyond; chunks
# of 16, which train the delta rule 1.9 times faster than 64 on this CPU (its forward
# substitution is sequential within a chunk; benchmark.py --mixers --mixer_chunks=16,32,64).
GRIDS = {
    'zoology': dict(widths=(64, 128, 256, 512),
                    rates={length: (1e-3, 3.2e-3, 1e-2, 3.2e-2) for length in (64, 128, 256)},
                    examples={64: 100_000, 128: 20_000, 256: 20_000}, batch_size=256,
                    epochs=32, delta_chunk=64),
    'cpu': dict(widths=(64, 128),
                rates={64: (3.2e-3, 1e-2, 3.2e-2), 128: (3.2e-3, 1e-2), 256: (3.2e-3, 1e-2)},
                examples={64: 20_000, 128: 20_000, 256: 20_000}, batch_size=64, epochs=4,
                delta_chunk=16),
}
DELTA_RULE_CORES = ('deltanet', 'gated_deltanet')


# The fast-weights cell's own knobs (the paper's η = 0.5, λ = 0.95 left it at chance at L = 64,
# kv = 4, width 64: results/mqar/README.md), searched before its populations of the cpu grid
# at that shape and width with the cpu grid's budget: every η × λ × rate, seed 0.
FAST_WEIGHTS_SEARCH = dict(fast_lr=(1e-3, 1e-2, 0.1, 0.5), fast_decay=(0.95, 0.99, 1.0),
                           rates=(3.2e-3, 1e-2))
# Its lowest validation error (98.40%: every setting stayed within 1.6% of chance;
# results/mqar/fast_weights_search/mqar.md), the cell's η and λ in both grids.
FAST_WEIGHTS_CHOSEN = {'model.fast_lr': 0.01, 'model.fast_decay': 0.99}


# Why the cell misses: linear attention (which learns at L = 64, kv = 4, width 64 on the cpu
# budget) given the 2016 memory's differences one at a time, then all three: Ba et al.'s
# A h with neither the recurrent W nor the settling loop. Its rate: linear attention's chosen
# one there (results/mqar/mqar.md); seeds 0–2.
MEMORY_ABLATION = {
    'linear attention': {},
    'decay λ = 0.95': {'model.decay': 0.95},
    'keys and queries ReLU(LN(·))': {'model.feature_map': 'relu_ln'},
    'q = k = v': {'model.tied_qkv': True},
    'all three': {'model.decay': 0.95, 'model.feature_map': 'relu_ln', 'model.tied_qkv': True},
}
MEMORY_ABLATION_RATE = 1e-2


def _member(core, length, pairs, examples, width, rate, seed, grid) -> dict:
  steps = grid['epochs'] * examples // grid['batch_size']
  member = {'model.name': core, 'data.length': length, 'data.num_pairs': pairs,
            'data.num_train': examples, 'model.hidden_size': width,
            'train.batch_size': grid['batch_size'], 'train.num_steps': steps,
            'train.eval_every': max(1, steps // 10), 'train.learning_rate': rate, 'seed': seed}
  if core in DELTA_RULE_CORES:
    member['model.chunk'] = grid['delta_chunk']
  return member


def _smallest_cpu_member(core, rate, seed) -> dict:
  """A member of the cpu grid at its first shape and width, where the two studies run."""
  grid = GRIDS['cpu']
  (length, pairs), width = SHAPES[0], grid['widths'][0]
  return _member(core, length, pairs, grid['examples'][length], width, rate, seed, grid)


def _fast_weights_search() -> list[dict]:
  search = FAST_WEIGHTS_SEARCH
  return [{**_smallest_cpu_member('fast_weights', rate, 0), 'model.fast_lr': eta,
           'model.fast_decay': decay}
          for eta in search['fast_lr'] for decay in search['fast_decay']
          for rate in search['rates']]


def _memory_ablation() -> list[dict]:
  return [{**_smallest_cpu_member('linear_attention', MEMORY_ABLATION_RATE, seed), **options}
          for options in MEMORY_ABLATION.values() for seed in SEEDS]


VARIANT_SWEEPS = {'fast_weights_search': _fast_weights_search, 'memory_ablation': _memory_ablation}


def get_sweep(variant: str = 'cpu') -> list[dict]:
  """Every (L, kv) × width × core × learning rate × seed of the grid named by the variant
  ('cpu', the default, or 'zoology'), the shortest sequences first so that a sweep stopped
  part-way holds whole comparisons; runs stop once the validation error is at most 1%,
  checked ten times a run; fast weights with FAST_WEIGHTS_CHOSEN. 'fast_weights_search': the
  search that chose them; 'memory_ablation': MEMORY_ABLATION."""
  if variant in VARIANT_SWEEPS:
    return VARIANT_SWEEPS[variant]()
  if variant not in ('', *GRIDS):
    raise ConfigError(f'mqar.py has no sweep {variant!r}; known: '
                      f'{", ".join(sorted([*GRIDS, *VARIANT_SWEEPS]))}')
  grid = GRIDS[variant or 'cpu']
  return [{**_member(core, length, pairs, grid['examples'][length], width, rate, seed, grid),
           **(FAST_WEIGHTS_CHOSEN if core == 'fast_weights' else {})}
          for length, pairs in SHAPES for width in grid['widths'] for core in CORES
          for rate in grid['rates'][length] for seed in SEEDS]
