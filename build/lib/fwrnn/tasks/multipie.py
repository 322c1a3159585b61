"""Facial expressions of CMU Multi-PIE (Ba et al. 2016, Section 4.3) read as glimpses, as a
task of fwrnn.tasks, for a user's own copy of the licensed data.

Expected layout: data.dir holds train/, valid/ and test/, each with one folder per
expression (EXPRESSIONS), each holding 48×48 grey-scale PNG (or .npy) faces, cropped and
aligned. Split by subject, so that no person is in two splits. The images enter a core as the
same glimpse sequence as MNIST's (glimpses.py), with 12×12 glimpses of the 24×24 quadrants by
default. Any file that is not such an image stops the load with one line naming it.
"""

import os

import flax.linen as nn
import ml_collections
import numpy as np

from fwrnn.engine.config_checks import Integer, OneOf, Text
from fwrnn.errors import DataError
from fwrnn.tasks import Split, Splits, glimpses, image_examples

IMAGE_SIZE = 48
EXPRESSIONS = ('neutral', 'smile', 'surprise', 'squint', 'disgust', 'scream')
SPLITS = ('train', 'valid', 'test')
IMAGE_SUFFIXES = ('.png', '.npy')

TASK_RULES = {
    'data.dir': Text('the directory of train/, valid/ and test/'),
    'data.layout': OneOf(glimpses.LAYOUTS),
    'data.glimpse_size': Integer(1, IMAGE_SIZE // 2, 'it tiles a quadrant of 24 pixels'),
}


def validate(config: ml_collections.ConfigDict) -> None:
  """ConfigError for a glimpse size that does not tile a quadrant."""
  glimpses.check_glimpse_size(config, IMAGE_SIZE)


def read_split(folder: str) -> Split:
  """The faces of one split folder and their expressions (the index in EXPRESSIONS)."""
  if not os.path.isdir(folder):
    raise DataError(f'{folder} does not exist; the Multi-PIE directory needs '
                    f'{", ".join(SPLITS)} folders, each with one folder per expression '
                    f'({", ".join(EXPRESSIONS)})')
  unknown = sorted(set(os.listdir(folder)) - set(EXPRESSIONS))
  if unknown:
    raise DataError(f'{folder} holds {unknown[0]!r}, which is not an expression folder '
                    f'({", ".join(EXPRESSIONS)})')
  images, labels = [], []
  for label, expression in enumerate(EXPRESSIONS):
    directory = os.path.join(folder, expression)
    names = sorted(os.listdir(directory)) if os.path.isdir(directory) else []
    for name in names:
      path = os.path.join(directory, name)
      if not name.endswith(IMAGE_SUFFIXES):
        raise DataError(f'{path} is not a .png or .npy image')
      images.append(image_examples.read_image(path, IMAGE_SIZE))
      labels.append(label)
  if not images:
    raise DataError(f'{folder} holds no faces')
  return Split(np.stack(images), np.asarray(labels, np.int32))


def load_splits(config: ml_collections.ConfigDict) -> Splits:
  """The user's train, valid and test faces, uint8."""
  if not os.path.isdir(config.data.dir):
    raise DataError(f'the Multi-PIE directory {config.data.dir} does not exist; the data are '
                    'licensed (CMU) and not shipped: see the README for the layout it expects')
  return Splits(*(read_split(os.path.join(config.data.dir, s)) for s in SPLITS))


def encoder(config: ml_collections.ConfigDict) -> nn.Module:
  return glimpses.GlimpseSequence(config.data.layout, IMAGE_SIZE, config.data.glimpse_size)


def num_classes(config: ml_collections.ConfigDict) -> int:
  del config
  return len(EXPRESSIONS)


def run_name(config: ml_collections.ConfigDict) -> str:
  """<model>_r<hidden>_multipie_seed<seed>."""
  return f'{config.model.name}_r{config.model.hidden_size}_multipie_seed{config.seed}'


def parse_example(text: str) -> np.ndarray:
  """One face (48×48 uint8) from a .npy or .png file."""
  return image_examples.read_image(text, IMAGE_SIZE)


def read_examples(path: str) -> Split:
  """Faces x (N×48×48) and, to score, expressions y (N,) from an .npz file."""
  return Split(*image_examples.read_npz(path, IMAGE_SIZE, len(EXPRESSIONS)))


def example_text(image: np.ndarray) -> str:
  """The face as text, one line per row."""
  return image_examples.ascii_image(image)


def step_labels(config: ml_collections.ConfigDict, image: np.ndarray) -> list[str]:
  """The glimpse read at each step."""
  del image
  return glimpses.step_labels(config, IMAGE_SIZE)
