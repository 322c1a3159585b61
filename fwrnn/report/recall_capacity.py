"""How many key–value pairs each fast-weight memory can give back, untrained: why the 2016
cell trails its descendants on MQAR.

Every memory here is fwrnn.layers.linear_recurrences.recurrent, the recurrence the MQAR cores
run. kv random pairs are written one a step, then `gap` more random pairs (the other tokens of
an MQAR sequence, which every memory here writes too); then each of the kv keys is read back,
and a pair counts as recalled when the read-out lies closer (inner product) to its own value
than to any other of the kv values. Every write has strength 1: a trained DeltaNet learns its
β, so what this leaves out is what training can add. The memories differ in the three ways
the 2016 cell differs from its descendants: how a write meets what is stored (adding, or the
delta rule's overwrite), whether the memory fades (Ba et al.'s λ), and what the keys look like
(Ba et al.'s keys are hidden states after layer norm and ReLU: never negative, so any two
overlap).
"""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib.figure import Figure

from fwrnn.layers import linear_recurrences


@dataclasses.dataclass(frozen=True)
class Memory:
  """One memory: its name, its keys, its write rule and its decay per step."""
  name: str
  keys: str      # 'signed': Gaussian, L2-normalised | 'relu_ln': ReLU(LN(Gaussian))
  erase: bool    # the delta rule's overwrite, or adding
  decay: float   # λ (1: none)


MEMORIES = (
    Memory('Linear attention (adds)', 'signed', False, 1.0),
    Memory('DeltaNet (overwrites)', 'signed', True, 1.0),
    Memory('Adds, fades with λ = 0.95', 'signed', False, 0.95),
    Memory('Adds, ReLU-LN keys', 'relu_ln', False, 1.0),
    Memory('Overwrites, ReLU-LN keys', 'relu_ln', True, 1.0),
    Memory('Fast weights (adds, fades, ReLU-LN keys)', 'relu_ln', False, 0.95),
)


def random_keys(rng: np.random.Generator, kind: str, shape: tuple[int, ...]) -> np.ndarray:
  """Keys of one kind, each of unit length (the delta rule needs ‖k‖ ≤ 1 with β = 1)."""
  x = rng.normal(size=shape)
  if kind == 'relu_ln':
    x = np.maximum((x - x.mean(-1, keepdims=True)) / x.std(-1, keepdims=True), 0.0)
  elif kind != 'signed':
    raise ValueError(f'unknown kind of keys {kind!r}')
  return x / np.linalg.norm(x, axis=-1, keepdims=True)


def key_overlap(kind: str, dim: int, pairs_of_keys: int, seed: int) -> tuple[float, float]:
  """The mean cosine of two random keys of a kind, and its mean absolute value."""
  keys = random_keys(np.random.default_rng(seed), kind, (pairs_of_keys, 2, dim))
  cosines = np.sum(keys[:, 0] * keys[:, 1], axis=-1)
  return float(cosines.mean()), float(np.abs(cosines).mean())


def recalled_fraction(memory: Memory, pairs: int, gap: int, dim: int, trials: int,
                      seed: int) -> float:
  """The fraction of the kv pairs whose read-out is closest to their own value, over trials."""
  rng = np.random.default_rng(seed)
  writes = pairs + gap
  keys = jnp.asarray(random_keys(rng, memory.keys, (trials, writes, dim)), jnp.float32)
  values = jnp.asarray(random_keys(rng, 'signed', (trials, writes, dim)), jnp.float32)
  log_alpha = jnp.full(writes, np.log(memory.decay), jnp.float32)

  def one_trial(k, v):
    _, state = linear_recurrences.recurrent(k, k, v, log_alpha=log_alpha, erase=memory.erase)
    scores = (k[:pairs] @ state) @ v[:pairs].T  # each pair's read-out against every kv value
    return jnp.mean(jnp.argmax(scores, axis=-1) == jnp.arange(pairs))

  return float(jnp.mean(jax.jit(jax.vmap(one_trial))(keys, values)))


def capacity_table(pair_counts: tuple[int, ...], gaps: tuple[int, ...], dim: int, trials: int,
                   seed: int) -> dict[tuple[int, str], list[float]]:
  """Each gap's and memory's recalled fraction at each number of pairs."""
  return {(gap, m.name): [recalled_fraction(m, n, gap, dim, trials, seed) for n in pair_counts]
          for gap in gaps for m in MEMORIES}


def capacity_markdown(table: dict[tuple[int, str], list[float]], pair_counts: tuple[int, ...],
                      dim: int, trials: int, header: str) -> str:
  """One row per gap and memory, one column per number of pairs."""
  lines = [header, '', f'Pairs recalled (%): keys and values of {dim} numbers, {trials} random '
           'sequences each; kv pairs written, then `gap` other pairs, then the kv keys read '
           'back.', '', '| gap | memory | ' + ' | '.join(f'kv = {n}' for n in pair_counts) + ' |',
           '|---:|---|' + '---:|' * len(pair_counts)]
  for (gap, name), fractions in table.items():
    lines.append(f'| {gap} | {name} | ' + ' | '.join(f'{100 * f:.1f}' for f in fractions) + ' |')
  overlaps = [(kind, *key_overlap(kind, dim, trials, seed=0)) for kind in ('signed', 'relu_ln')]
  lines += ['', 'Cosine of two random keys (mean; mean of its absolute value): ' + '; '.join(
      f'{kind} {mean:.2f} ({size:.2f})' for kind, mean, size in overlaps) + '.']
  return '\n'.join(lines) + '\n'


def plot_capacity(table: dict[tuple[int, str], list[float]], pair_counts: tuple[int, ...],
                  dim: int, path: str) -> None:
  """Pairs recalled against the number of pairs, a panel per gap, a line per memory."""
  gaps = list(dict.fromkeys(gap for gap, _ in table))
  fig = Figure(figsize=(5.2 * len(gaps), 4.4))
  axes = np.atleast_1d(fig.subplots(1, len(gaps), sharey=True))
  for ax, gap in zip(axes, gaps):
    for number, memory in enumerate(MEMORIES):
      ax.plot(pair_counts, 100 * np.array(table[gap, memory.name]), marker='o',
              label=memory.name, color=f'C{number}')
    ax.set(xscale='log', xlabel='key–value pairs stored (kv)', ylim=(0, 101),
           title=f'{gap} other writes before the reads (d = {dim})')
    ax.set_xticks(pair_counts, [str(n) for n in pair_counts])
  axes[0].set(ylabel='pairs recalled (%), untrained')
  axes[0].legend(fontsize=7)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
