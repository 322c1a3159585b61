"""Partially observable Catch, checked on hand-worked episodes."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from fwrnn.rl import catch

LEFT, STAY, RIGHT = 0, 1, 2


def start(params, ball_col, paddle_col=None, ball_step=0):
  state, _ = catch.reset(params, jax.random.key(0))
  paddle = params.size // 2 if paddle_col is None else paddle_col
  return state._replace(ball_col=jnp.int32(ball_col), paddle_col=jnp.int32(paddle),
                        ball_step=jnp.int32(ball_step))


def play(params, state, actions):
  """Rewards, dones and screens of the actions taken in turn."""
  rewards, dones, screens = [], [], []
  for i, action in enumerate(actions):
    state, screen, reward, done = catch.step(params, state, jnp.int32(action), jax.random.key(i))
    rewards.append(float(reward))
    dones.append(bool(done))
    screens.append(np.asarray(screen))
  return state, rewards, dones, screens


@pytest.mark.parametrize('size, ball_col, moves, caught', [
    (6, 2, [LEFT] * 5, False),                 # the paddle goes 4 → 0 and ends at 0
    (6, 2, [LEFT, LEFT, STAY, STAY, STAY], True),
    (10, 7, [RIGHT] * 3 + [STAY] * 6, True),
    (10, 7, [RIGHT] * 9, False),               # passes 7 and ends at the wall, 9
])
def test_a_falling_ball_is_caught_iff_the_paddle_is_under_it_when_it_lands(size, ball_col, moves,
                                                                           caught):
  params = catch.CatchParams(size=size, visible_frames=2)
  _, rewards, dones, _ = play(params, start(params, ball_col, paddle_col=4), moves)
  steps = size - 1
  assert dones == [False] * (steps - 1) + [True]  # the ball lands after N − 1 steps
  assert rewards == [0.0] * (steps - 1) + [1.0 if caught else -1.0]


def test_the_screen_shows_ball_and_paddle_for_m_frames_then_goes_blank():
  params = catch.CatchParams(size=8, visible_frames=3)
  state = start(params, ball_col=5, paddle_col=1)
  first = np.asarray(catch.observe(params, state))
  assert first[0, 5] == 1 and first[7, 1] == 1 and first.sum() == 2
  _, _, _, screens = play(params, state, [RIGHT] * 6)
  assert screens[0][1, 5] == 1 and screens[0][7, 2] == 1 and screens[0].sum() == 2
  assert screens[1][2, 5] == 1 and screens[1][7, 3] == 1
  assert all(s.sum() == 0 for s in screens[2:])  # frames 3 … 6 are blank


def test_a_new_episode_starts_when_one_ends_and_is_visible_again():
  params = catch.CatchParams(size=5, visible_frames=1)
  state, _, dones, screens = play(params, start(params, ball_col=0), [STAY] * 4)
  assert dones[-1] and int(state.ball_row) == 0 and int(state.frame) == 0
  assert screens[-1][0].sum() == 1 and screens[-1][4, 2] == 1  # the new episode's first frame


def test_the_paddle_stays_on_the_screen():
  params = catch.CatchParams(size=6, visible_frames=6)
  state, _, _, screens = play(params, start(params, ball_col=0, paddle_col=1), [LEFT] * 3)
  assert int(state.paddle_col) == 0 and screens[-1][5, 0] == 1
  state, _, _, _ = play(params, start(params, ball_col=0, paddle_col=4), [RIGHT] * 3)
  assert int(state.paddle_col) == 5


def test_a_diagonal_ball_bounces_off_the_walls():
  params = catch.CatchParams(size=6, visible_frames=6, diagonal=True)
  state = start(params, ball_col=3, ball_step=1)
  columns = []
  for i in range(4):
    state, _, _, _ = catch.step(params, state, jnp.int32(STAY), jax.random.key(i))
    columns.append(int(state.ball_col))
  assert columns == [4, 5, 4, 3]
  fresh, _ = catch.reset(params, jax.random.key(3))
  assert int(fresh.ball_step) in (-1, 1)
  assert int(catch.reset(catch.CatchParams(), jax.random.key(3))[0].ball_step) == 0


def test_many_games_step_together_under_jit_and_vmap():
  params = catch.CatchParams(size=16, visible_frames=3)
  keys = jax.random.split(jax.random.key(0), 64)
  states, screens = jax.vmap(lambda k: catch.reset(params, k))(keys)
  assert screens.shape == (64, 16, 16)
  columns = np.asarray(states.ball_col)
  step = jax.jit(jax.vmap(lambda s, a, k: catch.step(params, s, a, k)))
  for i in range(15):  # the paddle stays in column 8 while every ball falls
    states, screens, rewards, dones = step(states, jnp.full((64,), STAY),
                                           jax.random.split(jax.random.key(i), 64))
    assert bool(dones.all()) == (i == 14)
  np.testing.assert_array_equal(np.asarray(rewards), np.where(columns == 8, 1.0, -1.0))
  assert len(set(columns.tolist())) > 8  # the columns are drawn, not fixed
