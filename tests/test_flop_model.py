"""The benchmark's FLOP count, checked against a count by hand."""

from fwrnn.bench import flop_model


def test_fast_weights_step_flops_by_hand():
  # H = 2, T = 2, S = 1, head 3: recurrent 2·(2·2²) = 16; attention 4·2·(1 + 2) = 24;
  # LN 2 steps · 8 · 2 = 32; head 2·(2·3 + 3·10) = 72. Forward 144, step = 3 · batch · 144.
  assert flop_model.forward_flops_per_sequence('fast_weights', 2, 2, 1, head=3) == 144
  assert flop_model.train_step_flops('fast_weights', 2, 2, batch=5, inner_steps=1, head=3) == 2160


def test_ln_irnn_counts_no_attention_and_more_inner_steps_count_more():
  ln_irnn = flop_model.forward_flops_per_sequence('ln_irnn', 50, 11)
  fast = flop_model.forward_flops_per_sequence('fast_weights', 50, 11)
  assert fast - ln_irnn == 4 * 50 * sum(range(1, 12))
  assert flop_model.forward_flops_per_sequence('fast_weights', 50, 11, inner_steps=2) > fast
