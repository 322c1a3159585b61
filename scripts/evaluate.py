r"""Uses a trained run.

    python scripts/evaluate.py --workdir=DIR --data=FILE          # accuracy on labelled data
    python scripts/evaluate.py --workdir=DIR --sequence=c9k8j3f1??c  # the predicted digit

FILE is text, one `c9k8j3f1??c 9` per line, or an .npz with integer arrays x (N×T) and y (N).
"""

import sys

from absl import app, flags, logging

from fwrnn import assoc_data, data_files
from fwrnn.errors import FwrnnError
from fwrnn.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'Run directory written by scripts/train.py.')
_DATA = flags.DEFINE_string('data', None, 'Labelled examples to score (.txt or .npz).')
_SEQUENCE = flags.DEFINE_string('sequence', None, 'One sequence to answer, e.g. c9k8j3f1??c.')
flags.mark_flags_as_required(['workdir'])
flags.mark_flags_as_mutual_exclusive(['data', 'sequence'], required=True)


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  try:
    if _SEQUENCE.value is not None:
      tokens = assoc_data.encode(_SEQUENCE.value)
      print(int(TrainedRun(_WORKDIR.value).predict(tokens[None])[0]))
    else:
      examples = data_files.read_examples(_DATA.value)
      accuracy = TrainedRun(_WORKDIR.value).score(examples.x, examples.y)
      print(f'{len(examples.y)} examples  accuracy {100 * accuracy:.2f}%  '
            f'error {100 * (1 - accuracy):.2f}%')
  except FwrnnError as e:
    sys.exit(f'error: {e}')


if __name__ == '__main__':
  app.run(main)
