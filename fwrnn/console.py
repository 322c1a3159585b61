"""What the command-line scripts show: fwrnn's progress lines, other libraries' warnings, and
one line for a bad flag or config."""

import logging as std_logging
import os
import re
import sys

from absl import flags, logging

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


class _ProgressFilter(std_logging.Filter):
  """Passes fwrnn's own records at every level and other code's warnings and errors."""

  def filter(self, record: std_logging.LogRecord) -> bool:
    return (record.levelno >= std_logging.WARNING
            or os.path.abspath(record.pathname).startswith(_PACKAGE_DIR))


def show_progress() -> None:
  """Logs fwrnn's progress at INFO through absl; quiets the INFO chatter of orbax and JAX."""
  logging.set_verbosity(logging.INFO)
  logging.get_absl_handler().addFilter(_ProgressFilter())


def parse_flags(argv: list[str]) -> list[str]:
  """absl's flag parsing for app.run, with one line instead of a traceback when a flag, the
  config file or a --config.a.b override is wrong."""
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
