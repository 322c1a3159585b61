"""The associative-retrieval task (Ba et al. 2016, Section 4.1) as a task of fwrnn.tasks.

Data: fixed splits of distinct sequences (assoc_sequences.py). Inputs enter a core as a
learned embedding of the 37 tokens (model.embed_size wide), given to the core as
EmbeddedTokens so that it projects the table rather than every position. A user's examples
are text lines, `c9k8j3f1??c` or `c9k8j3f1??c 9` with a label to score, or an .npz with an
integer array x (N×T) and, to score, y (N,).
"""

import os

import flax.linen as nn
import ml_collections
import numpy as np

from fwrnn.engine.config_checks import MAX_WIDTH, Integer, integer, require
from fwrnn.errors import DataError
from fwrnn.layers.inputs import EmbeddedTokens, uniform_fan_in
from fwrnn.tasks import Split, Splits
from fwrnn.tasks import assoc_sequences as seqs


MAX_EXAMPLES = 10_000_000


class TokenEmbedding(nn.Module):
  """Token ids (B×T) → their learned embedding vectors (V×E table), as EmbeddedTokens."""
  vocab_size: int
  embed_size: int

  @nn.compact
  def __call__(self, tokens_BxT) -> EmbeddedTokens:
    table = self.param('embedding', uniform_fan_in, (self.vocab_size, self.embed_size))
    return EmbeddedTokens(tokens_BxT, table)


TASK_RULES = {
    'model.embed_size': Integer(1, MAX_WIDTH, 'its weights grow with it'),
    'data.num_pairs': Integer(1, len(seqs.LETTERS), 'keys are distinct letters'),
    'data.num_train': Integer(1),
    'data.num_valid': Integer(1),
    'data.num_test': Integer(1),
    'data.seed': Integer(0),
}


def validate(config: ml_collections.ConfigDict) -> None:
  """ConfigError for the convnet core, splits larger than the distinct sequences (or memory)
  allow, or a batch larger than the training split (TASK_RULES are checked before)."""
  data = config.data
  require(config.model.name != 'convnet', 'model.name', 'a recurrent core (convnet reads '
          'image glimpses)', config.model.name)
  integer(config, 'train.batch_size', 1, data.num_train)
  total = data.num_train + data.num_valid + data.num_test
  require(total <= MAX_EXAMPLES, 'data.num_train + data.num_valid + data.num_test',
          f'at most {MAX_EXAMPLES} (the splits are held on every device)', total)
  space = seqs.num_distinct_sequences(data.num_pairs)
  require(total <= space, 'data.num_train + data.num_valid + data.num_test',
          f'at most {space}, the distinct sequences with data.num_pairs={data.num_pairs}', total)


def load_splits(config: ml_collections.ConfigDict) -> Splits:
  """The config's fixed train/valid/test splits."""
  d = config.data
  return seqs.make_splits(d.num_pairs, (d.num_train, d.num_valid, d.num_test), d.seed)


def encoder(config: ml_collections.ConfigDict) -> nn.Module:
  return TokenEmbedding(seqs.VOCAB_SIZE, config.model.embed_size)


def num_classes(config: ml_collections.ConfigDict) -> int:
  del config
  return seqs.NUM_CLASSES


def run_name(config: ml_collections.ConfigDict) -> str:
  """<model>_r<hidden>_k<pairs>_seed<seed>."""
  m = config.model
  return f'{m.name}_r{m.hidden_size}_k{config.data.num_pairs}_seed{config.seed}'


def parse_example(text: str) -> np.ndarray:
  """The tokens (T,) of a sequence such as 'c9k8j3f1??c'."""
  return seqs.encode(text)


def step_labels(config: ml_collections.ConfigDict, tokens_T) -> list[str]:
  """The character read at each step."""
  del config
  return list(seqs.decode(tokens_T))


def example_text(tokens_T) -> str:
  """The sequence as text, e.g. 'c9k8j3f1??c'."""
  return seqs.decode(tokens_T)


def _read_line(fields: list[str]) -> tuple[np.ndarray, int | None]:
  if len(fields) not in (1, 2):
    raise DataError(f'expected a sequence and, to score it, a digit label; got {len(fields)} fields')
  if len(fields) == 2 and fields[1] not in seqs.DIGITS:
    raise DataError(f'label {fields[1]!r} is not a digit 0-9')
  return seqs.encode(fields[0]), int(fields[1]) if len(fields) == 2 else None


def _read_text(path: str) -> Split:
  """Lines such as `c9k8j3f1??c` or `c9k8j3f1??c 9`; DataError names the file and line of a
  bad one. The labels, if any, are scored, not checked: a wrong one counts as an error."""
  xs, ys = [], []
  with open(path) as f:
    for number, line in enumerate(f, start=1):
      if not line.strip():
        continue
      try:
        x, label = _read_line(line.split())
        if xs and len(x) != len(xs[0]):
          raise DataError(f'length {len(x)} differs from the first example ({len(xs[0])})')
        if ys and (label is None) != (ys[0] is None):
          raise DataError('every line needs a label, or none')
      except DataError as e:
        raise DataError(f'{path}, line {number}: {e}') from None
      xs.append(x)
      ys.append(label)
  if not xs:
    raise DataError(f'{path} holds no examples')
  return Split(np.stack(xs), None if ys[0] is None else np.asarray(ys, np.int32))


def _read_npz(path: str) -> Split:
  """Integer arrays x (N×T, task tokens) and y (N,), checked row by row."""
  try:
    archive = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as e:
    raise DataError(f'{path} is not a readable .npz file: {e}') from None
  if not isinstance(archive, np.lib.npyio.NpzFile):
    raise DataError(f'{path} holds a single array, not an .npz archive of arrays x and y')
  with archive:
    if 'x' not in archive.files:
      raise DataError(f'{path} must hold an array x (and y to score); x is missing')
    x = archive['x']
    y = archive['y'] if 'y' in archive.files else np.zeros((len(x),), np.int32)
    labelled = 'y' in archive.files
  if x.ndim != 2 or y.shape != (x.shape[0],):
    raise DataError(f'{path}: x must be N×T and y of length N, got {x.shape} and {y.shape}')
  if not np.issubdtype(x.dtype, np.integer) or not np.issubdtype(y.dtype, np.integer):
    raise DataError(f'{path}: x and y must be integer arrays, got {x.dtype} and {y.dtype}')
  if not len(x):
    raise DataError(f'{path} holds no examples')
  for row, (tokens, label) in enumerate(zip(x, y)):
    try:
      if tokens.min() < 0 or tokens.max() >= seqs.VOCAB_SIZE:
        raise DataError(f'tokens must be in 0..{seqs.VOCAB_SIZE - 1}')
      seqs.encode(seqs.decode(tokens))
      if not 0 <= label < seqs.NUM_CLASSES:
        raise DataError(f'label {label} is not a digit 0-9')
    except DataError as e:
      raise DataError(f'{path}, row {row}: {e}') from None
  return Split(x.astype(np.int32), y.astype(np.int32) if labelled else None)


def read_examples(path: str) -> Split:
  """Examples from a .npz file or a text file, by extension; y is None without labels."""
  if not os.path.exists(path):
    raise DataError(f'{path} does not exist')
  if os.path.isdir(path):
    raise DataError(f'{path} is a directory; give a .txt or .npz file')
  try:
    return _read_npz(path) if path.endswith('.npz') else _read_text(path)
  except UnicodeDecodeError:
    raise DataError(f'{path} is not a text file; use .npz for arrays') from None
