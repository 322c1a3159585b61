"""Checks every config value before anything is built or compiled."""

import ml_collections

from fwrnn import assoc_data
from fwrnn.errors import ConfigError
from fwrnn.fast_weights import FORMS
from fwrnn.models import MODEL_NAMES


def _require(ok: bool, field: str, allowed: str, value) -> None:
  if not ok:
    raise ConfigError(f'config field {field} must be {allowed}, got {value!r}')


def _integer(config, field: str, minimum: int, maximum: int | None = None) -> None:
  value = _lookup(config, field)
  allowed = f'an integer >= {minimum}' if maximum is None else f'an integer in {minimum}..{maximum}'
  in_range = minimum <= value if maximum is None else minimum <= value <= maximum
  _require(isinstance(value, int) and not isinstance(value, bool) and in_range,
           field, allowed, value)


def _lookup(config, field: str):
  value = config
  for part in field.split('.'):
    if part not in value:
      raise ConfigError(f'config field {field} is missing')
    value = value[part]
  return value


def validate(config: ml_collections.ConfigDict) -> None:
  """Raises ConfigError naming the first field outside its allowed range."""
  _integer(config, 'seed', 0)
  model = config.model
  _require(model.name in MODEL_NAMES, 'model.name', f'one of {", ".join(MODEL_NAMES)}',
           model.name)
  _integer(config, 'model.hidden_size', 1)
  if model.name == 'alstm':
    _require(model.hidden_size % 2 == 0, 'model.hidden_size',
             'even for alstm (H/2 complex units)', model.hidden_size)
  _integer(config, 'model.num_copies', 1)
  _require(0 < model.fast_decay <= 1, 'model.fast_decay', 'in (0, 1]', model.fast_decay)
  _require(model.fast_lr >= 0, 'model.fast_lr', '>= 0', model.fast_lr)
  _integer(config, 'model.inner_steps', 0)
  _require(model.form in FORMS, 'model.form', f'one of {", ".join(FORMS)}', model.form)
  _integer(config, 'model.embed_size', 1)
  _integer(config, 'model.head_size', 1)

  _integer(config, 'data.num_pairs', 1, len(assoc_data.LETTERS))
  for split in ('num_train', 'num_valid', 'num_test'):
    _integer(config, f'data.{split}', 1)
  _integer(config, 'data.seed', 0)
  data = config.data
  total = data.num_train + data.num_valid + data.num_test
  space = assoc_data.num_distinct_sequences(data.num_pairs)
  _require(total <= space, 'data.num_train + data.num_valid + data.num_test',
           f'at most {space}, the distinct sequences with data.num_pairs={data.num_pairs}', total)

  train = config.train
  _integer(config, 'train.batch_size', 1, data.num_train)
  _integer(config, 'train.num_steps', 1)
  _require(train.learning_rate > 0, 'train.learning_rate', '> 0', train.learning_rate)
  _require(train.grad_clip_norm >= 0, 'train.grad_clip_norm', '>= 0 (0 turns it off)',
           train.grad_clip_norm)
  _integer(config, 'train.log_every', 1)
  _integer(config, 'train.eval_every', 1)
  _integer(config, 'train.checkpoints_to_keep', 1)
