r"""Draws what the fast memory reads, for a trained fast-weights run and one example.

    python scripts/memory_picture.py --workdir=runs/fast_weights_r50_k4_seed0 \
        --sequence=c9k8j3f1??c --out=results/table1/memory_r50.png
    python scripts/memory_picture.py --workdir=runs/fast_weights_r100_mnist_seed0 \
        --test_index=0 --every_step --out=results/table2/memory_mnist.png

--sequence is an example in the task's text form (a sequence, or an image file for the
glimpse tasks); --test_index takes one from the run's test split instead. By default the
picture is the last step's reading; --every_step draws every step's.
"""

import sys

from absl import app, flags

from fwrnn import console
from fwrnn.report import memory_picture
from fwrnn.errors import FwrnnError
from fwrnn.engine.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'A trained fast_weights run.')
_SEQUENCE = flags.DEFINE_string('sequence', 'c9k8j3f1??c', "An example in the task's text form.")
_TEST_INDEX = flags.DEFINE_integer('test_index', None, 'Use this example of the test split.')
_EVERY_STEP = flags.DEFINE_bool('every_step', False, "Draw every step's reading, not the last.")
_OUT = flags.DEFINE_string('out', 'memory.png', 'PNG to write.')
flags.mark_flags_as_required(['workdir'])


def main(argv):
  del argv
  console.show_progress()
  try:
    run = TrainedRun(_WORKDIR.value)
    if _TEST_INDEX.value is None:
      x, caption = run.task.parse_example(_SEQUENCE.value), _SEQUENCE.value
    else:
      test = run.task.load_splits(run.config).test
      if not 0 <= _TEST_INDEX.value < len(test.y):
        raise FwrnnError(f'--test_index must be in 0..{len(test.y) - 1}, got {_TEST_INDEX.value}')
      x = test.x[_TEST_INDEX.value]
      caption = f'test example {_TEST_INDEX.value} (label {test.y[_TEST_INDEX.value]})'
    draw = memory_picture.draw_every_step if _EVERY_STEP.value else memory_picture.draw
    answer = draw(run, x, caption, _OUT.value)
  except (FwrnnError, ValueError) as e:
    sys.exit(f'error: {e}')
  print(f'{caption} -> {answer}; picture in {_OUT.value}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
