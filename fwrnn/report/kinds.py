"""The one registry of report kinds (any sweep's seed groups, Table 1, Table 2, the controls,
Catch): for each, how runs become typed cells, the markdown of the cells, the CSV row of a
cell, and the figures.

`write` is the only writer: every kind writes <name>.md, <name>.csv and its figures
<name>_<figure>.png into one directory.
"""

import dataclasses
import os
from typing import Any, Callable

import numpy as np

from fwrnn.engine import csv_rows
from fwrnn.errors import RunError
from fwrnn.report import ablations, catch, catch_search, groups, mqar, paper
from fwrnn.report.common import runs_of

Cells = list[Any]
Draw = Callable[[Cells, list[dict], str], None]  # (cells, rows, path)


def plain_row(cell) -> dict:
  """A cell as a CSV row: its fields, without run directories; arrays as lists."""
  return {k: v.tolist() if isinstance(v, np.ndarray) else v
          for k, v in dataclasses.asdict(cell).items() if k != 'workdirs'}


@dataclasses.dataclass(frozen=True)
class ReportKind:
  """One configuration of the report."""
  name: str
  title: str
  cells: Callable[[list[dict], list[dict]], Cells]  # (rows, their configs) -> cells
  markdown: Callable[[Cells, list[dict], str], str]  # (cells, rows, header) -> the tables
  figures: tuple[tuple[str, Draw], ...]              # (figure name, draw)
  row: Callable[[Any], dict] = plain_row             # a cell's line of <name>.csv
  runs: str = 'supervised'                           # the runs it reads (common.runs_of), or any

  def files(self) -> tuple[str, ...]:
    """The names of the files this kind writes."""
    return (f'{self.name}.md', f'{self.name}.csv') + tuple(
        f'{self.name}_{figure}.png' for figure, _ in self.figures)


def _paper_kind(table: paper.PaperTable) -> ReportKind:
  figures = [('error_vs_r', lambda cells, rows, path: paper.plot_error_against_size(
                  cells, path, table.title)),
             ('curves', lambda cells, rows, path: paper.plot_curves_every_size(cells, path))]
  if table.curves_at:
    figures.append((f'curves_r{table.curves_at}',
                    lambda cells, rows, path: paper.plot_curves(cells, table.curves_at, path)))
  return ReportKind(table.name, table.title,
                    cells=lambda rows, configs: paper.paper_cells(rows, table),
                    markdown=paper.paper_markdown, figures=tuple(figures))


def _catch_row(cell: catch.CatchCell) -> dict:
  return dict(model=cell.model, size=cell.size, visible_frames=cell.visible_frames,
              diagonal=cell.diagonal, learning_rate=cell.learning_rate, fast_lr=cell.fast_lr,
              fast_decay=cell.fast_decay, seeds=cell.seeds,
              environment_steps=int(cell.environment_steps[-1]),
              final_catch_rates=cell.catch_rates[:, -1].tolist())


REPORT_KINDS = {kind.name: kind for kind in (
    ReportKind('groups', 'Sweep report', cells=groups.seed_groups,
               markdown=groups.groups_markdown,
               figures=(('curves', groups.plot_group_curves),), runs='any'),
    *(_paper_kind(table) for table in paper.PAPER_TABLES.values()),
    ReportKind('ablations', 'Controls the paper lacks', cells=ablations.ablation_cells,
               markdown=ablations.ablations_markdown,
               figures=(('decay_rate', lambda cells, rows, path:
                         ablations.plot_decay_and_rate(cells, path)),)),
    ReportKind('catch', 'Partially observable Catch', cells=catch.catch_cells,
               markdown=catch.catch_markdown,
               figures=(('rewards', lambda cells, rows, path: catch.plot_rewards(cells, path)),),
               row=_catch_row, runs='catch'),
    ReportKind('mqar', 'Multi-query associative recall', cells=mqar.mqar_cells,
               markdown=mqar.mqar_markdown,
               figures=(('accuracy_vs_state', lambda cells, rows, path:
                         mqar.plot_accuracy_against_state(cells, path)),),
               row=mqar.mqar_row, runs='mqar'),
    ReportKind('catch_search', 'The search of the Catch figure',
               cells=lambda rows, configs: catch_search.search_cells(
                   catch.catch_cells(rows, configs)),
               markdown=catch_search.search_markdown,
               figures=(('criterion', lambda cells, rows, path:
                         catch_search.plot_criterion(cells, path)),),
               row=catch_search.search_row, runs='catch'),
)}


def write(kind: ReportKind, rows: list[dict], configs: list[dict], out_dir: str,
          header: str) -> None:
  """Writes the kind's markdown, CSV (a row per cell) and figures; RunError, before writing
  anything, if the runs are not of the kind of run the report reads."""
  wrong = next((r for r in rows if kind.runs not in ('any', runs_of(r))), None)
  if wrong is not None:
    raise RunError(f'the {kind.name} report reads {kind.runs} runs; {wrong["workdir"]} is a '
                   f'{runs_of(wrong)} run')
  cells = kind.cells(rows, configs)
  os.makedirs(out_dir, exist_ok=True)
  markdown, data, *figures = (os.path.join(out_dir, name) for name in kind.files())
  with open(markdown, 'w') as f:
    f.write(f'# {kind.title}\n\n' + kind.markdown(cells, rows, header))
  csv_rows.write_csv([kind.row(c) for c in cells], data)
  for (_, draw), path in zip(kind.figures, figures):
    draw(cells, rows, path)
