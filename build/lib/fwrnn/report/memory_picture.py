"""What the fast memory reads back when a trained fast-weights model reads an example.

At time step t each inner step s applies A(t) h_s = Σ_τ η λ^{t−τ} ⟨h(τ), h_s⟩ h(τ): the
weights η λ^{t−τ} ⟨h(τ), h_s⟩ over the past states h(τ) say how much of each is read back.
h(τ) is the state just after the τ-th input. They come from the trace that the recurrence
itself keeps (fast_weights.settle), not from a second derivation.
"""

import numpy as np
from matplotlib.figure import Figure

from fwrnn.layers.cell_parts import decay_weights
from fwrnn.engine.inference import TrainedRun


def step_attention(run: TrainedRun, x) -> np.ndarray:
  """Weights of h(1) … h(T−1) in A(t)·h_s at every step t and inner step s (T×S×(T−1)), for
  one example x of the run's task; 0 for the states after t."""
  cfg = run.config.model
  if cfg.name != 'fast_weights':
    raise ValueError(f'the memory picture needs a fast_weights run, not {cfg.name}')
  _, variables = run.model.apply(run.params, np.asarray(x)[None], run.member.rates,
                                 mutable='intermediates')
  trace = variables['intermediates']['core']['trace'][0]
  scores_TxSxT = np.asarray(trace.scores[:, :, 0])  # every step, the one example
  steps = scores_TxSxT.shape[0]
  weights_TxT = np.stack([np.asarray(decay_weights(np.float32(cfg.fast_decay), t, steps))
                          for t in range(steps)])
  return (cfg.fast_lr * weights_TxT[:, None] * scores_TxSxT)[:, :, 1:]  # slot 0 holds h(0) = 0


def last_step_attention(run: TrainedRun, x) -> np.ndarray:
  """The weights at the last step (S×(T−1)): what the memory reads as the model answers."""
  return step_attention(run, x)[-1]


def draw(run: TrainedRun, x, caption: str, path: str) -> int:
  """Draws the attention at the last step of the example x into a PNG; returns the model's
  answer."""
  weights = last_step_attention(run, x)
  answer = int(run.predict(np.asarray(x)[None])[0])
  labels = run.task.step_labels(run.config, x)[:-1]
  fig = Figure(figsize=(0.55 * weights.shape[1] + 2, 0.6 * len(weights) + 1.6))
  ax = fig.subplots()
  image = ax.imshow(weights, cmap='magma', aspect='auto')
  ax.set_xticks(range(weights.shape[1]), labels, fontsize=12)
  ax.set_yticks(range(len(weights)), [f's = {s + 1}' for s in range(len(weights))])
  ax.set(xlabel='h(τ), after reading this input',
         title=f'{caption}  →  {answer}: η λ^(t−τ) ⟨h(τ), h_s⟩ at the last step')
  fig.colorbar(image, label='weight of h(τ) in A(t)·h_s')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  return answer


def draw_every_step(run: TrainedRun, x, caption: str, path: str) -> int:
  """Draws, for every step t, the weights of the earlier states in the first inner step's
  A(t)·h_1 (a T×(T−1) map, blank after t) into a PNG; returns the model's answer."""
  weights = step_attention(run, x)[:, 0]
  steps = weights.shape[0]
  shown = np.where(np.arange(1, steps)[None] <= np.arange(steps)[:, None], weights, np.nan)
  answer = int(run.predict(np.asarray(x)[None])[0])
  labels = run.task.step_labels(run.config, x)
  fig = Figure(figsize=(0.32 * steps + 3.5, 0.3 * steps + 2.2))
  ax = fig.subplots()
  image = ax.imshow(shown, cmap='magma', aspect='auto')
  ax.set_xticks(range(steps - 1), labels[:-1], rotation=90, fontsize=7)
  ax.set_yticks(range(steps), [f'{t + 1}: {label}' for t, label in enumerate(labels)], fontsize=7)
  ax.set(xlabel='h(τ), the state after reading this input', ylabel='step t, reading this input',
         title=f'{caption}  →  {answer}: η λ^(t−τ) ⟨h(τ), h_1⟩ at every step')
  fig.colorbar(image, label='weight of h(τ) in A(t)·h_1')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  return answer
