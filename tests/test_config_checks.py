"""Config validation: each bad value is refused with the field and its allowed range."""

import subprocess
import sys

import pytest

from configs import assoc_recall
from fwrnn import tasks
from fwrnn.engine import config_checks
from fwrnn.errors import ConfigError


def validate(config):
  config_checks.validate(config, tasks.load(config.task))


def test_default_and_tiny_configs_are_valid():
  validate(assoc_recall.get_config())
  validate(assoc_recall.get_config('tiny'))


@pytest.mark.parametrize('field, value, message', [
    ('model.hidden_size', 0, r'model.hidden_size must be an integer in 1..4096 \(weights grow'),
    ('model.hidden_size', 5000, r'model.hidden_size must be an integer in 1..4096'),
    ('model.fast_decay', 0.0, r'model.fast_decay must be in \(0, 1\]'),
    ('model.fast_decay', 1.5, r'model.fast_decay must be in \(0, 1\]'),
    ('model.fast_lr', -0.1, 'model.fast_lr must be >= 0'),
    ('model.inner_steps', -1, 'model.inner_steps must be an integer in 0..16'),
    ('model.inner_steps', 17, r'model.inner_steps must be an integer in 0..16 \(each is unrolled'),
    ('model.name', 'gru', 'model.name must be one of fast_weights, irnn, lstm, alstm, ln_irnn'),
    ('model.num_copies', 0, 'model.num_copies must be an integer in 1..64'),
    ('model.num_copies', 65, 'model.num_copies must be an integer in 1..64'),
    ('model.embed_size', 4097, 'model.embed_size must be an integer in 1..4096'),
    ('model.form', 'dense', 'model.form must be one of implicit, explicit'),
    ('data.num_pairs', 27, 'data.num_pairs must be an integer in 1..26'),
    ('data.num_pairs', 0, 'data.num_pairs must be an integer in 1..26'),
    ('train.batch_size', 0, 'train.batch_size must be an integer >= 1'),
    ('train.batch_size', 100_001, 'train.batch_size must be an integer in 1..100000'),
    ('train.learning_rate', 0.0, 'train.learning_rate must be > 0'),
    ('train.num_steps', 0, 'train.num_steps must be an integer >= 1'),
    ('train.learning_rate', float('inf'), 'train.learning_rate must be > 0'),
    ('model.fast_lr', float('nan'), 'model.fast_lr must be >= 0'),
])
def test_out_of_range_fields_are_named(field, value, message):
  config = assoc_recall.get_config()
  group, name = field.split('.')
  config[group][name] = value
  with pytest.raises(ConfigError, match=message):
    validate(config)


def test_splits_larger_than_the_sequence_space_are_refused():
  config = assoc_recall.get_config()
  config.data.num_pairs = 2  # 26·25·10²·2 = 130,000 distinct sequences
  config.data.num_test = 20_001
  with pytest.raises(ConfigError, match='at most 130000'):
    validate(config)


def test_train_script_reports_one_line_and_fails(tmp_path):
  result = subprocess.run(
      [sys.executable, 'scripts/train.py', '--config=configs/assoc_recall.py:tiny',
       '--config.model.fast_decay=1.5', f'--workdir={tmp_path}/run'],
      capture_output=True, text=True, timeout=120)
  assert result.returncode != 0
  assert result.stderr.strip() == 'error: config field model.fast_decay must be in (0, 1], got 1.5'
  assert not (tmp_path / 'run').exists()


def test_the_explicit_form_is_bounded_by_the_memory_of_a():
  config = assoc_recall.get_config()
  config.model.update(form='explicit', hidden_size=2048)
  with pytest.raises(ConfigError, match=r'train.batch_size × model.hidden_size² must be at most '
                                        r'268435456 with model.form=explicit'):
    validate(config)
  config.model.form = 'implicit'
  validate(config)


def test_alstm_needs_an_even_hidden_size():
  config = assoc_recall.get_config()
  config.model.update(name='alstm', hidden_size=21)
  with pytest.raises(ConfigError, match='model.hidden_size must be even for alstm'):
    validate(config)


def test_sweep_script_names_a_bad_grid_in_one_line(tmp_path):
  result = subprocess.run(
      [sys.executable, 'scripts/sweep.py', '--config=configs/assoc_recall.py:tiny',
       '--grid=model.hiden_size=8,9', f'--sweep_dir={tmp_path}/sweep'],
      capture_output=True, text=True, timeout=120)
  assert result.returncode != 0
  assert result.stderr.strip() == 'error: sweep field model.hiden_size is not a config field'
  assert not (tmp_path / 'sweep').exists()


def test_help_lists_every_field_with_its_default_and_allowed_values():
  out = subprocess.run([sys.executable, 'scripts/train.py', '--help',
                        '--config=configs/assoc_recall.py:tiny'], capture_output=True, text=True,
                       timeout=120)
  assert out.returncode == 0
  assert '--config.model.hidden_size=20' in out.stdout
  rows = {line.split()[0]: line.split(None, 2)[1:] for line in out.stdout.splitlines()
          if line.startswith('  ') and not line.startswith('  --')}
  assert rows['model.inner_steps'][0] == '1'
  assert rows['model.inner_steps'][1].startswith('an integer in 0..16')
  assert rows['train.batch_size'][0] == '16'  # the tiny variant's default
  assert rows['data.num_pairs'][1].startswith('an integer in 1..26')  # the task's own rule
  assert set(rows) >= set(config_checks.FIELD_RULES)
  general = subprocess.run([sys.executable, 'scripts/train.py', '--help'], capture_output=True,
                           text=True, timeout=120)
  assert general.returncode == 0 and 'Give --config=FILE with --help' in general.stdout
