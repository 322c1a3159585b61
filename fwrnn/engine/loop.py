"""Training and evaluation of any task: configs in, results out.

A run is a population of one. Runs whose configs differ only in their Member numbers (the
seed, learning rate, λ, η) train together as one population: one compiled program, one
copy of the data, the members spread over the devices (population.py). Every member keeps
a complete run directory of its own (run_dir.py), so a member of a sweep is a run like any
other.
"""

import functools
import json
import sys
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging

from fwrnn import tasks
from fwrnn.engine import config_checks
from fwrnn.engine import population as population_lib
from fwrnn.engine import run_dir
from fwrnn.engine import train_steps
from fwrnn.errors import RunError
from fwrnn.engine.interrupts import Interrupted, StopRequests
from fwrnn.layers.models import build_model
from fwrnn.engine.population import Population
from fwrnn.engine.run_dir import RunDir, WallClock
from fwrnn.engine.state import Member, RunResults, StepSums, machine_name, population_fields


def population_key(config: ml_collections.ConfigDict) -> str:
  """Configs with equal keys can train as one population."""
  fields = population_fields()
  flat = run_dir.flatten_config(config)
  return json.dumps({k: v for k, v in flat.items() if k not in fields}, sort_keys=True)


class Program:
  """The compiled pieces of one population's training, built once."""

  def __init__(self, config: ml_collections.ConfigDict, task, population: Population, splits):
    self.model = build_model(config, task)
    tx = train_steps.make_optimizer(config.train)
    each = population.each_member
    num_examples = len(splits.train.y)
    init = lambda member, x: train_steps.init_state(self.model, tx, member, x, num_examples)
    self.init = jax.jit(each(init, member_args=1))
    self._run_steps = jax.jit(each(train_steps.make_run_steps(
        self.model, tx, config.train.batch_size, population.share), member_args=2),
        donate_argnums=0)
    self.evaluate = jax.jit(each(train_steps.make_evaluate(self.model), member_args=2))
    track_best = functools.partial(train_steps.track_best, patience=config.train.patience)
    self.track_best = jax.jit(each(track_best, member_args=2), donate_argnums=0)
    self.compile_seconds = 0.0

  def compile(self, state, members, train) -> None:
    """Compiles run_steps for these arguments ahead of the first call, timed."""
    logging.info('Compiling the training steps')
    started = time.perf_counter()
    self._run_steps = self._run_steps.lower(state, members, *train, jnp.int32(0),
                                            jnp.int32(0)).compile()
    self.compile_seconds = time.perf_counter() - started
    logging.info('Compiled in %.1f s', self.compile_seconds)

  @property
  def compiled_steps(self):
    """The compiled run_steps (after compile())."""
    return self._run_steps

  def run_steps(self, state, members, train, first_step: int, num_steps: int):
    """num_steps steps of every member from first_step; (state, StepSums per member)."""
    return self._run_steps(state, members, *train, jnp.int32(first_step), jnp.int32(num_steps))


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> RunResults:
  """Trains (or resumes) the run in workdir and returns the results written to results.json."""
  return train_population([config], [workdir])[0]


def train_population(configs: list[ml_collections.ConfigDict],
                     workdirs: list[str]) -> list[RunResults]:
  """Trains (or resumes) runs that differ only in their Member numbers together; their results.

  A member stops when train.patience evaluations in a row have not lowered its validation
  error; the population stops when all have, or at train.num_steps. SIGINT or SIGTERM stops
  it at the next step boundary with a checkpoint (interrupts.py)."""
  started = time.perf_counter()
  task = _checked_task(configs)
  base, train_cfg = configs[0], configs[0].train
  runs = [RunDir(w, c, population_lib.writes_files()) for w, c in zip(workdirs, configs)]
  population = Population(len(configs), train_cfg.batch_size)
  logging.info('Preparing %s (%s, a population of %d on %d %s device(s)): loading the data',
               _names(workdirs), base.task, len(runs), population.device_count,
               jax.default_backend())
  splits = task.load_splits(base)
  program = Program(base, task, population, splits)
  members = population.put([Member.of(c) for c in configs])
  train, valid = population.replicate((tuple(splits.train), tuple(splits.valid)))
  state = restore_population(runs, program.init(members, train[0][:1]), population)
  steps, running = population.to_host((state.step, state.running))
  step = int(steps[0])
  clock = WallClock(runs, started, resumed=step > 0)
  program.compile(state, members, train)
  progress = Progress(len(runs), train_cfg, step)
  with StopRequests() as stop:
    while step < train_cfg.num_steps and running.any() and not stop.signal_name:
      stop_at = _next_stop(step, train_cfg)
      call_started = time.perf_counter()
      state, sums = program.run_steps(state, members, train, step, stop_at - step)
      sums = population.to_host(sums)
      progress.add(stop_at - step, time.perf_counter() - call_started, sums.first_bad_step, runs)
      line = _log_training(runs, sums, step, stop_at, progress, running)
      now_running = running
      step = stop_at
      if step % train_cfg.eval_every == 0 or step == train_cfg.num_steps:
        valid_eval = program.evaluate(state.params, members, *valid)
        state = program.track_best(state, valid_eval.error)
        valid_eval, best, now_running = population.to_host(
            (valid_eval, state.best_valid_error, state.running))
        line += _log_validation(runs, step, valid_eval, best, running)
        save_population(runs, state, population, clock)
      logging.info(line)
      running = _note_stops(runs, running, now_running, step)
  if stop.signal_name:
    stop_population(runs, state, population, step, stop.signal_name, clock)
  test = program.evaluate(state.best_params, members, *population.replicate(tuple(splits.test)))
  results = _results(configs, population.to_host(state), population.to_host(test), progress,
                     population.device_count, program.compile_seconds, clock)
  for run, result in zip(runs, results):
    _finish(run, result)
  return results


class Progress:
  """Steps and seconds trained so far, the step at which each member diverged, and the
  speed and time left as the progress line tells them."""

  def __init__(self, size: int, train_cfg: ml_collections.ConfigDict, first_step: int):
    self.size, self.batch_size, self.num_steps = size, train_cfg.batch_size, train_cfg.num_steps
    self.left_text = 'left at most' if train_cfg.patience else 'left'
    self.steps, self.seconds, self.last_steps, self.last_seconds = 0, 0.0, 0, 0.0
    self.step = first_step
    self.diverged_at = np.full(size, -1)
    self._started = time.perf_counter()

  def add(self, steps: int, seconds: float, first_bad_step, runs: list[RunDir]) -> None:
    self.steps, self.seconds = self.steps + steps, self.seconds + seconds
    self.last_steps, self.last_seconds, self.step = steps, seconds, self.step + steps
    self.diverged_at = _note_divergence(self.diverged_at, first_bad_step, runs)

  def text(self, training: int) -> str:
    """Throughput (per member, and of the training members together: a stopped one trains no
    sequences), elapsed time and the time left at this pace."""
    rate = self.last_steps / self.last_seconds
    sequences = rate * self.batch_size * training
    elapsed = time.perf_counter() - self._started
    left = (self.num_steps - self.step) * elapsed / max(self.steps, 1)
    members = f'all {self.size}' if training == self.size else f'the {training} training'
    speed = (f'{rate:.0f} steps/s, {sequences:,.0f} sequences/s' if self.size == 1 else
             f'{rate:.0f} steps/s per member, {sequences:,.0f} sequences/s for {members}')
    line = f'{speed}  {_clock(elapsed)} elapsed, {_clock(left)} {self.left_text}'
    if sys.stderr.isatty():
      done = int(20 * self.step / self.num_steps)
      line = f'[{"#" * done}{"." * (20 - done)}] ' + line
    return line


def _clock(seconds: float) -> str:
  minutes, seconds = divmod(int(seconds), 60)
  return f'{minutes // 60}:{minutes % 60:02d}:{seconds:02d}'


def stop_population(runs: list[RunDir], state, population: Population, step: int,
                    signal_name: str, clock: WallClock):
  """Saves the state of a run stopped by a signal (unless just saved) and raises Interrupted."""
  if runs[0].checkpoints.latest_step() != step:
    save_population(runs, state, population, clock)
  for run in runs:
    run.close()
  where = runs[0].checkpoints.directory if len(runs) == 1 else f"each of the {len(runs)} members' directories"
  raise Interrupted(f'stopped by {signal_name} at step {step}; its checkpoint is saved in {where}; '
                    'run the same command again to resume')


def _results(configs, final, test, progress: Progress, devices: int, compile_seconds: float,
             clock: WallClock) -> list[RunResults]:
  """Every member's RunResults from the host copies of its final state and test evaluation."""
  machine, seconds = machine_name(), clock.seconds()
  return [RunResults(
      task=c.task, model=c.model.name, hidden_size=c.model.hidden_size, seed=c.seed,
      learning_rate=c.train.learning_rate, fast_decay=c.model.fast_decay,
      fast_lr=c.model.fast_lr, best_step=int(final.best_step[i]),
      steps=int(final.step[i] if final.running[i] else final.stopped_step[i]),
      stopped_by='num_steps' if final.running[i] else 'patience',
      test_accuracy=float(test.accuracy[i]), test_error=100.0 * (1.0 - float(test.accuracy[i])),
      valid_error=float(final.best_valid_error[i]),
      diverged_at_step=int(progress.diverged_at[i]) if progress.diverged_at[i] >= 0 else None,
      population_size=len(configs), devices=devices,
      train_seconds=float(seconds[i]), started=clock.first_started[i],
      steps_per_second=progress.steps / progress.seconds if progress.seconds else None,
      compile_seconds=compile_seconds, machine=machine) for i, c in enumerate(configs)]


def _checked_task(configs: list[ml_collections.ConfigDict]):
  """The task of a population whose configs are valid and differ only in Member fields."""
  task = tasks.load(configs[0].task)
  for config in configs:
    config_checks.validate(config, task)
  if len({population_key(c) for c in configs}) != 1:
    raise RunError('a population may differ only in ' + ', '.join(population_fields()))
  return task


def restore_population(runs: list[RunDir], state, population: Population):
  """The population state at the newest step of which every member has an intact checkpoint,
  or `state`. Damaged checkpoints are set aside (with a warning), never used."""
  intact = [set(run.checkpoints.intact_steps()) for run in runs]
  while True:
    common = max(set.intersection(*intact), default=None)
    for run in runs:
      run.restart_at(common or 0)  # first: it refuses to restart a finished run from step 0
    for run in runs:
      run.checkpoints.delete_after(common)  # newer ones are recomputed, identically
    if common is None:
      return state
    fresh = population_lib.unstack(population.to_host(state), len(runs))
    restored = []
    for i, (run, like) in enumerate(zip(runs, fresh)):
      try:
        restored.append(run.checkpoints.restore(common, like))
      except Exception as e:  # orbax raises many kinds; any of them means unreadable
        logging.warning('%s', run.checkpoints.set_aside(common, f'cannot be read ({e})'))
        intact[i].discard(common)
        break
    else:
      logging.info('Resuming %s from step %d', _names([r.path for r in runs]), common)
      return population.put(restored)


def save_population(runs: list[RunDir], state, population: Population,
                    clock: WallClock) -> None:
  """A checkpoint of every member's state in its run directory, finished before returning,
  and the wall time spent up to it."""
  host = population_lib.unstack(population.to_host(state), len(runs))
  for run, member in zip(runs, host):
    run.checkpoints.save(member)
  for run in runs:
    run.checkpoints.wait()
  clock.record([member.step for member in host])


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


def _next_stop(step: int, train_cfg) -> int:
  stops = [(step // every + 1) * every for every in (train_cfg.log_every, train_cfg.eval_every)]
  return min(stops + [train_cfg.num_steps])


def _log_training(runs: list[RunDir], sums: StepSums, step: int, stop: int,
                  progress: Progress, running) -> str:
  """Writes the training metrics of the steps step … stop of every member still running; the
  progress line."""
  count = stop - step
  accuracy = sums.accuracy / count
  for i in np.flatnonzero(running):
    run = runs[i]
    run.log_train(stop, {'train/loss': sums.loss[i] / count,
                         'train/accuracy': 100.0 * accuracy[i],
                         'train/error': 100.0 * (1.0 - accuracy[i]),
                         'train/grad_norm': sums.grad_norm[i] / count,
                         'train/learning_rate': run.config.train.learning_rate,
                         'train/steps_per_second': count / progress.last_seconds})
  training = int(running.sum())
  trained = '' if training == len(runs) else f'  ({training} of {len(runs)} training)'
  return (f'step {stop}/{runs[0].config.train.num_steps}{trained}'
          f'  loss {_spread((sums.loss / count)[running], "{:.4f}")}'
          f'  error {_spread(100.0 * (1.0 - accuracy[running]))}  {progress.text(training)}')


def _log_validation(runs: list[RunDir], step: int, evaluation, best, running) -> str:
  for i in np.flatnonzero(running):
    runs[i].log_valid(step, float(evaluation.loss[i]), float(evaluation.error[i]))
  return (f'  | valid error {_spread(evaluation.error[running])} '
          f'(best {_spread(best[running])})')


def _note_stops(runs: list[RunDir], was_running, running, step: int):
  """Logs the members that patience stopped at this evaluation; the new running mask."""
  for i in np.flatnonzero(was_running & ~running):
    logging.info('%s: stopped by patience at step %d: no lower validation error in %d '
                 'evaluation(s)', runs[i].path, step, runs[i].config.train.patience)
  return running


def _spread(values, fmt: str = '{:.2f}%') -> str:
  """One number, or the range over the members of a population."""
  low, high = float(np.min(values)), float(np.max(values))
  return fmt.format(low) if len(values) == 1 else f'{fmt.format(low)}..{fmt.format(high)}'


def _names(workdirs: list[str]) -> str:
  return workdirs[0] if len(workdirs) == 1 else f'{len(workdirs)} members'


def _finish(run: RunDir, results: RunResults) -> None:
  flat = run_dir.flatten_config(run.config)
  run.finish(results, {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))})
  run.close()
  logging.info('%s: test error %.2f%% (best valid %.2f%% at step %d)', run.path,
               results.test_error, results.valid_error, results.best_step)
