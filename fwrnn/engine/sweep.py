"""Sweeps: a grid of runs, trained as few populations as their shapes allow.

A sweep is a list of overrides, each a dict {config field: value} applied to a base config.
A config file may define get_sweep() returning that list (big_vision style: the sweep sits
next to the config it sweeps); the command line may give a grid instead. Each member is a
run directory <sweep_dir>/<member name>; a group of members whose configs differ only in
their state.Member fields trains as one population. A group whose members all have results
of all its steps is skipped, so a sweep started again resumes where it stopped (from the
members' newest checkpoints), and a sweep given more steps continues its members.
"""

import dataclasses
import importlib.util
import itertools
import os

import ml_collections
from absl import logging

from fwrnn.engine import loop, run_dir
from fwrnn.engine.interrupts import Interrupted, StopRequests
from fwrnn.engine.kind import RunKind
from fwrnn.engine.lock import DirectoryLock
from fwrnn.engine.csv_rows import SWEEP_CSV, literal, write_csv
from fwrnn.errors import ConfigError, RunError



def parse_grid(spec: str) -> list[dict]:
  """'seed=0,1 train.learning_rate=1e-3,3e-3' -> the 4 overrides of the product grid."""
  axes = []
  for item in spec.split():
    field, sep, values = item.partition('=')
    if not sep or not values:
      raise ConfigError(f'sweep grid item {item!r} must look like field=value1,value2')
    axes.append([(field, literal(v)) for v in values.split(',')])
  return [dict(choice) for choice in itertools.product(*axes)]


def load_config_sweep(config_path: str) -> list[dict] | None:
  """get_sweep() of a config file ('path.py' or 'path.py:variant'), or None if it has none."""
  path, _, variant = config_path.partition(':')
  spec = importlib.util.spec_from_file_location('sweep_config', path)
  module = importlib.util.module_from_spec(spec)
  spec.loader.exec_module(module)
  if not hasattr(module, 'get_sweep'):
    return None
  return module.get_sweep(variant) if variant else module.get_sweep()


def member_config(base: ml_collections.ConfigDict, overrides: dict) -> ml_collections.ConfigDict:
  """base with the overrides applied; ConfigError naming an override that is not a field or
  has the wrong type."""
  config = base.copy_and_resolve_references()
  config.lock()  # an unknown field is refused, not added
  for field, value in overrides.items():
    try:
      config.update_from_flattened_dict({field: value})
    except (KeyError, AttributeError):
      raise ConfigError(f'sweep field {field} is not a config field') from None
    except TypeError:
      raise ConfigError(f'sweep field {field} has a different type than {value!r}') from None
  config.unlock()
  return config


def member_name(overrides: dict) -> str:
  """A directory name that says what the member changes, e.g. name=lstm,hidden_size=20,seed=0."""
  parts = [f'{field.rsplit(".", 1)[-1]}={value}' for field, value in overrides.items()]
  return ','.join(parts) or 'base'


def run_sweep(base: ml_collections.ConfigDict, sweep: list[dict], sweep_dir: str,
              only: list[dict] | None = None, stop: StopRequests | None = None) -> list[dict]:
  """Trains every member not yet done, population by population; returns all members' rows.

  With `only` (alternatives of {field: value}, as parse_grid gives them), trains just the
  members that match one of them, so that parts of a sweep can run at different times or
  on different machines. sweep.csv is rewritten after every population with every member
  of the sweep finished so far. stop: the stop requests a script holds (a signal between
  populations stops the sweep there)."""
  if not sweep:
    raise ConfigError('the sweep is empty')
  configs = [member_config(base, overrides) for overrides in sweep]
  chosen = [_matches(run_dir.flatten_config(config), only) if only else True
            for config in configs]
  if not any(chosen):
    raise ConfigError(f'--only matches no member of the sweep: {only[0]} and the rest')
  workdirs = [os.path.join(sweep_dir, member_name(overrides)) for overrides in sweep]
  if len(set(workdirs)) != len(workdirs):
    raise ConfigError('the sweep lists the same member twice')
  kind = loop.checked_kind(configs, population=False)  # every member, before anything is written
  for overrides, config, workdir in zip(sweep, configs, workdirs):
    _check_same_experiment(kind, member_name(overrides), config, workdir)
    _warn_if_stranded(kind, config, workdir)
  groups: dict[str, list[int]] = {}
  for i, config in enumerate(configs):
    groups.setdefault(loop.population_key(config), []).append(i)
  for number, members in enumerate(groups.values(), 1):
    todo = [i for i in members if chosen[i] and not _finished(kind, configs[i], workdirs[i])]
    if todo and stop is not None and stop.signal_name:
      raise Interrupted(f'stopped by {stop.signal_name} before population {number} of '
                        f'{len(groups)}; run the same command again to go on')
    if todo:
      logging.info('Population %d/%d: %d members, %s R=%d', number, len(groups), len(todo),
                   configs[todo[0]].model.name, configs[todo[0]].model.hidden_size)
      loop.train_population([configs[i] for i in todo], [workdirs[i] for i in todo], stop)
    turn = DirectoryLock(sweep_dir, 'sweep table', wait=True)  # parts side by side take turns
    try:
      rows = _finished_rows(kind, sweep, configs, workdirs)
      write_csv(rows, os.path.join(sweep_dir, SWEEP_CSV))  # after every population
    finally:
      turn.release()
  return rows


def _matches(flat_config: dict, alternatives: list[dict]) -> bool:
  """Whether the config has each field of some alternative ('train.learning_rate': 1e-3, …)
  at that value."""
  for fields in alternatives:
    unknown = [field for field in fields if field not in flat_config]
    if unknown:
      raise ConfigError(f'--only field {unknown[0]} is not a config field')
  return any(all(flat_config[field] == value for field, value in fields.items())
             for fields in alternatives)


def _finished_rows(kind: RunKind, sweep: list[dict], configs, workdirs) -> list[dict]:
  return [dict(overrides, workdir=w, **dataclasses.asdict(run_dir.read_results(w, kind.results_type)))
          for overrides, config, w in zip(sweep, configs, workdirs) if _finished(kind, config, w)]


def _check_same_experiment(kind: RunKind, name: str, config: ml_collections.ConfigDict,
                           workdir: str) -> None:
  """ConfigError if the member's directory holds a run of another experiment, a finished run
  given another rate (it would report its old results as new), or one trained past the
  ceiling."""
  if not os.path.exists(os.path.join(workdir, 'config.json')):
    return
  schedule = kind.schedule(config)
  try:
    finished = run_dir.finished_run(workdir, kind.results_type, schedule.num_steps,
                                    schedule.ceiling_field)
  except RunError as e:
    raise ConfigError(f'sweep member {name}: {e}; give another --sweep_dir') from None
  differs = run_dir.differing_field(run_dir.read_config(workdir), config, finished)
  if differs:
    field, old, new = differs
    done = 'finished run' if finished and field in run_dir.CONTINUATION_FIELDS else 'run'
    raise ConfigError(f'sweep member {name} in {workdir} holds a {done} with {field}={old!r}, '
                      f'not {new!r}; give another --sweep_dir for this experiment')


def _finished(kind: RunKind, config: ml_collections.ConfigDict, workdir: str) -> bool:
  """Whether the member has intact results of all its steps or was stopped early (a longer
  ceiling continues a run that reached it, if its checkpoints are there; a damaged
  results.json is trained again and rewritten)."""
  results = run_dir.intact_results(workdir, kind.results_type)
  return results is not None and (results.reached_end(kind.schedule(config).num_steps)
                                  or not run_dir.has_checkpoints(workdir))


def _warn_if_stranded(kind: RunKind, config: ml_collections.ConfigDict, workdir: str) -> None:
  """Warns of a member that reached an older, lower ceiling and has no checkpoint to go on
  from: it is kept as it is, not trained again from step 0 over its results."""
  results = run_dir.intact_results(workdir, kind.results_type)
  schedule = kind.schedule(config)
  if (results is not None and not results.reached_end(schedule.num_steps)
      and not run_dir.has_checkpoints(workdir)):
    logging.warning('%s: kept at its %d steps, below %s=%d, since it has no checkpoint to '
                    'continue from (move its %s away to train it again from step 0)', workdir,
                    results.steps_done, schedule.ceiling_field, schedule.num_steps,
                    run_dir.RESULTS_FILE)
