"""The associative-retrieval task: format, labels, splits, the text encoding, and the task
interface that the trainer sees."""

import numpy as np
import pytest

from configs import assoc_recall
from fwrnn import tasks
from fwrnn.errors import ConfigError, DataError
from fwrnn.tasks import assoc_sequences as assoc_data


def test_paper_examples_encode_and_decode():
  tokens = assoc_data.encode('c9k8j3f1??c')
  assert tokens.tolist() == [2, 35, 10, 34, 9, 29, 5, 27, 36, 36, 2]
  assert assoc_data.decode(tokens) == 'c9k8j3f1??c'
  assert assoc_data.answer('c9k8j3f1??c') == 9
  assert assoc_data.answer('j0a5s5z2??a') == 5


@pytest.mark.parametrize('num_pairs', [1, 4, 8])
def test_sampled_sequences_follow_the_format(num_pairs):
  split = assoc_data.sample(np.random.default_rng(0), 500, num_pairs)
  assert split.x.shape == (500, 2 * num_pairs + 3)
  for x, y in zip(split.x, split.y):
    text = assoc_data.decode(x)
    keys = text[0:2 * num_pairs:2]
    assert len(set(keys)) == num_pairs and keys.isalpha()
    assert text[1:2 * num_pairs:2].isdigit()
    assert text[2 * num_pairs:2 * num_pairs + 2] == '??'
    assert text[-1] in keys
    assert assoc_data.answer(text) == y
    assoc_data.encode(text)  # every sampled sequence is valid input


def test_values_repeat_and_queries_are_uniform():
  split = assoc_data.sample(np.random.default_rng(0), 20_000, 4)
  values = split.x[:, 1:8:2]
  assert np.mean([len(set(v)) < 4 for v in values]) > 0.3
  slots = [list(row[0:8:2]).index(row[-1]) for row in split.x]
  assert np.allclose(np.bincount(slots) / len(slots), 0.25, atol=0.02)
  assert np.allclose(np.bincount(split.y) / len(split.y), 0.1, atol=0.01)


def test_splits_are_disjoint_fixed_by_seed_and_sized():
  splits = assoc_data.make_splits(4, (5000, 500, 1000), seed=3)
  assert [len(s.x) for s in splits] == [5000, 500, 1000]
  rows = [set(map(bytes, s.x)) for s in splits]
  assert sum(map(len, rows)) == 6500 and len(set.union(*rows)) == 6500
  again = assoc_data.make_splits(4, (5000, 500, 1000), seed=3)
  np.testing.assert_array_equal(splits.test.x, again.test.x)
  other = assoc_data.make_splits(4, (5000, 500, 1000), seed=4)
  assert not np.array_equal(splits.test.x, other.test.x)


def test_small_spaces_fill_completely_and_too_large_splits_are_refused():
  assert assoc_data.num_distinct_sequences(1) == 260
  splits = assoc_data.make_splits(1, (200, 30, 30), seed=0)
  assert len(set(map(bytes, np.concatenate([s.x for s in splits])))) == 260
  with pytest.raises(DataError, match='only 260 exist'):
    assoc_data.make_splits(1, (200, 30, 31), seed=0)


@pytest.mark.parametrize('text, problem', [
    ('c9k8j3f1??', 'length'), ('c9k8j3f1??C', 'outside'), ('c9k8j3f1??z', 'not among'),
    ('c9c8j3f1??c', 'repeats'), ('9ck8j3f1??c', 'alternate'), ('c9k8j3f1?ac', 'must have'),
])
def test_malformed_sequences_are_refused_with_the_reason(text, problem):
  with pytest.raises(DataError, match=problem):
    assoc_data.encode(text)


def test_config_names_the_task_and_the_loader_checks_its_functions(tmp_path, monkeypatch):
  task = tasks.load(assoc_recall.get_config().task)
  assert task.num_classes(assoc_recall.get_config()) == 10
  assert task.run_name(assoc_recall.get_config()) == 'fast_weights_r50_k4_seed0'
  with pytest.raises(ConfigError, match="task names 'fwrnn.tasks.nothing', which cannot be"):
    tasks.load('fwrnn.tasks.nothing')
  (tmp_path / 'half_task.py').write_text('def validate(config): pass\n')
  monkeypatch.syspath_prepend(str(tmp_path))
  with pytest.raises(ConfigError, match='task half_task lacks load_splits, encoder'):
    tasks.load('half_task')
