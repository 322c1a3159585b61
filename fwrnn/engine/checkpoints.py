"""Orbax checkpoints of one run's training state, one per evaluation point, verified.

After orbax finishes a save, the SHA-256 of every file of the step is recorded in the
step's own folder (CHECKSUMS); a step is used only if every file still matches. A step that
does not (damaged bytes, a missing file) is moved aside to <workdir>/damaged_checkpoints/,
never deleted. A step that orbax completed but that has no sums (written by an older fwrnn,
or killed between orbax's commit and the sums) is used unverified, with a warning; if it then
cannot be read, the caller sets it aside. A numbered folder that orbax never finished (a kill
between its creation and its first write) is set aside alone before orbax reads the folder.
"""

import contextlib
import hashlib
import json
import os
import sys

import jax
import orbax.checkpoint as ocp
from absl import logging
from flax import serialization

from fwrnn.engine.atomic import write_atomically
from fwrnn.errors import RunError

CHECKSUMS = 'fwrnn_checksums.json'
ORBAX_MARKER = '_CHECKPOINT_METADATA'  # written into every step that orbax saves
DAMAGED_DIR = 'damaged_checkpoints'


def _file_sums(step_dir: str) -> dict:
  """{path relative to step_dir: SHA-256} of every file of a saved step but the sums."""
  sums = {}
  for root, _, files in os.walk(step_dir):
    for name in files:
      path = os.path.join(root, name)
      relative = os.path.relpath(path, step_dir)
      if not relative.startswith(CHECKSUMS):  # the sums themselves, and their temporary
        with open(path, 'rb') as f:
          sums[relative] = hashlib.sha256(f.read()).hexdigest()
  return sums


class Checkpoints:
  """Saves, verifies and restores training states under <workdir>/checkpoints."""

  def __init__(self, workdir: str, keep: int = 2, writes: bool = True):
    self.workdir = os.path.abspath(workdir)
    self.directory = os.path.join(self.workdir, 'checkpoints')
    self._writes = writes
    self._unsummed: list[int] = []
    # On several hosts orbax names its barriers by step alone; the runs of a population save
    # the same step at once, so each run's barriers get a prefix of their own.
    prefix = hashlib.sha1(self.directory.encode()).hexdigest()[:16]
    if writes:
      self._set_aside_unfinished()
    options = ocp.CheckpointManagerOptions(
        max_to_keep=keep, create=True, cleanup_tmp_directories=True,
        multiprocessing_options=ocp.options.MultiprocessingOptions(barrier_sync_key_prefix=prefix))
    self._manager = ocp.CheckpointManager(self.directory, options=options)

  def _set_aside_unfinished(self) -> None:
    """Moves every numbered step folder that orbax never finished (no ORBAX_MARKER: a kill
    between its creation and its first write, or an empty folder) to damaged_checkpoints/,
    before orbax reads the folder: such a step is no checkpoint, and must not make orbax
    misread the finished ones beside it."""
    if not os.path.isdir(self.directory):
      return
    for name in sorted(os.listdir(self.directory)):
      step_dir = os.path.join(self.directory, name)
      if (name.isdigit() and os.path.isdir(step_dir)
          and not os.path.exists(os.path.join(step_dir, ORBAX_MARKER))):
        logging.warning('%s', self.set_aside(int(name), 'was never finished by orbax (it has no '
                                             f'{ORBAX_MARKER})', reload=False))

  def latest_step(self) -> int | None:
    """The step of the newest complete checkpoint, or None."""
    return self._manager.latest_step()

  def all_steps(self) -> list[int]:
    """The steps of every complete checkpoint."""
    return list(self._manager.all_steps())

  def delete_after(self, step: int | None) -> None:
    """Deletes the checkpoints newer than step (every one if step is None)."""
    for saved in self.all_steps():
      if step is None or saved > step:
        self._manager.delete(saved)

  def save(self, host_state) -> None:
    """Starts writing a host copy of the state at its step; wait() finishes it."""
    step = int(host_state.step)
    self._manager.save(step, args=ocp.args.StandardSave(serialization.to_state_dict(host_state)))
    self._unsummed.append(step)

  def wait(self) -> None:
    """Returns when every started save is complete on disk, its checksums recorded; RunError
    if one cannot be written (a full disk), the checkpoints before it kept."""
    try:
      with _quiet_abandoned_reads():
        self._manager.wait_until_finished()
    except Exception as e:  # orbax raises many kinds; any of them means not written
      steps, self._unsummed = self._unsummed, []
      # The writes orbax abandoned may end after this, each with an error of its own.
      sys.unraisablehook = _ignoring_closed_loops(sys.unraisablehook)
      raise RunError(f'the checkpoint of step {steps[-1] if steps else "?"} could not be written '
                     f'in {self.directory} ({_first_line(e)}); the checkpoints before it are '
                     'kept: make room and run the same command again') from None
    for step in self._unsummed:
      step_dir = self._step_dir(step)
      if self._writes and os.path.isdir(step_dir):
        sums = _file_sums(step_dir)
        write_atomically(os.path.join(step_dir, CHECKSUMS),
                         json.dumps(sums, indent=1, sort_keys=True))
    self._unsummed = []

  def verified(self, step: int) -> bool:
    """Whether the step has recorded sums to check (see the module docstring)."""
    return os.path.exists(os.path.join(self._step_dir(step), CHECKSUMS))

  def problem(self, step: int) -> str | None:
    """What is wrong with a saved step, or None if every file matches its recorded sum (or
    it has no sums to check)."""
    path = os.path.join(self._step_dir(step), CHECKSUMS)
    if not self.verified(step):
      return None
    try:
      with open(path) as f:
        recorded = json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError):
      return f'has an unreadable {CHECKSUMS}'
    found = _file_sums(self._step_dir(step))
    for name, digest in sorted(recorded.items()):
      if name not in found:
        return f'lacks its file {name}'
      if found[name] != digest:
        return f'has damaged bytes in {name}'
    return None

  def set_aside(self, step: int, why: str, reload: bool = True) -> str:
    """Moves a damaged step to <workdir>/damaged_checkpoints/; returns the one-line report."""
    target = os.path.join(self.workdir, DAMAGED_DIR, str(step))
    suffix = 1
    while os.path.exists(target):
      target, suffix = os.path.join(self.workdir, DAMAGED_DIR, f'{step}_{suffix}'), suffix + 1
    if self._writes:
      os.makedirs(os.path.dirname(target), exist_ok=True)
      os.replace(self._step_dir(step), target)
    if reload:
      self._manager.reload()
    return f'the checkpoint of step {step} in {self.directory} {why}; moved to {target}'

  def intact_steps(self) -> list[int]:
    """The steps whose files all match their sums; damaged ones are set aside, each with a
    warning."""
    intact = []
    for step in self.all_steps():
      why = self.problem(step)
      if why is None:
        intact.append(step)
        if not self.verified(step):
          logging.warning('the checkpoint of step %d in %s has no checksums (an older fwrnn wrote '
                          'it, or a kill came just after its save); it is used unverified',
                          step, self.directory)
      else:
        logging.warning('%s', self.set_aside(step, why))
    return intact

  def restore(self, step: int, like):
    """The checkpoint of `step`, shaped like `like`; raises ValueError naming the first fault
    if it cannot be read."""
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(like))
    try:
      with _quiet_abandoned_reads():
        restored = self._manager.restore(step, args=ocp.args.StandardRestore(target))
    except Exception as e:  # orbax raises many kinds; any of them means unreadable
      # The reads orbax abandoned may end after this, each with an error of its own.
      sys.unraisablehook = _ignoring_closed_loops(sys.unraisablehook)
      raise ValueError(_first_line(e)) from None
    return serialization.from_state_dict(like, restored)

  def best_params(self) -> dict:
    """The best-validation parameters of the newest intact checkpoint, without building a
    training state; None if there is none."""
    intact = [s for s in self.all_steps() if self.problem(s) is None]
    if not intact:
      return None
    return self._manager.restore(max(intact), args=ocp.args.StandardRestore())['best_params']

  def _step_dir(self, step: int) -> str:
    return os.path.join(self.directory, str(step))

  def close(self) -> None:
    self._manager.close()


def _first_line(error: Exception, limit: int = 200) -> str:
  """The first line of an error's message, cut to `limit` characters."""
  line = (str(error).strip().splitlines() or [type(error).__name__])[0]
  return line if len(line) <= limit else line[:limit] + '…'


def _ignoring_closed_loops(previous):
  """An unraisable-error hook that drops the 'Event loop is closed' errors of the reads and
  writes orbax abandons when one of them fails (each would print a traceback) and passes any
  other error to `previous`."""

  def hook(unraisable):
    if not (isinstance(unraisable.exc_value, RuntimeError)
            and str(unraisable.exc_value) == 'Event loop is closed'):
      previous(unraisable)

  return hook


@contextlib.contextmanager
def _quiet_abandoned_reads():
  """Silences, while inside, the reads and writes orbax abandons when one of them fails."""
  previous = sys.unraisablehook
  sys.unraisablehook = _ignoring_closed_loops(previous)
  try:
    yield
  finally:
    sys.unraisablehook = previous
