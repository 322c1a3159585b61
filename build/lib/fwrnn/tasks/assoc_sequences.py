"""Associative-retrieval sequences (Ba et al. 2016, Section 4.1): sampling, splits, text format.

A sequence is K key/value pairs, `??`, then a query key; its label is the query's value,
e.g. `c9k8j3f1??c` → 9. Keys are K distinct letters, values digits that may repeat.
Tokens: `a`–`z` → 0–25, `0`–`9` → 26–35, `?` → 36. Length T = 2K + 3.
"""

import math
import string

import numpy as np

from fwrnn.errors import DataError
from fwrnn.tasks import Split, Splits

LETTERS = string.ascii_lowercase
DIGITS = string.digits
QUERY_MARK = '?'
VOCAB = LETTERS + DIGITS + QUERY_MARK
VOCAB_SIZE = len(VOCAB)
NUM_CLASSES = len(DIGITS)
DIGIT_OFFSET = len(LETTERS)
QUERY_ID = VOCAB.index(QUERY_MARK)
_TOKEN_OF = {ch: i for i, ch in enumerate(VOCAB)}


def sequence_length(num_pairs: int) -> int:
  """T = 2K + 3: the pairs, `??` and the query."""
  return 2 * num_pairs + 3


def num_distinct_sequences(num_pairs: int) -> int:
  """How many different inputs exist for K pairs: ordered keys × values × query choice."""
  keys = math.perm(len(LETTERS), num_pairs)
  return keys * NUM_CLASSES ** num_pairs * num_pairs


def sample(rng: np.random.Generator, n: int, num_pairs: int) -> Split:
  """Draws n sequences independently and uniformly (duplicates possible)."""
  keys = np.argsort(rng.random((n, len(LETTERS))), axis=1)[:, :num_pairs]
  values = rng.integers(0, NUM_CLASSES, (n, num_pairs))
  query_slot = rng.integers(0, num_pairs, n)
  x = np.empty((n, sequence_length(num_pairs)), np.int32)
  x[:, 0:2 * num_pairs:2] = keys
  x[:, 1:2 * num_pairs:2] = values + DIGIT_OFFSET
  x[:, 2 * num_pairs:2 * num_pairs + 2] = QUERY_ID
  x[:, -1] = keys[np.arange(n), query_slot]
  return Split(x, values[np.arange(n), query_slot].astype(np.int32))


def make_splits(num_pairs: int, sizes: tuple[int, int, int], seed: int) -> Splits:
  """Train/valid/test of the given sizes; every sequence distinct, fixed by the seed."""
  total = sum(sizes)
  space = num_distinct_sequences(num_pairs)
  if total > space:
    raise DataError(f'the splits need {total} distinct sequences but only {space} exist '
                    f'with data.num_pairs={num_pairs}')
  rng = np.random.default_rng(seed)
  pool_x = np.empty((0, sequence_length(num_pairs)), np.int32)
  pool_y = np.empty((0,), np.int32)
  while len(pool_x) < total:
    fresh = sample(rng, max(total - len(pool_x), 1024), num_pairs)
    pool_x = np.concatenate([pool_x, fresh.x])
    pool_y = np.concatenate([pool_y, fresh.y])
    pool_x, pool_y = _first_occurrences(pool_x, pool_y)
  bounds = np.cumsum((0,) + tuple(sizes))
  parts = [Split(pool_x[a:b], pool_y[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
  return Splits(*parts)


def _first_occurrences(x, y):
  rows = np.ascontiguousarray(x).view(np.dtype((np.void, x.dtype.itemsize * x.shape[1])))
  _, first = np.unique(rows.ravel(), return_index=True)
  keep = np.sort(first)
  return x[keep], y[keep]


def encode(text: str) -> np.ndarray:
  """Token ids (T,) of a sequence such as 'c9k8j3f1??c'; DataError names a bad input."""
  num_pairs, remainder = divmod(len(text) - 3, 2)
  if len(text) < 5 or remainder:
    raise DataError(f'{text!r} has length {len(text)}; a sequence of K pairs has length 2K+3')
  unknown = sorted(set(text) - set(VOCAB))
  if unknown:
    raise DataError(f'{text!r} has characters outside a-z, 0-9 and ?: {"".join(unknown)}')
  keys, values = text[0:2 * num_pairs:2], text[1:2 * num_pairs:2]
  if any(k not in LETTERS for k in keys) or any(v not in DIGITS for v in values):
    raise DataError(f'{text!r} must alternate letter keys and digit values before ??')
  if len(set(keys)) != num_pairs:
    raise DataError(f'{text!r} repeats a key; keys must be distinct')
  if text[2 * num_pairs:2 * num_pairs + 2] != QUERY_MARK * 2:
    raise DataError(f'{text!r} must have ?? after the {num_pairs} pairs')
  if text[-1] not in keys:
    raise DataError(f'{text!r} queries {text[-1]!r}, which is not among its keys {keys!r}')
  return np.array([_TOKEN_OF[ch] for ch in text], np.int32)


def decode(tokens) -> str:
  """The text of a token sequence, e.g. 'c9k8j3f1??c'."""
  return ''.join(VOCAB[int(i)] for i in tokens)


def answer(text: str) -> int:
  """The digit a sequence asks for: the value paired with its query key."""
  num_pairs = (len(text) - 3) // 2
  return int(text[1 + 2 * text[0:2 * num_pairs:2].index(text[-1])])
