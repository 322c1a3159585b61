"""Reports: the learning rate is chosen on validation, and only its test errors are reported."""

import pytest

from fwrnn import report


def run(model, hidden, rate, seed, valid, test):
  return {'model': model, 'hidden_size': hidden, 'learning_rate': rate, 'seed': seed,
          'valid_error': valid, 'test_error': test, 'workdir': f'/nowhere/{rate}/{seed}'}


def test_table1_cell_uses_the_rate_with_the_best_mean_validation_error():
  rows = [run('lstm', 20, 1e-3, 0, 10.0, 1.0), run('lstm', 20, 1e-3, 1, 30.0, 2.0),
          run('lstm', 20, 3e-3, 0, 15.0, 50.0), run('lstm', 20, 3e-3, 1, 16.0, 60.0)]
  [cell] = report.table1_cells(rows)
  assert cell['learning_rate'] == 3e-3  # mean valid 15.5 < 20, although its test error is worse
  assert cell['test_errors'] == [50.0, 60.0]
  assert cell['test_mean'] == pytest.approx(55.0)
  assert cell['test_std'] == pytest.approx(7.0710678)
  assert cell['paper'] == 60.81


def test_table1_markdown_puts_each_cell_beside_the_paper():
  rows = [run('fast_weights', 20, 1e-3, s, 1.0, 1.0 + s) for s in range(3)]
  text = report.table1_markdown(report.table1_cells(rows), [], 'header')
  assert '| Fast weights | 2.00 ± 1.00 (paper 1.81) |' in text
