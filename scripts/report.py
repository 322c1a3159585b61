r"""Writes the tables and figures of finished runs, by default next to them (<sweep_dir>/report).

    python scripts/report.py --sweep_dir=sweeps/my_sweep              # any sweep: groups of seeds
    python scripts/report.py --table=table1 --sweep_dir=results/table1_runs --out_dir=results/table1
    python scripts/report.py --table=table2 --sweep_dir=sweeps/table2
    python scripts/report.py --table=ablations --sweep_dir=sweeps/ablations --out_dir=results
    python scripts/report.py --table=catch --sweep_dir=results/catch_figure_runs --out_dir=results/catch
    python scripts/report.py --table=catch_search --sweep_dir=results/catch_search_runs/n16
    python scripts/report.py --table=mqar --sweep_dir=results/mqar_runs --out_dir=results/mqar

--sweep_dir is a sweep (its sweep.csv lists the runs) or any folder of run directories. It
never replaces a file that is already there unless --overwrite is given. The header of the
markdown names this command and the machines the runs recorded.
"""

import os
import shlex
import sys

from absl import app, flags

from fwrnn import console
from fwrnn.report import kinds
from fwrnn.report.common import read_runs, refusal_to_replace

_TABLE = flags.DEFINE_enum('table', 'groups', list(kinds.REPORT_KINDS),
                           'groups: any sweep, by everything but the seed; table1, table2: the '
                           'paper\'s tables; ablations: the controls; catch: Catch runs.')
_SWEEP_DIR = flags.DEFINE_string('sweep_dir', None, 'The finished sweep, or a folder of runs.')
_OUT_DIR = flags.DEFINE_string('out_dir', None, 'Where the files go (default <sweep_dir>/report).')
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace files that are already there.')
flags.mark_flags_as_required(['sweep_dir'])


def _header(rows: list[dict]) -> str:
  steps = sorted({r.get('steps', r.get('updates')) for r in rows})
  steps_text = '/'.join(map(str, steps)) if len(steps) <= 2 else f'{steps[0]:,}–{steps[-1]:,}'
  machines = sorted({r.get('machine') or 'not recorded' for r in rows})
  measured = ('Test error of the best-validation parameters.' if 'test_error' in rows[0]
              else 'Catch rate over each logged chunk of updates.')
  return (f'Report: `{shlex.join(["python"] + sys.argv)}`, from the runs in '
          f'`{_SWEEP_DIR.value}` ({len(rows)} runs of {steps_text} steps, trained '
          f'on {"; ".join(machines)}). {measured}')


def main(argv):
  del argv
  out_dir = _OUT_DIR.value or os.path.join(_SWEEP_DIR.value, 'report')
  kind = kinds.REPORT_KINDS[_TABLE.value]
  refusal = refusal_to_replace([os.path.join(out_dir, n) for n in kind.files()], _OVERWRITE.value)
  if refusal:
    sys.exit(refusal)
  with console.errors_as_one_line():
    rows, configs = read_runs(_SWEEP_DIR.value)
    kinds.write(kind, rows, configs, out_dir, _header(rows))
  print(f'wrote the {_TABLE.value} files in {out_dir}/')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
