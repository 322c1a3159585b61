"""Reading associative-retrieval examples from a user's file: text lines or an .npz."""

import numpy as np

from fwrnn import assoc_data
from fwrnn.errors import DataError


def _check_label(sequence: str, label: int) -> None:
  expected = assoc_data.answer(sequence)
  if label != expected:
    raise DataError(f'label {label} is not the value {expected} of query key {sequence[-1]!r}')


def read_text(path: str) -> assoc_data.Split:
  """Lines such as `c9k8j3f1??c 9`; DataError names the file and line of a bad one."""
  xs, ys = [], []
  with open(path) as f:
    for number, line in enumerate(f, start=1):
      if not line.strip():
        continue
      fields = line.split()
      try:
        if len(fields) != 2:
          raise DataError(f'expected a sequence and a digit label, got {len(fields)} fields')
        sequence, label = fields
        x = assoc_data.encode(sequence)
        if label not in assoc_data.DIGITS:
          raise DataError(f'label {label!r} is not a digit 0-9')
        _check_label(sequence, int(label))
      except DataError as e:
        raise DataError(f'{path}, line {number}: {e}') from None
      if xs and len(x) != len(xs[0]):
        raise DataError(f'{path}, line {number}: length {len(x)} differs from line 1 ({len(xs[0])})')
      xs.append(x)
      ys.append(int(label))
  if not xs:
    raise DataError(f'{path} holds no examples')
  return assoc_data.Split(np.stack(xs), np.asarray(ys, np.int32))


def read_npz(path: str) -> assoc_data.Split:
  """Integer arrays x (N×T, task tokens) and y (N,), checked row by row."""
  try:
    with np.load(path) as archive:
      x, y = archive['x'], archive['y']
  except KeyError as e:
    raise DataError(f'{path} must hold arrays x and y; {e} is missing') from None
  except (OSError, ValueError) as e:
    raise DataError(f'{path} is not a readable .npz file: {e}') from None
  if x.ndim != 2 or y.shape != (x.shape[0],):
    raise DataError(f'{path}: x must be N×T and y of length N, got {x.shape} and {y.shape}')
  if not np.issubdtype(x.dtype, np.integer) or not np.issubdtype(y.dtype, np.integer):
    raise DataError(f'{path}: x and y must be integer arrays, got {x.dtype} and {y.dtype}')
  for row, (tokens, label) in enumerate(zip(x, y)):
    try:
      if tokens.min() < 0 or tokens.max() >= assoc_data.VOCAB_SIZE:
        raise DataError(f'tokens must be in 0..{assoc_data.VOCAB_SIZE - 1}')
      text = assoc_data.decode(tokens)
      assoc_data.encode(text)
      if not 0 <= label < assoc_data.NUM_CLASSES:
        raise DataError(f'label {label} is not a digit 0-9')
      _check_label(text, int(label))
    except DataError as e:
      raise DataError(f'{path}, row {row}: {e}') from None
  return assoc_data.Split(x.astype(np.int32), y.astype(np.int32))


def read_examples(path: str) -> assoc_data.Split:
  """Examples from a .npz file or a text file, by extension."""
  try:
    return read_npz(path) if path.endswith('.npz') else read_text(path)
  except FileNotFoundError:
    raise DataError(f'{path} does not exist') from None
  except UnicodeDecodeError:
    raise DataError(f'{path} is not a text file; use .npz for arrays') from None
