"""A user's images for the glimpse tasks: one from a .npy or .png file, many from an .npz,
checked for their size, pixel range and labels."""

import os

import numpy as np

from fwrnn.errors import DataError


def checked_images(x: np.ndarray, size: int, where: str) -> np.ndarray:
  """uint8 images N×size×size from uint8 or [0, 1] floats; DataError naming where otherwise."""
  if x.ndim != 3 or x.shape[1:] != (size, size):
    raise DataError(f'{where}: images must be N×{size}×{size}, got {x.shape}')
  if x.dtype == np.uint8:
    return x
  if not np.issubdtype(x.dtype, np.floating) or not np.all((x >= 0) & (x <= 1)):
    raise DataError(f'{where}: pixels must be uint8, or floats in [0, 1]')
  return np.round(x * 255).astype(np.uint8)


def read_image(path: str, size: int) -> np.ndarray:
  """One grey image (size×size uint8) from a .npy or .png file (colour is averaged to grey)."""
  if not os.path.isfile(path):
    raise DataError(f'{path} is not a file; give a .npy or .png image of {size}×{size} pixels')
  if path.endswith('.png'):
    from matplotlib import image as mpimg
    try:
      pixels = mpimg.imread(path)
    except (OSError, ValueError, SyntaxError) as e:
      raise DataError(f'{path} is not a readable PNG: {e}') from None
    pixels = pixels[..., :3].mean(-1) if pixels.ndim == 3 else pixels
  else:
    try:
      pixels = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
      raise DataError(f'{path} is not a readable .npy file: {e}') from None
  return checked_images(np.asarray(pixels)[None], size, path)[0]


def read_npz(path: str, size: int, num_classes: int) -> tuple[np.ndarray, np.ndarray | None]:
  """Images x (N×size×size) and, if the file has them, labels y (N,) from an .npz file."""
  if not os.path.isfile(path):
    raise DataError(f'{path} is not a file; give an .npz with x (N×{size}×{size}) and, to '
                    'score, y')
  try:
    archive = np.load(path, allow_pickle=False)
  except (OSError, ValueError, EOFError) as e:
    raise DataError(f'{path} is not a readable .npz file: {e}') from None
  if not isinstance(archive, np.lib.npyio.NpzFile) or 'x' not in archive.files:
    raise DataError(f'{path} must be an .npz archive holding x (and y to score)')
  with archive:
    x = checked_images(archive['x'], size, path)
    y = archive['y'] if 'y' in archive.files else None
  if y is not None and (y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer)
                        or y.min() < 0 or y.max() >= num_classes):
    raise DataError(f'{path}: y must hold a class 0-{num_classes - 1} for each of the '
                    f'{len(x)} images')
  return x, None if y is None else y.astype(np.int32)


def ascii_image(image: np.ndarray) -> str:
  """The image as text, one line per row, ink drawn with ' .:#'."""
  shades = np.asarray(list(' .:#'))
  return '\n' + '\n'.join(''.join(shades[row // 64]) for row in np.asarray(image, np.uint8))
