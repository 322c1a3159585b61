"""A run directory and the run that owns it: config, checkpoints, curve, logs and results.

    <workdir>/config.json      the resolved config (written when the run claims the directory)
    <workdir>/results.json     final metrics (state.RunResults)
    <workdir>/checkpoints/     orbax checkpoints
    <workdir>/tb/              TensorBoard event files
    <workdir>/valid_curve.csv  validation loss and error at every evaluation
"""

import json
import os

import ml_collections
import numpy as np
from absl import logging

from fwrnn.checkpoints import Checkpoints
from fwrnn.errors import RunError
from fwrnn.metric_writer import MetricWriter
from fwrnn.state import RunResults

CURVE_FILE = 'valid_curve.csv'
RESULTS_FILE = 'results.json'
# Fields that a resumed run may change: how long, how often to log, and the optimizer's
# rate and clipping (which apply from the resumed step on, e.g. after a divergence).
RESUMABLE_FIELDS = ('train.num_steps', 'train.log_every', 'train.eval_every',
                    'train.checkpoints_to_keep', 'train.learning_rate', 'train.grad_clip_norm')


def flatten_config(config: ml_collections.ConfigDict) -> dict:
  """{'a': {'b': 1}} → {'a.b': 1}, every leaf of the config."""
  flat = {}

  def visit(tree: dict, prefix: str):
    for key, value in tree.items():
      if isinstance(value, dict):
        visit(value, f'{prefix}{key}.')
      else:
        flat[f'{prefix}{key}'] = value

  visit(config.to_dict(), '')
  return flat


def read_config(workdir: str) -> ml_collections.ConfigDict:
  """The config a run in workdir was started with; RunError if there is none."""
  path = os.path.join(workdir, 'config.json')
  if not os.path.exists(path):
    raise RunError(f'{workdir} is not a run directory: it has no config.json')
  try:
    with open(path) as f:
      return ml_collections.ConfigDict(json.load(f))
  except (json.JSONDecodeError, UnicodeDecodeError) as e:
    raise RunError(f'{path} is not a readable config: {e}') from None


def read_curve(workdir: str) -> np.ndarray:
  """The validation curve of a run: rows of (step, loss, error %)."""
  return np.loadtxt(os.path.join(workdir, CURVE_FILE), delimiter=',', skiprows=1, ndmin=2)


def read_results(workdir: str) -> RunResults:
  """The results of a finished run."""
  return RunResults.read(os.path.join(workdir, RESULTS_FILE))


class RunDir:
  """The directory of one run: claimed for its config, then written as the run goes on.

  Only the process that writes files (the first host) writes; every process checks.
  """

  def __init__(self, workdir: str, config: ml_collections.ConfigDict, writes: bool = True):
    self.path, self.config, self.writes = workdir, config, writes
    self._claim()
    self.checkpoints = Checkpoints(workdir, config.train.checkpoints_to_keep)
    self._writer = MetricWriter(os.path.join(workdir, 'tb')) if writes else None

  def _claim(self) -> None:
    """Records the config; RunError if the directory holds a different experiment."""
    path = os.path.join(self.path, 'config.json')
    new = flatten_config(self.config)
    if os.path.exists(path):
      old = flatten_config(read_config(self.path))
      for field in sorted(set(old) | set(new)):
        if field not in RESUMABLE_FIELDS and old.get(field) != new.get(field):
          raise RunError(f'{self.path} holds a run with {field}={old.get(field)!r}, not '
                         f'{new.get(field)!r}; choose another --workdir to start a new run')
    if self.writes:
      os.makedirs(self.path, exist_ok=True)
      with open(path, 'w') as f:
        json.dump(self.config.to_dict(), f, indent=2, sort_keys=True)

  def restart_at(self, step: int) -> None:
    """Drops evaluations after step from the curve (they are redone when a run resumes)."""
    path = os.path.join(self.path, CURVE_FILE)
    if not self.writes or not os.path.exists(path):
      return
    with open(path) as f:
      lines = f.readlines()
    with open(path, 'w') as f:
      f.writelines(lines[:1] + [line for line in lines[1:] if int(line.split(',')[0]) <= step])

  def log_train(self, step: int, scalars: dict) -> None:
    if self._writer:
      self._writer.write_scalars(step, scalars)

  def log_valid(self, step: int, loss: float, error: float) -> None:
    """TensorBoard and one row of valid_curve.csv (step, loss, error %)."""
    if not self.writes:
      return
    self._writer.write_scalars(step, {'valid/loss': loss, 'valid/error': error,
                                      'valid/accuracy': 1 - error / 100})
    path = os.path.join(self.path, CURVE_FILE)
    new = not os.path.exists(path)
    with open(path, 'a') as f:
      if new:
        f.write('step,valid_loss,valid_error\n')
      f.write(f'{step},{loss:.6g},{error:.6g}\n')

  def finish(self, results: RunResults, hparams: dict) -> None:
    """The test error in TensorBoard, the hyper-parameters, and results.json; an earlier,
    different results.json is kept as results_step<N>.json."""
    if not self.writes:
      return
    self._writer.write_scalars(results.steps, {'test/error': results.test_error})
    self._writer.write_hparams(hparams, {'hparam/test_error': results.test_error,
                                         'hparam/valid_error': results.valid_error})
    path = os.path.join(self.path, RESULTS_FILE)
    if os.path.exists(path):
      old = read_results(self.path)
      if old.outcome() == results.outcome():
        return
      os.replace(path, self._free_name(f'results_step{old.steps}'))
      logging.info('%s: kept the earlier results as results_step%d.json', self.path, old.steps)
    results.write(path)

  def _free_name(self, stem: str) -> str:
    kept, suffix = os.path.join(self.path, f'{stem}.json'), 1
    while os.path.exists(kept):
      kept, suffix = os.path.join(self.path, f'{stem}_{suffix}.json'), suffix + 1
    return kept

  def close(self) -> None:
    self.checkpoints.close()
    if self._writer:
      self._writer.close()
