"""Where a population lives: a members × batch Mesh over the devices, each running its share.

On one host every local device is used; started through jax.distributed on several hosts,
jax.devices() spans them all and the same code spreads the members over every host.
"""

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, NamedSharding, PartitionSpec

MEMBER_AXIS = 'members'
BATCH_AXIS = 'batch'


def mesh_layout(device_count: int, population_size: int, batch_size: int) -> tuple[int, int]:
  """(member devices, batch devices) that leave the least work on the busiest device.

  Members are spread over the first axis; each member's batch is split over the second
  (data parallelism), as far as it divides evenly. Ties go to spreading members, which needs
  no communication.
  """

  def batch_devices(member_devices):
    split = device_count // member_devices
    while batch_size % split:
      split -= 1
    return split

  layouts = [(m, batch_devices(m)) for m in range(1, min(device_count, population_size) + 1)]
  busiest_work = lambda layout: (-(-population_size // layout[0]) / layout[1], -layout[0])
  return min(layouts, key=busiest_work)


def member_mesh(population_size: int, batch_size: int) -> jax.sharding.Mesh:
  """A members × batch mesh over the devices (every host's), laid out by mesh_layout."""
  shape = mesh_layout(jax.device_count(), population_size, batch_size)
  return jax.make_mesh(shape, (MEMBER_AXIS, BATCH_AXIS), axis_types=(AxisType.Auto,) * 2,
                       devices=jax.devices()[:shape[0] * shape[1]])


def member_loop() -> str:
  """How one device steps through its members: batched ('vmap') on an accelerator, one
  after another ('map') on a CPU, where batched small matrix products are slow."""
  return 'map' if jax.default_backend() == 'cpu' else 'vmap'


def on_each_device(fn, mesh: jax.sharding.Mesh, member_args: int):
  """fn run by every device on its own members: its first member_args arguments have a member
  axis, split over the mesh; the others (the data) are whole on every device. A member's
  devices on the batch axis hold equal copies of it (a training step averages its gradient
  over them)."""

  def spread(*args):
    whole_args = len(args) - member_args
    specs = (PartitionSpec(MEMBER_AXIS),) * member_args + (PartitionSpec(),) * whole_args
    # check_vma=False: JAX cannot follow the equal copies through the epoch-order branch.
    return jax.shard_map(fn, mesh=mesh, in_specs=specs, out_specs=PartitionSpec(MEMBER_AXIS),
                         check_vma=False)(*args)

  return spread


def pad_to_mesh(items: list, mesh: jax.sharding.Mesh) -> list:
  """items, with its last element repeated up to a multiple of the mesh's member axis."""
  count = mesh.shape[MEMBER_AXIS]
  return items + [items[-1]] * (-len(items) % count)


def members(mesh: jax.sharding.Mesh) -> NamedSharding:
  """Leading (member) axis split over the mesh's members, whole on each batch device."""
  return NamedSharding(mesh, PartitionSpec(MEMBER_AXIS))


def replicated(mesh: jax.sharding.Mesh) -> NamedSharding:
  """A whole copy on every device of the mesh (the data)."""
  return NamedSharding(mesh, PartitionSpec())


def to_host(tree):
  """NumPy copies of (possibly sharded, possibly multi-host) arrays."""
  if jax.process_count() > 1:
    return multihost_utils.process_allgather(tree, tiled=True)
  return jax.tree.map(np.asarray, jax.device_get(tree))


def writes_files() -> bool:
  """Whether this process writes logs and results (the first host only)."""
  return jax.process_index() == 0
