"""The untrained memory probe behind MQAR's "why": what each memory gives back."""

import numpy as np
import pytest

from fwrnn.report import recall_capacity as probe

MEMORIES = {m.name: m for m in probe.MEMORIES}


def test_relu_ln_keys_are_never_negative_and_every_key_has_unit_length():
  keys = probe.random_keys(np.random.default_rng(0), 'relu_ln', (5, 3, 16))
  assert keys.min() >= 0 and keys.max() > 0
  np.testing.assert_allclose(np.linalg.norm(keys, axis=-1), 1.0, rtol=1e-6)
  with pytest.raises(ValueError, match='unknown kind of keys'):
    probe.random_keys(np.random.default_rng(0), 'relu', (1, 4))


@pytest.mark.parametrize('memory', probe.MEMORIES, ids=lambda m: m.name)
def test_one_pair_alone_is_always_given_back(memory):
  assert probe.recalled_fraction(memory, 1, 0, 16, 8, seed=0) == 1.0


def test_keys_that_overlap_and_a_memory_that_fades_give_back_fewer_pairs():
  adds = MEMORIES['Linear attention (adds)']
  recalled = {name: probe.recalled_fraction(MEMORIES[name], 8, gap, 16, 32, seed=0)
              for name, gap in [('Linear attention (adds)', 0), ('Adds, ReLU-LN keys', 0),
                                ('Adds, fades with λ = 0.95', 32)]}
  assert recalled['Adds, ReLU-LN keys'] < recalled['Linear attention (adds)'] - 0.05
  assert recalled['Adds, fades with λ = 0.95'] < probe.recalled_fraction(
      adds, 8, 32, 16, 32, seed=0) - 0.2
