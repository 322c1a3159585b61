r"""Trains one run: `python scripts/train.py --config=configs/assoc_recall.py [--workdir=DIR]`.

Running the same command again resumes from the newest checkpoint in the workdir.
"""

import sys

from absl import app, flags, logging
from ml_collections import config_flags

from fwrnn import run_dir
from fwrnn.errors import FwrnnError
from fwrnn.train import train_and_evaluate

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
