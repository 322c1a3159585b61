r"""Uses a trained run.

    python scripts/evaluate.py --workdir=DIR --data=FILE          # accuracy on labelled data
    python scripts/evaluate.py --workdir=DIR --sequence=c9k8j3f1??c  # the predicted class

The run's task reads FILE and the example (its formats: the README, or the task module's
docstring).
"""

import sys

from absl import app, flags

from fwrnn import console
from fwrnn.errors import FwrnnError
from fwrnn.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'Run directory written by scripts/train.py.')
_DATA = flags.DEFINE_string('data', None, 'Labelled examples to score, in a format of the task.')
_SEQUENCE = flags.DEFINE_string('sequence', None, 'One example to answer, e.g. c9k8j3f1??c.')
flags.mark_flags_as_required(['workdir'])
flags.mark_flags_as_mutual_exclusive(['data', 'sequence'], required=True)


def main(argv):
  del argv
  console.show_progress()
  try:
    run = TrainedRun(_WORKDIR.value)
    if _SEQUENCE.value is not None:
      print(int(run.predict(run.task.parse_example(_SEQUENCE.value)[None])[0]))
    else:
      examples = run.task.read_examples(_DATA.value)
      accuracy = run.score(examples.x, examples.y)
      print(f'{len(examples.y)} examples  accuracy {100 * accuracy:.2f}%  '
            f'error {100 * (1 - accuracy):.2f}%')
  except FwrnnError as e:
    sys.exit(f'error: {e}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
