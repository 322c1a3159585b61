"""Test-session settings: a compilation cache shared by the tests and the scripts they start.

The tests train many tiny runs of the same shapes; each would otherwise compile the same
programs again (seconds each). The cache lives in a fresh folder per session, so nothing
from another session or version is reused.
"""

import os
import tempfile

import jax
import pytest


@pytest.fixture(scope='session', autouse=True)
def compilation_cache():
  with tempfile.TemporaryDirectory(prefix='fwrnn-test-jit-') as folder:
    settings = {'jax_compilation_cache_dir': folder,
                'jax_persistent_cache_min_compile_time_secs': 0,
                'jax_persistent_cache_min_entry_size_bytes': 0}
    previous = {name: os.environ.get(name.upper()) for name in settings}
    for name, value in settings.items():
      jax.config.update(name, value)
      os.environ[name.upper()] = str(value)  # the scripts that tests start read these
    yield
    for name, value in previous.items():
      if value is None:
        os.environ.pop(name.upper(), None)
      else:
        os.environ[name.upper()] = value
