"""Loading a trained run and using its best parameters."""

import os

import jax
import jax.numpy as jnp
import numpy as np

from fwrnn import tasks
from fwrnn.engine import run_dir
from fwrnn.engine import train_steps
from fwrnn.engine.checkpoints import Checkpoints
from fwrnn.errors import DataError, RunError
from fwrnn.layers.models import build_model
from fwrnn.engine.state import Member


class TrainedRun:
  """The model of a run directory with the parameters that had the best validation error."""

  def __init__(self, workdir: str):
    self.config = run_dir.read_config(workdir)
    self.task = tasks.load(self.config.task)
    if not os.path.isdir(os.path.join(workdir, 'checkpoints')):
      raise RunError(f'{workdir} has no checkpoints/; train it first with scripts/train.py')
    checkpoints = Checkpoints(workdir, self.config.train.checkpoints_to_keep)
    if checkpoints.latest_step() is None:
      raise RunError(f'{workdir} has no complete checkpoint yet; train it first')
    best = checkpoints.best_params()
    checkpoints.close()
    if best is None:
      raise RunError(f'{workdir} has no intact checkpoint (see {workdir}/damaged_checkpoints)')
    self.params = jax.tree.map(jnp.asarray, best)
    self.model = build_model(self.config, self.task)
    self.member = Member.of(self.config)
    self._evaluate = jax.jit(train_steps.make_evaluate(self.model))
    self._logits = jax.jit(self.model.apply)

  def logits(self, x, positions=None) -> np.ndarray:
    """Logits of a batch of the task's inputs: N×classes at the last step, or N×K×classes at
    positions (N×K) for a task with labels per position."""
    args = (self.params, self._checked(x), self.member.rates)
    if positions is not None:
      args += (jnp.asarray(positions),)
    return np.asarray(self._call(self._logits, *args))

  def score(self, x, y_N) -> float:
    """Accuracy (0–1) on labelled examples."""
    evaluation = self._call(self._evaluate, self.params, self.member, self._checked(x),
                            jnp.asarray(y_N))
    return float(evaluation.accuracy)

  def predict(self, x) -> np.ndarray:
    """The predicted class of each example (N,)."""
    return np.argmax(self.logits(x), axis=-1)

  def probabilities(self, x, positions=None) -> np.ndarray:
    """The model's probability of every class for each example (N×classes), or at each of
    the positions (N×K×classes)."""
    return np.asarray(jax.nn.softmax(self.logits(x, positions), axis=-1))

  def _checked(self, x) -> jax.Array:
    """x on the device, after the task's own check where it has one (check_inputs)."""
    check = getattr(self.task, 'check_inputs', None)
    if check is not None:
      check(self.config, np.asarray(x))
    return jnp.asarray(x)

  def _call(self, fn, *args):
    try:
      return fn(*args)
    except (TypeError, ValueError) as e:
      raise DataError(f'these examples do not fit the model of this run: {e}') from None
