"""Reports: the learning rate is chosen on validation, and only its test errors are reported."""

import subprocess
import sys

import pytest

from fwrnn.errors import RunError

from configs import assoc_recall
from fwrnn.report import ablations, common, paper as report
from fwrnn.report import kinds as report_kinds
from fwrnn.engine import run_dir
from fwrnn.engine import csv_rows, sweep

TABLE1 = report.PAPER_TABLES['table1']


def run(model, hidden, rate, seed, valid, test, steps=20_000, stopped_by='patience'):
  return {'model': model, 'hidden_size': hidden, 'learning_rate': rate, 'seed': seed,
          'valid_error': valid, 'test_error': test, 'workdir': f'/nowhere/{rate}/{seed}',
          'steps': steps, 'stopped_by': stopped_by,
          'train_seconds': 60.0 * (seed + 1)}


def test_table1_cell_uses_the_rate_with_the_best_mean_validation_error():
  rows = [run('lstm', 20, 1e-3, 0, 10.0, 1.0), run('lstm', 20, 1e-3, 1, 30.0, 2.0),
          run('lstm', 20, 3e-3, 0, 15.0, 50.0), run('lstm', 20, 3e-3, 1, 16.0, 60.0)]
  [cell] = report.paper_cells(rows, TABLE1)
  assert cell.learning_rate == 3e-3  # mean valid 15.5 < 20, although its test error is worse
  assert cell.test_errors == [50.0, 60.0]
  assert cell.test_mean == pytest.approx(55.0)
  assert cell.test_std == pytest.approx(7.0710678)
  assert cell.paper == 60.81


def test_table1_markdown_puts_each_cell_beside_the_paper():
  rows = [run('fast_weights', 20, 1e-3, s, 1.0, 1.0 + s) for s in range(3)]
  text = report.paper_markdown(report.paper_cells(rows, TABLE1), [], 'header')
  assert '| Fast weights | 2.00 ± 1.00 (paper 1.81) |' in text


def test_table1_markdown_does_not_give_one_seed_a_spread():
  rows = [run('lstm', 20, 1e-3, 0, 1.0, 2.0)]
  text = report.paper_markdown(report.paper_cells(rows, TABLE1), [], 'header')
  assert '| LSTM | 2.00 (1 seed) (paper 60.81) |' in text


def test_table1_markdown_says_where_each_run_stopped_and_what_each_population_cost():
  rows = [run('lstm', 50, 1e-3, s, 1.0, 1.0, steps=(s + 1) * 10_000) for s in range(2)]
  rows += [run('lstm', 50, 3e-3, 0, 2.0, 1.0, steps=100_000, stopped_by='num_steps')]
  text = report.paper_markdown(report.paper_cells(rows, TABLE1), rows, 'header')
  assert '| 0, 1 | 10,000, 20,000 |' in text  # the chosen rate's seeds
  population_lines = [line for line in text.splitlines() if line.startswith('| LSTM | 50 | ')]
  assert population_lines[-1] == '| LSTM | 50 | 3 | 2.0 |'  # its longest member: 120 s
  rows[2]['valid_error'] = 0.5  # now the rate whose run reached the ceiling is chosen
  text = report.paper_markdown(report.paper_cells(rows, TABLE1), rows, 'header')
  assert '| 0 | 100,000 (ceiling) |' in text


def test_population_wall_time_counts_parts_trained_side_by_side_once():
  rows = [run('alstm', 100, 1e-3, s, 1.0, 1.0) for s in range(4)]  # 60, 120, 180, 240 s
  for row, started in zip(rows, ('', '2026-12-01T10:00:00+00:00', '2026-12-01T10:01:00+00:00',
                                 '2026-12-01T11:00:00+00:00')):
    row['started'] = started
  # 60 s without a start; 10:00-10:02 and 10:01-10:04 overlap: 240 s; then 11:00-11:04
  assert report.population_wall_seconds(rows) == {('alstm', 100, 4): 60 + 240 + 240}


@pytest.fixture(scope='module')
def tiny_sweep(tmp_path_factory):
  """A finished sweep of 2 learning rates × 2 seeds: its directory and rows."""
  sweep_dir = tmp_path_factory.mktemp('reports') / 'sweep'
  config = assoc_recall.get_config('tiny')
  rows = sweep.run_sweep(config, sweep.parse_grid('train.learning_rate=1e-3,1e-2 seed=0,1'),
                         str(sweep_dir))
  return sweep_dir, rows


def test_any_sweep_gets_a_table_of_its_seed_groups_and_their_curves(tiny_sweep):
  sweep_dir, rows = tiny_sweep
  out = subprocess.run([sys.executable, 'scripts/report.py', f'--sweep_dir={sweep_dir}'],
                       capture_output=True, text=True, timeout=120)
  assert out.returncode == 0, out.stderr
  text = (sweep_dir / 'report' / 'groups.md').read_text()
  for rate in (1e-3, 1e-2):
    members = [r for r in rows if r['learning_rate'] == rate]
    mean, std = common.mean_std([m['test_error'] for m in members])
    assert f'| learning_rate={rate} | 2 | 0, 1 | ' in text
    assert f'{mean:.2f} ± {std:.2f}' in text
  assert (sweep_dir / 'report' / 'groups_curves.png').read_bytes()[:4] == b'\x89PNG'


@pytest.mark.parametrize('name', sorted(n for n, k in report_kinds.REPORT_KINDS.items()
                                         if k.runs in ('supervised', 'any')))
def test_every_kind_of_report_writes_its_table_data_and_figures(tiny_sweep, tmp_path, name):
  sweep_dir, _ = tiny_sweep
  rows = csv_rows.read_csv(str(sweep_dir / sweep.SWEEP_CSV))
  configs = [run_dir.read_config(r['workdir']).to_dict() for r in rows]
  kind = report_kinds.REPORT_KINDS[name]
  report_kinds.write(kind, rows, configs, str(tmp_path), 'the header')
  assert sorted(p.name for p in tmp_path.iterdir()) == sorted(kind.files())
  markdown, data, *figures = (tmp_path / f for f in kind.files())
  assert markdown.read_text().startswith(f'# {kind.title}\n\nthe header')
  assert len(csv_rows.read_csv(str(data))) >= 1
  for figure in figures:
    assert figure.read_bytes()[:4] == b'\x89PNG'


def test_table1_and_ablation_figures_draw(tmp_path):
  rows = [run(m, r, 1e-3, s, 1.0, e) for m, e in (('lstm', 3.0), ('fast_weights', 0.0))
          for r in (20, 50) for s in range(2)]
  report.plot_error_against_size(report.paper_cells(rows, TABLE1), str(tmp_path / 't1.png'), 'Table 1')
  cells = [ablations.AblationCell('fast_weights', 50, 4, 1, True, d, e, [d * e], d * e, 0.0, d * e)
           for d in (0.9, 0.95) for e in (0.0, 0.5)]
  ablations.plot_decay_and_rate(cells, str(tmp_path / 'grid.png'))
  for name in ('t1.png', 'grid.png'):
    assert (tmp_path / name).read_bytes()[:4] == b'\x89PNG'


def test_a_cell_chooses_among_settings_of_eta_too_and_never_mixes_them():
  rows = [dict(run('fast_weights', 50, 1e-3, s, valid, test), fast_lr=eta, fast_decay=0.95)
          for eta, valid, test in ((0.5, 5.0, 4.0), (0.1, 2.0, 1.0)) for s in range(2)]
  [cell] = report.paper_cells(rows, TABLE1)
  assert cell.fast_lr == 0.1 and cell.test_errors == [1.0, 1.0]
  text = report.paper_markdown([cell], rows, 'header')
  assert '| 0.001 (0.001); η 0.1 (0.1, 0.5) |' in text


def test_a_run_stopped_early_holds_its_last_value_on_the_curves(tmp_path):
  for name, rows in (('short', [(1000, 2.0, 50.0), (2000, 1.0, 20.0)]),
                     ('long', [(1000, 2.2, 55.0), (2000, 1.5, 30.0), (3000, 0.5, 5.0)])):
    (tmp_path / name).mkdir()
    (tmp_path / name / 'valid_curve.csv').write_text(
        'step,valid_loss,valid_error\n' + ''.join(f'{s},{l},{e}\n' for s, l, e in rows))
  steps, errors = common.seed_curves([str(tmp_path / 'short'), str(tmp_path / 'long')], 2)
  assert steps.tolist() == [1000, 2000, 3000]
  assert errors.tolist() == [[50.0, 20.0, 20.0], [55.0, 30.0, 5.0]]


def test_the_curves_of_every_cell_show_where_each_seed_stopped_and_why(tmp_path):
  def write_curve(name, errors):
    (tmp_path / name).mkdir()
    (tmp_path / name / 'valid_curve.csv').write_text('step,valid_loss,valid_error\n' + ''.join(
        f'{1000 * (i + 1)},{e / 50},{e}\n' for i, e in enumerate(errors)))
    return str(tmp_path / name)
  cell = lambda model, hidden, stopped_at, stopped_by, workdirs: report.PaperCell(
      model, hidden, 1e-3, None, None, [], [], [], list(range(len(workdirs))), [], 0.0, 0.0, 0.0,
      None, workdirs, stopped_at, stopped_by)
  cells = [
      cell('lstm', 20, [2000, 3000], ['patience', 'num_steps'],
           [write_curve('a', [60.0, 30.0]), write_curve('b', [60.0, 40.0, 20.0])]),
      cell('fast_weights', 50, [1000], ['patience'], [write_curve('c', [5.0])]),
  ]
  fig = report.curves_every_size_figure(cells)
  panels = [ax for ax in fig.axes if ax.get_title()]
  assert [ax.get_title() for ax in panels] == ['R = 20', 'R = 50']
  first = panels[0]
  [mean] = first.lines
  assert mean.get_xdata().tolist() == [1000, 2000, 3000]
  assert mean.get_ydata().tolist() == [60.0, 35.0, 25.0]  # the first seed holds its 30%
  crosses, rings = (c.get_offsets().tolist() for c in first.collections[1:])
  assert crosses == [[2000, 30.0]] and rings == [[3000, 20.0]]
  assert [t.get_text() for t in fig.legends[0].get_texts()] == ['LSTM', 'Fast weights']


def test_paper_markdown_ranks_the_models_at_each_size_beside_the_papers_ranking():
  rows = [run('irnn', 50, 1e-3, 0, 1.0, 3.0), run('lstm', 50, 1e-3, 0, 1.0, 2.0),
          run('fast_weights', 50, 1e-3, 0, 1.0, 2.001), run('alstm', 20, 1e-3, 0, 1.0, 1.0)]
  text = report.paper_markdown(report.paper_cells(rows, TABLE1), [], 'header')
  assert ('| 50 | LSTM 2.00 = Fast weights 2.00 < IRNN 3.00 | '
          'Fast weights 0 < LSTM 1.85 < IRNN 60.23 |') in text
  assert not any(line.startswith('| 20 |') for line in text.splitlines())  # one model there


def test_a_report_of_another_kind_of_run_is_refused_before_it_writes(tiny_sweep, tmp_path):
  sweep_dir, _ = tiny_sweep
  rows, configs = common.read_runs(str(sweep_dir))
  with pytest.raises(RunError, match='the catch report reads catch runs; .* is a supervised run'):
    report_kinds.write(report_kinds.REPORT_KINDS['catch'], rows, configs, str(tmp_path / 'out'), '')
  assert not (tmp_path / 'out').exists()


def test_a_truncated_sweep_table_is_refused_in_one_line(tiny_sweep, tmp_path):
  sweep_dir, _ = tiny_sweep
  text = (sweep_dir / sweep.SWEEP_CSV).read_text()
  (tmp_path / sweep.SWEEP_CSV).write_text(text[:len(text) - 40])  # the last line cut mid-way
  out = subprocess.run([sys.executable, 'scripts/report.py', f'--sweep_dir={tmp_path}'],
                       capture_output=True, text=True, timeout=120)
  assert out.returncode == 1 and out.stderr.strip().startswith('error: ')
  assert 'is damaged: line 5 has' in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_groups_and_controls_do_not_give_one_seed_a_spread():
  row = dict(run('fast_weights', 20, 1e-3, 0, 1.0, 2.0), fast_decay=0.95, fast_lr=0.5)
  config = {'seed': 0, 'data': {'num_pairs': 4},
            'model': {'name': 'fast_weights', 'inner_steps': 1, 'layer_norm': True}}
  kinds = report_kinds.REPORT_KINDS
  for name in ('groups', 'ablations'):
    text = kinds[name].markdown(kinds[name].cells([row], [config]), [row], 'header')
    assert '2.00 (1 seed)' in text and '± 0.00' not in text
