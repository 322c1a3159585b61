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

from fwrnn import console
from fwrnn.report import paper as report
from fwrnn.report import kinds as report_kinds
from fwrnn.engine import run_dir
from fwrnn.engine import csv_rows, sweep

_TABLE = flags.DEFINE_enum('table', 'groups', list(report_kinds.REPORT_KINDS),
                           'groups: any sweep, by everything but the seed; table1, table2: the '
                           'paper\'s tables; ablations: the controls.')
_SWEEP_DIR = flags.DEFINE_string('sweep_dir', None, 'The finished sweep.')
_OUT_DIR = flags.DEFINE_string('out_dir', None, 'Where the files go (default <sweep_dir>/report).')
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace files that are already there.')
flags.mark_flags_as_required(['sweep_dir'])


def _header(rows: list[dict]) -> str:
  steps = sorted({r['steps'] for r in rows})
  steps_text = '/'.join(map(str, steps)) if len(steps) <= 2 else f'{steps[0]:,}–{steps[-1]:,}'
  machines = sorted({r.get('machine') or 'not recorded' for r in rows})
  return (f'Report: `{shlex.join(["python"] + sys.argv)}`, from the sweep in '
          f'`{_SWEEP_DIR.value}` ({len(rows)} runs of {steps_text} steps, trained '
          f'on {"; ".join(machines)}). Test error of the best-validation parameters.')


def main(argv):
  del argv
  path = os.path.join(_SWEEP_DIR.value, sweep.SWEEP_CSV)
  if not os.path.exists(path):
    sys.exit(f'error: {path} does not exist; run scripts/sweep.py first')
  out_dir = _OUT_DIR.value or os.path.join(_SWEEP_DIR.value, 'report')
  kind = report_kinds.REPORT_KINDS[_TABLE.value]
  refusal = report.refusal_to_replace([os.path.join(out_dir, n) for n in kind.files()],
                                      _OVERWRITE.value)
  if refusal:
    sys.exit(refusal)
  rows = csv_rows.read_csv(path)
  configs = [run_dir.read_config(r['workdir']).to_dict() for r in rows]
  report_kinds.write(kind, rows, configs, out_dir, _header(rows))
  print(f'wrote the {_TABLE.value} files in {out_dir}/')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
