"""Capacitated p-median at city size: the method ``auto`` picks (issue 18, item 2).

Three sets, each row with wall and CPU seconds (CPU above wall means both cores):

* OR-Library pmedcap01-20 (Osman and Christofides 1994): proven optimal, and the total;
* Lorena-Senne SJC1, SJC2, SJC3b: objective, certified bound and gap against the
  commonly cited optima (real-valued Euclidean distances);
* the Wuhan demo at 1,000 m and 500 m cells, p = 12, capacity 600,000 / 800,000 /
  1,000,000 per hall: the plan after at most 5 s (``method="heuristic"``) and the
  certified gap after the full time limit (``method="auto"``).

Every plan goes through the independent checker (``check_solution``). Run::

    .venv/bin/python benchmarks/bench_capacitated.py [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._instances import DEFAULT_BENCHMARKS_DIR, read_pmedcap
from benchmarks.bench_optimize import _machine
from planner.optimize import Problem, SolverOptions, check_solution, solve
from planner.optimize.instances import read_sjc

MODEL = "capacitated_p_median"
#: Commonly cited optima (Lorena and Senne 2004; see ../shared/benchmarks/README.md).
SJC_OPTIMA = {"SJC1": 17288.99, "SJC2": 33270.94, "SJC3b": 40635.90}


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or not math.isfinite(float(x)):
        return "-"
    return f"{float(x):,.{digits}f}"


def _timed(problem: Problem, p: int, options: SolverOptions) -> tuple[Any, float, float]:
    t0, c0 = time.perf_counter(), time.process_time()
    sol = solve(problem, MODEL, p=p, options=options)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    problems = check_solution(problem, sol, model=MODEL, p=p) if sol.has_plan else ["no plan"]
    if problems:
        raise AssertionError(f"checker: {problems}")
    return sol, wall, cpu


def bench_pmedcap(root: Path, names: list[str], time_limit: float) -> list[str]:
    out = [
        "### OR-Library pmedcap (single-source, method auto)",
        "",
        "| instance | n | p | optimum | objective | bound | status | wall s | CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    wall_sum = cpu_sum = 0.0
    proven = 0
    for name in names:
        inst = read_pmedcap(root / "orlib_pmedcap" / f"{name}.txt")
        problem = inst.to_problem()
        sol, wall, cpu = _timed(problem, inst.p, SolverOptions(time_limit=time_limit))
        wall_sum += wall
        cpu_sum += cpu
        ok = sol.is_optimal and abs(sol.objective - float(inst.optimum or 0)) < 1e-6
        proven += ok
        out.append(
            f"| {name} | {inst.n} | {inst.p} | {_fmt(inst.optimum, 0)} | {_fmt(sol.objective, 0)} "
            f"| {_fmt(sol.bound, 0)} | {sol.status} | {wall:.2f} | {cpu:.2f} |"
        )
    out.append(
        f"| **total** | | | | | | {proven} of {len(names)} proven at the optimum | "
        f"{wall_sum:.1f} | {cpu_sum:.1f} |"
    )
    return out


def bench_sjc(root: Path, names: list[str], time_limit: float) -> list[str]:
    out = [
        "### Lorena-Senne SJC (real distances, method auto)",
        "",
        f"Time limit {time_limit:g} s each. Gap = certified (objective - bound) / objective; "
        "'vs cited' compares the objective with the cited optimum.",
        "",
        "| instance | n | p | cited optimum | objective | bound | gap | vs cited | status "
        "| wall s | CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name in names:
        inst = read_sjc(root / "lorena_senne_cpmp" / f"{name}.dat")
        problem = inst.to_problem()
        sol, wall, cpu = _timed(problem, inst.p, SolverOptions(time_limit=time_limit))
        cited = SJC_OPTIMA.get(name)
        vs = "-" if cited is None else f"{100 * (sol.objective - cited) / cited:+.3f} %"
        gap = "-" if sol.gap is None else f"{100 * sol.gap:.3f} %"
        out.append(
            f"| {name} | {inst.n} | {inst.p} | {_fmt(cited)} | {_fmt(sol.objective)} | "
            f"{_fmt(sol.bound)} | {gap} | {vs} | {sol.status} | {wall:.1f} | {cpu:.1f} |"
        )
    return out


def demo_problem(cell_m: float, capacity: float) -> Problem:
    """The Wuhan demo scenario's problem at ``cell_m`` cells, one capacity for every site."""
    from planner.cli import demo_scenario_path
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import build_problem, load_inputs

    cfg = load_scenario(demo_scenario_path())
    model = type(cfg.model).model_validate(
        {**cfg.model.model_dump(), "name": MODEL, "p": 12, "capacity": capacity}
    )
    cfg = cfg.model_copy(
        update={"demand": cfg.demand.model_copy(update={"cell_size_m": cell_m}), "model": model}
    )
    return build_problem(load_inputs(cfg), cfg)


def bench_demo(
    cells: list[float], capacities: list[float], limits: dict[float, float]
) -> list[str]:
    out = [
        "### Wuhan demo, p = 12 (8 kept halls + 4 new), total demand 5.29 M",
        "",
        "First plan: `method='heuristic'`, `time_limit=5`; full: `method='auto'` with the "
        "time limit shown (target gap 0: the solve runs until proven or out of time).",
        "",
        "| cells | size | capacity | first plan | its gap | wall s | full: objective | bound "
        "| gap | status | limit s | wall s | CPU s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for cell in cells:
        for cap in capacities:
            problem = demo_problem(cell, cap)
            size = f"{problem.n_demand} x {problem.n_sites}"
            first, w1, _ = _timed(problem, 12, SolverOptions(method="heuristic", time_limit=5.0))
            limit = limits[cell]
            full, w2, c2 = _timed(problem, 12, SolverOptions(method="auto", time_limit=limit))
            g1 = "-" if first.gap is None else f"{100 * first.gap:.3f} %"
            g2 = "-" if full.gap is None else f"{100 * full.gap:.3f} %"
            out.append(
                f"| {cell:g} m | {size} | {cap:,.0f} | {_fmt(first.objective, 0)} | {g1} | "
                f"{w1:.1f} | {_fmt(full.objective, 0)} | {_fmt(full.bound, 0)} | {g2} | "
                f"{full.status} | {limit:g} | {w2:.1f} | {c2:.1f} |"
            )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_BENCHMARKS_DIR)
    parser.add_argument("--quick", action="store_true", help="a few small cases only")
    parser.add_argument(
        "--sets", default="pmedcap,sjc,demo", help="comma list of pmedcap, sjc, demo"
    )
    parser.add_argument("--sjc-time-limit", type=float, default=300.0)
    parser.add_argument("--output", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    root: Path = args.shared
    sets = set(args.sets.split(","))
    for name, folder in (("pmedcap", "orlib_pmedcap"), ("sjc", "lorena_senne_cpmp")):
        if name in sets and not (root / folder).is_dir():
            parser.error(f"--shared {root}: no {folder} folder there (needed by set {name!r})")
    out = [
        f"## Capacitated p-median ({'quick' if args.quick else 'full'})",
        "",
        f"Run {dt.datetime.now().astimezone().isoformat(timespec='seconds')} on {_machine()}.",
        "",
    ]
    if "pmedcap" in sets:
        names = [f"pmedcap{k:02d}" for k in (range(1, 4) if args.quick else range(1, 21))]
        out += bench_pmedcap(root, names, time_limit=60.0)
        out.append("")
    if "sjc" in sets:
        names = ["SJC1"] if args.quick else ["SJC1", "SJC2", "SJC3b"]
        out += bench_sjc(root, names, time_limit=60.0 if args.quick else args.sjc_time_limit)
        out.append("")
    if "demo" in sets:
        if args.quick:
            out += bench_demo([2000.0], [600_000.0], {2000.0: 20.0})
        else:
            out += bench_demo(
                [1000.0, 500.0], [600_000.0, 800_000.0, 1_000_000.0], {1000.0: 60.0, 500.0: 120.0}
            )
        out.append("")
    text = "\n".join(out)
    print(text)
    if args.output is not None:
        args.output.write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    raise SystemExit(main())
