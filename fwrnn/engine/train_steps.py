"""The pieces of one run's training as pure functions of one member: its fresh state, many
optimisation steps in one call, evaluation, and the best parameters so far.

A population applies them to every member (population.py); nothing here knows of it but
the BatchShare, which says which rows of each batch this device takes. The training set
stays on the device; each step gathers its batch there from the epoch's order, a function
of (data_key, epoch) alone, so a resumed run sees the same batches.
"""

from typing import Callable

import flax.linen as nn
import jax
import jax.numpy as jnp
import ml_collections
import optax

from fwrnn.engine.state import Evaluation, Member, StepSums, TrainState
from fwrnn.tasks import IGNORE

EVAL_CHUNK = 2048          # sequences evaluated at once, at most
EVAL_CHUNK_STEPS = 2 ** 17  # and at most this many time steps (long sequences: attention's memory)


def make_optimizer(train_cfg: ml_collections.ConfigDict) -> optax.GradientTransformation:
  """Adam with optional global-norm clipping; each member's rate is set in its state."""
  adam = optax.inject_hyperparams(optax.adam)(learning_rate=train_cfg.learning_rate)
  # The same state structure with and without clipping, so a resumed run may switch.
  clip = train_cfg.grad_clip_norm
  return optax.chain(optax.clip_by_global_norm(clip) if clip > 0 else optax.identity(), adam)


def with_learning_rate(opt_state, learning_rate):
  """The optimizer state of make_optimizer with its learning rate set."""
  return optax.tree_utils.tree_set(opt_state, learning_rate=learning_rate)


def init_state(model: nn.Module, tx: optax.GradientTransformation, member: Member, example_x,
               num_examples: int) -> TrainState:
  """A member's fresh state: parameters from its seed, optimizer, best-so-far, data key."""
  param_key, data_key = jax.random.split(jax.random.key(member.seed))
  params = model.init(param_key, example_x, member.rates)
  return TrainState(
      step=jnp.zeros((), jnp.int32),
      params=params,
      opt_state=with_learning_rate(tx.init(params), member.learning_rate),
      best_params=jax.tree.map(jnp.copy, params),  # distinct buffers: the state is donated
      best_valid_error=jnp.full((), jnp.inf, jnp.float32),
      best_step=jnp.zeros((), jnp.int32),
      data_key=jax.random.key_data(data_key),
      epoch_order=jnp.zeros((num_examples,), jnp.int32),
      evals_since_best=jnp.zeros((), jnp.int32),
      stopped_step=jnp.full((), -1, jnp.int32))


def label_sums(model: nn.Module, params, member: Member, x, y):
  """(summed cross-entropy, correct answers, labels) of the model on one batch, per example
  (B,). y is (B,), one label per sequence, read at its last step; or (B, K, 2), K (position,
  label) pairs per sequence read at their positions, a label of IGNORE counting for nothing."""
  if y.ndim == 1:
    logits, labels, weight = model.apply(params, x, member.rates), y, jnp.ones(y.shape)
  else:
    weight = (y[..., 1] != IGNORE).astype(jnp.float32)
    logits = model.apply(params, x, member.rates, y[..., 0])
    labels = jnp.where(weight > 0, y[..., 1], 0)
  losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels) * weight
  correct = (jnp.argmax(logits, -1) == labels) * weight
  per_example = lambda a: a.reshape(a.shape[0], -1).sum(1)
  return per_example(losses), per_example(correct), per_example(weight)


def loss_and_accuracy(model: nn.Module, params, member: Member, x, y):
  """Mean cross-entropy and accuracy over the labels of one batch."""
  losses, correct, count = label_sums(model, params, member, x, y)
  total = jnp.maximum(count.sum(), 1.0)
  return losses.sum() / total, correct.sum() / total


def make_train_step(model: nn.Module, tx: optax.GradientTransformation, share) -> Callable:
  """Returns train_step(state, member, x, y) -> (state, (loss, accuracy, gradient norm)):
  one Adam step; share.mean averages the gradient over the devices that split the batch."""

  def train_step(state: TrainState, member: Member, x, y):
    grad_fn = jax.value_and_grad(lambda p: loss_and_accuracy(model, p, member, x, y),
                                 has_aux=True)
    (loss, accuracy), grads = grad_fn(state.params)
    grads, loss, accuracy = share.mean((grads, loss, accuracy))
    opt_state = with_learning_rate(state.opt_state, member.learning_rate)
    updates, opt_state = tx.update(grads, opt_state, state.params)
    state = state.replace(params=optax.apply_updates(state.params, updates),
                          opt_state=opt_state, step=state.step + 1)
    return state, (loss, accuracy, optax.tree.norm(grads))

  return train_step


def epoch_order(data_key, epoch, num_examples: int) -> jax.Array:
  """The order of the training examples in one epoch of one run (a permutation, N)."""
  key = jax.random.fold_in(jax.random.wrap_key_data(data_key), epoch)
  return jax.random.permutation(key, num_examples)


def make_run_steps(model: nn.Module, tx: optax.GradientTransformation, batch_size: int,
                   share) -> Callable:
  """Returns run_steps(state, member, train_x, train_y, first_step, num_steps) ->
  (state, StepSums): num_steps steps from first_step (= state.step), in epoch segments.

  first_step and the loop bounds are the same for every member of a population, so that a
  batched population keeps plain loops and a cached epoch order. A member stopped by
  patience only counts the steps: nothing is computed for it where members are looped over
  (lax.map, the CPU's way), while under vmap both sides of the choice are computed.
  """
  train_step = make_train_step(model, tx, share)
  zero = jnp.zeros((), jnp.float32)
  no_sums = StepSums(zero, zero, zero, jnp.full((), -1, jnp.int32))

  def train_steps(state: TrainState, member: Member, train_x, train_y, first_step, num_steps):
    num_examples = train_x.shape[0]
    steps_per_epoch = num_examples // batch_size

    def epoch_segment(carry):
      """The steps up to the end of this call or of the current epoch, whichever is first."""
      state, sums, step, remaining = carry
      epoch, offset = jnp.divmod(step, steps_per_epoch)
      # Inside an epoch the state holds its order; a new epoch draws its own.
      order = jax.lax.cond(offset == 0, lambda: epoch_order(state.data_key, epoch, num_examples),
                           lambda: state.epoch_order)
      state = state.replace(epoch_order=order)

      def step_in_epoch(i, carry):
        state, sums = carry
        rows = share.rows(order, (offset + i) * batch_size, batch_size)
        state, (loss, accuracy, grad_norm) = train_step(state, member, train_x[rows],
                                                        train_y[rows])
        first_bad = jnp.where((sums.first_bad_step < 0) & ~jnp.isfinite(loss), step + i,
                              sums.first_bad_step)
        return state, StepSums(sums.loss + loss, sums.accuracy + accuracy,
                               sums.grad_norm + grad_norm, first_bad)

      count = jnp.minimum(remaining, steps_per_epoch - offset)
      state, sums = jax.lax.fori_loop(0, count, step_in_epoch, (state, sums))
      return state, sums, step + count, remaining - count

    carry = (state, no_sums, jnp.asarray(first_step, jnp.int32), jnp.asarray(num_steps, jnp.int32))
    state, sums, _, _ = jax.lax.while_loop(lambda c: c[-1] > 0, epoch_segment, carry)
    return state, sums

  def run_steps(state: TrainState, member: Member, train_x, train_y, first_step, num_steps):
    wait = lambda state, *_: (state.replace(step=state.step + num_steps), no_sums)
    return jax.lax.cond(state.running, train_steps, wait, state, member, train_x, train_y,
                        first_step, num_steps)

  return run_steps


def make_evaluate(model: nn.Module) -> Callable:
  """Returns evaluate(params, member, x, y) -> Evaluation over a whole split, in chunks: the
  mean loss and accuracy over its labels (one per sequence, or those of label_sums)."""

  def evaluate(params, member: Member, x, y_N) -> Evaluation:
    num = y_N.shape[0]
    steps = x.shape[1] if x.ndim > 1 else 1
    chunk = max(1, min(EVAL_CHUNK, num, EVAL_CHUNK_STEPS // steps))
    padded = -(-num // chunk) * chunk
    pad = lambda a: jnp.pad(a, ((0, padded - num),) + ((0, 0),) * (a.ndim - 1))
    chunks = lambda a: a.reshape(-1, chunk, *a.shape[1:])
    weight = (jnp.arange(padded) < num).astype(jnp.float32)

    def chunk_sums(inputs):
      x_c, y_c, w_c = inputs
      losses, correct, count = label_sums(model, params, member, x_c, y_c)
      return jnp.sum(losses * w_c), jnp.sum(correct * w_c), jnp.sum(count * w_c)

    loss_sum, correct, count = jax.lax.map(chunk_sums, (chunks(pad(x)), chunks(pad(y_N)),
                                                        chunks(weight)))
    total = jnp.maximum(jnp.sum(count), 1.0)
    return Evaluation(loss=jnp.sum(loss_sum) / total, accuracy=jnp.sum(correct) / total)

  return evaluate


def track_best(state: TrainState, valid_error: jax.Array, patience: int,
               target_error: float = 0.0) -> TrainState:
  """Keeps the parameters with the lowest validation error seen so far, and stops the run
  once `patience` evaluations in a row (patience > 0) have not lowered it, or once the error
  is at most target_error (%, target_error > 0: Zoology stops at 99% accuracy)."""
  better = valid_error < state.best_valid_error
  pick = lambda new, old: jnp.where(better, new, old)
  evals_since_best = jnp.where(better, 0, state.evals_since_best + 1)
  stops = state.running & (((patience > 0) & (evals_since_best >= patience))
                           | ((target_error > 0) & (valid_error <= target_error)))
  return state.replace(best_params=jax.tree.map(pick, state.params, state.best_params),
                       best_valid_error=pick(valid_error, state.best_valid_error),
                       best_step=pick(state.step, state.best_step),
                       evals_since_best=evals_since_best,
                       stopped_step=jnp.where(stops, state.step, state.stopped_step))
