"""What the fast memory attends to when a trained fast-weights model answers a query.

At the last time step t (reading the query key) each inner step s applies
A(t) h_s = Σ_τ η λ^{t−τ} ⟨h(τ), h_s⟩ h(τ): the weights η λ^{t−τ} ⟨h(τ), h_s⟩ over the past
states h(τ) say how much of each is read back. h(τ) is the state just after the τ-th input.
"""

import jax
import jax.numpy as jnp
import numpy as np
from matplotlib import pyplot as plt

from fwrnn import assoc_data, fast_weights, models
from fwrnn.inference import TrainedRun
from fwrnn.layer_norm import layer_norm


def query_attention(run: TrainedRun, tokens_T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
  """Attention weights at the query (S×(T−1), over h(1) … h(T−1)) and the final h(T) (H)."""
  cfg = run.config.model
  if cfg.name != 'fast_weights':
    raise ValueError(f'the memory picture needs a fast_weights run, not {cfg.name}')
  p = run.params['params']
  core = p['core']
  cell = fast_weights.CellParams(core['recurrent'], core['ln_gain'], core['ln_bias'])
  dyn = fast_weights.FastDynamics(jnp.float32(cfg.fast_decay), jnp.float32(cfg.fast_lr))
  opts = fast_weights.CellOptions(cfg.inner_steps, cfg.layer_norm, cfg.ln_on_h0)
  x_proj_TxBxH = models.project_inputs(jnp.asarray(tokens_T)[None], p['embedding'],
                                       core['input']['kernel'], core['input']['bias'])
  h_TxH = fast_weights.run(cell, dyn, opts, x_proj_TxBxH, 'implicit')[:, 0]
  t = len(tokens_T) - 1
  past_TxH = h_TxH[:t]  # h(1) … h(t)
  decay_T = dyn.decay ** jnp.arange(t - 1, -1, -1)
  norm = (lambda u: layer_norm(u, cell.ln_gain_H, cell.ln_bias_H)) if opts.layer_norm else (
      lambda u: u)
  z_H = fast_weights.boundary_condition(cell, past_TxH[-1:], x_proj_TxBxH[t])[0]
  h_s = jax.nn.relu(norm(z_H[None])[0] if opts.ln_on_h0 else z_H)
  weights = []
  for _ in range(opts.inner_steps):
    w_T = dyn.lr * decay_T * (past_TxH @ h_s)
    weights.append(w_T)
    h_s = jax.nn.relu(norm((z_H + w_T @ past_TxH)[None])[0])
  return np.asarray(jnp.stack(weights)), np.asarray(h_s)


def draw(run: TrainedRun, sequence: str, path: str) -> int:
  """Draws the attention heat map of `sequence` into a PNG; returns the model's answer."""
  tokens = assoc_data.encode(sequence)
  weights, _ = query_attention(run, tokens)
  answer = int(run.predict(tokens[None])[0])
  fig, ax = plt.subplots(figsize=(0.55 * weights.shape[1] + 2, 0.6 * len(weights) + 1.6))
  image = ax.imshow(weights, cmap='magma', aspect='auto')
  ax.set_xticks(range(weights.shape[1]), list(sequence[:-1]), fontsize=12)
  ax.set_yticks(range(len(weights)), [f's = {s + 1}' for s in range(len(weights))])
  ax.set(xlabel='h(τ), after reading this character',
         title=f'{sequence}  →  {answer}: η λ^(t−τ) ⟨h(τ), h_s⟩ at the query')
  fig.colorbar(image)
  fig.tight_layout()
  fig.savefig(path, dpi=120)
  plt.close(fig)
  return answer
