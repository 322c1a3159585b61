"""Writing a file so that a kill leaves either its old content or its new, never a part."""

import os


def write_atomically(path: str, text: str) -> None:
  """Writes text to path through a temporary beside it, renamed over path at the end."""
  temporary = f'{path}.tmp'
  with open(temporary, 'w') as f:
    f.write(text)
  os.replace(temporary, path)
