"""Timing, FLOP-rate and memory measurements of compiled training steps."""

import statistics
import time

import jax
import jax.numpy as jnp

from fwrnn import tasks
from fwrnn.engine.supervised import SupervisedProgram
from fwrnn.engine import train_steps
from fwrnn.layers.models import build_model
from fwrnn.engine.population import Population
from fwrnn.engine.state import Member


def summarise(seconds: list[float], work: float) -> dict:
  """Median, min and max rates of `work` per second over timed repetitions."""
  rates = sorted(work / s for s in seconds)
  return {'median': statistics.median(rates), 'min': rates[0], 'max': rates[-1]}


def matmul_peak_flops(size: int = 2048, repeats: int = 10) -> float:
  """FLOP/s of a large float32 matrix product on the default device (the best of `repeats`):
  the machine's peak."""
  a = jax.random.normal(jax.random.key(0), (size, size), jnp.float32)
  product = jax.jit(lambda a: a @ a)
  product(a).block_until_ready()
  best = float('inf')
  for _ in range(repeats):
    started = time.perf_counter()
    product(a).block_until_ready()
    best = min(best, time.perf_counter() - started)
  return 2 * size ** 3 / best


def planned_peak_bytes(compiled) -> int:
  """XLA's planned peak of a compiled program: arguments, outputs and temporaries."""
  stats = compiled.memory_analysis()
  return (stats.argument_size_in_bytes + stats.output_size_in_bytes
          + stats.temp_size_in_bytes - stats.alias_size_in_bytes)


class CompiledTraining:
  """The training steps of a config as train.py runs them: a population of 1 or more members
  (seeds config.seed, +1, …), spread over the devices (one per core on a CPU when
  benchmark.py splits the host)."""

  def __init__(self, config, population: int = 1):
    task = tasks.load(config.task)
    self.population = Population(population, config.train.batch_size)
    splits = task.load_splits(config)
    configs = [config.copy_and_resolve_references() for _ in range(population)]
    for i, member in enumerate(configs):
      member.seed += i
    program = SupervisedProgram(configs, task, self.population, splits)
    self.members = self.population.put([Member.of(c) for c in configs])
    self.state = program.init(self.members)
    program.compile(self.state, self.members)
    self._program, self.compile_seconds = program, program.compile_seconds
    self.peak_bytes = planned_peak_bytes(program.compiled_steps)
    self.devices = self.population.device_count
    self._step = 0

  def time_steps(self, steps: int) -> float:
    """Seconds for `steps` optimisation steps (of every member)."""
    started = time.perf_counter()
    self.state, sums = self._program.run(self.state, self.members, self._step, steps)
    jax.block_until_ready(sums)
    self._step += steps
    return time.perf_counter() - started


def gradient_peak_bytes(config, x, y_B) -> int:
  """Planned peak memory of one loss-and-gradient evaluation on the batch (x, y)."""
  model = build_model(config, tasks.load(config.task))
  member = Member.of(config)
  params = model.init(jax.random.key(0), x[:1], member.rates)
  grad = jax.grad(lambda p: train_steps.loss_and_accuracy(model, p, member, x, y_B)[0])
  return planned_peak_bytes(jax.jit(grad).lower(params).compile())
