r"""Draws the glimpse sequence of one test image, as the model reads it.

    python scripts/glimpse_picture.py --config=configs/mnist_glimpses.py \
        --config.data.dir=PATH --index=0 --out=results/table2/mnist_glimpses.png
"""


from absl import app, flags
from ml_collections import config_flags

from fwrnn import console, tasks
from fwrnn.engine import config_checks
from fwrnn.report import glimpse_picture
from fwrnn.errors import FwrnnError

_CONFIG = config_flags.DEFINE_config_file('config', None, 'A glimpse task config.')
_INDEX = flags.DEFINE_integer('index', 0, 'Which test image.')
_OUT = flags.DEFINE_string('out', 'glimpses.png', 'PNG to write.')
flags.mark_flags_as_required(['config'])


def main(argv):
  del argv
  config = _CONFIG.value
  with console.errors_as_one_line():
    task = tasks.load(config.task)
    config_checks.validate(config, task)
    if not hasattr(config.data, 'layout'):
      raise FwrnnError(f'task {config.task} does not read glimpses')
    test = task.load_splits(config).test
    if not 0 <= _INDEX.value < len(test.y):
      raise FwrnnError(f'--index must be in 0..{len(test.y) - 1}, got {_INDEX.value}')
  title = f'test image {_INDEX.value} (label {test.y[_INDEX.value]})'
  glimpse_picture.draw(test.x[_INDEX.value], config.data.layout, config.data.glimpse_size,
                       _OUT.value, title)
  print(f'picture in {_OUT.value}')


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
