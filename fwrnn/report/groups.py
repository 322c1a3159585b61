"""Any sweep's report: its members grouped by everything but the seed, a typed cell per group
with the spread of its scores over seeds, and the groups' curves.

The scores are those of the runs' kind: validation and test error for a supervised task, the
final catch rate for Catch; the best group comes first.
"""

import collections
import dataclasses

from matplotlib.figure import Figure

from fwrnn.engine import run_dir
from fwrnn.report.common import draw_seed_band, runs_of, say_empty, seed_curves, spread_text


@dataclasses.dataclass(frozen=True)
class Score:
  """A number every run of a kind has, how a table shows it and which way is better."""
  field: str        # the results field
  title: str        # the column's title
  scale: float      # shown as scale × the field
  higher_is_better: bool


@dataclasses.dataclass(frozen=True)
class Scores:
  """What a kind's groups are ranked by (the first score) and show, and its curve."""
  scores: tuple[Score, ...]
  curve_file: str
  curve_column: int
  curve_label: str


SUPERVISED = Scores((Score('valid_error', 'valid error (%)', 1.0, False),
                     Score('test_error', 'test error (%)', 1.0, False)),
                    run_dir.CURVE_FILE, 2, 'validation error (%)')
CATCH = Scores((Score('final_catch_rate', 'catch rate at the end (%)', 100.0, True),),
               'catch_curve.csv', 2, 'catch rate')


def scores_of(rows: list[dict]) -> Scores:
  """The scores of the runs' kind (Catch's if its rows have a catch rate)."""
  return CATCH if runs_of(rows[0]) == 'catch' else SUPERVISED


@dataclasses.dataclass(frozen=True)
class GroupCell:
  """The runs of one setting: what sets it apart, its seeds, each score per seed, and where
  its runs are."""
  group: str
  seeds: list[int]
  scores: dict[str, list[float]]   # {results field: one value per seed}
  steps: list[int]
  workdirs: list[str]

  @property
  def runs(self) -> int:
    return len(self.seeds)


def seed_groups(rows: list[dict], configs: list[dict]) -> list[GroupCell]:
  """Any sweep's members grouped by everything but the seed (the fields that set a group
  apart are those that vary in the sweep); the best group by the kind's first score first."""
  kind = scores_of(rows)
  flat = [{k: v for k, v in run_dir.flatten_config(c).items() if k != 'seed'} for c in configs]
  varying = sorted(k for k in set().union(*flat) if len({repr(f.get(k)) for f in flat}) > 1)
  groups = collections.defaultdict(list)
  for row, fields in zip(rows, flat):
    groups[tuple((k, fields.get(k)) for k in varying)].append(row)
  cells = []
  for key, members in groups.items():
    members = sorted(members, key=lambda m: m['seed'])
    cells.append(GroupCell(
        group=', '.join(f'{k.rsplit(".", 1)[-1]}={v}' for k, v in key) or 'all',
        seeds=[m['seed'] for m in members],
        scores={s.field: [m[s.field] for m in members] for s in kind.scores},
        steps=sorted({m.get('steps', m.get('updates')) for m in members}),
        workdirs=[m['workdir'] for m in members]))
  first = kind.scores[0]
  sign = -1.0 if first.higher_is_better else 1.0
  return sorted(cells, key=lambda c: sign * sum(c.scores[first.field]) / c.runs)


def groups_markdown(cells: list[GroupCell], rows: list[dict], header: str) -> str:
  """A table of every group, best first."""
  kind = scores_of(rows)
  titles = ' | '.join(s.title for s in kind.scores)
  lines = [header, '', 'Mean ± std over the seeds of each group (sample std; one seed: its value, '
           'marked). Groups differ only in the fields named; best first.', '',
           f'| group | runs | seeds | {titles} | steps |',
           '|---|---:|---|' + '---:|' * len(kind.scores) + '---|']
  for c in cells:
    values = ' | '.join(spread_text(c.scores[s.field], scale=s.scale) for s in kind.scores)
    lines.append(f'| {c.group} | {c.runs} | {", ".join(map(str, c.seeds))} | {values} | '
                 f'{"/".join(map(str, c.steps))} |')
  return '\n'.join(lines) + '\n'


def plot_group_curves(cells: list[GroupCell], rows: list[dict], path: str, most: int = 12) -> None:
  """The curves of the `most` best groups: the mean over seeds, and a band from the lowest
  to the highest seed."""
  kind = scores_of(rows)
  fig = Figure(figsize=(7, 4.5))
  ax = fig.subplots()
  for c in cells[:most]:
    curves = seed_curves(c.workdirs, kind.curve_column, kind.curve_file)
    if curves is not None:
      draw_seed_band(ax, *curves, f'{c.group} ({len(curves[1])} seeds)')
  ax.set(xlabel='updates', ylabel=kind.curve_label,
         title='Mean over seeds; band: lowest to highest seed')
  if ax.lines:
    ax.legend(fontsize=7, loc='best')
  else:
    say_empty(ax, 'no curves in this sweep')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
