"""Partially observable Catch as a kind of run: actor-critic agents (fwrnn/rl) trained by the
engine, like any task.

    python scripts/train.py --config=configs/catch.py
    python scripts/sweep.py --config=configs/catch.py --grid='seed=0,1,2'

A step of the engine is one update: an episode of every one of train.num_games games, then
one gradient step. A run directory holds, besides what every run writes, TensorBoard's
catch rate, mean episode reward, the loss's parts and environment steps per second,
catch_curve.csv (update, environment steps, catch rate over the last train.log_every
updates) and results.json (CatchResults).
"""

import dataclasses
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np
from absl import logging

from fwrnn.engine import config_checks, train_steps
from fwrnn.engine.config_checks import Boolean, Integer, Number
from fwrnn.engine.kind import RunCost, Schedule
from fwrnn.engine.progress import spread
from fwrnn.engine.population import Population
from fwrnn.engine.run_dir import RunDir
from fwrnn.engine.state import Member, Results
from fwrnn.rl import a2c, catch


@dataclasses.dataclass(frozen=True)
class CatchResults(Results):
  """What results.json holds for a Catch run."""
  model: str
  hidden_size: int
  seed: int
  learning_rate: float
  size: int
  visible_frames: int
  diagonal: bool
  updates: int
  environment_steps: int
  final_catch_rate: float       # over the last train.log_every updates
  environment_steps_per_second: float | None  # of the whole population, compilation excluded
  train_seconds: float          # wall time over every process that trained it
  machine: str

  TIMING = ('environment_steps_per_second', 'train_seconds', 'machine')

  @property
  def steps_done(self) -> int:
    return self.updates


# Catch's own fields and their allowed values (the core's and the optimizer's are the engine's).
CATCH_RULES = {
    'env.size': Integer(3, 256, 'the screen is N×N and an episode N − 1 steps'),
    'env.visible_frames': Integer(0),
    'env.diagonal': Boolean(),
    'train.num_games': Integer(1),
    'train.num_updates': Integer(1),
    'train.discount': Number(0, 1, text='in [0, 1]'),
    'train.value_weight': Number(0, text='>= 0'),
    'train.entropy_weight': Number(0, text='>= 0'),
    'train.checkpoint_every': Integer(1),
}


def settings_of(config: ml_collections.ConfigDict) -> a2c.A2CSettings:
  """The game and the loss of a config."""
  game = catch.CatchParams(config.env.size, config.env.visible_frames, config.env.diagonal)
  t = config.train
  return a2c.A2CSettings(game, t.num_games, t.discount, t.value_weight, t.entropy_weight)


class CatchKind:
  """Actor-critic agents on Catch, as a kind of run of the engine."""

  results_type = CatchResults

  def rules(self) -> dict:
    return {**config_checks.RUN_RULES, **CATCH_RULES}

  def validate(self, config: ml_collections.ConfigDict) -> None:
    config_checks.check_model(config.model, config.train.num_games)
    env = config.env
    config_checks.require(env.visible_frames <= env.size, 'env.visible_frames',
                          f'at most env.size ({env.size}): an episode shows at most N frames',
                          env.visible_frames)

  def schedule(self, config: ml_collections.ConfigDict) -> Schedule:
    t = config.train
    return Schedule(t.num_updates, 'train.num_updates', t.log_every, t.checkpoint_every,
                    'environment steps', t.num_games * (config.env.size - 1))

  def batch_size(self, config: ml_collections.ConfigDict) -> int:
    return 1  # a run's games stay on one device

  def program(self, configs: list[ml_collections.ConfigDict], population: Population):
    return CatchProgram(configs, population)

  def summary(self, run: RunDir, result: CatchResults) -> None:
    logging.info('%s: catch rate %.3f after %s environment steps', run.path,
                 result.final_catch_rate, f'{result.environment_steps:,}')

  def run_name(self, config: ml_collections.ConfigDict) -> str:
    return f'catch_{config.model.name}_n{config.env.size}_m{config.env.visible_frames}'


def run_kind() -> CatchKind:
  """The kind of run of a config whose task is this module."""
  return CatchKind()


class CatchProgram:
  """The compiled pieces of one population of Catch agents."""

  def __init__(self, configs: list[ml_collections.ConfigDict], population: Population):
    config = configs[0]
    self.configs, self.population = configs, population
    self.settings = settings_of(config)
    self.per_update = self.settings.num_games * (self.settings.game.size - 1)
    agent = a2c.build_agent(config.model)
    tx = train_steps.make_optimizer(config.train)
    train = a2c.make_train(agent, tx, self.settings)

    def fresh(member: Member):
      state = a2c.init(agent, tx, self.settings, member.rates, member.seed)
      return state._replace(opt_state=train_steps.with_learning_rate(state.opt_state,
                                                                     member.learning_rate))

    def run(state, member: Member, num_updates):
      # The member's rate is set at every chunk: a resumed run may have changed it.
      state = state._replace(opt_state=train_steps.with_learning_rate(state.opt_state,
                                                                      member.learning_rate))
      return train(state, member.rates, num_updates)

    self._init = jax.jit(population.each_member(fresh, member_args=1))
    self._run = jax.jit(population.each_member(run, member_args=2), donate_argnums=0)
    self.compile_seconds = 0.0

  def init(self, members: Member):
    return self._init(members)

  def compile(self, state, members: Member) -> None:
    logging.info('Compiling the updates')
    started = time.perf_counter()
    self._run = self._run.lower(state, members, jnp.int32(1)).compile()
    self.compile_seconds = time.perf_counter() - started
    logging.info('Compiled in %.1f s', self.compile_seconds)

  def run(self, state, members: Member, first_step: int, num_steps: int):
    del first_step  # the state holds it
    return self._run(state, members, jnp.int32(num_steps))

  def running(self, state):
    return jnp.ones(state.step.shape, bool)

  def log(self, runs: list[RunDir], sums: a2c.UpdateSums, step: int, stop: int,
          seconds: float, running: np.ndarray) -> str:
    """TensorBoard and the catch curve of every run for updates step … stop."""
    count = stop - step
    caught = sums.caught / count
    for i, r in enumerate(runs):
      r.log_train(stop, {'catch/rate': caught[i], 'catch/mean_reward': 2 * caught[i] - 1,
                         'loss/policy': sums.policy_loss[i] / count,
                         'loss/value': sums.value_loss[i] / count,
                         'loss/entropy': sums.entropy[i] / count,
                         'env/steps_per_second': count * self.per_update / seconds})
      r.append_curve('catch', stop, {'environment_steps': stop * self.per_update,
                                     'catch_rate': caught[i]})
    return f'catch rate {spread(caught, "{:.2f}")}'

  def at_save(self, state, members: Member, runs: list[RunDir], step: int,
              running: np.ndarray):
    return state, ''

  def results(self, state, members: Member, cost: RunCost) -> list[CatchResults]:
    final = self.population.to_host(state)
    per_second = (cost.steps_per_second * self.per_update * len(self.configs)
                  if cost.steps_per_second else None)
    return [CatchResults(
        model=c.model.name, hidden_size=c.model.hidden_size, seed=c.seed,
        learning_rate=c.train.learning_rate, size=c.env.size, visible_frames=c.env.visible_frames,
        diagonal=c.env.diagonal, updates=int(final.step[i]),
        environment_steps=int(final.step[i]) * self.per_update,
        final_catch_rate=float(final.catch_rate[i]), environment_steps_per_second=per_second,
        train_seconds=float(cost.train_seconds[i]), machine=cost.machine)
        for i, c in enumerate(self.configs)]
