"""Benchmark the exact location models on OR-Library instances with known optima.

Runs ``planner.optimize.solve`` (and, where installed and the instance is small enough,
PySAL spopt through PuLP + HiGHS in the same run) on

* pmed1-pmed40 (uncapacitated p-median, Beasley 1985),
* pmedcap01-pmedcap20 (capacitated p-median, Osman and Christofides 1994),
* cap41-cap134 (capacitated facility location, split assignment; ``--large-cap`` adds
  capa/capb/capc at every capacity listed in ``capopt.csv``),

and prints Markdown tables with time, status and the published optimum per instance.

Usage::

    python benchmarks/bench_optimize.py [--quick] [--shared ../shared/benchmarks]
        [--time-limit 300] [--spopt/--no-spopt] [--formulations] [--output FILE]

``--quick`` runs pmed1-5, pmedcap01-02 and cap41-42 only. ``--formulations`` adds a
table comparing the radius and classic assignment p-median formulations, and the model
building time of highspy's array API against PuLP's objects, on pmed1-10.
spopt is never a dependency of the planner: ``pip install spopt`` to include it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._instances import (
    DEFAULT_BENCHMARKS_DIR,
    read_cap,
    read_optima,
    read_pmed,
    read_pmedcap,
)
from planner.optimize import Problem, SolverOptions, check_solution, solve


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import highspy

        highs = highspy.Highs().version() if hasattr(highspy.Highs(), "version") else "?"
    except Exception:  # pragma: no cover - reporting only
        highs = "?"
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} logical cores, "
        f"Python {platform.python_version()}, HiGHS {highs}"
    )


def _fmt(x: float | None, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    if float(x).is_integer():
        return f"{int(x)}"
    return f"{x:.{digits}f}"


def _spopt_pmedian(
    cost: np.ndarray,
    weight: np.ndarray,
    p: int,
    time_limit: float,
    capacity: np.ndarray | None = None,
) -> dict[str, Any]:
    """Solve with spopt's PMedian (PuLP + HiGHS); report time, status and objective."""
    try:
        import pulp
        from spopt.locate import PMedian
    except ImportError:
        return {"status": "not installed"}
    t0 = time.perf_counter()
    try:
        kwargs: dict[str, Any] = {}
        if capacity is not None:
            kwargs["facility_capacities"] = capacity
        model = PMedian.from_cost_matrix(cost, weight, p_facilities=p, **kwargs)
        model.solve(pulp.HiGHS(msg=False, timeLimit=time_limit), results=False)
        status = pulp.LpStatus[model.problem.status]
        sol_status = pulp.LpSolution.get(model.problem.sol_status, "?")
        objective = float(pulp.value(model.problem.objective))
    except Exception as exc:  # spopt failures are data for the table, not crashes
        return {"status": f"error: {type(exc).__name__}", "time_s": time.perf_counter() - t0}
    return {
        "status": f"{status}/{sol_status}",
        "objective": objective,
        "time_s": time.perf_counter() - t0,
    }


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def bench_pmed(
    root: Path, names: list[str], *, time_limit: float, spopt: bool, spopt_max_n: int
) -> list[str]:
    opt = read_optima(root / "orlib_pmed" / "optimal.csv")
    lines = [
        "### OR-Library pmed (uncapacitated p-median)",
        "",
        _row(
            [
                "instance",
                "n",
                "p",
                "optimum",
                "objective",
                "status",
                "gap %",
                "time s",
                "matches",
                "spopt time s",
                "spopt status",
            ]
        ),
        _row(["---"] * 11),
    ]
    for name in names:
        inst = read_pmed(root / "orlib_pmed" / f"{name}.txt")
        problem = inst.to_problem()
        sol = solve(
            problem,
            "p_median",
            p=inst.p,
            options=SolverOptions(method="exact", time_limit=time_limit),
        )
        assert check_solution(problem, sol, model="p_median", p=inst.p) == []
        match = "yes" if abs(sol.objective - opt[name]) < 1e-6 else "NO"
        sp_cells = ["-", f"skipped (n > {spopt_max_n})"]
        if spopt and inst.n <= spopt_max_n:
            r = _spopt_pmedian(inst.cost, np.ones(inst.n), inst.p, time_limit)
            ok = "objective" in r and abs(r["objective"] - opt[name]) < 1e-6
            sp_cells = [_fmt(r.get("time_s")), f"{r['status']}{' (optimum)' if ok else ''}"]
        elif not spopt:
            sp_cells = ["-", "not run"]
        lines.append(
            _row(
                [
                    name,
                    str(inst.n),
                    str(inst.p),
                    _fmt(opt[name]),
                    _fmt(sol.objective),
                    str(sol.status),
                    _fmt(None if sol.gap is None else 100 * sol.gap, 3),
                    _fmt(sol.runtime_s),
                    match,
                    *sp_cells,
                ]
            )
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def bench_pmedcap(
    root: Path, names: list[str], *, time_limit: float, spopt: bool, spopt_max_n: int
) -> list[str]:
    lines = [
        "### OR-Library pmedcap (capacitated p-median, single-source)",
        "",
        _row(
            [
                "instance",
                "n",
                "p",
                "optimum",
                "objective",
                "status",
                "gap %",
                "time s",
                "matches",
                "spopt time s",
                "spopt status",
            ]
        ),
        _row(["---"] * 11),
    ]
    for name in names:
        inst = read_pmedcap(root / "orlib_pmedcap" / f"{name}.txt")
        problem = inst.to_problem()
        sol = solve(
            problem,
            "capacitated_p_median",
            p=inst.p,
            options=SolverOptions(method="exact", time_limit=time_limit),
        )
        assert check_solution(problem, sol, model="capacitated_p_median", p=inst.p) == []
        optimum = float(inst.optimum) if inst.optimum is not None else math.nan
        match = "yes" if abs(sol.objective - optimum) < 1e-6 else "NO"
        sp_cells = ["-", "not run"]
        if spopt and inst.n <= spopt_max_n:
            # spopt's capacities count weight; our instance has unit weight and demand as
            # load, so spopt gets the demand as weight: its objective is then not the
            # published one (a demand-weighted sum), only its status and time compare.
            r = _spopt_pmedian(
                problem.cost, inst.demand, inst.p, time_limit, capacity=inst.capacity
            )
            sp_cells = [_fmt(r.get("time_s")), f"{r['status']} (demand-weighted objective)"]
        lines.append(
            _row(
                [
                    name,
                    str(inst.n),
                    str(inst.p),
                    _fmt(optimum),
                    _fmt(sol.objective),
                    str(sol.status),
                    _fmt(None if sol.gap is None else 100 * sol.gap, 3),
                    _fmt(sol.runtime_s),
                    match,
                    *sp_cells,
                ]
            )
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def bench_cap(root: Path, names: list[str], *, time_limit: float, large: bool) -> list[str]:
    opt = read_optima(root / "orlib_cap" / "capopt.csv")
    lines = [
        "### OR-Library cap (capacitated facility location, split assignment)",
        "",
        _row(
            ["instance", "capacity", "optimum", "objective", "status", "gap %", "time s", "matches"]
        ),
        _row(["---"] * 8),
    ]
    jobs: list[tuple[str, str, float | None]] = [(n, "in-file", None) for n in names]
    if large:
        jobs += [(n, c, float(c)) for (n, c) in opt if n in ("capa", "capb", "capc")]
    for name, cap_key, cap in jobs:
        inst = read_cap(root / "orlib_cap" / f"{name}.txt", capacity=cap)
        problem = inst.to_problem()
        sol = solve(
            problem,
            "facility_location",
            split=True,
            options=SolverOptions(method="exact", time_limit=time_limit),
        )
        assert check_solution(problem, sol, model="facility_location", split=True) == []
        optimum = opt[(name, cap_key)]
        match = "yes" if abs(sol.objective - optimum) <= 1e-6 * optimum else "NO"
        lines.append(
            _row(
                [
                    name,
                    cap_key,
                    f"{optimum:.3f}",
                    f"{sol.objective:.3f}",
                    str(sol.status),
                    _fmt(None if sol.gap is None else 100 * sol.gap, 4),
                    _fmt(sol.runtime_s),
                    match,
                ]
            )
        )
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def bench_formulations(root: Path, names: list[str], *, time_limit: float) -> list[str]:
    """Radius vs assignment formulation, and highspy vs PuLP model building, on pmed."""
    from planner.optimize.exact.formulations import (
        add_assignment_block,
        add_count_row,
        add_radius_block,
        add_site_columns,
        build_pairs,
        new_builder,
        radius_caps,
    )
    from planner.optimize.exact.milp import build_pulp

    def arrays(problem: Problem, p: int, formulation: str) -> Any:
        pairs = build_pairs(problem)
        b = new_builder()
        x0 = add_site_columns(b, problem, pairs)
        add_count_row(b, x0, pairs.n_sites, p, p)
        if formulation == "radius":
            lay = add_radius_block(
                b, x0, pairs.within(radius_caps(problem, pairs, p)), problem.weight
            )
            return b.build(offset=lay.offset)
        rows = np.arange(problem.n_demand)
        add_assignment_block(
            b, x0, pairs, rows, problem.weight[pairs.rows] * pairs.cost, single_source=False
        )
        return b.build()

    lines = [
        "### p-median formulations and model building (pmed)",
        "",
        _row(
            [
                "instance",
                "p",
                "radius: rows",
                "radius: time s",
                "radius: status",
                "assignment: rows",
                "assignment: time s",
                "assignment: status",
                "arrays build s",
                "PuLP build s",
            ]
        ),
        _row(["---"] * 10),
    ]
    for name in names:
        inst = read_pmed(root / "orlib_pmed" / f"{name}.txt")
        problem = inst.to_problem()
        cells = [name, str(inst.p)]
        for formulation in ("radius", "assignment"):
            milp = arrays(problem, inst.p, formulation)
            sol = solve(
                problem,
                "p_median",
                p=inst.p,
                options=SolverOptions(
                    method="exact", formulation=formulation, time_limit=time_limit
                ),
            )
            cells += [str(milp.n_rows), _fmt(sol.runtime_s), str(sol.status)]
        t0 = time.perf_counter()
        milp = arrays(problem, inst.p, "radius")
        t_arrays = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_pulp(milp)
        t_pulp = time.perf_counter() - t0
        cells += [f"{t_arrays:.3f}", f"{t_pulp:.3f}"]
        lines.append(_row(cells))
        print(lines[-1], file=sys.stderr, flush=True)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=DEFAULT_BENCHMARKS_DIR, help="benchmarks folder"
    )
    parser.add_argument("--quick", action="store_true", help="a few small instances only")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per instance")
    parser.add_argument("--spopt", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument(
        "--spopt-max-n", type=int, default=300, help="largest pmed n given to spopt"
    )
    parser.add_argument(
        "--formulations", action="store_true", help="compare formulations on pmed1-10"
    )
    parser.add_argument("--large-cap", action="store_true", help="add capa/capb/capc (100 x 1000)")
    parser.add_argument("--output", type=Path, help="also write the Markdown here")
    args = parser.parse_args(argv)
    root: Path = args.shared
    if not (root / "orlib_pmed").is_dir():
        parser.error(f"--shared {root}: no orlib_pmed folder there")
    if args.quick:
        pmed = [f"pmed{k}" for k in range(1, 6)]
        pmedcap = ["pmedcap01", "pmedcap02"]
        cap = ["cap41", "cap42"]
    else:
        pmed = [f"pmed{k}" for k in range(1, 41)]
        pmedcap = [f"pmedcap{k:02d}" for k in range(1, 21)]
        cap = sorted(
            (p.stem for p in (root / "orlib_cap").glob("cap[0-9]*.txt")), key=lambda s: int(s[3:])
        )
    t0 = time.perf_counter()
    out = [
        f"## Optimisation benchmark ({'quick' if args.quick else 'full'})",
        "",
        f"Run {dt.datetime.now().astimezone().isoformat(timespec='seconds')} on {_machine()}.",
        f"Exact method, solver HiGHS through highspy arrays, time limit {args.time_limit:g} s per "
        "instance; spopt (PySAL) through PuLP + HiGHS with the same limit where installed. "
        "Instances and optima: OR-Library (Beasley 1990), pmedcap (Osman and Christofides 1994); "
        "see ../shared/benchmarks/README.md.",
        "",
    ]
    out += bench_pmed(
        root, pmed, time_limit=args.time_limit, spopt=args.spopt, spopt_max_n=args.spopt_max_n
    )
    out.append("")
    out += bench_pmedcap(
        root, pmedcap, time_limit=args.time_limit, spopt=args.spopt, spopt_max_n=args.spopt_max_n
    )
    out.append("")
    out += bench_cap(root, cap, time_limit=args.time_limit, large=args.large_cap)
    out.append("")
    if args.formulations:
        out += bench_formulations(
            root, [f"pmed{k}" for k in range(1, 11)], time_limit=args.time_limit
        )
        out.append("")
    out.append(f"Total wall time {time.perf_counter() - t0:.1f} s.")
    text = "\n".join(out) + "\n"
    print(text)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
