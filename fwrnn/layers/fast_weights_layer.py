"""The fast-weights RNN as Flax layers for anyone's model.

`FastWeights` maps a B×T×D sequence to the B×T×H states h(1) … h(T) (either form, the
hand-written gradient of the implicit one, every option of the paper's cell); it is also
the core of this project's models. `FastWeightsCell` is the same cell, with the same
parameter names, one step at a time for `flax.linen.RNN`.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from fwrnn.layers import fast_weights
from fwrnn.layers import implicit_gradient
from fwrnn.layers.cell_parts import CellOptions, CellParams, FastDynamics
from fwrnn.layers.inputs import InputProjection

FORMS = {'implicit': implicit_gradient.run_implicit, 'explicit': fast_weights.run_explicit}


def run_fast_weights(cell: CellParams, dyn: FastDynamics, opts: CellOptions,
                     x_proj_TxBxH: jax.Array, form: str = 'implicit') -> jax.Array:
  """Returns h(1) … h(T) (T×B×H) of the fast-weights RNN in the chosen form."""
  dyn = FastDynamics(*(jnp.asarray(v, x_proj_TxBxH.dtype) for v in dyn))
  return FORMS[form](cell, dyn, opts, x_proj_TxBxH)


# Each inner step is unrolled into the compiled step and its gradient: S = 16 compiled in 17 s
# for the tiny config, S = 64 in 201 s.
MAX_INNER_STEPS = 16


def _require(ok: bool, layer: nn.Module, option: str, allowed: str) -> None:
  if not ok:
    raise ValueError(f'{type(layer).__name__}({option}={getattr(layer, option)!r}): {option} must '
                     f'be {allowed}')


def _is_integer(value, low: int, high: int | None = None) -> bool:
  return (isinstance(value, int) and not isinstance(value, bool) and value >= low
          and (high is None or value <= high))


def check_options(layer: nn.Module) -> None:
  """ValueError naming the first option of a fast-weights layer or cell outside its allowed
  values (the options a field of the layer does not have are skipped)."""
  number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
  rules = {
      'hidden_size': (lambda v: _is_integer(v, 1), 'an integer >= 1'),
      'fast_decay': (lambda v: number(v) and 0 < v <= 1, 'a number in (0, 1]'),
      'fast_lr': (lambda v: number(v) and v >= 0, 'a number >= 0'),
      'inner_steps': (lambda v: _is_integer(v, 0, MAX_INNER_STEPS),
                      f'an integer in 0..{MAX_INNER_STEPS}'),
      'layer_norm': (lambda v: isinstance(v, bool), 'True or False'),
      'ln_on_h0': (lambda v: isinstance(v, bool), 'True or False'),
      'form': (lambda v: v in FORMS, 'one of ' + ', '.join(repr(f) for f in FORMS)),
      'fast_memory': (lambda v: isinstance(v, bool), 'True or False'),
      'unroll_length': (lambda v: _is_integer(v, 1), 'an integer >= 1'),
      'trace_length': (lambda v: _is_integer(v, 0), 'an integer >= 0'),
      'max_length': (lambda v: v is None or _is_integer(v, 1), 'None or an integer >= 1'),
  }
  for option, (ok, allowed) in rules.items():
    if hasattr(layer, option):
      _require(ok(getattr(layer, option)), layer, option, allowed)


def check_sequence(layer: nn.Module, inputs) -> None:
  """ValueError unless an array input is a B×T×D sequence."""
  if hasattr(inputs, 'ndim') and inputs.ndim != 3:
    raise ValueError(f'{type(layer).__name__} reads sequences of shape B×T×D (batch, time, '
                     f'features); got an input of shape {tuple(inputs.shape)}')


def _refuse_overflow(t: jax.Array, max_length: int) -> None:
  """Raises (through the compiled program, at step t) if t is past the history's max_length
  slots: the implicit form would otherwise overwrite its last slot and be silently wrong."""

  def refuse(step):
    step = int(np.max(step))  # under vmap both sides of the cond run: check the value here
    if step >= max_length:
      raise ValueError(f"FastWeightsCell(form='implicit', max_length={max_length}) got a "
                       f'sequence longer than max_length (step {step + 1}); give max_length at '
                       "least the longest sequence's length, or use form='explicit'")

  jax.lax.cond(t >= max_length, lambda: jax.debug.callback(refuse, t), lambda: None)


def empty_carry(form: str, batch: int, hidden: int, max_length: int | None):
  """h(0) = 0 and an empty memory: A (B×H×H) in the explicit form; the past states
  (B×max_length×H) and the time in the implicit one."""
  if form == 'explicit':
    return jnp.zeros((batch, hidden)), jnp.zeros((batch, hidden, hidden))
  return (jnp.zeros((batch, hidden)), jnp.zeros((batch, max_length, hidden)),
          jnp.zeros((), jnp.int32))


def carry_step(cell: CellParams, dyn: FastDynamics, opts: CellOptions, form: str, carry,
               x_proj_BxH: jax.Array):
  """(carry, C x(t) + b) → (next carry, h(t+1)) of either form, one time step."""
  if form == 'explicit':
    h_next, fast = fast_weights.explicit_step(cell, dyn, opts, *carry, x_proj_BxH)
    return (h_next, fast), h_next
  h_BxH, hist_BxLxH, t = carry
  hist_BxLxH = jax.lax.dynamic_update_index_in_dim(hist_BxLxH, h_BxH, t, 1)
  h_next = fast_weights.implicit_step(cell, dyn, opts, hist_BxLxH, t, x_proj_BxH).output
  return (h_next, hist_BxLxH, t + 1), h_next


def scaled_identity(scale):
  """Initialiser of a square matrix as scale·I."""
  return lambda key, shape, dtype=jnp.float32: scale * jnp.eye(shape[0], dtype=dtype)


def _cell_params(module: nn.Module, hidden: int) -> CellParams:
  """W = 0.05·I, LN gain 1 and bias 0: the paper's init."""
  return CellParams(
      recurrent_HxH=module.param('recurrent', scaled_identity(0.05), (hidden, hidden)),
      ln_gain_H=module.param('ln_gain', nn.initializers.ones, (hidden,)),
      ln_bias_H=module.param('ln_bias', nn.initializers.zeros, (hidden,)))


class FastWeights(nn.Module):
  """The fast-weights RNN over whole sequences: B×T×D inputs → B×T×H states.

  Example, in a model of your own:

      h_BxTxH = FastWeights(hidden_size=64, inner_steps=1)(x_BxTxD)

  `step` is the same cell one time step at a time (state in, state out), with a carry from
  `initial_carry`: what an agent that acts at every step uses.
  """
  hidden_size: int
  fast_decay: float = 0.95   # λ
  fast_lr: float = 0.5       # η
  inner_steps: int = 1       # S
  layer_norm: bool = True
  ln_on_h0: bool = False
  form: str = 'implicit'     # 'implicit' (attention over past states) or 'explicit' (carry A)
  fast_memory: bool = True   # False: η = 0 whatever the rates (the LN-IRNN depth control)
  # Quick to compile by default: a plain scan, and the gradient recomputes each step rather
  # than keeping its trace. This project's trainer passes UNROLL_LENGTH and TRACE_LENGTH
  # (cores.build_core): whole unrolled sequences of up to 32 steps, faster to train on a CPU
  # but slower to compile (scripts/benchmark.py --compile_times).
  unroll_length: int = 1
  trace_length: int = 0

  def __post_init__(self):
    check_options(self)
    super().__post_init__()

  def setup(self):
    self.cell = _cell_params(self, self.hidden_size)
    self.input = InputProjection(self.hidden_size)

  def options(self) -> CellOptions:
    return CellOptions(self.inner_steps, self.layer_norm, self.ln_on_h0, self.unroll_length,
                       self.trace_length)

  def dynamics(self, rates: FastDynamics | None, dtype) -> FastDynamics:
    """λ and η as arrays of dtype: the rates (a population member's) if given, else the
    layer's; η = 0 without fast memory."""
    decay, lr = rates if rates is not None else (self.fast_decay, self.fast_lr)
    return FastDynamics(jnp.asarray(decay, dtype), jnp.asarray(lr if self.fast_memory else 0.0, dtype))

  def __call__(self, inputs, rates: FastDynamics | None = None) -> jax.Array:
    """h(1) … h(T) (B×T×H) of a B×T×D sequence (an array or inputs.EmbeddedTokens).

    rates (λ, η as arrays: a population member's) replace fast_decay and fast_lr. With the
    'intermediates' collection mutable, the implicit form's StepTrace of every step is sown
    as 'trace' (leaves T-leading): what the fast memory read at each step.
    """
    check_sequence(self, inputs)
    x_proj_TxBxH = self.input(inputs)
    dyn = self.dynamics(rates, x_proj_TxBxH.dtype)
    if self.is_mutable_collection('intermediates'):
      trace = fast_weights.implicit_scan(self.cell, dyn, self.options(), x_proj_TxBxH,
                                         keep_trace=True)
      self.sow('intermediates', 'trace', trace)
      return trace.output.transpose(1, 0, 2)
    h_TxBxH = run_fast_weights(self.cell, dyn, self.options(), x_proj_TxBxH, self.form)
    return h_TxBxH.transpose(1, 0, 2)

  @nn.nowrap
  def initial_carry(self, batch: int, max_length: int):
    """The carry of `step` before the first time step (empty_carry)."""
    return empty_carry(self.form, batch, self.hidden_size, max_length)

  def step(self, carry, x_BxD: jax.Array, rates: FastDynamics | None = None):
    """(carry, x(t)) → (next carry, h(t+1)): `__call__` one step at a time. The implicit
    form's carry holds the max_length steps given to initial_carry: the caller sizes it to its
    sequences (FastWeightsCell checks this for flax.linen.RNN)."""
    x_proj_BxH = self.input(x_BxD[:, None])[0]
    return carry_step(self.cell, self.dynamics(rates, x_proj_BxH.dtype), self.options(),
                      self.form, carry, x_proj_BxH)


class FastWeightsCell(nn.RNNCellBase):
  """One step of the fast-weights RNN, for flax.linen.RNN; parameters named as FastWeights's.

  The carry is (h, A) in the explicit form (B×H, B×H×H) and (h, the past states, t) in the
  implicit one, which holds at most max_length steps (B×max_length×H): a longer sequence is
  refused with an error, never computed wrongly. Example:

      h_BxTxH = nn.RNN(FastWeightsCell(hidden_size=64))(x_BxTxD)
  """
  hidden_size: int
  fast_decay: float = 0.95
  fast_lr: float = 0.5
  inner_steps: int = 1
  layer_norm: bool = True
  ln_on_h0: bool = False
  form: str = 'explicit'
  max_length: int | None = None  # the implicit form's history length

  def __post_init__(self):
    check_options(self)
    super().__post_init__()

  @nn.compact
  def __call__(self, carry, x_BxD):
    """(carry, x(t)) → (next carry, h(t+1)); the implicit form refuses a step past
    max_length (an error raised through the compiled program)."""
    if x_BxD.ndim != 2:
      raise ValueError(f'FastWeightsCell reads one time step of shape B×D (batch, features); '
                       f'got an input of shape {tuple(x_BxD.shape)}')
    if self.form == 'implicit':
      _refuse_overflow(carry[2], carry[1].shape[1])
    cell = _cell_params(self, self.hidden_size)
    x_proj_BxH = InputProjection(self.hidden_size, name='input')(x_BxD[:, None])[0]
    dyn = FastDynamics(jnp.asarray(self.fast_decay, x_BxD.dtype),
                       jnp.asarray(self.fast_lr, x_BxD.dtype))
    opts = CellOptions(self.inner_steps, self.layer_norm, self.ln_on_h0)
    return carry_step(cell, dyn, opts, self.form, carry, x_proj_BxH)

  @nn.nowrap
  def initialize_carry(self, rng, input_shape):
    """h(0) = 0 and an empty memory, for inputs of shape (B, D)."""
    del rng
    if self.form != 'explicit' and not self.max_length:
      raise ValueError("FastWeightsCell(form='implicit') needs max_length, the longest sequence")
    return empty_carry(self.form, input_shape[0], self.hidden_size, self.max_length)

  @property
  def num_feature_axes(self) -> int:
    return 1
