r"""How many key–value pairs each fast-weight memory gives back, untrained (the MQAR "why").

    python scripts/recall_capacity.py --out_dir=results/mqar

Writes recall_capacity.md (the table) and recall_capacity.png in --out_dir; never replaces
them unless --overwrite is given. See fwrnn/report/recall_capacity.py for the memories.
"""

import os
import sys

from absl import app, flags

from fwrnn import console
from fwrnn.engine.state import machine_name
from fwrnn.report import recall_capacity
from fwrnn.report.common import refusal_to_replace

_OUT_DIR = flags.DEFINE_string('out_dir', 'results/mqar', 'Where the files go.')
_DIM = flags.DEFINE_integer('dim', 32, 'Numbers in a key and a value (a head of the width-64 '
                            'MQAR models).')
_PAIRS = flags.DEFINE_list('pairs', ['1', '2', '4', '8', '16', '32', '64'], 'Values of kv.')
_GAPS = flags.DEFINE_list('gaps', ['0', '64'], 'Other pairs written between the kv pairs and '
                          'the reads (MQAR writes every token).')
_TRIALS = flags.DEFINE_integer('trials', 256, 'Random sequences for each memory and kv.')
_SEED = flags.DEFINE_integer('seed', 0, 'Seeds the keys and values.')
_OVERWRITE = flags.DEFINE_bool('overwrite', False, 'Replace files that are already there.')


def main(argv):
  del argv
  console.show_progress()
  try:
    pairs, gaps = (tuple(int(n) for n in flag.value) for flag in (_PAIRS, _GAPS))
  except ValueError:
    sys.exit('error: --pairs and --gaps must be whole numbers')
  if (not pairs or not gaps or min(pairs) < 1 or min(gaps) < 0 or _DIM.value < 1
      or _TRIALS.value < 1):
    sys.exit('error: --pairs, --dim and --trials must be at least 1, --gaps at least 0')
  paths = [os.path.join(_OUT_DIR.value, f'recall_capacity.{ext}') for ext in ('md', 'png')]
  refusal = refusal_to_replace(paths, _OVERWRITE.value)
  if refusal:
    sys.exit(refusal)
  table = recall_capacity.capacity_table(pairs, gaps, _DIM.value, _TRIALS.value, _SEED.value)
  command = ' '.join(['python scripts/recall_capacity.py', *sys.argv[1:]])
  header = (f'# What each fast-weight memory gives back, untrained\n\nFrom `{command}` on '
            f'{machine_name()}.')
  with console.errors_as_one_line():
    os.makedirs(_OUT_DIR.value, exist_ok=True)
    with open(paths[0], 'w') as f:
      f.write(recall_capacity.capacity_markdown(table, pairs, _DIM.value, _TRIALS.value, header))
    recall_capacity.plot_capacity(table, pairs, _DIM.value, paths[1])
  print(f'wrote {paths[0]} and {paths[1]}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
