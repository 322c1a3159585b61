"""Checks every config value before anything is built or compiled.

The allowed values of each field are data (FIELD_RULES, and a task's own TASK_RULES): the
same table checks a config and lists the fields in `--help`. Checks between fields (an even
width for the A-LSTM, the memory of the explicit form, the task's own) are code.
"""

import dataclasses
import math

import ml_collections

from fwrnn.layers.cores import CORE_NAMES, RECURRENT_CORE_NAMES
from fwrnn.engine.state import lookup
from fwrnn.errors import ConfigError
from fwrnn.layers.fast_weights_layer import FORMS, MAX_INNER_STEPS

# Bounds on the fields that make compilation or memory explode, and why.
MAX_WIDTH = 4096      # hidden, embedding and head widths: weights and Adam's moments grow as width²
MAX_COPIES = 64       # alstm: every copy is a B×H memory carried through the sequence
MAX_EXPLICIT_FLOATS = 2 ** 28  # form=explicit carries A, batch·H² floats (1 GiB) at every step


@dataclasses.dataclass(frozen=True)
class Integer:
  """An integer in minimum..maximum; why says where a bound comes from."""
  minimum: int
  maximum: int | None = None
  why: str = ''

  def allowed(self) -> str:
    text = (f'an integer >= {self.minimum}' if self.maximum is None
            else f'an integer in {self.minimum}..{self.maximum}')
    return text + (f' ({self.why})' if self.why else '')

  def ok(self, value) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool) and self.minimum <= value
            and (self.maximum is None or value <= self.maximum))


@dataclasses.dataclass(frozen=True)
class Number:
  """A finite number above low (or at least low) and at most high."""
  low: float
  high: float = math.inf
  low_open: bool = False
  text: str = ''

  def allowed(self) -> str:
    return self.text

  def ok(self, value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and (value > self.low if self.low_open else value >= self.low)
            and value <= self.high)


@dataclasses.dataclass(frozen=True)
class OneOf:
  choices: tuple

  def allowed(self) -> str:
    return f'one of {", ".join(map(str, self.choices))}'

  def ok(self, value) -> bool:
    return value in self.choices


@dataclasses.dataclass(frozen=True)
class Text:
  """A non-empty string; what says what it names."""
  what: str

  def allowed(self) -> str:
    return f'a non-empty string, {self.what}'

  def ok(self, value) -> bool:
    return isinstance(value, str) and bool(value)


@dataclasses.dataclass(frozen=True)
class Boolean:

  def allowed(self) -> str:
    return 'True or False'

  def ok(self, value) -> bool:
    return isinstance(value, bool)


# The fields every kind of run has: the seed, the recurrent core, and the optimizer and logs.
RUN_RULES = {
    'seed': Integer(0),
    'model.name': OneOf(RECURRENT_CORE_NAMES),
    'model.hidden_size': Integer(1, MAX_WIDTH, 'weights grow as its square'),
    'model.fast_decay': Number(0, 1, low_open=True, text='in (0, 1]'),
    'model.fast_lr': Number(0, text='>= 0'),
    'model.inner_steps': Integer(0, MAX_INNER_STEPS,
                                 'each is unrolled into the compiled step and its gradient'),
    'model.layer_norm': Boolean(),
    'model.ln_on_h0': Boolean(),
    'model.form': OneOf(tuple(FORMS)),
    'model.num_copies': Integer(1, MAX_COPIES, 'each copy is a memory of its own'),
    'train.learning_rate': Number(0, low_open=True, text='> 0'),
    'train.grad_clip_norm': Number(0, text='>= 0 (0 turns it off)'),
    'train.log_every': Integer(1),
    'train.checkpoints_to_keep': Integer(1),
}

# A supervised task's fields: any core (the ConvNet too), the head, batches and patience.
FIELD_RULES = {
    **RUN_RULES,
    'model.name': OneOf(CORE_NAMES),
    'model.head_size': Integer(0, MAX_WIDTH, '0: none; its weights grow with it'),
    'train.batch_size': Integer(1),
    'train.num_steps': Integer(1),
    'train.eval_every': Integer(1),
    'train.patience': Integer(0, why='evaluations without a lower validation error; 0: never stop early'),
}


def require(ok: bool, field: str, allowed: str, value) -> None:
  """ConfigError naming field and its allowed values unless ok."""
  if not ok:
    raise ConfigError(f'config field {field} must be {allowed}, got {value!r}')


def integer(config, field: str, minimum: int, maximum: int | None = None, why: str = '') -> None:
  """ConfigError unless the field is an integer in minimum..maximum (why: the bound's reason)."""
  rule = Integer(minimum, maximum, why)
  value = lookup(config, field)
  require(rule.ok(value), field, rule.allowed(), value)


def rules(task) -> dict:
  """Every field's rule: the trainer's and the task's (TASK_RULES, if it has any)."""
  return {**FIELD_RULES, **getattr(task, 'TASK_RULES', {})}


def check_rules(config: ml_collections.ConfigDict, field_rules: dict) -> None:
  """ConfigError naming the first field of field_rules whose value its rule refuses."""
  for field, rule in field_rules.items():
    value = lookup(config, field)
    require(rule.ok(value), field, rule.allowed(), value)


def validate(config: ml_collections.ConfigDict, task) -> None:
  """Raises ConfigError naming the first field of a supervised task's config outside its
  allowed range."""
  check_rules(config, rules(task))
  check_model(config.model, config.train.batch_size)
  task.validate(config)


def check_model(model: ml_collections.ConfigDict, batch_size: int) -> None:
  """ConfigError for a model whose fields disagree: an odd width for the A-LSTM, or an
  explicit A too large for batches of batch_size."""
  if model.name == 'alstm':
    require(model.hidden_size % 2 == 0, 'model.hidden_size',
            'even for alstm (H/2 complex units)', model.hidden_size)
  if model.form == 'explicit':
    floats = batch_size * model.hidden_size ** 2
    require(floats <= MAX_EXPLICIT_FLOATS, 'train.batch_size × model.hidden_size²',
            f'at most {MAX_EXPLICIT_FLOATS} with model.form=explicit (A is carried per example; '
            'model.form=implicit never builds it)', floats)
