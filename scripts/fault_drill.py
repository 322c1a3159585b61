r"""The faults of a researcher's everyday mistakes, played against checkouts side by side:

    git worktree add /tmp/before <commit>
    python scripts/fault_drill.py --checkouts=/tmp/before,. --out=results/reliability/drill.md

Each fault is played on tiny runs with each checkout's own scripts, in a fresh folder, as a user
would type the commands (an empty step folder beside good ones, two trainers on one directory,
a finished run rerun with another rate, a start without its data, a batch larger than the
training set, a curve cut mid-line, a signal while compiling, a seed named twice, another
number of devices, an unreadable unverified checkpoint, a write that fails). What each ended
in (exit status, tracebacks, what happened to the files) is one row of a markdown table.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
from absl import app, flags
from matplotlib import image as mpimg

from fwrnn.tasks import multipie

_CHECKOUTS = flags.DEFINE_list('checkouts', None, 'Folders of the checkouts to play them on.')
_OUT = flags.DEFINE_string('out', None, 'Markdown file for the table (default: print it).')
flags.mark_flags_as_required(['checkouts'])

TINY = '--config=configs/assoc_recall.py:tiny'
TIMEOUT = 180


class Drill:
  """One checkout's scripts, run in a scratch folder."""

  def __init__(self, checkout: str, scratch: str):
    self.checkout, self.scratch = os.path.abspath(checkout), scratch

  def start(self, script: str, *args, devices: int = 1, file_limit_kb: int | None = None):
    env = dict(os.environ, XLA_FLAGS=f'--xla_force_host_platform_device_count={devices}',
               PYTHONPATH=self.checkout)
    command = [sys.executable, os.path.join('scripts', script), *args]
    if file_limit_kb is not None:
      command = ['bash', '-c', f"trap '' XFSZ; ulimit -f {file_limit_kb}; exec \"$@\"", 'bash',
                 *command]
    return subprocess.Popen(command, cwd=self.checkout, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)

  def run(self, script: str, *args, **options) -> tuple[str, str]:
    """(how it ended, its stderr): 'exit 0', 'exit 1, 2 tracebacks', 'hung (killed at 180 s)'."""
    process = self.start(script, *args, **options)
    try:
      _, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
      process.kill()
      _, err = process.communicate()
      return f'hung (killed at {TIMEOUT} s)', err
    return ended(process.returncode, err), err

  def path(self, *parts) -> str:
    return os.path.join(self.scratch, *parts)

  def train(self, workdir: str, steps: int, *extra, **options) -> tuple[str, str]:
    return self.run('train.py', TINY, f'--workdir={workdir}', f'--config.train.num_steps={steps}',
                    '--config.train.eval_every=100', *extra, **options)


def ended(returncode: int, err: str) -> str:
  tracebacks = err.count('Traceback (most recent call last)')
  text = f'exit {returncode}' if returncode >= 0 else f'killed by signal {-returncode}'
  return text + (f', {tracebacks} traceback{"s" * (tracebacks > 1)}' if tracebacks else '')


def last_line(err: str) -> str:
  lines = [line for line in err.strip().splitlines() if line.strip()]
  return (lines[-1] if lines else '')[:110]


def resumed_from(err: str) -> str:
  found = re.search(r'Resuming \S+ from step (\d+)', err)
  return f'resumed from step {found.group(1)}' if found else 'trained from step 0'


def empty_step_folder(d: Drill) -> str:
  d.train(d.path('run'), 300)
  os.mkdir(d.path('run', 'checkpoints', '400'))
  how, err = d.train(d.path('run'), 500)
  return f'{how}; {resumed_from(err)} (good steps 200, 300)'


def two_trainers(d: Drill) -> str:
  args = (TINY, f'--workdir={d.path("run")}', '--config.train.num_steps=600',
          '--config.train.eval_every=100')
  first = d.start('train.py', *args)
  time.sleep(0.5)
  second = d.start('train.py', *args)
  outs = [p.communicate(timeout=TIMEOUT)[1] for p in (first, second)]
  steps = np.loadtxt(d.path('run', 'valid_curve.csv'), delimiter=',', skiprows=1, ndmin=2)[:, 0]
  return (f'first {ended(first.returncode, outs[0])}, second {ended(second.returncode, outs[1])}'
          f'; curve: {len(steps)} rows, {len(steps) - len(set(steps))} duplicated steps')


def rerun_with_another_rate(d: Drill) -> str:
  d.train(d.path('run'), 100)
  how, err = d.train(d.path('run'), 100, '--config.train.learning_rate=0.003')
  with open(d.path('run', 'config.json')) as f:
    recorded = re.search(r'"learning_rate": ([\d.e-]+)', f.read()).group(1)
  return f'{how}; config.json now says rate {recorded} (trained at 0.001): {last_line(err)}'


def start_without_data(d: Drill) -> str:
  how, err = d.run('train.py', '--config=configs/mnist_glimpses.py:tiny',
                   f'--workdir={d.path("run")}', f'--config.data.dir={d.path("nowhere")}')
  left = sorted(os.listdir(d.path('run'))) if os.path.exists(d.path('run')) else []
  return f'{how}; left in the workdir: {", ".join(left) or "nothing"}'


def batch_larger_than_training_set(d: Drill) -> str:
  rng = np.random.default_rng(0)
  for split in ('train', 'valid', 'test'):
    for expression in multipie.EXPRESSIONS:
      os.makedirs(d.path('faces', split, expression))
      mpimg.imsave(d.path('faces', split, expression, '0.png'),
                   rng.integers(0, 255, (48, 48)).astype(np.uint8), cmap='gray')
  how, err = d.run('train.py', '--config=configs/multipie.py:tiny', f'--workdir={d.path("run")}',
                   f'--config.data.dir={d.path("faces")}', '--config.train.batch_size=16')
  return f'{how} (6 training faces, batch 16): {last_line(err)}'


def curve_cut_mid_line(d: Drill) -> str:
  d.train(d.path('run'), 300)
  curve = d.path('run', 'valid_curve.csv')
  with open(curve) as f:
    text = f.read()
  with open(curve, 'w') as f:
    f.write(text[:text.index('\n200,') + 8])  # the row of step 200 cut, 300 lost with it
  how, _ = d.train(d.path('run'), 400)
  with open(curve) as f:
    rows = f.read().splitlines()[1:]
  whole = sum(len(r.split(',')) == 3 and r.count('.') == 2 for r in rows)
  report, err = d.run('report.py', f'--sweep_dir={d.scratch}', f'--out_dir={d.path("report")}')
  return (f'resume {how}; curve steps {[r.split(",")[0] for r in rows]}, '
          f'{len(rows) - whole} damaged kept; report {report}')


def signal_while_compiling(d: Drill) -> str:
  process = d.start('train.py', TINY, f'--workdir={d.path("run")}')
  err = ''
  for line in process.stderr:
    err += line
    if 'Compiling' in line:
      process.send_signal(signal.SIGINT)
      break
  err += process.communicate(timeout=TIMEOUT)[1]
  return f'{ended(process.returncode, err)}, {len(err.strip().splitlines())} lines'


def seed_named_twice(d: Drill) -> str:
  how, err = d.run('train_catch.py', '--config=configs/catch.py:tiny', '--seeds=0,0',
                   f'--workdir={d.path("run")}')
  return f'{how}: {last_line(err)}'


def another_device_count(d: Drill) -> str:
  d.train(d.path('run'), 200, '--config.train.batch_size=16')
  how, err = d.train(d.path('run'), 400, '--config.train.batch_size=16', devices=2)
  return f'{how}: {last_line(err)}'


def unreadable_unverified_checkpoint(d: Drill) -> str:
  d.train(d.path('run'), 300)
  step = d.path('run', 'checkpoints', '300')
  for root, _, names in os.walk(step):
    for name in names:
      if name == 'fwrnn_checksums.json':
        os.remove(os.path.join(root, name))
      elif os.path.basename(root) == 'd':
        os.truncate(os.path.join(root, name), 10)
  how, err = d.train(d.path('run'), 400)
  return f'{how}, {len(err.strip().splitlines())} lines; {resumed_from(err)}'


def write_that_fails(d: Drill) -> str:
  how, err = d.train(d.path('run'), 600, file_limit_kb=16)
  again, _ = d.train(d.path('run'), 600)
  return f'{how}, {len(err.strip().splitlines())} lines; the same command then: {again}'


FAULTS = (
    ('1', 'an empty step folder beside good steps', empty_step_folder),
    ('2', 'two trainers started 0.5 s apart on one workdir', two_trainers),
    ('3', 'a finished run rerun with another learning rate', rerun_with_another_rate),
    ('4', 'a start without its data', start_without_data),
    ('5', 'Multi-PIE with fewer training faces than the batch', batch_larger_than_training_set),
    ('6', 'the curve cut mid-line, then a resume and a report', curve_cut_mid_line),
    ('7', 'SIGINT while compiling', signal_while_compiling),
    ('8', 'Catch with --seeds=0,0', seed_named_twice),
    ('9', 'a resume on 2 devices of a run begun on 1', another_device_count),
    ('10', 'an unverified checkpoint with its data cut short', unreadable_unverified_checkpoint),
    ('10', 'a write that fails (files over 16 KB, as a full disk)', write_that_fails),
)


def main(argv):
  del argv
  names = [os.path.basename(os.path.abspath(c)) or c for c in _CHECKOUTS.value]
  lines = ['| # | fault | ' + ' | '.join(names) + ' |', '|---|---|' + '---|' * len(names)]
  for number, fault, play in FAULTS:
    cells = []
    for checkout in _CHECKOUTS.value:
      with tempfile.TemporaryDirectory() as scratch:
        try:
          cells.append(play(Drill(checkout, scratch)).replace('|', '/'))
        except Exception as e:  # a checkout that broke the drill itself: say so in its cell
          cells.append(f'drill failed: {type(e).__name__}: {str(e)[:80]}')
      print(f'{number} {fault}: {cells[-1]}', flush=True)
    lines.append(f'| {number} | {fault} | ' + ' | '.join(cells) + ' |')
  table = '\n'.join(lines) + '\n'
  if _OUT.value:
    os.makedirs(os.path.dirname(_OUT.value) or '.', exist_ok=True)
    with open(_OUT.value, 'w') as f:
      f.write(table)
  print(table)


if __name__ == '__main__':
  app.run(main)
