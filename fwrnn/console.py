"""What the command-line scripts show: fwrnn's progress lines, other libraries' warnings, and
one line for a bad flag, config, input or file."""

import contextlib
import logging as std_logging
import os
import re
import sys

from absl import flags, logging

from fwrnn.errors import FwrnnError

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
HELP_FLAGS = ('--help', '-h', '--helpshort', '-?')


class _ProgressFilter(std_logging.Filter):
  """Passes fwrnn's own records at every level and other code's warnings and errors, the
  latter as their first line without a traceback (fwrnn says what a fault means for the run)."""

  def filter(self, record: std_logging.LogRecord) -> bool:
    if os.path.abspath(record.pathname).startswith(_PACKAGE_DIR):
      return True
    if record.levelno < std_logging.WARNING:
      return False
    if record.exc_info or record.exc_text:
      record.msg, record.args = (record.getMessage().splitlines() or [''])[0], None
      record.exc_info, record.exc_text = None, None
    return True


def show_progress() -> None:
  """Logs fwrnn's progress at INFO through absl; quiets the INFO chatter of orbax and JAX."""
  logging.set_verbosity(logging.INFO)
  logging.get_absl_handler().addFilter(_ProgressFilter())


@contextlib.contextmanager
def errors_as_one_line():
  """Turns fwrnn's errors and failed file operations (a missing file, a full disk) raised
  inside into one 'error: ...' line and exit status 1."""
  try:
    yield
  except FwrnnError as e:
    sys.exit(f'error: {e}')
  except OSError as e:
    where = f': {e.filename}' if e.filename else ''
    sys.exit(f'error: {e.strerror or _one_line(e)}{where}')


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing for app.run, with one line instead of a traceback when a flag, the
  config file or a --config.a.b override is wrong."""
  if any(a in HELP_FLAGS for a in argv[1:]):
    print_help(argv, sys.modules['__main__'].__doc__ or '')
    sys.exit(0)
  try:
    rest = flags.FLAGS(argv)
    for name in flags.FLAGS:  # ml_collections defers a config file's load error to first use
      getattr(flags.FLAGS[name].value, 'to_dict', None)
    return rest
  except flags.Error as e:
    sys.exit(f'error: {_one_line(e)}')
  except (AttributeError, KeyError) as e:  # an override of a field the config lacks
    sys.exit(f'error: {_unknown_field(e)}')
  except Exception as e:  # a config file's own error, of any kind
    while e.__cause__ is not None:
      e = e.__cause__
    sys.exit(f'error: the config cannot be read: {type(e).__name__}: {_one_line(e)}')


def _unknown_field(error: Exception) -> str:
  """'no config field hiden_size (did you mean hidden_size?)' from ml_collections' message."""
  text = _one_line(error)
  name = re.search(r"'+([\w.]+)'", text)
  guess = re.search(r'Did you mean "([\w.]+)"', text)
  line = f'no config field {name.group(1) if name else text}'
  return line + (f' (did you mean {guess.group(1)}?)' if guess else '')


def _one_line(error: Exception) -> str:
  text = str(error.args[0]) if len(error.args) == 1 else str(error)
  return ' '.join(text.replace('\\n', ' ').replace("\\'", "'").split())


def print_help(argv: list[str], doc: str) -> None:
  """The script's usage, its flags, how to override config fields, and the config's fields
  with their defaults and allowed values (from the rules that validation uses)."""
  from fwrnn.engine import run_dir  # the full library only when asked
  from fwrnn.engine.kind import kind_of
  lines = [doc.strip(), '', flags.FLAGS.main_module_help().strip(), '',
           'Any config field can be set on the command line: --config.model.hidden_size=20,',
           "--config.train.learning_rate=3e-4. A config file's variant follows a colon:",
           '--config=configs/FILE.py:tiny. Every value is checked before anything runs.']
  try:
    flags.FLAGS([a for a in argv if a not in HELP_FLAGS])
    config = flags.FLAGS['config'].value
    flat = run_dir.flatten_config(config)
    field_rules = kind_of(config).rules()
  except Exception:  # no config given, or one that cannot be read: the general help only
    print('\n'.join(lines + ['', 'Give --config=FILE with --help to list its fields.']))
    return
  width = max(map(len, flat))
  lines += ['', f'Fields of {flags.FLAGS["config"].config_filename} (default, then allowed):']
  for field, value in flat.items():
    rule = field_rules.get(field)
    lines.append(f'  {field:<{width}}  {value!r:<26} {rule.allowed() if rule else ""}'.rstrip())
  print('\n'.join(lines))
