"""Stopping a run cleanly: SIGINT (Ctrl-C) and SIGTERM (what schedulers send before they
kill) ask the training loop to stop at its next step boundary, after which it saves a
checkpoint and says how to resume. A signal while the data load or the program compiles is
noted the same way and acted on before training. A second signal stops at once, but never in
the middle of writing a checkpoint: it waits for the checkpoint to be complete."""

import contextlib
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
    self._protecting = False
    self._deferred: str | None = None

  def __enter__(self) -> 'StopRequests':
    if threading.current_thread() is threading.main_thread():
      self._previous = {s: signal.signal(s, self._note) for s in SIGNALS}
    return self

  def _note(self, signum, frame) -> None:
    del frame
    name = signal.Signals(signum).name
    if self.signal_name is None:
      self.signal_name = name
    elif self._protecting:  # asked twice while a checkpoint is written: after it
      self._deferred = name
    else:
      self._stop_now(name)

  def _stop_now(self, name: str) -> None:
    self._restore()
    raise Interrupted(f'stopped at once by a second {name}; run the same command again to '
                      'resume from the newest checkpoint')

  @contextlib.contextmanager
  def protect(self):
    """A block that a second signal does not cut short (a checkpoint being written)."""
    self._protecting = True
    try:
      yield
    finally:
      self._protecting = False
    if self._deferred:
      self._stop_now(self._deferred)

  def _restore(self) -> None:
    for s, handler in self._previous.items():
      signal.signal(s, handler)
    self._previous = {}

  def __exit__(self, *exc) -> None:
    self._restore()
