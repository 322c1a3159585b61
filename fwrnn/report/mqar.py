"""The MQAR report: each core at each (L, kv) and width with the learning rate that had the
lowest validation error (mean over seeds), its test accuracy and its recurrent state size, and
accuracy against state size in bytes (Zoology's axis) beside the points Zoology published."""

import collections
import dataclasses

import ml_collections
import numpy as np
from matplotlib.figure import Figure

from fwrnn.layers.cores import stack_state_bytes
from fwrnn.report.common import spread_text

NAMES = {'softmax_attention': 'Softmax attention', 'linear_attention': 'Linear attention',
         'deltanet': 'DeltaNet', 'gated_deltanet': 'Gated DeltaNet',
         'fast_weights': 'Fast weights', 'lstm': 'LSTM'}
# Zoology's published (state bytes, accuracy) of the cores both have, read by eye off its
# figure "Recall-Memory Tradeoff" (HazyResearch/zoology, zoology/analysis/paper/zoology_paper/
# zoology_results.png; widths 64 to 512, its (L, kv) not stated there): approximate.
ZOOLOGY_POINTS = {
    'deltanet': ((9e3, 0.79), (3.5e4, 0.96), (1.35e5, 0.995)),
    'gated_deltanet': ((1.7e4, 0.89), (6.7e4, 0.99), (2.6e5, 0.995), (1.05e6, 1.0)),
}


@dataclasses.dataclass(frozen=True)
class MQARCell:
  """One core at one (L, kv) and width, at its chosen learning rate."""
  model: str
  length: int
  num_pairs: int
  width: int
  learning_rate: float
  rates_searched: int
  seeds: list[int]
  test_accuracy: np.ndarray  # per seed, 0–1
  valid_error: float         # mean over seeds, %
  state_bytes: int           # carried from token to token (Zoology's count)
  longer_accuracy: dict      # {slice name: per-seed test accuracy} of the longer test slices


def mqar_cells(rows: list[dict], configs: list[dict]) -> list[MQARCell]:
  """The runs grouped by core, shape and width; in each, the learning rate whose seeds have
  the lowest mean validation error."""
  groups = collections.defaultdict(lambda: collections.defaultdict(list))
  models = {}
  for row, config in zip(rows, configs):
    m, d = config['model'], config['data']
    key = (m['name'], d['length'], d['num_pairs'], m['hidden_size'])
    groups[key][row['learning_rate']].append(row)
    models[key] = m
  cells = []
  for key, by_rate in groups.items():
    rate = min(by_rate, key=lambda r: np.mean([row['valid_error'] for row in by_rate[r]]))
    chosen = sorted(by_rate[rate], key=lambda row: row['seed'])
    state = stack_state_bytes(ml_collections.ConfigDict(models[key]), key[1])
    longer = {name: np.array([row['longer_test_accuracy'][name] for row in chosen])
              for name in (chosen[0].get('longer_test_accuracy') or {})}
    cells.append(MQARCell(*key, rate, len(by_rate), [row['seed'] for row in chosen],
                          np.array([row['test_accuracy'] for row in chosen]),
                          float(np.mean([row['valid_error'] for row in chosen])), state, longer))
  order = list(NAMES)
  return sorted(cells, key=lambda c: (c.length, c.num_pairs, order.index(c.model), c.width))


def mqar_markdown(cells: list[MQARCell], rows: list[dict], header: str) -> str:
  """One row per core, shape and width."""
  lines = [header, '', 'Test accuracy over the queried positions at the learning rate with the '
           'lowest mean validation error; the same parameters on test slices longer than the '
           'training sequences (same kv) measure length generalisation.', '',
           '| L | kv | core | width | state (bytes) | rate (of those searched) | test accuracy (%) '
           '| longer tests (%) | seeds |', '|---:|---:|---|---:|---:|---|---:|---|---|']
  for c in cells:
    longer = '; '.join(f'{name}: {spread_text(a, ".1f", 100.0)}'
                       for name, a in c.longer_accuracy.items()) or '–'
    lines.append(f'| {c.length} | {c.num_pairs} | {NAMES[c.model]} | {c.width} | '
                 f'{c.state_bytes:,} | {c.learning_rate:g} (of {c.rates_searched}) | '
                 f'{spread_text(c.test_accuracy, ".1f", 100.0)} | {longer} | '
                 f'{", ".join(map(str, c.seeds))} |')
  return '\n'.join(lines) + '\n'


def plot_accuracy_against_state(cells: list[MQARCell], path: str) -> None:
  """Test accuracy against state size, one panel per (L, kv), a line per core through its
  widths, a bar from the lowest to the highest seed; a last panel with Zoology's points."""
  shapes = list(dict.fromkeys((c.length, c.num_pairs) for c in cells))
  fig = Figure(figsize=(4.6 * (len(shapes) + 1), 4.4))
  axes = np.atleast_1d(fig.subplots(1, len(shapes) + 1, sharey=True))
  for ax, (length, pairs) in zip(axes, shapes):
    for number, model in enumerate(NAMES):
      mine = sorted((c for c in cells if (c.length, c.num_pairs, c.model) == (length, pairs, model)),
                    key=lambda c: c.state_bytes)
      if not mine:
        continue
      means = [100 * c.test_accuracy.mean() for c in mine]
      spread = [[m - 100 * c.test_accuracy.min() for m, c in zip(means, mine)],
                [100 * c.test_accuracy.max() - m for m, c in zip(means, mine)]]
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
    ax.legend(fontsize=8)
  axes[0].set(ylabel='test accuracy (%)')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
