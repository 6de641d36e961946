"""Benchmark: the trade-off curve (p from the kept centres to 20) on the demo area.

Scenarios: the bundled demo (500 m cells) and the same area at the rasters' native
100 m (built by ``benchmarks/_demo100.py`` from the shared WorldPop rasters; needs
rasterio). For each: the warm-started curve (:func:`planner.optimize.curve.p_median_curve`,
the scenario's time limit for the whole curve, 0.1 % target gap per point) and, with
``--from-scratch``, each ``p`` solved alone by :func:`planner.optimize.solve` with the
scenario's settings (what the curve cost before).

Usage::

    .venv/bin/python benchmarks/bench_curve.py [--cells 500,100] [--from-scratch]
        [--workers 2] [--work /tmp/planner-bench]

Prints a Markdown table: wall and CPU seconds (the process's user + system time),
points, worst gap, and the objective at each end of the curve.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _demo100
from planner.optimize import solve
from planner.optimize.curve import p_median_curve
from planner.runs.config import load_scenario
from planner.runs.options import solve_options
from planner.runs.pipeline import build_problem, load_inputs


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", default="500,100", help="cell sizes to run: 500 and/or 100")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--max-p", type=int, default=20)
    ap.add_argument("--from-scratch", action="store_true")
    ap.add_argument("--work", type=Path, default=Path("/tmp/planner-bench"))
    args = ap.parse_args(argv)
    print(
        "| cells | points | sites | p | method | wall s | CPU s | worst gap | objective at low / high p |"
    )
    print("| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | --- |")
    for cells in args.cells.split(","):
        path = (
            _demo100.DEMO_TOML if cells.strip() == "500" else _demo100.build(args.work / "demo100")
        )
        cfg = load_scenario(path)
        inputs = load_inputs(cfg)
        problem = build_problem(inputs, cfg)
        options = solve_options(inputs, cfg)
        low = max(1, int(inputs.sites["keep"].sum()))
        ps = list(range(low, args.max_p + 1))
        runs = [("warm-started curve", None)]
        if args.from_scratch:
            runs.append(("each p from scratch", options))
        for label, opts in runs:
            t0, c0 = time.perf_counter(), _cpu()
            if opts is None:
                sols = list(
                    p_median_curve(
                        problem, ps, time_limit=cfg.solver.time_limit_s, workers=args.workers,
                        seed=cfg.solver.seed,
                    )
                )  # fmt: skip
            else:
                sols = [solve(problem, **{**opts, "p": p}) for p in ps]
            wall, cpu = time.perf_counter() - t0, _cpu() - c0
            gap = max((s.gap or 0.0) for s in sols)
            print(
                f"| {cells.strip()} m | {problem.n_demand:,} | {problem.n_sites} | {ps[0]}-{ps[-1]} "
                f"| {label} | {wall:.1f} | {cpu:.1f} | {100 * gap:.2f} % "
                f"| {sols[0].objective:,.0f} / {sols[-1].objective:,.0f} |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
