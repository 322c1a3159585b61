"""Training throughput and gradient memory of every MQAR core in each of its forms, side by side.

A variant is a core of configs/mqar.py (Zoology's layout) in one form: the descendants'
chunkwise and recurrent forms, fast weights' implicit and explicit forms, softmax attention
and the LSTM as they are. Each trains as train.py does (measure.CompiledTraining); the timed
repetitions take turns across the variants.
"""

import jax.numpy as jnp
import numpy as np

from configs import mqar as mqar_config
from fwrnn.bench import measure
from fwrnn.layers.cores import stack_state_bytes

VARIANTS = (
    ('softmax_attention', None), ('linear_attention', 'chunkwise'),
    ('linear_attention', 'recurrent'), ('deltanet', 'chunkwise'), ('deltanet', 'recurrent'),
    ('gated_deltanet', 'chunkwise'), ('gated_deltanet', 'recurrent'),
    ('fast_weights', 'implicit'), ('fast_weights', 'explicit'), ('lstm', None))
CHUNKWISE_CORES = ('linear_attention', 'deltanet', 'gated_deltanet')


def variant_config(name: str, form: str | None, length: int, pairs: int, width: int,
                   batch: int):
  """configs/mqar.py for one variant: a small training split of the given shape."""
  config = mqar_config.get_config()
  config.model.name, config.model.hidden_size = name, width
  if name == 'fast_weights':
    config.model.form = form
  elif form:
    config.model.chunk_form = form
  config.data.update(length=length, num_pairs=pairs, num_train=4 * batch, num_valid=batch,
                     num_test=batch)
  config.train.batch_size = batch
  return config


def _side_by_side(configs: dict, steps: int, repeats: int) -> tuple[dict, dict]:
  """Each config's training (compiled once) and its timed repetitions, taken in turns."""
  trainings = {key: measure.CompiledTraining(config) for key, config in configs.items()}
  for training in trainings.values():
    training.time_steps(steps)  # warm-up
  seconds = {key: [] for key in configs}
  for _ in range(repeats):
    for key, training in trainings.items():
      seconds[key].append(training.time_steps(steps))
  return trainings, seconds


def throughput(length: int, pairs: int, width: int, batch: int, steps: int,
               repeats: int) -> list[dict]:
  """Sequences per second of every variant (median, min, max over the repetitions)."""
  configs = {v: variant_config(*v, length, pairs, width, batch) for v in VARIANTS}
  trainings, seconds = _side_by_side(configs, steps, repeats)
  rows = []
  for (name, form), training in trainings.items():
    rate = measure.summarise(seconds[(name, form)], steps * batch)
    rows.append(dict(core=name, form=form, sequences_per_second=rate,
                     compile_seconds=training.compile_seconds,
                     state_bytes=stack_state_bytes(configs[(name, form)].model, length)))
  return rows


def chunk_throughput(chunks: tuple[int, ...], length: int, pairs: int, width: int, batch: int,
                     steps: int, repeats: int) -> list[dict]:
  """Sequences per second of each chunkwise core at each chunk size, side by side."""
  configs = {}
  for name in CHUNKWISE_CORES:
    for chunk in chunks:
      configs[(name, chunk)] = variant_config(name, 'chunkwise', length, pairs, width, batch)
      configs[(name, chunk)].model.chunk = chunk
  _, seconds = _side_by_side(configs, steps, repeats)
  return [dict(core=name, chunk=chunk,
               sequences_per_second=measure.summarise(seconds[(name, chunk)], steps * batch))
          for name, chunk in configs]


def gradient_memory(lengths: tuple[int, ...], width: int, batch: int) -> list[dict]:
  """Planned peak memory (bytes) of one gradient of every variant at every length, kv = L/16."""
  rows = []
  for length in lengths:
    row = {'length': length}
    for name, form in VARIANTS:
      config = variant_config(name, form, length, max(1, length // 16), width, batch)
      tokens = np.random.default_rng(0).integers(0, config.data.vocab_size, (batch, length))
      positions = np.linspace(0, length - 1, config.data.num_pairs).astype(int)
      labels = np.stack(np.broadcast_arrays(positions, 1), -1)[None].repeat(batch, 0)
      row[f'{name}/{form}'] = measure.gradient_peak_bytes(
          config, jnp.asarray(tokens, jnp.int32), jnp.asarray(labels, jnp.int32))
    rows.append(row)
  return rows


def print_throughput(rows: list[dict]) -> None:
  print(f'{"core":<20}{"form":<11}{"seq/s (median)":>16}{"min":>9}{"max":>9}{"state (B)":>10}'
        f'{"compile s":>11}')
  for r in rows:
    rate = r['sequences_per_second']
    print(f'{r["core"]:<20}{r["form"] or "-":<11}{rate["median"]:>16.0f}{rate["min"]:>9.0f}'
          f'{rate["max"]:>9.0f}{r["state_bytes"]:>10,}{r["compile_seconds"]:>11.1f}')


def print_chunks(rows: list[dict]) -> None:
  print(f'{"core":<20}{"chunk":>6}{"seq/s (median)":>16}{"min":>9}{"max":>9}')
  for r in rows:
    rate = r['sequences_per_second']
    print(f'{r["core"]:<20}{r["chunk"]:>6}{rate["median"]:>16.0f}{rate["min"]:>9.0f}'
          f'{rate["max"]:>9.0f}')


def print_memory(rows: list[dict]) -> None:
  names = [k for k in rows[0] if k != 'length']
  print('planned peak memory of one gradient (MiB)\n' + f'{"L":>6}' +
        ''.join(f'{n[:18]:>20}' for n in names))
  for r in rows:
    print(f'{r["length"]:>6}' + ''.join(f'{r[n] / 2**20:>20.1f}' for n in names))

