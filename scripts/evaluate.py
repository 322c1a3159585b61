r"""Uses a trained run: answers examples, with the model's probability, and scores labels.

    python scripts/evaluate.py --workdir=DIR --sequence='c9k8j3f1??c'     # one answer
    python scripts/evaluate.py --workdir=DIR --data=FILE                   # accuracy, if labelled
    python scripts/evaluate.py --workdir=DIR --data=FILE --per_example     # every answer too

The run's task reads FILE and the example; for associative retrieval FILE is text, one
sequence per line with an optional label (`c9k8j3f1??c` or `c9k8j3f1??c 9`), or an .npz with
an integer array x (N×T) and optionally y (N). For MQAR FILE is an .npz of x and y (N×L, −100
where there is no label; Zoology's layout) and a sequence is token ids separated by spaces.
Unlabelled files are answered, not scored.
"""


import numpy as np
from absl import app, flags

from fwrnn import console, tasks
from fwrnn.engine.inference import TrainedRun

_WORKDIR = flags.DEFINE_string('workdir', None, 'Run directory written by scripts/train.py.')
_DATA = flags.DEFINE_string('data', None, 'Examples to answer and, where labelled, score.')
_SEQUENCE = flags.DEFINE_string('sequence', None, 'One example to answer, e.g. c9k8j3f1??c.')
_PER_EXAMPLE = flags.DEFINE_bool('per_example', False, 'With --data: a line per example.')
flags.mark_flags_as_required(['workdir'])
flags.mark_flags_as_mutual_exclusive(['data', 'sequence'], required=True)


def answer_lines(run: TrainedRun, x, y=None) -> list[str]:
  """'<example> -> <class> (probability p)[, label l: right|wrong]' for each example; for a
  task with labels per position, '<example> -> k of K queried values right', or without
  labels the predicted next token at every position."""
  if getattr(run.task, 'LABELS_PER_POSITION', False):
    return _position_lines(run, x, y)
  probabilities = run.probabilities(x)
  lines = []
  for i, p in enumerate(probabilities):
    line = f'{run.task.example_text(x[i])} -> {int(np.argmax(p))} (probability {p.max():.3f})'
    if y is not None:
      line += f', label {int(y[i])}: {"right" if np.argmax(p) == y[i] else "wrong"}'
    lines.append(line)
  return lines


def _position_lines(run: TrainedRun, x, y=None) -> list[str]:
  if y is None:
    every = np.broadcast_to(np.arange(x.shape[1]), x.shape)
    predicted = run.logits(x, every).argmax(-1)
    return [f'{run.task.example_text(x[i])} -> next tokens {run.task.example_text(predicted[i])}'
            for i in range(len(x))]
  predicted = run.logits(x, y[..., 0]).argmax(-1)
  labelled = y[..., 1] != tasks.IGNORE
  right = ((predicted == y[..., 1]) & labelled).sum(1)
  return [f'{run.task.example_text(x[i])} -> {right[i]} of {labelled[i].sum()} queried values right'
          for i in range(len(x))]


def main(argv):
  del argv
  console.show_progress()
  with console.errors_as_one_line():
    run = TrainedRun(_WORKDIR.value)
    if _SEQUENCE.value is not None:
      print(answer_lines(run, run.task.parse_example(_SEQUENCE.value)[None])[0])
      return
    examples = run.task.read_examples(_DATA.value)
    if _PER_EXAMPLE.value or examples.y is None:
      print('\n'.join(answer_lines(run, examples.x, examples.y)))
    if examples.y is not None:
      accuracy = run.score(examples.x, examples.y)
      print(f'{len(examples.x)} examples  accuracy {100 * accuracy:.2f}%  '
            f'error {100 * (1 - accuracy):.2f}%')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
