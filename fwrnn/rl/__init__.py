"""Reinforcement learning: environments as pure functions of arrays."""
