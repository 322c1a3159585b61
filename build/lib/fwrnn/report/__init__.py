"""Reports of finished sweeps: one registry of report kinds (kinds.py), each reading runs into
typed cells and writing its tables and figures; and the pictures of a trained run.
"""
