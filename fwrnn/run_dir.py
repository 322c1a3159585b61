"""The files of a run directory: its resolved config and its results, never silently replaced.

    <workdir>/config.json    the resolved config (written at the start of every run)
    <workdir>/results.json   final metrics
    <workdir>/checkpoints/   orbax checkpoints
    <workdir>/tb/            TensorBoard event files
"""

import json
import os

import ml_collections

from fwrnn.errors import RunError

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
