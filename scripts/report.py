r"""Writes the tables and figures of a finished sweep into results/.

    python scripts/report.py --table=table1 --sweep_dir=sweeps/table1
    python scripts/report.py --table=ablations --sweep_dir=sweeps/ablations
"""

import os
import sys

from absl import app, flags

from fwrnn import report, run_dir, sweep

_TABLE = flags.DEFINE_enum('table', None, ['table1', 'ablations'], 'Which report.')
_SWEEP_DIR = flags.DEFINE_string('sweep_dir', None, 'The finished sweep.')
_OUT_DIR = flags.DEFINE_string('out_dir', 'results', 'Where the files go.')
_MACHINE = flags.DEFINE_string('machine', report.machine_name(), 'The machine the sweep ran on.')
flags.mark_flags_as_required(['table', 'sweep_dir'])


def main(argv):
  del argv
  path = os.path.join(_SWEEP_DIR.value, sweep.SWEEP_CSV)
  if not os.path.exists(path):
    sys.exit(f'error: {path} does not exist; run scripts/sweep.py first')
  rows = sweep.read_csv(path)
  os.makedirs(_OUT_DIR.value, exist_ok=True)
  out = lambda name: os.path.join(_OUT_DIR.value, name)
  steps = sorted({r['steps'] for r in rows})
  header = (f'Command: `python scripts/sweep.py --config=configs/{_TABLE.value}.py` then '
            f'`python scripts/report.py --table={_TABLE.value} --sweep_dir={_SWEEP_DIR.value}`. '
            f'Machine: {_MACHINE.value}. {len(rows)} runs of {"/".join(map(str, steps))} steps, '
            f'batch 128, Adam; test error of the best-validation parameters.')
  if _TABLE.value == 'table1':
    cells = report.table1_cells(rows)
    with open(out('table1.md'), 'w') as f:
      f.write('# Table 1 of the paper, K = 4\n\n' + report.table1_markdown(cells, rows, header))
    sweep.write_csv([{k: v for k, v in c.items() if k != 'workdirs'} for c in cells],
                    out('table1.csv'))
    report.plot_error_against_size(cells, out('table1_error_vs_r.png'))
    report.plot_curves(cells, 50, out('table1_curves_r50.png'))
  else:
    configs = [run_dir.read_config(r['workdir']).to_dict() for r in rows]
    cells = report.ablation_cells(rows, configs)
    with open(out('ablations.md'), 'w') as f:
      f.write('# Controls the paper lacks\n\n' + report.ablations_markdown(cells, header))
    sweep.write_csv(cells, out('ablations.csv'))
    report.plot_decay_and_rate(cells, out('ablations_decay_rate.png'))
  print(f'wrote the {_TABLE.value} files in {_OUT_DIR.value}/')


if __name__ == '__main__':
  app.run(main)
