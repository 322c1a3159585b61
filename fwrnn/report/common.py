"""What every report kind shares: the models' names, a spread over seeds written the same way
everywhere, the refusal to replace files, the runs a report reads, and seed bands of curves."""

import dataclasses
import os

import numpy as np

from fwrnn import tasks
from fwrnn.engine import csv_rows, run_dir
from fwrnn.engine.kind import kind_of
from fwrnn.errors import RunError

LABELS = {'irnn': 'IRNN', 'lstm': 'LSTM', 'alstm': 'A-LSTM', 'convnet': 'ConvNet',
          'fast_weights': 'Fast weights', 'ln_irnn': 'LN-IRNN'}


def runs_of(row: dict) -> str:
  """Which kind of run a report's row is: 'catch', 'mqar' (a task with labels per position,
  LABELS_PER_POSITION) or 'supervised' (one label per sequence)."""
  if 'final_catch_rate' in row:
    return 'catch'
  per_position = row.get('task') and getattr(tasks.import_task(row['task']),
                                              'LABELS_PER_POSITION', False)
  return 'mqar' if per_position else 'supervised'


def refusal_to_replace(paths: list[str], overwrite: bool) -> str | None:
  """The one-line error for the first of paths that is already there (None if none is, or
  if overwrite): reports never replace a file unasked."""
  there = [p for p in paths if os.path.exists(p)]
  if there and not overwrite:
    return (f'error: {there[0]} is already there; give --overwrite to replace it, or another '
            '--out_dir')
  return None


def mean_std(values) -> tuple[float, float]:
  """Mean and sample standard deviation (0 for a single value)."""
  values = np.asarray(values, float)
  return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


def spread_text(values, spec: str = '.2f', scale: float = 1.0) -> str:
  """'mean ± std' of values over seeds (times scale), or the one seed's value marked as such:
  a single run has no spread to show."""
  mean, std = mean_std(np.asarray(values, float) * scale)
  if len(values) == 1:
    return f'{mean:{spec}} (1 seed)'
  return f'{mean:{spec}} ± {std:{spec}}'


def read_runs(folder: str) -> tuple[list[dict], list[dict]]:
  """The finished runs a report reads, and their configs: the rows of <folder>/sweep.csv if
  there is one, else every run directory below folder with a results.json (each row: the
  results' fields and its workdir). RunError if there are none or a file is damaged."""
  path = os.path.join(folder, csv_rows.SWEEP_CSV)
  if os.path.exists(path):
    rows = csv_rows.read_csv(path)
  else:
    rows = []
    for workdir, _, files in sorted(os.walk(folder)):
      if run_dir.RESULTS_FILE in files and 'config.json' in files:
        kind = kind_of(run_dir.read_config(workdir))
        rows.append(dict(workdir=workdir, **dataclasses.asdict(
            run_dir.read_results(workdir, kind.results_type))))
  if not rows:
    raise RunError(f'{folder} holds no finished runs: neither a {csv_rows.SWEEP_CSV} nor run '
                   'directories with results.json; run scripts/sweep.py first')
  for row in rows:  # a damaged curve is refused before the report writes anything
    run_dir.check_curves(row['workdir'])
  return rows, [run_dir.read_config(r['workdir']).to_dict() for r in rows]


def seed_curves(workdirs: list[str], column: int, curve: str = run_dir.CURVE_FILE):
  """(steps, values seeds×steps) of a column of a curve file of a group's runs, or None if
  none is there. A run that stopped early keeps its parameters, so it holds its last value
  to the end of the longest run."""
  curves = [run_dir.read_curve(w, curve) for w in workdirs if os.path.exists(os.path.join(w, curve))]
  if not curves:
    return None
  longest = max(curves, key=len)
  held = lambda c: np.concatenate([c[:, column], np.full(len(longest) - len(c), c[-1, column])])
  return longest[:, 0], np.stack([held(c) for c in curves])


def draw_seed_band(ax, steps, values, label: str, color=None):
  """The mean over seeds of values (seeds×steps) and its min–max band."""
  line, = ax.plot(steps, values.mean(0), color=color, label=label)
  ax.fill_between(steps, values.min(0), values.max(0), color=line.get_color(), alpha=0.2)
  return line


def say_empty(ax, text: str) -> None:
  """An empty panel that says why it is empty."""
  ax.set_axis_off()
  ax.text(0.5, 0.5, text, ha='center', va='center', transform=ax.transAxes, fontsize=9,
          wrap=True)
