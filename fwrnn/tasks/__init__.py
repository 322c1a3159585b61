"""Experiments as tasks: a task owns its data, how its inputs enter a core, and how a user's
examples are read. The trainer, sweeps, reports and scripts take the task from the config
(`config.task`, a module name) and never import one.

A task is a module with these functions (fwrnn/tasks/assoc_recall.py and mnist_glimpses.py
are the examples):

    validate(config)             ConfigError naming a bad field of the task's own groups
    load_splits(config)          Splits: fixed train/valid/test arrays x (N×…) and labels y (N,)
    encoder(config)              a Flax module: a batch of x → the B×T×D sequence a core reads
    num_classes(config)          the number of classes of y
    run_name(config)             the default run directory's name
    parse_example(text)          one x (no batch axis) from its text form
    read_examples(path)          a user's examples, as a Split (y None when they have no labels)
    example_text(x)              one x in its text form (the inverse of parse_example)
    step_labels(config, x)       a short label for every time step of one x (for pictures)

It may also have longer_tests(config), {name: Split} of test slices longer than its
sequences (the engine scores the best parameters on each, for length generalisation), and
TASK_RULES, {field: config_checks rule} for its own config fields: they are checked before
validate() and listed by the scripts' --help. A task of your own lives anywhere on the Python
path: `--config.task=mypackage.mytask`.

A task of another kind than supervised learning (catch.py, an agent on a game) has instead
`run_kind()`, which returns the pieces it gives the engine (fwrnn/engine/kind.py).
"""

import importlib
from types import ModuleType
from typing import NamedTuple

import numpy as np

from fwrnn.errors import ConfigError

REQUIRED = ('validate', 'load_splits', 'encoder', 'num_classes', 'run_name', 'parse_example',
            'read_examples', 'example_text', 'step_labels')


IGNORE = -100  # a label that counts for nothing (Zoology's, PyTorch's ignore_index)


class Split(NamedTuple):
  """Inputs x (N×…, the task's format) and their integer labels: y (N,) for one label per
  sequence, or (N, K, 2) for K (position, label) pairs, label IGNORE for none; None if
  unknown."""
  x: np.ndarray
  y: np.ndarray


class Splits(NamedTuple):
  train: Split
  valid: Split
  test: Split


def import_task(name: str) -> ModuleType:
  """The module called name; ConfigError if it cannot be imported."""
  try:
    return importlib.import_module(name)
  except ImportError as e:
    raise ConfigError(f'config field task names {name!r}, which cannot be imported: {e}') from None


def load(name: str) -> ModuleType:
  """The supervised task module called name; ConfigError if it is missing or lacks a
  function."""
  module = import_task(name)
  missing = [f for f in REQUIRED if not callable(getattr(module, f, None))]
  if missing:
    raise ConfigError(f'task {name} lacks {", ".join(missing)} (see fwrnn/tasks/__init__.py)')
  return module
