"""Plain NumPy loops of the paper's equations, one time step and one inner step at a time.

Written from the equations, independently of fwrnn, in float64: the tests compare the
compiled recurrences against these.
"""

import numpy as np


def layer_norm(u, gain, bias, eps=1e-5):
  out = np.empty_like(u)
  for b in range(u.shape[0]):
    mean = u[b].mean()
    var = ((u[b] - mean) ** 2).mean()
    out[b] = gain * (u[b] - mean) / np.sqrt(var + eps) + bias
  return out


def fast_weights(W, gain, bias, x_proj, decay, lr, inner_steps, use_ln=True, ln_on_h0=False):
  """h(1) … h(T) (T×B×H), building A(t) explicitly for each example."""
  relu = lambda v: np.maximum(v, 0.0)
  norm = (lambda v: layer_norm(v, gain, bias)) if use_ln else (lambda v: v)
  num_steps, batch, hidden = x_proj.shape
  h = np.zeros((batch, hidden))
  A = np.zeros((batch, hidden, hidden))
  outputs = []
  for t in range(num_steps):
    for b in range(batch):
      A[b] = decay * A[b] + lr * np.outer(h[b], h[b])
    z = h @ W.T + x_proj[t]
    h_s = relu(norm(z) if ln_on_h0 else z)
    for _ in range(inner_steps):
      h_s = relu(norm(z + np.einsum('bij,bj->bi', A, h_s)))
    h = h_s
    outputs.append(h)
  return np.stack(outputs)


def irnn(W, x_proj):
  h = np.zeros(x_proj.shape[1:])
  outputs = []
  for x_t in x_proj:
    h = np.maximum(h @ W.T + x_t, 0.0)
    outputs.append(h)
  return np.stack(outputs)


def lstm(U, x_proj):
  sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))
  hidden = U.shape[0]
  h = np.zeros((x_proj.shape[1], hidden))
  c = np.zeros_like(h)
  outputs = []
  for x_t in x_proj:
    gates = x_t + h @ U
    i, f, g, o = (gates[:, k * hidden:(k + 1) * hidden] for k in range(4))
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    outputs.append(h)
  return np.stack(outputs)
