"""Benchmark helpers for scripts/benchmark.py (not needed for training)."""
