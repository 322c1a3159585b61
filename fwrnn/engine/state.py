"""The typed pytrees of training: a member's numbers, the training state, and the results.

A Member holds the numbers of one run that enter the compiled step as arrays; runs whose
configs differ only in these fields train together as one population. Each field names the
config field it comes from, so the population's fields are derived, never listed by hand.
"""

import dataclasses
import json
import os
import platform
from typing import Any

import jax
import ml_collections
import numpy as np
from flax import struct

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.engine.config_checks import lookup


def _from_config(path: str, dtype) -> dataclasses.Field:
  return dataclasses.field(metadata={'config': path, 'dtype': dtype})


@struct.dataclass
class Member:
  """One run's numbers used inside the step (scalars; stacked, a population's)."""
  seed: jax.Array = _from_config('seed', np.int32)
  learning_rate: jax.Array = _from_config('train.learning_rate', np.float32)
  fast_decay: jax.Array = _from_config('model.fast_decay', np.float32)
  fast_lr: jax.Array = _from_config('model.fast_lr', np.float32)

  @classmethod
  def of(cls, config: ml_collections.ConfigDict) -> 'Member':
    """The member numbers of a config."""
    return cls(**{f.name: np.asarray(lookup(config, f.metadata['config']), f.metadata['dtype'])
                  for f in dataclasses.fields(cls)})

  @property
  def rates(self) -> FastDynamics:
    """λ and η, as the fast-weights core takes them."""
    return FastDynamics(self.fast_decay, self.fast_lr)


def machine_name() -> str:
  """The processor (from /proc/cpuinfo where there is one), its core count and JAX's device."""
  model = platform.processor() or platform.machine()
  if os.path.exists('/proc/cpuinfo'):
    with open('/proc/cpuinfo') as f:
      names = [line.split(':', 1)[1].strip() for line in f if line.startswith('model name')]
    model = names[0] if names else model
  return f'{model}, {os.cpu_count()} cores, {jax.devices()[0].device_kind}'


def population_fields() -> tuple[str, ...]:
  """The config fields in which the members of one population may differ."""
  return tuple(f.metadata['config'] for f in dataclasses.fields(Member))


@struct.dataclass
class TrainState:
  """Everything a run needs to go on exactly: a checkpoint holds one.

  epoch_order is the order of the training examples in the epoch of the last step done
  (drawn from data_key and the epoch alone, so a resumed run sees the same batches).
  evals_since_best counts the evaluations since the best; stopped_step is the step at which
  patience stopped the run (its parameters stay as they were), or -1 while it trains.
  """
  step: jax.Array
  params: Any
  opt_state: Any
  best_params: Any
  best_valid_error: jax.Array
  best_step: jax.Array
  data_key: jax.Array
  epoch_order: jax.Array
  evals_since_best: jax.Array
  stopped_step: jax.Array

  @property
  def running(self) -> jax.Array:
    """Whether the run still trains (patience has not stopped it)."""
    return self.stopped_step < 0


@struct.dataclass
class StepSums:
  """Training metrics summed over the steps of one call, and the first non-finite step."""
  loss: jax.Array
  accuracy: jax.Array
  grad_norm: jax.Array
  first_bad_step: jax.Array


@struct.dataclass
class Evaluation:
  """Mean loss and accuracy (0–1) on a split."""
  loss: jax.Array
  accuracy: jax.Array

  @property
  def error(self):
    """Error in %."""
    return 100.0 * (1.0 - self.accuracy)


@dataclasses.dataclass(frozen=True)
class RunResults:
  """What results.json holds: the run's identity, its outcome and its cost."""
  task: str
  model: str
  hidden_size: int
  seed: int
  learning_rate: float
  fast_decay: float
  fast_lr: float
  steps: int
  best_step: int
  test_accuracy: float
  test_error: float             # %, of the best-validation parameters
  valid_error: float            # %, the best
  diverged_at_step: int | None
  population_size: int
  devices: int
  train_seconds: float          # wall time, every process that trained it, compiling included
  steps_per_second: float | None  # compilation excluded
  compile_seconds: float
  machine: str = ''             # where it trained (the last part, if it was resumed)
  stopped_by: str = 'num_steps'  # 'patience' (steps is where it stopped) or 'num_steps'
  started: str = ''             # UTC time its training first started, shared by the members
                                # that started together ('' for runs from before it was kept)

  TIMING = ('train_seconds', 'steps_per_second', 'compile_seconds', 'machine', 'started')

  def outcome(self) -> dict:
    """Every field but the timings: equal for a resumed run and one that never stopped."""
    return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.TIMING}

  def write(self, path: str) -> None:
    """Writes results.json atomically: a kill leaves the old file or the new one."""
    with open(f'{path}.tmp', 'w') as f:
      json.dump(dataclasses.asdict(self), f, indent=2, sort_keys=True)
    os.replace(f'{path}.tmp', path)

  @classmethod
  def read(cls, path: str) -> 'RunResults':
    with open(path) as f:
      return cls(**json.load(f))
