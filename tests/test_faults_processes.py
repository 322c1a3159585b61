"""Faults that need a second process: kills at random, signals before and during training, a
second process on a run directory. Every resumed run must end exactly where an uninterrupted
one ends, and every stop is one line."""

import json
import os
import random
import signal
import time

import pytest

from fwrnn.engine import loop as train
from fwrnn.engine import run_dir
from fwrnn.engine.interrupts import Interrupted, StopRequests
from fwrnn.errors import RunError
from tests.runs import LONG, LONG_TRAIN, long_config, start_training, wait_for


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
  """The uninterrupted run of the long tiny config."""
  base = tmp_path_factory.mktemp('reference')
  return {'long': train.train_and_evaluate(long_config(), str(base / 'long'))}


@pytest.mark.slow  # 51 s with its reference run (2-core AMD EPYC): pytest -m slow runs it
def test_runs_killed_at_random_resume_to_identical_results(reference, tmp_path):
  workdir = tmp_path / 'killed'
  rng = random.Random(0)
  kills = 0
  for _ in range(3):
    process = start_training(workdir, *LONG)
    wait_for(process, 'Compiled')
    time.sleep(rng.uniform(0.0, 1.5))
    process.kill()
    process.wait()
    kills += process.returncode == -signal.SIGKILL
  assert kills >= 2  # most kills land while it trains
  finished = start_training(workdir, *LONG)
  _, err = finished.communicate(timeout=300)
  assert finished.returncode == 0, err[-2000:]
  assert run_dir.read_results(str(workdir)).outcome() == reference['long'].outcome()


@pytest.mark.parametrize('signal_name', [  # one handler for both: SIGTERM's run is slow-only
    'SIGINT', pytest.param('SIGTERM', marks=pytest.mark.slow)])
def test_an_interrupt_stops_at_a_step_saves_and_resumes_exactly(reference, tmp_path, signal_name):
  workdir = tmp_path / signal_name
  process = start_training(workdir, *LONG)
  wait_for(process, 'step 200/')
  process.send_signal(getattr(signal, signal_name))
  _, err = process.communicate(timeout=120)
  assert process.returncode != 0
  assert 'Traceback' not in err
  last = err.strip().splitlines()[-1]
  assert last.startswith(f'error: stopped by {signal_name} at step ')
  assert 'run the same command again to resume' in last
  stopped_at = int(last.split(' at step ')[1].split(';')[0])
  assert str(stopped_at) in os.listdir(workdir / 'checkpoints')
  recorded = json.loads((workdir / 'wall_time.json').read_text())
  assert recorded['step'] == stopped_at
  assert not any('tmp' in n for n in os.listdir(workdir / 'checkpoints'))
  results = train.train_and_evaluate(long_config(), str(workdir))
  assert results.outcome() == reference['long'].outcome()
  assert results.started == recorded['started'] and results.train_seconds > recorded['seconds']


def test_a_write_that_fails_ends_in_one_line_and_the_run_resumes_exactly(reference, tmp_path):
  workdir = tmp_path / 'full'
  process = start_training(workdir, *LONG, file_limit_kb=16)  # a checkpoint's file is 18 KB
  _, err = process.communicate(timeout=120)
  assert process.returncode == 1
  assert 'Traceback' not in err and 'Event loop is closed' not in err
  assert err.strip().splitlines()[-1].startswith(
      f'error: the checkpoint of step 100 could not be written in {workdir}')
  resumed = train.train_and_evaluate(long_config(), str(workdir))
  assert resumed.outcome() == reference['long'].outcome()


def test_a_second_process_on_a_run_directory_is_refused_while_the_first_trains(tmp_path):
  workdir = tmp_path / 'shared'
  first = start_training(workdir, *LONG)
  try:
    wait_for(first, 'Compiled')
    with pytest.raises(RunError, match=r'shared is in use by process \d+ on .*: one process '
                                       'writes a run directory at a time'):
      train.train_and_evaluate(long_config(), str(workdir))
  finally:
    first.kill()
    first.wait()
  resumed = train.train_and_evaluate(long_config(), str(workdir))  # the kill left no lock
  assert resumed.steps == LONG_TRAIN['num_steps']


@pytest.mark.parametrize('signum, when', [  # one handler for both: SIGTERM's case is slow-only
    (signal.SIGINT, 'Loading the data'),
    pytest.param(signal.SIGTERM, 'Compiling the training steps', marks=pytest.mark.slow)])
def test_a_signal_before_training_is_one_line(tmp_path, signum, when):
  process = start_training(tmp_path / 'run', *LONG)
  wait_for(process, when)
  process.send_signal(signum)
  _, err = process.communicate(timeout=300)
  assert process.returncode == 1 and 'Traceback' not in err
  name = signal.Signals(signum).name
  assert err.strip().splitlines()[-1].startswith(f'error: stopped by {name} ')


def test_a_second_signal_while_a_checkpoint_is_written_waits_for_it():
  written = []
  with StopRequests() as stop:
    with pytest.raises(Interrupted, match='stopped at once by a second SIGINT'):
      with stop.protect():
        os.kill(os.getpid(), signal.SIGINT)   # the first: stop at the next boundary
        os.kill(os.getpid(), signal.SIGINT)   # the second: at once, but not mid-save
        time.sleep(0.1)
        written.append('the whole checkpoint')
  assert written == ['the whole checkpoint'] and stop.signal_name == 'SIGINT'
