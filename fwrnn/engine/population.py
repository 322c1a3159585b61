"""Populations: runs that share one compiled program, spread over a members × batch Mesh.

The one place that decides how members are padded, sharded and stepped through. Every
device runs a function of one member on its own members: batched with vmap on an
accelerator, one after another with lax.map on a CPU (where batched small matrix products
are slow), unbatched when it has one. Devices left over once every member has one split each
member's batch (data parallelism, see BatchShare). A single run is a population of one.

On one host every local device is used; started through jax.distributed on several hosts,
jax.devices() spans them all and the same code spreads the members over every host.
"""

import dataclasses
import os
from typing import Callable

import jax
import jax.flatten_util
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, NamedSharding, PartitionSpec

MEMBER_AXIS = 'members'
BATCH_AXIS = 'batch'
CPU_COUNT_FLAG = 'xla_force_host_platform_device_count'


def use_every_cpu_core() -> None:
  """Makes each CPU core a JAX device (call before JAX starts its backends), unless XLA_FLAGS
  already sets a count. Accelerators stay the default devices where there are any."""
  if CPU_COUNT_FLAG not in os.environ.get('XLA_FLAGS', ''):
    jax.config.update('jax_num_cpu_devices', os.cpu_count())


def join_hosts() -> None:
  """Joins the processes of a multi-host run (jax.distributed): from JAX_COORDINATOR_ADDRESS,
  JAX_NUM_PROCESSES and JAX_PROCESS_ID where they are set, else JAX's own cluster detection
  (SLURM, Open MPI, Cloud TPU). Call before JAX starts its backends."""
  number = lambda name: int(os.environ[name]) if name in os.environ else None
  jax.distributed.initialize(os.environ.get('JAX_COORDINATOR_ADDRESS'),
                             number('JAX_NUM_PROCESSES'), number('JAX_PROCESS_ID'))


def mesh_layout(device_count: int, population_size: int, batch_size: int) -> tuple[int, int]:
  """(member devices, batch devices) that leave the least work on the busiest device.

  Members are spread over the first axis; each member's batch is split over the second,
  as far as it divides evenly. Ties go to spreading members, which needs no communication.
  """

  def batch_devices(member_devices):
    split = device_count // member_devices
    while batch_size % split:
      split -= 1
    return split

  layouts = [(m, batch_devices(m)) for m in range(1, min(device_count, population_size) + 1)]
  busiest_work = lambda layout: (-(-population_size // layout[0]) / layout[1], -layout[0])
  return min(layouts, key=busiest_work)


@dataclasses.dataclass(frozen=True)
class BatchShare:
  """Which rows of a member's batch this device takes, and how their results are averaged:
  over the mesh's batch axis when it splits batches, else all rows and nothing to average."""
  axis: str | None

  def rows(self, order_N: jax.Array, start, batch_size: int) -> jax.Array:
    """This device's share of the batch order[start : start + batch_size]."""
    if self.axis is None:
      return jax.lax.dynamic_slice_in_dim(order_N, start, batch_size)
    share = batch_size // jax.lax.axis_size(self.axis)
    first = start + jax.lax.axis_index(self.axis) * share
    return jax.lax.dynamic_slice_in_dim(order_N, first, share)

  def mean(self, tree):
    """The tree averaged over the devices sharing the batch, in one all-reduce."""
    if self.axis is None:
      return tree
    flat, unflatten = jax.flatten_util.ravel_pytree(tree)
    return unflatten(jax.lax.pmean(flat, self.axis))


def stack(trees: list):
  """Trees of equal structure → one tree of NumPy arrays with a leading member axis."""
  return jax.tree.map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *trees)


def unstack(tree, count: int) -> list:
  """The first count members of a stacked tree, one tree each."""
  return [jax.tree.map(lambda x: np.asarray(x[i]), tree) for i in range(count)]


class Population:
  """size members over a mesh of the devices; see the module docstring."""

  def __init__(self, size: int, batch_size: int):
    self.size = size
    shape = mesh_layout(jax.device_count(), size, batch_size)
    self.mesh = jax.make_mesh(shape, (MEMBER_AXIS, BATCH_AXIS), axis_types=(AxisType.Auto,) * 2,
                              devices=jax.devices()[:shape[0] * shape[1]])
    self.padded_size = -(-size // shape[0]) * shape[0]
    self.share = BatchShare(BATCH_AXIS if shape[1] > 1 else None)
    self.loop = 'map' if jax.default_backend() == 'cpu' else 'vmap'

  @property
  def device_count(self) -> int:
    return self.mesh.devices.size

  def put(self, members: list, like=None):
    """Per-member trees (host) → one stacked tree, padded with repeats of the last member
    to fill the mesh, its member axis split over the mesh; laid out as the stacked tree like
    where given (a fresh state), so that a restored state meets the program compiled for a
    fresh one (XLA writes a member axis of one device as no split at all)."""
    padded = stack(members + [members[-1]] * (self.padded_size - len(members)))
    if like is None:
      like = jax.tree.map(lambda _: NamedSharding(self.mesh, PartitionSpec(MEMBER_AXIS)), padded)
    else:
      like = jax.tree.map(lambda x: x.sharding, like)
    return jax.tree.map(_global, padded, like)

  def replicate(self, tree):
    """A whole copy of a host tree on every device (the data)."""
    return jax.tree.map(lambda x: _global(x, NamedSharding(self.mesh, PartitionSpec())), tree)

  def to_host(self, tree) -> object:
    """NumPy copies of a stacked tree, the padding dropped."""
    if jax.process_count() > 1:
      host = multihost_utils.process_allgather(tree, tiled=True)
    else:
      host = jax.device_get(tree)
    return jax.tree.map(lambda x: np.asarray(x)[:self.size], host)

  def each_member(self, fn: Callable, member_args: int) -> Callable:
    """fn of one member, applied to every member: its first member_args arguments have a
    member axis, split over the mesh; the others (data, loop bounds) are whole on every
    device. A member's devices on the batch axis hold equal copies of it."""
    loop = self.loop

    def on_device(*args):
      members, whole = args[:member_args], args[member_args:]
      one = lambda *m: fn(*m, *whole)
      if jax.tree.leaves(members)[0].shape[0] == 1:
        return jax.tree.map(lambda x: x[None], one(*jax.tree.map(lambda x: x[0], members)))
      if loop == 'map':
        return jax.lax.map(lambda m: one(*m), members)
      return jax.vmap(one)(*members)

    def spread(*args):
      specs = ((PartitionSpec(MEMBER_AXIS),) * member_args
               + (PartitionSpec(),) * (len(args) - member_args))
      # check_vma=False: JAX cannot follow the equal copies through the epoch-order branch.
      return jax.shard_map(on_device, mesh=self.mesh, in_specs=specs,
                           out_specs=PartitionSpec(MEMBER_AXIS), check_vma=False)(*args)

    return spread


def _global(x, sharding: jax.sharding.Sharding) -> jax.Array:
  """A host array, equal on every process, as a global array with this sharding."""
  return jax.make_array_from_callback(np.shape(x), sharding, lambda index: np.asarray(x)[index])


def writes_files() -> bool:
  """Whether this process writes logs and results (the first host only)."""
  return jax.process_index() == 0
