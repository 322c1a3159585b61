"""What the fast memory reads back when a trained fast-weights model answers.

At the last time step t each inner step s applies A(t) h_s = Σ_τ η λ^{t−τ} ⟨h(τ), h_s⟩ h(τ):
the weights η λ^{t−τ} ⟨h(τ), h_s⟩ over the past states h(τ) say how much of each is read
back. h(τ) is the state just after the τ-th input. They come from the trace that the
recurrence itself keeps (fast_weights.settle), not from a second derivation.
"""

import numpy as np
from matplotlib.figure import Figure

from fwrnn.cell_parts import decay_weights
from fwrnn.inference import TrainedRun


def last_step_attention(run: TrainedRun, x) -> np.ndarray:
  """Weights of h(1) … h(T−1) in A(T−1)·h_s at the last step, for each inner step s
  (S×(T−1)), for one example x of the run's task."""
  cfg = run.config.model
  if cfg.name != 'fast_weights':
    raise ValueError(f'the memory picture needs a fast_weights run, not {cfg.name}')
  _, variables = run.model.apply(run.params, np.asarray(x)[None], run.member.rates,
                                 mutable='intermediates')
  trace = variables['intermediates']['core']['trace'][0]
  scores_SxT = np.asarray(trace.scores[-1, :, 0])  # the last step, the one example
  t = scores_SxT.shape[1] - 1
  weights_T = np.asarray(cfg.fast_lr * decay_weights(np.float32(cfg.fast_decay), t, t + 1))
  return (weights_T * scores_SxT)[:, 1:]  # slot 0 holds h(0) = 0


def draw(run: TrainedRun, text: str, path: str) -> int:
  """Draws the attention at the last step of the example `text` into a PNG; returns the
  model's answer."""
  x = run.task.parse_example(text)
  weights = last_step_attention(run, x)
  answer = int(run.predict(x[None])[0])
  labels = run.task.step_labels(run.config, x)[:-1]
  fig = Figure(figsize=(0.55 * weights.shape[1] + 2, 0.6 * len(weights) + 1.6))
  ax = fig.subplots()
  image = ax.imshow(weights, cmap='magma', aspect='auto')
  ax.set_xticks(range(weights.shape[1]), labels, fontsize=12)
  ax.set_yticks(range(len(weights)), [f's = {s + 1}' for s in range(len(weights))])
  ax.set(xlabel='h(τ), after reading this input',
         title=f'{text}  →  {answer}: η λ^(t−τ) ⟨h(τ), h_s⟩ at the last step')
  fig.colorbar(image, label='weight of h(τ) in A(t)·h_s')
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  return answer
