r"""Wall time of a sweep: one population against the same runs one after another.

    python scripts/benchmark_sweep.py --config=configs/assoc_recall.py --steps=3000 \
        --out=results/speed/benchmark_sweep_cpu.json

Both sides run as a user runs them, as fresh processes, compilation included: the
population is one `scripts/sweep.py`, the others one `scripts/train.py` per member. The
members are learning rates × seeds; the script also reports how far apart the two sides'
test errors are (the same runs, so they should agree).
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app, flags

from fwrnn import console
from fwrnn.engine import csv_rows, sweep
from fwrnn.engine.state import machine_name

_CONFIG = flags.DEFINE_string('config', None, 'Base config file.')
_STEPS = flags.DEFINE_integer('steps', 3000, 'Training steps of every member.')
_RATES = flags.DEFINE_list('learning_rates', ['5e-4', '1e-3', '2e-3', '4e-3'], 'Learning rates.')
_SEEDS = flags.DEFINE_integer('seeds', 4, 'Seeds per learning rate.')
_OUT = flags.DEFINE_string('out', None, 'Write the result as JSON here.')
flags.mark_flags_as_required(['config'])


def _timed(command: list[str]) -> float:
  started = time.perf_counter()
  done = subprocess.run(command, capture_output=True, text=True)
  if done.returncode != 0:
    sys.exit(f'error: {" ".join(command)} failed:\n{done.stderr[-2000:]}')
  return time.perf_counter() - started


def main(argv):
  del argv
  steps = f'--config.train.num_steps={_STEPS.value}'
  members = [(rate, seed) for rate in _RATES.value for seed in range(_SEEDS.value)]
  with tempfile.TemporaryDirectory() as scratch:
    grid = f'seed={",".join(map(str, range(_SEEDS.value)))} train.learning_rate={",".join(_RATES.value)}'
    sweep_dir = os.path.join(scratch, 'population')
    population_seconds = _timed([sys.executable, 'scripts/sweep.py', f'--config={_CONFIG.value}',
                                 steps, f'--grid={grid}', f'--sweep_dir={sweep_dir}'])
    population = {(r['train.learning_rate'], r['seed']): r
                  for r in csv_rows.read_csv(os.path.join(sweep_dir, sweep.SWEEP_CSV))}
    sequential_seconds, differences = 0.0, []
    for rate, seed in members:
      workdir = os.path.join(scratch, f'alone_{rate}_{seed}')
      sequential_seconds += _timed([sys.executable, 'scripts/train.py', f'--config={_CONFIG.value}',
                                    steps, f'--config.seed={seed}',
                                    f'--config.train.learning_rate={rate}', f'--workdir={workdir}'])
      with open(os.path.join(workdir, 'results.json')) as f:
        alone = json.load(f)
      differences.append(abs(alone['test_error'] - population[(float(rate), seed)]['test_error']))
  result = {
      'machine': machine_name(),
      'config': _CONFIG.value, 'members': len(members), 'steps': _STEPS.value,
      'population_seconds': population_seconds, 'sequential_seconds': sequential_seconds,
      'speedup': sequential_seconds / population_seconds,
      'max_test_error_difference': max(differences),
  }
  print(f'{len(members)} members × {_STEPS.value} steps: population {population_seconds:.1f} s, '
        f'one after another {sequential_seconds:.1f} s, {result["speedup"]:.2f}× faster; '
        f'test errors differ by at most {result["max_test_error_difference"]:.3f} points')
  if _OUT.value:
    with open(_OUT.value, 'w') as f:
      json.dump(result, f, indent=2)


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
