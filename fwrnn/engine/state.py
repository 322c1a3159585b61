"""The typed pytrees of training: a member's numbers, the training state, and the results.

A Member holds the numbers of one run that enter the compiled step as arrays; runs whose
configs differ only in these fields train together as one population. Each field names the
config field it comes from, so the population's fields are derived, never listed by hand.
"""

import dataclasses
import json
import os
import platform
import types
import typing
from typing import Any

import jax
import ml_collections
import numpy as np
from flax import struct

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.engine.atomic import write_atomically
from fwrnn.errors import ConfigError


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


def lookup(config: ml_collections.ConfigDict, field: str):
  """The value of a dotted field, e.g. 'train.learning_rate'; ConfigError if missing."""
  value = config
  for part in field.split('.'):
    if not isinstance(value, ml_collections.ConfigDict) or part not in value:
      raise ConfigError(f'config field {field} is missing')
    value = value[part]
  return value


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


def _type_ok(value, annotation) -> bool:
  """Whether a JSON value fits a results field's annotation (bool, int, float, str,
  dict[str, X], or X | None)."""
  allowed = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else (annotation,)
  for kind in allowed:
    if typing.get_origin(kind) is dict:
      key_kind, value_kind = typing.get_args(kind)
      if isinstance(value, dict) and all(
          _type_ok(k, key_kind) and _type_ok(v, value_kind) for k, v in value.items()):
        return True
      continue
    if (kind is type(None) and value is None) or (kind is bool and isinstance(value, bool)):
      return True
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
      return True
    if kind in (int, str) and isinstance(value, kind) and not isinstance(value, bool):
      return True
  return False


@dataclasses.dataclass(frozen=True)
class Results:
  """What results.json holds for a run of any kind; each kind's dataclass extends it.

  TIMING names the fields that say what the run cost, not what it computed."""

  TIMING: typing.ClassVar[tuple[str, ...]] = ()

  @property
  def steps_done(self) -> int:
    """The steps (updates) the run trained."""
    raise NotImplementedError

  def reached_end(self, num_steps: int) -> bool:
    """Whether the run has nothing left to train with a ceiling of num_steps."""
    return self.steps_done >= num_steps

  def outcome(self) -> dict:
    """Every field but the timings: equal for a resumed run and one that never stopped."""
    return {k: v for k, v in dataclasses.asdict(self).items() if k not in self.TIMING}

  def write(self, path: str) -> None:
    """Writes results.json atomically: a kill leaves the old file or the new one."""
    write_atomically(path, json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True))

  @classmethod
  def read(cls, path: str) -> 'Results':
    """The results in path; TypeError if a field is missing, unknown or of the wrong type,
    ValueError (json's) if the file is not JSON."""
    with open(path) as f:
      record = json.load(f)
    if not isinstance(record, dict):
      raise TypeError('it is not a JSON object')
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
      if field.name in record and not _type_ok(record[field.name], hints[field.name]):
        raise TypeError(f'field {field.name} is {record[field.name]!r}')
    return cls(**record)


@dataclasses.dataclass(frozen=True)
class RunResults(Results):
  """What results.json holds for a supervised run: its identity, its outcome and its cost."""
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
  stopped_by: str = 'num_steps'  # 'patience' or 'target_error' (steps is where it stopped)
                                 # or 'num_steps'
  started: str = ''             # UTC time its training first started, shared by the members
                                # that started together ('' for runs from before it was kept)
  longer_test_accuracy: dict[str, float] = dataclasses.field(default_factory=dict)
                                # the task's test slices longer than its sequences, by name

  TIMING = ('train_seconds', 'steps_per_second', 'compile_seconds', 'machine', 'started')

  @property
  def steps_done(self) -> int:
    return self.steps

  def reached_end(self, num_steps: int) -> bool:
    return self.stopped_by != 'num_steps' or self.steps >= num_steps
