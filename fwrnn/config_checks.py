"""Checks every config value before anything is built or compiled."""

import math

import ml_collections

from fwrnn.cores import CORE_NAMES
from fwrnn.errors import ConfigError
from fwrnn.layers import FORMS

# Bounds on the fields that make compilation or memory explode, and why.
MAX_INNER_STEPS = 16  # each is unrolled into the step and its gradient: S = 16 compiles in 17 s, 64 in 201 s
MAX_WIDTH = 4096      # hidden, embedding and head widths: weights and Adam's moments grow as width²
MAX_COPIES = 64       # alstm: every copy is a B×H memory carried through the sequence
MAX_EXPLICIT_FLOATS = 2 ** 28  # form=explicit carries A, batch·H² floats (1 GiB) at every step


def require(ok: bool, field: str, allowed: str, value) -> None:
  """ConfigError naming field and its allowed values unless ok."""
  if not ok:
    raise ConfigError(f'config field {field} must be {allowed}, got {value!r}')


def lookup(config: ml_collections.ConfigDict, field: str):
  """The value of a dotted field, e.g. 'train.learning_rate'; ConfigError if missing."""
  value = config
  for part in field.split('.'):
    if not isinstance(value, ml_collections.ConfigDict) or part not in value:
      raise ConfigError(f'config field {field} is missing')
    value = value[part]
  return value


def integer(config, field: str, minimum: int, maximum: int | None = None, why: str = '') -> None:
  """ConfigError unless the field is an integer in minimum..maximum (why: the bound's reason)."""
  value = lookup(config, field)
  allowed = f'an integer >= {minimum}' if maximum is None else f'an integer in {minimum}..{maximum}'
  allowed += f' ({why})' if why else ''
  is_int = isinstance(value, int) and not isinstance(value, bool)
  in_range = is_int and minimum <= value and (maximum is None or value <= maximum)
  require(in_range, field, allowed, value)


def _number(config, field: str, low: float, high: float, allowed: str,
            low_open: bool = False) -> None:
  value = lookup(config, field)
  ok = (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        and (value > low if low_open else value >= low) and value <= high)
  require(ok, field, allowed, value)


def validate(config: ml_collections.ConfigDict, task) -> None:
  """Raises ConfigError naming the first field outside its allowed range."""
  integer(config, 'seed', 0)
  model = config.model
  require(model.name in CORE_NAMES, 'model.name', f'one of {", ".join(CORE_NAMES)}', model.name)
  integer(config, 'model.hidden_size', 1, MAX_WIDTH, 'weights grow as its square')
  if model.name == 'alstm':
    require(model.hidden_size % 2 == 0, 'model.hidden_size',
            'even for alstm (H/2 complex units)', model.hidden_size)
  integer(config, 'model.num_copies', 1, MAX_COPIES, 'each copy is a memory of its own')
  _number(config, 'model.fast_decay', 0, 1, 'in (0, 1]', low_open=True)
  _number(config, 'model.fast_lr', 0, math.inf, '>= 0')
  integer(config, 'model.inner_steps', 0, MAX_INNER_STEPS,
          'each is unrolled into the compiled step and its gradient')
  require(model.form in FORMS, 'model.form', f'one of {", ".join(FORMS)}', model.form)
  integer(config, 'model.head_size', 1, MAX_WIDTH, 'its weights grow with it')
  task.validate(config)
  integer(config, 'train.batch_size', 1)
  if model.form == 'explicit':
    floats = config.train.batch_size * model.hidden_size ** 2
    require(floats <= MAX_EXPLICIT_FLOATS, 'train.batch_size × model.hidden_size²',
            f'at most {MAX_EXPLICIT_FLOATS} with model.form=explicit (A is carried per example; '
            'model.form=implicit never builds it)', floats)
  integer(config, 'train.num_steps', 1)
  _number(config, 'train.learning_rate', 0, math.inf, '> 0', low_open=True)
  _number(config, 'train.grad_clip_norm', 0, math.inf, '>= 0 (0 turns it off)')
  integer(config, 'train.log_every', 1)
  integer(config, 'train.eval_every', 1)
  integer(config, 'train.checkpoints_to_keep', 1)

