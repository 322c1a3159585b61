r"""Trains one run: `python scripts/train.py --config=configs/assoc_recall.py [--workdir=DIR]`.

Running the same command again resumes from the newest checkpoint in the workdir.
"""

import sys

from fwrnn import host_devices

host_devices.split_cpu_into_cores()  # before JAX starts: on a CPU, the batch splits over cores

from absl import app, flags, logging  # noqa: E402
from ml_collections import config_flags  # noqa: E402

from fwrnn import run_dir  # noqa: E402
from fwrnn.errors import FwrnnError  # noqa: E402
from fwrnn.train import train_and_evaluate  # noqa: E402

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Experiment config file.')
_WORKDIR = flags.DEFINE_string('workdir', None, 'Run directory (default: runs/<model>_r<R>_k<K>_seed<S>).')
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  config = _CONFIG.value
  try:
    train_and_evaluate(config, _WORKDIR.value or run_dir.default_workdir(config))
  except FwrnnError as e:
    sys.exit(f'error: {e}')


if __name__ == '__main__':
  app.run(main)
