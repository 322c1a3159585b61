r"""Writes MQAR examples in Zoology's layout, e.g. a test slice longer than a run trained on:

    python scripts/make_mqar.py --length=256 --num_pairs=16 --out=slice_256.npz
    python scripts/evaluate.py --workdir=DIR --data=slice_256.npz

The .npz holds x (N×L token ids) and y (N×L labels, −100 where there is none), drawn as
fwrnn/tasks/mqar_sequences.py draws a run's splits; give a --seed other than the run's
data.seed so that none of them is one of its training sequences.
"""

import os

import numpy as np
from absl import app, flags

from fwrnn import console
from fwrnn.errors import DataError
from fwrnn.tasks import mqar_sequences

_LENGTH = flags.DEFINE_integer('length', 128, 'L, tokens per sequence (even).')
_PAIRS = flags.DEFINE_integer('num_pairs', 8, 'kv, key-value pairs per sequence.')
_VOCAB = flags.DEFINE_integer('vocab_size', 8_192, 'V, as the run was trained with.')
_EXAMPLES = flags.DEFINE_integer('num_examples', 1_000, 'N, sequences to write.')
_POWER = flags.DEFINE_float('power_a', 0.01, "Zoology's power law of the queries' gaps.")
_SEED = flags.DEFINE_integer('seed', 1_000, 'Seed of the draw.')
_OUT = flags.DEFINE_string('out', None, 'The .npz file to write (never replaced).')
flags.mark_flags_as_required(['out'])


def main(argv):
  del argv
  with console.errors_as_one_line():
    if not _OUT.value.endswith('.npz'):
      raise DataError(f'--out must name an .npz file; got {_OUT.value}')
    if os.path.exists(_OUT.value):
      raise DataError(f'{_OUT.value} exists; choose another --out')
    x, y = mqar_sequences.sample(np.random.default_rng(_SEED.value), _EXAMPLES.value,
                                 _LENGTH.value, _PAIRS.value, _VOCAB.value, _POWER.value)
    np.savez(_OUT.value, x=x, y=y)
  print(f'wrote {_EXAMPLES.value} sequences of {_LENGTH.value} tokens ({_PAIRS.value} pairs) '
        f'to {_OUT.value}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
