"""A run directory and the run that owns it: config, checkpoints, curve, logs and results.

    <workdir>/config.json      the resolved config (written when the run claims the directory)
    <workdir>/results.json     final metrics (state.RunResults)
    <workdir>/checkpoints/     orbax checkpoints
    <workdir>/tb/              TensorBoard event files
    <workdir>/valid_curve.csv  validation loss and error at every evaluation
    <workdir>/wall_time.json   wall time spent on the run up to its newest checkpoint
"""

import datetime
import importlib
import json
import os
import time

import ml_collections
import numpy as np
from absl import logging

from fwrnn.engine.checkpoints import Checkpoints
from fwrnn.errors import RunError
from fwrnn.engine.metric_writer import MetricWriter
from fwrnn.engine.atomic import write_atomically
from fwrnn.engine.state import Results, RunResults

CURVE_FILE = 'valid_curve.csv'
RESULTS_FILE = 'results.json'
WALL_TIME_FILE = 'wall_time.json'
# Fields that may change when a run is started again, for they change nothing it computed: its
# ceiling and how often it logs, evaluates and keeps checkpoints.
RESUMABLE_FIELDS = ('train.num_steps', 'train.num_updates', 'train.log_every', 'train.eval_every',
                    'train.checkpoint_every', 'train.checkpoints_to_keep')
# Fields that may change only for a run that trains on (they apply from the resumed step, e.g.
# after a divergence): a finished run given another rate would train nothing, yet say the new one.
CONTINUATION_FIELDS = ('train.patience', 'train.target_error', 'train.learning_rate',
                       'train.grad_clip_norm')


def flatten_config(config: ml_collections.ConfigDict | dict) -> dict:
  """{'a': {'b': 1}} → {'a.b': 1}, every leaf of the config (a ConfigDict or its dict)."""
  flat = {}

  def visit(tree: dict, prefix: str):
    for key, value in tree.items():
      if isinstance(value, dict):
        visit(value, f'{prefix}{key}.')
      else:
        flat[f'{prefix}{key}'] = value

  visit(config.to_dict() if isinstance(config, ml_collections.ConfigDict) else config, '')
  return flat


def read_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run in workdir was started with, with the fields its task added since at the
  values under which it computed (with_added_fields); RunError if there is none."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    raise RunError(f'{workdir} is not a run directory: it has no config.json')
  try:
    with open(path) as f:
      return with_added_fields(ml_collections.ConfigDict(json.load(f)))
  except (json.JSONDecodeError, UnicodeDecodeError) as e:
    raise RunError(f'{path} is not a readable config: {e}') from None


def with_added_fields(config: ml_collections.ConfigDict) -> ml_collections.ConfigDict:
  """config with each field of its task's ADDED_FIELDS ({field: the value that computes as
  before the field existed}) that it lacks: a run recorded before a task gained an option is
  the same run as one given that option's old value."""
  try:
    task = importlib.import_module(config.task) if 'task' in config else None
  except ImportError:
    return config
  for field, value in getattr(task, 'ADDED_FIELDS', {}).items():
    section, _, name = field.rpartition('.')
    if section in config and name not in config[section]:
      config[section][name] = value
  return config


def read_curve(workdir: str, name: str = CURVE_FILE) -> np.ndarray:
  """A curve of a run (by default the validation curve: rows of step, loss, error %);
  RunError naming the first damaged line (cut short, not numbers, steps out of order)."""
  path = os.path.join(workdir, name)
  with open(path, errors='replace') as f:
    header, *rows = f.readlines() or ['']
  width = header.count(',') + 1
  steps = [-1]
  for number, row in enumerate(rows, start=2):
    if not _curve_row_ok(row, width) or int(row.split(',')[0]) <= steps[-1]:
      raise RunError(f'{path} is damaged at line {number} ({row.strip()[:40]!r}); a resumed run '
                     'sets damaged rows aside, a finished one needs the line mended or removed')
    steps.append(int(row.split(',')[0]))
  if not header.endswith('\n'):
    raise RunError(f'{path} is damaged: its header line is cut short')
  return np.array([[float(v) for v in row.split(',')] for row in rows]).reshape(-1, width)


def check_curves(workdir: str) -> None:
  """RunError naming the first damaged line of a run's curves (*_curve.csv), if any."""
  for name in sorted(os.listdir(workdir)):
    if name.endswith('_curve.csv') and '_damaged' not in name:
      read_curve(workdir, name)


def read_results(workdir: str, results_type: type[Results] = RunResults) -> Results:
  """The results of a finished run of the kind whose results are results_type; RunError if
  results.json is damaged (not JSON, or a field missing, unknown or of the wrong type)."""
  path = os.path.join(workdir, RESULTS_FILE)
  try:
    return results_type.read(path)
  except (ValueError, UnicodeDecodeError, TypeError, IsADirectoryError) as e:
    raise RunError(f'{path} is damaged: {e}') from None


def intact_results(workdir: str, results_type: type[Results] = RunResults) -> Results | None:
  """The results of the finished run in workdir; None if it has none or they are damaged."""
  if not os.path.exists(os.path.join(workdir, RESULTS_FILE)):
    return None
  try:
    return read_results(workdir, results_type)
  except RunError:
    return None


def has_checkpoints(workdir: str) -> bool:
  """Whether workdir holds any checkpoint (intact or not)."""
  folder = os.path.join(workdir, 'checkpoints')
  return os.path.isdir(folder) and any(name.isdigit() for name in os.listdir(folder))


def differing_field(old: ml_collections.ConfigDict, new: ml_collections.ConfigDict,
                    finished: bool = False):
  """The first field in which two configs differ, with both values, outside RESUMABLE_FIELDS
  (and CONTINUATION_FIELDS unless the run is finished); None if they are the same run."""
  old, new = flatten_config(old), flatten_config(new)
  free = RESUMABLE_FIELDS if finished else RESUMABLE_FIELDS + CONTINUATION_FIELDS
  for field in sorted(set(old) | set(new)):
    if field not in free and old.get(field) != new.get(field):
      return field, old.get(field), new.get(field)
  return None


def finished_run(workdir: str, results_type: type[Results], num_steps: int,
                 ceiling_field: str = 'train.num_steps') -> bool:
  """Whether workdir holds intact results of a run with nothing left to train up to num_steps;
  RunError if it trained past num_steps (its results would not be those of that ceiling)."""
  results = intact_results(workdir, results_type)
  if results is not None and results.steps_done > num_steps:
    raise RunError(f'{workdir} holds a run trained for {results.steps_done} steps, past '
                   f'{ceiling_field}={num_steps}; choose another --workdir for the lower ceiling')
  return results is not None and results.reached_end(num_steps)


def check_claim(workdir: str, config: ml_collections.ConfigDict, finished: bool = False) -> None:
  """RunError, before anything is written, if workdir cannot hold a run of config: a file, a
  directory of a different experiment (or a finished run given another rate), or checkpoints
  whose experiment cannot be told (no readable config.json)."""
  path = os.path.join(workdir, 'config.json')
  if os.path.exists(workdir) and not os.path.isdir(workdir):
    raise RunError(f'{workdir} is a file, not a run directory; choose another --workdir')
  if os.path.exists(path):
    differs = differing_field(read_config(workdir), config, finished)
    if differs:
      field, old, new = differs
      done = ('a finished run (it would train nothing more)' if finished and
              field in CONTINUATION_FIELDS else 'a run')
      raise RunError(f'{workdir} holds {done} with {field}={old!r}, not {new!r}; '
                     'choose another --workdir to start a new run')
  elif has_checkpoints(workdir):
    raise RunError(f'{workdir} has checkpoints but no config.json to tell which experiment '
                   'they belong to; put its config.json back or choose another --workdir')


def make_directory(workdir: str) -> None:
  """Creates workdir (an empty folder claims nothing); RunError if it cannot be written."""
  try:
    os.makedirs(workdir, exist_ok=True)
  except OSError as e:
    raise RunError(f'cannot write the run directory {workdir}: {e.strerror}') from None


def _curve_row_ok(row: str, width: int) -> bool:
  """Whether a curve's line is whole: width numbers, the first a step, and its newline."""
  fields = row.rstrip('\n').split(',')
  if not row.endswith('\n') or len(fields) != width or not fields[0].isdigit():
    return False
  try:
    [float(field) for field in fields]
  except ValueError:
    return False
  return True


class RunDir:
  """The directory of one run: claimed for its config, then written as the run goes on.

  Only the process that writes files (the first host) writes; every process checks.
  results_type is the dataclass of the kind's results.json.
  """

  def __init__(self, workdir: str, config: ml_collections.ConfigDict, writes: bool = True,
               results_type: type[Results] = RunResults):
    self.path, self.config, self.writes = workdir, config, writes
    self.results_type = results_type
    self._claim()
    self.checkpoints = Checkpoints(workdir, config.train.checkpoints_to_keep, writes)
    self._writer = MetricWriter(os.path.join(workdir, 'tb')) if writes else None

  def _claim(self) -> None:
    """Records the config (the caller has run check_claim)."""
    path = os.path.join(self.path, 'config.json')
    if self.writes:
      make_directory(self.path)
      try:
        write_atomically(path, json.dumps(self.config.to_dict(), indent=2, sort_keys=True))
      except OSError as e:
        raise RunError(f'cannot write the run directory {self.path}: {e.strerror}') from None

  def restart_at(self, step: int) -> None:
    """Drops the rows after step from every curve (*_curve.csv; they are redone when a run
    resumes). RunError rather than start a finished run again from step 0, which would lose
    its curve: with no checkpoint left (another machine, or deleted), it cannot continue."""
    finished = intact_results(self.path, self.results_type)
    if step == 0 and finished is not None:
      raise RunError(f'{self.path} holds a finished run of {finished.steps_done} steps but no '
                     f'checkpoint to continue it from; to train it again from step 0, move its '
                     f'{RESULTS_FILE} and curves (*_curve.csv) away, or choose another --workdir')
    if not self.writes or not os.path.isdir(self.path):
      return
    for name in sorted(os.listdir(self.path)):
      if name.endswith('_curve.csv') and '_damaged' not in name:
        self._cut_curve(name, step)

  def _cut_curve(self, name: str, step: int) -> None:
    """Rewrites a curve with its intact rows up to step. A damaged row (cut short, or not
    numbers: a kill or a disk fault) is never used: the file is kept as
    <name>_damaged.csv, with a warning, and the intact rows go on."""
    path = os.path.join(self.path, name)
    with open(path, errors='replace') as f:
      header, *rows = f.readlines() or ['']
    width = header.count(',') + 1
    intact = [row for row in rows if _curve_row_ok(row, width)]
    if len(intact) < len(rows) or not header.endswith('\n'):
      kept = self._free_name(name[:-len('.csv')] + '_damaged', '.csv')
      os.replace(path, kept)
      logging.warning('%s has %d damaged row(s); kept it as %s and went on with its %d intact '
                      'row(s)', path, len(rows) - len(intact), kept, len(intact))
      if not header.endswith('\n'):
        return  # the header itself is damaged: the curve starts again with its next row
    write_atomically(path, header + ''.join(r for r in intact if int(r.split(',')[0]) <= step))

  def append_curve(self, name: str, step: int, values: dict) -> None:
    """One row (step, then values) of the curve <name>_curve.csv, its header written first."""
    if not self.writes:
      return
    path = os.path.join(self.path, f'{name}_curve.csv')
    new = not os.path.exists(path)
    try:
      with open(path, 'a') as f:
        if new:
          f.write(','.join(['step', *values]) + '\n')
        f.write(','.join([str(step)] + [f'{v:.6g}' for v in values.values()]) + '\n')
    except OSError as e:
      raise RunError(f'cannot add step {step} to {path} ({e.strerror}); its earlier rows and '
                     'the checkpoints are kept: run the same command again') from None

  def log_train(self, step: int, scalars: dict) -> None:
    if self._writer:
      self._writer.write_scalars(step, scalars)

  def log_valid(self, step: int, loss: float, error: float) -> None:
    """TensorBoard and one row of valid_curve.csv (step, loss, error %)."""
    if not self.writes:
      return
    self._writer.write_scalars(step, {'valid/loss': loss, 'valid/error': error,
                                      'valid/accuracy': 100.0 - error})
    self.append_curve('valid', step, {'valid_loss': loss, 'valid_error': error})

  def log_hparams(self, step: int, hparams: dict, metrics: dict) -> None:
    """The run's hyper-parameters and final metrics, for TensorBoard's HParams view."""
    if self._writer:
      self._writer.write_hparams(step, hparams, metrics)

  def finish(self, results: Results) -> None:
    """Writes results.json; an earlier, different results.json is kept as
    results_step<N>.json (a damaged one as results_damaged.json)."""
    if not self.writes:
      return
    path = os.path.join(self.path, RESULTS_FILE)
    if os.path.exists(path):
      try:
        old = read_results(self.path, self.results_type)
      except RunError as e:
        kept = self._free_name('results_damaged')
        os.replace(path, kept)
        logging.warning('%s; kept it as %s and wrote new results', e, kept)
        old = None
      if old is not None and old.outcome() == results.outcome():
        return
      if old is not None:
        kept = self._free_name(f'results_step{old.steps_done}')
        os.replace(path, kept)
        logging.info('%s: kept the earlier results as %s', self.path, kept)
    results.write(path)

  def recorded_time(self) -> tuple[float, str]:
    """The wall time recorded with the newest checkpoint (by whichever process saved it) and
    when the run first started ('' where that was not recorded); (0, '') if nothing was
    recorded, or if the record is damaged (with a warning)."""
    path = os.path.join(self.path, WALL_TIME_FILE)
    try:
      with open(path) as f:
        record = json.load(f)
      return float(record['seconds']), str(record.get('started', ''))
    except FileNotFoundError:
      return 0.0, ''
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as e:
      logging.warning('%s is damaged (%s); the wall time of this run counts from now', path, e)
      return 0.0, ''

  def record_time(self, step: int, seconds: float, started: str, devices: int) -> None:
    """Records the wall time spent up to the checkpoint of step, when the run started, and
    the devices it trained on."""
    if self.writes:
      write_atomically(os.path.join(self.path, WALL_TIME_FILE),
                       json.dumps({'step': step, 'seconds': seconds, 'started': started,
                                   'devices': devices}))

  def check_devices(self, devices: int) -> None:
    """RunError if the newest checkpoint was trained on another number of devices: a resumed
    run would then match neither an uninterrupted run on the old count nor one on the new
    (the batches split otherwise). Records without the count (older runs), and runs without
    checkpoints (which start afresh), pass."""
    if not has_checkpoints(self.path):
      return
    try:
      with open(os.path.join(self.path, WALL_TIME_FILE)) as f:
        recorded = json.load(f).get('devices')
    except (OSError, ValueError, AttributeError):
      return
    if isinstance(recorded, int) and recorded != devices:
      raise RunError(f'{self.path} was trained on {recorded} devices and would resume on '
                     f'{devices}, which computes other numbers; resume it on {recorded} (on a '
                     f'CPU: XLA_FLAGS=--xla_force_host_platform_device_count={recorded}) or '
                     'choose another --workdir')

  def _free_name(self, stem: str, ending: str = '.json') -> str:
    kept, suffix = os.path.join(self.path, f'{stem}{ending}'), 1
    while os.path.exists(kept):
      kept, suffix = os.path.join(self.path, f'{stem}_{suffix}{ending}'), suffix + 1
    return kept

  def close(self) -> None:
    self.checkpoints.close()
    if self._writer:
      self._writer.close()


class WallClock:
  """The wall time spent on a population of runs over every process that trained it (what
  their directories recorded with the checkpoint they resumed from, plus this process's), and
  when each run first started (UTC, the moment its wall time counts from): members that
  started together share it."""

  def __init__(self, runs: list[RunDir], started: float, resumed: bool, devices: int):
    self.runs, self.started, self.devices = runs, started, devices
    since = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(
        seconds=time.perf_counter() - started)).isoformat(timespec='milliseconds')
    recorded = [run.recorded_time() if resumed else (0.0, since) for run in runs]
    self.earlier = np.array([seconds for seconds, _ in recorded])
    self.first_started = [first for _, first in recorded]

  def seconds(self) -> np.ndarray:
    """Each run's wall time so far."""
    return self.earlier + (time.perf_counter() - self.started)

  def record(self, steps) -> None:
    """Records each run's wall time beside its checkpoint of steps[i]."""
    for run, step, seconds, first in zip(self.runs, steps, self.seconds(), self.first_started):
      run.record_time(int(step), float(seconds), first, self.devices)
