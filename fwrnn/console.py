"""What the command-line scripts show: fwrnn's progress lines, other libraries' warnings."""

import logging as std_logging
import os

from absl import logging

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
