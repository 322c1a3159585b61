"""Training actor-critic agents on Catch: runs that differ only in their Member numbers (seed,
learning rate, λ, η) train as one population, each with a run directory of its own.

A run directory holds config.json, TensorBoard events (catch rate, mean episode reward, the
loss's parts, environment steps per second), checkpoints of the agent every
train.checkpoint_every updates, catch_curve.csv (update, environment steps, catch rate) and
results.json. Running the same command again resumes from the newest checkpoint that every
member has.
"""

import dataclasses
import json
import os
import time

import jax
import ml_collections
import numpy as np
from absl import logging

from fwrnn.engine import config_checks
from fwrnn.engine import population as population_lib
from fwrnn.engine import loop as train
from fwrnn.engine import train_steps
from fwrnn.engine.config_checks import Boolean, Integer, Number, OneOf
from fwrnn.layers.cores import RECURRENT_CORE_NAMES
from fwrnn.engine.population import Population
from fwrnn.rl import a2c, catch
from fwrnn.errors import ConfigError
from fwrnn.engine.interrupts import StopRequests
from fwrnn.engine.run_dir import RunDir, WallClock, write_atomically
from fwrnn.engine.state import Member, machine_name, population_fields


@dataclasses.dataclass(frozen=True)
class CatchResults:
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
  environment_steps_per_second: float | None
  train_seconds: float          # wall time over every process that trained it
  machine: str


# Every field of a Catch config and its allowed values (the model's as for the other tasks).
CATCH_RULES = {
    **{f: r for f, r in config_checks.FIELD_RULES.items()
       if f.startswith('model.') and f != 'model.head_size'},
    'model.name': OneOf(RECURRENT_CORE_NAMES),
    'seed': Integer(0),
    'env.size': Integer(3, 256, 'the screen is N×N and an episode N − 1 steps'),
    'env.visible_frames': Integer(0),
    'env.diagonal': Boolean(),
    'train.num_games': Integer(1),
    'train.num_updates': Integer(1),
    'train.learning_rate': Number(0, low_open=True, text='> 0'),
    'train.grad_clip_norm': Number(0, text='>= 0 (0 turns it off)'),
    'train.discount': Number(0, 1, text='in [0, 1]'),
    'train.value_weight': Number(0, text='>= 0'),
    'train.entropy_weight': Number(0, text='>= 0'),
    'train.log_every': Integer(1),
    'train.checkpoint_every': Integer(1),
    'train.checkpoints_to_keep': Integer(1),
}


def validate(config: ml_collections.ConfigDict) -> None:
  """ConfigError naming the first field of a Catch config outside its allowed values."""
  config_checks.check_rules(config, CATCH_RULES)


def settings_of(config: ml_collections.ConfigDict) -> a2c.A2CSettings:
  """The game and the loss of a config."""
  game = catch.CatchParams(config.env.size, config.env.visible_frames, config.env.diagonal)
  t = config.train
  return a2c.A2CSettings(game, t.num_games, t.discount, t.value_weight, t.entropy_weight)


def _last_catch_rates(runs: list[RunDir]) -> np.ndarray:
  """Each run's newest catch rate on its curve (0 where it has none yet)."""
  rates = []
  for r in runs:
    path = os.path.join(r.path, 'catch_curve.csv')
    rows = np.loadtxt(path, delimiter=',', skiprows=1, ndmin=2) if os.path.exists(path) else []
    rates.append(rows[-1, -1] if len(rows) else 0.0)
  return np.asarray(rates)


def _log_updates(runs: list[RunDir], update: int, per_update: int, metrics: a2c.UpdateMetrics,
                 steps_per_second: float) -> np.ndarray:
  """Writes every run's metrics of the updates up to `update`; their catch rates."""
  caught = metrics.caught.mean(1)
  for i, r in enumerate(runs):
    r.log_train(update, {'catch/rate': caught[i], 'catch/mean_reward': 2 * caught[i] - 1,
                         'loss/policy': metrics.policy_loss[i].mean(),
                         'loss/value': metrics.value_loss[i].mean(),
                         'loss/entropy': metrics.entropy[i].mean(),
                         'env/steps_per_second': steps_per_second / len(runs)})
    r.append_curve('catch', update, {'environment_steps': update * per_update,
                                     'catch_rate': caught[i]})
  logging.info('update %d/%d  catch rate %s  %.0f environment steps/s for all %d', update,
               runs[0].config.train.num_updates, ', '.join(f'{c:.2f}' for c in caught),
               steps_per_second, len(runs))
  return caught


def train_population(configs: list[ml_collections.ConfigDict],
                     workdirs: list[str]) -> list[CatchResults]:
  """Trains (or resumes) Catch runs that differ only in their Member numbers together."""
  started = time.perf_counter()
  base = configs[0]
  for config in configs:
    validate(config)
  if len({train.population_key(c) for c in configs}) != 1:
    raise ConfigError('a population may differ only in ' + ', '.join(population_fields()))
  runs = [RunDir(w, c, population_lib.writes_files()) for w, c in zip(workdirs, configs)]
  population = Population(len(configs), 1)  # a run's games stay on one device
  settings, agent = settings_of(base), a2c.build_agent(base.model)
  tx = train_steps.make_optimizer(base.train)
  members = population.put([Member.of(c) for c in configs])

  def fresh(member):
    state = a2c.init(agent, tx, settings, member.rates, member.seed)
    return state._replace(opt_state=train_steps.with_learning_rate(state.opt_state,
                                                                   member.learning_rate))

  train_updates = a2c.make_train(agent, tx, settings)
  run = lambda state, member, count: train_updates(state, member.rates, count)
  each = population.each_member
  init = jax.jit(each(fresh, member_args=1))
  state = train.restore_population(runs, init(members), population)
  update = int(population.to_host(state.step)[0])
  clock = WallClock(runs, started, resumed=update > 0)
  per_update = settings.num_games * (settings.game.size - 1)
  steps_per_second = None
  caught = _last_catch_rates(runs)
  programs = {}
  with StopRequests() as stop:
    while update < base.train.num_updates and not stop.signal_name:
      count = min(base.train.log_every, base.train.num_updates - update)
      if count not in programs:
        programs[count] = jax.jit(each(lambda s, m, c=count: run(s, m, c), member_args=2))
      call_started = time.perf_counter()
      state, metrics = programs[count](state, members)
      metrics = population.to_host(metrics)
      update += count
      steps_per_second = count * per_update * len(runs) / (time.perf_counter() - call_started)
      caught = _log_updates(runs, update, per_update, metrics, steps_per_second)
      if update % base.train.checkpoint_every == 0 or update == base.train.num_updates:
        train.save_population(runs, state, population, clock)
  if stop.signal_name:
    train.stop_population(runs, state, population, update, stop.signal_name, clock)
  results = [CatchResults(
      model=c.model.name, hidden_size=c.model.hidden_size, seed=c.seed,
      learning_rate=c.train.learning_rate, size=c.env.size, visible_frames=c.env.visible_frames,
      diagonal=c.env.diagonal, updates=update, environment_steps=update * per_update,
      final_catch_rate=float(caught_rate), environment_steps_per_second=steps_per_second,
      train_seconds=float(seconds), machine=machine_name())
      for c, caught_rate, seconds in zip(configs, caught, clock.seconds())]
  for r, result in zip(runs, results):
    if r.writes:
      write_atomically(f'{r.path}/results.json',
                       json.dumps(dataclasses.asdict(result), indent=2, sort_keys=True))
    r.close()
  return results
