"""Loading a trained run and using its best parameters."""

import os

import jax
import jax.numpy as jnp
import numpy as np

from fwrnn import run_dir, train, train_steps
from fwrnn.checkpoints import Checkpoints
from fwrnn.errors import DataError, RunError


class TrainedRun:
  """The model of a run directory with the parameters that had the best validation error."""

  def __init__(self, workdir: str):
    self.config = run_dir.read_config(workdir)
    if not os.path.isdir(os.path.join(workdir, 'checkpoints')):
      raise RunError(f'{workdir} has no checkpoints/; train it first with scripts/train.py')
    self.model, _, state = train.build(self.config)
    checkpoints = Checkpoints(workdir, self.config.train.checkpoints_to_keep)
    if checkpoints.latest_step() is None:
      raise RunError(f'{workdir} has no complete checkpoint yet; train it first')
    self.params = checkpoints.restore_latest(state)['best_params']
    checkpoints.close()
    self.sequence_length = 2 * self.config.data.num_pairs + 3
    self._evaluate = jax.jit(train_steps.make_evaluate(self.model))
    self._logits = jax.jit(self.model.apply)

  def _check_length(self, length: int) -> None:
    if length != self.sequence_length:
      raise DataError(f'sequences have length {length}, but this run was trained on '
                      f'length {self.sequence_length} (data.num_pairs={self.config.data.num_pairs})')

  def score(self, x_NxT: np.ndarray, y_N: np.ndarray) -> float:
    """Accuracy (0–1) on labelled examples."""
    self._check_length(x_NxT.shape[1])
    return float(self._evaluate(self.params, jnp.asarray(x_NxT), jnp.asarray(y_N))[1])

  def predict(self, x_NxT: np.ndarray) -> np.ndarray:
    """The predicted digit of each sequence (N,)."""
    self._check_length(x_NxT.shape[1])
    return np.asarray(jnp.argmax(self._logits(self.params, jnp.asarray(x_NxT)), axis=-1))
