"""The README's headline tables are the reports' own lines, and its links lead somewhere."""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme() -> str:
  with open(os.path.join(ROOT, 'README.md')) as f:
    return f.read()


def test_every_headline_table_is_copied_from_its_report():
  blocks = re.findall(r'<!-- report: (\S+) -->\n((?:\|.*\n)+)', readme())
  assert len(blocks) >= 4
  for path, table in blocks:
    with open(os.path.join(ROOT, path)) as f:
      report = f.read().splitlines()
    for line in table.splitlines():
      assert line in report, f'{line!r} is not in {path}: run scripts/report.py and copy its table'


def test_every_link_of_the_readme_leads_to_a_file():
  for target in re.findall(r'\]\(([^)#]+)\)', readme()):
    if '://' not in target:
      assert os.path.exists(os.path.join(ROOT, target)), target
