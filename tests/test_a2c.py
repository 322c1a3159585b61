"""The actor-critic on Catch: returns, the loss's parts, and learning with a visible ball."""

import os
import re
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from configs import assoc_recall, catch as catch_config
from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.errors import ConfigError
from fwrnn.engine import loop
from fwrnn.errors import RunError
from fwrnn.rl import a2c, catch
from fwrnn.report import catch as catch_report
from fwrnn.report import catch_search
from fwrnn.report import kinds as report_kinds
from fwrnn.report.common import read_runs

RATES = FastDynamics(jnp.float32(0.95), jnp.float32(0.5))


def agent_of(name: str, hidden: int = 32) -> a2c.ActorCritic:
  model = assoc_recall.get_config().model
  model.update(name=name, hidden_size=hidden)
  return a2c.build_agent(model)


def test_returns_discount_the_final_reward_back_to_every_step():
  rewards = jnp.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
  np.testing.assert_allclose(a2c.returns(rewards, 0.5), [[0.25, 0.5, 1.0], [-0.25, -0.5, -1.0]])


def test_an_episode_is_every_game_played_to_its_end_with_the_policys_actions():
  settings = a2c.A2CSettings(catch.CatchParams(size=5, visible_frames=2), num_games=8)
  agent = agent_of('irnn', 8)
  params = agent.init(jax.random.key(0), jnp.zeros((1, 4, 5, 5)), RATES)
  episode = a2c.play_episode(agent, params, RATES, settings, jax.random.key(1))
  assert episode.screens.shape == (8, 4, 5, 5) and episode.actions.shape == (8, 4)
  assert np.all(np.abs(np.asarray(episode.rewards[:, -1])) == 1)
  assert np.all(np.asarray(episode.rewards[:, :-1]) == 0)
  visible = np.asarray(episode.screens).sum((2, 3))
  assert np.all(visible[:, :2] == 2) and np.all(visible[:, 2:] == 0)  # blank after M = 2


def test_the_agent_reads_the_episode_causally():
  """The policy at step t must not depend on the frames after t (they are zeros in play)."""
  agent = agent_of('fast_weights', 8)
  screens = jax.random.uniform(jax.random.key(0), (2, 5, 6, 6))
  params = agent.init(jax.random.key(1), screens, RATES)
  logits, values = agent.apply(params, screens, RATES)
  cut, _ = agent.apply(params, screens.at[:, 3:].set(0.0), RATES)
  np.testing.assert_allclose(logits[:, :3], cut[:, :3], rtol=1e-5, atol=1e-6)
  assert values.shape == (2, 5)


def learn_to_catch(name: str, updates: int = 600) -> float:
  """The catch rate over the last 100 updates of an agent that sees the ball all the way."""
  settings = a2c.A2CSettings(catch.CatchParams(size=6, visible_frames=6), num_games=64)
  agent = agent_of(name)
  tx = optax.chain(optax.clip_by_global_norm(5.0), optax.adam(3e-3))
  state = a2c.init(agent, tx, settings, RATES, seed=0)
  train = jax.jit(a2c.make_train(agent, tx, settings))
  state, _ = train(state, RATES, updates - 100)
  state, sums = train(state, RATES, 100)
  assert float(state.catch_rate) == pytest.approx(float(sums.caught) / 100)
  return float(state.catch_rate)


def test_fast_weights_learn_to_catch_a_visible_ball():
  assert learn_to_catch('fast_weights') >= 0.9


@pytest.mark.slow
@pytest.mark.parametrize('name', ['irnn', 'lstm', 'alstm'])
def test_every_core_learns_to_catch_a_visible_ball(name):
  assert learn_to_catch(name) >= 0.9


def test_a_population_of_catch_runs_logs_checkpoints_and_resumes_exactly(tmp_path):
  configs = []
  for seed in (0, 1):
    config = catch_config.get_config('tiny')
    config.seed = seed
    configs.append(config)
  whole = loop.train_population(configs, [str(tmp_path / f'whole{s}') for s in (0, 1)])
  assert [r.updates for r in whole] == [40, 40] and whole[0].environment_steps == 40 * 8 * 5
  curve = np.loadtxt(tmp_path / 'whole0' / 'catch_curve.csv', delimiter=',', skiprows=1)
  assert curve[:, 0].tolist() == [10, 20, 30, 40]
  assert curve[-1, 2] == pytest.approx(whole[0].final_catch_rate, abs=1e-6)
  assert sorted(os.listdir(tmp_path / 'whole0' / 'checkpoints')) == ['20', '40']
  assert os.listdir(tmp_path / 'whole0' / 'tb')
  short = [c.copy_and_resolve_references() for c in configs]
  for c in short:
    c.train.num_updates = 20
  parts = [str(tmp_path / f'parts{s}') for s in (0, 1)]
  loop.train_population(short, parts)
  resumed = loop.train_population(configs, parts)
  for a, b in zip(whole, resumed):
    assert a.final_catch_rate == b.final_catch_rate and a.updates == b.updates
  np.testing.assert_array_equal(
      np.loadtxt(tmp_path / 'parts1' / 'catch_curve.csv', delimiter=',', skiprows=1),
      np.loadtxt(tmp_path / 'whole1' / 'catch_curve.csv', delimiter=',', skiprows=1))
  rows, configs = read_runs(str(tmp_path))
  [cell] = catch_report.catch_cells(rows, configs)
  assert (cell.model, cell.version) == ('fast_weights', (6, 2, False))
  assert cell.seeds == [0, 0, 1, 1]  # whole and parts, 2 seeds each
  text = catch_report.catch_markdown([cell], rows, 'header', last=1)
  rate = np.mean([r.final_catch_rate for r in whole] * 2)
  assert (f'| N = 6, M = 2 | Fast weights | rate 0.001, η 0.5, λ 0.95 | 0, 0, 1, 1 | 1,600 | '
          f'{100 * rate:.1f} ± ') in text
  for name in ('catch', 'catch_search', 'groups'):  # the report kinds that read Catch runs
    kind = report_kinds.REPORT_KINDS[name]
    report_kinds.write(kind, rows, configs, str(tmp_path / 'report'), 'header')
    for figure in kind.files()[2:]:
      assert (tmp_path / 'report' / figure).read_bytes()[:4] == b'\x89PNG'


def test_the_catch_table_compares_cores_at_the_shortest_budget_of_their_version():
  cell = lambda model, seeds, rates: catch_report.CatchCell(
      model, 6, 2, False, 1e-3, *((0.5, 0.95) if model == 'fast_weights' else (None, None)),
      seeds, 1000.0 * np.arange(1, len(rates[0]) + 1), np.array(rates))
  cells = [cell('lstm', [0, 1], [[0.1, 0.5], [0.3, 0.7]]),
           cell('fast_weights', [0], [[0.2, 0.4, 0.9, 1.0]])]
  text = catch_report.catch_markdown(cells, [], 'header', last=1)
  assert '| LSTM | rate 0.001 | 0, 1 | 2,000 | 60.0 ± 14.1 | 0.20 | 60.0 ± 14.1 at 0.00M |' in text
  assert ('| Fast weights | rate 0.001, η 0.5, λ 0.95 | 0 | 4,000 | 100.0 (1 seed) | 1.00 | '
          '40.0 (1 seed) at 0.00M |' in text)


def test_the_search_chooses_each_cores_setting_by_its_last_tenth_over_seeds():
  steps = 1000.0 * np.arange(1, 21)
  early = np.r_[np.full(10, 0.9), np.full(10, 0.5)]  # high early, lower in the last tenth
  late = np.r_[np.full(10, 0.1), np.full(10, 0.6)]
  cell = lambda model, rate, rates: catch_report.CatchCell(
      model, 6, 2, False, rate, None, None, [0, 1], steps, np.array(rates))
  cells = catch_search.search_cells([
      cell('lstm', 1e-3, [early, early]), cell('lstm', 3e-3, [late, late - 0.2]),
      cell('lstm', 3e-4, [late, late]), cell('irnn', 1e-3, [early, early])])
  assert [(s.cell.model, s.cell.learning_rate, s.chosen) for s in cells] == [
      ('irnn', 1e-3, True), ('lstm', 3e-4, True), ('lstm', 1e-3, False), ('lstm', 3e-3, False)]
  np.testing.assert_allclose(cells[1].scores, [0.6, 0.6])  # the last 2 of 20 points
  text = catch_search.search_markdown(cells, [], 'header')
  assert '| N = 6, M = 2 | LSTM | 3 | 0, 1 | 20,000 | rate 0.0003 | 60.0 ± 0.0 |' in text


@pytest.mark.parametrize('field, value, allowed', [
    ('env.size', 2, 'an integer in 3..256'), ('model.name', 'convnet', 'one of fast_weights'),
    ('train.discount', 1.5, 'in [0, 1]')])
def test_a_bad_catch_config_names_its_field(field, value, allowed):
  config = catch_config.get_config('tiny')
  config.update_from_flattened_dict({field: value})
  with pytest.raises(ConfigError, match=re.escape(f'config field {field} must be {allowed}')):
    loop.checked_kind([config])


def test_more_visible_frames_than_the_screen_has_rows_are_refused():
  config = catch_config.get_config('tiny')
  config.env.visible_frames = config.env.size + 1
  with pytest.raises(ConfigError, match='config field env.visible_frames must be at most env.size'):
    loop.checked_kind([config])


def test_the_agent_acting_step_by_step_sees_what_the_loss_reads_of_the_episode():
  """The one-step form that plays equals the sequence form that the loss reads."""
  settings = a2c.A2CSettings(catch.CatchParams(size=6, visible_frames=3), num_games=4)
  for name in ('fast_weights', 'lstm'):
    agent = agent_of(name, 8)
    params = jax.jit(agent.init)(jax.random.key(0), jnp.zeros((1, 5, 6, 6)), RATES)
    play = jax.jit(lambda params, key: a2c.play_episode(agent, params, RATES, settings, key))
    episode = play(params, jax.random.key(1))
    logits, values = jax.jit(agent.apply)(params, episode.screens, RATES)
    step = jax.jit(lambda params, carry, screen: agent.apply(params, carry, screen, RATES,
                                                            method='step'))
    carry = agent.core.initial_carry(4, 5)
    for t in range(5):
      carry, step_logits, step_values = step(params, carry, episode.screens[:, t])
      np.testing.assert_allclose(step_logits, logits[:, t], rtol=1e-5, atol=1e-6)
      np.testing.assert_allclose(step_values, values[:, t], rtol=1e-5, atol=1e-6)


def test_a_finished_catch_run_without_checkpoints_is_not_trained_again_over_its_curve(tmp_path):
  workdir = tmp_path / 'run'
  config = catch_config.get_config('tiny')
  loop.train_population([config], [str(workdir)])
  curve = (workdir / 'catch_curve.csv').read_text()
  shutil.rmtree(workdir / 'checkpoints')  # as on a fresh clone: checkpoints are not committed
  with pytest.raises(RunError, match='holds a finished run of 40 steps but no checkpoint'):
    loop.train_population([config], [str(workdir)])
  assert (workdir / 'catch_curve.csv').read_text() == curve


def test_a_new_learning_rate_on_resume_takes_effect_for_catch(tmp_path):
  config = catch_config.get_config('tiny')
  short = config.copy_and_resolve_references()
  short.train.num_updates = 20
  loop.train_population([short], [str(tmp_path / 'changed')])
  faster = config.copy_and_resolve_references()
  faster.train.learning_rate = 0.1
  loop.train_population([faster], [str(tmp_path / 'changed')])
  loop.train_population([config], [str(tmp_path / 'same')])
  curve = lambda name: np.loadtxt(tmp_path / name / 'catch_curve.csv', delimiter=',', skiprows=1)
  changed, same = curve('changed'), curve('same')
  np.testing.assert_array_equal(changed[:2], same[:2])  # updates 10 and 20, before the change
  assert not np.array_equal(changed[2:], same[2:])  # a resumed run is otherwise exact
