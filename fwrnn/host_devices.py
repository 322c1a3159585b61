"""Making each CPU core a JAX device, so that a run or a population spreads over the cores.

Call split_cpu_into_cores() before JAX is first imported; it has no effect afterwards. It
changes only the host (CPU) platform: on a GPU or TPU machine the accelerators stay the
default devices.
"""

import os

FLAG = 'xla_force_host_platform_device_count'


def split_cpu_into_cores() -> None:
  """Asks XLA for one host device per core, unless XLA_FLAGS already sets a count."""
  flags = os.environ.get('XLA_FLAGS', '')
  if FLAG not in flags:
    os.environ['XLA_FLAGS'] = f'{flags} --{FLAG}={os.cpu_count()}'.strip()
