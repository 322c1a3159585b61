"""Faults injected into tiny runs: damaged and deleted files, changed configs, concurrent
sweeps and bad input (kills and signals: test_faults_processes.py). Nothing may end silently
wrong, and nothing the user had may be lost: every resumed run must end exactly where an
uninterrupted one ends."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from configs import assoc_recall
from fwrnn.engine import run_dir
from fwrnn.engine import sweep
from fwrnn.engine import loop as train
from fwrnn.engine.checkpoints import CHECKSUMS, DAMAGED_DIR
from fwrnn.engine.lock import DirectoryLock
from fwrnn.report import common
from fwrnn.engine.inference import TrainedRun
from fwrnn.errors import ConfigError, DataError, RunError
from tests.runs import copy_run, tiny


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
  """Uninterrupted runs of the tiny config, trained once for the module: {steps: workdir}."""
  base = tmp_path_factory.mktemp('trained')
  workdirs = {steps: str(base / str(steps)) for steps in (20, 40, 60)}
  for steps, workdir in workdirs.items():
    train.train_and_evaluate(tiny(num_steps=steps), workdir)
  return workdirs


@pytest.fixture(scope='module')
def reference(trained):
  """The results of the uninterrupted run of 60 steps."""
  return {'short': run_dir.read_results(trained[60])}


def newest_step_dir(workdir) -> str:
  folder = os.path.join(workdir, 'checkpoints')
  return os.path.join(folder, str(max(int(n) for n in os.listdir(folder) if n.isdigit())))


@pytest.mark.filterwarnings('error::pytest.PytestUnraisableExceptionWarning')  # reads orbax drops
@pytest.mark.parametrize('fault', ['flip_bytes', 'truncate', 'delete_file', 'no_checksums',
                                   'damaged_without_checksums', 'leftover_temporary',
                                   'unfinished_step'])
def test_a_damaged_newest_checkpoint_is_set_aside_and_the_run_resumes_exactly(
    trained, reference, tmp_path, capfd, fault):
  workdir = copy_run(trained[40], tmp_path / fault)
  assert sorted(os.listdir(os.path.join(workdir, 'checkpoints'))) == ['20', '40']
  step_dir = newest_step_dir(workdir)
  files = sorted(os.path.join(root, n) for root, _, names in os.walk(step_dir) for n in names
                 if n != CHECKSUMS)
  data = max(files, key=os.path.getsize)
  if fault == 'flip_bytes':
    with open(data, 'r+b') as f:
      f.seek(os.path.getsize(data) // 2)
      chunk = f.read(4)
      f.seek(-4, 1)
      f.write(bytes(b ^ 0xFF for b in chunk))
  elif fault == 'truncate':
    os.truncate(data, os.path.getsize(data) // 2)
  elif fault == 'delete_file':
    os.remove(data)
  elif fault == 'no_checksums':  # an older fwrnn's, or killed between orbax's commit and the sums
    os.remove(os.path.join(step_dir, CHECKSUMS))
  elif fault == 'damaged_without_checksums':  # found unreadable only when orbax reads it
    os.remove(os.path.join(step_dir, CHECKSUMS))
    for path in files:
      if os.path.basename(os.path.dirname(path)) == 'd':  # the arrays' data
        os.truncate(path, 10)
  elif fault == 'leftover_temporary':  # killed while orbax was writing: its temporary folder
    shutil.copytree(step_dir, f'{step_dir}.orbax-checkpoint-tmp-1234')
  else:  # killed between orbax's creating a step's folder and its first write
    os.mkdir(os.path.join(workdir, 'checkpoints', '60'))
  capfd.readouterr()
  resumed = train.train_and_evaluate(tiny(num_steps=60), workdir)
  assert resumed.outcome() == reference['short'].outcome()
  assert 'Traceback' not in capfd.readouterr().err  # and no error of abandoned reads (above)
  damaged = os.path.join(workdir, DAMAGED_DIR)
  if fault in ('leftover_temporary', 'no_checksums'):  # orbax's own folder is removed; a step
    assert not os.path.exists(damaged)                 # orbax completed is used unverified
  elif fault == 'unfinished_step':  # set aside alone: the run went on from its neighbour, 40
    assert os.listdir(damaged) == ['60']
  else:  # only the damaged step is set aside (kept, not deleted); the run went on from 20
    assert os.listdir(damaged) == ['40']
  assert not any('tmp' in n for n in os.listdir(os.path.join(workdir, 'checkpoints')))


def test_checkpoints_without_a_readable_config_are_refused_and_left_as_they_were(trained,
                                                                                   tmp_path):
  workdir = copy_run(trained[20], tmp_path / 'orphan')
  os.remove(os.path.join(workdir, 'config.json'))
  other = tiny(num_steps=40)
  other.data.seed, other.model.inner_steps = 1, 2
  before = sorted(os.listdir(os.path.join(workdir, 'checkpoints')))
  with pytest.raises(RunError, match='has checkpoints but no config.json'):
    train.train_and_evaluate(other, workdir)
  assert not os.path.exists(os.path.join(workdir, 'config.json'))
  assert sorted(os.listdir(os.path.join(workdir, 'checkpoints'))) == before
  with open(os.path.join(workdir, 'config.json'), 'w') as f:
    f.write('{"seed": 0, "mod')  # cut short
  with pytest.raises(RunError, match='is not a readable config'):
    train.train_and_evaluate(other, workdir)
  with open(os.path.join(workdir, 'config.json')) as f:
    assert f.read() == '{"seed": 0, "mod'


def test_a_damaged_results_file_is_kept_aside_and_rewritten(trained, reference, tmp_path):
  workdir = copy_run(trained[60], tmp_path / 'results')
  with open(os.path.join(workdir, 'results.json'), 'w') as f:
    f.write('{"steps": 6')
  again = train.train_and_evaluate(tiny(num_steps=60), workdir)
  assert again.outcome() == reference['short'].outcome()
  with open(os.path.join(workdir, 'results_damaged.json')) as f:
    assert f.read() == '{"steps": 6'
  assert run_dir.read_results(workdir).outcome() == reference['short'].outcome()


def test_a_finished_run_without_checkpoints_is_never_trained_again_over_its_results(
    tmp_path, caplog):
  """Given more steps where its checkpoints are gone (another machine), a run refuses to start
  again from step 0, and a sweep keeps the member as it is and trains the others on."""
  grid = [{'seed': 0}, {'seed': 1}]
  rows = sweep.run_sweep(tiny(num_steps=20), grid, str(tmp_path))
  workdir = rows[0]['workdir']
  shutil.rmtree(os.path.join(workdir, 'checkpoints'))
  with open(os.path.join(workdir, run_dir.CURVE_FILE)) as f:
    curve = f.read()
  with pytest.raises(RunError, match='holds a finished run of 20 steps but no checkpoint to '
                                     'continue it from'):
    train.train_and_evaluate(tiny(num_steps=40), workdir)
  again = sweep.run_sweep(tiny(num_steps=40), grid, str(tmp_path))
  assert [r['steps'] for r in again] == [20, 40]
  assert 'kept at its 20 steps, below train.num_steps=40' in caplog.text
  with open(os.path.join(workdir, run_dir.CURVE_FILE)) as f:
    assert f.read() == curve
  assert again[0] == rows[0]


def test_a_sweep_never_reports_another_experiments_results(tmp_path):
  sweep_dir = str(tmp_path / 'sweep')
  grid = [{'seed': 0}, {'seed': 1}]
  rows = sweep.run_sweep(tiny(num_steps=20), grid, sweep_dir)
  with open(os.path.join(sweep_dir, sweep.SWEEP_CSV)) as f:
    table = f.read()
  changed = tiny(num_steps=20)
  changed.model.hidden_size, changed.data.num_pairs = 9, 3
  with pytest.raises(ConfigError, match=r'sweep member seed=0 in .* holds a run with '
                                        r'data.num_pairs=4, not 3'):
    sweep.run_sweep(changed, grid, sweep_dir)
  with open(os.path.join(sweep_dir, sweep.SWEEP_CSV)) as f:
    assert f.read() == table
  with open(os.path.join(rows[0]['workdir'], 'results.json'), 'w') as f:
    f.write('not json')
  again = sweep.run_sweep(tiny(num_steps=20), grid, sweep_dir)  # retrains the damaged member
  assert [r['test_accuracy'] for r in again] == [r['test_accuracy'] for r in rows]


def test_a_report_writes_beside_its_sweep_and_never_replaces_a_file(tmp_path):
  sweep_dir = tmp_path / 'sweep'
  sweep.run_sweep(tiny(num_steps=20), [{'seed': 0}, {'seed': 1}], str(sweep_dir))
  command = [sys.executable, 'scripts/report.py', '--table=table1', f'--sweep_dir={sweep_dir}']
  first = subprocess.run(command, capture_output=True, text=True, timeout=120)
  assert first.returncode == 0, first.stderr
  with open(sweep_dir / 'report' / 'table1.md') as f:
    text = f.read()
  assert 'scripts/report.py --table=table1' in text and 'configs/table1.py' not in text
  assert run_dir.read_results(str(sweep_dir / 'seed=0')).machine in text
  second = subprocess.run(command, capture_output=True, text=True, timeout=120)
  assert second.returncode != 0
  assert second.stderr.strip() == (f'error: {sweep_dir / "report" / "table1.md"} is already '
                                   'there; give --overwrite to replace it, or another --out_dir')
  with open(sweep_dir / 'report' / 'table1.md') as f:
    assert f.read() == text


BAD_TRAIN_FLAGS = [
    (['--config.model.hiden_size=3'], 'error: no config field hiden_size (did you mean hidden_size?)'),
    (['--config.train.learning_rate=inf'], 'error: config field train.learning_rate must be > 0, got inf'),
    (['--config.model.inner_steps=64'], 'error: config field model.inner_steps must be an integer '
     'in 0..16 (each is unrolled into the compiled step and its gradient), got 64'),
    (['--config.train.learning_rate=abc'], "error: flag --config.train.learning_rate=abc: could not "
     "convert string to float: 'abc'"),
]


@pytest.mark.parametrize('extra, message', BAD_TRAIN_FLAGS, ids=lambda v: str(v)[:30])
def test_bad_flags_get_one_line(tmp_path, extra, message):
  out = subprocess.run([sys.executable, 'scripts/train.py', '--config=configs/assoc_recall.py:tiny',
                        f'--workdir={tmp_path / "run"}', *extra], capture_output=True, text=True,
                       timeout=120)
  assert out.returncode != 0 and out.stderr.strip() == message
  assert not (tmp_path / 'run').exists()


def test_bad_config_files_and_workdirs_get_one_line(tmp_path):
  broken = tmp_path / 'broken.py'
  broken.write_text('def get_config(:\n')
  a_file = tmp_path / 'a_file'
  a_file.write_text('mine')
  cases = [
      (['--config=configs/nothere.py'], "error: the config cannot be read: OSError: Failed loading"),
      ([f'--config={broken}'], 'error: the config cannot be read: SyntaxError: invalid syntax'),
      (['--config=configs/assoc_recall.py:tiny', f'--workdir={a_file}'],
       f'error: {a_file} is a file, not a run directory; choose another --workdir'),
      (['--config=configs/assoc_recall.py:tiny', '--workdir=/proc/fwrnn_run'],
       'error: cannot write the run directory /proc/fwrnn_run:'),
  ]
  for args, start in cases:
    out = subprocess.run([sys.executable, 'scripts/train.py', *args], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(start), out.stderr[-1500:]
  assert a_file.read_text() == 'mine'


def test_bad_example_files_get_one_line(trained, tmp_path):
  import numpy as np
  workdir = copy_run(trained[20], tmp_path / 'run')
  empty, npy, bad_grid = tmp_path / 'empty.npz', tmp_path / 'array.npz', tmp_path / 'g'
  np.savez(empty, x=np.zeros((0, 11), np.int32), y=np.zeros((0,), np.int32))
  with open(npy, 'wb') as f:
    np.save(f, np.zeros((3, 11), np.int32))
  task = TrainedRun(workdir).task  # what evaluate.py --data reads
  for path, message in [(empty, f'{empty} holds no examples'),
                        (npy, f'{npy} holds a single array, not an .npz archive of arrays x and y')]:
    with pytest.raises(DataError) as raised:
      task.read_examples(str(path))
    assert str(raised.value) == message
  out = subprocess.run([sys.executable, 'scripts/evaluate.py', f'--workdir={workdir}',
                        f'--data={tmp_path}'], capture_output=True, text=True, timeout=120)
  assert out.returncode != 0
  assert out.stderr.strip() == f'error: {tmp_path} is a directory; give a .txt or .npz file'
  out = subprocess.run([sys.executable, 'scripts/sweep.py', '--config=configs/assoc_recall.py:tiny',
                        '--grid=train.learning_rate=abc', f'--sweep_dir={bad_grid}'],
                       capture_output=True, text=True, timeout=120)
  assert out.returncode != 0
  assert out.stderr.strip() == "error: sweep field train.learning_rate has a different type than 'abc'"
  assert not bad_grid.exists()


def test_a_second_sweep_on_a_member_that_trains_is_refused(tmp_path):
  grid = sweep.parse_grid('seed=0,1')
  held = DirectoryLock(str(tmp_path / 'seed=1'))  # as another sweep training seed 1 holds it
  try:
    with pytest.raises(RunError, match=r'seed=1 is in use by process'):
      sweep.run_sweep(tiny(), grid, str(tmp_path))
  finally:
    held.release()
  assert not os.path.exists(tmp_path / 'seed=0' / 'valid_curve.csv')  # nothing half-trained


def test_a_finished_run_given_another_rate_is_refused_and_left_as_it_was(trained, tmp_path):
  workdir = tmp_path / 'finished'
  copy_run(trained[20], workdir)
  before = {n: (workdir / n).read_text() for n in ('config.json', 'results.json')}
  faster = tiny(num_steps=20, learning_rate=3e-3)
  with pytest.raises(RunError, match=r'holds a finished run \(it would train nothing more\) '
                                     'with train.learning_rate=0.001, not 0.003'):
    train.train_and_evaluate(faster, str(workdir))
  with pytest.raises(RunError, match='trained for 20 steps, past train.num_steps=10'):
    train.train_and_evaluate(tiny(num_steps=10), str(workdir))
  assert {n: (workdir / n).read_text() for n in before} == before


@pytest.mark.parametrize('field, value, message', [
    ('train.learning_rate', 3e-3, 'holds a finished run with train.learning_rate=0.001'),
    ('train.grad_clip_norm', 1.0, 'holds a finished run with train.grad_clip_norm=5.0'),
    ('train.patience', 3, 'holds a finished run with train.patience=0'),
    ('train.num_steps', 10, 'trained for 20 steps, past train.num_steps=10')])
def test_a_sweep_rerun_with_another_base_never_reports_old_results_as_new(tmp_path, field, value,
                                                                          message):
  grid = sweep.parse_grid('seed=0')
  sweep.run_sweep(tiny(num_steps=20), grid, str(tmp_path))
  table = (tmp_path / sweep.SWEEP_CSV).read_text()
  changed = tiny(num_steps=20)
  changed.update_from_flattened_dict({field: value})
  with pytest.raises(ConfigError, match=message):
    sweep.run_sweep(changed, grid, str(tmp_path))
  assert (tmp_path / sweep.SWEEP_CSV).read_text() == table


def test_a_resume_on_another_number_of_devices_is_refused(trained, tmp_path):
  workdir = tmp_path / 'run'
  copy_run(trained[20], workdir)
  record = json.loads((workdir / 'wall_time.json').read_text())
  assert record['devices'] == 1  # this test process has one device
  record['devices'] = 2  # as if the first part had trained on two (scripts/train.py on 2 cores)
  (workdir / 'wall_time.json').write_text(json.dumps(record))
  with pytest.raises(RunError, match='trained on 2 devices and would resume on 1'):
    train.train_and_evaluate(tiny(num_steps=40), str(workdir))
  assert sorted(os.listdir(workdir / 'checkpoints')) == ['20']


def test_a_curve_cut_mid_line_is_kept_aside_and_the_run_resumes_from_its_intact_rows(
    trained, reference, tmp_path):
  workdir = tmp_path / 'cut'
  copy_run(trained[40], workdir)
  curve = workdir / 'valid_curve.csv'
  text = curve.read_text()
  curve.write_text(text[:-8])  # the row of step 40 cut mid-way, as by a kill or a full disk
  resumed = train.train_and_evaluate(tiny(num_steps=60), str(workdir))
  assert resumed.outcome() == reference['short'].outcome()
  assert (workdir / 'valid_curve_damaged.csv').read_text() == text[:-8]
  steps = [line.split(',')[0] for line in curve.read_text().splitlines()[1:]]
  assert steps == ['20', '60']  # the damaged row set aside, never half-used
  assert run_dir.read_curve(str(workdir)).shape == (2, 3)


def test_a_report_refuses_a_finished_runs_cut_curve_in_one_line(trained, tmp_path):
  workdir = tmp_path / 'runs' / 'cut'
  copy_run(trained[20], workdir)
  curve = workdir / 'valid_curve.csv'
  curve.write_text(curve.read_text()[:-3])  # its last row cut: a number would be misread
  with pytest.raises(RunError, match=r'valid_curve.csv is damaged at line 2 '):
    common.read_runs(str(tmp_path / 'runs'))  # what scripts/report.py reads before writing
