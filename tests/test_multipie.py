"""Multi-PIE as a task for a user's own copy, on synthetic faces that the test draws."""

import os

import numpy as np
import pytest
from matplotlib import image as mpimg

from configs import multipie as multipie_config
from fwrnn.engine import loop as train
from fwrnn.errors import ConfigError, DataError
from fwrnn.tasks import multipie


def face(expression: int, rng) -> np.ndarray:
  """A 48×48 grey face: head, eyes, and a mouth whose shape says the expression."""
  rows, cols = np.mgrid[0:48, 0:48]
  image = np.where(((rows - 24) / 21) ** 2 + ((cols - 24) / 17) ** 2 < 1, 120, 20)
  eye_height = 1 if expression == 3 else 3  # squint: narrow eyes
  for centre in (17, 31):
    image[16:16 + eye_height, centre - 2:centre + 3] = 250
  mouth_top, mouth_height, left = 33 + expression % 3, 2 + 2 * (expression // 3), 18 + expression
  image[mouth_top:mouth_top + mouth_height, left:left + 12 - expression] = 250
  noise = rng.integers(-10, 10, image.shape)
  return np.clip(image + noise, 0, 255).astype(np.uint8)


@pytest.fixture()
def faces_dir(tmp_path):
  rng = np.random.default_rng(0)
  for split, count in (('train', 20), ('valid', 4), ('test', 4)):
    for label, expression in enumerate(multipie.EXPRESSIONS):
      folder = tmp_path / split / expression
      os.makedirs(folder)
      for i in range(count):
        mpimg.imsave(folder / f'{i}.png', face(label, rng), cmap='gray', vmin=0, vmax=255)
  return tmp_path


def tiny_config(directory):
  config = multipie_config.get_config('tiny')
  config.data.dir = str(directory)
  return config


def test_the_faces_load_with_their_expressions(faces_dir):
  splits = multipie.load_splits(tiny_config(faces_dir))
  assert splits.train.x.shape == (120, 48, 48) and splits.train.x.dtype == np.uint8
  assert np.bincount(splits.test.y).tolist() == [4] * 6
  np.testing.assert_allclose(splits.valid.x[0].astype(int), face(0, np.random.default_rng(0)),
                             atol=30)


@pytest.mark.parametrize('fault, message', [
    ('no valid split', 'valid does not exist'),
    ('unknown folder', "'happy', which is not an expression folder"),
    ('wrong size', 'images must be N×48×48'),
    ('not an image', 'is not a .png or .npy image'),
])
def test_a_bad_layout_names_the_problem(faces_dir, fault, message):
  if fault == 'no valid split':
    os.rename(faces_dir / 'valid', faces_dir / 'validation')
  elif fault == 'unknown folder':
    os.makedirs(faces_dir / 'train' / 'happy')
  elif fault == 'wrong size':
    mpimg.imsave(faces_dir / 'test' / 'smile' / 'big.png', np.zeros((64, 64)), cmap='gray')
  else:
    (faces_dir / 'train' / 'scream' / 'notes.txt').write_text('x')
  with pytest.raises(DataError, match=message) as error:
    multipie.load_splits(tiny_config(faces_dir))
  assert '\n' not in str(error.value)


def test_a_missing_directory_says_the_data_are_not_shipped(tmp_path):
  with pytest.raises(DataError, match='licensed'):
    multipie.load_splits(tiny_config(tmp_path / 'nowhere'))


def test_a_tiny_run_trains_and_tests_on_the_faces(faces_dir, tmp_path):
  config = tiny_config(faces_dir)
  config.model.update(name='irnn', hidden_size=8)
  config.train.update(num_steps=20, eval_every=10, log_every=10, batch_size=20)
  results = train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert results.task == 'fwrnn.tasks.multipie' and results.steps == 20
  correct = results.test_accuracy * 24  # the 24 test faces, each scored once
  assert correct == pytest.approx(round(correct), abs=1e-4)


@pytest.mark.parametrize('batch_size', [9, 16])
def test_a_batch_larger_than_the_training_faces_is_one_clear_error(faces_dir, tmp_path, batch_size):
  for expression in multipie.EXPRESSIONS:  # one training face each: 6 in all
    for name in os.listdir(faces_dir / 'train' / expression)[1:]:
      os.remove(faces_dir / 'train' / expression / name)
  config = tiny_config(faces_dir)
  config.train.batch_size = batch_size
  with pytest.raises(ConfigError, match=f'train.batch_size must be at most the 6 training '
                                        f'examples of the data, got {batch_size}'):
    train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert not os.path.exists(tmp_path / 'run' / 'config.json')
