"""The report of a Catch search (configs/catch_search.py): every setting of every core scored by
the criterion fixed before the search ran, each core's chosen setting, and the scores against
the learning rate."""

import dataclasses

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from fwrnn.report.catch import CatchCell
from fwrnn.report.common import LABELS, spread_text

CRITERION = ('the mean catch rate over the last tenth of the search budget, averaged over the '
             'seeds')


@dataclasses.dataclass(frozen=True)
class SearchCell:
  """One setting of one core on one version of the game, scored."""
  cell: CatchCell
  scores: np.ndarray  # each seed's criterion
  chosen: bool        # the core's best setting on its version


def criterion(cell: CatchCell) -> np.ndarray:
  """Each seed's mean catch rate over the last tenth of the cell's environment steps."""
  steps = cell.environment_steps
  return cell.catch_rates[:, steps > 0.9 * steps[-1]].mean(1)


def search_cells(cells: list[CatchCell]) -> list[SearchCell]:
  """The cells scored, each core's best setting on each version chosen, best first per core."""
  scored = [(c, criterion(c)) for c in cells]
  best = {}
  for c, scores in scored:
    key = (c.version, c.model)
    if key not in best or scores.mean() > best[key][1].mean():
      best[key] = (c, scores)
  found = [SearchCell(c, scores, best[(c.version, c.model)][0] is c) for c, scores in scored]
  return sorted(found, key=lambda s: (s.cell.version, list(LABELS).index(s.cell.model),
                                      -s.scores.mean()))


def search_markdown(cells: list[SearchCell], rows: list[dict], header: str) -> str:
  """The chosen setting of each core, then every setting searched, best first per core."""
  lines = [header, '', f'Criterion, fixed before the search: {CRITERION}.', '',
           '| version | core | settings searched | seeds | environment steps | chosen setting '
           '| criterion (%) |', '|---|---|---:|---|---:|---|---:|']
  for s in cells:
    if s.chosen:
      c = s.cell
      searched = sum(o.cell.version == c.version and o.cell.model == c.model for o in cells)
      lines.append(f'| {c.version_text()} | {LABELS[c.model]} | {searched} | '
                   f'{", ".join(map(str, c.seeds))} | {c.environment_steps[-1]:,.0f} | '
                   f'{c.setting_text()} | {spread_text(s.scores, ".1f", 100.0)} |')
  lines += ['', 'Every setting (criterion: mean ± std over seeds; best first within each core):',
            '', '| version | core | setting | seeds | criterion (%) | chosen |',
            '|---|---|---|---|---:|---|']
  for s in cells:
    c = s.cell
    lines.append(f'| {c.version_text()} | {LABELS[c.model]} | {c.setting_text()} | '
                 f'{", ".join(map(str, c.seeds))} | {spread_text(s.scores, ".1f", 100.0)} | '
                 f'{"chosen" if s.chosen else ""} |')
  return '\n'.join(lines) + '\n'


def search_row(s: SearchCell) -> dict:
  """A setting's line of the CSV: what it was, its seeds' criterion, whether it was chosen."""
  c = s.cell
  return dict(model=c.model, size=c.size, visible_frames=c.visible_frames, diagonal=c.diagonal,
              learning_rate=c.learning_rate, fast_lr=c.fast_lr, fast_decay=c.fast_decay,
              seeds=c.seeds, environment_steps=int(c.environment_steps[-1]),
              criterion=s.scores.tolist(), chosen=s.chosen)


def plot_criterion(cells: list[SearchCell], path: str) -> None:
  """The criterion against the learning rate, one panel per version, a line per core (and per
  η and λ for fast weights), the band from the lowest to the highest seed."""
  versions = list(dict.fromkeys(s.cell.version for s in cells))
  fig = Figure(figsize=(8.5 * len(versions), 4.6))
  axes = np.atleast_1d(fig.subplots(1, len(versions)))
  for ax, version in zip(axes, versions):
    lines = {}
    for s in cells:
      if s.cell.version == version:
        c = s.cell
        memory = '' if c.fast_lr is None else f', η {c.fast_lr:g}, λ {c.fast_decay:g}'
        lines.setdefault(f'{LABELS[c.model]}{memory}', []).append(s)
    for number, (label, group) in enumerate(lines.items()):
      group.sort(key=lambda s: s.cell.learning_rate)
      rates = [s.cell.learning_rate for s in group]
      line, = ax.plot(rates, [100 * s.scores.mean() for s in group], marker='o', label=label,
                      lw=0.8 if 'η' in label else 2, color=colormaps['tab20'](number % 20))
      ax.fill_between(rates, [100 * s.scores.min() for s in group],
                      [100 * s.scores.max() for s in group], color=line.get_color(), alpha=0.1)
    title = next(s.cell for s in cells if s.cell.version == version).version_text()
    ax.set(xscale='log', xlabel='learning rate (Adam)', ylabel='catch rate, last tenth (%)',
           title=f'{title}: the search (mean over seeds; band: min–max)', ylim=(0, 101))
    ax.legend(fontsize=7, loc='upper left', bbox_to_anchor=(1.01, 1.0))
  fig.tight_layout()
  fig.savefig(path, dpi=120)
