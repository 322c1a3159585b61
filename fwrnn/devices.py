"""Where a population lives: a Mesh over the devices, the member axis sharded across it.

On one host every local device is used; started through jax.distributed on several hosts,
jax.devices() spans them all and the same code spreads the members over every host.
"""

import jax
import numpy as np
from jax.experimental import multihost_utils
from jax.sharding import AxisType, NamedSharding, PartitionSpec

MEMBER_AXIS = 'members'


def member_mesh(population_size: int) -> jax.sharding.Mesh:
  """A 1-d mesh over as many devices as there are members, at most all of them."""
  count = min(jax.device_count(), population_size)
  return jax.make_mesh((count,), (MEMBER_AXIS,), axis_types=(AxisType.Auto,),
                       devices=jax.devices()[:count])


def pad_to_mesh(items: list, mesh: jax.sharding.Mesh) -> list:
  """items, with its last element repeated up to a multiple of the mesh size."""
  count = mesh.devices.size
  return items + [items[-1]] * (-len(items) % count)


def members(mesh: jax.sharding.Mesh) -> NamedSharding:
  """Leading (member) axis split over the mesh."""
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
