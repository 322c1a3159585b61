"""MNIST glimpses: the files (checked, read, fetched), the splits, the glimpse sequence, and a
tiny end-to-end run on small IDX files that the tests write themselves."""

import functools
import gzip
import hashlib
import http.server
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from configs import assoc_recall, mnist_glimpses as mnist_config
from fwrnn import tasks
from fwrnn.engine import config_checks
from fwrnn.engine import loop as train
from fwrnn.errors import ConfigError, DataError
from fwrnn.tasks import glimpses, mnist_files, mnist_glimpses

# The genuine files, where the machine has them (.ci/run sets FWRNN_MNIST_DIR).
REAL_DIR = os.environ.get('FWRNN_MNIST_DIR', os.path.join('..', 'shared', 'data', 'mnist'))
SIZES = {'train': 300, 't10k': 60}


def idx_bytes(array: np.ndarray) -> bytes:
  header = bytes([0, 0, 8, array.ndim]) + b''.join(d.to_bytes(4, 'big') for d in array.shape)
  return header + array.astype(np.uint8).tobytes()


def digit_images(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
  """Images whose label is the quadrant holding a bright square: learnable from glimpses."""
  rng = np.random.default_rng(seed)
  labels = rng.integers(0, 4, count)
  images = rng.integers(0, 40, (count, 28, 28)).astype(np.uint8)
  for image, label in zip(images, labels):
    top, left = 14 * (label // 2) + 3, 14 * (label % 2) + 3
    image[top:top + 8, left:left + 8] = 250
  return images, labels.astype(np.uint8)


@pytest.fixture()
def small_mnist(tmp_path, monkeypatch):
  """A directory of four small gzipped IDX files, and FILES' sums and shapes made theirs."""
  files = {}
  for prefix, count in SIZES.items():
    images, labels = digit_images(count, seed=len(prefix))
    for kind, array in (('images-idx3', images), ('labels-idx1', labels)):
      name, raw = f'{prefix}-{kind}-ubyte', idx_bytes(array)
      packed = gzip.compress(raw, mtime=0)
      (tmp_path / f'{name}.gz').write_bytes(packed)
      files[name] = (hashlib.md5(packed).hexdigest(), hashlib.md5(raw).hexdigest(), array.shape)
  monkeypatch.setattr(mnist_files, 'FILES', files)
  return tmp_path


def test_files_are_read_gzipped_or_not(small_mnist):
  gzipped = mnist_files.load(str(small_mnist))
  name = 't10k-images-idx3-ubyte'
  (small_mnist / name).write_bytes(gzip.decompress((small_mnist / f'{name}.gz').read_bytes()))
  os.remove(small_mnist / f'{name}.gz')
  plain = mnist_files.load(str(small_mnist))
  np.testing.assert_array_equal(gzipped['test'][0], plain['test'][0])
  assert gzipped['train'][0].shape == (300, 28, 28) and gzipped['test'][1].shape == (60,)


@pytest.mark.parametrize('fault', ['missing', 'truncated', 'corrupted'])
def test_a_bad_file_stops_with_one_line_naming_it(small_mnist, fault):
  path = small_mnist / 'train-labels-idx1-ubyte.gz'
  data = path.read_bytes()
  if fault == 'missing':
    os.remove(path)
  elif fault == 'truncated':
    path.write_bytes(data[:len(data) // 2])
  else:
    path.write_bytes(data[:20] + bytes([data[20] ^ 0xFF]) + data[21:])
  with pytest.raises(DataError) as error:
    mnist_files.load(str(small_mnist))
  message = str(error.value)
  assert 'train-labels-idx1-ubyte' in message and '\n' not in message
  assert ('missing from ' + str(small_mnist) if fault == 'missing' else 'MD5') in message
  assert 'mirror' in message  # where to get it


def test_an_idx_file_of_the_wrong_shape_is_refused(tmp_path):
  path = tmp_path / 'images'
  path.write_bytes(idx_bytes(np.zeros((5, 28, 28)))[:-10])
  with pytest.raises(DataError, match='truncated'):
    mnist_files.read_idx(str(path), (5, 28, 28))
  path.write_bytes(idx_bytes(np.zeros((5, 28))))
  with pytest.raises(DataError, match='2 dimension|3 dimension'):
    mnist_files.read_idx(str(path), (5, 28, 28))


@pytest.fixture()
def mirror(small_mnist, tmp_path_factory):
  """Two HTTP servers on loopback: one serving a wrong file for every name, one the files."""
  wrong = tmp_path_factory.mktemp('wrong')
  for name in mnist_files.FILES:
    (wrong / f'{name}.gz').write_bytes(b'not mnist')
  servers = []
  for folder in (wrong, small_mnist):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    servers.append(server)
  yield [f'http://127.0.0.1:{s.server_address[1]}/' for s in servers]
  for server in servers:
    server.shutdown()


def test_download_takes_the_first_mirror_that_serves_the_right_file(mirror, tmp_path):
  wrong, right = mirror
  target = tmp_path / 'fetched'
  with pytest.raises(DataError, match='wrong MD5'):
    mnist_files.download(str(target), mirrors=(wrong,))
  assert not [n for n in os.listdir(target) if n.endswith('.gz') or n.endswith('.part')]
  mnist_files.download(str(target), mirrors=(wrong, right))
  assert sorted(os.listdir(target)) == sorted(f'{n}.gz' for n in mnist_files.FILES)
  assert mnist_files.load(str(target))['train'][0].shape == (300, 28, 28)


def test_splits_are_disjoint_fixed_by_the_data_seed_and_keep_the_test_set(small_mnist):
  config = mnist_config.get_config('tiny')
  config.data.dir = str(small_mnist)
  splits = mnist_glimpses.load_splits(config)
  assert (len(splits.train.y), len(splits.valid.y), len(splits.test.y)) == (200, 100, 60)
  rows = lambda split: {x.tobytes() for x in split.x}
  assert not rows(splits.train) & rows(splits.valid)
  np.testing.assert_array_equal(mnist_glimpses.load_splits(config).valid.x, splits.valid.x)
  config.data.seed = 1
  assert rows(mnist_glimpses.load_splits(config).valid) != rows(splits.valid)


@pytest.mark.skipif(not os.path.isdir(REAL_DIR), reason='the genuine MNIST files are not here')
def test_the_real_files_pass_their_checks_and_split_55000_5000_10000():
  config = mnist_config.get_config()
  config.data.dir = REAL_DIR
  splits = mnist_glimpses.load_splits(config)
  assert [len(s.y) for s in splits] == [55_000, 5_000, 10_000]
  assert splits.train.x.shape[1:] == (28, 28) and set(np.unique(splits.test.y)) == set(range(10))


@pytest.mark.parametrize('name', glimpses.LAYOUTS)
def test_the_24_glimpses_see_every_pixel_once_at_each_scale(name):
  seq = glimpses.layout(name, 28, 7)
  assert len(seq) == 24
  coarse, fine = [g for g in seq if g.scale == 0], [g for g in seq if g.scale == 1]
  recalls = [g for g in seq if g.scale == glimpses.RECALL]
  assert len(coarse) + len(recalls) == 8 and len(set(coarse)) == 4
  assert len(fine) == 16 == len(set(fine))
  for regions in (set(coarse), fine):
    cover = np.zeros((28, 28), int)
    for g in regions:
      cover[g.top:g.top + g.side, g.left:g.left + g.side] += 1
    assert (cover == 1).all()
  if name.startswith('hierarchical'):  # per quadrant: coarse, its four patches, return to it
    return_scale = glimpses.RECALL if name == 'hierarchical_recall' else 0
    for q in range(4):
      block = seq[6 * q:6 * q + 6]
      assert block[0].scale == 0 and block[5] == block[0]._replace(scale=return_scale)
      assert all(g.scale == 1 and block[0].top <= g.top < block[0].top + 14 and
                 block[0].left <= g.left < block[0].left + 14 for g in block[1:5])


def test_a_glimpse_is_its_region_averaged_down_with_its_scale_and_centre():
  image = np.arange(28 * 28, dtype=np.float32).reshape(28, 28) / (28 * 28)
  encoder = glimpses.GlimpseSequence('hierarchical', 28, 7)
  seq = np.asarray(encoder.apply({}, image[None]).flat())[0]
  assert seq.shape == (24, 53)
  q2 = image[0:14, 14:28].reshape(7, 2, 7, 2).mean((1, 3))  # second quadrant, coarse
  np.testing.assert_allclose(seq[6, :49].reshape(7, 7), q2, rtol=1e-6)
  np.testing.assert_allclose(seq[6, 49:], [1, 0, 7 / 28, 21 / 28])
  np.testing.assert_allclose(seq[8, :49].reshape(7, 7), image[0:7, 21:28], rtol=1e-6)
  np.testing.assert_allclose(seq[8, 49:], [0, 1, 3.5 / 28, 24.5 / 28])
  uint8 = (image * 255).astype(np.uint8)
  np.testing.assert_allclose(encoder.apply({}, uint8[None]).flat()[0, 8, :49],
                             uint8[0:7, 21:28].ravel() / 255.0, rtol=1e-6)


def test_a_recall_step_shows_no_pixels_and_neither_scale_at_its_quadrants_centre():
  image = np.random.default_rng(0).uniform(0.1, 1, (28, 28)).astype(np.float32)
  read = lambda name: np.asarray(glimpses.GlimpseSequence(name, 28, 7)
                                 .apply({}, image[None]).flat())[0]
  recall, seen = read('hierarchical_recall'), read('hierarchical')
  returns = [6 * q + 5 for q in range(4)]
  np.testing.assert_array_equal(recall[returns, :51], 0)
  np.testing.assert_array_equal(recall[returns, 51:], seen[returns, 51:])
  assert (seen[returns, :49] > 0).all()
  others = [t for t in range(24) if t not in returns]
  np.testing.assert_array_equal(recall[others], seen[others])


def test_user_examples_are_read_from_npz_npy_and_png(tmp_path):
  images, labels = digit_images(3, seed=0)
  np.savez(tmp_path / 'some.npz', x=images, y=labels.astype(np.int64))
  split = mnist_glimpses.read_examples(str(tmp_path / 'some.npz'))
  np.testing.assert_array_equal(split.x, images)
  np.savez(tmp_path / 'floats.npz', x=images / 255.0)
  assert mnist_glimpses.read_examples(str(tmp_path / 'floats.npz')).y is None
  np.save(tmp_path / 'one.npy', images[0])
  np.testing.assert_array_equal(mnist_glimpses.parse_example(str(tmp_path / 'one.npy')), images[0])
  from matplotlib import image as mpimg
  mpimg.imsave(tmp_path / 'one.png', images[0], cmap='gray', vmin=0, vmax=255)
  assert np.abs(mnist_glimpses.parse_example(str(tmp_path / 'one.png')).astype(int)
                - images[0]).max() <= 1
  np.savez(tmp_path / 'bad.npz', x=np.zeros((2, 27, 28)))
  with pytest.raises(DataError, match='N×28×28'):
    mnist_glimpses.read_examples(str(tmp_path / 'bad.npz'))
  np.savez(tmp_path / 'label.npz', x=images, y=np.array([1, 2, 10]))
  with pytest.raises(DataError, match='class 0-9'):
    mnist_glimpses.read_examples(str(tmp_path / 'label.npz'))


@pytest.mark.parametrize('core', ['irnn', 'convnet'])
def test_a_tiny_run_on_glimpses_learns(small_mnist, tmp_path, core):
  config = mnist_config.get_config('tiny')
  config.data.dir = str(small_mnist)
  config.model.update(name=core, hidden_size=16)
  config.train.update(num_steps=100, eval_every=50, log_every=50, learning_rate=1e-2,
                      batch_size=20)
  results = train.train_and_evaluate(config, str(tmp_path / 'run'))
  assert results.task == 'fwrnn.tasks.mnist_glimpses'
  assert results.valid_error < 40  # 4 classes: chance is 75%


def test_a_missing_directory_is_one_line_from_the_script(tmp_path):
  out = subprocess.run([sys.executable, 'scripts/train.py', '--config=configs/mnist_glimpses.py:tiny',
                        f'--config.data.dir={tmp_path / "nowhere"}', f'--workdir={tmp_path / "run"}'],
                       capture_output=True, text=True, timeout=120)
  assert out.returncode != 0
  last = out.stderr.strip().splitlines()[-1]
  assert last.startswith('error: MNIST file ') and 'missing from' in last and 'nowhere' in last
  assert 'Traceback' not in out.stderr
  assert not os.listdir(tmp_path / 'run')  # checked before anything was written: the command
                                           # corrected with the right data.dir is not refused


def test_the_task_has_every_function_the_trainer_needs():
  assert tasks.load('fwrnn.tasks.mnist_glimpses') is mnist_glimpses


def test_the_convnet_core_is_refused_where_there_are_no_glimpses():
  config = assoc_recall.get_config('tiny')
  config.model.name = 'convnet'
  with pytest.raises(ConfigError, match='model.name must be a recurrent core'):
    config_checks.validate(config, tasks.load(config.task))


def test_the_glimpse_picture_script_checks_the_files_and_the_picture_draws(small_mnist, tmp_path):
  out = subprocess.run([sys.executable, 'scripts/glimpse_picture.py',
                        '--config=configs/mnist_glimpses.py:tiny', '--index=3',
                        f'--out={tmp_path / "g.png"}', f'--config.data.dir={small_mnist}'],
                       capture_output=True, text=True, timeout=120,
                       )
  assert out.returncode != 0 and 'MD5' in out.stderr.strip().splitlines()[-1]  # not the real files
  from fwrnn.report import glimpse_picture
  image = mnist_files.load(str(small_mnist))['test'][0][3]
  glimpse_picture.draw(image, 'hierarchical', 7, str(tmp_path / 'g.png'), 'test image 3')
  assert (tmp_path / 'g.png').read_bytes()[:4] == b'\x89PNG'


def test_a_glimpse_size_that_does_not_tile_a_quadrant_is_refused():
  config = mnist_config.get_config('tiny')
  config.data.glimpse_size = 5
  with pytest.raises(ConfigError, match='data.glimpse_size must be a divisor of 14'):
    config_checks.validate(config, tasks.load(config.task))
