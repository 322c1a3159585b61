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


def associative_lstm(U, perms, x_proj):
  """The A-LSTM with NumPy complex numbers: U is H×G, perms S×N, x_proj T×B×G."""
  sigmoid = lambda v: 1.0 / (1.0 + np.exp(-v))
  hidden = U.shape[0]
  n = hidden // 2
  as_complex = lambda v: v[:, :n] + 1j * v[:, n:]
  bound = lambda z: z / np.maximum(1.0, np.abs(z))
  batch = x_proj.shape[1]
  h = np.zeros((batch, hidden))
  copies = [np.zeros((batch, n), complex) for _ in perms]
  outputs = []
  for x_t in x_proj:
    pre = x_t + h @ U
    f, i, o = sigmoid(pre[:, :n]), sigmoid(pre[:, n:2 * n]), sigmoid(pre[:, 2 * n:3 * n])
    r_in = bound(as_complex(pre[:, 3 * n:3 * n + hidden]))
    r_out = bound(as_complex(pre[:, 3 * n + hidden:3 * n + 2 * hidden]))
    u = bound(as_complex(pre[:, 3 * n + 2 * hidden:]))
    read = np.zeros((batch, n), complex)
    for s, perm in enumerate(perms):
      copies[s] = f * copies[s] + r_in[:, perm] * (i * u)
      read += r_out[:, perm] * copies[s]
    out = o * bound(read / len(perms))
    h = np.concatenate([out.real, out.imag], axis=1)
    outputs.append(h)
  return np.stack(outputs)
