"""The supervised kind of run: a classifier trained on a task's fixed splits, evaluated on
validation at every save point, its best parameters kept and tested at the end.

A member stops when train.patience evaluations in a row have not lowered its validation
error. The pieces are pure functions of one member (train_steps.py), applied to every member
of the population.
"""

import functools
import time
from types import ModuleType

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging

from fwrnn.engine import config_checks, train_steps
from fwrnn.engine.kind import RunCost, Schedule
from fwrnn.engine.progress import spread
from fwrnn.engine.population import Population
from fwrnn.engine.run_dir import RunDir, flatten_config
from fwrnn.engine.state import Member, RunResults, StepSums
from fwrnn.errors import RunError
from fwrnn.layers.models import build_model


class SupervisedKind:
  """A task's classifier trained on its splits (fwrnn/tasks/__init__.py says what a task is)."""

  results_type = RunResults

  def __init__(self, task: ModuleType):
    self.task = task

  def rules(self) -> dict:
    return config_checks.rules(self.task)

  def validate(self, config: ml_collections.ConfigDict) -> None:
    config_checks.check_model(config.model, config.train.batch_size)
    self.task.validate(config)

  def schedule(self, config: ml_collections.ConfigDict) -> Schedule:
    t = config.train
    return Schedule(t.num_steps, 'train.num_steps', t.log_every, t.eval_every, 'sequences',
                    t.batch_size)

  def batch_size(self, config: ml_collections.ConfigDict) -> int:
    return config.train.batch_size

  def program(self, configs: list[ml_collections.ConfigDict], population: Population):
    logging.info('Loading the data of %s', configs[0].task)
    splits = self.task.load_splits(configs[0])
    batch, examples = configs[0].train.batch_size, len(splits.train.y)
    config_checks.require(batch <= examples, 'train.batch_size',
                          f'at most the {examples} training examples of the data', batch)
    return SupervisedProgram(configs, self.task, population, splits)

  def summary(self, run: RunDir, result: RunResults) -> None:
    """The test error (at the step of the parameters it measures) and the hyper-parameters."""
    run.log_train(result.best_step, {'test/error': result.test_error})
    flat = flatten_config(run.config)
    run.log_hparams(result.best_step,
                    {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))},
                    {'hparam/test_error': result.test_error,
                     'hparam/valid_error': result.valid_error})
    logging.info('%s: test error %.2f%% (best valid %.2f%% at step %d)', run.path,
                 result.test_error, result.valid_error, result.best_step)

  def run_name(self, config: ml_collections.ConfigDict) -> str:
    return self.task.run_name(config)


class SupervisedProgram:
  """The compiled pieces of one population's supervised training, built once."""

  def __init__(self, configs: list[ml_collections.ConfigDict], task: ModuleType,
               population: Population, splits):
    config = configs[0]
    self.configs, self.population = configs, population
    self.model = build_model(config, task)
    tx = train_steps.make_optimizer(config.train)
    each = population.each_member
    num_examples = len(splits.train.y)
    self.train, self.valid = population.replicate((tuple(splits.train), tuple(splits.valid)))
    self.test = splits.test
    self.longer_tests = task.longer_tests(config) if hasattr(task, 'longer_tests') else {}
    init = lambda member, x: train_steps.init_state(self.model, tx, member, x, num_examples)
    self._init = jax.jit(each(init, member_args=1))
    self._run_steps = jax.jit(each(train_steps.make_run_steps(
        self.model, tx, config.train.batch_size, population.share), member_args=2),
        donate_argnums=0)
    self.evaluate = jax.jit(each(train_steps.make_evaluate(self.model), member_args=2))
    self.target_error = config.train.get('target_error', 0.0)  # a field of some tasks only
    track_best = functools.partial(train_steps.track_best, patience=config.train.patience,
                                   target_error=self.target_error)
    self.track_best = jax.jit(each(track_best, member_args=2), donate_argnums=0)
    self.compile_seconds = 0.0
    self.diverged_at = np.full(len(configs), -1)

  def init(self, members: Member):
    return self._init(members, self.train[0][:1])

  def compile(self, state, members: Member) -> None:
    """Compiles run_steps for these arguments ahead of the first call, timed."""
    logging.info('Compiling the training steps')
    started = time.perf_counter()
    self._run_steps = self._run_steps.lower(state, members, *self.train, jnp.int32(0),
                                            jnp.int32(0)).compile()
    self.compile_seconds = time.perf_counter() - started
    logging.info('Compiled in %.1f s', self.compile_seconds)

  @property
  def compiled_steps(self):
    """The compiled chunk of steps (after compile())."""
    return self._run_steps

  def run(self, state, members: Member, first_step: int, num_steps: int):
    """num_steps steps of every member from first_step; (state, StepSums per member)."""
    return self._run_steps(state, members, *self.train, jnp.int32(first_step),
                           jnp.int32(num_steps))

  def running(self, state):
    return state.running

  def log(self, runs: list[RunDir], sums: StepSums, step: int, stop: int, seconds: float,
          running: np.ndarray) -> str:
    """Training metrics of the steps step … stop of every member still running."""
    self.diverged_at = _note_divergence(self.diverged_at, sums.first_bad_step, runs)
    count = stop - step
    accuracy = sums.accuracy / count
    for i in np.flatnonzero(running):
      runs[i].log_train(stop, {'train/loss': sums.loss[i] / count,
                               'train/accuracy': 100.0 * accuracy[i],
                               'train/error': 100.0 * (1.0 - accuracy[i]),
                               'train/grad_norm': sums.grad_norm[i] / count,
                               'train/learning_rate': runs[i].config.train.learning_rate,
                               'train/steps_per_second': count / seconds})
    return (f'loss {spread((sums.loss / count)[running], "{:.4f}")}'
            f'  error {spread(100.0 * (1.0 - accuracy[running]))}')

  def at_save(self, state, members: Member, runs: list[RunDir], step: int,
              running: np.ndarray):
    """Evaluates on validation, keeps the best parameters and applies patience."""
    valid_eval = self.evaluate(state.params, members, *self.valid)
    state = self.track_best(state, valid_eval.error)
    valid_eval, best = self.population.to_host((valid_eval, state.best_valid_error))
    for i in np.flatnonzero(running):
      runs[i].log_valid(step, float(valid_eval.loss[i]), float(valid_eval.error[i]))
    return state, (f'  | valid error {spread(valid_eval.error[running])} '
                   f'(best {spread(best[running])})')

  def results(self, state, members: Member, cost: RunCost) -> list[RunResults]:
    """Every member's RunResults: its final state and the test error of its best parameters
    (on the test split and on the task's longer test slices, if it has them)."""
    tests = {name: self.evaluate(state.best_params, members,
                                 *self.population.replicate(tuple(split)))
             for name, split in {'': self.test, **self.longer_tests}.items()}
    final, tests = self.population.to_host((state, tests))
    test = tests.pop('')
    return [RunResults(
        task=c.task, model=c.model.name, hidden_size=c.model.hidden_size, seed=c.seed,
        learning_rate=c.train.learning_rate, fast_decay=c.model.fast_decay,
        fast_lr=c.model.fast_lr, best_step=int(final.best_step[i]),
        steps=int(final.step[i] if final.running[i] else final.stopped_step[i]),
        stopped_by=('num_steps' if final.running[i] else 'target_error'
                    if final.best_valid_error[i] <= self.target_error else 'patience'),
        test_accuracy=float(test.accuracy[i]), test_error=100.0 * (1.0 - float(test.accuracy[i])),
        valid_error=float(final.best_valid_error[i]),
        longer_test_accuracy={name: float(t.accuracy[i]) for name, t in tests.items()},
        diverged_at_step=int(self.diverged_at[i]) if self.diverged_at[i] >= 0 else None,
        population_size=len(self.configs), devices=cost.devices,
        train_seconds=float(cost.train_seconds[i]), started=cost.started[i],
        steps_per_second=cost.steps_per_second, compile_seconds=cost.compile_seconds,
        machine=cost.machine) for i, c in enumerate(self.configs)]


def _note_divergence(diverged_at, first_bad_step, runs: list[RunDir]):
  """Stops a run of one at a non-finite loss; a population notes it and goes on."""
  new = (diverged_at < 0) & (first_bad_step >= 0)
  if len(runs) == 1 and new[0]:
    kept = runs[0].checkpoints.latest_step()
    kept_text = f'the checkpoint of step {kept} is kept' if kept is not None else 'no checkpoint yet'
    raise RunError(f'the training loss became non-finite at step {first_bad_step[0]}; '
                   f'{kept_text} in {runs[0].checkpoints.directory}. Lower train.learning_rate or '
                   f'set train.grad_clip_norm')
  for i in np.flatnonzero(new):
    logging.warning('%s: the training loss became non-finite at step %d; its best parameters '
                    'so far are kept', runs[i].path, first_bad_step[i])
  return np.where(new, first_bad_step, diverged_at)
