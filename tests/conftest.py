"""Test-session settings: XLA's backend optimisation off, and a compilation cache shared by the
tests, the workers that run them side by side (pytest-xdist) and the scripts they start.

The tests train many tiny runs of the same shapes; each would otherwise compile the same
programs again (seconds each). The cache lives in a fresh folder made by the session's first
process and removed at its end, so nothing from another session or version is reused.
"""

import os
import shutil
import tempfile

import jax
import pytest

CACHE_VARIABLE = 'FWRNN_TEST_JIT_DIR'
# The tests compile hundreds of tiny programs and run each for a few steps: on a CPU, XLA's
# backend optimisation (LLVM) is most of their time, and nothing they check depends on it. The
# scripts they start inherit the setting (tests/runs.py: cpu_devices_env).
UNOPTIMISED = '--xla_backend_optimization_level=0'
if UNOPTIMISED not in os.environ.get('XLA_FLAGS', ''):
  os.environ['XLA_FLAGS'] = f"{os.environ.get('XLA_FLAGS', '')} {UNOPTIMISED}".strip()
# Tests run on the CPU; where an accelerator is present, no worker takes all of its memory.
os.environ.setdefault('XLA_PYTHON_CLIENT_PREALLOCATE', 'false')


def pytest_configure(config):
  if not hasattr(config, 'workerinput'):  # the session's first process: workers inherit it
    config.fwrnn_cache = tempfile.mkdtemp(prefix='fwrnn-test-jit-')
    os.environ[CACHE_VARIABLE] = config.fwrnn_cache


def pytest_unconfigure(config):
  if getattr(config, 'fwrnn_cache', None):
    shutil.rmtree(config.fwrnn_cache, ignore_errors=True)


@pytest.fixture(scope='session', autouse=True)
def compilation_cache():
  settings = {'jax_compilation_cache_dir': os.environ[CACHE_VARIABLE],
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
