"""The four standard MNIST files: read (gzipped or not), checked against their published MD5
sums, and fetched from the standard mirrors where there is network.

A missing, truncated or altered file is a DataError naming the file, the directory searched
and where to get it; nothing is read from a file that fails its check.
"""

import gzip
import hashlib
import os
import shutil
import urllib.error
import urllib.request

import numpy as np

from fwrnn.errors import DataError

# name: (MD5 of the .gz file as published, MD5 of the decompressed file, IDX shape).
# The second sums were computed from the genuine .gz files.
FILES = {
    'train-images-idx3-ubyte': ('f68b3c2dcbeaaa9fbdd348bbdeb94873',
                                '6bbc9ace898e44ae57da46a324031adb', (60_000, 28, 28)),
    'train-labels-idx1-ubyte': ('d53e105ee54ea40749a09fcbcd1e9432',
                                'a25bea736e30d166cdddb491f175f624', (60_000,)),
    't10k-images-idx3-ubyte': ('9fb629c4189551a2d022fa330f9573f3',
                               '2646ac647ad5339dbf082846283269ea', (10_000, 28, 28)),
    't10k-labels-idx1-ubyte': ('ec29112dd5afa0611ce80d1b7f02629c',
                               '27ae3e4e09519cfbb04c329615203637', (10_000,)),
}
MIRRORS = ('https://ossci-datasets.s3.amazonaws.com/mnist/',
           'https://storage.googleapis.com/cvdf-datasets/mnist/')
WHERE_TO_GET = ('get the four files from an MNIST mirror (e.g. ' + MIRRORS[0] + ') or set '
                'data.download=True')
_IDX_TYPE_UBYTE = 0x08


def md5(path: str) -> str:
  """The MD5 sum of a file, in hex."""
  digest = hashlib.md5()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def find(directory: str, name: str, sums: dict = None) -> str:
  """The path of name (or name.gz) in directory, checked against its MD5 sum; DataError if it
  is missing or its sum differs. sums overrides FILES' for tests: {name: (gz, raw)}."""
  gz_sum, raw_sum = (sums or FILES)[name][:2]
  for path, expected in ((os.path.join(directory, name + '.gz'), gz_sum),
                         (os.path.join(directory, name), raw_sum)):
    if os.path.exists(path):
      if md5(path) != expected:
        raise DataError(f'{path} is damaged or not the MNIST file (MD5 {md5(path)}, expected '
                        f'{expected}); replace it: {WHERE_TO_GET}')
      return path
  raise DataError(f'MNIST file {name}(.gz) is missing from {os.path.abspath(directory)}; '
                  f'{WHERE_TO_GET}')


def read_idx(path: str, shape: tuple) -> np.ndarray:
  """The uint8 array of an IDX file (gzipped or not) of the given shape; DataError if its
  header or length says otherwise."""
  opener = gzip.open if path.endswith('.gz') else open
  try:
    with opener(path, 'rb') as f:
      data = f.read()
  except (OSError, EOFError) as e:
    raise DataError(f'{path} cannot be read: {e}') from None
  ndim = len(shape)
  header = 4 + 4 * ndim
  if len(data) < header or data[:3] != b'\0\0' + bytes([_IDX_TYPE_UBYTE]) or data[3] != ndim:
    raise DataError(f'{path} is not an IDX file of unsigned bytes with {ndim} dimension(s)')
  dims = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
  if dims != tuple(shape) or len(data) != header + int(np.prod(shape)):
    raise DataError(f'{path} holds {dims} ({len(data) - header} bytes of data), expected '
                    f'{tuple(shape)}: the file is truncated or not the expected one')
  return np.frombuffer(data, np.uint8, offset=header).reshape(shape)


def download(directory: str, mirrors: tuple = MIRRORS, sums: dict = None) -> None:
  """Fetches every missing .gz file into directory from the first mirror that serves it,
  checked before it takes its name; DataError if no mirror does."""
  os.makedirs(directory, exist_ok=True)
  for name, (gz_sum, raw_sum, _) in (sums or FILES).items():
    target = os.path.join(directory, name + '.gz')
    if os.path.exists(target) or os.path.exists(os.path.join(directory, name)):
      continue
    failures = []
    for mirror in mirrors:
      partial = target + '.part'
      try:
        with urllib.request.urlopen(mirror + name + '.gz', timeout=60) as response, \
            open(partial, 'wb') as out:
          shutil.copyfileobj(response, out)
      except (urllib.error.URLError, OSError) as e:
        failures.append(f'{mirror}: {getattr(e, "reason", e)}')
        continue
      if md5(partial) == gz_sum:
        os.replace(partial, target)
        break
      os.remove(partial)
      failures.append(f'{mirror}: the file served has the wrong MD5 sum')
    else:
      raise DataError(f'cannot download {name}.gz into {directory}: ' + '; '.join(failures))


def load(directory: str, sums: dict = None) -> dict:
  """{'train': (images N×28×28 uint8, labels N), 'test': (…)} from directory, every file
  checked (sums overrides FILES' MD5 sums and shapes, for tests)."""
  files = sums or FILES
  arrays = {name: read_idx(find(directory, name, files), files[name][2]) for name in files}
  return {split: (arrays[f'{prefix}-images-idx3-ubyte'], arrays[f'{prefix}-labels-idx1-ubyte'])
          for split, prefix in (('train', 'train'), ('test', 't10k'))}
