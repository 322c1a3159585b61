r"""Trains one run: `python scripts/train.py --config=configs/assoc_recall.py [--workdir=DIR]`.

Any kind of run its config names: a supervised task (configs/assoc_recall.py, table2.py, …)
or an agent on Catch (configs/catch.py). Running the same command again resumes from the
newest checkpoint in the workdir.
"""

import os

from absl import app, flags
from ml_collections import config_flags

from fwrnn import console
from fwrnn.engine import population
from fwrnn.engine.interrupts import StopRequests
from fwrnn.engine.kind import kind_of
from fwrnn.engine.loop import train_and_evaluate

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Experiment config file.')
_WORKDIR = flags.DEFINE_string('workdir', None, "Run directory (default: runs/<the task's run name>).")
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv
  with StopRequests() as stop:  # a signal from here on is one line, never a traceback
    population.use_every_cpu_core()  # on a CPU the batch splits over the cores
    console.show_progress()
    config = _CONFIG.value
    with console.errors_as_one_line():
      workdir = _WORKDIR.value or os.path.join('runs', kind_of(config).run_name(config))
      train_and_evaluate(config, workdir, stop)


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
