r"""Draws what the fast memory reads at the query of one sequence, for a trained run.

    python scripts/memory_picture.py --workdir=runs/fast_weights_r50_k4_seed0 \
        --sequence=c9k8j3f1??c --out=results/memory_r50.png
"""

import sys

from absl import app, flags, logging

from fwrnn import memory_picture
from fwrnn.errors import FwrnnError
from fwrnn.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained fast_weights run.')
_SEQUENCE = flags.DEFINE_string('sequence', 'c9k8j3f1??c', 'Query sequence, as in the data.')
_OUT = flags.DEFINE_string('out', 'memory.png', 'PNG to write.')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  try:
    answer = memory_picture.draw(TrainedRun(_WORKDIR.value), _SEQUENCE.value, _OUT.value)
  except (FwrnnError, ValueError) as e:
    sys.exit(f'error: {e}')
  print(f'{_SEQUENCE.value} -> {answer}; picture in {_OUT.value}')


if __name__ == '__main__':
  app.run(main)
