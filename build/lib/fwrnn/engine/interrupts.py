"""Stopping a run cleanly: SIGINT (Ctrl-C) and SIGTERM (what schedulers send before they
kill) ask the training loop to stop at its next step boundary, after which it saves a
checkpoint and says how to resume. A second signal stops at once."""

import signal
import threading

from fwrnn.errors import RunError

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(RunError):
  """The run stopped on a signal, its state saved."""


class StopRequests:
  """A context in which SIGINT and SIGTERM set `signal_name` instead of stopping the process
  (in the main thread; elsewhere signals keep their handlers)."""

  def __init__(self):
    self.signal_name: str | None = None
    self._previous = {}

  def __enter__(self) -> 'StopRequests':
    if threading.current_thread() is threading.main_thread():
      self._previous = {s: signal.signal(s, self._note) for s in SIGNALS}
    return self

  def _note(self, signum, frame) -> None:
    del frame
    if self.signal_name is not None:  # asked twice: stop now
      self._restore()
      raise KeyboardInterrupt
    self.signal_name = signal.Signals(signum).name

  def _restore(self) -> None:
    for s, handler in self._previous.items():
      signal.signal(s, handler)
    self._previous = {}

  def __exit__(self, *exc) -> None:
    self._restore()
