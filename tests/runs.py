"""Tiny runs for the fault tests: the configs, and training in a separate process as a user
starts it (scripts/train.py), read line by line."""

import os
import shutil
import subprocess
import sys

from configs import assoc_recall


def cpu_devices_env(count: int, **variables: str) -> dict[str, str]:
  """The environment of a script a test starts: count CPU devices, the test session's XLA
  flags (tests/conftest.py) and variables."""
  flags = f"{os.environ.get('XLA_FLAGS', '')} --xla_force_host_platform_device_count={count}"
  return dict(os.environ, XLA_FLAGS=flags.strip(), **variables)


# Long enough that kills and interrupts land while it trains: 6 checkpoints.
LONG_TRAIN = dict(num_steps=600, eval_every=100, log_every=50)
LONG = tuple(f'--config.train.{field}={value}' for field, value in LONG_TRAIN.items())


def tiny(**train_overrides):
  config = assoc_recall.get_config('tiny')
  config.train.update(train_overrides)
  return config


def copy_run(workdir, destination) -> str:
  """A copy at destination of a run directory whose run has ended: a run to resume or damage
  without training it again."""
  shutil.copytree(workdir, destination)
  return str(destination)


def long_config():
  return tiny(**LONG_TRAIN)


def start_training(workdir, *extra, file_limit_kb: int | None = None) -> subprocess.Popen:
  """scripts/train.py on the tiny config on one device, as in the test process, so that it
  computes the same numbers; with file_limit_kb, a write beyond that size fails (EFBIG), as on
  a disk that fills up."""
  command = [sys.executable, 'scripts/train.py', '--config=configs/assoc_recall.py:tiny',
             f'--workdir={workdir}', *extra]
  if file_limit_kb is not None:
    command = ['bash', '-c', f"trap '' XFSZ; ulimit -f {file_limit_kb}; exec \"$@\"", 'bash',
               *command]
  return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=cpu_devices_env(1))


def wait_for(process: subprocess.Popen, text: str) -> None:
  """Reads the process's log until a line holds text."""
  for line in process.stderr:
    if text in line:
      return
  raise AssertionError(f'the run ended before {text!r}')
