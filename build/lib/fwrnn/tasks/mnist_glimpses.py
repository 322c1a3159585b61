"""MNIST read as a fixed sequence of glimpses (Ba et al. 2016, Section 4.2) as a task of
fwrnn.tasks.

Data: the four standard MNIST files in data.dir (mnist_files.py), checked against their MD5
sums; 55,000 training and 5,000 validation images (drawn by data.seed from the 60,000), and
the 10,000 test images. Inputs enter a core as the glimpse sequence of glimpses.py, built on
the device from the uint8 images. A user's examples are an .npz with x (N×28×28, uint8 or
in [0, 1]) and, to score, y (N,); one example is a .npy or .png file of 28×28 pixels.
"""

import flax.linen as nn
import ml_collections
import numpy as np

from fwrnn.engine.config_checks import Boolean, Integer, OneOf, Text, integer
from fwrnn.errors import DataError
from fwrnn.tasks import Split, Splits, glimpses, image_examples, mnist_files

IMAGE_SIZE = 28
NUM_CLASSES = 10
NUM_TRAIN_AND_VALID = 60_000

TASK_RULES = {
    'data.dir': Text('the directory of the four MNIST files'),
    'data.download': Boolean(),
    'data.num_valid': Integer(1, NUM_TRAIN_AND_VALID - 1, 'taken from the 60,000 training images'),
    'data.seed': Integer(0),
    'data.layout': OneOf(glimpses.LAYOUTS),
    'data.glimpse_size': Integer(1, IMAGE_SIZE // 2, 'it tiles a quadrant of 14 pixels'),
}


def validate(config: ml_collections.ConfigDict) -> None:
  """ConfigError for a glimpse size that does not tile a quadrant, or a batch larger than
  the training split (TASK_RULES are checked before)."""
  glimpses.check_glimpse_size(config, IMAGE_SIZE)
  integer(config, 'train.batch_size', 1, NUM_TRAIN_AND_VALID - config.data.num_valid)


def load_splits(config: ml_collections.ConfigDict) -> Splits:
  """Training and validation images (fixed by data.seed) and the test images, uint8."""
  d = config.data
  if d.download:
    mnist_files.download(d.dir)
  files = mnist_files.load(d.dir)
  for split, (_, labels) in files.items():
    if labels.max() >= NUM_CLASSES:
      raise DataError(f'the MNIST {split} labels in {d.dir} hold {labels.max()}, not a digit')
  images, labels = files['train']
  order = np.random.default_rng(d.seed).permutation(len(labels))
  valid, train = order[:d.num_valid], order[d.num_valid:]
  as_split = lambda x, y: Split(x, y.astype(np.int32))
  return Splits(as_split(images[train], labels[train]), as_split(images[valid], labels[valid]),
                as_split(*files['test']))


def encoder(config: ml_collections.ConfigDict) -> nn.Module:
  return glimpses.GlimpseSequence(config.data.layout, IMAGE_SIZE, config.data.glimpse_size)


def num_classes(config: ml_collections.ConfigDict) -> int:
  del config
  return NUM_CLASSES


def run_name(config: ml_collections.ConfigDict) -> str:
  """<model>_r<hidden>_mnist_seed<seed>."""
  return f'{config.model.name}_r{config.model.hidden_size}_mnist_seed{config.seed}'


def parse_example(text: str) -> np.ndarray:
  """One image (28×28 uint8) from a .npy or .png file (grey or colour, averaged to grey)."""
  return image_examples.read_image(text, IMAGE_SIZE)


def read_examples(path: str) -> Split:
  """Images x (N×28×28) and, to score, labels y (N,) from an .npz file."""
  return Split(*image_examples.read_npz(path, IMAGE_SIZE, NUM_CLASSES))


def example_text(image: np.ndarray) -> str:
  """The image as text: its 28 rows, ink drawn with ' .:#'."""
  return image_examples.ascii_image(image)


def step_labels(config: ml_collections.ConfigDict, image: np.ndarray) -> list[str]:
  """The glimpse read at each step, e.g. 'coarse q1', 'fine q1 (0, 7)'."""
  del image
  return glimpses.step_labels(config, IMAGE_SIZE)
