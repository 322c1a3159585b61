"""Multi-query associative recall (MQAR; Arora et al. 2023, "Zoology"), as Zoology generates it.

A sequence of length L over a vocabulary of V tokens: first kv key–value pairs (keys distinct,
drawn from 1 … V/2 − 1; values distinct, drawn from V/2 … V − 1), then every key asked again
once, at an even offset of the rest of the sequence drawn from Zoology's power law (small gaps
likelier), and random tokens (0 … V − 1) everywhere else. The model predicts the next token,
so the label at a query's position is that key's value; every other position has the label
IGNORE (−100, Zoology's), and no loss. Arrays: x (N×L token ids) and y (N×L labels), the
layout of Zoology's own generator, so a test set it made is read as it is.
"""

import numpy as np

from fwrnn.errors import DataError
from fwrnn.tasks import IGNORE, Split


def check_shape(length: int, num_pairs: int, vocab_size: int) -> None:
  """DataError unless Zoology's generator accepts (L, kv, V): L even, V > L, and room for the
  pairs and their queries."""
  if length % 2:
    raise DataError(f'an MQAR sequence has an even length; got {length}')
  if vocab_size <= length:
    raise DataError(f'the vocabulary ({vocab_size}) must be larger than the length ({length})')
  if 4 * num_pairs > length:
    raise DataError(f'{num_pairs} key-value pairs and their queries need a length of at least '
                    f'{4 * num_pairs}; got {length}')


def _distinct_rows(rng: np.random.Generator, n: int, count: int, low: int, high: int):
  """n rows of `count` distinct integers in [low, high), each row uniform among such rows."""
  rows = rng.integers(low, high, (n, count))
  while True:
    ordered = np.sort(rows, axis=1)
    repeated = (ordered[:, 1:] == ordered[:, :-1]).any(axis=1)
    if not repeated.any():
      return rows
    rows[repeated] = rng.integers(low, high, (int(repeated.sum()), count))


def query_gap_probabilities(slots: int, power_a: float = 0.01) -> np.ndarray:
  """Zoology's power law over the slots after the pairs: p(g) ∝ a·(g + 1)^(a − 1)."""
  p = power_a * np.arange(1, slots + 1) ** (power_a - 1)
  return p / p.sum()


def sample(rng: np.random.Generator, n: int, length: int, num_pairs: int, vocab_size: int,
           power_a: float = 0.01) -> Split:
  """n sequences (x, y), each N×L."""
  check_shape(length, num_pairs, vocab_size)
  half = vocab_size // 2
  keys = _distinct_rows(rng, n, num_pairs, 1, half)
  values = _distinct_rows(rng, n, num_pairs, half, vocab_size)
  context = 2 * num_pairs
  slots = (length - context) // 2
  # kv distinct slots per row, drawn without replacement with the power law's probabilities
  # (the Gumbel top-k trick: the same law as drawing them one after another).
  scores = np.log(query_gap_probabilities(slots, power_a)) + rng.gumbel(size=(n, slots))
  gaps = np.argsort(-scores, axis=1)[:, :num_pairs]
  x = rng.integers(0, vocab_size, (n, length))
  x[:, 0:context:2], x[:, 1:context:2] = keys, values
  positions = context + 2 * gaps
  rows = np.arange(n)[:, None]
  x[rows, positions] = keys
  y = np.full((n, length), IGNORE)
  y[rows, positions] = values
  return Split(x.astype(np.int32), y.astype(np.int32))


def make_splits(sizes: tuple[int, ...], length: int, num_pairs: int, vocab_size: int,
                seed: int | tuple[int, ...], power_a: float = 0.01) -> list[Split]:
  """Splits of the given sizes, fixed by the seed, no sequence in two of them (a repeat of an
  earlier split's sequence is drawn again)."""
  rng = np.random.default_rng(seed)
  seen, splits = set(), []
  for size in sizes:
    x, y = sample(rng, size, length, num_pairs, vocab_size, power_a)
    while True:
      fresh = np.array([row.tobytes() not in seen for row in x])
      if fresh.all():
        break
      redraw = sample(rng, int((~fresh).sum()), length, num_pairs, vocab_size, power_a)
      x[~fresh], y[~fresh] = redraw
    seen.update(row.tobytes() for row in x)
    splits.append(Split(x, y))
  return splits


def check_examples(x: np.ndarray, y: np.ndarray | None, vocab_size: int) -> None:
  """DataError unless x (N×L) holds token ids below vocab_size and y (if given) is N×L of
  IGNORE or token ids, with at least one label per sequence."""
  if x.ndim != 2 or not np.issubdtype(x.dtype, np.integer):
    raise DataError(f'x must be an N×L array of token ids; got {x.dtype} of shape {x.shape}')
  if x.size and (x.min() < 0 or x.max() >= vocab_size):
    raise DataError(f'x holds token ids outside 0..{vocab_size - 1} (the config\'s vocabulary)')
  if y is None:
    return
  if y.shape != x.shape or not np.issubdtype(y.dtype, np.integer):
    raise DataError(f'y must be N×L integer labels like x {x.shape}; got {y.dtype} {y.shape}')
  labelled = y != IGNORE
  if ((y < 0) & labelled).any() or (y >= vocab_size).any():
    raise DataError(f'y holds labels outside 0..{vocab_size - 1} other than {IGNORE}')
  if not labelled.any(axis=1).all():
    raise DataError(f'sequence {int(np.argmin(labelled.any(axis=1)))} has no label (all {IGNORE})')
