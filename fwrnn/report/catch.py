"""Tables and learning curves of Catch runs: mean episode reward against environment steps per
core and version of the game, with a band over seeds."""

import collections
import json
import os

import numpy as np
from matplotlib.figure import Figure

from fwrnn.report.paper import LABELS, mean_std
from fwrnn.engine.run_dir import read_config

CURVE = 'catch_curve.csv'


def find_runs(root: str) -> list[str]:
  """Every run directory under root that has a catch curve and results."""
  return sorted(folder for folder, _, files in os.walk(root)
                if CURVE in files and 'results.json' in files)


def groups(workdirs: list[str]) -> dict:
  """{(model, N, M, diagonal): [(seed, curve rows of update, steps, catch rate, results)]}."""
  found = collections.defaultdict(list)
  for workdir in workdirs:
    config = read_config(workdir)
    with open(os.path.join(workdir, 'results.json')) as f:
      results = json.load(f)
    curve = np.loadtxt(os.path.join(workdir, CURVE), delimiter=',', skiprows=1, ndmin=2)
    key = (config.model.name, config.env.size, config.env.visible_frames, config.env.diagonal)
    found[key].append((config.seed, curve, results))
  order = lambda item: (item[0][1:], list(LABELS).index(item[0][0]))
  return {key: sorted(runs, key=lambda run: run[0]) for key, runs in sorted(found.items(), key=order)}


def _rates(runs: list) -> tuple[np.ndarray, np.ndarray]:
  """(environment steps, catch rates seeds×points) of a group's runs, on their common points."""
  length = min(len(curve) for _, curve, _ in runs)
  return runs[0][1][:length, 1], np.stack([curve[:length, 2] for _, curve, _ in runs])


def _first_reaching(steps: np.ndarray, rate: np.ndarray, level: float) -> str:
  reached = np.flatnonzero(rate >= level)
  return f'{steps[reached[0]] / 1e6:.2f}M' if len(reached) else 'not reached'


def markdown(found: dict, header: str, last: int = 10) -> str:
  """One row per core and version: seeds, the catch rate at the end (mean of the last `last`
  points of each seed's curve, then mean ± std over seeds), the same at the shortest budget of
  any core of that version (so that cores trained for different budgets compare at equal
  steps), and when the seeds' mean curve first reached 50% and 80%."""
  shortest = {}
  for (_, *version), runs in found.items():
    shortest[tuple(version)] = min(shortest.get(tuple(version), np.inf), _rates(runs)[0][-1])
  lines = [header, '', '| version | core | seeds | environment steps | catch rate at the end | '
           'mean reward at the end | catch rate at the version\'s shortest budget | '
           '50% reached at | 80% reached at |', '|---|---|---|---:|---:|---:|---:|---:|---:|']
  for (model, size, visible, diagonal), runs in found.items():
    steps, rates = _rates(runs)
    end_mean, end_std = mean_std(rates[:, -last:].mean(1))
    common = shortest[size, visible, diagonal]
    within = steps <= common
    common_mean, common_std = mean_std(rates[:, within][:, -last:].mean(1))
    version = f'N = {size}, M = {visible}' + (', diagonal' if diagonal else '')
    lines.append(f'| {version} | {LABELS[model]} | {", ".join(str(s) for s, _, _ in runs)} | '
                 f'{steps[-1]:,.0f} | {100 * end_mean:.1f} ± {100 * end_std:.1f}% | '
                 f'{2 * end_mean - 1:.2f} | {100 * common_mean:.1f} ± {100 * common_std:.1f}% '
                 f'at {common / 1e6:.2f}M | {_first_reaching(steps, rates.mean(0), 0.5)} | '
                 f'{_first_reaching(steps, rates.mean(0), 0.8)} |')
  return '\n'.join(lines) + '\n'


def plot(found: dict, path: str) -> None:
  """Mean episode reward against environment steps, one panel per version of the game, each
  core in the same colour in every panel."""
  versions = list(dict.fromkeys(key[1:] for key in found))
  fig = Figure(figsize=(5.5 * len(versions), 4.4))
  axes = np.atleast_1d(fig.subplots(1, len(versions)))
  for ax, version in zip(axes, versions):
    for (model, *rest), runs in found.items():
      if tuple(rest) != version:
        continue
      steps, rates = _rates(runs)
      rewards = 2 * rates - 1
      line, = ax.plot(steps, rewards.mean(0), label=f'{LABELS[model]} ({len(runs)} seed{"s" * (len(runs) > 1)})',
                      color=f'C{list(LABELS).index(model)}')  # one colour per core throughout
      ax.fill_between(steps, rewards.min(0), rewards.max(0), color=line.get_color(), alpha=0.2)
    size, visible, diagonal = version
    ax.set(xlabel='environment steps', ylabel='mean episode reward (catch +1, miss −1)',
           title=f'Catch N = {size}, M = {visible}' + (', diagonal' if diagonal else '')
           + '\nmean over seeds; band: lowest to highest seed', ylim=(-1.05, 1.05))
    ax.legend(fontsize=8, loc='upper center', bbox_to_anchor=(0.5, -0.14), ncol=3)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
