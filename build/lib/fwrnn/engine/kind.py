"""What a kind of run supplies to the engine, and how a config names its kind.

The loop (loop.py) owns everything a run of any kind shares: validation of the shared fields,
run directories, restore, save and stop, the chunked loop with its compiled program, the
progress lines, and results written once and refused on a restart when finished. A kind
supplies only its pieces:

    RunKind    its config rules, its schedule, its results dataclass, and a Program
    Program    the initial state, the compiled chunk of steps, what it logs, its results

A config's task module (`config.task`) names the kind: a module with `run_kind()` returns
its own (fwrnn/tasks/catch.py); any other task module is a supervised task (supervised.py).
"""

import dataclasses
from typing import Any, Protocol

import ml_collections
import numpy as np

from fwrnn import tasks
from fwrnn.engine.run_dir import RunDir
from fwrnn.engine.state import Member, Results


@dataclasses.dataclass(frozen=True)
class Schedule:
  """How long a run trains and when it logs and saves, in the kind's steps."""
  num_steps: int     # the ceiling
  ceiling_field: str  # the config field that sets it
  log_every: int     # a progress line, TensorBoard, curves
  save_every: int    # a checkpoint (and the kind's evaluation, if it has one)
  unit: str          # what a step's work is counted in, e.g. 'sequences'
  units_per_step: int


@dataclasses.dataclass(frozen=True)
class RunCost:
  """What a population's training cost, for each member's results."""
  train_seconds: np.ndarray   # each member's wall time, over every process that trained it
  started: list[str]          # when each member first started (UTC)
  steps_per_second: float | None  # per member, compilation excluded
  compile_seconds: float
  devices: int
  machine: str


class Program(Protocol):
  """The compiled pieces of one population's training, built once by its kind."""

  compile_seconds: float

  def init(self, members: Member) -> Any:
    """The fresh state of every member (stacked); it has a `step` field."""

  def compile(self, state, members: Member) -> None:
    """Compiles the chunk for these arguments ahead of its first call."""

  def run(self, state, members: Member, first_step: int, num_steps: int) -> tuple[Any, Any]:
    """num_steps steps of every member from first_step: (state, the chunk's metrics)."""

  def running(self, state) -> Any:
    """Which members still train (a boolean per member, on the device)."""

  def log(self, runs: list[RunDir], metrics, step: int, stop: int, seconds: float,
          running: np.ndarray) -> str:
    """Writes the host metrics of steps step … stop to the runs' logs; the line's text."""

  def at_save(self, state, members: Member, runs: list[RunDir], step: int,
              running: np.ndarray) -> tuple[Any, str]:
    """The state before a checkpoint (after an evaluation, for a kind that has one), and
    what it adds to the progress line."""

  def results(self, state, members: Member, cost: RunCost) -> list[Results]:
    """Every member's results from the final state."""


class RunKind(Protocol):
  """A kind of run: supervised training on a task, an agent on a game, …"""

  results_type: type[Results]

  def rules(self) -> dict:
    """{config field: config_checks rule} of every field the kind reads."""

  def validate(self, config: ml_collections.ConfigDict) -> None:
    """ConfigError naming the first bad field (after the rules), checks between fields."""

  def schedule(self, config: ml_collections.ConfigDict) -> Schedule:
    """How long and how often."""

  def batch_size(self, config: ml_collections.ConfigDict) -> int:
    """The batch that devices left over once every member has one may split (1: never)."""

  def program(self, configs: list[ml_collections.ConfigDict], population) -> Program:
    """The compiled pieces for a population of configs equal but for their Member fields
    (loading the kind's data, if it has any)."""

  def summary(self, run: RunDir, result: Results) -> None:
    """What TensorBoard shows of a finished run (hyper-parameters, final metrics)."""

  def run_name(self, config: ml_collections.ConfigDict) -> str:
    """The default run directory's name."""


def kind_of(config: ml_collections.ConfigDict) -> RunKind:
  """The kind of run the config's task module names (see the module docstring)."""
  module = tasks.import_task(config.task)
  if hasattr(module, 'run_kind'):
    return module.run_kind()
  from fwrnn.engine.supervised import SupervisedKind  # the supervised kind imports the models
  return SupervisedKind(tasks.load(config.task))
