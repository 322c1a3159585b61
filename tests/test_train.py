"""End to end on the tiny config: train, log, checkpoint, resume, evaluate, fail cleanly."""

import dataclasses
import json
import os
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from configs import assoc_recall
from fwrnn import tasks
from fwrnn.report import memory_picture
from fwrnn.engine import loop as train
from fwrnn.engine.supervised import SupervisedProgram
from fwrnn.engine import train_steps
from fwrnn.errors import RunError
from fwrnn.engine.inference import TrainedRun
from fwrnn.engine.population import Population
from fwrnn.engine.state import Member
from fwrnn.tasks import assoc_sequences
from tests import reference
from tests.runs import copy_run


def read_scalars(path: str) -> dict:
  """{tag: [(step, value)]} of a TensorBoard event file (TFRecord framing, Event protos),
  and {'_hparams_': [...]} for the hyper-parameter summaries."""
  from tensorboardX.proto import event_pb2
  scalars = {}
  with open(path, 'rb') as f:
    while header := f.read(12):
      data = f.read(int.from_bytes(header[:8], 'little'))
      f.read(4)
      event = event_pb2.Event.FromString(data)
      for value in event.summary.value:
        tag = '_hparams_' if value.tag.startswith('_hparams_') else value.tag
        scalars.setdefault(tag, []).append((event.step, value.simple_value))
  assert '_hparams_' in scalars
  return scalars


def tiny_config(**train_overrides):
  config = assoc_recall.get_config('tiny')
  config.train.update(train_overrides)
  return config


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('run'))
  return workdir, train.train_and_evaluate(tiny_config(), workdir)


@pytest.fixture(scope='module')
def half(tmp_path_factory):
  """The tiny config trained for 20 of its 40 steps: (its workdir, its results)."""
  workdir = str(tmp_path_factory.mktemp('half'))
  return workdir, train.train_and_evaluate(tiny_config(num_steps=20), workdir)


def test_run_writes_results_logs_config_and_checkpoints(trained):
  workdir, results = trained
  with open(os.path.join(workdir, 'results.json')) as f:
    assert json.load(f) == dataclasses.asdict(results)  # floats round-trip through JSON exactly
  assert results.steps == 40 and results.model == 'fast_weights' and results.hidden_size == 8
  assert results.test_error == pytest.approx(100 * (1 - results.test_accuracy))
  assert results.steps_per_second > 0 and results.compile_seconds > 0
  [events] = os.listdir(f'{workdir}/tb')  # one run: the hparams are in its own event stream
  scalars = read_scalars(os.path.join(workdir, 'tb', events))
  assert scalars['test/error'] == [(results.best_step, pytest.approx(results.test_error))]
  assert scalars['hparam/test_error'] == scalars['test/error']
  for split in ('train', 'valid'):  # percentages, both
    for (_, error), (_, accuracy) in zip(scalars[f'{split}/error'], scalars[f'{split}/accuracy']):
      assert error + accuracy == pytest.approx(100.0, abs=1e-3)
  assert sorted(os.listdir(f'{workdir}/checkpoints')) == ['20', '40']
  with open(os.path.join(workdir, 'config.json')) as f:
    assert json.load(f)['model']['hidden_size'] == 8


def test_a_training_step_changes_every_parameter_and_the_loss_falls():
  config = tiny_config(learning_rate=1e-2)
  config.data.update(num_pairs=1, num_train=200, num_valid=30, num_test=30)
  task = tasks.load(config.task)
  splits = task.load_splits(config)
  population = Population(1, config.train.batch_size)
  program = SupervisedProgram([config], task, population, splits)
  member = Member.of(config)
  members = population.put([member])
  state = program.init(members)
  only = lambda params: jax.tree.map(lambda x: x[0], population.to_host(params))
  loss = lambda params: float(train_steps.loss_and_accuracy(program.model, params, member,
                                                            *splits.train)[0])
  before = only(state.params)
  initial_loss = loss(before)
  state, _ = program.run(state, members, 0, 1)
  for old, new in zip(jax.tree.leaves(before), jax.tree.leaves(only(state.params))):
    assert not np.array_equal(old, new)
  state, _ = program.run(state, members, 1, 200)
  assert loss(only(state.params)) < 0.5 < initial_loss - 1.5


def test_resumed_run_ends_like_an_uninterrupted_one(trained, half, tmp_path):
  _, uninterrupted = trained
  workdir = copy_run(half[0], tmp_path / 'resumed')
  resumed = train.train_and_evaluate(tiny_config(num_steps=40), workdir)
  assert resumed.outcome() == uninterrupted.outcome()
  assert os.path.exists(os.path.join(workdir, 'results_step20.json'))


def read_wall_time(workdir: str) -> dict:
  with open(os.path.join(workdir, 'wall_time.json')) as f:
    return json.load(f)


def test_the_wall_time_of_a_resumed_run_counts_every_process_that_trained_it(half, tmp_path):
  workdir, first = copy_run(half[0], tmp_path / 'resumed'), half[1]
  at_20 = read_wall_time(workdir)
  assert at_20['step'] == 20 and 0 < at_20['seconds'] <= first.train_seconds
  with open(os.path.join(workdir, 'wall_time.json'), 'w') as f:
    json.dump({'step': 20, 'seconds': 1000.0}, f)  # as if the first part had taken 1,000 s
  started = time.perf_counter()
  resumed = train.train_and_evaluate(tiny_config(num_steps=40), workdir)
  this_process = time.perf_counter() - started
  assert 1000.0 < resumed.train_seconds <= 1000.0 + this_process
  assert read_wall_time(workdir)['step'] == 40


@pytest.mark.parametrize('record', ['{"step": 20, "seconds": 1e6}', '{"seconds": '])
def test_a_stale_or_damaged_wall_time_record_is_not_counted(tmp_path, record):
  workdir = tmp_path / 'run'
  workdir.mkdir()
  (workdir / 'wall_time.json').write_text(record)  # stale: no checkpoint goes with it
  started = time.perf_counter()
  fresh = train.train_and_evaluate(tiny_config(num_steps=20), str(workdir))
  assert fresh.train_seconds <= time.perf_counter() - started
  (workdir / 'wall_time.json').write_text('{"seconds": ')
  started = time.perf_counter()
  resumed = train.train_and_evaluate(tiny_config(num_steps=40), str(workdir))
  assert resumed.train_seconds <= time.perf_counter() - started  # damaged: counts from now


def test_workdir_of_another_experiment_is_refused(trained):
  workdir, _ = trained
  config = tiny_config()
  config.model.hidden_size = 9
  with pytest.raises(RunError, match='holds a run with model.hidden_size=8, not 9'):
    train.train_and_evaluate(config, workdir)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(half, tmp_path):
  workdir = copy_run(half[0], tmp_path / 'diverged')
  saved = sorted(os.listdir(f'{workdir}/checkpoints'))
  with pytest.raises(RunError, match='non-finite at step 2[0-9]; the checkpoint of step 20 is kept'):
    train.train_and_evaluate(tiny_config(num_steps=40, learning_rate=1e30), workdir)
  assert sorted(os.listdir(f'{workdir}/checkpoints')) == saved
  recovered = train.train_and_evaluate(tiny_config(num_steps=40), workdir)
  assert np.isfinite(recovered.test_error) and recovered.steps == 40


def test_trained_run_scores_files_and_answers_sequences(trained, tmp_path):
  workdir, results = trained
  run = TrainedRun(workdir)
  test = run.task.load_splits(tiny_config()).test
  assert run.score(test.x, test.y) == pytest.approx(results.test_accuracy)
  text_file = tmp_path / 'examples.txt'
  text_file.write_text(''.join(f'{assoc_sequences.decode(x)} {y}\n' for x, y in zip(test.x, test.y)))
  npz_file = tmp_path / 'examples.npz'
  np.savez(npz_file, x=test.x, y=test.y)
  from_npz = run.task.read_examples(str(npz_file))  # what evaluate.py --data reads, as .txt
  assert run.score(from_npz.x, from_npz.y) == pytest.approx(results.test_accuracy)
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={text_file}'], capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  assert f'accuracy {100 * results.test_accuracy:.2f}%' in out.stdout
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        '--sequence=c9k8j3f1??c'], capture_output=True, text=True, timeout=120)
  tokens = assoc_sequences.encode('c9k8j3f1??c')[None]
  probability = run.probabilities(tokens)[0]
  assert out.stdout.strip() == (f'c9k8j3f1??c -> {run.predict(tokens)[0]} '
                                f'(probability {probability.max():.3f})')
  assert probability.sum() == pytest.approx(1.0, abs=1e-5)


def test_evaluate_answers_unlabelled_examples_and_scores_labels_it_is_given(trained, tmp_path):
  workdir, _ = trained
  run = TrainedRun(workdir)
  texts = ['c9k8j3f1??c', 'j0a5s5z2??a']
  answers = run.predict(np.stack([assoc_sequences.encode(t) for t in texts]))
  unlabelled = tmp_path / 'unlabelled.txt'
  unlabelled.write_text('\n'.join(texts) + '\n')
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={unlabelled}'], capture_output=True, text=True, timeout=120)
  lines = out.stdout.strip().splitlines()
  assert [line.split(' (')[0] for line in lines] == [f'{t} -> {a}' for t, a in zip(texts, answers)]
  labelled = tmp_path / 'labelled.txt'  # the first label is the model's answer, the second not
  labelled.write_text(f'{texts[0]} {answers[0]}\n{texts[1]} {(answers[1] + 1) % 10}\n')
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={labelled}', '--per_example'], capture_output=True, text=True,
                       timeout=120)
  lines = out.stdout.strip().splitlines()
  assert lines[0].endswith(f'label {answers[0]}: right')
  assert lines[1].endswith(f'label {(answers[1] + 1) % 10}: wrong')
  assert lines[2] == '2 examples  accuracy 50.00%  error 50.00%'


def test_evaluate_names_the_bad_line_and_a_missing_checkpoint(trained, tmp_path):
  workdir, _ = trained
  bad = tmp_path / 'bad.txt'
  bad.write_text('c9k8j3f1??c 9\nc9k8j3f1??z 9\n')
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={bad}'], capture_output=True, text=True, timeout=120)
  assert out.returncode != 0
  assert out.stderr.strip().startswith(f'error: {bad}, line 2:')
  assert 'not among its keys' in out.stderr
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={tmp_path}',
                        '--sequence=c9k8j3f1??c'], capture_output=True, text=True, timeout=120)
  assert out.returncode != 0
  assert out.stderr.strip() == f'error: {tmp_path} is not a run directory: it has no config.json'


def test_memory_picture_reads_the_weights_of_the_paper_from_the_trace(trained, tmp_path):
  """η λ^{t−τ} ⟨h(τ), h_0⟩ at the last step (S = 1), recomputed by the NumPy loop from the
  run's own parameters."""
  workdir, _ = trained
  run = TrainedRun(workdir)
  sequence = 'c9k8j3f1??c'
  tokens = assoc_sequences.encode(sequence)
  weights = memory_picture.last_step_attention(run, tokens)
  p = jax.tree.map(np.float64, run.params['params'])
  core, m = p['core'], run.config.model
  x_proj = (p['encoder']['embedding'][tokens] @ core['input']['kernel']
            + core['input']['bias'])[:, None]
  h = reference.fast_weights(core['recurrent'], core['ln_gain'], core['ln_bias'], x_proj,
                             m.fast_decay, m.fast_lr, m.inner_steps)[:, 0]
  t = len(tokens) - 1
  h_0 = np.maximum(core['recurrent'] @ h[t - 1] + x_proj[t, 0], 0)
  want = m.fast_lr * m.fast_decay ** np.arange(t - 1, -1, -1) * (h[:t] @ h_0)
  assert weights.shape == (1, t)
  np.testing.assert_allclose(weights[0], want, rtol=1e-3, atol=1e-6)
  path = tmp_path / 'memory.png'
  assert memory_picture.draw(run, tokens, sequence, str(path)) == int(run.predict(tokens[None])[0])
  assert path.read_bytes()[:4] == b'\x89PNG'
  every = memory_picture.step_attention(run, tokens)[:, 0]  # step t reads h(1) … h(t) only
  np.testing.assert_allclose(every[-1], weights[0])
  assert np.all(np.triu(every, k=0) == 0) and np.all(every >= 0) and every[-1].max() > 0
  memory_picture.draw_every_step(run, tokens, sequence, str(path))
  assert path.read_bytes()[:4] == b'\x89PNG'
