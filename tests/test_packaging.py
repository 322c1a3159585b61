"""The wheel holds every module: built from the checkout, unpacked alone into a fresh folder,
and every module imported from there (the dependencies are this environment's)."""

import importlib.util
import os
import pkgutil
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def package_modules() -> list[str]:
  """Every module of the fwrnn package in the checkout."""
  found = ['fwrnn']
  for module in pkgutil.walk_packages([os.path.join(ROOT, 'fwrnn')], prefix='fwrnn.'):
    found.append(module.name)
  return sorted(found)


def test_the_wheel_installs_every_module(tmp_path):
  source = tmp_path / 'source'  # a copy: building writes build/ beside the sources
  for folder in ('fwrnn', 'configs'):
    shutil.copytree(os.path.join(ROOT, folder), source / folder,
                    ignore=shutil.ignore_patterns('__pycache__'))
  shutil.copy(os.path.join(ROOT, 'pyproject.toml'), source)
  # Without isolation where this environment can build wheels itself (no download needed).
  builds = all(importlib.util.find_spec(name) for name in ('setuptools', 'wheel'))
  isolation = ['--no-build-isolation'] if builds else []
  subprocess.run([sys.executable, '-m', 'pip', 'wheel', str(source), '--no-deps', '--quiet',
                  *isolation, '-w', str(tmp_path / 'wheel')], check=True, timeout=300,
                 cwd=tmp_path)
  [wheel] = os.listdir(tmp_path / 'wheel')
  with zipfile.ZipFile(tmp_path / 'wheel' / wheel) as archive:  # a pure-Python wheel installs
    archive.extractall(tmp_path / 'site')                       # by unpacking (PEP 427)
  modules = package_modules()
  assert 'fwrnn.rl.a2c' in modules and 'fwrnn.engine.loop' in modules
  script = ('import importlib, sys\n'
            f'for name in {modules!r}:\n'
            '  module = importlib.import_module(name)\n'
            f'  assert module.__file__.startswith({str(tmp_path / "site")!r}), module.__file__\n'
            'import configs.catch\n')
  done = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                        timeout=300, cwd=tmp_path, env=dict(os.environ, PYTHONPATH=str(tmp_path / 'site')))
  assert done.returncode == 0, done.stderr[-2000:]
