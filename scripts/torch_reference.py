"""The speed baseline: fast weights the way public implementations train them.

An eager PyTorch loop over time steps with an explicit per-example A (B×H×H), the same
equations, embedding and head as fwrnn's model, and Adam. Used only by scripts/benchmark.py, for
token tasks (torch is a benchmark-only dependency: requirements-bench.txt).
"""

import time

import numpy as np
import torch
from torch import nn


class EagerFastWeights(nn.Module):
  """Embedding → fast-weights RNN (explicit A) → H → head → classes."""

  def __init__(self, vocab, hidden, embed=100, head=100, classes=10, decay=0.95, lr=0.5,
               inner_steps=1):
    super().__init__()
    self.decay, self.lr, self.inner_steps = decay, lr, inner_steps
    self.embedding = nn.Embedding(vocab, embed)
    self.input = nn.Linear(embed, hidden)
    self.recurrent = nn.Parameter(0.05 * torch.eye(hidden))
    self.norm = nn.LayerNorm(hidden, eps=1e-5)
    self.head = nn.Sequential(nn.Linear(hidden, head), nn.ReLU(), nn.Linear(head, classes))

  def forward(self, tokens):
    batch, steps = tokens.shape
    hidden = self.recurrent.shape[0]
    x = self.input(self.embedding(tokens))
    h = x.new_zeros(batch, hidden)
    fast = x.new_zeros(batch, hidden, hidden)
    for t in range(steps):
      fast = self.decay * fast + self.lr * torch.bmm(h.unsqueeze(2), h.unsqueeze(1))
      z = h @ self.recurrent.T + x[:, t]
      h_s = torch.relu(z)
      for _ in range(self.inner_steps):
        h_s = torch.relu(self.norm(z + torch.bmm(fast, h_s.unsqueeze(2)).squeeze(2)))
      h = h_s
    return self.head(h)


def time_training(tokens: np.ndarray, labels: np.ndarray, vocab: int, hidden: int,
                  inner_steps: int, steps: int, seed: int = 0) -> float:
  """Seconds for `steps` Adam steps on the given batch (after one warm-up step)."""
  torch.manual_seed(seed)
  model = EagerFastWeights(vocab, hidden, inner_steps=inner_steps)
  optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
  x, y = torch.as_tensor(tokens, dtype=torch.long), torch.as_tensor(labels, dtype=torch.long)

  def step():
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()

  step()
  started = time.perf_counter()
  for _ in range(steps):
    step()
  return time.perf_counter() - started
