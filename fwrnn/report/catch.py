"""The Catch report: a typed cell per core and version of the game with its seeds' learning
curves, the table (catch rate at the end and at the version's shortest budget, when 50% and
80% were first reached), and mean episode reward against environment steps with a band over
seeds (the paper's Figure 5)."""

import collections
import dataclasses

import numpy as np
from matplotlib.figure import Figure

from fwrnn.engine import run_dir
from fwrnn.report.common import LABELS, spread_text

CURVE = 'catch_curve.csv'


@dataclasses.dataclass(frozen=True)
class CatchCell:
  """One core at one setting on one version of the game: its seeds and their curves on
  common points."""
  model: str
  size: int
  visible_frames: int
  diagonal: bool
  learning_rate: float
  fast_lr: float | None           # η and λ of a fast-weights core; None for the others
  fast_decay: float | None
  seeds: list[int]
  environment_steps: np.ndarray   # the curves' points (P)
  catch_rates: np.ndarray         # seeds × points

  @property
  def version(self) -> tuple[int, int, bool]:
    return self.size, self.visible_frames, self.diagonal

  def version_text(self) -> str:
    return f'N = {self.size}, M = {self.visible_frames}' + (', diagonal' if self.diagonal else '')

  def setting_text(self) -> str:
    """The learning rate, and η and λ for fast weights: 'rate 0.001, η 0.01, λ 0.95'."""
    memory = (f', η {self.fast_lr:g}, λ {self.fast_decay:g}' if self.fast_lr is not None
              else '')
    return f'rate {self.learning_rate:g}{memory}'


def catch_cells(rows: list[dict], configs: list[dict]) -> list[CatchCell]:
  """The runs grouped by version of the game, core and setting (learning rate; for fast
  weights also η and λ), each seed's curve read from its run directory and cut to the points
  every seed of the group has."""
  found = collections.defaultdict(list)
  for row, config in zip(rows, configs):
    curve = run_dir.read_curve(row['workdir'], CURVE)
    env = config['env']
    model = config['model']
    memory = ((model['fast_lr'], model['fast_decay']) if model['name'] == 'fast_weights'
              else (None, None))
    key = (model['name'], env['size'], env['visible_frames'], env['diagonal'],
           config['train']['learning_rate'], *memory)
    found[key].append((row['seed'], curve))
  cells = []
  for (name, size, visible, diagonal, rate, eta, decay), runs in found.items():
    runs.sort(key=lambda run: run[0])
    length = min(len(curve) for _, curve in runs)
    cells.append(CatchCell(name, size, visible, diagonal, rate, eta, decay,
                           [seed for seed, _ in runs], runs[0][1][:length, 1],
                           np.stack([curve[:length, 2] for _, curve in runs])))
  return sorted(cells, key=lambda c: (c.version, list(LABELS).index(c.model), c.learning_rate,
                                      c.fast_lr or 0, c.fast_decay or 0))


def _first_reaching(steps: np.ndarray, rate: np.ndarray, level: float) -> str:
  reached = np.flatnonzero(rate >= level)
  return f'{steps[reached[0]] / 1e6:.2f}M' if len(reached) else 'not reached'


def catch_markdown(cells: list[CatchCell], rows: list[dict], header: str, last: int = 10) -> str:
  """One row per core and version: seeds, the catch rate at the end (mean of the last `last`
  points of each seed's curve, then mean ± std over seeds), the same at the shortest budget of
  any core of that version (so that cores trained for different budgets compare at equal
  steps), and when the seeds' mean curve first reached 50% and 80%."""
  shortest = {}
  for c in cells:
    shortest[c.version] = min(shortest.get(c.version, np.inf), c.environment_steps[-1])
  lines = [header, '', '| version | core | setting | seeds | environment steps | catch rate at the end '
           '(%) | mean reward at the end | catch rate (%) at the version\'s shortest budget | '
           '50% reached at | 80% reached at |', '|---|---|---:|---|---:|---:|---:|---:|---:|---:|']
  for c in cells:
    steps, rates = c.environment_steps, c.catch_rates
    at_end = rates[:, -last:].mean(1)
    common = shortest[c.version]
    at_common = rates[:, steps <= common][:, -last:].mean(1)
    lines.append(f'| {c.version_text()} | {LABELS[c.model]} | {c.setting_text()} | '
                 f'{", ".join(map(str, c.seeds))} | '
                 f'{steps[-1]:,.0f} | {spread_text(at_end, ".1f", 100.0)} | '
                 f'{2 * at_end.mean() - 1:.2f} | {spread_text(at_common, ".1f", 100.0)} '
                 f'at {common / 1e6:.2f}M | {_first_reaching(steps, rates.mean(0), 0.5)} | '
                 f'{_first_reaching(steps, rates.mean(0), 0.8)} |')
  return '\n'.join(lines) + '\n'


def plot_rewards(cells: list[CatchCell], path: str) -> None:
  """Mean episode reward against environment steps, one panel per version of the game with its
  own legend, each core in the same colour in every panel (a core's further settings dashed)."""
  versions = list(dict.fromkeys(c.version for c in cells))
  fig = Figure(figsize=(5.5 * len(versions), 4.6))
  axes = np.atleast_1d(fig.subplots(1, len(versions)))
  for ax, version in zip(axes, versions):
    drawn = collections.Counter()
    for c in cells:
      if c.version != version:
        continue
      rewards = 2 * c.catch_rates - 1
      seeds = f'{len(c.seeds)} seed{"s" * (len(c.seeds) > 1)}'
      colour = f'C{list(LABELS).index(c.model) % 10}'
      ax.plot(c.environment_steps, rewards.mean(0), color=colour,
              linestyle=('-', '--', ':', '-.')[drawn[c.model] % 4],
              label=f'{LABELS[c.model]}, {c.setting_text()} ({seeds})')
      ax.fill_between(c.environment_steps, rewards.min(0), rewards.max(0), color=colour,
                      alpha=0.15)
      drawn[c.model] += 1
    size, visible, diagonal = version
    ax.set(xlabel='environment steps', ylabel='mean episode reward (catch +1, miss −1)',
           title=f'Catch N = {size}, M = {visible}' + (', diagonal' if diagonal else '')
           + '\nmean over seeds; band: lowest to highest seed', ylim=(-1.05, 1.05))
    ax.legend(fontsize=6.5, loc='lower right')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
