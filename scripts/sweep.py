r"""Trains a sweep: `python scripts/sweep.py --config=configs/table1.py [--sweep_dir=DIR]`.

The sweep is the config file's get_sweep(), or --grid='seed=0,1,2 train.learning_rate=1e-3,3e-3'.
Members that differ only in seed, learning rate, λ or η train together as one population,
sharded over every device; on a CPU each core is made a device. Every member gets a run
directory under --sweep_dir and one row in <sweep_dir>/sweep.csv. Running the command
again resumes an interrupted sweep; --only='model.name=alstm seed=0,1' trains a part of it
(on another machine, or at another time) and still lists every finished member. On several
hosts, start the same command on each with --multihost and the JAX_COORDINATOR_ADDRESS,
JAX_NUM_PROCESSES and JAX_PROCESS_ID variables
set (or under SLURM, Open MPI or on a Cloud TPU, none of them); the members spread over every
host's devices, and the first host writes the logs and results.
"""

import os
import sys

from absl import app, flags
from ml_collections import config_flags

from fwrnn import console
from fwrnn.engine import population
from fwrnn.engine import sweep
from fwrnn.engine.interrupts import StopRequests

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Base config file of the sweep.')
_GRID = flags.DEFINE_string('grid', None, "Product grid, e.g. 'seed=0,1,2 model.fast_lr=0.25,0.5'; "
                            "default: the config file's get_sweep().")
_ONLY = flags.DEFINE_string('only', None, "Train only the members matching, e.g. "
                            "'model.name=alstm train.learning_rate=1e-3,3e-3' (the others wait).")
_SWEEP_DIR = flags.DEFINE_string('sweep_dir', None, 'Where the members go (default sweeps/<config>).')
_MULTIHOST = flags.DEFINE_bool('multihost', False, 'Join the other hosts (jax.distributed) first.')
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv
  with StopRequests() as stop:  # a signal from here on is one line, never a traceback
    _sweep(stop)


def _sweep(stop: StopRequests) -> None:
  """Trains the sweep of the flags."""
  population.use_every_cpu_core()
  if _MULTIHOST.value:
    population.join_hosts()
  console.show_progress()
  config_arg = config_flags.get_config_filename(flags.FLAGS['config'])  # path.py[:variant]
  config_path = config_arg.partition(':')[0]
  with console.errors_as_one_line():
    members = (sweep.parse_grid(_GRID.value) if _GRID.value
               else sweep.load_config_sweep(config_arg))
    if members is None:
      sys.exit(f'error: {config_path} defines no get_sweep(); give --grid')
    name = os.path.splitext(os.path.basename(config_path))[0]
    sweep_dir = _SWEEP_DIR.value or os.path.join('sweeps', name)
    only = sweep.parse_grid(_ONLY.value) if _ONLY.value else None
    rows = sweep.run_sweep(_CONFIG.value, members, sweep_dir, only, stop)
  if population.writes_files():
    print(f'{len(rows)} members; table in {os.path.join(sweep_dir, sweep.SWEEP_CSV)}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
