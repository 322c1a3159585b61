"""Training and evaluation on associative retrieval: configs in, results out.

A run is a population of one. Runs whose configs differ only in POPULATION_FIELDS (numbers
used inside the step) train together as one population: one compiled program, the members
spread over the devices of a Mesh (devices left over split each member's batch), one copy of
the data. Every member keeps a complete run directory of its own (config, checkpoints,
TensorBoard, validation curve, results), so a member of a sweep is a run like any other.
"""

import json
import time

import jax
import jax.numpy as jnp
import ml_collections
import numpy as np

from fwrnn import assoc_data, config_checks, devices, models, run_dir, train_steps
from fwrnn.checkpoints import Checkpoints
from fwrnn.errors import RunError
from fwrnn.metric_writer import MetricWriter

# Config fields that may differ between members of one population.
POPULATION_FIELDS = ('seed', 'train.learning_rate', 'model.fast_decay', 'model.fast_lr')


def load_splits(config: ml_collections.ConfigDict) -> assoc_data.Splits:
  """The config's fixed train/valid/test splits."""
  d = config.data
  return assoc_data.make_splits(d.num_pairs, (d.num_train, d.num_valid, d.num_test), d.seed)


def model_of(config: ml_collections.ConfigDict):
  """Returns hyper -> the classifier of the config with that member's λ and η (arrays)."""
  return lambda hyper: models.build_model(config.model, assoc_data.VOCAB_SIZE,
                                          assoc_data.NUM_CLASSES, hyper['fast_decay'],
                                          hyper['fast_lr'])


def config_model(config: ml_collections.ConfigDict):
  """The classifier of the config with its own λ and η."""
  return model_of(config)({'fast_decay': config.model.fast_decay, 'fast_lr': config.model.fast_lr})


def member_init(config: ml_collections.ConfigDict):
  """Returns init(seed, fast_decay, fast_lr, learning_rate) -> one member's fresh state."""
  model = config_model(config)
  tx = train_steps.make_optimizer(config.train)
  example_x = jnp.zeros((1, assoc_data.sequence_length(config.data.num_pairs)), jnp.int32)

  def init(seed, fast_decay, fast_lr, learning_rate):
    state = train_steps.init_state(model, tx, seed, example_x, config.data.num_train)
    state = train_steps.with_learning_rate(state, learning_rate)
    return dict(state, hyper={'fast_decay': jnp.asarray(fast_decay, jnp.float32),
                              'fast_lr': jnp.asarray(fast_lr, jnp.float32)})

  return init


def member_numbers(config: ml_collections.ConfigDict) -> tuple:
  """The arguments of member_init's init for this config."""
  m = config.model
  return config.seed, m.fast_decay, m.fast_lr, config.train.learning_rate


def build(config: ml_collections.ConfigDict):
  """The model, optimizer and a fresh training state of one run."""
  tx = train_steps.make_optimizer(config.train)
  return config_model(config), tx, member_init(config)(*member_numbers(config))


def initial_state(configs: list[ml_collections.ConfigDict], mesh):
  """The fresh state of a population of these configs, its member axis split over the mesh."""
  numbers = [jnp.asarray(column) for column in zip(*map(member_numbers, configs))]
  return jax.jit(jax.vmap(member_init(configs[0])), out_shardings=devices.members(mesh))(*numbers)


def compile_run_steps(config: ml_collections.ConfigDict, mesh, state, train_x, train_y):
  """The compiled call of many training steps of a population on the mesh; compile seconds."""
  batch_axis = devices.BATCH_AXIS if mesh.shape[devices.BATCH_AXIS] > 1 else None
  run_steps = train_steps.make_population_run_steps(
      model_of(config), train_steps.make_optimizer(config.train), config.train.batch_size,
      devices.member_loop(), batch_axis)
  started = time.perf_counter()
  compiled = jax.jit(devices.on_each_device(run_steps, mesh, member_args=1),
                     donate_argnums=0).lower(
      state, train_x, train_y, jnp.int32(1)).compile()
  return compiled, time.perf_counter() - started


def population_key(config: ml_collections.ConfigDict) -> str:
  """Configs with equal keys can train as one population."""
  flat = run_dir.flatten_config(config.to_dict())
  return json.dumps({k: v for k, v in flat.items() if k not in POPULATION_FIELDS},
                    sort_keys=True)


def train_and_evaluate(config: ml_collections.ConfigDict, workdir: str) -> dict:
  """Trains (or resumes) the run in workdir and returns the results written to results.json."""
  return train_population([config], [workdir])[0]


def train_population(configs: list[ml_collections.ConfigDict], workdirs: list[str]) -> list[dict]:
  """Trains (or resumes) runs that differ only in POPULATION_FIELDS together; their results."""
  started = time.perf_counter()
  for config in configs:
    config_checks.validate(config)
  if len({population_key(c) for c in configs}) != 1:
    raise RunError('a population may differ only in ' + ', '.join(POPULATION_FIELDS))
  for config, workdir in zip(configs, workdirs):
    run_dir.claim(workdir, config)
  base, size = configs[0], len(configs)
  mesh = devices.member_mesh(size, base.train.batch_size)
  padded = devices.pad_to_mesh(configs, mesh)  # repeats of the last member fill the mesh
  train_cfg = base.train
  splits = load_splits(base)
  state = initial_state(padded, mesh)
  checkpoints = [Checkpoints(w, train_cfg.checkpoints_to_keep) for w in workdirs]
  state = _restore(checkpoints, state, mesh)
  step = int(devices.to_host(state['step'])[0])
  for workdir in workdirs:
    run_dir.truncate_curve(workdir, step)
  writers = [MetricWriter(f'{w}/tb') for w in workdirs] if devices.writes_files() else []

  train_x, train_y, valid_x, valid_y = jax.device_put(
      (*splits.train, *splits.valid), devices.replicated(mesh))
  run_steps, compile_seconds = compile_run_steps(base, mesh, state, train_x, train_y)
  evaluate = _population_evaluate(base, mesh)
  track_best = jax.jit(jax.vmap(train_steps.track_best), donate_argnums=0)

  if step:
    print(f'Resuming {_names(workdirs)} from step {step}')
  diverged_at = np.full(size, -1)
  timed_steps, timed_seconds = 0, 0.0
  while step < train_cfg.num_steps:
    stop = _next_stop(step, train_cfg)
    call_started = time.perf_counter()
    state, sums = run_steps(state, train_x, train_y, jnp.int32(stop - step))
    sums = {k: v[:size] for k, v in devices.to_host(sums).items()}
    seconds = time.perf_counter() - call_started
    timed_steps, timed_seconds = timed_steps + stop - step, timed_seconds + seconds
    diverged_at = _note_divergence(diverged_at, sums['first_bad_step'], checkpoints, workdirs)
    metrics = [_train_metrics(sums, i, stop - step, c.train.learning_rate, seconds)
               for i, c in enumerate(configs)]
    for writer, member_metrics in zip(writers, metrics):
      writer.write_scalars(stop, member_metrics)
    step = stop
    line = (f'step {step}/{train_cfg.num_steps}  loss {_spread(metrics, "train/loss", "{:.4f}")}'
            f'  error {_spread(metrics, "train/error", "{:.2f}%")}  '
            f'{metrics[0]["train/steps_per_second"]:.0f} steps/s')
    if step % train_cfg.eval_every == 0 or step == train_cfg.num_steps:
      valid_loss, valid_accuracy = evaluate(state['params'], state['hyper'], valid_x, valid_y)
      valid_error = 100.0 * (1.0 - valid_accuracy)
      state = track_best(state, valid_error)
      host = devices.to_host({'loss': valid_loss, 'error': valid_error,
                              'best': state['best_valid_error']})
      losses, errors, best = (host[k][:size] for k in ('loss', 'error', 'best'))
      for i, workdir in enumerate(workdirs):
        if writers:
          writers[i].write_scalars(step, {'valid/loss': losses[i], 'valid/error': errors[i],
                                          'valid/accuracy': 1 - errors[i] / 100})
          run_dir.append_curve(workdir, step, float(losses[i]), float(errors[i]))
      _save(checkpoints, state, size)
      line += f'  | valid error {_spread_values(errors)} (best {_spread_values(best)})'
    print(line, flush=True)

  test_x, test_y = jax.device_put(tuple(splits.test), devices.replicated(mesh))
  _, test_accuracy = evaluate(state['best_params'], state['hyper'], test_x, test_y)
  host = devices.to_host({'test_accuracy': test_accuracy, 'best_step': state['best_step'],
                          'best_valid_error': state['best_valid_error'], 'step': state['step']})
  all_results = []
  for i, (config, workdir) in enumerate(zip(configs, workdirs)):
    results = {
        'model': config.model.name,
        'hidden_size': config.model.hidden_size,
        'num_pairs': config.data.num_pairs,
        'seed': config.seed,
        'learning_rate': config.train.learning_rate,
        'fast_decay': config.model.fast_decay,
        'fast_lr': config.model.fast_lr,
        'steps': int(host['step'][i]),
        'best_step': int(host['best_step'][i]),
        'test_accuracy': float(host['test_accuracy'][i]),
        'test_error': 100.0 * (1.0 - float(host['test_accuracy'][i])),
        'valid_error': float(host['best_valid_error'][i]),
        'diverged_at_step': int(diverged_at[i]) if diverged_at[i] >= 0 else None,
        'population_size': size,
        'devices': mesh.devices.size,
        'train_seconds': time.perf_counter() - started,
        'steps_per_second': timed_steps / timed_seconds if timed_seconds else None,
        'compile_seconds': compile_seconds,
    }
    all_results.append(results)
    if writers:
      _write_final(writers[i], config, workdir, results)
  for checkpoint in checkpoints:
    checkpoint.close()
  return all_results


def _population_evaluate(config: ml_collections.ConfigDict, mesh):
  """evaluate(params, hyper, x, y) -> per-member (loss, error-free accuracy) on a split."""

  def population_evaluate(params, hyper, x, y):
    member_evaluate = lambda p, h: train_steps.make_evaluate(model_of(config)(h))(p, x, y)
    return train_steps.each_member(member_evaluate, devices.member_loop())(params, hyper)

  return jax.jit(devices.on_each_device(population_evaluate, mesh, member_args=2))


def _restore(checkpoints: list[Checkpoints], state, mesh):
  """The population state at the newest step every member has a checkpoint of, or `state`."""
  latest = [c.latest_step() for c in checkpoints]
  common = None if None in latest else min(latest)
  if common is not None and not all(common in c.all_steps() for c in checkpoints):
    common = None
  for c in checkpoints:
    c.delete_after(common)  # newer ones are recomputed, identically, from the common step
  if common is None:
    return state
  host = devices.to_host(state)
  restored = [c.restore(common, _member(host, i)) for i, c in enumerate(checkpoints)]
  restored += [restored[-1]] * (len(host['step']) - len(restored))
  stacked = jax.tree.map(lambda *xs: np.stack(xs), *restored)
  rates = train_steps.learning_rate_of(host['opt_state'])  # the config's, if it changed
  return jax.device_put(train_steps.with_learning_rate(stacked, rates), devices.members(mesh))


def _member(host_state, i: int):
  return jax.tree.map(lambda x: np.asarray(x[i]), host_state)


def _save(checkpoints: list[Checkpoints], state, size: int) -> None:
  host = devices.to_host(state)
  for i, c in enumerate(checkpoints[:size]):
    c.save(_member(host, i))
  for c in checkpoints:
    c.wait()


def _note_divergence(diverged_at, first_bad_step, checkpoints, workdirs):
  """Stops a run of one at a non-finite loss; a population notes it and goes on."""
  new = (diverged_at < 0) & (first_bad_step >= 0)
  if len(workdirs) == 1 and new[0]:
    kept = checkpoints[0].latest_step()
    kept_text = f'the checkpoint of step {kept} is kept' if kept is not None else 'no checkpoint yet'
    raise RunError(f'the training loss became non-finite at step {first_bad_step[0]}; '
                   f'{kept_text} in {checkpoints[0].directory}. Lower train.learning_rate or '
                   f'set train.grad_clip_norm')
  for i in np.flatnonzero(new):
    print(f'{workdirs[i]}: the training loss became non-finite at step {first_bad_step[i]}; '
          'its best parameters so far are kept')
  return np.where(new, first_bad_step, diverged_at)


def _next_stop(step: int, train_cfg) -> int:
  stops = [(step // every + 1) * every for every in (train_cfg.log_every, train_cfg.eval_every)]
  return min(stops + [train_cfg.num_steps])


def _train_metrics(sums: dict, i: int, num_steps: int, learning_rate, seconds: float) -> dict:
  accuracy = float(sums['accuracy'][i]) / num_steps
  return {
      'train/loss': float(sums['loss'][i]) / num_steps,
      'train/accuracy': accuracy,
      'train/error': 100.0 * (1.0 - accuracy),
      'train/grad_norm': float(sums['grad_norm'][i]) / num_steps,
      'train/learning_rate': float(learning_rate),
      'train/steps_per_second': num_steps / seconds,
  }


def _spread_values(values, fmt: str = '{:.2f}%') -> str:
  """One number, or the range over the members of a population."""
  low, high = float(np.min(values)), float(np.max(values))
  return fmt.format(low) if len(values) == 1 else f'{fmt.format(low)}..{fmt.format(high)}'


def _spread(metrics: list[dict], name: str, fmt: str) -> str:
  return _spread_values([m[name] for m in metrics], fmt)


def _names(workdirs: list[str]) -> str:
  return workdirs[0] if len(workdirs) == 1 else f'{len(workdirs)} members'


def _write_final(writer: MetricWriter, config, workdir: str, results: dict) -> None:
  writer.write_scalars(results['steps'], {'test/error': results['test_error']})
  writer.write_hparams(_hparams(config), {'hparam/test_error': results['test_error'],
                                          'hparam/valid_error': results['valid_error']})
  writer.close()
  path = run_dir.write_results(workdir, results)
  print(f'{workdir}: test error {results["test_error"]:.2f}% (best valid '
        f'{results["valid_error"]:.2f}% at step {results["best_step"]}); results in {path}')


def _hparams(config: ml_collections.ConfigDict) -> dict:
  flat = run_dir.flatten_config(config.to_dict())
  return {k: v for k, v in flat.items() if isinstance(v, (int, float, str, bool))}
