"""The compiled pieces of training: state, many optimisation steps per call, evaluation.

The training set stays on the device; each step gathers its batch there from a per-epoch
permutation that depends only on (data_key, epoch), so a resumed run sees the same batches.
"""

from typing import Any, Callable

import flax.linen as nn
import jax
import jax.flatten_util
import jax.numpy as jnp
import ml_collections
import optax

TrainState = dict[str, Any]
EVAL_CHUNK = 2048


def make_optimizer(train_cfg: ml_collections.ConfigDict, learning_rate=None):
  """Adam with optional global-norm clipping; the rate lives in the state (for sweeps)."""
  rate = train_cfg.learning_rate if learning_rate is None else learning_rate
  adam = optax.inject_hyperparams(optax.adam)(learning_rate=rate)
  # The same state structure with and without clipping, so a resumed run may switch.
  clip = train_cfg.grad_clip_norm
  return optax.chain(optax.clip_by_global_norm(clip) if clip > 0 else optax.identity(), adam)


def learning_rate_of(opt_state) -> jax.Array:
  """The current learning rate stored in an optimizer state from make_optimizer."""
  return optax.tree_utils.tree_get(opt_state, 'learning_rate')


def with_learning_rate(state: TrainState, learning_rate) -> TrainState:
  """The state with its optimizer's learning rate replaced (a resumed run may change it)."""
  rate = jnp.asarray(learning_rate, learning_rate_of(state['opt_state']).dtype)
  return dict(state, opt_state=optax.tree_utils.tree_set(state['opt_state'], learning_rate=rate))


def init_state(model: nn.Module, tx: optax.GradientTransformation, seed, example_x,
               num_examples: int) -> TrainState:
  """A fresh training state: parameters, optimizer, step, best-so-far and the data order.

  The order of the current epoch is kept (it is a sort of num_examples keys, worth doing
  once an epoch, not once a call); order_epoch = -1 marks it as not yet drawn.
  """
  param_key, data_key = jax.random.split(jax.random.key(seed))
  params = model.init(param_key, example_x)
  return {
      'step': jnp.zeros((), jnp.int32),
      'params': params,
      'opt_state': tx.init(params),
      'best_params': jax.tree.map(jnp.copy, params),  # distinct buffers: the state is donated
      'best_valid_error': jnp.full((), jnp.inf, jnp.float32),
      'best_step': jnp.zeros((), jnp.int32),
      'data_key': jax.random.key_data(data_key),
      'epoch_order': jnp.zeros((num_examples,), jnp.int32),
      'order_epoch': jnp.full((), -1, jnp.int32),
  }


def loss_and_accuracy(model: nn.Module, params, x_BxT, y_B):
  """Mean cross-entropy and accuracy of the model on one batch."""
  logits = model.apply(params, x_BxT)
  loss = optax.softmax_cross_entropy_with_integer_labels(logits, y_B).mean()
  return loss, jnp.mean(jnp.argmax(logits, -1) == y_B)


def make_train_step(model: nn.Module, tx: optax.GradientTransformation,
                    batch_axis: str | None = None) -> Callable:
  """Returns train_step(state, x, y) -> (state, metrics): one Adam step on one batch.

  With batch_axis (a mesh axis of a shard_map), x and y are this device's share of the batch
  and the gradient and metrics are averaged over the axis, in one all-reduce.
  """

  def train_step(state, x_BxT, y_B):
    grad_fn = jax.value_and_grad(lambda p: loss_and_accuracy(model, p, x_BxT, y_B), has_aux=True)
    (loss, accuracy), grads = grad_fn(state['params'])
    if batch_axis is not None:
      flat, unflatten = jax.flatten_util.ravel_pytree((grads, loss, accuracy))
      grads, loss, accuracy = unflatten(jax.lax.pmean(flat, batch_axis))
    updates, opt_state = tx.update(grads, state['opt_state'], state['params'])
    state = dict(state, params=optax.apply_updates(state['params'], updates),
                 opt_state=opt_state, step=state['step'] + 1)
    return state, {'loss': loss, 'accuracy': accuracy, 'grad_norm': optax.tree.norm(grads)}

  return train_step


def epoch_order(data_key, epoch, num_examples: int) -> jax.Array:
  """The order of the training examples in one epoch of one run (a permutation, N)."""
  key = jax.random.fold_in(jax.random.wrap_key_data(data_key), epoch)
  return jax.random.permutation(key, num_examples)


def each_member(fn: Callable, member_loop: str) -> Callable:
  """fn of one member's arrays, applied to every member of arrays stacked on a leading axis.

  member_loop 'vmap' batches the members, 'map' runs them one after another; a lone member
  runs unbatched either way.
  """

  def over_members(*stacked):
    if jax.tree.leaves(stacked)[0].shape[0] == 1:
      return jax.tree.map(lambda x: x[None], fn(*jax.tree.map(lambda x: x[0], stacked)))
    if member_loop == 'map':
      return jax.lax.map(lambda args: fn(*args), stacked)
    return jax.vmap(fn)(*stacked)

  return over_members


def make_population_run_steps(model_of: Callable[[dict], nn.Module],
                              tx: optax.GradientTransformation, batch_size: int,
                              member_loop: str = 'vmap', batch_axis: str | None = None):
  """run_steps for a population: every leaf of the state has a leading member axis.

  state['hyper'] holds each member's numbers that enter the model (model_of(hyper) builds
  it); the learning rate lives in the optimizer state. Every member draws its batches from
  its own data_key, exactly as it would alone, and the loop is shared; member_loop is how
  each step goes over the members (see each_member). Inside a shard_map, batch_axis names
  the mesh axis whose devices each take an equal share of every batch.
  """

  def member_step(state, train_x, train_y, order, start):
    shares = 1 if batch_axis is None else jax.lax.axis_size(batch_axis)
    share = batch_size // shares
    first = start + (0 if batch_axis is None else jax.lax.axis_index(batch_axis) * share)
    rows = jax.lax.dynamic_slice_in_dim(order, first, share)
    step = make_train_step(model_of(state['hyper']), tx, batch_axis)
    return step(state, train_x[rows], train_y[rows])

  def step_on_rows(state, train_x, train_y, order_PxN, start):
    step = lambda member, order: member_step(member, train_x, train_y, order, start)
    return each_member(step, member_loop)(state, order_PxN)

  return _run_steps_by_epoch(step_on_rows, batch_size)


def _run_steps_by_epoch(step_on_rows: Callable, batch_size: int):
  """The loop of many steps in one call: epoch segments (while) of steps (fori)."""
  order_of = jax.vmap(epoch_order, in_axes=(0, None, None))  # every member's own order

  def run_steps(state, train_x, train_y, num_steps):
    num_examples = train_x.shape[0]
    steps_per_epoch = num_examples // batch_size
    members_shape = state['step'].shape  # (P,)

    def epoch_segment(carry):
      """The steps up to the end of this call or of the current epoch, whichever is first."""
      state, sums, first_bad_step, remaining = carry
      step = jnp.max(state['step'])  # members of a population move in lockstep
      epoch, offset = jnp.divmod(step, steps_per_epoch)
      order = jax.lax.cond(jnp.max(state['order_epoch']) == epoch,
                           lambda: state['epoch_order'],
                           lambda: order_of(state['data_key'], epoch, num_examples))
      state = dict(state, epoch_order=order,
                   order_epoch=jnp.full_like(state['order_epoch'], epoch))

      def step_in_epoch(i, carry):
        state, sums, first_bad_step = carry
        state, metrics = step_on_rows(state, train_x, train_y, order, (offset + i) * batch_size)
        first_bad_step = jnp.where((first_bad_step < 0) & ~jnp.isfinite(metrics['loss']),
                                   step + i, first_bad_step)
        return state, jax.tree.map(jnp.add, sums, metrics), first_bad_step

      count = jnp.minimum(remaining, steps_per_epoch - offset)
      state, sums, first_bad_step = jax.lax.fori_loop(0, count, step_in_epoch,
                                                      (state, sums, first_bad_step))
      return state, sums, first_bad_step, remaining - count

    sums = {name: jnp.zeros(members_shape, jnp.float32)
            for name in ('loss', 'accuracy', 'grad_norm')}
    carry = (state, sums, jnp.full(members_shape, -1, jnp.int32),
             jnp.asarray(num_steps, jnp.int32))
    state, sums, first_bad_step, _ = jax.lax.while_loop(lambda c: c[-1] > 0, epoch_segment, carry)
    return state, dict(sums, first_bad_step=first_bad_step)

  return run_steps


def make_evaluate(model: nn.Module) -> Callable:
  """Returns evaluate(params, x, y) -> (mean loss, accuracy) over a whole split, in chunks."""

  def evaluate(params, x_NxT, y_N):
    num = x_NxT.shape[0]
    chunk = min(EVAL_CHUNK, num)
    padded = -(-num // chunk) * chunk
    weight = (jnp.arange(padded) < num).astype(jnp.float32)
    x = jnp.pad(x_NxT, ((0, padded - num), (0, 0))).reshape(-1, chunk, x_NxT.shape[1])
    y = jnp.pad(y_N, (0, padded - num)).reshape(-1, chunk)

    def chunk_sums(inputs):
      x_c, y_c, w_c = inputs
      logits = model.apply(params, x_c)
      losses = optax.softmax_cross_entropy_with_integer_labels(logits, y_c)
      return jnp.sum(losses * w_c), jnp.sum((jnp.argmax(logits, -1) == y_c) * w_c)

    loss_sum, correct = jax.lax.map(chunk_sums, (x, y, weight.reshape(-1, chunk)))
    return jnp.sum(loss_sum) / num, jnp.sum(correct) / num

  return evaluate


def track_best(state: TrainState, valid_error: jax.Array) -> TrainState:
  """Keeps the parameters with the lowest validation error seen so far."""
  better = valid_error < state['best_valid_error']
  pick = lambda new, old: jnp.where(better, new, old)
  return dict(state,
              best_params=jax.tree.map(pick, state['params'], state['best_params']),
              best_valid_error=pick(valid_error, state['best_valid_error']),
              best_step=pick(state['step'], state['best_step']))
