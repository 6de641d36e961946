"""Benchmark the large-scale methods (issue 4 goals) and print Markdown tables.

Goals measured (see ``docs/scale.md``):

1. OR-Library pmed1-pmed40, proven optimal (total time).
2. Random Euclidean p-median, 2,000 demand x 200 sites, p = 20.
3. City-like p-median, 100,000 demand x 5,000 sites, p = 100, from coordinates.
4. TSPLIB fl1400, pcb3038, rl5934 (floor-Euclidean) against the 2023 best known values.
5. Maximal covering at the size of goal 3 (5 km radius, p = 100, sparse costs).
6. Maximal covering (p = 30) and set covering, 10,000 x 500, 10 km radius.
7. p-center, 1,000 x 100, p = 10.

Each row: instance, size, time, peak memory (resident-set growth during the solve,
sampled every 10 ms), objective, certified bound, gap, and the reference (published
optimum or best known value; plain HiGHS through the exact solver in the same run
where it finishes within its time limit).

Usage::

    python benchmarks/bench_scale.py [--quick] [--shared ../shared/benchmarks]
        [--goals 1,2,...] [--out BENCHMARKS.md]

``--quick`` runs a subset in a few minutes (pmed1-40, one random instance per goal,
scaled-down goals 3 and 5, TSPLIB fl1400 at small p). Instances are generated from
fixed seeds and documented in ``docs/scale.md``; nothing here is real demand data.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._instances import DEFAULT_BENCHMARKS_DIR, euclidean_cost, read_pmed, read_tsplib
from planner.optimize import Problem, SolverOptions, check_solution, solve
from planner.optimize.scale.heuristics import p_median_from_points, solve_large

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _rss() -> int:
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except OSError:  # pragma: no cover - non-Linux
        return 0


def measure(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``fn``; return (result, seconds, peak resident-set growth in MB)."""
    base = _rss()
    peak = [base]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss())
            stop.wait(0.01)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.perf_counter()
    try:
        out = fn()
    finally:
        dt = time.perf_counter() - t0
        stop.set()
        th.join()
    peak[0] = max(peak[0], _rss())
    return out, dt, (peak[0] - base) / 1e6


def fmt(x: Any, digits: int = 6) -> str:
    if x is None:
        return "-"
    if isinstance(x, float):
        if not np.isfinite(x):
            return "-"
        return f"{x:.{digits}g}"
    return str(x)


def pct(g: float | None) -> str:
    return "-" if g is None else f"{100 * g:.3f} %"


def table(title: str, header: list[str], rows: list[list[Any]], note: str = "") -> str:
    out = [f"### {title}", ""]
    if note:
        out += [note, ""]
    out.append("| " + " | ".join(header) + " |")
    out.append("|" + "|".join(" --- " for _ in header) + "|")
    for r in rows:
        out.append("| " + " | ".join(fmt(v) if not isinstance(v, str) else v for v in r) + " |")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- instances


def uniform_instance(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand and sites uniform in a 100 km square (km), integer weights 1-100."""
    rng = np.random.default_rng(seed)
    return (
        rng.uniform(0, 100, (n, 2)),
        rng.uniform(0, 100, (m, 2)),
        rng.integers(1, 101, n).astype(float),
    )


def city_instance(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """City-like demand in a 100 km square (metres): 12 clusters of lognormal size, 20 %
    rural background, lognormal weights (heavier in towns); candidate sites near demand."""
    rng = np.random.default_rng(seed)
    nc = 12
    centres = rng.uniform(10e3, 90e3, (nc, 2))
    share = rng.lognormal(0, 1, nc)
    share /= share.sum()
    k = rng.choice(nc, size=n, p=share)
    urban = rng.random(n) < 0.8
    spread = rng.uniform(2e3, 8e3, nc)[k][:, None]
    xy = np.where(
        urban[:, None],
        centres[k] + rng.normal(0, 1, (n, 2)) * spread,
        rng.uniform(0, 100e3, (n, 2)),
    )
    xy = np.clip(xy, 0, 100e3)
    w = np.round(rng.lognormal(3, 1.2, n) * np.where(urban, 1.0, 0.3), 1)
    sites = xy[rng.choice(n, m, replace=False)] + rng.normal(0, 200, (m, 2))
    return xy, sites, w


def radius_problem(dxy: np.ndarray, sxy: np.ndarray, w: np.ndarray, radius: float) -> Problem:
    """Sparse Problem with only the pairs within ``radius`` (others cannot serve)."""
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    mat = cKDTree(dxy).sparse_distance_matrix(cKDTree(sxy), radius, output_type="coo_matrix")
    # Zero distances would vanish from a sparse matrix: store them as a tiny positive value.
    data = np.maximum(mat.data, 1e-9)
    return Problem(sp.csr_array((data, (mat.row, mat.col)), shape=(dxy.shape[0], sxy.shape[0])), w)


def exact_reference(
    problem: Problem, model: str, time_limit: float, **kw: Any
) -> tuple[str, float]:
    """Plain HiGHS through the exact solver: its objective if proven optimal, with time."""
    sol, dt, _ = measure(
        lambda: solve(
            problem, model, **kw, options=SolverOptions(method="exact", time_limit=time_limit)
        )
    )
    if sol.is_optimal:
        return f"HiGHS optimal {fmt(sol.objective)} in {dt:.1f} s", dt
    if sol.has_plan:
        return f"HiGHS {fmt(sol.objective)} (gap {pct(sol.gap)}) at {time_limit:.0f} s limit", dt
    return f"HiGHS no plan in {time_limit:.0f} s", dt


# --------------------------------------------------------------------------- goals


def goal1(shared: Path, quick: bool) -> str:
    folder = shared / "orlib_pmed"
    with (folder / "optimal.csv").open(newline="", encoding="utf-8") as fh:
        opt = {r["instance"]: float(r["optimum"]) for r in csv.DictReader(fh)}
    rows = []
    total = 0.0
    proven = 0
    peak = 0.0
    for k in range(1, 41):
        inst = read_pmed(folder / f"pmed{k}.txt")
        problem = inst.to_problem()
        sol, dt, mb = measure(
            lambda problem=problem, p=inst.p: solve_large(problem, "p_median", p=p)
        )
        assert not check_solution(problem, sol, model="p_median", p=inst.p)
        total += dt
        peak = max(peak, mb)
        proven += sol.is_optimal
        o = opt[f"pmed{k}"]
        rows.append([f"pmed{k}", f"{inst.n} x {inst.n}, p = {inst.p}", f"{dt:.2f}", f"{mb:.0f}",
                     sol.objective, sol.bound, pct(sol.gap), str(sol.status),
                     f"{fmt(o)} {'=' if abs(sol.objective - o) < 1e-6 else '!='}"])  # fmt: skip
    rows.append(["**all 40**", "", f"**{total:.1f}**", f"{peak:.0f}", "", "", "",
                 f"**{proven}/40 optimal**", ""])  # fmt: skip
    return table(
        "Goal 1: OR-Library pmed1-pmed40 (target: all proven optimal, 60 s in total)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "objective",
            "bound",
            "gap",
            "status",
            "published optimum",
        ],
        rows,
        "Solve time from the cost matrix (reading and all-pairs shortest paths excluded); "
        "method: local search, Lagrangian bound with reduced-cost fixing, Lagrangian branch and bound.",
    )


def goal2(quick: bool) -> str:
    rows = []
    for seed in [1] if quick else [1, 2, 3]:
        d, s, w = uniform_instance(2000, 200, seed)
        problem = Problem(euclidean_cost(d, s), w)
        sol, dt, mb = measure(
            lambda problem=problem: solve_large(problem, "p_median", p=20, time_limit=10)
        )
        assert not check_solution(problem, sol, model="p_median", p=20)
        ref = (
            exact_reference(problem, "p_median", 60 if quick else 300, p=20)[0]
            if seed == 1
            else "-"
        )
        rows.append([f"uniform seed {seed}", "2,000 x 200, p = 20", f"{dt:.2f}", f"{mb:.0f}",
                     sol.objective, sol.bound, pct(sol.gap), str(sol.status), ref])  # fmt: skip
    return table(
        "Goal 2: random Euclidean p-median (target: proven or gap <= 0.1 % in 10 s)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "objective",
            "bound",
            "gap",
            "status",
            "reference",
        ],
        rows,
        "Uniform points in a 100 km square, real-valued km distances, integer weights 1-100.",
    )


def goal3(quick: bool) -> str:
    n, m, p, tl = (20_000, 1_000, 20, 30.0) if quick else (100_000, 5_000, 100, 120.0)
    rows = []
    for seed in [0] if quick else [0, 1, 2]:
        dxy, sxy, w = city_instance(n, m, seed)
        sol, dt, mb = measure(
            lambda dxy=dxy, sxy=sxy, w=w: p_median_from_points(dxy, sxy, w, p, time_limit=tl)
        )
        rows.append([f"city seed {seed}{' (quick: scaled down)' if quick else ''}", f"{n:,} x {m:,}, p = {p}",
                     f"{dt:.1f}", f"{mb:.0f}", sol.objective, sol.bound, pct(sol.gap), str(sol.status),
                     f"{sol.details.get('neighbours_per_point')} nearest sites per point"])  # fmt: skip
    return table(
        f"Goal 3: city-like p-median from coordinates (target: gap <= 1 % in 120 s, <= 4 GB; limit {tl:.0f} s)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "objective (m x weight)",
            "bound",
            "gap",
            "status",
            "note",
        ],
        rows,
        "Straight-line metres; no dense matrix is built (k-nearest lists, exact distances for plans).",
    )


TSPLIB = ("fl1400", "pcb3038", "rl5934")


def _tsplib_rows(shared: Path, quick: bool, names: tuple[str, ...] = TSPLIB) -> list[list[Any]]:
    folder = shared / "tsplib_pmedian"
    with (folder / "bkv_duran_mateluna_2023.csv").open(newline="", encoding="utf-8") as fh:
        table_rows = list(csv.DictReader(fh))
    want = {"fl1400": [5, 10, 20], "pcb3038": [], "rl5934": []} if quick else None
    rows = []
    cache: dict[str, Any] = {}
    for r in table_rows:
        name, _, p = r["instance"].rpartition("_p")
        if name not in names or not p.isdigit():
            continue
        if want is not None and int(p) not in want[name]:
            continue
        if name not in cache:
            cache[name] = read_tsplib(folder / f"{name}.tsp")
        xy = cache[name].xy
        tl = 60.0 if not quick else 30.0
        sol, dt, mb = measure(
            lambda xy=xy, p=int(p), tl=tl: p_median_from_points(
                xy, xy, np.ones(len(xy)), p, rounding="floor", time_limit=tl
            )
        )
        bkv = float(r["opt_or_bkv"])
        rows.append([f"{name} p={p}", f"{len(xy)}", f"{dt:.1f}", f"{mb:.0f}", sol.objective, sol.bound,
                     pct(sol.gap), f"{100 * (sol.objective - bkv) / bkv:+.3f} %", f"{fmt(bkv)} ({r['status']})"])  # fmt: skip
    return rows


def goal4(shared: Path, quick: bool, names: tuple[str, ...] = TSPLIB) -> str:
    return table(
        "Goal 4: TSPLIB p-median, floor-Euclidean (target: within 0.1 % of the best known value)",
        [
            "instance",
            "n",
            "time s",
            "peak MB",
            "objective",
            "bound",
            "gap",
            "vs best known",
            "best known (2023)",
        ],
        _tsplib_rows(shared, quick, names),
        "Best known values: Duran-Mateluna, Ales and Elloumi (2023), EJOR 308:84-96. Time limit 60 s per run.",
    )


def goal5(quick: bool) -> str:
    n, m, p, r, tl = (
        (20_000, 1_000, 20, 5_000.0, 30.0) if quick else (100_000, 5_000, 100, 5_000.0, 60.0)
    )
    dxy, sxy, w = city_instance(n, m, 0)
    problem = radius_problem(dxy, sxy, w, r)
    sol, dt, mb = measure(lambda: solve_large(problem, "mclp", p=p, radius=r, time_limit=tl))
    assert not check_solution(problem, sol, model="mclp", p=p, radius=r)
    rows = [[f"city seed 0{' (quick)' if quick else ''}", f"{n:,} x {m:,}, p = {p}, r = 5 km", f"{dt:.1f}",
             f"{mb:.0f}", sol.objective, sol.bound, pct(sol.gap), str(sol.status),
             f"covered {100 * sol.details['covered_share']:.2f} %, {sol.details['merged_rows']:,} merged rows"]]  # fmt: skip
    return table(
        f"Goal 5: maximal covering at scale (target: gap <= 1 % in 60 s; limit {tl:.0f} s)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "covered weight",
            "upper bound",
            "gap",
            "status",
            "note",
        ],
        rows,
        "Sparse costs: only pairs within the radius are stored.",
    )


def goal6(quick: bool) -> str:
    rows = []
    for seed in [1] if quick else [1, 2, 3]:
        d, s, w = uniform_instance(10_000, 500, seed)
        problem = Problem(euclidean_cost(d, s), w)
        sol, dt, mb = measure(
            lambda problem=problem: solve_large(problem, "mclp", p=30, radius=10.0, time_limit=10)
        )
        assert not check_solution(problem, sol, model="mclp", p=30, radius=10.0)
        rows.append([f"mclp seed {seed}", "10,000 x 500, p = 30", f"{dt:.1f}", f"{mb:.0f}", sol.objective,
                     sol.bound, pct(sol.gap), str(sol.status), "-"])  # fmt: skip
        sol, dt, mb = measure(
            lambda problem=problem: solve_large(problem, "lscp", radius=10.0, time_limit=10)
        )
        assert not check_solution(problem, sol, model="lscp", radius=10.0)
        ref = "-" if quick or seed != 1 else exact_reference(problem, "lscp", 300, radius=10.0)[0]
        rows.append([f"lscp seed {seed}", f"10,000 x 500 ({sol.details['reduced_rows']} rows after reduction)",
                     f"{dt:.1f}", f"{mb:.0f}", sol.objective, sol.bound, pct(sol.gap), str(sol.status), ref])  # fmt: skip
    return table(
        "Goal 6: maximal and set covering, 10 km radius (target: proven or gap <= 0.1 % in 10 s)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "objective",
            "bound",
            "gap",
            "status",
            "reference",
        ],
        rows,
        "Uniform points in a 100 km square (km), integer weights 1-100; mclp bound is an upper bound.",
    )


def goal7(quick: bool) -> str:
    rows = []
    for seed in [1] if quick else [1, 2, 3]:
        d, s, w = uniform_instance(1000, 100, seed)
        problem = Problem(euclidean_cost(d, s), w)
        sol, dt, mb = measure(
            lambda problem=problem: solve_large(problem, "p_center", p=10, time_limit=5)
        )
        assert not check_solution(problem, sol, model="p_center", p=10)
        ref = "-" if quick or seed != 1 else exact_reference(problem, "p_center", 300, p=10)[0]
        rows.append([f"uniform seed {seed}", "1,000 x 100, p = 10", f"{dt:.2f}", f"{mb:.0f}", sol.objective,
                     sol.bound, pct(sol.gap), str(sol.status), ref])  # fmt: skip
    return table(
        "Goal 7: p-center (target: proven optimal in 5 s)",
        [
            "instance",
            "size",
            "time s",
            "peak MB",
            "objective (km)",
            "bound",
            "gap",
            "status",
            "reference",
        ],
        rows,
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a subset that runs in a few minutes")
    ap.add_argument(
        "--shared", type=Path, default=DEFAULT_BENCHMARKS_DIR, help="../shared/benchmarks"
    )
    ap.add_argument("--goals", default="1,2,3,4,5,6,7", help="comma-separated goal numbers")
    ap.add_argument("--tsplib", default=",".join(TSPLIB), help="goal 4: comma-separated instances")
    ap.add_argument(
        "--out", type=Path, default=None, help="append the tables to this Markdown file"
    )
    args = ap.parse_args(argv)
    unknown = set(args.tsplib.split(",")) - set(TSPLIB)
    if unknown:
        ap.error(
            f"--tsplib: unknown instance(s) {sorted(unknown)}; choose from {', '.join(TSPLIB)}"
        )
    goals = {int(g) for g in args.goals.split(",") if g.strip()}
    parts = [
        f"## Scale: large location problems ({'quick subset' if args.quick else 'full set'})\n"
    ]
    runners: dict[int, Callable[[], str]] = {
        1: lambda: goal1(args.shared, args.quick),
        2: lambda: goal2(args.quick),
        3: lambda: goal3(args.quick),
        4: lambda: goal4(args.shared, args.quick, tuple(args.tsplib.split(","))),
        5: lambda: goal5(args.quick),
        6: lambda: goal6(args.quick),
        7: lambda: goal7(args.quick),
    }
    # Warm the compiled kernels (numba caches them on disk after the first run).
    d, s, w = uniform_instance(200, 30, 0)
    solve_large(Problem(euclidean_cost(d, s), w), "p_median", p=3)
    solve_large(Problem(euclidean_cost(d, s), w), "lscp", radius=60.0)
    for g in sorted(goals):
        text = runners[g]()
        print(text, flush=True)
        parts.append(text)
    if args.out is not None:
        with args.out.open("a", encoding="utf-8") as fh:
            fh.write("\n".join(parts) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
