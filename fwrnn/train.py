"""Training and evaluation of one run on associative retrieval: config in, results out."""

import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from fwrnn import assoc_data, config_checks, models, run_dir, train_steps
from fwrnn.checkpoints import Checkpoints
from fwrnn.errors import RunError
from fwrnn.metric_writer import MetricWriter


def load_splits(config: ml_collections.ConfigDict) -> assoc_data.Splits:
  """The config's fixed train/valid/test splits."""
  d = config.data
  return assoc_data.make_splits(d.num_pairs, (d.num_train, d.num_valid, d.num_test), d.seed)


def build(config: ml_collections.ConfigDict):
  """The model, optimizer and a fresh training state of a config."""
  model = models.build_model(config.model, assoc_data.VOCAB_SIZE, assoc_data.NUM_CLASSES)
  tx = train_steps.make_optimizer(config.train)
  example_x = jnp.zeros((1, assoc_data.sequence_length(config.data.num_pairs)), jnp.int32)
  return model, tx, train_steps.init_state(model, tx, config.seed, example_x)


def _next_stop(step: int, train_cfg) -> int:
  stops = [(step // every + 1) * every for every in (train_cfg.log_every, train_cfg.eval_every)]
  return min(stops + [train_cfg.num_steps])


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains (or resumes) the run in workdir and returns the results written to results.json."""
  started = time.perf_counter()
  config_checks.validate(config)
  run_dir.claim(workdir, config)
  splits = load_splits(config)
  model, tx, state = build(config)
  checkpoints = Checkpoints(workdir, config.train.checkpoints_to_keep)
  state = train_steps.with_learning_rate(checkpoints.restore_latest(state),
                                        config.train.learning_rate)
  writer = MetricWriter(f'{workdir}/tb')
  train_x, train_y = jax.device_put(tuple(splits.train))
  valid_x, valid_y = jax.device_put(tuple(splits.valid))
  compile_started = time.perf_counter()
  run_steps = jax.jit(train_steps.make_run_steps(model, tx, config.train.batch_size),
                      donate_argnums=0).lower(state, train_x, train_y, jnp.int32(1)).compile()
  compile_seconds = time.perf_counter() - compile_started
  evaluate = jax.jit(train_steps.make_evaluate(model))
  track_best = jax.jit(train_steps.track_best, donate_argnums=0)

  step = int(state['step'])
  if step:
    print(f'Resuming {workdir} from step {step}')
  timed_steps, timed_seconds = 0, 0.0
  while step < config.train.num_steps:
    stop = _next_stop(step, config.train)
    call_started = time.perf_counter()
    state, sums = run_steps(state, train_x, train_y, jnp.int32(stop - step))
    sums = jax.device_get(sums)
    seconds = time.perf_counter() - call_started
    timed_steps, timed_seconds = timed_steps + stop - step, timed_seconds + seconds
    _stop_if_diverged(int(sums['first_bad_step']), checkpoints)
    metrics = _train_metrics(sums, stop - step, state, seconds)
    writer.write_scalars(stop, metrics)
    step = stop
    line = (f'step {step}/{config.train.num_steps}  loss {metrics["train/loss"]:.4f}  '
            f'error {metrics["train/error"]:.2f}%  {metrics["train/steps_per_second"]:.0f} steps/s')
    if step % config.train.eval_every == 0 or step == config.train.num_steps:
      valid_loss, valid_accuracy = evaluate(state['params'], valid_x, valid_y)
      valid_error = 100.0 * (1.0 - float(valid_accuracy))
      state = track_best(state, jnp.float32(valid_error))
      writer.write_scalars(step, {'valid/loss': valid_loss, 'valid/error': valid_error,
                                  'valid/accuracy': valid_accuracy})
      checkpoints.save(state)
      line += f'  | valid error {valid_error:.2f}% (best {float(state["best_valid_error"]):.2f}%)'
    print(line, flush=True)

  test_x, test_y = jax.device_put(tuple(splits.test))
  _, test_accuracy = evaluate(state['best_params'], test_x, test_y)
  results = {
      'model': config.model.name,
      'hidden_size': config.model.hidden_size,
      'num_pairs': config.data.num_pairs,
      'seed': config.seed,
      'steps': int(state['step']),
      'best_step': int(state['best_step']),
      'test_accuracy': float(test_accuracy),
      'test_error': 100.0 * (1.0 - float(test_accuracy)),
      'valid_error': float(state['best_valid_error']),
      'train_seconds': time.perf_counter() - started,
      'steps_per_second': timed_steps / timed_seconds if timed_seconds else None,
      'compile_seconds': compile_seconds,
  }
  writer.write_scalars(results['steps'], {'test/error': results['test_error']})
  writer.write_hparams(_hparams(config), {'hparam/test_error': results['test_error'],
                                          'hparam/valid_error': results['valid_error']})
  writer.close()
  checkpoints.close()
  path = run_dir.write_results(workdir, results)
  print(f'test error {results["test_error"]:.2f}% (best valid {results["valid_error"]:.2f}% '
        f'at step {results["best_step"]}); results in {path}')
  return results


def _stop_if_diverged(first_bad_step: int, checkpoints: Checkpoints) -> None:
  if first_bad_step >= 0:
    kept = checkpoints.latest_step()
    kept_text = f'the checkpoint of step {kept} is kept' if kept is not None else 'no checkpoint yet'
    raise RunError(f'the training loss became non-finite at step {first_bad_step}; '
                   f'{kept_text} in {checkpoints.directory}. Lower train.learning_rate or '
                   f'set train.grad_clip_norm')


def _train_metrics(sums: dict, num_steps: int, state, seconds: float) -> dict:
  accuracy = float(sums['accuracy']) / num_steps
  return {
      'train/loss': float(sums['loss']) / num_steps,
      'train/accuracy': accuracy,
      'train/error': 100.0 * (1.0 - accuracy),
      'train/grad_norm': float(sums['grad_norm']) / num_steps,
      'train/learning_rate': float(np.asarray(train_steps.learning_rate_of(state['opt_state']))),
      'train/steps_per_second': num_steps / seconds,
  }


def _hparams(config: ml_collections.ConfigDict) -> dict:
  flat = run_dir.flatten_config(config.to_dict())
  return {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))}
