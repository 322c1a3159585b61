r"""Trains actor-critic agents on Catch: `python scripts/train_catch.py --config=configs/catch.py`.

--seeds=0,1,2 trains those seeds as one population, each in <workdir>/seed=<seed>. Running the
same command again resumes from the newest checkpoint.
"""

import os
import sys

from absl import app, flags
from ml_collections import config_flags

from fwrnn import console
from fwrnn.engine import population
from fwrnn.errors import FwrnnError
from fwrnn.tasks import catch as train_catch

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Catch config file.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Directory of the runs (default: runs/catch_<model>_n<N>_m<M>).')
_SEEDS = flags.DEFINE_list('seeds', ['0'], 'Seeds trained together as one population.')
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv
  population.use_every_cpu_core()  # the members spread over the cores
  console.show_progress()
  config = _CONFIG.value
  default = f'runs/catch_{config.model.name}_n{config.env.size}_m{config.env.visible_frames}'
  workdir = _WORKDIR.value or default
  try:
    seeds = [int(s) for s in _SEEDS.value]
  except ValueError:
    sys.exit(f'error: --seeds must be integers, got {",".join(_SEEDS.value)}')
  configs = []
  for seed in seeds:
    member = config.copy_and_resolve_references()
    member.seed = seed
    configs.append(member)
  try:
    results = train_catch.train_population(configs, [os.path.join(workdir, f'seed={s}')
                                                     for s in seeds])
  except FwrnnError as e:
    sys.exit(f'error: {e}')
  for r in results:
    print(f'seed {r.seed}: catch rate {r.final_catch_rate:.3f} after {r.environment_steps:,} '
          'environment steps')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
