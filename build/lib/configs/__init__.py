"""Experiment configs: one file per experiment, each with get_config() (and get_sweep())."""
