"""Nothing CPU-only: the training step of every core, the Catch agent's updates and the
layer's gradient are exported for the cuda and tpu platforms (jax.export lowers them for a
platform that this machine does not have)."""

import jax
import jax.numpy as jnp
import optax
import pytest
from jax import export

from configs import assoc_recall, catch as catch_config, mnist_glimpses
from fwrnn import tasks
from fwrnn.engine import train_steps
from fwrnn.engine.population import BatchShare
from fwrnn.engine.state import Member
from fwrnn.layers import FastWeights
from fwrnn.layers.cores import CORE_NAMES
from fwrnn.layers.models import build_model
from fwrnn.rl import a2c
from fwrnn.tasks.catch import settings_of

PLATFORMS = ('cuda', 'tpu')


def exported(function, *args) -> export.Exported:
  return export.export(jax.jit(function), platforms=PLATFORMS)(*args)


@pytest.mark.parametrize('name', CORE_NAMES)
def test_the_training_steps_of_every_core_export_for_gpu_and_tpu(name):
  config = (mnist_glimpses if name == 'convnet' else assoc_recall).get_config('tiny')
  config.model.name = name
  task = tasks.load(config.task)
  x = jnp.zeros((64, 28, 28), jnp.uint8) if name == 'convnet' else jnp.zeros((64, 11), jnp.int32)
  y = jnp.zeros((64,), jnp.int32)
  model = build_model(config, task)
  tx = train_steps.make_optimizer(config.train)
  member = Member.of(config)
  state = train_steps.init_state(model, tx, member, x[:1], len(y))
  run_steps = train_steps.make_run_steps(model, tx, config.train.batch_size, BatchShare(None))
  done = exported(run_steps, state, member, x, y, jnp.int32(0), jnp.int32(4))
  assert done.platforms == PLATFORMS and done.mlir_module_serialized


def test_the_catch_agents_updates_export_for_gpu_and_tpu():
  config = catch_config.get_config('tiny')
  settings = settings_of(config)
  agent = a2c.build_agent(config.model)
  tx = optax.adam(1e-3)
  member = Member.of(config)
  state = a2c.init(agent, tx, settings, member.rates, member.seed)
  train = a2c.make_train(agent, tx, settings)
  done = exported(train, state, member.rates, jnp.int32(2))
  assert done.platforms == PLATFORMS


@pytest.mark.parametrize('form', ['implicit', 'explicit'])
def test_the_layers_gradient_exports_for_gpu_and_tpu(form):
  layer = FastWeights(16, form=form)
  x = jnp.ones((4, 20, 8))
  params = layer.init(jax.random.key(0), x)
  gradient = jax.grad(lambda p, x: jnp.sum(layer.apply(p, x) ** 2))
  assert exported(gradient, params, x).platforms == PLATFORMS
