"""Benchmark instance readers (shared by the benchmark scripts).

The readers live in :mod:`planner.optimize.instances` (tests need them too, and tests
must not import from ``benchmarks/``); this module re-exports them and knows where the
shared benchmark folder sits beside the clone.
"""

from __future__ import annotations

from pathlib import Path

from planner.optimize.instances import (
    CapInstance,
    PMedCapInstance,
    PMedInstance,
    PointInstance,
    euclidean_cost,
    read_cap,
    read_optima,
    read_pmed,
    read_pmedcap,
    read_sjc,
    read_tsplib,
)

#: ``../shared/benchmarks`` relative to the repository root (CI puts shared/ beside the clone).
DEFAULT_BENCHMARKS_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"

__all__ = [
    "DEFAULT_BENCHMARKS_DIR",
    "CapInstance",
    "PMedCapInstance",
    "PMedInstance",
    "PointInstance",
    "euclidean_cost",
    "read_cap",
    "read_optima",
    "read_pmed",
    "read_pmedcap",
    "read_sjc",
    "read_tsplib",
]
