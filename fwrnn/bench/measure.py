"""Timing, FLOP-rate and memory measurements of compiled training steps."""

import statistics
import time
import jax
import jax.numpy as jnp
import numpy as np

from fwrnn import assoc_data, devices, train, train_steps


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
  """The training steps of a config as train.py runs them: a population of 1 or more members,
  spread over the devices (one per core on a CPU when benchmark.py splits the host)."""

  def __init__(self, config, population: int = 1):
    mesh = devices.member_mesh(population, config.train.batch_size)
    d = config.data
    splits = assoc_data.make_splits(d.num_pairs, (d.num_train, 1, 1), d.seed)
    self.train_x, self.train_y = jax.device_put(tuple(splits.train), devices.replicated(mesh))
    members = [config.copy_and_resolve_references() for _ in range(population)]
    for i, member in enumerate(members):
      member.seed += i
    self.state = train.initial_state(devices.pad_to_mesh(members, mesh), mesh)
    self._run, self.compile_seconds = train.compile_run_steps(config, mesh, self.state,
                                                              self.train_x, self.train_y)
    self.peak_bytes = planned_peak_bytes(self._run)
    self.devices = mesh.devices.size

  def time_steps(self, steps: int) -> float:
    """Seconds for `steps` optimisation steps (of every member)."""
    started = time.perf_counter()
    self.state, sums = self._run(self.state, self.train_x, self.train_y, jnp.int32(steps))
    jax.block_until_ready(sums)
    return time.perf_counter() - started


def gradient_peak_bytes(config, steps: int, batch: int) -> int:
  """Planned peak memory of one loss-and-gradient evaluation on sequences of length `steps`."""
  model, _, _ = train.build(config)
  tokens = jnp.asarray(np.random.default_rng(0).integers(0, assoc_data.VOCAB_SIZE, (batch, steps)),
                       jnp.int32)
  labels = jnp.zeros((batch,), jnp.int32)
  params = model.init(jax.random.key(0), tokens[:1])
  grad = jax.grad(lambda p: train_steps.loss_and_accuracy(model, p, tokens, labels)[0])
  return planned_peak_bytes(jax.jit(grad).lower(params).compile())
