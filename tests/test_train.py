"""End to end on the tiny config: train, log, checkpoint, resume, evaluate, fail cleanly."""

import json
import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from configs import assoc_recall
from fwrnn import assoc_data, devices, memory_picture, train, train_steps
from fwrnn.errors import RunError
from fwrnn.inference import TrainedRun


def tiny_config(**train_overrides):
  config = assoc_recall.get_config('tiny')
  config.train.update(train_overrides)
  return config


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  workdir = str(tmp_path_factory.mktemp('run'))
  return workdir, train.train_and_evaluate(tiny_config(), workdir)


def test_run_writes_results_logs_config_and_checkpoints(trained):
  workdir, results = trained
  with open(os.path.join(workdir, 'results.json')) as f:
    assert json.load(f) == pytest.approx(results)
  for key in ('model', 'hidden_size', 'num_pairs', 'seed', 'steps', 'test_error', 'test_accuracy',
              'valid_error', 'train_seconds', 'steps_per_second'):
    assert key in results
  assert results['steps'] == 40
  assert results['test_error'] == pytest.approx(100 * (1 - results['test_accuracy']))
  assert any(name.startswith('events.out.tfevents') for name in os.listdir(f'{workdir}/tb'))
  assert sorted(os.listdir(f'{workdir}/checkpoints')) == ['20', '40']
  with open(os.path.join(workdir, 'config.json')) as f:
    assert json.load(f)['model']['hidden_size'] == 8


def test_a_training_step_changes_every_parameter_and_the_loss_falls():
  config = tiny_config(learning_rate=1e-2)
  config.data.update(num_pairs=1, num_train=200, num_valid=30, num_test=30)
  model = train.config_model(config)
  splits = train.load_splits(config)
  mesh = devices.member_mesh(1, config.train.batch_size)
  state = train.initial_state([config], mesh)
  run_steps, _ = train.compile_run_steps(config, mesh, state, *splits.train)
  loss = lambda params: float(train_steps.loss_and_accuracy(model, params, *splits.train)[0])
  only = lambda params: jax.tree.map(lambda x: np.asarray(x[0]), params)
  before = only(state['params'])
  initial_loss = loss(before)
  state, _ = run_steps(state, *splits.train, jnp.int32(1))
  for old, new in zip(jax.tree.leaves(before), jax.tree.leaves(only(state['params']))):
    assert not np.array_equal(old, new)
  state, _ = run_steps(state, *splits.train, jnp.int32(200))
  assert loss(only(state['params'])) < 0.5 < initial_loss - 1.5


def test_resumed_run_ends_like_an_uninterrupted_one(trained, tmp_path):
  _, uninterrupted = trained
  workdir = str(tmp_path / 'resumed')
  train.train_and_evaluate(tiny_config(num_steps=20), workdir)
  resumed = train.train_and_evaluate(tiny_config(num_steps=40), workdir)
  timing = ('train_seconds', 'steps_per_second', 'compile_seconds')
  strip = lambda r: {k: v for k, v in r.items() if k not in timing}
  assert strip(resumed) == strip(uninterrupted)
  assert os.path.exists(os.path.join(workdir, 'results_step20.json'))


def test_workdir_of_another_experiment_is_refused(trained):
  workdir, _ = trained
  config = tiny_config()
  config.model.hidden_size = 9
  with pytest.raises(RunError, match='holds a run with model.hidden_size=8, not 9'):
    train.train_and_evaluate(config, workdir)


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
  workdir = str(tmp_path / 'diverged')
  train.train_and_evaluate(tiny_config(num_steps=20), workdir)
  saved = sorted(os.listdir(f'{workdir}/checkpoints'))
  with pytest.raises(RunError, match='non-finite at step 2[0-9]; the checkpoint of step 20 is kept'):
    train.train_and_evaluate(tiny_config(num_steps=40, learning_rate=1e30, grad_clip_norm=0.0),
                             workdir)
  assert sorted(os.listdir(f'{workdir}/checkpoints')) == saved
  recovered = train.train_and_evaluate(tiny_config(num_steps=40), workdir)
  assert np.isfinite(recovered['test_error']) and recovered['steps'] == 40


def test_trained_run_scores_files_and_answers_sequences(trained, tmp_path):
  workdir, results = trained
  run = TrainedRun(workdir)
  test = train.load_splits(tiny_config()).test
  assert run.score(test.x, test.y) == pytest.approx(results['test_accuracy'])
  text_file = tmp_path / 'examples.txt'
  text_file.write_text(''.join(f'{assoc_data.decode(x)} {y}\n' for x, y in zip(test.x, test.y)))
  npz_file = tmp_path / 'examples.npz'
  np.savez(npz_file, x=test.x, y=test.y)
  for path in (text_file, npz_file):
    out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                          f'--data={path}'], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f'accuracy {100 * results["test_accuracy"]:.2f}%' in out.stdout
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        '--sequence=c9k8j3f1??c'], capture_output=True, text=True, timeout=120)
  assert out.stdout.strip() == str(run.predict(assoc_data.encode('c9k8j3f1??c')[None])[0])


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


def test_memory_picture_weights_rebuild_the_answer(trained, tmp_path):
  workdir, _ = trained
  run = TrainedRun(workdir)
  sequence = 'c9k8j3f1??c'
  weights, h_last = memory_picture.query_attention(run, assoc_data.encode(sequence))
  assert weights.shape == (run.config.model.inner_steps, len(sequence) - 1)
  p = run.params['params']
  hidden = np.maximum(h_last @ p['head']['kernel'] + p['head']['bias'], 0)
  logits = hidden @ p['logits']['kernel'] + p['logits']['bias']
  want = run._logits(run.params, assoc_data.encode(sequence)[None])[0]
  np.testing.assert_allclose(logits, want, rtol=1e-4, atol=1e-5)
  path = tmp_path / 'memory.png'
  assert memory_picture.draw(run, sequence, str(path)) == int(np.argmax(want))
  assert path.read_bytes()[:4] == b'\x89PNG'
