"""How many floating-point operations a training step needs, by the benchmark's count.

Counted: the recurrent matrix product, the fast-weights attention over the causal history,
layer norm and the head, forward and backward (backward = 2 × forward). Not counted: the
input projection (a table lookup replaces it), the optimizer, and the recomputation that
the memory-lean gradient does by choice.
"""

LAYER_NORM_FLOPS_PER_UNIT = 8  # mean, variance, normalise, gain and bias
NUM_CLASSES = 10


def forward_flops_per_sequence(name: str, hidden: int, steps: int, inner_steps: int = 1,
                               head: int = 100, ln_on_h0: bool = False, copies: int = 4) -> int:
  """Forward FLOPs of one sequence of length `steps` through the core and head."""
  head_flops = 2 * (hidden * head + head * NUM_CLASSES)
  if name == 'lstm':
    return steps * (2 * hidden * 4 * hidden + 10 * hidden) + head_flops
  if name == 'alstm':  # 4.5H pre-activations; per copy two complex products (6 FLOPs a pair)
    return steps * (2 * hidden * 9 * hidden // 2 + 6 * hidden * 2 * copies + 20 * hidden) + head_flops
  if name == 'irnn':
    return steps * 2 * hidden * hidden + head_flops
  fast = 0 if name == 'ln_irnn' else 1
  attention = fast * inner_steps * sum(4 * (t + 1) * hidden for t in range(steps))
  norms = (inner_steps + int(ln_on_h0)) * steps * LAYER_NORM_FLOPS_PER_UNIT * hidden
  return steps * 2 * hidden * hidden + attention + norms + head_flops


def train_step_flops(name: str, hidden: int, steps: int, batch: int, inner_steps: int = 1,
                     head: int = 100, ln_on_h0: bool = False) -> int:
  """FLOPs of one training step on a batch: forward and backward."""
  return 3 * batch * forward_flops_per_sequence(name, hidden, steps, inner_steps, head, ln_on_h0)
