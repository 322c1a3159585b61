r"""Training-speed and memory benchmark, variants measured side by side in one run.

    pip install -r requirements-bench.txt
    python scripts/benchmark.py --config=configs/assoc_recall.py --out=results/speed/benchmark_cpu.json

Variants: (a) fwrnn's training step, (b) an eager PyTorch loop with an explicit A (how
public implementations train), (c) fwrnn with the explicit-A form, (d) a population of
--population members. On a CPU each core is a device, as for train.py and sweep.py: a single
run splits its batch over them, a population spreads its members. Timed repetitions are
interleaved across variants so the ratios hold on a noisy machine. --memory_sweep adds the
planned peak memory of a gradient for sequence lengths 11 … 1024 in both forms. The PyTorch
reference and the memory sweep read token sequences, so an image task (the glimpses) gets
(a), (c) and (d) only:

    python scripts/benchmark.py --config=configs/mnist_glimpses.py --config.data.dir=PATH \
        --out=results/speed/benchmark_glimpses_cpu.json

--compile_times instead times what a researcher waits for when a shape changes: `init` and the
first jitted gradient of the fast-weights layer (its quick-to-compile defaults, and the
trainer's fully unrolled setting) and of nn.RNN(nn.OptimizedLSTMCell), H = 64, T = 20 and 128,
each in a fresh process, the variants taking turns:

    python scripts/benchmark.py --compile_times --out=results/speed/compile_times_cpu.json

--mixers times every MQAR core in each of its forms (fwrnn/bench/mixers.py) at L =
--mixer_length, and the planned peak memory of a gradient as L grows:

    python scripts/benchmark.py --mixers --out=results/speed/mqar_mixers_cpu.json

--mixer_chunks=16,32,64 times the chunkwise cores at each chunk size instead.
"""

import json
import os
import platform
import statistics
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
from absl import app, flags, logging
from ml_collections import config_flags

from fwrnn import console, tasks
from fwrnn.layers import inputs
from fwrnn.engine import population
from fwrnn.bench import compile_time, flop_model, measure, mixers

_CONFIG = config_flags.DEFINE_config_file('config', None, 'Config to time.')
_STEPS = flags.DEFINE_integer('steps', 200, 'Optimisation steps per timed repetition.')
_REPEATS = flags.DEFINE_integer('repeats', 5, 'Timed repetitions per variant (after warm-up).')
_POPULATION = flags.DEFINE_integer('population', 16, 'Members of variant (d); 0 skips it.')
_TORCH = flags.DEFINE_bool('torch', True, 'Time the eager PyTorch reference (b).')
_MEMORY_SWEEP = flags.DEFINE_bool('memory_sweep', False, 'Sweep T for peak gradient memory.')
_COMPILE_TIMES = flags.DEFINE_bool('compile_times', False, 'Time init and the first gradient '
                                   'of the layers instead (no --config needed).')
_MIXERS = flags.DEFINE_bool('mixers', False, 'Time the MQAR cores and forms instead.')
_MIXER_LENGTH = flags.DEFINE_integer('mixer_length', 256, 'L of the --mixers timing (kv = L/16).')
_MIXER_WIDTH = flags.DEFINE_integer('mixer_width', 64, 'Model width of --mixers.')
_MIXER_BATCH = flags.DEFINE_integer('mixer_batch', 32, 'Batch of --mixers.')
_MIXER_MEMORY = flags.DEFINE_list('mixer_memory_lengths', ['64', '128', '256', '512', '1024'],
                                  'Sequence lengths of the --mixers memory sweep.')
_MIXER_CHUNKS = flags.DEFINE_list('mixer_chunks', [], 'With --mixers: time the chunkwise cores '
                                  'at each of these chunk sizes instead.')
_OUT = flags.DEFINE_string('out', None, 'Write the results as JSON here.')
COMPILE_LENGTHS, COMPILE_HIDDEN = (20, 128), 64

SWEEP_LENGTHS = (11, 64, 128, 256, 512, 1024)
SWEEP_HIDDEN, SWEEP_BATCH = 128, 32


def _timers(config, train_split):
  """name → (seconds-for-n-steps function, sequences per step, extra facts)."""
  timers = {}
  fwrnn_step = measure.CompiledTraining(config)
  timers['fwrnn'] = (fwrnn_step.time_steps, 1, fwrnn_step)
  if _TORCH.value and _is_token_task(train_split):
    import torch_reference  # scripts/torch_reference.py, beside this script
    x, y = train_split.x[:config.train.batch_size], train_split.y[:config.train.batch_size]
    timers['pytorch_eager'] = (
        lambda n: torch_reference.time_training(x, y, int(train_split.x.max()) + 1,
                                                config.model.hidden_size,
                                                config.model.inner_steps, n), 1, None)
  explicit = config.copy_and_resolve_references()
  explicit.model.form = 'explicit'
  explicit_step = measure.CompiledTraining(explicit)
  timers['fwrnn_explicit'] = (explicit_step.time_steps, 1, explicit_step)
  if _POPULATION.value > 1:
    population = measure.CompiledTraining(config, _POPULATION.value)
    timers[f'fwrnn_population{_POPULATION.value}'] = (population.time_steps, _POPULATION.value,
                                                       population)
  return timers


def _is_token_task(train_split) -> bool:
  """Whether the task's inputs are token sequences (N×T integers), as the PyTorch reference
  and the memory sweep read them."""
  return train_split.x.ndim == 2 and np.issubdtype(train_split.x.dtype, np.integer)


def _sequence_length(config, task, train_split) -> int:
  """T of the sequence that the task's encoder makes of one example."""
  encoder = task.encoder(config)
  shapes, _ = jax.eval_shape(lambda: encoder.init_with_output(jax.random.key(0),
                                                              train_split.x[:1]))
  return inputs.sequence_shape(shapes)[1]


def _time_rounds(timers: dict, steps: int) -> tuple[dict, list]:
  """Seconds of every timed repetition per variant, interleaved, and the matmul peak of each
  round (measured in every round too, so that the fractions compare like with like)."""
  for run_steps, _, _ in timers.values():
    run_steps(steps)  # warm-up
  seconds, peaks = {name: [] for name in timers}, []
  for _ in range(_REPEATS.value):
    for name, (run_steps, _, _) in timers.items():
      seconds[name].append(run_steps(steps))
    peaks.append(measure.matmul_peak_flops())
  return seconds, peaks


def _rows(timers: dict, seconds: dict, steps: int, batch: int, flops: int, peak: float) -> dict:
  """Per variant: sequences/s, FLOP/s, fraction of the peak, compile time, planned memory."""
  rows = {}
  for name, (_, members, compiled) in timers.items():
    steps_per_s = measure.summarise(seconds[name], steps)
    rows[name] = {
        'members': members,
        'devices': compiled.devices if compiled else None,
        'steps_per_second': steps_per_s,
        'sequences_per_second': {k: v * batch * members for k, v in steps_per_s.items()},
        'flops_per_second': steps_per_s['median'] * flops * members,
        'fraction_of_peak': steps_per_s['median'] * flops * members / peak,
        'compile_seconds': compiled.compile_seconds if compiled else None,
        'planned_peak_bytes': compiled.peak_bytes if compiled else None,
    }
  if 'pytorch_eager' in rows:
    reference = rows['pytorch_eager']['sequences_per_second']['median']
    for row in rows.values():
      row['speedup_vs_pytorch_eager'] = row['sequences_per_second']['median'] / reference
  return rows


def _print_rows(rows: dict) -> None:
  print(f'{"variant":<22}{"seq/s (median)":>16}{"min":>10}{"max":>10}{"GFLOP/s":>10}'
        f'{"% peak":>8}{"vs torch":>10}{"compile s":>11}')
  for name, row in rows.items():
    seq = row['sequences_per_second']
    compile_s = f'{row["compile_seconds"]:.1f}' if row['compile_seconds'] else '-'
    print(f'{name:<22}{seq["median"]:>16.0f}{seq["min"]:>10.0f}{seq["max"]:>10.0f}'
          f'{row["flops_per_second"] / 1e9:>10.1f}{100 * row["fraction_of_peak"]:>8.1f}'
          f'{row.get("speedup_vs_pytorch_eager", float("nan")):>10.1f}{compile_s:>11}')


def _memory_sweep(config, vocab: int) -> dict:
  """Planned peak memory of one gradient on random token sequences of each SWEEP_LENGTHS."""
  sweep = config.copy_and_resolve_references()
  sweep.model.hidden_size = SWEEP_HIDDEN
  result = {'hidden_size': SWEEP_HIDDEN, 'batch_size': SWEEP_BATCH, 'rows': []}
  print(f'\nplanned peak memory of one gradient, H={SWEEP_HIDDEN}, B={SWEEP_BATCH} (MiB)')
  print(f'{"T":>6}{"implicit":>12}{"explicit":>12}')
  for length in SWEEP_LENGTHS:
    row = {'sequence_length': length}
    tokens = np.random.default_rng(0).integers(0, vocab, (SWEEP_BATCH, length))
    for form in ('implicit', 'explicit'):
      sweep.model.form = form
      row[form] = measure.gradient_peak_bytes(sweep, jnp.asarray(tokens, jnp.int32),
                                              jnp.zeros((SWEEP_BATCH,), jnp.int32))
    result['rows'].append(row)
    print(f'{length:>6}{row["implicit"] / 2**20:>12.1f}{row["explicit"] / 2**20:>12.1f}')
  return result


def _compile_times() -> dict:
  """Medians over --repeats fresh processes of each variant's init and gradient seconds."""
  runs = []
  for _ in range(_REPEATS.value):
    for length in COMPILE_LENGTHS:
      for variant in compile_time.VARIANTS:
        done = subprocess.run([sys.executable, '-m', 'fwrnn.bench.compile_time', variant,
                               str(length), str(COMPILE_HIDDEN)], capture_output=True, text=True,
                              check=True)
        runs.append(json.loads(done.stdout.splitlines()[-1]))
  rows = []
  print(f'H = {COMPILE_HIDDEN}, B = {compile_time.BATCH}, D = {compile_time.FEATURES}; median of '
        f'{_REPEATS.value} fresh processes each (seconds)')
  print(f'{"variant":<22}{"T":>5}{"init":>8}{"gradient":>10}')
  for length in COMPILE_LENGTHS:
    for variant in compile_time.VARIANTS:
      mine = [r for r in runs if r['variant'] == variant and r['length'] == length]
      row = {'variant': variant, 'length': length,
             'init_seconds': statistics.median(r['init_seconds'] for r in mine),
             'gradient_seconds': statistics.median(r['gradient_seconds'] for r in mine)}
      rows.append(row)
      print(f'{variant:<22}{length:>5}{row["init_seconds"]:>8.2f}{row["gradient_seconds"]:>10.2f}')
  return {'machine': {'processor': platform.processor(), 'cpu_count': os.cpu_count(),
                      'jax': jax.__version__}, 'hidden': COMPILE_HIDDEN, 'rows': rows,
          'runs': runs}


def _mixers() -> dict:
  """The MQAR cores' throughput at --mixer_length and their gradient memory as L grows (or,
  with --mixer_chunks, the chunkwise cores' throughput at each chunk size)."""
  length, width, batch = _MIXER_LENGTH.value, _MIXER_WIDTH.value, _MIXER_BATCH.value
  setting = {'machine': {'processor': platform.processor(), 'cpu_count': os.cpu_count(),
                         'jax': jax.__version__},
             'length': length, 'width': width, 'batch_size': batch,
             'steps_per_repeat': _STEPS.value, 'repeats': _REPEATS.value}
  print(f'MQAR L={length} kv={length // 16} width {width} batch {batch} on {jax.devices()[0]}')
  if _MIXER_CHUNKS.value:
    chunks = tuple(map(int, _MIXER_CHUNKS.value))
    rows = mixers.chunk_throughput(chunks, length, length // 16, width, batch, _STEPS.value,
                                   _REPEATS.value)
    mixers.print_chunks(rows)
    return {**setting, 'chunk_throughput': rows}
  rows = mixers.throughput(length, length // 16, width, batch, _STEPS.value, _REPEATS.value)
  mixers.print_throughput(rows)
  memory = mixers.gradient_memory(tuple(map(int, _MIXER_MEMORY.value)), width, batch)
  mixers.print_memory(memory)
  return {**setting, 'throughput': rows, 'gradient_memory': memory}


def _write(report: dict) -> None:
  if _OUT.value:
    os.makedirs(os.path.dirname(_OUT.value) or '.', exist_ok=True)
    with open(_OUT.value, 'w') as f:
      json.dump(report, f, indent=2)
    print(f'wrote {_OUT.value}')


def main(argv):
  del argv
  if _COMPILE_TIMES.value:
    _write(_compile_times())
    return
  if _MIXERS.value:
    population.use_every_cpu_core()
    logging.set_verbosity(logging.WARNING)
    _write(_mixers())
    return
  if _CONFIG.value is None:
    sys.exit('error: give --config=FILE (or --compile_times)')
  population.use_every_cpu_core()  # runs spread over the cores, as in train.py
  logging.set_verbosity(logging.WARNING)
  config = _CONFIG.value
  m, batch, steps = config.model, config.train.batch_size, _STEPS.value
  task = tasks.load(config.task)
  train_split = task.load_splits(config).train
  length = _sequence_length(config, task, train_split)
  flops = flop_model.train_step_flops(m.name, m.hidden_size, length, batch, m.inner_steps,
                                      m.head_size, m.ln_on_h0)
  timers = _timers(config, train_split)
  seconds, peaks = _time_rounds(timers, steps)
  peak = statistics.median(peaks)
  rows = _rows(timers, seconds, steps, batch, flops, peak)
  report = {
      'machine': {'platform': platform.platform(), 'processor': platform.processor(),
                  'cpu_count': os.cpu_count(), 'device': str(jax.devices()[0]),
                  'jax': jax.__version__},
      'config': {'model': m.name, 'hidden_size': m.hidden_size, 'inner_steps': m.inner_steps,
                 'form': m.form, 'batch_size': batch, 'sequence_length': length},
      'flops_per_step': flops, 'matmul_peak_flops_per_second': peak,
      'matmul_peak_flops_per_second_range': [min(peaks), max(peaks)],
      'steps_per_repeat': steps, 'repeats': _REPEATS.value, 'variants': rows,
  }
  print(f'{m.name} R={m.hidden_size} T={length} B={batch} S={m.inner_steps} on {jax.devices()[0]}; '
        f'{flops / 1e6:.1f} MFLOP per step; matmul peak {peak / 1e9:.0f} GFLOP/s (median of '
        f'{len(peaks)} rounds, {min(peaks) / 1e9:.0f}–{max(peaks) / 1e9:.0f})')
  _print_rows(rows)
  if _MEMORY_SWEEP.value and _is_token_task(train_split):
    report['memory_sweep'] = _memory_sweep(config, int(train_split.x.max()) + 1)
  _write(report)


if __name__ == '__main__':
  app.run(main, flags_parser=console.parse_flags)
