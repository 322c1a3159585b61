"""The controls the paper lacks (the LN-IRNN depth control, layer norm off, inner steps, the
λ × η grid, harder tasks) from a sweep of configs/ablations.py: a typed cell per setting, one
table per control, and the λ × η picture."""

import collections
import dataclasses

import numpy as np
from matplotlib.figure import Figure

from fwrnn.report.common import LABELS, mean_std, say_empty, spread_text


@dataclasses.dataclass(frozen=True)
class AblationCell:
  """The runs of one setting (None where a field does not apply to the model)."""
  model: str
  hidden_size: int
  num_pairs: int
  inner_steps: int | None
  layer_norm: bool | None
  fast_decay: float | None
  fast_lr: float | None
  test_errors: list[float]
  test_mean: float
  test_std: float
  valid_mean: float

  @property
  def seeds(self) -> int:
    return len(self.test_errors)


def ablation_cells(rows: list[dict], configs: list[dict]) -> list[AblationCell]:
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
    errors = [m['test_error'] for m in members]
    mean, std = mean_std(errors)
    cells.append(AblationCell(**dict(setting), test_errors=errors, test_mean=mean, test_std=std,
                              valid_mean=float(np.mean([m['valid_error'] for m in members]))))
  return cells


def ablations_markdown(cells: list[AblationCell], rows: list[dict], header: str) -> str:
  """One table per control (results/ablations/ablations.md)."""
  is_fw = lambda c: c.model in ('fast_weights', 'ln_irnn')
  default = lambda c, **skip: all(getattr(c, k) == v for k, v in dict(
      num_pairs=4, inner_steps=1, layer_norm=True, fast_decay=0.95).items() if k not in skip)
  sections = [
      ('Depth control: LN-IRNN (η = 0) against fast weights (η = 0.5)',
       lambda c: is_fw(c) and default(c) and c.fast_lr in (0.0, 0.5)),
      ('Layer norm off', lambda c: is_fw(c) and default(c, layer_norm=1) and c.fast_lr == 0.5),
      ('Inner steps S (R = 50)', lambda c: is_fw(c) and default(c, inner_steps=1)
       and c.hidden_size == 50 and c.fast_lr == 0.5),
      ('λ × η (R = 50; η = 0 is the LN-IRNN)', lambda c: is_fw(c) and default(c, fast_decay=1)
       and c.hidden_size == 50),
      ('Harder tasks: K pairs (K = 4: see Table 1)', lambda c: c.num_pairs != 4),
  ]
  lines = [header]
  for title, keep in sections:
    chosen = sorted((c for c in cells if keep(c)), key=_setting_order)
    lines += ['', f'## {title}', '', '| model | R | K | S | LN | λ | η | test error (%) | '
              'valid error (%) | seeds |', '|---|---:|---:|---:|---|---:|---:|---:|---:|---:|']
    for c in chosen:
      show = lambda v: '–' if v is None else f'{v:g}' if isinstance(v, float) else str(v)
      lines.append(f'| {LABELS[c.model]} | {c.hidden_size} | {c.num_pairs} | '
                   f'{show(c.inner_steps)} | {show(c.layer_norm)} | {show(c.fast_decay)} | '
                   f'{show(c.fast_lr)} | {spread_text(c.test_errors)} | '
                   f'{c.valid_mean:.2f} | {c.seeds} |')
  return '\n'.join(lines) + '\n'


def _setting_order(cell: AblationCell):
  return (cell.num_pairs, list(LABELS).index(cell.model), cell.hidden_size,
          -1 if cell.inner_steps is None else cell.inner_steps, str(cell.layer_norm),
          cell.fast_decay or 0, cell.fast_lr or 0)


def plot_decay_and_rate(cells: list[AblationCell], path: str) -> None:
  """Test error over the λ × η grid at R = 50 as a labelled heat map."""
  grid = [c for c in cells if c.model in ('fast_weights', 'ln_irnn') and c.hidden_size == 50
          and c.num_pairs == 4 and c.inner_steps == 1 and c.layer_norm is True]
  decays = sorted({c.fast_decay for c in grid})
  rates = sorted({c.fast_lr for c in grid})
  errors = np.full((len(decays), len(rates)), np.nan)
  for c in grid:
    errors[decays.index(c.fast_decay), rates.index(c.fast_lr)] = c.test_mean
  fig = Figure(figsize=(5, 3.6))
  ax = fig.subplots()
  if not grid:
    say_empty(ax, 'no runs of the λ × η grid (R = 50, K = 4, S = 1, LN) in this sweep')
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
