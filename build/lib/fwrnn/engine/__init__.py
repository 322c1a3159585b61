"""The engine under every kind of run: populations on a device mesh, run directories,
checkpoints, the one training loop, and sweeps of many runs.

A kind of run (a supervised task, Catch, the next ones) supplies its pieces (kind.py); the
loop (loop.py) trains any of them.
"""
