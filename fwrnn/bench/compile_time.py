"""Compile time of a recurrent layer as a researcher meets it in a fresh process: `init` and
the first call of a jitted gradient, for the fast-weights layer and flax's LSTM.

    python -m fwrnn.bench.compile_time VARIANT LENGTH HIDDEN   # prints one JSON line

scripts/benchmark.py --compile_times runs it for every variant, alternately.
"""

import json
import sys
import time

import flax.linen as nn
import jax
import jax.numpy as jnp

from fwrnn.layers import FastWeights
from fwrnn.layers.cell_parts import TRACE_LENGTH, UNROLL_LENGTH

BATCH, FEATURES = 16, 32
VARIANTS = {
    'fast_weights': lambda hidden: FastWeights(hidden),  # the layer's defaults
    'fast_weights_trainer': lambda hidden: FastWeights(hidden, unroll_length=UNROLL_LENGTH,
                                                       trace_length=TRACE_LENGTH),
    'lstm': lambda hidden: nn.RNN(nn.OptimizedLSTMCell(hidden)),
}


def measure(variant: str, length: int, hidden: int) -> dict:
  """Seconds of init and of the first jitted gradient (tracing and compiling included)."""
  layer = VARIANTS[variant](hidden)
  x = jnp.ones((BATCH, length, FEATURES))
  started = time.perf_counter()
  params = jax.block_until_ready(layer.init(jax.random.key(0), x))
  init_seconds = time.perf_counter() - started
  gradient = jax.jit(jax.grad(lambda p, x: jnp.sum(layer.apply(p, x) ** 2)))
  started = time.perf_counter()
  jax.block_until_ready(gradient(params, x))
  return {'variant': variant, 'length': length, 'hidden': hidden, 'init_seconds': init_seconds,
          'gradient_seconds': time.perf_counter() - started}


if __name__ == '__main__':
  print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
