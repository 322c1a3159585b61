r"""Trains actor-critic agents on Catch, several seeds as one population:

    python scripts/train_catch.py --config=configs/catch.py --seeds=0,1,2

Each seed's run goes to <workdir>/seed=<seed>. The same as `scripts/sweep.py
--config=configs/catch.py --grid='seed=0,1,2' --sweep_dir=<workdir>` but for the names of the
run directories; running the same command again resumes from the newest checkpoint.
"""

import os
import sys

from absl import app, flags
from ml_collections import config_flags

from fwrnn import console
from fwrnn.engine import population
from fwrnn.engine.interrupts import StopRequests
from fwrnn.engine.kind import kind_of
from fwrnn.engine.loop import train_population

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Catch config file.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Directory of the runs (default: runs/catch_<model>_n<N>_m<M>).')
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Seeds trained together as one population.')
flags.mark_flags_as_required(['config'])


def seeds_of(values: list[str]) -> list[int]:
  """The seeds of --seeds; SystemExit with one line for none, a non-integer or a repeat."""
  try:
    seeds = [int(s) for s in values]
  except ValueError:
    sys.exit(f'error: --seeds must be integers, got {",".join(values)}')
  if not seeds:
    sys.exit('error: --seeds names no seed; give e.g. --seeds=0,1,2')
  if len(set(seeds)) != len(seeds):
    sys.exit(f'error: --seeds names a seed twice ({",".join(values)}); each seed is one run')
  return seeds


def main(argv):
  del argv
  population.use_every_cpu_core()  # the members spread over the cores
  console.show_progress()
  config = _CONFIG.value
  seeds = seeds_of(_SEEDS.value)
  configs = []
  for seed in seeds:
    member = config.copy_and_resolve_references()
    member.seed = seed
    configs.append(member)
  with console.errors_as_one_line():
    workdir = _WORKDIR.value or os.path.join('runs', kind_of(config).run_name(config))
    with StopRequests() as stop:
      results = train_population(configs, [os.path.join(workdir, f'seed={s}') for s in seeds],
                                 stop)
  for r in results:
    print(f'seed {r.seed}: catch rate {r.final_catch_rate:.3f} after {r.environment_steps:,} '
          'environment steps')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
