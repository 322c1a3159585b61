"""Multi-query associative recall (Zoology's MQAR) as a task of fwrnn.tasks.

Data: fixed splits from a seed (mqar_sequences.py), sequences of data.length tokens with
data.num_pairs key–value pairs over data.vocab_size tokens. Test slices of 2L, 4L, … tokens
(data.longer_tests) measure length generalisation. Labels are per position: the
engine gets y as (N, K, 2), the K = num_pairs (position, value) pairs of each sequence, and
reads the model's logits at those positions only (with a vocabulary of 8,192 the output layer
at every position would cost more than the model). Inputs enter the core as a learned
embedding, model.hidden_size wide. A user's examples: an .npz with x (N×L token ids) and y
(N×L labels, −100 where there is none), the layout of Zoology's generator.
"""

import os

import flax.linen as nn
import ml_collections
import numpy as np

from fwrnn.engine.config_checks import (MAX_WIDTH, Boolean, Integer, Number, OneOf, integer,
                                        require)
from fwrnn.errors import DataError
from fwrnn.layers.cores import STACK_MIXER_NAMES
from fwrnn.layers.descendants import FEATURE_MAPS, FORMS
from fwrnn.tasks import IGNORE, Split, Splits
from fwrnn.tasks import mqar_sequences as seqs

MAX_TOKENS = 2_000_000_000  # examples × length held on every device
LABELS_PER_POSITION = True  # y is (N, K, 2): scripts/evaluate.py answers at positions


# Options added after runs were recorded, at the values those runs computed with.
ADDED_FIELDS = {'model.decay': 1.0, 'model.tied_qkv': False}

TASK_RULES = {
    'model.name': OneOf(STACK_MIXER_NAMES),
    'model.num_layers': Integer(1, 64),
    'model.num_heads': Integer(1, MAX_WIDTH),
    'model.mlp': Boolean(),
    'model.conv_first': Boolean(),
    'model.short_conv': Integer(0, 64, 'steps of the causal convolution; 0: none'),
    'model.feature_map': OneOf(FEATURE_MAPS),
    'model.decay': Number(0, 1, low_open=True, text='in (0, 1]; 1: no decay'),
    'model.tied_qkv': Boolean(),
    'model.chunk_form': OneOf(FORMS),
    'model.chunk': Integer(1, 4096),
    'data.vocab_size': Integer(4, 1_000_000),
    'data.length': Integer(4, 1_000_000),
    'data.num_pairs': Integer(1),
    'data.num_train': Integer(1),
    'data.num_valid': Integer(1),
    'data.num_test': Integer(1),
    'data.power_a': Number(0, 1, low_open=True, text='in (0, 1]'),
    'data.seed': Integer(0),
    'data.longer_tests': Integer(0, 8, 'longer test slices, of 2L, 4L, …, 2^n L tokens; 0: none'),
    'train.target_error': Number(0, 100, text='a validation error (%) in [0, 100] at which the '
                                 'run stops; 0: never'),
}


def validate(config: ml_collections.ConfigDict) -> None:
  """ConfigError for heads that do not divide the width, a shape Zoology's generator refuses,
  splits too large to hold, or a batch larger than the training split."""
  model, data = config.model, config.data
  require(model.hidden_size % model.num_heads == 0, 'model.hidden_size',
          f'a multiple of model.num_heads={model.num_heads}', model.hidden_size)
  try:
    seqs.check_shape(data.length, data.num_pairs, data.vocab_size)
  except DataError as e:
    require(False, 'data.length, data.num_pairs and data.vocab_size', str(e), data.length)
  integer(config, 'train.batch_size', 1, data.num_train)
  longer = data.num_test * data.length * (2 ** (data.longer_tests + 1) - 2)
  tokens = (data.num_train + data.num_valid + data.num_test) * data.length + longer
  require(tokens <= MAX_TOKENS, 'the tokens of the splits and longer test slices',
          f'at most {MAX_TOKENS} (the splits are held on every device)', tokens)


def compact_labels(y_NxL: np.ndarray) -> np.ndarray:
  """Per-position labels (N×L, IGNORE where none) as (N, K, 2) (position, label) pairs, K the
  most labels of any sequence; a sequence with fewer is padded with (0, IGNORE)."""
  labelled = y_NxL != IGNORE
  count = int(labelled.sum(1).max()) if len(y_NxL) else 0
  order = np.argsort(~labelled, axis=1, kind='stable')[:, :count]  # labelled positions first
  labels = np.take_along_axis(y_NxL, order, 1)
  positions = np.where(labels != IGNORE, order, 0)
  return np.stack([positions, labels], -1).astype(np.int32)


def load_splits(config: ml_collections.ConfigDict) -> Splits:
  """The config's fixed train/valid/test splits, labels compacted."""
  d = config.data
  splits = seqs.make_splits((d.num_train, d.num_valid, d.num_test), d.length, d.num_pairs,
                            d.vocab_size, d.seed, d.power_a)
  return Splits(*(Split(s.x, compact_labels(s.y)) for s in splits))


def longer_tests(config: ml_collections.ConfigDict) -> dict[str, Split]:
  """data.longer_tests test slices of data.num_test sequences, of 2L, 4L, … tokens with the
  same kv, named by their length ('L128'), each from its own seed (disjoint from the splits:
  no sequence of theirs has that length)."""
  d = config.data
  slices = {}
  for doubling in range(1, d.longer_tests + 1):
    length = d.length * 2 ** doubling
    (split,) = seqs.make_splits((d.num_test,), length, d.num_pairs, d.vocab_size,
                                (d.seed, doubling), d.power_a)
    slices[f'L{length}'] = Split(split.x, compact_labels(split.y))
  return slices


def encoder(config: ml_collections.ConfigDict) -> nn.Module:
  return nn.Embed(config.data.vocab_size, config.model.hidden_size)


def num_classes(config: ml_collections.ConfigDict) -> int:
  return config.data.vocab_size


def run_name(config: ml_collections.ConfigDict) -> str:
  """<model>_d<width>_L<length>_kv<pairs>_seed<seed>."""
  m, d = config.model, config.data
  return f'{m.name}_d{m.hidden_size}_L{d.length}_kv{d.num_pairs}_seed{config.seed}'


def parse_example(text: str) -> np.ndarray:
  """A sequence written as token ids separated by spaces."""
  try:
    return np.array([int(token) for token in text.split()], np.int32)
  except ValueError:
    raise DataError(f'an MQAR sequence is token ids separated by spaces; got {text[:60]!r}') from None


def example_text(x: np.ndarray) -> str:
  return ' '.join(str(int(token)) for token in x)


def read_examples(path: str) -> Split:
  """An .npz with x (N×L token ids) and y (N×L labels, IGNORE where none), Zoology's layout."""
  if not path.endswith('.npz') or not os.path.isfile(path):
    raise DataError(f'MQAR examples are an .npz file with arrays x and y; got {path}')
  with np.load(path) as f:
    if 'x' not in f or 'y' not in f:
      raise DataError(f'{path} must hold arrays x (N×L token ids) and y (N×L labels); '
                      f'it has {", ".join(f.files)}')
    x, y = f['x'], f['y']
  if not x.size:
    raise DataError(f'{path} holds no examples')
  # Labels must be tokens of the file; the run checks the ids against its vocabulary itself.
  seqs.check_examples(x, y, int(x.max()) + 1)
  return Split(x.astype(np.int32), compact_labels(y))


def check_inputs(config: ml_collections.ConfigDict, x: np.ndarray) -> None:
  """DataError for token ids outside the run's vocabulary (its embedding would clamp them)."""
  if x.size and (x.min() < 0 or x.max() >= config.data.vocab_size):
    raise DataError(f'the examples hold token ids outside 0..{config.data.vocab_size - 1}, the '
                    'vocabulary this run was trained on')


def step_labels(config: ml_collections.ConfigDict, x: np.ndarray) -> list[str]:
  """Each token's id, the pairs' keys and values marked k and v."""
  pairs = config.data.num_pairs
  return [f'{"kv"[t % 2]}{token}' if t < 2 * pairs else str(int(token))
          for t, token in enumerate(x)]
