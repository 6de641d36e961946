"""Whole runs: the scenario file, the pipeline, run folders, sweeps, robustness, the library."""
