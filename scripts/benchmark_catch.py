r"""Catch speed of two checkouts side by side, measured alternately, and their learning curves:

    git worktree add /tmp/before <commit>
    python scripts/benchmark_catch.py --checkouts=/tmp/before,. --out=results/speed/catch.json

For each version of the game (N = 16, M = 3 and N = 24, M = 5) and population size, every
checkout trains fast-weights agents with its own scripts/train_catch.py, one checkout after
the other, --repeats times; a rate is the median over the logged chunks after the first
(which pays for compilation) of the environment steps per second of the whole population.
Then each checkout trains one fixed-seed run of --curve_updates updates, and the catch curves
are compared point by point.
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

import numpy as np
from absl import app, flags

_CHECKOUTS = flags.DEFINE_list('checkouts', None, 'Folders of the checkouts to compare.')
_UPDATES = flags.DEFINE_integer('updates', 300, 'Updates per timed run.')
_LOG_EVERY = flags.DEFINE_integer('log_every', 50, 'Updates per logged chunk.')
_POPULATIONS = flags.DEFINE_list('populations', ['1', '3'], 'Population sizes (seeds 0, 1, …).')
_REPEATS = flags.DEFINE_integer('repeats', 2, 'Timed runs of each checkout and setting.')
_CURVE_UPDATES = flags.DEFINE_integer('curve_updates', 1000, 'Updates of the curve comparison.')
_OUT = flags.DEFINE_string('out', None, 'JSON file for the figures.')
flags.mark_flags_as_required(['checkouts'])

VERSIONS = {'N = 16, M = 3': '', 'N = 24, M = 5': 'n24'}
RATE = re.compile(r'([\d,]+) environment steps/s')


def train(checkout: str, variant: str, seeds: int, updates: int, workdir: str) -> str:
  """Runs the checkout's train_catch.py; its log."""
  config = os.path.join(checkout, 'configs', 'catch.py') + (f':{variant}' if variant else '')
  command = [sys.executable, os.path.join(checkout, 'scripts', 'train_catch.py'),
             f'--config={config}', f'--seeds={",".join(map(str, range(seeds)))}',
             f'--config.train.num_updates={updates}', f'--config.train.log_every={_LOG_EVERY.value}',
             f'--config.train.checkpoint_every={updates}', f'--workdir={workdir}']
  env = dict(os.environ, PYTHONPATH=os.path.abspath(checkout))
  done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=checkout)
  if done.returncode:
    sys.exit(f'error: {checkout} failed: {done.stderr.strip().splitlines()[-1]}')
  return done.stderr


def commit_of(checkout: str) -> str:
  """The checkout's commit (with '+' if its tracked files have changes), or '?'."""
  run = lambda *args: subprocess.run(['git', '-C', checkout, *args], capture_output=True,
                                     text=True).stdout.strip()
  commit = run('rev-parse', '--short', 'HEAD') or '?'
  return commit + ('+' if run('status', '--porcelain', '--untracked-files=no') else '')


def rate(log: str) -> float:
  """Median environment steps per second of the logged chunks after the first."""
  rates = [float(r.replace(',', '')) for r in RATE.findall(log)]
  return statistics.median(rates[1:])


def main(argv):
  del argv
  checkouts = _CHECKOUTS.value
  speeds = {}
  for version, variant in VERSIONS.items():
    for size in map(int, _POPULATIONS.value):
      for _ in range(_REPEATS.value):
        for checkout in checkouts:  # alternately, so that both see the same machine
          with tempfile.TemporaryDirectory() as folder:
            log = train(checkout, variant, size, _UPDATES.value, folder)
          speeds.setdefault(f'{version}, population {size}', {}).setdefault(checkout, []).append(
              rate(log))
  curves = {}
  for checkout in checkouts:
    with tempfile.TemporaryDirectory() as folder:
      train(checkout, '', 1, _CURVE_UPDATES.value, folder)
      curves[checkout] = np.loadtxt(os.path.join(folder, 'seed=0', 'catch_curve.csv'),
                                    delimiter=',', skiprows=1, ndmin=2)
  commits = {c: commit_of(c) for c in checkouts}
  print('| setting | ' + ' | '.join(f'{c} ({commits[c]})' for c in checkouts)
        + ' | ratio (last / first) |')
  print('|---|' + '---:|' * (len(checkouts) + 1))
  for setting, by_checkout in speeds.items():
    medians = [statistics.median(by_checkout[c]) for c in checkouts]
    print(f'| {setting} | ' + ' | '.join(f'{m:,.0f}' for m in medians)
          + f' | {medians[-1] / medians[0]:.2f}× |')
  first, last = (curves[c] for c in (checkouts[0], checkouts[-1]))
  difference = float(np.abs(first[:, 2] - last[:, 2]).max())
  print(f'catch curves of seed 0, {_CURVE_UPDATES.value} updates, {len(first)} points: '
        f'largest difference of catch rate {difference:.4f}')
  if _OUT.value:
    with open(_OUT.value, 'w') as f:
      json.dump({'commits': commits, 'environment_steps_per_second': speeds,
                 'updates': _UPDATES.value, 'log_every': _LOG_EVERY.value,
                 'curve_points': {c: curves[c][:, 2].tolist() for c in checkouts},
                 'largest_curve_difference': difference}, f, indent=1)


if __name__ == '__main__':
  app.run(main)
