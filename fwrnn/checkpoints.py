"""Orbax checkpoints of the whole training state, one per evaluation point."""

import os

import jax
import orbax.checkpoint as ocp

from fwrnn.train_steps import TrainState


class Checkpoints:
  """Saves and restores training states under <workdir>/checkpoints."""

  def __init__(self, workdir: str, keep: int = 2):
    self.directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
    self._manager = ocp.CheckpointManager(
        self.directory, options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True))

  def latest_step(self) -> int | None:
    """The step of the newest complete checkpoint, or None."""
    return self._manager.latest_step()

  def save(self, state: TrainState) -> None:
    """Writes the state at its step (host copy first: the device buffers get donated)."""
    host_state = jax.device_get(state)
    self._manager.save(int(host_state['step']), args=ocp.args.StandardSave(host_state))
    self._manager.wait_until_finished()

  def restore_latest(self, like: TrainState) -> TrainState:
    """The newest checkpoint, shaped like `like`; `like` itself if there is none."""
    step = self.latest_step()
    if step is None:
      return like
    target = jax.tree.map(ocp.utils.to_shape_dtype_struct, like)
    return self._manager.restore(step, args=ocp.args.StandardRestore(target))

  def close(self) -> None:
    self._manager.close()
