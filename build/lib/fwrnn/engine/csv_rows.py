"""Tables of runs as CSV files (a sweep's sweep.csv, a report's cells): written whole, read
back with their numbers parsed, and refused in one line when damaged."""

import ast
import csv
import io
import os

from fwrnn.engine.atomic import write_atomically
from fwrnn.errors import RunError

SWEEP_CSV = 'sweep.csv'  # a sweep's table of its finished members


def literal(text: str):
  """A number, bool or None written as text, or the text itself."""
  try:
    return ast.literal_eval(text)
  except (ValueError, SyntaxError):
    return text


def write_csv(rows: list[dict], path: str) -> None:
  """One line per row, the union of the rows' fields as columns; a kill leaves the old file
  or the new one."""
  fields = list(dict.fromkeys(field for row in rows for field in row))
  os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
  text = io.StringIO(newline='')
  writer = csv.DictWriter(text, fieldnames=fields)
  writer.writeheader()
  writer.writerows(rows)
  write_atomically(path, text.getvalue())


def read_csv(path: str) -> list[dict]:
  """The rows of a CSV written by write_csv, numbers parsed; RunError if a row has more or
  fewer fields than the header, or the file has no header."""
  with open(path, newline='') as f:
    reader = csv.DictReader(f)
    rows = list(reader)
  if not reader.fieldnames:
    raise RunError(f'{path} is damaged: it has no header line')
  for number, row in enumerate(rows, 2):
    if None in row or None in row.values():
      raise RunError(f'{path} is damaged: line {number} has {len(row) - (None in row)} fields, '
                     f'not {len(reader.fieldnames)}; run the sweep again to rewrite it')
  return [{k: literal(v) if v != '' else None for k, v in row.items()} for row in rows]
