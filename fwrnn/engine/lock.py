"""One process writes a run directory at a time: an exclusive lock held while it trains,
taken before it writes anything else there. Parts of one sweep (sweep.py --only) may train side
by side, each member locked by its own run; they take turns to write the sweep's table.

The lock is the operating system's (fcntl.flock on <dir>/.fwrnn.lock), so it ends with the
process that holds it, however that process ends: a killed run leaves no stale lock. The file
says who holds it (process id and host), for the refusal's one line.
"""

import fcntl
import os
import socket

from fwrnn.errors import RunError

LOCK_FILE = '.fwrnn.lock'


class DirectoryLock:
  """An exclusive lock on folder (created if missing); RunError naming the owner if another
  process holds it, or, with wait, once the other has given it up."""

  def __init__(self, folder: str, what: str = 'run directory', wait: bool = False):
    try:
      os.makedirs(folder, exist_ok=True)
      self._file = open(os.path.join(folder, LOCK_FILE), 'a+')
    except OSError as e:
      raise RunError(f'cannot write the {what} {folder}: {e.strerror}') from None
    try:
      fcntl.flock(self._file, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
      self._file.seek(0)
      owner = self._file.read().strip() or 'another process'
      self._file.close()
      raise RunError(f'{folder} is in use by {owner}: one process writes a {what} at a time; '
                     'wait for it to finish or stop it') from None
    self._file.seek(0)
    self._file.truncate()
    self._file.write(f'process {os.getpid()} on {socket.gethostname()}\n')
    self._file.flush()

  def release(self) -> None:
    """Gives the lock up (it is also given up when the process ends)."""
    if not self._file.closed:
      fcntl.flock(self._file, fcntl.LOCK_UN)
      self._file.close()
