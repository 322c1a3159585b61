"""Orbax checkpoints of one run's training state, one per evaluation point."""

import hashlib
import os

import jax
import orbax.checkpoint as ocp
from flax import serialization

from fwrnn.state import TrainState


class Checkpoints:
  """Saves and restores training states under <workdir>/checkpoints."""

  def __init__(self, workdir: str, keep: int = 2):
    self.directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
    # On several hosts orbax names its barriers by step alone; the runs of a population save
    # the same step at once, so each run's barriers get a prefix of their own.
    prefix = hashlib.sha1(self.directory.encode()).hexdigest()[:16]
    options = ocp.CheckpointManagerOptions(
        max_to_keep=keep, create=True,
        multiprocessing_options=ocp.options.MultiprocessingOptions(barrier_sync_key_prefix=prefix))
    self._manager = ocp.CheckpointManager(self.directory, options=options)

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

  def save(self, host_state: TrainState) -> None:
    """Starts writing a host copy of the state at its step; wait() finishes it."""
    self._manager.save(int(host_state.step),
                       args=ocp.args.StandardSave(serialization.to_state_dict(host_state)))

  def wait(self) -> None:
    """Returns when every started save is complete on disk."""
    self._manager.wait_until_finished()

  def restore(self, step: int, like: TrainState) -> TrainState:
    """The checkpoint of `step`, shaped like `like`."""
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, serialization.to_state_dict(like))
    restored = self._manager.restore(step, args=ocp.args.StandardRestore(target))
    return serialization.from_state_dict(like, restored)

  def best_params(self) -> dict:
    """The best-validation parameters of the newest checkpoint, without building a state."""
    return self._manager.restore(self.latest_step(), args=ocp.args.StandardRestore())['best_params']

  def close(self) -> None:
    self._manager.close()
