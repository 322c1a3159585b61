"""A fixed hierarchy of glimpses of an image at two scales (Ba et al. 2016, Section 4.2).

The image (S×S) is cut into four quadrants (S/2 × S/2). A coarse glimpse is a quadrant
averaged down to G×G; a fine glimpse is one of the quadrant's native G×G patches. The paper
does not spell out the order, so the layouts are a reconstruction [choice]:

  'hierarchical' (default): per quadrant, its coarse glimpse, its fine glimpses, then the
                 coarse glimpse again (the net returns to the coarse level): 4 × 6 = 24 for
                 MNIST (S = 28, G = 7).
  'hierarchical_recall': as 'hierarchical', but the step that returns to the coarse level
                 shows no pixels (zeros, neither scale, the quadrant's centre): the net must
                 restore the coarse-level state from its memory rather than see it again.
  'coarse_then_fine': the four coarse glimpses, every fine glimpse, then the four coarse
                 glimpses again: the same 24 glimpses in another order.

Every step gives the G² pixels, the scale (one-hot: coarse, fine; a recall step is neither)
and the glimpse's centre (row, column in [0, 1]) as input.
"""

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from fwrnn.engine.config_checks import require
from fwrnn.layers.inputs import Glimpses

LAYOUTS = ('hierarchical', 'hierarchical_recall', 'coarse_then_fine')
SCALES = ('coarse', 'fine', 'recall')
RECALL = SCALES.index('recall')  # the scale of a step that names a region but shows no pixels


class Glimpse(NamedTuple):
  """A square region of the image (top, left, side in pixels) seen at scale (0 coarse, 1
  fine), averaged down to the glimpse size; at scale RECALL it shows no pixels."""
  scale: int
  top: int
  left: int
  side: int


def layout(name: str, image_size: int, glimpse_size: int) -> list[Glimpse]:
  """The glimpses of one image in the order they are read."""
  half = image_size // 2
  per_side = half // glimpse_size
  quadrants = [(r * half, c * half) for r in range(2) for c in range(2)]
  coarse = [Glimpse(0, top, left, half) for top, left in quadrants]
  fine = [[Glimpse(1, top + i * glimpse_size, left + j * glimpse_size, glimpse_size)
           for i in range(per_side) for j in range(per_side)] for top, left in quadrants]
  if name in ('hierarchical', 'hierarchical_recall'):
    back = [g._replace(scale=RECALL) if name == 'hierarchical_recall' else g for g in coarse]
    return [g for q in range(4) for g in [coarse[q], *fine[q], back[q]]]
  if name == 'coarse_then_fine':
    return coarse + [g for quadrant in fine for g in quadrant] + coarse
  raise ValueError(f'unknown glimpse layout {name!r}; known: {", ".join(LAYOUTS)}')


def check_glimpse_size(config, image_size: int) -> None:
  """ConfigError unless data.glimpse_size tiles the image's quadrants."""
  size, half = config.data.glimpse_size, image_size // 2
  require(half % size == 0, 'data.glimpse_size', f'a divisor of {half} (a glimpse tiles a '
          f'quadrant of {half}×{half} pixels)', size)


def where_features(glimpses: list[Glimpse], image_size: int) -> np.ndarray:
  """T×4: the scale one-hot and the centre (row, column) / image size of every glimpse."""
  rows = [[g.scale == 0, g.scale == 1, (g.top + g.side / 2) / image_size,
           (g.left + g.side / 2) / image_size] for g in glimpses]
  return np.asarray(rows, np.float32)


def glimpse_pixels(images_BxSxS: jax.Array, glimpses: list[Glimpse],
                   glimpse_size: int) -> jax.Array:
  """B×T×G×G: every glimpse of every image, each region averaged down to G×G (zeros for a
  recall step)."""
  batch = images_BxSxS.shape[0]

  def one(g: Glimpse):
    if g.scale == RECALL:
      return jnp.zeros((batch, glimpse_size, glimpse_size), images_BxSxS.dtype)
    region = images_BxSxS[:, g.top:g.top + g.side, g.left:g.left + g.side]
    factor = g.side // glimpse_size
    return region.reshape(batch, glimpse_size, factor, glimpse_size, factor).mean((2, 4))

  return jnp.stack([one(g) for g in glimpses], axis=1)


class GlimpseSequence(nn.Module):
  """Images (B×S×S, uint8 or in [0, 1]) → the B×T×(G² + 4) sequence of their glimpses, as
  Glimpses (pixels B×T×G×G and where B×T×4)."""
  layout: str
  image_size: int
  glimpse_size: int

  @nn.compact
  def __call__(self, images_BxSxS) -> Glimpses:
    images = jnp.asarray(images_BxSxS, jnp.float32)
    if images_BxSxS.dtype == jnp.uint8:
      images = images / 255.0
    glimpses = layout(self.layout, self.image_size, self.glimpse_size)
    pixels = glimpse_pixels(images, glimpses, self.glimpse_size)
    where = jnp.broadcast_to(where_features(glimpses, self.image_size), (*pixels.shape[:2], 4))
    return Glimpses(pixels, where)


def step_labels(config, image_size: int) -> list[str]:
  """The glimpse read at each step of the config's layout, e.g. 'coarse q1', 'fine q1 (0, 7)'."""
  sequence = layout(config.data.layout, image_size, config.data.glimpse_size)
  return [step_label(g, image_size) for g in sequence]


def step_label(g: Glimpse, image_size: int) -> str:
  """A short name of a glimpse, e.g. 'coarse q2', 'fine q2 (7, 14)' or 'recall q2'."""
  half = image_size // 2
  quadrant = 1 + 2 * (g.top // half) + (g.left // half)
  if g.scale == 1:
    return f'fine q{quadrant} ({g.top}, {g.left})'
  return f'{SCALES[g.scale]} q{quadrant}'
