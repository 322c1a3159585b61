"""MQAR sequences as Zoology defines them: keys and values from their halves of the vocabulary
and distinct, every key queried once after the pairs, labels only at the queries, and splits
that share no sequence."""

import numpy as np
import pytest

from fwrnn.errors import DataError
from fwrnn.tasks import mqar_sequences as mqar


def test_a_sequence_holds_its_pairs_then_one_query_per_key_labelled_with_its_value():
  length, pairs, vocab = 64, 8, 512
  x, y = mqar.sample(np.random.default_rng(0), 300, length, pairs, vocab)
  assert x.shape == y.shape == (300, length)
  keys, values = x[:, 0:2 * pairs:2], x[:, 1:2 * pairs:2]
  assert keys.min() >= 1 and keys.max() < vocab // 2
  assert values.min() >= vocab // 2 and values.max() < vocab
  for row in range(300):
    assert len(set(keys[row])) == pairs and len(set(values[row])) == pairs
    answer = dict(zip(keys[row], values[row]))
    positions = np.flatnonzero(y[row] != mqar.IGNORE)
    assert len(positions) == pairs  # every key once
    assert positions.min() >= 2 * pairs and np.all((positions - 2 * pairs) % 2 == 0)
    assert sorted(x[row, positions]) == sorted(keys[row])
    assert all(y[row, p] == answer[x[row, p]] for p in positions)
  assert x.min() >= 0 and x.max() < vocab


def test_queries_come_soon_after_the_pairs_more_often_as_the_power_law_says():
  x, y = mqar.sample(np.random.default_rng(1), 4000, 64, 1, 512)
  gaps = (np.argmax(y != mqar.IGNORE, axis=1) - 2) // 2
  p = mqar.query_gap_probabilities(31)
  counts = np.bincount(gaps, minlength=31) / len(gaps)
  np.testing.assert_allclose(counts[:3], p[:3], atol=0.03)
  assert p[0] > 10 * p[-1]


def test_splits_share_no_sequence_and_follow_their_seed():
  sizes = (300, 100, 100)  # from a space so small that repeats are drawn often
  splits = mqar.make_splits(sizes, 8, 2, 10, seed=3)
  rows = [{r.tobytes() for r in split.x} for split in splits]
  assert [len(split.x) for split in splits] == list(sizes)
  assert not (rows[0] & rows[1]) and not (rows[0] & rows[2]) and not (rows[1] & rows[2])
  again = mqar.make_splits(sizes, 8, 2, 10, seed=3)
  for a, b in zip(splits, again):
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)


@pytest.mark.parametrize('length, pairs, vocab, message', [
    (63, 4, 512, 'even length'), (64, 4, 64, 'larger than the length'),
    (64, 17, 512, 'need a length of at least 68')])
def test_a_shape_zoology_would_refuse_is_one_clear_error(length, pairs, vocab, message):
  with pytest.raises(DataError, match=message):
    mqar.sample(np.random.default_rng(0), 1, length, pairs, vocab)
