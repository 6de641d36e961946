"""Benchmark: how soon does a solve end after its stop token is set? Prints a Markdown table.

The goal (issue "a long run can be stopped"): the app's Stop button ends the solve within
about a second. Each row solves one instance of ``bench_time_limits.CASES`` with a long
time limit (so that only the token can end it early) and sets a
:class:`threading.Event` from a timer thread ``--after`` seconds into the solve; the
table reports the seconds from the set to the return (the stop latency), the wall and
CPU time of the whole call, and the status the solve reports.

Usage::

    python benchmarks/bench_stop.py [--after 1] [--limit 60] [--out FILE]
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_time_limits import CASES, emit, instance, machine_header

from planner.optimize import SolverOptions, solve


def run(after: float, limit: float) -> list[str]:
    """One row per case of ``bench_time_limits.CASES``."""
    rows = [
        "| model | method | demand x sites | stop after (s) | latency (s) | wall (s) | CPU (s) | "
        "status | quality |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for model, method, n, m, options in CASES:
        problem, kw = instance(n, m, options)
        stop = threading.Event()
        set_at: list[float] = []

        def press(event: threading.Event = stop, when: list[float] = set_at) -> None:
            when.append(time.perf_counter())
            event.set()

        timer = threading.Timer(after, press)
        c0 = time.process_time()
        t0 = time.perf_counter()
        timer.start()
        sol = solve(
            problem,
            model,
            options=SolverOptions(method=method, time_limit=limit, stop=stop),  # type: ignore[arg-type]
            **kw,
        )
        end = time.perf_counter()
        timer.cancel()
        cpu = time.process_time() - c0
        latency = f"{end - set_at[0]:.2f}" if set_at else "(ended first)"
        rows.append(
            f"| {model} | {method} | {n:,} x {m:,} | {after:g} | {latency} | {end - t0:.2f} | "
            f"{cpu:.2f} | {sol.status} | {sol.quality()} |"
        )
        print(rows[-1], flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--after", type=float, default=1.0, help="seconds before the stop")
    ap.add_argument("--limit", type=float, default=60.0, help="time limit of each solve (s)")
    ap.add_argument("--out", type=Path, help="append the table to this Markdown file")
    args = ap.parse_args(argv)
    head = machine_header(
        "Stop latency",
        f"python benchmarks/bench_stop.py --after {args.after:g} --limit {args.limit:g}",
    )
    emit(head, run(args.after, args.limit), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
