"""The glimpse sequence of one image, drawn in the order a core reads it."""

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from fwrnn.tasks import glimpses


def draw(image: np.ndarray, layout_name: str, glimpse_size: int, path: str, title: str) -> None:
  """Writes a PNG: the image with its quadrants, then every glimpse (six per row) titled with
  its step, scale and quadrant."""
  size = image.shape[0]
  sequence = glimpses.layout(layout_name, size, glimpse_size)
  pixels = np.asarray(glimpses.glimpse_pixels(np.asarray(image, np.float32)[None] / 255.0,
                                              sequence, glimpse_size))[0]
  columns = 6
  rows = -(-len(sequence) // columns)
  fig = Figure(figsize=(2.2 + 1.25 * columns, 1.35 * rows + 0.6))
  grid = fig.add_gridspec(rows, columns + 2, width_ratios=[2.2, 0.25] + [1] * columns)
  whole = fig.add_subplot(grid[:, 0])
  whole.imshow(image, cmap='gray', vmin=0, vmax=255)
  for q in range(4):
    whole.add_patch(Rectangle((size / 2 * (q % 2) - 0.5, size / 2 * (q // 2) - 0.5), size / 2,
                              size / 2, fill=False, edgecolor='tab:orange', linewidth=1))
    whole.text(size / 2 * (q % 2) + 1, size / 2 * (q // 2) + 3, f'q{q + 1}', color='tab:orange',
               fontsize=8)
  whole.set(xticks=[], yticks=[], title=title,
            xlabel='blue frames: coarse glimpses\n(a quadrant averaged down);\ngrey: native patches')
  for t, (g, patch) in enumerate(zip(sequence, pixels)):
    ax = fig.add_subplot(grid[t // columns, 2 + t % columns])
    ax.imshow(patch, cmap='gray', vmin=0, vmax=1)
    ax.set(xticks=[], yticks=[])
    ax.set_title(f't={t + 1} {glimpses.step_label(g, size)}', fontsize=6.5)
    for spine in ax.spines.values():
      spine.set_edgecolor('tab:blue' if g.scale == 0 else 'tab:gray')
      spine.set_linewidth(2 if g.scale == 0 else 0.8)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
