"""The files of a run directory: its resolved config and its results, never silently replaced.

    <workdir>/config.json    the resolved config (written at the start of every run)
    <workdir>/results.json   final metrics
    <workdir>/checkpoints/   orbax checkpoints
    <workdir>/tb/            TensorBoard event files
    <workdir>/valid_curve.csv  validation loss and error at every evaluation
"""

import json
import os

import ml_collections
import numpy as np

from fwrnn.errors import RunError

CURVE_FILE = 'valid_curve.csv'
# Fields that a resumed run may change: how long, how often to log, and the optimizer's
# rate and clipping (which apply from the resumed step on, e.g. after a divergence).
RESUMABLE_FIELDS = ('train.num_steps', 'train.log_every', 'train.eval_every',
                    'train.checkpoints_to_keep', 'train.learning_rate', 'train.grad_clip_norm')


def default_workdir(config: ml_collections.ConfigDict) -> str:
  """runs/<model>_r<hidden>_k<pairs>_seed<seed>: one directory per experiment and seed."""
  m = config.model
  return os.path.join('runs', f'{m.name}_r{m.hidden_size}_k{config.data.num_pairs}_seed{config.seed}')


def flatten_config(tree: dict, prefix: str = '') -> dict:
  """{'a': {'b': 1}} -> {'a.b': 1}."""
  flat = {}
  for key, value in tree.items():
    if isinstance(value, dict):
      flat.update(flatten_config(value, f'{prefix}{key}.'))
    else:
      flat[f'{prefix}{key}'] = value
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


def claim(workdir: str, config: ml_collections.ConfigDict) -> None:
  """Records config in workdir; RunError if the directory holds a different experiment."""
  path = os.path.join(workdir, 'config.json')
  if os.path.exists(path):
    old = flatten_config(read_config(workdir).to_dict())
    new = flatten_config(config.to_dict())
    for field in sorted(set(old) | set(new)):
      if field not in RESUMABLE_FIELDS and old.get(field) != new.get(field):
        raise RunError(f'{workdir} holds a run with {field}={old.get(field)!r}, not '
                       f'{new.get(field)!r}; choose another --workdir to start a new run')
  os.makedirs(workdir, exist_ok=True)
  with open(path, 'w') as f:
    json.dump(config.to_dict(), f, indent=2, sort_keys=True)


def write_results(workdir: str, results: dict) -> str:
  """Writes results.json; an earlier, different one is kept as results_step<N>.json."""
  path = os.path.join(workdir, 'results.json')
  if os.path.exists(path):
    with open(path) as f:
      old = json.load(f)
    if _same_outcome(old, results):
      return path
    kept = os.path.join(workdir, f'results_step{old.get("steps", "unknown")}.json')
    suffix = 1
    while os.path.exists(kept):
      kept = os.path.join(workdir, f'results_step{old.get("steps", "unknown")}_{suffix}.json')
      suffix += 1
    os.replace(path, kept)
    print(f'Kept the earlier results as {kept}')
  with open(path, 'w') as f:
    json.dump(results, f, indent=2, sort_keys=True)
  return path


def _same_outcome(old: dict, new: dict) -> bool:
  timing = ('train_seconds', 'steps_per_second', 'compile_seconds')
  strip = lambda r: {k: v for k, v in r.items() if k not in timing}
  return strip(old) == strip(new)


def append_curve(workdir: str, step: int, valid_loss: float, valid_error: float) -> None:
  """Adds one evaluation to <workdir>/valid_curve.csv (step, loss, error %)."""
  path = os.path.join(workdir, CURVE_FILE)
  new = not os.path.exists(path)
  with open(path, 'a') as f:
    if new:
      f.write('step,valid_loss,valid_error\n')
    f.write(f'{step},{valid_loss:.6g},{valid_error:.6g}\n')


def truncate_curve(workdir: str, step: int) -> None:
  """Drops evaluations after `step` from the curve (they are redone when a run resumes)."""
  path = os.path.join(workdir, CURVE_FILE)
  if not os.path.exists(path):
    return
  with open(path) as f:
    lines = f.readlines()
  kept = lines[:1] + [line for line in lines[1:] if int(line.split(',')[0]) <= step]
  with open(path, 'w') as f:
    f.writelines(kept)


def read_curve(workdir: str) -> np.ndarray:
  """The validation curve of a run: rows of (step, loss, error %)."""
  return np.loadtxt(os.path.join(workdir, CURVE_FILE), delimiter=',', skiprows=1, ndmin=2)


def read_results(workdir: str) -> dict:
  """The results.json of a finished run."""
  with open(os.path.join(workdir, 'results.json')) as f:
    return json.load(f)
