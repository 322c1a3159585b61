"""Tables and figures of finished sweeps: any sweep's groups of seeds, the paper's tables
(PAPER_TABLES: Table 1, Table 2) beside the paper's numbers, and the controls; report_kinds
puts them together as kinds of one report.

Everything here is read from the sweep's CSV and its members' run directories; nothing is
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

LABELS = {'irnn': 'IRNN', 'lstm': 'LSTM', 'alstm': 'A-LSTM', 'convnet': 'ConvNet',
          'fast_weights': 'Fast weights', 'ln_irnn': 'LN-IRNN'}


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


def paper_cells(rows: list[dict], table: PaperTable) -> list[dict]:
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
    cells.append({
        'model': model, 'hidden_size': hidden, **dict(zip(CHOSEN_ON_VALIDATION, best)),
        'rates_tried': tried(0), 'decays_tried': tried(1), 'fast_lrs_tried': tried(2),
        'seeds': [m['seed'] for m in members],
        'test_errors': [m['test_error'] for m in members],
        'test_mean': test_mean, 'test_std': test_std,
        'valid_mean': float(np.mean([m['valid_error'] for m in members])),
        'paper': table.paper.get((model, hidden)), 'workdirs': [m['workdir'] for m in members],
        'stopped_at': [m['steps'] for m in members],
        'stopped_by': [m.get('stopped_by') or 'num_steps' for m in members],
    })
  return sorted(cells, key=lambda c: _cell_order((c['model'], c['hidden_size'])))


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


def _mean_std_text(cell: dict) -> str:
  """A cell's mean ± std of test error, or its one seed's error marked as such."""
  if len(cell['test_errors']) == 1:
    return f'{cell["test_mean"]:.2f} (1 seed)'
  return f'{cell["test_mean"]:.2f} ± {cell["test_std"]:.2f}'


def paper_markdown(cells: list[dict], rows: list[dict], header: str) -> str:
  """The grid beside the paper's, then every cell in detail, then the compute it took."""
  sizes = sorted({c['hidden_size'] for c in cells})
  models = list(dict.fromkeys(c['model'] for c in cells))
  lookup = {(c['model'], c['hidden_size']): c for c in cells}
  lines = [header, '', 'Test error (%), mean ± std over seeds (one seed: its error, marked); the '
           'paper\'s number in brackets.',
           '', '| model | ' + ' | '.join(f'R = {r}' for r in sizes) + ' |',
           '|---|' + '---:|' * len(sizes)]
  for model in models:
    entries = []
    for size in sizes:
      c = lookup.get((model, size))
      entries.append('–' if c is None else f'{_mean_std_text(c)} ({_paper(c["paper"])})')
    lines.append(f'| {LABELS[model]} | ' + ' | '.join(entries) + ' |')
  lines += ranking_lines(cells)
  lines += ['', 'Updates at which each seed stopped: by patience, or at the ceiling where marked '
            '(ceiling).', '',
            '| model | R | rate chosen (of) | valid error | test error per seed | seeds | '
            'stopped at |', '|---|---:|---|---:|---|---|---|']
  for c in cells:
    per_seed = ', '.join(f'{e:.2f}' for e in c['test_errors'])
    tried = ', '.join(f'{r:g}' for r in c['rates_tried'])
    for symbol, field, options in (('λ', 'fast_decay', c['decays_tried']),
                                   ('η', 'fast_lr', c['fast_lrs_tried'])):
      if len(options) > 1:
        tried += f'); {symbol} {c[field]:g} (' + ', '.join(f'{v:g}' for v in options)
    stops = ', '.join(f'{s:,}' + (' (ceiling)' if by != 'patience' else '')
                      for s, by in zip(c['stopped_at'], c['stopped_by']))
    lines.append(f'| {LABELS[c["model"]]} | {c["hidden_size"]} | {c["learning_rate"]:g} '
                 f'({tried}) | {c["valid_mean"]:.2f} | {per_seed} | '
                 f'{", ".join(map(str, c["seeds"]))} | {stops} |')
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


def ranking_lines(cells: list[dict]) -> list[str]:
  """A markdown table of the models ranked at each size, by our mean test error and by the
  paper's, over the models of that size that have both (none where fewer than two do)."""
  rows = []
  for size in sorted({c['hidden_size'] for c in cells}):
    both = [c for c in cells if c['hidden_size'] == size and c['paper'] is not None]
    if len(both) > 1:
      rows.append(f'| {size} | {_ranked(both, "test_mean", ".2f")} | '
                  f'{_ranked(both, "paper", "g")} |')
  if not rows:
    return []
  return ['', 'Ranking at each size, lowest mean test error first, over the models trained here '
          'that the paper reports (= where the shown values are equal):', '',
          '| R | ours | paper |', '|---:|---|---|', *rows]


def _ranked(cells: list[dict], field: str, spec: str) -> str:
  """'IRNN 1.2 < LSTM 2 = Fast weights 2': the cells in order of field, shown with spec."""
  shown = [(LABELS[c['model']], format(c[field], spec))
           for c in sorted(cells, key=lambda c: c[field])]
  text = ' '.join(shown[0])
  for before, this in zip(shown, shown[1:]):
    text += (' = ' if this[1] == before[1] else ' < ') + ' '.join(this)
  return text


def _cell_order(key: tuple):
  return list(LABELS).index(key[0]), key[1]


def _paper(value) -> str:
  return 'paper –' if value is None else f'paper {value:g}'


def plot_error_against_size(cells: list[dict], path: str, title: str) -> None:
  """Test error against R for each model, error bars over seeds; the paper's values as hollow
  squares of the same colour, each model nudged sideways so that equal values stay apart, on
  an axis linear below 1% (so that 0 shows) and logarithmic above."""
  fig = Figure(figsize=(7.5, 4.2))
  ax = fig.subplots()
  models = list(dict.fromkeys(c['model'] for c in cells))
  for k, model in enumerate(models):
    mine = [c for c in cells if c['model'] == model]
    nudge = 1.0 + 0.04 * (k - (len(models) - 1) / 2)
    sizes = [c['hidden_size'] * nudge for c in mine]
    line = ax.errorbar(sizes, [c['test_mean'] for c in mine], [c['test_std'] for c in mine],
                       marker='o', capsize=3, label=f'{LABELS[model]} (ours)')
    paper = [(c['hidden_size'] * nudge, c['paper']) for c in mine if c['paper'] is not None]
    if paper:
      ax.scatter(*zip(*paper), marker='s', s=40, facecolors='none',
                 edgecolors=line[0].get_color(), label=f'{LABELS[model]} (paper)')
  ax.set(xlabel='R (hidden units)', ylabel='test error (%)', xscale='log', title=title)
  ax.set_yscale('symlog', linthresh=1)
  ax.set_ylim(0, 100)
  sizes = sorted({c['hidden_size'] for c in cells})
  ax.minorticks_off()
  ax.set_xticks(sizes, [str(s) for s in sizes])
  ax.set_yticks([0, 0.5, 1, 2, 5, 10, 20, 50, 100], ['0', '0.5', '1', '2', '5', '10', '20', '50', '100'])
  ax.legend(fontsize=8, loc='upper left', bbox_to_anchor=(1.02, 1.0))
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def seed_curves(workdirs: list[str], column: int):
  """(steps, values seeds×steps) of column 1 (loss) or 2 (error %) of the validation curves of
  a group's runs, or None if none is there. A run that stopped early keeps its parameters, so
  it holds its last value to the end of the longest run."""
  curves = [run_dir.read_curve(w) for w in workdirs if os.path.exists(w)]
  if not curves:
    return None
  longest = max(curves, key=len)
  held = lambda c: np.concatenate([c[:, column], np.full(len(longest) - len(c), c[-1, column])])
  return longest[:, 0], np.stack([held(c) for c in curves])


def _draw_seed_band(ax, cell: dict, column: int, sign: float = 1.0, color=None):
  """Draws a cell's mean curve over seeds and its min–max band (sign × column of the
  validation curves); the curves drawn (seed_curves), or None if none of its runs is there."""
  curves = seed_curves(cell['workdirs'], column)
  if curves is None:
    return None
  steps, values = curves[0], sign * curves[1]
  line, = ax.plot(steps, values.mean(0), color=color, label=LABELS[cell['model']])
  ax.fill_between(steps, values.min(0), values.max(0), color=line.get_color(), alpha=0.2)
  return curves


def plot_curves(cells: list[dict], hidden_size: int, path: str) -> None:
  """Validation log-likelihood against updates at one R (the paper's Figure 2), per model."""
  fig = Figure(figsize=(5.5, 4))
  ax = fig.subplots()
  for c in cells:
    if c['hidden_size'] == hidden_size:
      _draw_seed_band(ax, c, column=1, sign=-1.0)
  ax.set(xlabel='updates', ylabel='validation log-likelihood (nats)',
         title=f'R = {hidden_size}, K = 4 (band: min–max over seeds)\n'
               'a run stopped by patience holds its last value')
  if ax.lines:
    ax.legend()
  else:
    _say_empty(ax, f'no runs at R = {hidden_size} in this sweep')
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def plot_curves_every_size(cells: list[dict], path: str) -> None:
  """Writes curves_every_size_figure(cells) to path."""
  curves_every_size_figure(cells).savefig(path, dpi=120)


def curves_every_size_figure(cells: list[dict]) -> Figure:
  """Validation error against updates of every cell, one panel per size: the mean over
  seeds, the min–max band, and a cross where each seed stopped (a ring where it reached the
  ceiling), so that a cell's result can be told from its budget."""
  sizes = sorted({c['hidden_size'] for c in cells})
  fig = Figure(figsize=(max(4.2 * len(sizes), 5.0), 4.6))
  axes = fig.subplots(1, max(len(sizes), 1), sharey=True, squeeze=False)[0]
  colours = {model: f'C{k}' for k, model in enumerate(dict.fromkeys(c['model'] for c in cells))}
  for ax, size in zip(axes, sizes):
    for c in cells:
      curves = (_draw_seed_band(ax, c, 2, color=colours[c['model']])
                if c['hidden_size'] == size else None)
      if curves is None:
        continue
      there = [(s, by) for w, s, by in zip(c['workdirs'], c['stopped_at'], c['stopped_by'])
               if os.path.exists(w)]  # the seeds of curves, in order; each holds its last value
      ends = [(s, error, by) for (s, by), error in zip(there, curves[1][:, -1])]
      for marker, which in (('x', lambda by: by == 'patience'), ('o', lambda by: by != 'patience')):
        points = [(s, e) for s, e, by in ends if which(by)]
        if points:
          ax.scatter(*zip(*points), marker=marker, s=30, zorder=3, color=colours[c['model']],
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
    _say_empty(axes[0], 'no runs with validation curves in this sweep')
  return fig


def _say_empty(ax, text: str) -> None:
  ax.set_axis_off()
  ax.text(0.5, 0.5, text, ha='center', va='center', transform=ax.transAxes, fontsize=9,
          wrap=True)


def ablation_cells(rows: list[dict], configs: list[dict]) -> list[dict]:
  """Runs grouped by setting (everything but the seed): mean ± std of test error."""
  groups = collections.defaultdict(list)
  for row, config in zip(rows, configs):
    setting = dict(model=row['model'], hidden_size=row['hidden_size'],
                   num_pairs=config['data']['num_pairs'],
                   inner_steps=config['model']['inner_steps'],
                   layer_norm=config['model']['layer_norm'], fast_decay=row['fast_decay'],
                   fast_lr=row['fast_lr'])
    if setting['model'] == 'fast_weights' and setting['fast_lr'] == 0:
      setting['model'] = 'ln_irnn'
    if setting['model'] not in ('fast_weights', 'ln_irnn'):
      setting.update(inner_steps=None, layer_norm=None, fast_decay=None, fast_lr=None)
    groups[tuple(setting.items())].append(row)
  cells = []
  for setting, members in groups.items():
    mean, std = mean_std([m['test_error'] for m in members])
    cells.append(dict(setting, test_mean=mean, test_std=std, seeds=len(members),
                      valid_mean=float(np.mean([m['valid_error'] for m in members]))))
  return cells


def ablations_markdown(cells: list[dict], header: str) -> str:
  """results/ablations.md: one table per control."""
  is_fw = lambda c: c['model'] in ('fast_weights', 'ln_irnn')
  default = lambda c, **skip: all(c[k] == v for k, v in dict(
      num_pairs=4, inner_steps=1, layer_norm=True, fast_decay=0.95).items() if k not in skip)
  sections = [
      ('Depth control: LN-IRNN (η = 0) against fast weights (η = 0.5)',
       lambda c: is_fw(c) and default(c) and c['fast_lr'] in (0.0, 0.5)),
      ('Layer norm off', lambda c: is_fw(c) and default(c, layer_norm=1) and c['fast_lr'] == 0.5),
      ('Inner steps S (R = 50)', lambda c: is_fw(c) and default(c, inner_steps=1)
       and c['hidden_size'] == 50 and c['fast_lr'] == 0.5),
      ('λ × η (R = 50; η = 0 is the LN-IRNN)', lambda c: is_fw(c) and default(c, fast_decay=1)
       and c['hidden_size'] == 50),
      ('Harder tasks: K pairs (K = 4: see Table 1)', lambda c: c['num_pairs'] != 4),
  ]
  lines = [header]
  for title, keep in sections:
    chosen = sorted((c for c in cells if keep(c)), key=_setting_order)
    lines += ['', f'## {title}', '', '| model | R | K | S | LN | λ | η | test error (%) | '
              'valid error (%) | seeds |', '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|']
    for c in chosen:
      show = lambda v: '–' if v is None else f'{v:g}' if isinstance(v, float) else str(v)
      lines.append(f'| {LABELS[c["model"]]} | {c["hidden_size"]} | {c["num_pairs"]} | '
                   f'{show(c["inner_steps"])} | {show(c["layer_norm"])} | {show(c["fast_decay"])} | '
                   f'{show(c["fast_lr"])} | {c["test_mean"]:.2f} ± {c["test_std"]:.2f} | '
                   f'{c["valid_mean"]:.2f} | {c["seeds"]} |')
  return '\n'.join(lines) + '\n'


def _setting_order(cell: dict):
  return (cell['num_pairs'], list(LABELS).index(cell['model']), cell['hidden_size'],
          -1 if cell['inner_steps'] is None else cell['inner_steps'], str(cell['layer_norm']),
          cell['fast_decay'] or 0, cell['fast_lr'] or 0)


def plot_decay_and_rate(cells: list[dict], path: str) -> None:
  """Test error over the λ × η grid at R = 50 as a labelled heat map."""
  grid = [c for c in cells if c['model'] in ('fast_weights', 'ln_irnn') and c['hidden_size'] == 50
          and c['num_pairs'] == 4 and c['inner_steps'] == 1 and c['layer_norm'] is True]
  decays = sorted({c['fast_decay'] for c in grid})
  rates = sorted({c['fast_lr'] for c in grid})
  errors = np.full((len(decays), len(rates)), np.nan)
  for c in grid:
    errors[decays.index(c['fast_decay']), rates.index(c['fast_lr'])] = c['test_mean']
  fig = Figure(figsize=(5, 3.6))
  ax = fig.subplots()
  if not grid:
    _say_empty(ax, 'no runs of the λ × η grid (R = 50, K = 4, S = 1, LN) in this sweep')
    fig.savefig(path, dpi=120)
    return
  image = ax.imshow(errors, cmap='viridis_r', aspect='auto')
  for (i, j), value in np.ndenumerate(errors):
    ax.text(j, i, f'{value:.1f}', ha='center', va='center', color='w' if value > 20 else 'k')
  ax.set_xticks(range(len(rates)), [f'{r:g}' for r in rates])
  ax.set_yticks(range(len(decays)), [f'{d:g}' for d in decays])
  ax.set(xlabel='η (fast learning rate; 0 = LN-IRNN)', ylabel='λ (decay)',
         title='Test error (%), R = 50, mean of seeds')
  fig.colorbar(image, label='test error (%)')
  fig.tight_layout()
  fig.savefig(path, dpi=120)


def seed_groups(rows: list[dict], configs: list[dict]) -> list[dict]:
  """Any sweep's members grouped by everything but the seed: per group the fields that set it
  apart (those that vary in the sweep), mean ± std of test and validation error, and its
  members' run directories."""
  flat = [{k: v for k, v in run_dir.flatten_config(c).items() if k != 'seed'} for c in configs]
  varying = sorted(k for k in set().union(*flat) if len({repr(f.get(k)) for f in flat}) > 1)
  groups = collections.defaultdict(list)
  for row, fields in zip(rows, flat):
    groups[tuple((k, fields.get(k)) for k in varying)].append(row)
  cells = []
  for key, members in groups.items():
    test_mean, test_std = mean_std([m['test_error'] for m in members])
    valid_mean, valid_std = mean_std([m['valid_error'] for m in members])
    cells.append({
        'group': ', '.join(f'{k.rsplit(".", 1)[-1]}={v}' for k, v in key) or 'all',
        'runs': len(members), 'seeds': sorted(m['seed'] for m in members),
        'test_mean': test_mean, 'test_std': test_std, 'valid_mean': valid_mean,
        'valid_std': valid_std, 'steps': sorted({m['steps'] for m in members}),
        'workdirs': [m['workdir'] for m in members]})
  return sorted(cells, key=lambda c: c['valid_mean'])


def groups_markdown(cells: list[dict], header: str) -> str:
  """A table of every group, best mean validation error first."""
  lines = [header, '', 'Error (%), mean ± std over the seeds of each group (sample std; 0 for one '
           'seed). Groups differ only in the fields named; best validation error first.', '',
           '| group | runs | seeds | valid error | test error | steps |',
           '|---|---:|---|---:|---:|---|']
  for c in cells:
    lines.append(f'| {c["group"]} | {c["runs"]} | {", ".join(map(str, c["seeds"]))} | '
                 f'{c["valid_mean"]:.2f} ± {c["valid_std"]:.2f} | '
                 f'{c["test_mean"]:.2f} ± {c["test_std"]:.2f} | '
                 f'{"/".join(map(str, c["steps"]))} |')
  return '\n'.join(lines) + '\n'


def plot_group_curves(cells: list[dict], path: str, most: int = 12) -> None:
  """Validation error against updates for the `most` best groups: the mean over seeds, and a
  band from the lowest to the highest seed."""
  fig = Figure(figsize=(7, 4.5))
  ax = fig.subplots()
  for c in cells[:most]:
    curves = seed_curves(c['workdirs'], column=2)
    if curves is None:
      continue
    steps, errors = curves
    line, = ax.plot(steps, errors.mean(0), label=f'{c["group"]} ({len(errors)} seeds)')
    ax.fill_between(steps, errors.min(0), errors.max(0), color=line.get_color(), alpha=0.2)
  ax.set(xlabel='updates', ylabel='validation error (%)',
         title='Mean over seeds; band: lowest to highest seed')
  ax.legend(fontsize=7, loc='upper right')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
