"""The one training loop, for a population of runs of any kind: configs in, results out.

A run is a population of one. Runs whose configs differ only in their Member numbers (the
seed, learning rate, λ, η) train together as one population: one compiled program, one
copy of the data, the members spread over the devices (population.py). Every member keeps
a complete run directory of its own (run_dir.py), so a member of a sweep is a run like any
other. What differs between kinds of run (supervised tasks, Catch) is the kind's pieces
(kind.py); the loop, restore, save, stop and results are the same for all.
"""

import json
import time

import jax
import ml_collections
import numpy as np
from absl import logging

from fwrnn.engine import config_checks, population as population_lib, run_dir
from fwrnn.engine.interrupts import Interrupted, StopRequests
from fwrnn.engine.kind import Program, RunCost, RunKind, Schedule, kind_of
from fwrnn.engine.lock import DirectoryLock
from fwrnn.engine.population import Population
from fwrnn.engine.progress import Progress
from fwrnn.engine.run_dir import RunDir, WallClock
from fwrnn.engine.state import Member, Results, machine_name, population_fields
from fwrnn.errors import ConfigError


def population_key(config: ml_collections.ConfigDict) -> str:
  """Configs with equal keys can train as one population."""
  fields = population_fields()
  flat = run_dir.flatten_config(config)
  return json.dumps({k: v for k, v in flat.items() if k not in fields}, sort_keys=True)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str,
                       stop: StopRequests | None = None) -> Results:
  """Trains (or resumes) the run in workdir and returns the results written to results.json."""
  return train_population([config], [workdir], stop)[0]


def checked_kind(configs: list[ml_collections.ConfigDict], population: bool = True) -> RunKind:
  """The kind of configs that are valid, of one kind and, for a population, differ only in
  Member fields; ConfigError naming the first bad field otherwise."""
  kind = kind_of(configs[0])
  for config in configs:
    config_checks.check_rules(config, kind.rules())
    kind.validate(config)
  if len({c.task for c in configs}) != 1:
    raise ConfigError('the configs name different tasks: ' + ', '.join(sorted({c.task for c in configs})))
  if population and len({population_key(c) for c in configs}) != 1:
    raise ConfigError('a population may differ only in ' + ', '.join(population_fields()))
  return kind


def train_population(configs: list[ml_collections.ConfigDict], workdirs: list[str],
                     stop: StopRequests | None = None) -> list[Results]:
  """Trains (or resumes) runs that differ only in their Member numbers together; their results.

  The population stops at the schedule's ceiling or when no member trains any more (a kind
  may stop a member early, e.g. by patience). SIGINT or SIGTERM stops it at the next chunk
  boundary with a checkpoint (interrupts.py): a script passes the stop requests it has held
  since its first line. Every input (the configs, the kind's data) is checked before a run
  directory is written."""
  if stop is None:
    with StopRequests() as stop:
      return train_population(configs, workdirs, stop)
  started = time.perf_counter()
  kind = checked_kind(configs)
  schedule = kind.schedule(configs[0])
  claims = [(w, c, run_dir.finished_run(w, kind.results_type, schedule.num_steps,
                                        schedule.ceiling_field))
            for w, c in zip(workdirs, configs)]
  for claim in claims:  # the run directories, before the data
    run_dir.check_claim(*claim)
    if population_lib.writes_files():
      run_dir.make_directory(claim[0])
  population = Population(len(configs), kind.batch_size(configs[0]))
  logging.info('Preparing %s (%s, a population of %d on %d %s device(s))', _names(workdirs),
               configs[0].task, len(configs), population.device_count, jax.default_backend())
  program = kind.program(configs, population)
  locks, runs = [], []
  try:
    for workdir in workdirs if population_lib.writes_files() else []:
      locks.append(DirectoryLock(workdir))  # the first thing written: nothing before it
    for claim in claims:  # again, now that no other process can write there
      run_dir.check_claim(*claim)
    for workdir, config in zip(workdirs, configs):
      runs.append(RunDir(workdir, config, population_lib.writes_files(), kind.results_type))
    results = _train(program, schedule, population, runs, configs, started, stop)
    for run, result in zip(runs, results):
      kind.summary(run, result)
      run.finish(result)
    return results
  finally:
    for run in runs:
      run.close()
    for lock in locks:
      lock.release()


def _train(program: Program, schedule: Schedule, population: Population, runs: list[RunDir],
           configs: list[ml_collections.ConfigDict], started: float,
           stop: StopRequests) -> list[Results]:
  """Restores the population, trains it chunk by chunk to the end (or a stop request), and
  returns its results."""
  for run in runs:  # before restoring touches anything
    run.check_devices(population.device_count)
  members = population.put([Member.of(c) for c in configs])
  state = restore_population(runs, program.init(members), population)
  step = int(population.to_host(state.step)[0])
  clock = WallClock(runs, started, resumed=step > 0, devices=population.device_count)
  program.compile(state, members)
  if stop.signal_name:  # asked while the data loaded or the program compiled
    raise Interrupted(f'stopped by {stop.signal_name} before training (at step {step}); run the '
                      'same command again to start')
  progress = Progress(len(runs), schedule, step)
  running = population.to_host(program.running(state))
  while step < schedule.num_steps and running.any() and not stop.signal_name:
    state, step, running = _chunk(program, population, runs, state, members, step, running,
                                  schedule, progress, clock, stop)
  if stop.signal_name:
    stop_population(runs, state, population, step, stop, clock)
  cost = RunCost(clock.seconds(), clock.first_started,
                 progress.steps / progress.seconds if progress.seconds else None,
                 program.compile_seconds, population.device_count, machine_name())
  return program.results(state, members, cost)


def _chunk(program: Program, population: Population, runs: list[RunDir], state, members,
           step: int, running: np.ndarray, schedule: Schedule, progress: Progress,
           clock: WallClock, stop: StopRequests):
  """The steps up to the next log or save point, their progress line, and the checkpoint
  at a save point; (state, step, running) after them."""
  stop_at = _next_stop(step, schedule)
  call_started = time.perf_counter()
  state, metrics = program.run(state, members, step, stop_at - step)
  metrics = population.to_host(metrics)
  progress.add(stop_at - step, time.perf_counter() - call_started)
  training = int(running.sum())
  trained = '' if training == len(runs) else f'  ({training} of {len(runs)} training)'
  line = (f'step {stop_at}/{schedule.num_steps}{trained}  '
          f'{program.log(runs, metrics, step, stop_at, progress.last_seconds, running)}  '
          f'{progress.text(training)}')
  now_running = running
  if stop_at % schedule.save_every == 0 or stop_at == schedule.num_steps:
    state, text = program.at_save(state, members, runs, stop_at, running)
    now_running = population.to_host(program.running(state))
    line += text
    with stop.protect():
      save_population(runs, state, population, clock)
  logging.info(line)
  for i in np.flatnonzero(running & ~now_running):
    logging.info('%s: stopped early at step %d (train.patience)', runs[i].path, stop_at)
  return state, stop_at, now_running


def stop_population(runs: list[RunDir], state, population: Population, step: int,
                    stop: StopRequests, clock: WallClock):
  """Saves the state of a run stopped by a signal (unless just saved) and raises Interrupted."""
  signal_name = stop.signal_name
  if runs[0].checkpoints.latest_step() != step:
    with stop.protect():
      save_population(runs, state, population, clock)
  where = (runs[0].checkpoints.directory if len(runs) == 1
           else f"each of the {len(runs)} members' directories")
  raise Interrupted(f'stopped by {signal_name} at step {step}; its checkpoint is saved in {where}; '
                    'run the same command again to resume')


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
      except ValueError as e:
        logging.warning('%s', run.checkpoints.set_aside(common, f'cannot be read ({e})'))
        intact[i].discard(common)
        break
    else:
      logging.info('Resuming %s from step %d', _names([r.path for r in runs]), common)
      return population.put(restored, like=state)


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


def _next_stop(step: int, schedule: Schedule) -> int:
  stops = [(step // every + 1) * every for every in (schedule.log_every, schedule.save_every)]
  return min(stops + [schedule.num_steps])


def _names(workdirs: list[str]) -> str:
  return workdirs[0] if len(workdirs) == 1 else f'{len(workdirs)} members'
