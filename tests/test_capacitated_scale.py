"""Capacitated p-median at city size (planner.optimize.scale.cpmp) against the exact MILP."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, solve
from planner.optimize.check import check_solution, recompute_objective
from planner.optimize.diagnose import explain, findings_of
from planner.optimize.instances import read_pmedcap
from planner.optimize.scale import cpmp_kernels as kern
from planner.optimize.scale import cpmp_node_kernels as node_kern
from planner.optimize.scale.cpmp import build_data, solve_cpmp
from planner.optimize.scale.cpmp_bnb import branch_and_bound
from planner.optimize.solution import Status

PMEDCAP = Path(__file__).parent / "data" / "orlib"
MODEL = "capacitated_p_median"


def _instance(seed: int, n: int = 14, m: int = 6, slack: float = 1.25) -> tuple[Problem, int]:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 100, size=(n, 2))
    sxy = rng.uniform(0, 100, size=(m, 2))
    cost = np.floor(np.hypot(*(xy[:, None, :] - sxy[None, :, :]).transpose(2, 0, 1)))
    weight = rng.integers(1, 10, size=n).astype(float)
    p = 3
    cap = np.full(m, np.ceil(slack * weight.sum() / p))
    return Problem(cost, weight, capacity=cap), p


def _best_assignment(c: np.ndarray, q: np.ndarray, room: np.ndarray, best: float) -> float:
    """Cheapest single-source assignment of the rows of ``c`` within ``room`` (depth first)."""
    n = c.shape[0]
    low = np.concatenate([np.cumsum(c.min(axis=1)[::-1])[::-1], [0.0]])
    out = [best]

    def dfs(i: int, acc: float) -> None:
        if acc + low[i] >= out[0]:
            return
        if i == n:
            out[0] = acc
            return
        for k in np.argsort(c[i]):
            if room[k] >= q[i]:
                room[k] -= q[i]
                dfs(i + 1, acc + c[i, k])
                room[k] += q[i]

    dfs(0, 0.0)
    return out[0]


def _brute_force(problem: Problem, p: int) -> float:
    """Every p-subset of sites and every single-source assignment within capacity."""
    cost = np.asarray(problem.cost)
    w, q, cap = problem.weight, problem.demand_load, problem.capacity
    assert cap is not None
    best = np.inf
    for sites in itertools.combinations(range(cost.shape[1]), p):
        c = w[:, None] * cost[:, sites]
        best = _best_assignment(c, q, cap[list(sites)].astype(float), best)
    return float(best)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_small_instances_match_brute_force(seed: int) -> None:
    problem, p = _instance(seed, n=9, m=5, slack=1.1)
    optimum = _brute_force(problem, p)
    for method in ("auto", "heuristic"):
        sol = solve(problem, MODEL, p=p, options=SolverOptions(method=method, seed=3))
        assert sol.has_plan
        assert check_solution(problem, sol, model=MODEL, p=p) == []
        assert sol.objective == pytest.approx(recompute_objective(problem, sol, model=MODEL))
        assert sol.objective >= optimum - 1e-9
        assert sol.bound is not None
        assert sol.bound <= optimum + 1e-9
    auto = solve(problem, MODEL, p=p, options=SolverOptions(method="auto"))
    assert auto.status is Status.OPTIMAL
    assert auto.objective == pytest.approx(optimum)


@pytest.mark.parametrize("seed", [3, 4])
def test_against_exact_milp(seed: int) -> None:
    problem, p = _instance(seed, n=30, m=10, slack=1.05)
    exact = solve(problem, MODEL, p=p, options=SolverOptions(method="exact"))
    assert exact.status is Status.OPTIMAL
    auto = solve(problem, MODEL, p=p, options=SolverOptions(method="auto"))
    assert auto.status is Status.OPTIMAL
    assert auto.solver == "planner"
    assert auto.objective == pytest.approx(exact.objective)
    heur = solve(problem, MODEL, p=p, options=SolverOptions(method="heuristic"))
    assert check_solution(problem, heur, model=MODEL, p=p) == []
    assert heur.bound is not None
    assert heur.bound <= exact.objective + 1e-6
    assert heur.objective >= exact.objective - 1e-6


def test_same_seed_same_plan() -> None:
    problem, p = _instance(7, n=60, m=15, slack=1.02)
    a = solve(problem, MODEL, p=p, options=SolverOptions(method="heuristic", seed=5))
    b = solve(problem, MODEL, p=p, options=SolverOptions(method="heuristic", seed=5))
    assert np.array_equal(a.open_sites, b.open_sites)
    assert np.array_equal(a.assignment, b.assignment)
    assert a.objective == b.objective
    assert a.bound == b.bound


def test_bound_is_valid_at_every_stage() -> None:
    """The Lagrangian bound alone (no MILP) never passes the proven optimum."""
    problem, p = _instance(8, n=30, m=10, slack=1.05)
    exact = solve(problem, MODEL, p=p, options=SolverOptions(method="exact"))
    import time

    out = solve_cpmp(
        build_data(problem, p), time_limit=None, seed=0, exact=False, mip_gap=1e-7,
        t0=time.perf_counter(),
    )  # fmt: skip
    assert out.bound <= exact.objective + 1e-6
    assert out.upper >= exact.objective - 1e-6


def test_capacity_short_is_diagnosed() -> None:
    problem, p = _instance(9, n=20, m=6, slack=0.9)
    sol = solve(problem, MODEL, p=p, options=SolverOptions(method="auto"))
    assert sol.status is Status.INFEASIBLE
    codes = [f["code"] for f in findings_of(sol.details)]
    assert "capacity_short" in codes
    short = sol.details["diagnosis"]["capacity_shortfall"]
    total = float(problem.weight.sum())
    assert short == pytest.approx(total - 3 * problem.capacity[0])  # type: ignore[index]
    zh = explain(findings_of(sol.details), "zh")
    en = explain(findings_of(sol.details), "en")
    assert "缺口" in zh
    assert "short by" in en


def test_single_source_packing_is_diagnosed() -> None:
    """Capacities add up (20 >= 18), but no site holds two points of 6 within 10."""
    cost = np.array([[1.0, 2.0], [2.0, 1.0], [1.0, 1.0]])
    problem = Problem(cost, np.array([6.0, 6.0, 6.0]), capacity=np.array([10.0, 10.0]))
    for method in ("auto", "heuristic"):
        sol = solve(problem, MODEL, p=2, options=SolverOptions(method=method))
        assert sol.status is Status.INFEASIBLE, method
        codes = [f["code"] for f in findings_of(sol.details)]
        assert codes == ["capacity_packing"]
        assert sol.details["diagnosis"]["capacity_shortfall"] == pytest.approx(6.0)
        assert "6" in explain(findings_of(sol.details), "en")
        assert "6" in explain(findings_of(sol.details), "zh")
    # the split model can serve it: the shortfall is in the single-source packing
    split = solve(problem, MODEL, p=2, split=True, options=SolverOptions(method="exact"))
    assert split.has_plan


@pytest.mark.skipif(not PMEDCAP.is_dir(), reason="OR-Library pmedcap not available")
@pytest.mark.parametrize("name", ["pmedcap01", "pmedcap02"])
def test_pmedcap_proven_optimal(name: str) -> None:
    inst = read_pmedcap(PMEDCAP / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve(problem, MODEL, p=inst.p, options=SolverOptions(method="auto"))
    assert check_solution(problem, sol, model=MODEL, p=inst.p) == []
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(inst.optimum)


class _Partitions:
    """An incumbent that keeps only the plans the branch and bound offers whole."""

    def __init__(self) -> None:
        self.upper = np.inf
        self.asg: np.ndarray | None = None

    def evaluate(self, open_sites: np.ndarray) -> float:
        return np.inf  # no repair: the search has to reach every plan by branching

    def offer(self, open_sites: np.ndarray, asg: np.ndarray, total: float) -> None:
        if total < self.upper:
            self.upper, self.asg = total, asg.copy()


@pytest.mark.parametrize("seed", [0, 1, 2, 5])
def test_branch_and_bound_alone_reaches_brute_force(seed: int) -> None:
    """Without plan repair, branching alone finds the optimum and proves it."""
    problem, p = _instance(seed, n=9, m=5, slack=1.05)
    optimum = _brute_force(problem, p)
    d = build_data(problem, p)
    assert d.whole_loads
    inc = _Partitions()
    out = branch_and_bound(
        d.cost, np.isfinite(d.cost).any(axis=0), d.required.copy(), d.load, d.cap, p,
        integral=d.integral, lam=np.zeros(d.load.size), incumbent=inc, root_steps=50,
        stop=lambda: False,
    )  # fmt: skip
    assert out.complete
    assert inc.upper == pytest.approx(optimum)
    assert inc.asg is not None
    loads = np.bincount(inc.asg, weights=d.load, minlength=d.cap.size)
    assert (loads <= d.cap + 1e-9).all()
    assert np.unique(inc.asg).size <= p
    assert float(d.cost[np.arange(d.load.size), inc.asg].sum()) == pytest.approx(optimum)


def _knapsack_case(seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    n, m = 40, 25
    cost = rng.integers(0, 100, size=(n, m)).astype(float)
    cost[rng.random((n, m)) < 0.2] = np.inf
    load = rng.integers(1, 20, size=n).astype(float)
    load[rng.random(n) < 0.05] = 0.0  # a point using no capacity
    cap = rng.integers(30, 120, size=m).astype(float)
    usable = rng.random(m) < 0.9
    forced = usable & (rng.random(m) < 0.1)
    return cost, load, cap, usable, forced


def _exact_lagrangian(
    cost: np.ndarray, lam: np.ndarray, load: np.ndarray, cap: np.ndarray, usable: np.ndarray,
    forced: np.ndarray, p: int,
) -> tuple[float, np.ndarray]:  # fmt: skip
    """Every knapsack by dynamic programming, the ``p`` sites of smallest value."""
    n, m = cost.shape
    rho_all = np.zeros(m)
    kern.knapsacks_exact(cost, lam, load, cap, usable, rho_all, np.zeros((n, m)))
    free = np.flatnonzero(usable & ~forced)
    pick = free[np.argsort(rho_all[free], kind="stable")[: p - int(forced.sum())]]
    return float(lam.sum() + rho_all[forced].sum() + rho_all[pick].sum()), rho_all


def _check_knapsacks(
    cost: np.ndarray, lam: np.ndarray, load: np.ndarray, cap: np.ndarray, sel: np.ndarray,
    take: np.ndarray, rho: np.ndarray,
) -> None:  # fmt: skip
    """Column ``q`` of ``take`` is a 0/1 knapsack of site ``sel[q]`` within capacity, of value ``rho``."""
    for q, j in enumerate(sel):
        col = take[:, q] > 0.5
        assert load[col].sum() <= cap[j]
        assert (cost[col, j] - lam[col]).sum() == pytest.approx(rho[j], abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("visits", [20_000, 1])
def test_node_knapsacks_give_the_exact_lagrangian(seed: int, visits: int) -> None:
    """Site lists, knapsacks by branch and bound (``visits=1``: by dynamic programming after
    one branch) and only the knapsacks that can matter: the value of solving all by DP."""
    cost, load, cap, usable, forced = _knapsack_case(seed)
    n, m, p = cost.shape[0], cost.shape[1], 5
    rng = np.random.default_rng(100 + seed)
    ptr, pts, cst = node_kern.site_lists(cost)
    for trial in range(20):
        lam = rng.uniform(0, 150, size=n) * (trial / 10)
        want, rho_all = _exact_lagrangian(cost, lam, load, cap, usable, forced, p)
        rho = np.zeros(m)
        take = np.zeros((n, p))
        sel = np.zeros(p, dtype=np.int64)
        got = node_kern.lagrangian_lists(
            ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel, visits
        )
        assert got == pytest.approx(want, abs=1e-9)
        assert np.unique(sel).size == p
        assert set(np.flatnonzero(forced)) <= set(sel.tolist())
        assert rho[sel] == pytest.approx(rho_all[sel], abs=1e-9)
        assert lam.sum() + rho[sel].sum() == pytest.approx(got)
        assert (rho[usable] <= rho_all[usable] + 1e-9).all()  # lower bounds where not solved
        _check_knapsacks(cost, lam, load, cap, sel, take, rho)


@pytest.mark.parametrize("seed", range(6))
def test_node_ascent_carries_only_valid_bounds(seed: int) -> None:
    """Inside a node's ascent most sites keep a bound from earlier steps; the best value
    it reports is still the exact Lagrangian at its multipliers (an overestimate at any
    step would show here), and its site bounds are lower bounds."""
    cost, load, cap, usable, forced = _knapsack_case(seed)
    n, m, p = cost.shape[0], cost.shape[1], 5
    ptr, pts, cst = node_kern.site_lists(cost)
    lam0 = np.sort(np.where(np.isfinite(cost), cost, np.inf), axis=1)[:, 1]
    lam0[~np.isfinite(lam0)] = 0.0
    for target in (np.inf, float(np.nanmax(lam0)) * 10):
        best_lam = np.empty(n)
        best_take = np.zeros((n, p))
        best_rho = np.empty(m)
        best_sel = np.zeros(p, dtype=np.int64)
        freq = np.zeros(m)
        plans = np.empty((60 // 10 + 2, p), dtype=np.int64)
        status, best, steps, n_plans, _ = node_kern.ascent(
            cost, ptr, pts, cst, lam0, load, cap, usable, forced, p, 60, 1.0, np.inf, target,
            10, 5, 1e-3, best_lam, best_take, best_rho, best_sel, freq, plans,
        )  # fmt: skip
        assert status in (0, 2)
        assert steps >= 10
        assert n_plans >= 1
        want, rho_all = _exact_lagrangian(cost, best_lam, load, cap, usable, forced, p)
        assert best == pytest.approx(want, abs=1e-9)
        assert (best_rho[usable] <= rho_all[usable] + 1e-9).all()
        assert best_rho[best_sel] == pytest.approx(rho_all[best_sel], abs=1e-9)
        _check_knapsacks(cost, best_lam, load, cap, best_sel, best_take, best_rho)


def test_assignment_search_beats_the_repair_on_fixed_sites() -> None:
    """The knapsack search on a repaired site set finds the cheaper assignments the repair misses.

    Every p-subset of tight tiny instances, against the brute-force best assignment
    to that subset: never below it (a plan), never above the repair, mostly equal.
    """
    import time

    from planner.optimize.scale.cpmp import _Search
    from planner.optimize.timing import Deadline

    missed = fixed = 0
    for seed in range(10):
        problem, p = _instance(seed, n=12, m=5, slack=1.03)
        d = build_data(problem, p)
        for subset in itertools.combinations(range(5), p):
            sites = np.array(subset)
            best = _best_assignment(d.cost[:, sites], d.load, d.cap[sites].copy(), np.inf)
            asg = np.zeros(d.load.size, dtype=np.int64)
            repair = kern.assign(d.cost, d.load, d.cap, sites, asg, 20)
            s = _Search(d, Deadline(None, start=time.perf_counter()))
            s.gap_on = True  # as in the branch and bound
            s.evaluate(sites)
            if not np.isfinite(repair):
                continue
            assert s.upper <= repair
            assert s.upper >= best - 1e-9
            assert s.asg is not None
            assert s.plan is not None
            assert set(s.asg.tolist()) <= set(s.plan.tolist()) <= set(subset)
            loads = np.bincount(s.asg, weights=d.load, minlength=d.cap.size)
            assert (loads <= d.cap + 1e-9).all()
            assert float(d.cost[np.arange(d.load.size), s.asg].sum()) == pytest.approx(s.upper)
            if repair > best:
                missed += 1
                fixed += s.upper == best
    assert missed >= 20
    assert fixed >= 0.75 * missed


@pytest.mark.parametrize("seed", [0, 1])
def test_branch_and_bound_stopped_early_keeps_a_valid_bound(seed: int) -> None:
    problem, p = _instance(seed, n=9, m=5, slack=1.05)
    optimum = _brute_force(problem, p)
    d = build_data(problem, p)
    inc = _Partitions()
    count = iter(range(10**6))
    out = branch_and_bound(
        d.cost, np.isfinite(d.cost).any(axis=0), d.required.copy(), d.load, d.cap, p,
        integral=d.integral, lam=np.zeros(d.load.size), incumbent=inc, root_steps=50,
        stop=lambda: next(count) >= 1,
    )  # fmt: skip
    assert not out.complete
    # a bound on every plan better than the incumbent: never above the optimum unless
    # the incumbent is the optimum already
    assert out.bound <= optimum + 1e-9 or inc.upper == pytest.approx(optimum)


@pytest.mark.skipif(not PMEDCAP.is_dir(), reason="OR-Library pmedcap not available")
@pytest.mark.parametrize("name", ["pmedcap10", pytest.param("pmedcap08", marks=pytest.mark.slow)])
def test_pmedcap_needing_branching_is_proven(name: str) -> None:
    """The knapsack bound stays below the optimum (771.7 against 820 on 08): branching proves it."""
    inst = read_pmedcap(PMEDCAP / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve(problem, MODEL, p=inst.p, options=SolverOptions(method="auto"))
    assert check_solution(problem, sol, model=MODEL, p=inst.p) == []
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(inst.optimum)
    assert sol.details["lagrangian_bound"] < inst.optimum - 1
    assert sol.details["branch_and_bound"]["complete"]


def _demo_with_capacity_columns(folder: Path) -> Path:
    """The demo at 3,000 m cells, capacitated, with a capacity column on both site layers."""
    import geopandas as gpd

    from planner.cli import demo_scenario_path

    demo = demo_scenario_path()
    gpkg = (demo.parent / "../data/geo/wuhan_demo.gpkg").resolve()
    cands = gpd.read_file(gpkg, layer="candidate_sites")
    # every third candidate a bigger hall; the others empty: model.capacity applies
    cands["hall_capacity"] = np.where(np.arange(len(cands)) % 3 == 0, 900_000.0, np.nan)
    cands.to_file(folder / "candidates.gpkg", layer="candidate_sites", driver="GPKG")
    existing = gpd.read_file(gpkg, layer="existing_centres")
    existing["hall_capacity"] = 700_000.0
    existing.to_file(folder / "existing.gpkg", layer="existing_centres", driver="GPKG")
    text = demo.read_text(encoding="utf-8").replace("../data/geo/wuhan_demo.gpkg", str(gpkg))
    text = text.replace(
        f'[data.candidates]\npath = "{gpkg}"',
        f'[data.candidates]\npath = "{folder / "candidates.gpkg"}"\ncapacity_col = "hall_capacity"',
    )
    text = text.replace(
        f'[data.existing]\npath = "{gpkg}"',
        f'[data.existing]\npath = "{folder / "existing.gpkg"}"\ncapacity_col = "hall_capacity"',
    )
    text = text.replace("[demand]\n", "[demand]\ncell_size_m = 3000\n")
    text = text.replace(
        'name = "p_median"\np = 12', 'name = "capacitated_p_median"\np = 12\ncapacity = 500000'
    )
    text = text.replace("tradeoff_max_p = 20", "map = false\nreport = false\ngeopackage = false")
    assert text.count("capacity_col = ") == 2
    path = folder / "capacitated.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_planner_run_capacitated_demo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    import pandas as pd

    from planner.cli import main
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import build_problem, load_inputs

    scenario = _demo_with_capacity_columns(tmp_path)
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] in ("optimal", "feasible")
    # independent check of the written plan: loads per hall within each hall's capacity
    inputs = load_inputs(load_scenario(scenario))
    problem = build_problem(inputs)
    sites = inputs.sites
    cap = problem.capacity
    assert cap is not None
    assert set(np.unique(cap)) == {500_000.0, 700_000.0, 900_000.0}
    table = pd.read_csv(
        out / "assignment.csv", encoding="utf-8-sig", dtype={"served_by_site_id": str}
    )
    index = {sid: j for j, sid in enumerate(sites["site_id"])}
    served = np.array([index[s] for s in table["served_by_site_id"]])
    assert (served >= 0).all()
    load = np.bincount(served, weights=problem.weight, minlength=len(sites))
    assert (load <= cap * (1 + 1e-9)).all()
    open_ids = set(doc["open_sites"]) if isinstance(doc["open_sites"][0], str) else None
    assert len(doc["open_sites"]) == 12
    assert open_ids is None or open_ids >= set(sites["site_id"][sites["keep"]])


def test_missing_capacity_column_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    scenario = _demo_with_capacity_columns(tmp_path)
    text = scenario.read_text(encoding="utf-8").replace(
        'capacity_col = "hall_capacity"', 'capacity_col = "hall_cap"', 1
    )
    scenario.write_text(text, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["run", str(scenario), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no column 'hall_cap' (setting `capacity_col`)" in err
    assert not out.exists()


def test_bad_capacity_values_name_the_column() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    from planner.errors import DataError
    from planner.inputs.sites import candidate_sites

    layer = gpd.GeoDataFrame(
        {"site_id": ["a", "b", "c"], "cap": ["100", "", "-5"]},
        geometry=[Point(114.3, 30.5), Point(114.31, 30.5), Point(114.32, 30.5)],
        crs="EPSG:4326",
    )
    with pytest.raises(DataError, match=r"column 'cap' row 3 holds '-5'"):
        candidate_sites(layer, capacity_col="cap")
    layer.loc[2, "cap"] = "250"
    sites = candidate_sites(layer, capacity_col="cap")
    assert sites["capacity"].iloc[0] == 100.0
    assert np.isnan(sites["capacity"].iloc[1])


def test_auto_checks_the_dense_table_size_up_front_and_solves_exactly_above_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from planner.optimize import dispatch
    from planner.optimize.scale import cpmp

    problem, p = _instance(4)
    assert cpmp.dense_table_declines(problem) is None
    monkeypatch.setattr(cpmp, "MAX_DENSE_PAIRS", problem.n_demand * problem.n_sites - 1)
    why = cpmp.dense_table_declines(problem)
    assert why is not None
    assert "dense table" in why

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scale method was called on a table above its limit")

    monkeypatch.setattr(dispatch, "_scale_function", lambda name: never)
    sol = solve(problem, MODEL, p=p)
    assert sol.method == "exact"
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(_brute_force(problem, p))
    # Called directly, the method refuses the table with an error naming the fix.
    with pytest.raises(ProblemError, match="method='exact'"):
        build_data(problem, p)


def test_exact_under_a_time_limit_starts_from_the_scale_method() -> None:
    # method='exact' with a time limit first runs the capacitated scale method (its
    # Lagrangian bound and exact finish, as method='auto'), then hands its plan to HiGHS:
    # the answer combines both ("lagrangian...+exact"), or is the plan alone when its
    # bound proves it; a MILP that could not set up in time would answer with that plan.
    problem, p = _instance(5, n=40, m=10)
    plain = solve(problem, "capacitated_p_median", p=p, options=SolverOptions(method="exact"))
    warm = solve(problem, "capacitated_p_median", p=p,
                 options=SolverOptions(method="exact", time_limit=60.0))  # fmt: skip
    assert plain.method == "exact"
    assert warm.method.startswith("lagrangian")
    assert warm.status is Status.OPTIMAL
    assert warm.objective == pytest.approx(plain.objective, rel=1e-9)
    assert check_solution(problem, warm, model="capacitated_p_median", p=p) == []
    cold = solve(problem, "capacitated_p_median", p=p,
                 options=SolverOptions(method="exact", time_limit=60.0, warm_start=False))  # fmt: skip
    assert cold.method == "exact"
