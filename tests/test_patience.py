"""Early stopping: patience counts evaluations, a stopped member stays as it was, resume keeps it."""

import logging
import os

import jax.numpy as jnp
import pytest

from configs import assoc_recall
from fwrnn.engine import run_dir
from fwrnn.engine import sweep
from fwrnn.engine import loop as train
from fwrnn.engine.kind import kind_of
from fwrnn.engine import train_steps
from fwrnn.engine.state import TrainState

# A rate so small that the validation error cannot fall after the first evaluation.
FROZEN_RATE = 1e-7


def tiny_config(**train_overrides):
  config = assoc_recall.get_config('tiny')
  config.train.update(num_steps=200, eval_every=10, log_every=10, patience=2)
  config.train.update(train_overrides)
  return config


def bare_state() -> TrainState:
  scalar = lambda value: jnp.asarray(value, jnp.int32)
  return TrainState(step=scalar(0), params={'w': jnp.zeros(())}, opt_state=(),
                    best_params={'w': jnp.zeros(())}, best_valid_error=jnp.asarray(jnp.inf),
                    best_step=scalar(0), data_key=jnp.zeros(2, jnp.uint32),
                    epoch_order=jnp.zeros(4, jnp.int32), evals_since_best=scalar(0),
                    stopped_step=scalar(-1))


@pytest.mark.parametrize('patience, stops_at', [(2, 40), (3, 50), (0, None)])
def test_patience_counts_evaluations_without_a_lower_error(patience, stops_at):
  state, stopped = bare_state(), []
  for step, error in zip(range(10, 70, 10), [5.0, 4.0, 4.0, 4.5, 4.0, 3.0]):
    state = train_steps.track_best(state.replace(step=jnp.int32(step)), jnp.float32(error), patience)
    stopped.append(int(state.stopped_step))
  assert int(state.best_step) == 60 and float(state.best_valid_error) == 3.0
  expected = [-1] * 6 if stops_at is None else [-1 if s < stops_at else stops_at
                                               for s in range(10, 70, 10)]
  assert stopped == expected  # once stopped, a run stays stopped at that step


def test_a_run_stops_when_its_validation_error_stops_falling(tmp_path):
  results = train.train_and_evaluate(tiny_config(learning_rate=FROZEN_RATE), str(tmp_path))
  assert results.stopped_by == 'patience'
  assert results.steps == results.best_step + 2 * 10 < 200
  assert run_dir.read_curve(str(tmp_path))[-1, 0] == results.steps
  assert max(map(int, os.listdir(tmp_path / 'checkpoints'))) == results.steps


def test_a_stopped_member_of_a_population_ends_as_if_it_trained_alone(tmp_path, caplog):
  stopping, going_on = tiny_config(learning_rate=FROZEN_RATE), tiny_config(learning_rate=1e-2)
  alone = train.train_and_evaluate(stopping, str(tmp_path / 'alone'))
  with caplog.at_level(logging.INFO):
    together = train.train_population([stopping, going_on],
                                      [str(tmp_path / 'a'), str(tmp_path / 'b')])
  # Once one member stops, the progress line counts the sequences of the other only.
  progress = [r.getMessage() for r in caplog.records if 'steps/s per member' in r.getMessage()]
  assert 'sequences/s for all 2' in progress[0]
  assert '(1 of 2 training)' in progress[-1] and 'sequences/s for the 1 training' in progress[-1]
  assert together[0].outcome() == {**alone.outcome(), 'population_size': 2}
  assert together[0].stopped_by == 'patience' and together[1].steps > together[0].steps
  # The stopped member's curve ends where it stopped; the other goes on.
  assert run_dir.read_curve(str(tmp_path / 'a'))[-1, 0] == together[0].steps
  assert run_dir.read_curve(str(tmp_path / 'b'))[-1, 0] == together[1].steps


def test_a_resumed_run_remembers_its_evaluations_since_the_best(tmp_path):
  config = tiny_config(learning_rate=FROZEN_RATE)
  whole = train.train_and_evaluate(config, str(tmp_path / 'whole'))
  short = config.copy_and_resolve_references()
  short.train.num_steps = whole.steps - 10  # one evaluation before patience would stop it
  first = train.train_and_evaluate(short, str(tmp_path / 'parts'))
  assert first.stopped_by == 'num_steps'
  resumed = train.train_and_evaluate(config, str(tmp_path / 'parts'))
  assert resumed.outcome() == whole.outcome()


def test_a_sweep_does_not_train_a_member_that_patience_stopped_again(tmp_path):
  config = tiny_config(learning_rate=FROZEN_RATE)
  results = train.train_and_evaluate(config, str(tmp_path))
  longer = config.copy_and_resolve_references()
  longer.train.num_steps = 10 * results.steps
  assert sweep._finished(kind_of(longer), longer, str(tmp_path))
  reached_the_end = tiny_config(num_steps=20)
  train.train_and_evaluate(reached_the_end, str(tmp_path / 'ceiling'))
  longer_still = tiny_config(num_steps=40)
  assert not sweep._finished(kind_of(longer_still), longer_still, str(tmp_path / 'ceiling'))
