"""The paper's tables (PAPER_TABLES: Table 1, Table 2) from a sweep, beside the paper's
numbers: a typed cell per model and size at the setting chosen on validation, the markdown,
the compute it took, and the figures.

Everything here is read from the sweep's rows and its members' run directories; nothing is
typed in except the paper's own numbers, for comparison.
"""

import collections
import dataclasses
import datetime
import os

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure

from fwrnn.engine import run_dir
from fwrnn.report.common import LABELS, draw_seed_band, mean_std, say_empty, seed_curves, spread_text


@dataclasses.dataclass(frozen=True)
class PaperTable:
  """A table of the paper that a sweep reproduces: test error (%) by model and size."""
  name: str              # the files' stem, e.g. 'table1'
  title: str
  paper: dict            # {(model, hidden units): the paper's test error %}
  curves_at: int | None  # the size whose validation curves are drawn (Figure 2), if any


PAPER_TABLES = {table.name: table for table in (
    PaperTable('table1', 'Table 1 of the paper: associative retrieval, K = 4', {
        ('irnn', 20): 62.11, ('irnn', 50): 60.23, ('irnn', 100): 0.34,
        ('lstm', 20): 60.81, ('lstm', 50): 1.85, ('lstm', 100): 0.0,
        ('alstm', 20): 60.13, ('alstm', 50): 1.62, ('alstm', 100): 0.0,
        ('fast_weights', 20): 1.81, ('fast_weights', 50): 0.0, ('fast_weights', 100): 0.0,
    }, curves_at=50),
    PaperTable('table2', 'Table 2 of the paper: MNIST with glimpses', {
        ('irnn', 50): 12.95, ('irnn', 100): 1.95, ('irnn', 200): 1.42,
        ('lstm', 50): 12.00, ('lstm', 100): 1.55, ('lstm', 200): 1.10,
        ('convnet', 50): 1.81, ('convnet', 100): 1.00, ('convnet', 200): 0.90,
        ('fast_weights', 50): 7.21, ('fast_weights', 100): 1.30, ('fast_weights', 200): 0.85,
    }, curves_at=None),
)}


# The member fields a paper cell chooses on validation (the sweep may vary any of them).
CHOSEN_ON_VALIDATION = ('learning_rate', 'fast_decay', 'fast_lr')


@dataclasses.dataclass(frozen=True)
class PaperCell:
  """One model and size of a paper table: the setting chosen on validation and its seeds."""
  model: str
  hidden_size: int
  learning_rate: float
  fast_decay: float | None
  fast_lr: float | None
  rates_tried: list
  decays_tried: list
  fast_lrs_tried: list
  seeds: list[int]
  test_errors: list[float]
  test_mean: float
  test_std: float
  valid_mean: float
  paper: float | None
  workdirs: list[str]
  stopped_at: list[int]
  stopped_by: list[str]


def paper_cells(rows: list[dict], table: PaperTable) -> list[PaperCell]:
  """Per model and size: the setting (learning rate, and λ and η where they vary) with the
  lowest mean validation error, its runs, and the paper's number."""
  by_cell = collections.defaultdict(lambda: collections.defaultdict(list))
  for row in rows:
    setting = tuple(row.get(field) for field in CHOSEN_ON_VALIDATION)
    by_cell[(row['model'], row['hidden_size'])][setting].append(row)
  cells = []
  for (model, hidden), by_setting in by_cell.items():
    best = min(by_setting, key=lambda s: np.mean([m['valid_error'] for m in by_setting[s]]))
    members = sorted(by_setting[best], key=lambda m: m['seed'])
    test_mean, test_std = mean_std([m['test_error'] for m in members])
    tried = lambda i: sorted({s[i] for s in by_setting}, key=str)
    cells.append(PaperCell(
        model, hidden, *best, rates_tried=tried(0), decays_tried=tried(1),
        fast_lrs_tried=tried(2), seeds=[m['seed'] for m in members],
        test_errors=[m['test_error'] for m in members], test_mean=test_mean, test_std=test_std,
        valid_mean=float(np.mean([m['valid_error'] for m in members])),
        paper=table.paper.get((model, hidden)), workdirs=[m['workdir'] for m in members],
        stopped_at=[m['steps'] for m in members],
        stopped_by=[m.get('stopped_by') or 'num_steps' for m in members]))
  return sorted(cells, key=lambda c: _cell_order((c.model, c.hidden_size)))


def population_wall_seconds(rows: list[dict]) -> dict:
  """{(model, R, members): wall seconds} of each population of a paper sweep: the time during
  which any of its parts (sweep.py --only) was training, so parts trained side by side count
  once and parts trained one after another add up.

  A paper sweep trains the members of one model and size as one population; a population
  resumed or extended later (a higher ceiling) keeps counting its wall time from its
  checkpoints, so its longest member's time is the part's, and the part is taken to span that
  long from when it first started. Members that started together share `started` (empty for
  runs from before it was recorded: such a part counts on its own)."""
  longest, size = collections.defaultdict(float), collections.Counter()
  for row in rows:
    key = (row['model'], row['hidden_size'])
    part = key + (row.get('started') or '',)
    longest[part] = max(longest[part], row['train_seconds'])
    size[key] += 1
  parts = collections.defaultdict(list)
  for (model, hidden, started), seconds in longest.items():
    parts[model, hidden].append((started, seconds))
  return {(model, hidden, size[model, hidden]): _seconds_covered(spans)
          for (model, hidden), spans in parts.items()}


def _seconds_covered(parts: list[tuple[str, float]]) -> float:
  """Length of the union of the spans (started, seconds) that start at an ISO time; a span
  without a start is added on its own."""
  covered = sum(seconds for started, seconds in parts if not started)
  reach = -np.inf
  for start, seconds in sorted((datetime.datetime.fromisoformat(started).timestamp(), seconds)
                               for started, seconds in parts if started):
    covered += max(0.0, start + seconds - max(start, reach))
    reach = max(reach, start + seconds)
  return covered


def training_wall_seconds(rows: list[dict]) -> float:
  """Wall time of the sweep's training: its populations' wall times, summed."""
  return sum(population_wall_seconds(rows).values())


def paper_markdown(cells: list[PaperCell], rows: list[dict], header: str) -> str:
  """The grid beside the paper's, then every cell in detail, then the compute it took."""
  sizes = sorted({c.hidden_size for c in cells})
  models = list(dict.fromkeys(c.model for c in cells))
  lookup = {(c.model, c.hidden_size): c for c in cells}
  lines = [header, '', 'Test error (%), mean ± std over seeds (one seed: its error, marked); the '
           'paper\'s number in brackets.',
           '', '| model | ' + ' | '.join(f'R = {r}' for r in sizes) + ' |',
           '|---|' + '---:|' * len(sizes)]
  for model in models:
    entries = []
    for size in sizes:
      c = lookup.get((model, size))
      entries.append('–' if c is None else f'{spread_text(c.test_errors)} ({_paper(c.paper)})')
    lines.append(f'| {LABELS[model]} | ' + ' | '.join(entries) + ' |')
  lines += ranking_lines(cells)
  lines += ['', 'Updates at which each seed stopped: by patience, or at the ceiling where marked '
            '(ceiling).', '',
            '| model | R | rate chosen (of) | valid error | test error per seed | seeds | '
            'stopped at |', '|---|---:|---|---:|---|---|---|']
  for c in cells:
    per_seed = ', '.join(f'{e:.2f}' for e in c.test_errors)
    tried = ', '.join(f'{r:g}' for r in c.rates_tried)
    for symbol, field, options in (('λ', 'fast_decay', c.decays_tried),
                                   ('η', 'fast_lr', c.fast_lrs_tried)):
      if len(options) > 1:
        tried += f'); {symbol} {getattr(c, field):g} (' + ', '.join(f'{v:g}' for v in options)
    stops = ', '.join(f'{s:,}' + (' (ceiling)' if by != 'patience' else '')
                      for s, by in zip(c.stopped_at, c.stopped_by))
    lines.append(f'| {LABELS[c.model]} | {c.hidden_size} | {c.learning_rate:g} '
                 f'({tried}) | {c.valid_mean:.2f} | {per_seed} | '
                 f'{", ".join(map(str, c.seeds))} | {stops} |')
  lines += ['', 'Training wall time per population (its longest member\'s, over every process '
            'that trained it, compilation included; a population ends when its last member '
            'stops; one trained in parts, sweep.py --only, counts the time during which any part '
            'trained: parts one after another add up, parts side by side count once):', '',
            '| model | R | members | wall time (min) |',
            '|---|---:|---:|---:|']
  for (model, hidden, size), seconds in sorted(population_wall_seconds(rows).items(),
                                               key=lambda item: _cell_order(item[0])):
    lines.append(f'| {LABELS[model]} | {hidden} | {size} | {seconds / 60:.1f} |')
  lines += ['', f'Training wall time, all {len(rows)} runs: '
            f'{training_wall_seconds(rows) / 60:.1f} min.', '']
  return '\n'.join(lines)


def ranking_lines(cells: list[PaperCell]) -> list[str]:
  """A markdown table of the models ranked at each size, by our mean test error and by the
  paper's, over the models of that size that have both (none where fewer than two do)."""
  rows = []
  for size in sorted({c.hidden_size for c in cells}):
    both = [c for c in cells if c.hidden_size == size and c.paper is not None]
    if len(both) > 1:
      rows.append(f'| {size} | {_ranked(both, "test_mean", ".2f")} | '
                  f'{_ranked(both, "paper", "g")} |')
  if not rows:
    return []
  return ['', 'Ranking at each size, lowest mean test error first, over the models trained here '
          'that the paper reports (= where the shown values are equal):', '',
          '| R | ours | paper |', '|---:|---|---|', *rows]


def _ranked(cells: list[PaperCell], field: str, spec: str) -> str:
  """'IRNN 1.2 < LSTM 2 = Fast weights 2': the cells in order of field, shown with spec."""
  shown = [(LABELS[c.model], format(getattr(c, field), spec))
           for c in sorted(cells, key=lambda c: getattr(c, field))]
  text = ' '.join(shown[0])
  for before, this in zip(shown, shown[1:]):
    text += (' = ' if this[1] == before[1] else ' < ') + ' '.join(this)
  return text


def _cell_order(key: tuple):
  return list(LABELS).index(key[0]), key[1]


def _paper(value) -> str:
  return 'paper –' if value is None else f'paper {value:g}'


def plot_error_against_size(cells: list[PaperCell], path: str, title: str) -> None:
  """Test error against R for each model, error bars over seeds; the paper's values as hollow
  squares of the same colour, each model nudged sideways so that equal values stay apart, on
  an axis linear below 1% (so that 0 shows) and logarithmic above."""
  fig = Figure(figsize=(7.5, 4.2))
  ax = fig.subplots()
  models = list(dict.fromkeys(c.model for c in cells))
  for k, model in enumerate(models):
    mine = [c for c in cells if c.model == model]
    nudge = 1.0 + 0.04 * (k - (len(models) - 1) / 2)
    sizes = [c.hidden_size * nudge for c in mine]
    line = ax.errorbar(sizes, [c.test_mean for c in mine], [c.test_std for c in mine],
                       marker='o', capsize=3, label=f'{LABELS[model]} (ours)')
    paper = [(c.hidden_size * nudge, c.paper) for c in mine if c.paper is not None]
    if paper:
      ax.scatter(*zip(*paper), marker='s', s=40, facecolors='none',
                 edgecolors=line[0].get_color(), label=f'{LABELS[model]} (paper)')
  ax.set(xlabel='R (hidden units)', ylabel='test error (%)', xscale='log', title=title)
  ax.set_yscale('symlog', linthresh=1)
  ax.set_ylim(0, 100)
  sizes = sorted({c.hidden_size for c in cells})
  ax.minorticks_off()
  ax.set_xticks(sizes, [str(s) for s in sizes])
  ax.set_yticks([0, 0.5, 1, 2, 5, 10, 20, 50, 100], ['0', '0.5', '1', '2', '5', '10', '20', '50', '100'])
  ax.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.02, 1.0))
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def _draw_cell_band(ax, cell: PaperCell, column: int, sign: float = 1.0, color=None):
  """Draws a cell's mean validation curve over seeds and its min–max band (sign × column of
  the curves); the curves drawn (seed_curves), or None if none of its runs is there."""
  curves = seed_curves(cell.workdirs, column)
  if curves is not None:
    draw_seed_band(ax, curves[0], sign * curves[1], LABELS[cell.model], color)
  return curves


def plot_curves(cells: list[PaperCell], hidden_size: int, path: str) -> None:
  """Validation log-likelihood against updates at one R (the paper's Figure 2), per model."""
  fig = Figure(figsize=(5.5, 4))
  ax = fig.subplots()
  for c in cells:
    if c.hidden_size == hidden_size:
      _draw_cell_band(ax, c, column=1, sign=-1.0)
  ax.set(xlabel='updates', ylabel='validation log-likelihood (nats)',
         title=f'R = {hidden_size}, K = 4 (band: min–max over seeds)\n'
               'a run stopped by patience holds its last value')
  if ax.lines:
    ax.legend()
  else:
    say_empty(ax, f'no runs at R = {hidden_size} in this sweep')
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def plot_curves_every_size(cells: list[PaperCell], path: str) -> None:
  """Writes curves_every_size_figure(cells) to path."""
  curves_every_size_figure(cells).savefig(path, dpi=120)


def curves_every_size_figure(cells: list[PaperCell]) -> Figure:
  """Validation error against updates of every cell, one panel per size: the mean over
  seeds, the min–max band, and a cross where each seed stopped (a ring where it reached the
  ceiling), so that a cell's result can be told from its budget."""
  sizes = sorted({c.hidden_size for c in cells})
  fig = Figure(figsize=(max(4.2 * len(sizes), 5.0), 4.6))
  axes = fig.subplots(1, max(len(sizes), 1), sharey=True, squeeze=False)[0]
  colours = {model: f'C{k}' for k, model in enumerate(dict.fromkeys(c.model for c in cells))}
  for ax, size in zip(axes, sizes):
    for c in cells:
      curves = (_draw_cell_band(ax, c, 2, color=colours[c.model])
                if c.hidden_size == size else None)
      if curves is None:
        continue
      there = [(s, by) for w, s, by in zip(c.workdirs, c.stopped_at, c.stopped_by)
               if os.path.exists(os.path.join(w, run_dir.CURVE_FILE))]  # the seeds of curves
      ends = [(s, error, by) for (s, by), error in zip(there, curves[1][:, -1])]
      for marker, which in (('x', lambda by: by == 'patience'), ('o', lambda by: by != 'patience')):
        points = [(s, e) for s, e, by in ends if which(by)]
        if points:
          ax.scatter(*zip(*points), marker=marker, s=30, zorder=3, color=colours[c.model],
                     facecolors=None if marker == 'x' else 'none')
    ax.set(xlabel='updates', title=f'R = {size}')
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda x, _: f'{x / 1000:g}k' if x else '0'))
    ax.set_yscale('symlog', linthresh=1)
    ax.set_ylim(0, 100)
    ax.set_yticks([0, 0.5, 1, 2, 5, 10, 20, 50, 100],
                  ['0', '0.5', '1', '2', '5', '10', '20', '50', '100'])
    ax.grid(alpha=0.3)
  axes[0].set_ylabel('validation error (%)')
  if any(ax.lines for ax in axes):
    handles = {}
    for ax in axes:
      for handle, label in zip(*ax.get_legend_handles_labels()):
        handles.setdefault(label, handle)
    fig.legend(list(handles.values()), list(handles), loc='lower center', ncol=len(handles),
               fontsize=8)
    fig.suptitle('Validation error of every cell at its chosen setting\n(band: min–max over '
                 'seeds)\n×: a seed stopped by patience, ○: at the ceiling', fontsize=9)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
  else:
    say_empty(axes[0], 'no runs with validation curves in this sweep')
  return fig
