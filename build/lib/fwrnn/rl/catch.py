"""Partially observable Catch (Ba et al. 2016, Section 4.4) as pure JAX functions of arrays.

An N×N screen: a ball starts in the top row and falls one row per step; a paddle of width 1
on the bottom row moves left, stays or moves right. The screen goes blank (all zeros) after
the first M frames, so the agent must remember where the ball was. The episode ends when the
ball reaches the bottom row: +1 if the paddle is under it, −1 if not, 0 on every other step
[choice]. The ball falls straight down from a random column by default; with diagonal=True it
also moves one column per step in a random direction and bounces off the side walls, as in the
Catch of Mnih et al. (2014) [the paper does not say which it used]. The paddle starts in the
middle column [choice].

reset and step are jittable and vmappable; step starts a new episode when one ends.
"""

import dataclasses
from typing import NamedTuple

import jax
import jax.numpy as jnp

ACTIONS = ('left', 'stay', 'right')


@dataclasses.dataclass(frozen=True)
class CatchParams:
  """The version of the game: screen size N, visible frames M, and the ball's motion."""
  size: int = 16
  visible_frames: int = 3
  diagonal: bool = False


class CatchState(NamedTuple):
  """One game: the ball's row, column and column step, the paddle's column, and the number
  of frames shown so far in this episode (the first is frame 0)."""
  ball_row: jax.Array
  ball_col: jax.Array
  ball_step: jax.Array
  paddle_col: jax.Array
  frame: jax.Array


def observe(params: CatchParams, state: CatchState) -> jax.Array:
  """The N×N screen: 1 at the ball and the paddle during the first M frames, then all 0."""
  n = params.size
  screen = jnp.zeros((n, n), jnp.float32)
  screen = screen.at[state.ball_row, state.ball_col].set(1.0)
  screen = screen.at[n - 1, state.paddle_col].set(1.0)
  return jnp.where(state.frame < params.visible_frames, screen, 0.0)


def reset(params: CatchParams, key: jax.Array) -> tuple[CatchState, jax.Array]:
  """A new episode and its first frame: the ball in a random column of the top row."""
  column_key, direction_key = jax.random.split(key)
  column = jax.random.randint(column_key, (), 0, params.size)
  direction = jax.random.choice(direction_key, jnp.array([-1, 1]))
  state = CatchState(ball_row=jnp.int32(0), ball_col=column.astype(jnp.int32),
                     ball_step=(direction if params.diagonal else 0) * jnp.int32(1),
                     paddle_col=jnp.int32(params.size // 2), frame=jnp.int32(0))
  return state, observe(params, state)


def _move_ball(params: CatchParams, state: CatchState) -> tuple[jax.Array, jax.Array]:
  """The ball's next column and column step, bouncing off the side walls."""
  column = state.ball_col + state.ball_step
  outside = (column < 0) | (column >= params.size)
  step = jnp.where(outside, -state.ball_step, state.ball_step)
  return jnp.where(outside, state.ball_col + step, column), step


def step(params: CatchParams, state: CatchState, action: jax.Array,
         key: jax.Array) -> tuple[CatchState, jax.Array, jax.Array, jax.Array]:
  """(state, screen, reward, done) after action (0 left, 1 stay, 2 right). When the ball
  reaches the bottom row the reward is ±1, done is True, and the state and screen returned
  are those of a new episode (drawn with key)."""
  paddle = jnp.clip(state.paddle_col + action - 1, 0, params.size - 1).astype(jnp.int32)
  column, column_step = _move_ball(params, state)
  moved = CatchState(state.ball_row + 1, column, column_step, paddle, state.frame + 1)
  done = moved.ball_row == params.size - 1
  reward = jnp.where(done, jnp.where(moved.ball_col == moved.paddle_col, 1.0, -1.0), 0.0)
  fresh, fresh_screen = reset(params, key)
  state = jax.tree.map(lambda new, old: jnp.where(done, new, old), fresh, moved)
  screen = jnp.where(done, fresh_screen, observe(params, moved))
  return state, screen, reward, done
