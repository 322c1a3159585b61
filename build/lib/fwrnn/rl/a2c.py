"""A synchronous advantage actor-critic (A2C) for Catch, whole episodes at a time.

Every game of Catch lasts N − 1 steps, so a batch of games started together stays in step:
one rollout is one episode of every game, and the recurrent state starts afresh with each.
The agent is the project's core (cores.build_core) between a linear read of the screen and
two heads (policy over the three actions, value). It acts with the core's one-step form,
carrying the recurrent state from frame to frame (O(T) per episode); the loss reads the
finished episode with the core's sequence form, the same function. The loss is the policy
gradient with the advantage G_t − V(t) (G_t the discounted return of the finished episode),
the squared error of V, and an entropy bonus.
"""

import dataclasses
from typing import Callable, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from fwrnn.layers.cell_parts import FastDynamics
from fwrnn.layers.cores import build_core
from fwrnn.layers.inputs import uniform_fan_in
from fwrnn.rl import catch


class ActorCritic(nn.Module):
  """Screens (B×T×N×N) → policy logits (B×T×3) and values (B×T) through a core; `step`
  does the same one frame at a time."""
  core: nn.Module

  def setup(self):
    self.policy = nn.Dense(len(catch.ACTIONS), kernel_init=uniform_fan_in)
    self.value = nn.Dense(1, kernel_init=uniform_fan_in)

  def __call__(self, screens, rates: FastDynamics | None = None):
    batch, steps = screens.shape[:2]
    return self.heads(self.core(screens.reshape(batch, steps, -1), rates))

  def heads(self, h):
    """(policy logits, values) of hidden states h (…×H)."""
    return self.policy(h), self.value(h)[..., 0]

  def step(self, carry, screens_BxNxN, rates: FastDynamics | None = None):
    """(carry, the frames of step t) → (next carry, policy logits B×3, values B)."""
    carry, h_BxH = self.core.step(carry, screens_BxNxN.reshape(len(screens_BxNxN), -1), rates)
    return (carry, *self.heads(h_BxH))


@dataclasses.dataclass(frozen=True)
class A2CSettings:
  """The game, the number of games per update and the loss's weights."""
  game: catch.CatchParams
  num_games: int = 64
  discount: float = 0.99
  value_weight: float = 0.5
  entropy_weight: float = 0.01


class Episode(NamedTuple):
  """One episode of every game: screens (B×T×N×N), actions and rewards (B×T)."""
  screens: jax.Array
  actions: jax.Array
  rewards: jax.Array


def build_agent(model_cfg: ml_collections.ConfigDict) -> ActorCritic:
  """The actor-critic with the core named by model.name."""
  return ActorCritic(build_core(model_cfg))


def play_episode(agent: ActorCritic, params, rates, settings: A2CSettings, key) -> Episode:
  """Plays one episode of settings.num_games games with actions sampled from the policy,
  the agent's recurrent state carried from step to step."""
  game, games = settings.game, settings.num_games
  steps = game.size - 1
  reset_key, play_key = jax.random.split(key)
  states, screens = jax.vmap(lambda k: catch.reset(game, k))(jax.random.split(reset_key, games))
  carry = agent.core.initial_carry(games, steps)

  def act(loop, _):
    states, screens, carry, key = loop
    key, action_key, step_key = jax.random.split(key, 3)
    carry, logits, _ = agent.apply(params, carry, screens, rates, method='step')
    actions = jax.random.categorical(action_key, logits)
    next_states, next_screens, rewards, _ = jax.vmap(lambda s, a, k: catch.step(game, s, a, k))(
        states, actions, jax.random.split(step_key, games))
    return (next_states, next_screens, carry, key), (screens, actions, rewards)

  _, (screens, actions, rewards) = jax.lax.scan(act, (states, screens, carry, play_key), None,
                                                length=steps)
  return Episode(screens.swapaxes(0, 1), actions.T, rewards.T)


def returns(rewards_BxT: jax.Array, discount: float) -> jax.Array:
  """G_t = Σ_{k ≥ t} discount^{k − t} r_k of each finished episode (B×T)."""
  def back(later, reward):
    now = reward + discount * later
    return now, now
  _, g_TxB = jax.lax.scan(back, jnp.zeros(rewards_BxT.shape[0]), rewards_BxT.T, reverse=True)
  return g_TxB.T


def loss(agent: ActorCritic, params, rates, settings: A2CSettings, episode: Episode):
  """The A2C loss of one episode of every game, and (policy loss, value loss, entropy)."""
  logits, values = agent.apply(params, episode.screens, rates)
  log_probs = jax.nn.log_softmax(logits)
  taken = jnp.take_along_axis(log_probs, episode.actions[..., None], -1)[..., 0]
  g = returns(episode.rewards, settings.discount)
  advantage = jax.lax.stop_gradient(g - values)
  policy_loss = -jnp.mean(taken * advantage)
  value_loss = jnp.mean((g - values) ** 2)
  entropy = -jnp.mean(jnp.sum(jnp.exp(log_probs) * log_probs, -1))
  total = (policy_loss + settings.value_weight * value_loss
           - settings.entropy_weight * entropy)
  return total, (policy_loss, value_loss, entropy)


class AgentState(NamedTuple):
  """The number of updates done, the agent's parameters and optimizer state, the key of its
  next episode (as key data, so that it checkpoints), and the share of games it caught over
  its latest chunk of updates: a checkpoint holds one."""
  step: jax.Array
  params: dict
  opt_state: optax.OptState
  key: jax.Array
  catch_rate: jax.Array


class UpdateSums(NamedTuple):
  """Summed over a chunk of updates: the share of games caught, and the loss's three parts."""
  caught: jax.Array
  policy_loss: jax.Array
  value_loss: jax.Array
  entropy: jax.Array


def make_train(agent: ActorCritic, tx: optax.GradientTransformation,
               settings: A2CSettings) -> Callable:
  """Returns train(state, rates, num_updates) -> (state, UpdateSums): that many episodes
  and updates in one compiled loop (num_updates may be traced)."""

  def update(state: AgentState, rates):
    key, episode_key = jax.random.split(jax.random.wrap_key_data(state.key))
    episode = play_episode(agent, state.params, rates, settings, episode_key)
    grads, parts = jax.grad(lambda p: loss(agent, p, rates, settings, episode), has_aux=True)(
        state.params)
    updates, opt_state = tx.update(grads, state.opt_state, state.params)
    caught = jnp.mean(episode.rewards[:, -1] > 0)
    state = state._replace(step=state.step + 1, params=optax.apply_updates(state.params, updates),
                           opt_state=opt_state, key=jax.random.key_data(key))
    return state, UpdateSums(caught, *parts)

  def train(state: AgentState, rates, num_updates):
    def body(_, carry):
      state, sums = carry
      state, new = update(state, rates)
      return state, jax.tree.map(jnp.add, sums, new)

    zero = jnp.zeros((), jnp.float32)
    state, sums = jax.lax.fori_loop(0, num_updates, body, (state, UpdateSums(*[zero] * 4)))
    return state._replace(catch_rate=sums.caught / num_updates), sums

  return train


def init(agent: ActorCritic, tx: optax.GradientTransformation, settings: A2CSettings, rates,
         seed) -> AgentState:
  """A fresh agent of the given seed."""
  param_key, key = jax.random.split(jax.random.key(seed))
  game = settings.game
  screens = jnp.zeros((1, game.size - 1, game.size, game.size), jnp.float32)
  params = agent.init(param_key, screens, rates)
  return AgentState(jnp.zeros((), jnp.int32), params, tx.init(params), jax.random.key_data(key),
                    jnp.zeros((), jnp.float32))
