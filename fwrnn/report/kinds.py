"""The kinds of report (any sweep's seed groups, Table 1, Table 2, the controls) as
configurations of one report: how runs become cells, the markdown of the cells, the figures.

`write` is the only writer: every kind writes <name>.md, <name>.csv and its figures
<name>_<figure>.png into one directory.
"""

import dataclasses
import functools
import os
from typing import Callable

from fwrnn.report import paper as report
from fwrnn.engine import csv_rows

Cells = list[dict]


@dataclasses.dataclass(frozen=True)
class ReportKind:
  """One configuration of the report."""
  name: str
  title: str
  cells: Callable[[list[dict], list[dict]], Cells]  # (sweep rows, their configs) -> cells
  markdown: Callable[[Cells, list[dict], str], str]  # (cells, rows, header) -> the tables
  figures: tuple[tuple[str, Callable[[Cells, str], None]], ...]  # (figure name, draw(cells, path))

  def files(self) -> tuple[str, ...]:
    """The names of the files this kind writes."""
    return (f'{self.name}.md', f'{self.name}.csv') + tuple(
        f'{self.name}_{figure}.png' for figure, _ in self.figures)


def _paper_kind(table: report.PaperTable) -> ReportKind:
  figures = [('error_vs_r', functools.partial(report.plot_error_against_size, title=table.title)),
             ('curves', report.plot_curves_every_size)]
  if table.curves_at:
    figures.append((f'curves_r{table.curves_at}',
                    lambda cells, path: report.plot_curves(cells, table.curves_at, path)))
  return ReportKind(table.name, table.title,
                    cells=lambda rows, configs: report.paper_cells(rows, table),
                    markdown=report.paper_markdown, figures=tuple(figures))


REPORT_KINDS = {kind.name: kind for kind in (
    ReportKind('groups', 'Sweep report', cells=report.seed_groups,
               markdown=lambda cells, rows, header: report.groups_markdown(cells, header),
               figures=(('curves', report.plot_group_curves),)),
    *(_paper_kind(table) for table in report.PAPER_TABLES.values()),
    ReportKind('ablations', 'Controls the paper lacks', cells=report.ablation_cells,
               markdown=lambda cells, rows, header: report.ablations_markdown(cells, header),
               figures=(('decay_rate', report.plot_decay_and_rate),)),
)}


def write(kind: ReportKind, rows: list[dict], configs: list[dict], out_dir: str,
          header: str) -> None:
  """Writes the kind's markdown, CSV (the cells, without run directories) and figures."""
  cells = kind.cells(rows, configs)
  os.makedirs(out_dir, exist_ok=True)
  markdown, data, *figures = (os.path.join(out_dir, name) for name in kind.files())
  with open(markdown, 'w') as f:
    f.write(f'# {kind.title}\n\n' + kind.markdown(cells, rows, header))
  csv_rows.write_csv([{k: v for k, v in c.items() if k != 'workdirs'} for c in cells], data)
  for (_, draw), path in zip(kind.figures, figures):
    draw(cells, path)
