r"""Writes the table and learning curves of the Catch runs under a directory.

    python scripts/catch_report.py --runs=results/catch_runs --out_dir=results

It never replaces a file that is already there unless --overwrite is given.
"""

import os
import shlex
import sys

from absl import app, flags

from fwrnn import console
from fwrnn.report import paper as report
from fwrnn.report import catch as catch_report

_RUNS = flags.DEFINE_string('runs', None, 'Directory holding the Catch run directories.')
_OUT_DIR = flags.DEFINE_string('out_dir', None, 'Where catch.md and catch.png go (default --runs).')
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace files that are already there.')
flags.mark_flags_as_required(['runs'])


def main(argv):
  del argv
  workdirs = catch_report.find_runs(_RUNS.value)
  if not workdirs:
    sys.exit(f'error: {_RUNS.value} holds no finished Catch runs (catch_curve.csv and results.json)')
  out_dir = _OUT_DIR.value or _RUNS.value
  paths = [os.path.join(out_dir, name) for name in ('catch.md', 'catch.png')]
  refusal = report.refusal_to_replace(paths, _OVERWRITE.value)
  if refusal:
    sys.exit(refusal)
  found = catch_report.groups(workdirs)
  machines = sorted({r['machine'] for runs in found.values() for _, _, r in runs})
  header = (f'Report: `{shlex.join(["python"] + sys.argv)}`, from {len(workdirs)} runs in '
            f'`{_RUNS.value}`, trained on {"; ".join(machines)}.')
  os.makedirs(out_dir, exist_ok=True)
  with open(paths[0], 'w') as f:
    f.write('# Partially observable Catch\n\n' + catch_report.markdown(found, header))
  catch_report.plot(found, paths[1])
  print(f'wrote {paths[0]} and {paths[1]}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
