r"""Writes the tables and figures of a finished sweep, by default next to it (<sweep_dir>/report).

    python scripts/report.py --sweep_dir=sweeps/my_sweep              # any sweep: groups of seeds
    python scripts/report.py --table=table1 --sweep_dir=results/table1_runs --out_dir=results
    python scripts/report.py --table=table2 --sweep_dir=sweeps/table2
    python scripts/report.py --table=ablations --sweep_dir=sweeps/ablations --out_dir=results

It never replaces a file that is already there unless --overwrite is given. The header of the
markdown names this command and the machines the sweep's runs recorded.
"""

import os
import shlex
import sys

from absl import app, flags

from fwrnn import console, report, run_dir, sweep

FILES = {'groups': ('groups.md', 'groups.csv', 'groups_curves.png'),
         'ablations': ('ablations.md', 'ablations.csv', 'ablations_decay_rate.png'),
         **{name: (f'{name}.md', f'{name}.csv', f'{name}_error_vs_r.png') + (
             (f'{name}_curves_r{table.curves_at}.png',) if table.curves_at else ())
            for name, table in report.PAPER_TABLES.items()}}

_TABLE = flags.DEFINE_enum('table', 'groups', list(FILES),
                           'groups: any sweep, by everything but the seed; table1, table2: the '
                           'paper\'s tables; ablations: the controls.')
_SWEEP_DIR = flags.DEFINE_string('sweep_dir', None, 'The finished sweep.')
_OUT_DIR = flags.DEFINE_string('out_dir', None, 'Where the files go (default <sweep_dir>/report).')
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace files that are already there.')
flags.mark_flags_as_required(['sweep_dir'])


def _header(rows: list[dict]) -> str:
  steps = sorted({r['steps'] for r in rows})
  machines = sorted({r.get('machine') or 'not recorded' for r in rows})
  return (f'Report: `{shlex.join(["python"] + sys.argv)}`, from the sweep in '
          f'`{_SWEEP_DIR.value}` ({len(rows)} runs of {"/".join(map(str, steps))} steps, trained '
          f'on {"; ".join(machines)}). Test error of the best-validation parameters.')


def main(argv):
  del argv
  path = os.path.join(_SWEEP_DIR.value, sweep.SWEEP_CSV)
  if not os.path.exists(path):
    sys.exit(f'error: {path} does not exist; run scripts/sweep.py first')
  out_dir = _OUT_DIR.value or os.path.join(_SWEEP_DIR.value, 'report')
  out = lambda name: os.path.join(out_dir, name)
  there = [out(name) for name in FILES[_TABLE.value] if os.path.exists(out(name))]
  if there and not _OVERWRITE.value:
    sys.exit(f'error: {there[0]} is already there; give --overwrite to replace it, or '
             'another --out_dir')
  rows = sweep.read_csv(path)
  os.makedirs(out_dir, exist_ok=True)
  if _TABLE.value == 'groups':
    cells = report.seed_groups(rows, [run_dir.read_config(r['workdir']).to_dict() for r in rows])
    with open(out('groups.md'), 'w') as f:
      f.write('# Sweep report\n\n' + report.groups_markdown(cells, _header(rows)))
    sweep.write_csv([{k: v for k, v in c.items() if k != 'workdirs'} for c in cells],
                    out('groups.csv'))
    report.plot_group_curves(cells, out('groups_curves.png'))
  elif _TABLE.value in report.PAPER_TABLES:
    table = report.PAPER_TABLES[_TABLE.value]
    cells = report.paper_cells(rows, table)
    markdown, data, figure, *curves = (out(name) for name in FILES[table.name])
    with open(markdown, 'w') as f:
      f.write(f'# {table.title}\n\n' + report.paper_markdown(cells, rows, _header(rows)))
    sweep.write_csv([{k: v for k, v in c.items() if k != 'workdirs'} for c in cells], data)
    report.plot_error_against_size(cells, figure, table.title)
    if curves:
      report.plot_curves(cells, table.curves_at, curves[0])
  else:
    configs = [run_dir.read_config(r['workdir']).to_dict() for r in rows]
    cells = report.ablation_cells(rows, configs)
    with open(out('ablations.md'), 'w') as f:
      f.write('# Controls the paper lacks\n\n' + report.ablations_markdown(cells, _header(rows)))
    sweep.write_csv(cells, out('ablations.csv'))
    report.plot_decay_and_rate(cells, out('ablations_decay_rate.png'))
  print(f'wrote the {_TABLE.value} files in {out_dir}/')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
