"""The MQAR report: each core at each (L, kv) and width with the setting (learning rate; and
η, λ for fast weights) that had the lowest validation error (mean over seeds), its test
accuracy and its recurrent state size, and accuracy against state size in bytes (Zoology's
axis) beside the points Zoology published."""

import collections
import dataclasses

import ml_collections
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from fwrnn.layers.cores import stack_state_bytes
from fwrnn.report.common import spread_text

NAMES = {'softmax_attention': 'Softmax attention', 'linear_attention': 'Linear attention',
         'deltanet': 'DeltaNet', 'gated_deltanet': 'Gated DeltaNet',
         'fast_weights': 'Fast weights', 'lstm': 'LSTM'}
_CORE_RANK = list(NAMES).index  # the order of the tables' rows
# Zoology's published (state bytes, accuracy) of the cores both have, read by eye off its
# figure "Recall-Memory Tradeoff" (HazyResearch/zoology, zoology/analysis/paper/zoology_paper/
# zoology_results.png; widths 64 to 512, its (L, kv) not stated there): approximate.
ZOOLOGY_POINTS = {
    'deltanet': ((9e3, 0.79), (3.5e4, 0.96), (1.35e5, 0.995)),
    'gated_deltanet': ((1.7e4, 0.89), (6.7e4, 0.99), (2.6e5, 0.995), (1.05e6, 1.0)),
}


@dataclasses.dataclass(frozen=True)
class MQARSetting:
  """One setting of one core at one (L, kv) and width, over its seeds."""
  learning_rate: float
  fast_lr: float | None     # η and λ of fast weights; None for the other cores
  fast_decay: float | None
  variant: str               # linear attention's options other than the defaults, or ''
  seeds: list[int]
  test_accuracy: np.ndarray  # per seed, 0–1
  valid_error: float         # mean over seeds, %
  longer_accuracy: dict      # {slice name: per-seed test accuracy} of the longer test slices

  def text(self) -> str:
    """'0.01'; '0.01, η 0.1, λ 0.99' for fast weights; '0.01, λ 0.95' (its variant) for
    linear attention given options other than the defaults."""
    parts = [f'{self.learning_rate:g}', self.variant]
    if self.fast_lr is not None:
      parts.append(f'η {self.fast_lr:g}, λ {self.fast_decay:g}')
    return ', '.join(p for p in parts if p)


@dataclasses.dataclass(frozen=True)
class MQARCell:
  """One core at one (L, kv) and width: every setting searched, and the chosen one."""
  model: str
  length: int
  num_pairs: int
  width: int
  state_bytes: int           # carried from token to token (Zoology's count)
  settings: list[MQARSetting]
  chosen: MQARSetting        # the lowest mean validation error


def _variant(model: dict) -> str:
  """Linear attention's options away from its defaults (elu1, no decay, untied), in words."""
  if model['name'] != 'linear_attention':
    return ''
  parts = [f'φ {model["feature_map"]}' if model['feature_map'] != 'elu1' else '',
           f'λ {model["decay"]:g}' if model['decay'] != 1 else '',
           'q = k = v' if model['tied_qkv'] else '']
  return ', '.join(p for p in parts if p)


def _setting(name: str, variant: str, rows: list[dict]) -> MQARSetting:
  rows = sorted(rows, key=lambda row: row['seed'])
  fast = name == 'fast_weights'
  slices = sorted(rows[0].get('longer_test_accuracy') or {}, key=lambda s: int(s.lstrip('L')))
  longer = {s: np.array([row['longer_test_accuracy'][s] for row in rows]) for s in slices}
  return MQARSetting(rows[0]['learning_rate'], rows[0]['fast_lr'] if fast else None,
                     rows[0]['fast_decay'] if fast else None, variant,
                     [row['seed'] for row in rows],
                     np.array([row['test_accuracy'] for row in rows]),
                     float(np.mean([row['valid_error'] for row in rows])), longer)


def mqar_cells(rows: list[dict], configs: list[dict]) -> list[MQARCell]:
  """The runs grouped by core, shape and width, and in each by setting (the learning rate; η
  and λ for fast weights; linear attention's variant); the chosen setting has the lowest mean
  validation error."""
  groups = collections.defaultdict(lambda: collections.defaultdict(list))
  models = {}
  for row, config in zip(rows, configs):
    m, d = config['model'], config['data']
    key = (m['name'], d['length'], d['num_pairs'], m['hidden_size'])
    setting = (_variant(m), row['learning_rate'], row['fast_lr'], row['fast_decay'])
    groups[key][setting].append(row)
    models[key] = m
  cells = []
  for key, by_setting in groups.items():
    settings = [_setting(key[0], s[0], by_setting[s]) for s in sorted(by_setting)]
    state = stack_state_bytes(ml_collections.ConfigDict(models[key]), key[1])
    cells.append(MQARCell(*key, state, settings, min(settings, key=lambda s: s.valid_error)))
  return sorted(cells, key=lambda c: (c.length, c.num_pairs, _CORE_RANK(c.model), c.width))


def mqar_row(cell: MQARCell) -> dict:
  """A cell's line of mqar.csv: its chosen setting and that setting's accuracies."""
  chosen = cell.chosen
  return dict(model=cell.model, length=cell.length, num_pairs=cell.num_pairs, width=cell.width,
              state_bytes=cell.state_bytes, settings_searched=len(cell.settings),
              learning_rate=chosen.learning_rate, fast_lr=chosen.fast_lr,
              fast_decay=chosen.fast_decay, seeds=chosen.seeds, valid_error=chosen.valid_error,
              test_accuracy=chosen.test_accuracy.tolist(),
              longer_test_accuracy={k: v.tolist() for k, v in chosen.longer_accuracy.items()})


def mqar_by_shape(cells: list[MQARCell]) -> list[str]:
  """A table of test accuracy with a row per core and width and a column per (L, kv)."""
  shapes = sorted({(c.length, c.num_pairs) for c in cells})
  found = {(c.model, c.width, c.length, c.num_pairs): c for c in cells}
  lines = ['| core | width | ' + ' | '.join(f'L = {l}, kv = {kv}' for l, kv in shapes) + ' |',
           '|---|---:|' + '---:|' * len(shapes)]
  for model, width in sorted({(c.model, c.width) for c in cells},
                             key=lambda k: (k[1], _CORE_RANK(k[0]))):
    row_cells = [found.get((model, width, *shape)) for shape in shapes]
    lines.append(f'| {NAMES[model]} | {width} | ' + ' | '.join(
        spread_text(c.chosen.test_accuracy, '.1f', 100.0) if c else '–'
        for c in row_cells) + ' |')
  return lines


def mqar_markdown(cells: list[MQARCell], rows: list[dict], header: str) -> str:
  """Test accuracy by core, width and shape; one row per core, shape and width at its chosen
  setting; then every setting."""
  lines = [header, '', 'Test accuracy over the queried positions at the setting with the '
           'lowest mean validation error; the same parameters on test slices longer than the '
           'training sequences (same kv) measure length generalisation.', '',
           '## Test accuracy (%) as kv grows', '', *mqar_by_shape(cells), '',
           '## Each core at its chosen setting', '',
           '| L | kv | core | width | state (bytes) | setting (of those searched) '
           '| test accuracy (%) | longer tests (%) | seeds |',
           '|---:|---:|---|---:|---:|---|---:|---|---|']
  for c in cells:
    chosen = c.chosen
    longer = '; '.join(f'{name}: {spread_text(a, ".1f", 100.0)}'
                       for name, a in chosen.longer_accuracy.items()) or '–'
    lines.append(f'| {c.length} | {c.num_pairs} | {NAMES[c.model]} | {c.width} | '
                 f'{c.state_bytes:,} | {chosen.text()} (of {len(c.settings)}) | '
                 f'{spread_text(chosen.test_accuracy, ".1f", 100.0)} | {longer} | '
                 f'{", ".join(map(str, chosen.seeds))} |')
  lines += ['', '## Every setting', '',
            '| L | kv | core | width | setting | valid error (%, mean) | test accuracy (%) '
            '| seeds |', '|---:|---:|---|---:|---|---:|---:|---|']
  for c in cells:
    for s in c.settings:
      mark = ' (chosen)' if s is c.chosen else ''
      lines.append(f'| {c.length} | {c.num_pairs} | {NAMES[c.model]} | {c.width} | '
                   f'{s.text()}{mark} | {s.valid_error:.2f} | '
                   f'{spread_text(s.test_accuracy, ".1f", 100.0)} | '
                   f'{", ".join(map(str, s.seeds))} |')
  return '\n'.join(lines) + '\n'


def plot_accuracy_against_state(cells: list[MQARCell], path: str) -> None:
  """Test accuracy against state size, one panel per (L, kv), a line per core through its
  widths, a bar from the lowest to the highest seed; a last panel with Zoology's points; one
  axis of state size for all."""
  shapes = list(dict.fromkeys((c.length, c.num_pairs) for c in cells))
  fig = Figure(figsize=(4.6 * (len(shapes) + 1), 4.4))
  axes = np.atleast_1d(fig.subplots(1, len(shapes) + 1, sharex=True, sharey=True))
  for ax, (length, pairs) in zip(axes, shapes):
    for number, model in enumerate(NAMES):
      mine = sorted((c for c in cells if (c.length, c.num_pairs, c.model) == (length, pairs, model)),
                    key=lambda c: c.state_bytes)
      if not mine:
        continue
      accuracies = [c.chosen.test_accuracy for c in mine]
      means = [100 * a.mean() for a in accuracies]
      spread = [[m - 100 * a.min() for m, a in zip(means, accuracies)],
                [100 * a.max() - m for m, a in zip(means, accuracies)]]
      ax.errorbar([c.state_bytes for c in mine], means, yerr=spread, marker='o', capsize=3,
                  label=NAMES[model], color=f'C{number}')
    ax.set(title=f'fwrnn: MQAR, L = {length}, kv = {pairs}')
  zoology = axes[-1]
  for number, model in enumerate(NAMES):
    if model in ZOOLOGY_POINTS:
      sizes, accuracies = zip(*ZOOLOGY_POINTS[model])
      zoology.plot(sizes, 100 * np.array(accuracies), marker='s', linestyle='--',
                   color=f'C{number}', label=NAMES[model])
  zoology.set(title="Zoology's published points (approximate)")
  for ax in axes:
    ax.set(xscale='log', xlabel='recurrent state size (bytes, as Zoology counts)', ylim=(0, 101))
    ax.xaxis.set_minor_formatter(NullFormatter())  # a narrow range would label every minor tick
    ax.legend(fontsize=8)
  axes[0].set(ylabel='test accuracy (%)')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
