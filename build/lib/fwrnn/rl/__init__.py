"""Reinforcement learning: the game (catch.py, pure functions of arrays) and the A2C agent
(a2c.py). Training them is the engine's, through the Catch kind of run (fwrnn/tasks/catch.py)."""
