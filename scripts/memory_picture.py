r"""Draws what the fast memory reads at the last step of one example, for a trained run.

    python scripts/memory_picture.py --workdir=runs/fast_weights_r50_k4_seed0 \
        --sequence=c9k8j3f1??c --out=results/memory_r50.png
"""

import sys

from absl import app, flags

from fwrnn import console, memory_picture
from fwrnn.errors import FwrnnError
from fwrnn.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained fast_weights run.')
_SEQUENCE = flags.DEFINE_string('sequence', 'c9k8j3f1??c', "An example in the task's text form.")
_OUT = flags.DEFINE_string('out', 'memory.png', 'PNG to write.')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  console.show_progress()
  try:
    answer = memory_picture.draw(TrainedRun(_WORKDIR.value), _SEQUENCE.value, _OUT.value)
  except (FwrnnError, ValueError) as e:
    sys.exit(f'error: {e}')
  print(f'{_SEQUENCE.value} -> {answer}; picture in {_OUT.value}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
