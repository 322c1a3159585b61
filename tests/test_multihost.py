"""The multi-host path: two processes on this machine joined by jax.distributed (a loopback
coordinator, CPU collectives) run one sweep, and get what one process gets."""

import os
import socket
import subprocess
import sys

import pytest

from fwrnn.engine import csv_rows, sweep
from tests.runs import cpu_devices_env

GRID = '--grid=seed=0,1 train.learning_rate=1e-3,3e-3'
NUMBERS = ('test_accuracy', 'valid_error', 'best_step', 'steps')


def free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def sweep_command(sweep_dir) -> list[str]:
  return [sys.executable, 'scripts/sweep.py', '--config=configs/assoc_recall.py:tiny', GRID,
          f'--sweep_dir={sweep_dir}']


@pytest.mark.slow  # two JAX processes (45 s on a 2-core AMD EPYC): pytest -m slow runs it
def test_two_processes_sweep_like_one_and_only_the_first_writes(tmp_path):
  # One process with 4 CPU devices, and two processes with 2 each: the same 2 × 2 mesh.
  alone = subprocess.run(sweep_command(tmp_path / 'one'), capture_output=True, text=True,
                         timeout=300, env=cpu_devices_env(4))
  assert alone.returncode == 0, alone.stderr
  port = free_port()
  processes = [subprocess.Popen(
      sweep_command(tmp_path / 'two') + ['--multihost'], stdout=subprocess.PIPE,
      stderr=subprocess.PIPE, text=True,
      env=cpu_devices_env(2, JAX_COORDINATOR_ADDRESS=f'127.0.0.1:{port}',
                          JAX_NUM_PROCESSES='2', JAX_PROCESS_ID=str(i))) for i in range(2)]
  outputs = [p.communicate(timeout=300) for p in processes]
  for p, (_, err) in zip(processes, outputs):
    assert p.returncode == 0, err[-3000:]
  assert '4 members; table in' in outputs[0][0] and 'table in' not in outputs[1][0]
  one = csv_rows.read_csv(str(tmp_path / 'one' / sweep.SWEEP_CSV))
  two = csv_rows.read_csv(str(tmp_path / 'two' / sweep.SWEEP_CSV))
  assert [r['devices'] for r in two] == [4] * 4
  for a, b in zip(one, two):
    for key in NUMBERS:
      assert a[key] == pytest.approx(b[key], abs=1e-6), key
  for row in two:
    events = [n for n in os.listdir(os.path.join(row['workdir'], 'tb')) if 'tfevents' in n]
    assert len(events) == 1, events  # one writer: the first process's
