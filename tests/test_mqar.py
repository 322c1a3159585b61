"""MQAR through the engine: per-position labels, a tiny run, and a test set in Zoology's own
layout (an .npz of x and y, −100 where there is no label) scored by the trained run."""

import json
import os
import subprocess
import sys
import types

import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import mqar as mqar_config
from fwrnn.engine import loop, run_dir, sweep, train_steps
from fwrnn.engine.inference import TrainedRun
from fwrnn.layers.cores import stack_state_bytes
from fwrnn.report import kinds as report_kinds
from fwrnn.report import mqar as mqar_report
from fwrnn.report.common import read_runs
from fwrnn.errors import DataError
from fwrnn.tasks import IGNORE, mqar
from fwrnn.tasks import mqar_sequences as seqs


def test_per_position_labels_become_position_label_pairs_padded_to_the_most():
  y = np.full((2, 6), IGNORE)
  y[0, [2, 4]] = [7, 8]
  y[1, 5] = 9
  np.testing.assert_array_equal(mqar.compact_labels(y), [[[2, 7], [4, 8]], [[5, 9], [0, IGNORE]]])


class ReadAtPositions:
  """A stand-in model: the logits at position p are the row p of a fixed table."""

  def __init__(self, logits_BxTxV):
    self.logits = jnp.asarray(logits_BxTxV)

  def apply(self, params, x, rates, positions):
    return jnp.take_along_axis(self.logits, positions[..., None], axis=1)


def test_the_loss_and_accuracy_count_only_the_labelled_positions():
  logits = np.random.default_rng(0).normal(size=(2, 6, 5)).astype(np.float32)
  y = np.array([[[1, 3], [4, 0]], [[2, 1], [0, IGNORE]]])  # 3 labels; one padding pair
  member = types.SimpleNamespace(rates=None)
  loss, accuracy = train_steps.loss_and_accuracy(ReadAtPositions(logits), None, member, None, y)
  picked = [(0, 1, 3), (0, 4, 0), (1, 2, 1)]
  expected = np.mean([optax.softmax_cross_entropy_with_integer_labels(logits[b, t], c)
                      for b, t, c in picked])
  np.testing.assert_allclose(loss, expected, rtol=1e-5)
  assert accuracy == np.mean([np.argmax(logits[b, t]) == c for b, t, c in picked])


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """Softmax attention, the ceiling, trained on tiny MQAR: 3 pairs in 24 tokens of 64."""
  config = mqar_config.get_config('tiny')
  config.model.name = 'softmax_attention'
  config.data.num_train = 8_000
  config.train.update(num_steps=600, eval_every=300, learning_rate=3e-3)
  workdir = str(tmp_path_factory.mktemp('mqar') / 'run')
  return config, workdir, loop.train_and_evaluate(config, workdir)


def test_softmax_attention_learns_to_recall_every_queried_value(trained):
  assert trained[2].test_accuracy > 0.9  # 0.98 after 600 steps (seed 0); chance is 1/32


@pytest.mark.slow  # two tiny runs of 600 steps: test accuracy 0.88 and 0.74 (seed 0)
@pytest.mark.parametrize('name', ['deltanet', 'gated_deltanet'])
def test_the_delta_rule_cores_learn_to_recall_as_the_ceiling_does(name, tmp_path):
  config = mqar_config.get_config('tiny')
  config.model.name = name
  config.data.num_train = 8_000
  config.train.update(num_steps=600, eval_every=300, learning_rate=1e-2)
  assert loop.train_and_evaluate(config, str(tmp_path / 'run')).test_accuracy > 0.5  # chance: 1/32


def test_the_longer_test_slice_is_twice_as_long_and_scored_with_the_best_parameters(trained):
  config, workdir, results = trained
  (name, longer), = mqar.longer_tests(config).items()
  assert name == 'L48' and longer.x.shape == (config.data.num_test, 48)
  assert longer.y.shape == (config.data.num_test, config.data.num_pairs, 2)
  assert TrainedRun(workdir).score(longer.x, longer.y) == pytest.approx(
      results.longer_test_accuracy['L48'], abs=1e-6)


def test_a_split_evaluated_in_chunks_scores_as_it_does_whole(trained, monkeypatch):
  config, workdir, results = trained
  test = mqar.load_splits(config).test
  assert TrainedRun(workdir).score(test.x, test.y) == pytest.approx(results.test_accuracy)
  monkeypatch.setattr(train_steps, 'EVAL_CHUNK_STEPS', 5 * config.data.length)  # 13 chunks
  assert TrainedRun(workdir).score(test.x, test.y) == pytest.approx(results.test_accuracy)


def test_a_test_set_in_zoologys_layout_scores_as_the_runs_own_test(trained, tmp_path):
  config, workdir, results = trained
  d = config.data
  *_, test = seqs.make_splits((d.num_train, d.num_valid, d.num_test), d.length, d.num_pairs,
                              d.vocab_size, d.seed, d.power_a)
  path = tmp_path / 'test.npz'
  np.savez(path, x=test.x.astype(np.int64), y=test.y.astype(np.int64))  # as Zoology saves them
  run = TrainedRun(workdir)
  examples = run.task.read_examples(str(path))
  assert run.score(examples.x, examples.y) == pytest.approx(results.test_accuracy, abs=1e-6)
  with pytest.raises(DataError, match='outside 0..63, the vocabulary this run was trained on'):
    run.score(examples.x + d.vocab_size, examples.y)
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={path}'], capture_output=True, text=True, timeout=120)
  assert out.stdout.strip().splitlines()[-1] == (
      f'{d.num_test} examples  accuracy {100 * results.test_accuracy:.2f}%  '
      f'error {100 * (1 - results.test_accuracy):.2f}%')


@pytest.mark.parametrize('arrays, message', [
    (dict(x=np.zeros((2, 4), int)), 'must hold arrays x'),
    (dict(x=np.zeros((2, 4), int), y=np.zeros((2, 5), int)), 'y must be N×L integer labels'),
    (dict(x=np.zeros((2, 4), int), y=np.full((2, 4), IGNORE)), 'sequence 0 has no label')])
def test_a_bad_examples_file_is_one_clear_error(tmp_path, arrays, message):
  np.savez(tmp_path / 'bad.npz', **arrays)
  with pytest.raises(DataError, match=message):
    mqar.read_examples(str(tmp_path / 'bad.npz'))


@pytest.mark.parametrize('name, size', [
    ('softmax_attention', 64 * 3 + 2 * 64 * 256), ('deltanet', 64 * 3 + 2 * 32 * 32),
    ('linear_attention', 64 * 3 + 2 * 32 * 33), ('fast_weights', 64 * 3 + 64 * 64 + 64),
    ('lstm', 64 * 3 + 2 * 64)])
def test_the_state_size_is_counted_as_zoology_counts_it(name, size):
  model = mqar_config.get_config().model  # width 64, 2 heads: a convolution, then the mixer
  model.name = name
  assert stack_state_bytes(model, 256) == 4 * size


def test_a_run_stops_once_its_validation_error_reaches_the_target(trained, tmp_path):
  config = trained[0].copy_and_resolve_references()
  config.train.update(num_steps=1_200, eval_every=100, target_error=5.0)
  results = loop.train_and_evaluate(config, str(tmp_path / 'run'))
  assert results.stopped_by == 'target_error' and results.steps < 1_200
  assert results.valid_error <= 5.0


def test_a_run_recorded_before_an_option_existed_reads_as_that_options_old_value(tmp_path):
  config = mqar_config.get_config('tiny')
  old = config.to_dict()
  for field in mqar.ADDED_FIELDS:
    del old['model'][field.split('.')[1]]
  (tmp_path / 'config.json').write_text(json.dumps(old))
  recorded = run_dir.read_config(str(tmp_path))
  assert (recorded.model.decay, recorded.model.tied_qkv) == (1.0, False)
  assert run_dir.differing_field(recorded, config) is None
  config.model.decay = 0.95
  assert run_dir.differing_field(recorded, config) == ('model.decay', 1.0, 0.95)


def checked_members(variant: str):
  """The sweep of configs/mqar.py:variant and its members' configs, each a valid run."""
  base = mqar_config.get_config(variant)
  members = mqar_config.get_sweep(variant)
  configs = [sweep.member_config(base, overrides) for overrides in members]
  loop.checked_kind(configs, population=False)
  return members, configs


@pytest.mark.parametrize('grid', ['cpu', 'zoology'])
def test_every_member_of_the_mqar_sweeps_is_a_valid_run(grid):
  members, configs = checked_members(grid)
  cells = {(c.model.name, c.data.length, c.model.hidden_size) for c in configs}
  rates = mqar_config.GRIDS[grid]['rates']
  # every rate of its L × 3 seeds of each core, shape and width
  assert sum(len(rates[length]) for _, length, _ in cells) * 3 == len(members)
  delta_chunks = {c.model.chunk for c in configs if c.model.name in mqar_config.DELTA_RULE_CORES}
  assert delta_chunks == {mqar_config.GRIDS[grid]['delta_chunk']}


def test_the_memory_ablation_changes_linear_attention_one_option_at_a_time():
  members, configs = checked_members('memory_ablation')
  variants = {(c.model.decay, c.model.feature_map, c.model.tied_qkv) for c in configs}
  assert variants == {(1.0, 'elu1', False), (0.95, 'elu1', False), (1.0, 'relu_ln', False),
                      (1.0, 'elu1', True), (0.95, 'relu_ln', True)}
  assert len(members) == 3 * len(variants)


def test_the_fast_weights_search_covers_every_eta_decay_and_rate_once():
  members, configs = checked_members('fast_weights_search')
  settings = {(c.model.fast_lr, c.model.fast_decay, c.train.learning_rate) for c in configs}
  assert len(settings) == len(members) == 4 * 3 * 2
  assert {(c.model.name, c.data.length, c.model.hidden_size) for c in configs} == {
      ('fast_weights', 64, 64)}


def test_the_report_chooses_fast_weights_settings_by_eta_and_decay_too():
  model = mqar_config.get_config().model.to_dict()
  config = dict(model=dict(model, name='fast_weights'), data=dict(length=64, num_pairs=4))
  row = lambda eta, seed, error: dict(learning_rate=0.01, fast_lr=eta, fast_decay=0.99,
                                      seed=seed, valid_error=error,
                                      test_accuracy=1 - error / 100)
  rows = [row(0.5, 0, 90.0), row(0.5, 1, 80.0), row(1e-3, 0, 20.0), row(1e-3, 1, 40.0)]
  (cell,) = mqar_report.mqar_cells(rows, [config] * 4)
  assert (cell.chosen.fast_lr, cell.chosen.valid_error, len(cell.settings)) == (1e-3, 30.0, 2)
  text = mqar_report.mqar_markdown([cell], rows, 'header')
  assert '| 0.01, η 0.001, λ 0.99 (of 2) | 70.0 ± 14.1 |' in text
  assert '| 0.01, η 0.5, λ 0.99 | 85.00 | 15.0 ± 7.1 | 0, 1 |' in text


def test_the_report_lists_the_longer_test_slices_shortest_first():
  model = mqar_config.get_config().model.to_dict()
  config = dict(model=dict(model, name='deltanet'), data=dict(length=256, num_pairs=16))
  rows = [dict(learning_rate=0.01, fast_lr=0.5, fast_decay=0.95, seed=0, valid_error=10.0,
               test_accuracy=0.9, longer_test_accuracy={'L1024': 0.7, 'L512': 0.8})]
  text = mqar_report.mqar_markdown(mqar_report.mqar_cells(rows, [config]), rows, 'header')
  assert '| L512: 80.0 (1 seed); L1024: 70.0 (1 seed) |' in text


def test_the_report_tables_each_core_and_width_by_shape_with_a_dash_where_none_ran():
  model = mqar_config.get_config().model.to_dict()
  configs = [dict(model=dict(model, name=name), data=dict(length=length, num_pairs=pairs))
             for name, length, pairs in [('lstm', 64, 4), ('deltanet', 64, 4),
                                         ('deltanet', 128, 8)]]
  rows = [dict(learning_rate=0.01, fast_lr=0.5, fast_decay=0.95, seed=0, valid_error=10.0,
               test_accuracy=accuracy) for accuracy in (0.0, 0.9, 0.8)]
  assert mqar_report.mqar_by_shape(mqar_report.mqar_cells(rows, configs)) == [
      '| core | width | L = 64, kv = 4 | L = 128, kv = 8 |', '|---|---:|---:|---:|',
      '| DeltaNet | 64 | 90.0 (1 seed) | 80.0 (1 seed) |', '| LSTM | 64 | 0.0 (1 seed) | – |']


def test_the_mqar_report_shows_each_core_at_its_best_rate_with_its_state_size(trained, tmp_path):
  config, workdir, results = trained
  rows, configs = read_runs(os.path.dirname(workdir))
  report_kinds.write(report_kinds.REPORT_KINDS['mqar'], rows, configs, str(tmp_path), 'header')
  size = stack_state_bytes(config.model, config.data.length)
  longer = f'L48: {100 * results.longer_test_accuracy["L48"]:.1f} (1 seed)'
  assert (f'| 24 | 3 | Softmax attention | 16 | {size:,} | 0.003 (of 1) | '
          f'{100 * results.test_accuracy:.1f} (1 seed) | {longer} | 0 |') in (
              tmp_path / 'mqar.md').read_text()
  assert (tmp_path / 'mqar_accuracy_vs_state.png').read_bytes()[:4] == b'\x89PNG'
