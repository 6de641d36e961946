"""Benchmark: a sweep of p over the Wuhan demo, 2-worker local Dask cluster against a serial loop.

Issue 8's target: a sweep of 30 scenarios over the demo; the shared
preprocessing (layers, demand, travel matrix loaded once) must make the sweep
cost little more than the 30 solves themselves.

The demo keeps its 8 existing centres open, so by default the 30 scenarios are
p = 9..38 (1 to 30 new centres). The issue's literal p = 3..32 needs the
existing centres to be allowed to close: ``--policy may_close --p-min 3``
(much harder for the exact solver at small p: budget minutes per scenario).

Measured in one run, on the same loaded inputs:

* **naive loop**: ``run_scenario`` per scenario, each reading the layers and
  computing the travel matrix again (what a shell loop over ``planner run`` does,
  minus Python start-up and output writing);
* **serial sweep**: :func:`planner.runs.sweep.sweep` with ``parallel=False``: inputs
  loaded once, scenarios solved one after another;
* **Dask sweep**: the same on a ``LocalCluster`` of 2 single-threaded worker
  processes (inputs shipped to each worker once); cluster start-up is shown apart.

The sum of the solver's own times (``solve_s``) and of the per-scenario task
times (solve + KPIs) is the floor that sharing the preprocessing aims at. Run
folders (maps, reports) are not written: this measures the sweep itself.

Full run (30 scenarios)::

    .venv/bin/python benchmarks/bench_sweep.py

Quick check (6 scenarios)::

    .venv/bin/python benchmarks/bench_sweep.py --quick
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from planner.runs.config import load_scenario  # noqa: E402
from planner.runs.grid import apply_overrides  # noqa: E402
from planner.runs.pipeline import load_inputs, run_scenario  # noqa: E402
from planner.runs.sweep import sweep  # noqa: E402

DEMO = ROOT / "scenarios" / "wuhan_demo.toml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="6 scenarios instead of 30")
    parser.add_argument("--scenario", type=Path, default=DEMO, help="scenario file (default: demo)")
    parser.add_argument(
        "--policy",
        choices=["scenario", "keep", "may_close"],
        default="scenario",
        help="existing centres: as in the scenario file (default), kept open, or allowed to close",
    )
    parser.add_argument(
        "--p-min", type=int, help="smallest p (default: kept centres + 1, or 3 without any)"
    )
    parser.add_argument("--count", type=int, help="scenarios (default 30, quick 6)")
    parser.add_argument("--time-limit", type=float, help="solver time limit per scenario (s)")
    parser.add_argument("--workers", type=int, default=2, help="local Dask workers")
    parser.add_argument(
        "--naive", type=int, help="scenarios in the naive loop (default: all; 0 to skip)"
    )
    args = parser.parse_args(argv)
    config = load_scenario(args.scenario)
    overrides: dict[str, object] = {}
    if args.policy != "scenario" and config.data.existing is not None:
        overrides["data.existing.policy"] = args.policy
    if args.time_limit is not None:
        overrides["solver.time_limit_s"] = args.time_limit
    config = apply_overrides(config, overrides)

    t = time.perf_counter()
    inputs = load_inputs(config)
    load_s = time.perf_counter() - t
    n_demand, n_sites = inputs.travel.shape
    n_kept = int(inputs.sites["keep"].sum())
    p_min = args.p_min if args.p_min is not None else (n_kept + 1 if n_kept else 3)
    ps = list(range(p_min, p_min + (args.count or (6 if args.quick else 30))))
    policy = config.data.existing.policy if config.data.existing is not None else "none"
    policy_note = (
        f" The {n_kept} existing centres stay open (policy keep), so p = {ps[0]}..{ps[-1]} adds "
        f"{ps[0] - n_kept}..{ps[-1] - n_kept} new centres."
        if n_kept
        else f" Existing centres: policy {policy}."
    )

    # Naive loop: every scenario loads its inputs again.
    n_naive = len(ps) if args.naive is None else min(args.naive, len(ps))
    t = time.perf_counter()
    for p in ps[:n_naive]:
        run_scenario(apply_overrides(config, {"model.p": p}))
    naive_s = time.perf_counter() - t

    serial = sweep(config, {"model.p": ps}, parallel=False, inputs=inputs)
    dask = sweep(config, {"model.p": ps}, n_workers=args.workers, inputs=inputs)

    same = np.allclose(
        serial.table["objective"].to_numpy(dtype=float),
        dask.table["objective"].to_numpy(dtype=float),
        rtol=1e-9,
        equal_nan=True,
    )
    solve_sum = float(serial.table["solve_s"].sum())
    task_sum = float(serial.table["task_s"].sum())
    n = len(ps)
    print(
        f"## Sweep: {n} scenarios over the demo (p = {ps[0]}..{ps[-1]}), "
        f"{args.workers}-worker local Dask cluster vs serial loop"
    )
    print()
    print(
        f"Demo: {n_demand} demand points x {n_sites} sites, model {config.model.name}, "
        f"method {config.solver.method}, solver {config.solver.solver}, "
        f"time limit {config.solver.time_limit_s} s. Inputs loaded once in {load_s:.2f} s."
        + policy_note
    )
    print()
    print("| mode | wall time (s) | per scenario (s) | notes |")
    print("| --- | ---: | ---: | --- |")
    if n_naive:
        print(
            f"| naive loop (load + solve each) | {naive_s:.2f} | {naive_s / n_naive:.2f} | "
            f"{n_naive} scenarios, each re-reading layers and travel |"
        )
    print(
        f"| sum of solver times | {solve_sum:.2f} | {solve_sum / n:.2f} | "
        "`Solution.runtime_s`, the floor |"
    )
    print(
        f"| sum of task times | {task_sum:.2f} | {task_sum / n:.2f} | solve + KPIs per scenario |"
    )
    print(
        f"| serial sweep | {serial.solve_wall_s:.2f} | {serial.solve_wall_s / n:.2f} | "
        f"inputs loaded once ({load_s:.2f} s, not included) |"
    )
    print(
        f"| Dask sweep, {dask.n_workers} workers | {dask.solve_wall_s:.2f} | "
        f"{dask.solve_wall_s / n:.2f} | +{dask.startup_s:.2f} s cluster start-up |"
    )
    print()
    load_avg = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load_avg is not None:
        print(
            f"Machine load average when done (1/5/15 min): {load_avg[0]:.2f} / {load_avg[1]:.2f} / "
            f"{load_avg[2]:.2f} on {os.cpu_count()} cores; other work on the machine slows the "
            "Dask workers."
        )
        print()
    speedup = serial.solve_wall_s / dask.solve_wall_s if dask.solve_wall_s > 0 else float("nan")
    with_start = serial.solve_wall_s / (dask.solve_wall_s + dask.startup_s)
    overhead = serial.solve_wall_s / task_sum - 1 if task_sum > 0 else float("nan")
    print(
        f"Dask speed-up over the serial sweep: {speedup:.2f}x ({with_start:.2f}x counting "
        f"cluster start-up). Serial sweep overhead over the bare tasks: {100 * overhead:.1f} %. "
        f"Same objectives serial and Dask: {'yes' if same else 'NO'}."
    )
    print()
    print("| p | status | objective | gap | solve (s) |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for _, row in serial.table.iterrows():
        gap = "-" if not np.isfinite(row["gap"]) else f"{100 * row['gap']:.2f} %"
        print(
            f"| {row['model.p']} | {row['status']} | {row['objective']:,.0f} | {gap} | "
            f"{row['solve_s']:.2f} |"
        )
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
