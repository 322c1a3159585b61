"""Errors that the scripts report as one line, without a traceback."""


class FwrnnError(Exception):
  """A problem with the user's input or run directory, stated in one line."""


class ConfigError(FwrnnError):
  """A config field outside its allowed range."""


class DataError(FwrnnError):
  """A sequence, data file or split that does not fit the task."""


class RunError(FwrnnError):
  """A run directory that cannot be used, or a run that cannot go on."""
