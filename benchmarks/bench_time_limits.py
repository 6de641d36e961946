"""Benchmark: is ``time_limit`` kept by every model and method? Prints a Markdown table.

The goal (issue "every model off the demo path", item 3): the wall time of
:func:`planner.optimize.solve` stays within ``max(10 %, 0.5 s)`` of ``time_limit``, and
``Solution.runtime_s`` (what the status line shows) is that wall time. Each row solves a
random Euclidean instance (fixed seed; costs in metres, weights 1-99) large enough that
the limit binds, once per limit, and reports the wall and CPU seconds of the call.
CPU time counts every thread of the process; on a shared machine wall time grows with
the load, which the header line records.

``--cpu-share 0.25`` runs the table in a child process that gets at most that share of
the machine's time (stopped and continued every 40 ms with SIGSTOP/SIGCONT, POSIX only):
a repeatable stand-in for a loaded machine that uses no CPU itself (a process on a
2-core machine with load average 8 gets about a quarter of a core). The operating
system's load average does not see a stopped process, so the solver's load factor
(``planner.optimize.timing.load_factor``) reads only the real load.

Usage::

    python benchmarks/bench_time_limits.py [--limits 2,5,10] [--quick] [--out FILE]
                                           [--cpu-share SHARE] [--models M1,M2]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.optimize import Problem, SolverOptions, solve

#: (model, method, n_demand, n_sites, options): the instances of the table.
CASES: list[tuple[str, str, int, int, dict[str, Any]]] = [
    ("p_median", "auto", 2_000, 200, {"p": 50}),
    ("p_median", "exact", 2_000, 200, {"p": 50}),
    ("p_median", "heuristic", 20_000, 1_000, {"p": 100}),
    ("mclp", "auto", 20_000, 1_000, {"p": 50, "radius": 800.0}),
    ("mclp", "exact", 4_000, 400, {"p": 20, "radius": 800.0}),
    ("lscp", "auto", 4_000, 400, {"radius": 900.0}),
    ("p_center", "auto", 2_000, 200, {"p": 30}),
    ("capacitated_p_median", "exact", 1_000, 100, {"p": 12, "capacity": 1.1}),
    ("capacitated_p_median", "auto", 1_000, 100, {"p": 12, "capacity": 1.1}),
    ("facility_location", "exact", 2_000, 200, {"opening_cost": 20_000.0}),
    ("facility_location", "auto", 20_000, 1_000, {"opening_cost": 20_000.0}),
    # within an opening budget of about ten sites' costs
    ("facility_location", "auto", 20_000, 1_000, {"opening_cost": 20_000.0, "budget_sites": 10}),
    (
        "facility_location",
        "heuristic",
        20_000,
        1_000,
        {"opening_cost": 20_000.0, "budget_sites": 10},
    ),
    ("facility_location", "exact", 20_000, 1_000, {"opening_cost": 20_000.0, "budget_sites": 10}),
]


def instance(n: int, m: int, options: dict[str, Any]) -> tuple[Problem, dict[str, Any]]:
    """A random square city of 10 km, seed 0; capacity given as a multiple of load / p."""
    rng = np.random.default_rng(0)
    d = rng.random((n, 2)) * 10_000.0
    s = rng.random((m, 2)) * 10_000.0
    cost = np.hypot(*(d[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 100, n).astype(np.float64)
    opts = dict(options)
    kw: dict[str, Any] = {}
    if "capacity" in opts:
        kw["capacity"] = np.full(m, opts.pop("capacity") * w.sum() / opts["p"])
    if "opening_cost" in opts:
        kw["opening_cost"] = np.full(m, opts.pop("opening_cost") * n / 100.0)
    if "budget_sites" in opts:
        opts["budget"] = float(opts.pop("budget_sites") * kw["opening_cost"][0])
    return Problem(cost, w, **kw), opts


def run(limits: list[float], cases: list[tuple[str, str, int, int, dict[str, Any]]]) -> list[str]:
    """One table row per case and limit."""
    rows = [
        "| model | method | demand x sites | limit (s) | wall (s) | CPU (s) | runtime_s | "
        "within max(10 %, 0.5 s) | status | gap |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- | ---: |",
    ]
    for model, method, n, m, options in cases:
        problem, opts = instance(n, m, options)
        name = f"{model} (budget)" if "budget" in opts else model
        for limit in limits:
            c0 = time.process_time()
            t0 = time.perf_counter()
            sol = solve(
                problem, model, **opts, options=SolverOptions(method=method, time_limit=limit)
            )
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
            ok = wall <= limit + max(0.1 * limit, 0.5)
            gap = "-" if sol.gap is None else f"{100 * sol.gap:.2f} %"
            rows.append(
                f"| {name} | {method} | {n:,} x {m:,} | {limit:g} | {wall:.2f} | {cpu:.2f} | "
                f"{sol.runtime_s:.2f} | {'yes' if ok else '**no**'} | {sol.status} | {gap} |"
            )
            print(rows[-1], flush=True)
    return rows


def machine_header(title: str, command: str, note: str = "") -> list[str]:
    """The Markdown heading of a table: what, when, on which machine under which load, how."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return [
        f"### {title} ({datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"Machine: {platform.system()} {platform.release()}, {platform.machine()}, "
        f"{os.cpu_count()} logical cores, Python {platform.python_version()}; load average "
        f"{load:.1f} at the start{note}. Command: `{command}`.",
        "",
    ]


def emit(head: list[str], rows: list[str], out: Path | None) -> None:
    """Print the table, and append it to ``out`` (a Markdown file) when given."""
    text = "\n".join([*head, *rows, ""])
    if out:
        with out.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)
    print(text)


def throttled(share: float, argv: list[str]) -> int:
    """Run this script with ``argv`` in a child that gets ``share`` of the wall time."""
    import signal
    import subprocess

    env = {**os.environ, "BENCH_CPU_SHARE": f"{share:g}"}  # for the table's header
    child = subprocess.Popen([sys.executable, __file__, *argv], start_new_session=True, env=env)
    period = 0.04
    try:
        while child.poll() is None:
            time.sleep(period * share)
            os.killpg(child.pid, signal.SIGSTOP)
            time.sleep(period * (1.0 - share))
            os.killpg(child.pid, signal.SIGCONT)
    except ProcessLookupError:
        pass
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGCONT)
    return child.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limits", default="2,5,10", help="comma-separated seconds")
    ap.add_argument("--quick", action="store_true", help="only the first limit")
    ap.add_argument("--models", help="comma-separated models: only their rows")
    ap.add_argument("--out", type=Path, help="append the table to this Markdown file")
    ap.add_argument("--cpu-share", type=float, help="run throttled to this share of the time (0-1)")
    args = ap.parse_args(argv)
    if args.cpu_share is not None:
        if not 0.0 < args.cpu_share <= 1.0:
            ap.error("--cpu-share must be in (0, 1]")
        rest = list(sys.argv[1:] if argv is None else argv)
        i = next(k for k, a in enumerate(rest) if a.startswith("--cpu-share"))
        del rest[i : i + (1 if "=" in rest[i] else 2)]
        return throttled(args.cpu_share, rest)
    limits = [float(x) for x in args.limits.split(",")]
    if args.quick:
        limits = limits[:1]
    share = os.environ.get("BENCH_CPU_SHARE")
    head = machine_header(
        "Time limits kept",
        f"python benchmarks/bench_time_limits.py --limits {args.limits}"
        + (f" --cpu-share {share}" if share else ""),
        " (shared machine: wall times include waiting for a core)"
        + (f"; throttled to {share} of the wall time" if share else ""),
    )
    cases = CASES
    if args.models:
        wanted = set(args.models.split(","))
        cases = [case for case in CASES if case[0] in wanted]
    emit(head, run(limits, cases), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
