"""Sweeps and populations: grids, grouping, a member equal to its run alone, several devices."""

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from configs import assoc_recall, table1
from fwrnn import tasks
from fwrnn.engine import population
from fwrnn.report import paper as report
from fwrnn.engine import csv_rows, sweep
from fwrnn.engine import loop as train
from fwrnn.engine.supervised import SupervisedProgram
from fwrnn.engine.checkpoints import Checkpoints
from fwrnn.engine.lock import LOCK_FILE
from fwrnn.errors import ConfigError
from fwrnn.engine.state import Member
from tests.runs import cpu_devices_env

NUMBERS = ('test_accuracy', 'valid_error', 'best_step', 'steps')


def test_grid_is_the_product_of_its_axes():
  grid = sweep.parse_grid('seed=0,1 train.learning_rate=1e-3,3e-3 model.name=lstm')
  assert len(grid) == 4
  assert grid[1] == {'seed': 0, 'train.learning_rate': 3e-3, 'model.name': 'lstm'}
  with pytest.raises(ConfigError, match="'seed' must look like field=value1,value2"):
    sweep.parse_grid('seed')


def test_member_configs_and_their_populations():
  base = assoc_recall.get_config()
  with pytest.raises(ConfigError, match='sweep field model.hiden_size is not a config field'):
    sweep.member_config(base, {'model.hiden_size': 20})
  with pytest.raises(ConfigError, match="sweep field train.learning_rate has a different type"):
    sweep.member_config(base, {'train.learning_rate': 'abc'})
  members = [sweep.member_config(base, o) for o in table1.get_sweep()]
  groups = {train.population_key(c) for c in members}
  assert len(members) == 84 and len(groups) == 12  # 4 models × 3 sizes; rates and seeds shared
  assert sweep.member_config(base, {'train.learning_rate': 1})['train']['learning_rate'] == 1.0


@pytest.fixture(scope='module')
def alone(tmp_path_factory):
  """configs/assoc_recall.py:tiny trained alone, on one device: (its results, its workdir)."""
  workdir = str(tmp_path_factory.mktemp('alone'))
  return train.train_and_evaluate(assoc_recall.get_config('tiny'), workdir), workdir


def assert_same_run(row, alone):
  """A sweep's row and its checkpoint's parameters are those of the run trained alone."""
  solo, workdir = alone
  for key in NUMBERS:
    assert row[key] == pytest.approx(getattr(solo, key), abs=1e-6), key
  restored = [Checkpoints(w).best_params() for w in (workdir, row['workdir'])]
  for a, b in zip(*map(jax.tree.leaves, restored)):
    np.testing.assert_allclose(a, b, rtol=2e-4, atol=2e-6)


def test_population_member_equals_the_same_run_alone(alone, tmp_path):
  rows = sweep.run_sweep(assoc_recall.get_config('tiny'), [  # 4: test_report.py's program
      {'seed': 0, 'train.learning_rate': 1e-3, 'model.fast_lr': 0.5},  # the tiny config's own
      {'seed': 1, 'train.learning_rate': 3e-3, 'model.fast_lr': 0.25},
      {'seed': 2, 'train.learning_rate': 1e-2, 'model.fast_lr': 1.0},
      {'seed': 3, 'train.learning_rate': 3e-3, 'model.fast_lr': 0.5}], str(tmp_path))
  assert rows[0]['population_size'] == 4
  assert_same_run(rows[0], alone)
  assert rows[1]['test_accuracy'] != rows[0]['test_accuracy']
  assert len(csv_rows.read_csv(str(tmp_path / sweep.SWEEP_CSV))) == 4


def test_only_trains_the_matching_part_of_a_sweep_and_lists_every_finished_member(tmp_path):
  base = assoc_recall.get_config('tiny')
  base.train.num_steps = 4
  members = [{'model.name': name, 'seed': seed} for name in ('irnn', 'fast_weights')
             for seed in (0, 1)]
  with pytest.raises(ConfigError, match='--only field model.nme is not a config field'):
    sweep.run_sweep(base, members, str(tmp_path), sweep.parse_grid('model.nme=irnn'))
  with pytest.raises(ConfigError, match='--only matches no member of the sweep'):
    sweep.run_sweep(base, members, str(tmp_path), sweep.parse_grid('model.name=alstm'))
  part = sweep.run_sweep(base, members, str(tmp_path), sweep.parse_grid('model.name=irnn seed=1'))
  assert [(r['model.name'], r['seed']) for r in part] == [('irnn', 1)]
  assert sorted(n for n in os.listdir(tmp_path) if n != LOCK_FILE) == ['name=irnn,seed=1',
                                                                    sweep.SWEEP_CSV]
  rest = sweep.run_sweep(base, members, str(tmp_path), sweep.parse_grid('seed=0,1'))
  assert len(rest) == 4 and len(csv_rows.read_csv(str(tmp_path / sweep.SWEEP_CSV))) == 4
  assert rest[1] == part[0]  # the member already finished was not trained again
  assert len({r['started'] for r in rest}) == 3  # irnn seed 1; later irnn seed 0; the others
  wall = report.population_wall_seconds(rest)
  assert wall['irnn', 8, 2] == pytest.approx(part[0]['train_seconds'] + max(
      r['train_seconds'] for r in rest if r['model.name'] == 'irnn' and r['seed'] == 0))


def test_devices_go_to_members_first_and_split_batches_when_left_over():
  assert population.mesh_layout(2, 16, 128) == (2, 1)
  assert population.mesh_layout(2, 1, 128) == (1, 2)
  assert population.mesh_layout(2, 3, 128) == (1, 2)  # 3 half batches beat 2 whole ones
  assert population.mesh_layout(8, 2, 128) == (2, 4)
  assert population.mesh_layout(8, 1, 6) == (1, 6)  # only as far as the batch divides
  assert population.mesh_layout(1, 5, 128) == (1, 1)


def test_members_stepped_batched_or_one_after_another_agree():
  config = assoc_recall.get_config('tiny')
  members = [config.copy_and_resolve_references() for _ in range(2)]
  members[1].seed, members[1].model.fast_lr, members[1].train.learning_rate = 1, 0.25, 3e-3
  task = tasks.load(config.task)
  splits = task.load_splits(config)
  final = {}
  for loop in ('vmap', 'map'):
    pop = population.Population(2, config.train.batch_size)
    pop.loop = loop
    program = SupervisedProgram(members, task, pop, splits)
    numbers = pop.put([Member.of(c) for c in members])
    state, _ = program.run(program.init(numbers), numbers, 0, 10)
    final[loop] = jax.tree.leaves(pop.to_host(state.params))
  for batched, mapped in zip(final['vmap'], final['map']):
    np.testing.assert_allclose(batched, mapped, rtol=1e-4, atol=1e-6)
  assert not np.allclose(final['map'][0][0], final['map'][0][1])


def test_a_restored_state_is_laid_out_as_the_fresh_one():
  """A state read back from the host (as from checkpoints) and put like the fresh state has
  its very shardings, so a resumed run lowers to the fresh run's program and finds it in a
  compilation cache (a member axis of one device comes out of XLA as no split at all)."""
  config = assoc_recall.get_config('tiny')
  task = tasks.load(config.task)
  pop = population.Population(1, config.train.batch_size)
  program = SupervisedProgram([config], task, pop, task.load_splits(config))
  fresh = program.init(pop.put([Member.of(config)]))
  restored = pop.put(population.unstack(pop.to_host(fresh), 1), like=fresh)
  assert ([x.sharding for x in jax.tree.leaves(restored)]
          == [x.sharding for x in jax.tree.leaves(fresh)])
  assert all(jax.tree.leaves(jax.tree.map(np.array_equal, pop.to_host(restored),
                                          pop.to_host(fresh))))


def test_sweep_on_four_cpu_devices_resumes_and_equals_its_members_alone(alone, tmp_path):
  """The script on 4 host devices, members over 2 of them and every batch split over 2: 20
  steps, then resumed to 40; a member equals its run alone on one device."""
  env = cpu_devices_env(4)
  command = [sys.executable, 'scripts/sweep.py', '--config=configs/assoc_recall.py:tiny',
             f'--sweep_dir={tmp_path}', '--grid=seed=0,1,2 train.learning_rate=1e-3,3e-3']
  half = subprocess.run(command + ['--config.train.num_steps=20'], env=env, capture_output=True,
                        text=True, timeout=300)
  assert half.returncode == 0, half.stderr
  full = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
  assert full.returncode == 0, full.stderr
  assert 'Resuming 6 members from step 20' in full.stderr
  assert '6 members; table in' in full.stdout
  rows = csv_rows.read_csv(str(tmp_path / sweep.SWEEP_CSV))
  assert [r['steps'] for r in rows] == [40] * 6
  assert all(r['population_size'] == 6 and r['devices'] == 4 for r in rows)
  assert population.mesh_layout(4, 6, assoc_recall.get_config('tiny').train.batch_size) == (2, 2)
  assert (rows[0]['seed'], rows[0]['train.learning_rate']) == (0, 1e-3)
  assert_same_run(rows[0], alone)
