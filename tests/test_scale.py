"""Large-scale methods: heuristics never beat the optimum, bounds never exceed it.

Correctness only (no timing assertions): certified bounds on the right side of known
optima (OR-Library pmed1-pmed5 and exact solves of small random instances), plans
feasible by the one checker, reproducible with the same seed, time limits returning a
plan with a gap.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, Status, check_solution, solve
from planner.optimize.instances import euclidean_cost, read_pmed
from planner.optimize.options import ModelOptions
from planner.optimize.scale.heuristics import (
    large_declines,
    p_median_from_points,
    solve_heuristic,
    solve_large,
)

ORLIB = Path(__file__).parent / "data" / "orlib"


def _optima() -> dict[str, float]:
    with (ORLIB / "pmed_optimal.csv").open(newline="", encoding="utf-8") as fh:
        return {r["instance"]: float(r["optimum"]) for r in csv.DictReader(fh)}


OPT = _optima()
PMED = [f"pmed{k}" for k in range(1, 6)]


def _random_problem(
    n: int, m: int, seed: int, *, integral: bool = False
) -> tuple[Problem, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    d = rng.uniform(0, 100, (n, 2))
    s = rng.uniform(0, 100, (m, 2))
    w = rng.integers(1, 20, n).astype(float)
    cost = euclidean_cost(d, s, rounding="floor" if integral else "none")
    return Problem(cost, w), d, s, w


def _assert_feasible(problem: Problem, solution, **opts) -> None:
    assert solution.has_plan
    assert check_solution(problem, solution, **opts) == []


@pytest.mark.parametrize("name", PMED)
def test_pmed_proven_optimal_with_bound_at_the_optimum(name: str) -> None:
    inst = read_pmed(ORLIB / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve_large(problem, "p_median", p=inst.p, seed=0)
    _assert_feasible(problem, sol, model="p_median", p=inst.p)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(OPT[name])
    assert sol.bound is not None
    assert sol.bound <= OPT[name] + 1e-9
    assert sol.gap == 0.0


@pytest.mark.parametrize("name", PMED)
def test_heuristic_never_beats_optimum_and_bound_never_exceeds_it(name: str) -> None:
    inst = read_pmed(ORLIB / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve_heuristic(problem, "p_median", p=inst.p, seed=3)
    _assert_feasible(problem, sol, model="p_median", p=inst.p)
    assert sol.method == "heuristic"
    assert sol.objective >= OPT[name] - 1e-9
    assert sol.bound is not None
    assert sol.bound <= OPT[name] + 1e-9
    assert sol.gap is not None
    assert sol.gap >= 0.0


@pytest.mark.parametrize(("name", "k"), [("pmed1", 8), ("pmed4", 5), ("pmed5", 3)])
def test_bound_from_cut_neighbour_lists_stays_valid(name: str, k: int) -> None:
    # Only the k nearest sites per point are kept: the bound charges every other site
    # the (k+1)-th cost, a relaxation, so it must stay at or below the optimum.
    inst = read_pmed(ORLIB / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve_large(problem, "p_median", p=inst.p, neighbours=k)
    _assert_feasible(problem, sol, model="p_median", p=inst.p)
    assert sol.details["lists_complete"] is False
    assert sol.objective >= OPT[name] - 1e-9
    assert sol.bound is not None
    assert sol.bound <= OPT[name] + 1e-9


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_p_median_matches_exact_solver_on_random_instances(seed: int) -> None:
    problem, *_ = _random_problem(60, 20, seed)
    exact = solve(problem, "p_median", p=4, options=SolverOptions(method="exact"))
    sol = solve_large(problem, "p_median", p=4)
    _assert_feasible(problem, sol, model="p_median", p=4)
    assert sol.bound is not None
    assert sol.bound <= exact.objective * (1 + 1e-9)
    assert sol.objective >= exact.objective * (1 - 1e-9)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(exact.objective, rel=1e-9)


def _best_single_swap(cost: np.ndarray, w: np.ndarray, open_sites: np.ndarray) -> float:
    """Brute force: the objective change of the best single swap (negative = improves)."""
    base = float(w @ cost[:, open_sites].min(axis=1))
    best = 0.0
    closed = np.setdiff1d(np.arange(cost.shape[1]), open_sites)
    for q in range(open_sites.size):
        for j in closed:
            trial = open_sites.copy()
            trial[q] = j
            best = min(best, float(w @ cost[:, trial].min(axis=1)) - base)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_heuristic_plan_is_a_swap_local_optimum(seed: int) -> None:
    """No single swap of the returned plan improves it (checked by brute force), for
    complete lists and for lists cut to a few neighbours (exact oracle behind them)."""
    problem, *_ = _random_problem(150, 30, seed)
    cost = np.asarray(problem.cost)
    w = np.asarray(problem.weight)
    for neighbours in (None, 4):
        sol = solve_heuristic(problem, "p_median", p=6, seed=seed, bound=False,
                              neighbours=neighbours)  # fmt: skip
        _assert_feasible(problem, sol, model="p_median", p=6)
        assert sol.objective == pytest.approx(float(w @ cost[:, sol.open_sites].min(axis=1)))
        if neighbours is None:
            assert _best_single_swap(cost, w, sol.open_sites) >= -1e-9 * sol.objective


def test_same_seed_same_plan_and_different_seeds_both_valid() -> None:
    problem, *_ = _random_problem(300, 60, 7)
    a = solve_heuristic(problem, "p_median", p=8, seed=11)
    b = solve_heuristic(problem, "p_median", p=8, seed=11)
    assert a.open_sites.tolist() == b.open_sites.tolist()
    assert a.objective == b.objective
    assert a.bound == b.bound
    c = solve_heuristic(problem, "p_median", p=8, seed=12)
    _assert_feasible(problem, c, model="p_median", p=8)


def test_time_limit_returns_a_plan_with_a_gap() -> None:
    problem, *_ = _random_problem(1500, 150, 5)
    sol = solve_large(problem, "p_median", p=15, time_limit=0.3)
    _assert_feasible(problem, sol, model="p_median", p=15)
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert sol.gap is not None
    assert sol.bound is not None
    assert sol.bound <= sol.objective


@pytest.mark.parametrize("model", ["p_median", "mclp"])
def test_search_and_bound_side_by_side_stay_certified(
    model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The path of huge problems (swap search on a thread, subgradient beside it),
    forced on a small instance: feasible plan, bound on the right side of the optimum."""
    import planner.optimize.scale.pmedian as scale_pmedian

    monkeypatch.setattr(scale_pmedian, "HUGE_POINTS", 50)
    problem, *_ = _random_problem(400, 40, 3)
    kw = {"radius": 12.0} if model == "mclp" else {}
    exact = solve(problem, model, p=5, **kw, options=SolverOptions(method="exact"))
    assert exact.is_optimal
    sol = solve_large(problem, model, p=5, time_limit=1.0, **kw)
    _assert_feasible(problem, sol, model=model, p=5, **kw)
    assert sol.bound is not None
    assert "swap_iterations" in sol.details  # the side-by-side path ran
    if model == "p_median":
        assert sol.bound <= exact.objective * (1 + 1e-9)
        assert sol.objective >= exact.objective * (1 - 1e-9)
    else:
        assert sol.bound >= exact.objective - 1e-9
        assert sol.objective <= exact.objective + 1e-9


@pytest.mark.parametrize("name", ["pmed2", "pmed4"])
def test_search_beside_the_bound_with_a_time_limit_stays_certified(name: str) -> None:
    """With a time limit the swap search runs on beside the bound and branch and bound
    (they share the incumbent): still proven optimal, bound never above the optimum."""
    inst = read_pmed(ORLIB / f"{name}.txt")
    problem = inst.to_problem()
    sol = solve_large(problem, "p_median", p=inst.p, seed=0, time_limit=60.0)
    _assert_feasible(problem, sol, model="p_median", p=inst.p)
    assert "search_beside_swaps" in sol.details  # the path with the search beside ran
    assert sol.bound is not None
    assert sol.bound <= OPT[name] + 1e-9
    assert sol.objective >= OPT[name] - 1e-9
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(OPT[name])


def test_a_failure_in_the_search_beside_reaches_the_caller(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import planner.optimize.scale.pmedian as scale_pmedian

    real = scale_pmedian.local_search

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("shared") is not None:  # only the search on the thread fails
            raise MemoryError("search thread failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(scale_pmedian, "local_search", failing)
    problem, *_ = _random_problem(300, 30, 6)
    with pytest.raises(MemoryError, match="search thread failed"):
        solve_large(problem, "p_median", p=4, time_limit=5.0)


def test_required_and_excluded_sites_are_honoured() -> None:
    rng = np.random.default_rng(4)
    cost = euclidean_cost(rng.uniform(0, 50, (80, 2)), rng.uniform(0, 50, (25, 2)))
    problem = Problem(cost, np.ones(80), required=[3, 17], excluded=[0, 1, 2, 4])
    sol = solve_large(problem, "p_median", p=5)
    _assert_feasible(problem, sol, model="p_median", p=5)
    assert {3, 17} <= set(sol.open_sites.tolist())
    assert not {0, 1, 2, 4} & set(sol.open_sites.tolist())
    exact = solve(problem, "p_median", p=5, options=SolverOptions(method="exact"))
    assert sol.objective == pytest.approx(exact.objective, rel=1e-9)


def test_sparse_costs_absent_pairs_never_used() -> None:
    rng = np.random.default_rng(8)
    dense = euclidean_cost(rng.uniform(0, 40, (120, 2)), rng.uniform(0, 40, (30, 2)))
    cut = np.where(dense <= 18.0, dense, 0.0)
    problem = Problem(sp.csr_array(cut), np.ones(120))
    sol = solve_large(problem, "p_median", p=10)
    _assert_feasible(problem, sol, model="p_median", p=10)
    exact = solve(problem, "p_median", p=10, options=SolverOptions(method="exact"))
    if exact.is_optimal:
        assert sol.bound is not None
        assert sol.bound <= exact.objective * (1 + 1e-9)
        assert sol.objective >= exact.objective * (1 - 1e-9)


def test_unservable_point_is_reported_infeasible() -> None:
    cost = sp.csr_array(np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 0.0]]))
    problem = Problem(cost, np.ones(3))
    sol = solve_large(problem, "p_median", p=1)
    assert sol.status is Status.INFEASIBLE
    assert "2" in sol.details["message"]


def test_points_entry_point_matches_the_matrix_path() -> None:
    _, d, s, w = _random_problem(400, 40, 9, integral=True)
    problem = Problem(euclidean_cost(d, s, rounding="floor"), w)
    a = p_median_from_points(d, s, w, 6, rounding="floor")
    b = solve_large(problem, "p_median", p=6)
    assert a.status is Status.OPTIMAL
    assert b.status is Status.OPTIMAL
    assert a.objective == pytest.approx(b.objective)
    _assert_feasible(problem, a, model="p_median", p=6)
    # Few neighbours: lists cut, bound still valid.
    c = p_median_from_points(d, s, w, 6, rounding="floor", neighbours=6)
    assert c.bound is not None
    assert c.bound <= b.objective + 1e-9
    assert c.objective >= b.objective - 1e-9


@pytest.mark.parametrize("seed", [0, 1])
def test_mclp_bound_and_plan_against_exact(seed: int) -> None:
    problem, *_ = _random_problem(150, 30, seed)
    exact = solve(problem, "mclp", p=4, radius=15.0, options=SolverOptions(method="exact"))
    for sol in (
        solve_large(problem, "mclp", p=4, radius=15.0),
        solve_heuristic(problem, "mclp", p=4, radius=15.0),
    ):
        _assert_feasible(problem, sol, model="mclp", p=4, radius=15.0)
        assert sol.sense == "max"
        assert sol.objective <= exact.objective + 1e-9
        assert sol.bound is not None
        assert sol.bound >= exact.objective - 1e-9
    assert solve_large(problem, "mclp", p=4, radius=15.0).objective == pytest.approx(
        exact.objective
    )


def test_mclp_bound_from_first_order_lp_duals_stays_above_the_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Huge maximal-covering problems start the subgradient from the duals of a
    # first-order LP solve; force that path on a small problem (thresholds lowered)
    # and check the certified bound against the exact optimum.
    from planner.optimize.scale import cover as _scale_cover
    from planner.optimize.scale import pmedian as _scale_pmedian

    for seed in (0, 1):
        problem, *_ = _random_problem(150, 30, seed)
        exact = solve(problem, "mclp", p=4, radius=15.0, options=SolverOptions(method="exact"))
        with monkeypatch.context() as patch:
            patch.setattr(_scale_pmedian, "HUGE_POINTS", 10)
            patch.setattr(_scale_cover, "LP_MAX_ENTRIES", 10)
            sol = solve_large(problem, "mclp", p=4, radius=15.0, time_limit=2.0)
        _assert_feasible(problem, sol, model="mclp", p=4, radius=15.0)
        assert sol.details["start_multipliers"] == "given"
        assert sol.objective <= exact.objective + 1e-9
        assert sol.bound is not None
        assert sol.bound >= exact.objective - 1e-9
        # The duals alone bound the optimum, far below the trivial bound (all the
        # weight any site can cover); here the LP relaxation is tight.
        start = sol.details["lp_start_upper_bound"]
        coverable = problem.weight.sum() - sol.details["uncoverable_weight"]
        assert start >= exact.objective - 1e-6
        assert start <= exact.objective + 0.05 * (coverable - exact.objective)


def test_lscp_reduction_gives_the_exact_minimum() -> None:
    problem, *_ = _random_problem(400, 60, 3)
    exact = solve(problem, "lscp", radius=25.0, options=SolverOptions(method="exact"))
    sol = solve_large(problem, "lscp", radius=25.0)
    _assert_feasible(problem, sol, model="lscp", radius=25.0)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == exact.objective
    assert sol.details["reduced_rows"] <= sol.details["demand_rows"]


def test_lscp_keeps_required_sites_and_matches_the_exact_minimum() -> None:
    problem, *_ = _random_problem(300, 50, 4)
    required = np.zeros(50, dtype=bool)
    required[[3, 17]] = True
    problem = Problem(problem.cost, problem.weight, required=required)
    exact = solve(problem, "lscp", radius=30.0, options=SolverOptions(method="exact"))
    sol = solve_large(problem, "lscp", radius=30.0, seed=2)
    _assert_feasible(problem, sol, model="lscp", radius=30.0)
    assert {3, 17} <= set(sol.open_sites.tolist())
    assert sol.status is Status.OPTIMAL
    assert sol.objective == exact.objective


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_set_cover_search_and_milp_match_an_independent_exact_solve(seed: int) -> None:
    from planner.optimize.scale.cover_search import cover_search
    from planner.optimize.scale.set_cover import coverage, min_cover, reduced_rows

    base, *_ = _random_problem(250, 45, 10 + seed)
    reach = (np.asarray(base.cost) <= 22.0).any(axis=1)  # rows no site reaches cannot count
    forced = np.zeros(45, dtype=bool)
    forced[seed] = True
    problem = Problem(base.cost, np.where(reach, base.weight, 0.0), required=forced)
    exact = solve(problem, "lscp", radius=22.0, options=SolverOptions(method="exact"))
    assert exact.status is Status.OPTIMAL
    cov = coverage(problem, 22.0)
    # HiGHS started from the greedy cover (seed 1 once returned that start unchanged
    # while reporting the optimum's objective: 15 sites against 12).
    milp = min_cover(cov.indptr, cov.col, 45, forced, time_limit=60.0)
    assert milp.proven
    assert milp.count == exact.objective
    start = np.ones(45, dtype=bool)  # everything open: a cover full of redundant sites
    out = cover_search(cov.indptr, cov.col, 45, start, forced, seed=seed,
                       deadline=float("inf"), stall_steps=20_000)  # fmt: skip
    chosen = out.cover
    assert chosen[seed]
    rows_covered = np.add.reduceat(chosen[cov.col].astype(int), cov.indptr[:-1]) > 0
    assert rows_covered.all()
    assert out.count == int(chosen.sum())
    assert out.count >= exact.objective
    # On instances this small the search reaches the proven minimum.
    assert out.count == exact.objective
    # The reduced rows keep the minimum (dominance only drops implied rows and sites).
    indptr, col, _ = reduced_rows(cov, forced)
    again = min_cover(indptr, col, 45, forced, time_limit=60.0, search=True, seed=seed)
    assert again.count == exact.objective
    assert again.proven


def test_p_center_binary_search_matches_known_optimum() -> None:
    # pmed1 vertex p-center optimum (secondary source, reproduced by the exact solver).
    inst = read_pmed(ORLIB / "pmed1.txt")
    problem = inst.to_problem()
    sol = solve_large(problem, "p_center", p=inst.p)
    _assert_feasible(problem, sol, model="p_center", p=inst.p)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == 127.0
    assert sol.bound is not None
    assert sol.bound <= 127.0


def test_dispatcher_routes_heuristic_method() -> None:
    problem, *_ = _random_problem(100, 20, 2)
    sol = solve(problem, "p_median", p=3, options=SolverOptions(method="heuristic", seed=1))
    assert sol.method == "heuristic"
    _assert_feasible(problem, sol, model="p_median", p=3)


def test_large_declines_names_what_the_scale_method_does_not_cover(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from planner.optimize import dispatch
    from planner.optimize.scale import cover

    problem, *_ = _random_problem(30, 8, 1)
    assert large_declines(problem, ModelOptions("p_median", p=2)) is None
    capacitated = Problem(problem.cost, problem.weight, capacity=np.full(8, 1e6),
                          opening_cost=np.full(8, 10.0))  # fmt: skip
    assert "capacitated facility_location" in (
        large_declines(capacitated, ModelOptions("facility_location")) or ""
    )
    assert "budgets" in (large_declines(problem, ModelOptions("p_median", budget=5.0)) or "")
    assert large_declines(problem, ModelOptions("p_center", p=2)) is None
    monkeypatch.setattr(cover, "P_CENTER_MAX_PAIRS", 100)
    assert "30 million" in (large_declines(problem, ModelOptions("p_center", p=2)) or "")
    with pytest.raises(ProblemError, match="30 million"):
        solve_large(problem, "p_center", p=2)
    # solve() asks first and routes the declined p-center to the exact method.
    monkeypatch.setattr(dispatch, "AUTO_EXACT_MAX_PAIRS", 10)
    sol = solve(problem, "p_center", p=2)
    assert sol.method == "exact"
    assert sol.status is Status.OPTIMAL


def test_bad_arguments_raise_clear_errors() -> None:
    problem, *_ = _random_problem(30, 8, 1)
    with pytest.raises(ProblemError, match="heuristic not available"):
        solve_heuristic(problem, "p_center", p=2)
    with pytest.raises(ProblemError, match="`p`"):
        solve_large(problem, "p_median", p=9)
    with pytest.raises(ProblemError, match="radius"):
        solve_large(problem, "mclp", p=2)
    with pytest.raises(ProblemError, match="needs opening costs"):
        solve_large(problem, "facility_location", p=2)
    with pytest.raises(ProblemError, match="needs site capacities"):
        solve_large(problem, "capacitated_p_median", p=2)


def _clustered_points(n: int, p: int, extra_sites: int, seed: int) -> tuple:
    """Points in ``p`` tight clusters with a candidate at each centre plus scattered
    ones: reduced-cost fixing settles every site (fractional costs and weights)."""
    rng = np.random.default_rng(seed)
    centres = rng.random((p, 2)) * 30_000.0
    demand = centres[rng.integers(0, p, n)] + rng.normal(0.0, 300.0, (n, 2))
    sites = np.vstack(
        [centres + rng.normal(0.0, 50.0, (p, 2)), rng.random((extra_sites, 2)) * 30_000]
    )
    weight = rng.random(n) * 10.0 + 0.1
    return demand, sites, weight


@pytest.mark.parametrize("upper", [1e-3, 1.0, 7.5, 1e3, 1.2e8, 3e15])
def test_a_bound_at_the_proof_cut_proves_after_its_safety_margin(upper: float) -> None:
    """The cut the subgradient aims at, less the float margin, still passes the proof
    test (it sat at 1.01e-9 against a 1e-9 test, so no large solve could be proven)."""
    from planner.optimize.scale.lagrangian import certified_bound, is_proven, proof_cut

    bound = certified_bound(proof_cut(upper, False), upper, False)
    assert bound < upper
    assert is_proven(upper, bound, False)
    assert not is_proven(upper, upper * (1 - 1e-6) - 1e-6, False)


@pytest.mark.parametrize("threads", [False, True])
def test_fixing_that_settles_every_site_proves_the_plan(threads: bool) -> None:
    """When reduced-cost fixing leaves a single plan, the bound is that plan's cost (or
    the cut): the incumbent is proven, and the bound never exceeds the brute-force
    optimum."""
    import itertools

    from planner.optimize.scale.data import from_points
    from planner.optimize.scale.lagrangian import is_proven, p_median_lagrangian

    demand, sites, weight = _clustered_points(600, 3, 9, seed=4)
    cost = euclidean_cost(demand, sites)
    best = min(
        (float(weight @ cost[:, list(c)].min(axis=1)), c)
        for c in itertools.combinations(range(sites.shape[0]), 3)
    )
    data = from_points(demand, sites, weight, 3)
    res = p_median_lagrangian(data, 3, best[0], threads=threads)
    assert int(res.forced.sum()) + int((~res.closed & ~res.forced).sum()) == 3
    assert is_proven(best[0], res.bound, data.integral)
    assert res.bound <= best[0]


@pytest.mark.parametrize(("max_iter", "deflect"), [(60, 0.0), (60, 0.5), (400, 0.0)])
def test_threaded_subgradient_takes_the_same_steps_as_the_kernel(
    max_iter: int, deflect: float
) -> None:
    """The two passes on threads (large problems) run the kernel's own step: the same
    iterations, fixings and relaxed plan, and the bound up to the order of float sums
    (mid-run with few fixings, and run on until fixing settles every site)."""
    import time

    from planner.optimize.scale.data import from_points
    from planner.optimize.scale.lagrangian import p_median_lagrangian
    from planner.optimize.scale.local_search import local_search

    rng = np.random.default_rng(3)
    demand = rng.uniform(0, 100, (2000, 2))
    sites = rng.uniform(0, 100, (150, 2))
    weight = rng.integers(1, 20, 2000).astype(float)
    data = from_points(demand, sites, weight, 12, neighbours=40)
    plan = local_search(data, 12, seed=0, deadline=time.perf_counter() + 600.0, restarts=2)
    serial, threaded = (
        p_median_lagrangian(
            data, 12, plan.objective, threads=threads, max_iter=max_iter, deflect=deflect
        )
        for threads in (False, True)
    )
    assert threaded.iterations == serial.iterations
    assert np.array_equal(threaded.closed, serial.closed)
    assert np.array_equal(threaded.forced, serial.forced)
    assert np.array_equal(threaded.selected, serial.selected)
    assert threaded.raw_bound == pytest.approx(serial.raw_bound, rel=1e-12)
    assert np.allclose(threaded.lam, serial.lam, rtol=1e-12, atol=1e-9)
    if max_iter == 400:
        assert int(serial.closed.sum()) + int(serial.forced.sum()) == 150  # settled


def test_huge_path_proves_a_plan_once_fixing_settles_every_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The search-beside-the-bound path (huge problems) ends proven optimal when fixing
    has settled every site, instead of running to its time limit unproven."""
    import planner.optimize.scale.pmedian as scale_pmedian

    monkeypatch.setattr(scale_pmedian, "HUGE_POINTS", 50)
    demand, sites, weight = _clustered_points(3000, 20, 60, seed=1)
    sol = p_median_from_points(demand, sites, weight, p=20, seed=0, time_limit=120.0)
    assert "swap_iterations" in sol.details  # the side-by-side path ran
    assert sol.status is Status.OPTIMAL
    assert sol.gap == 0.0
    assert sol.details["sites_fixed_closed"] + sol.details["sites_fixed_open"] == 80


def test_target_gap_stops_with_a_certified_plan_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A target gap ends the solve once the certified gap is within it: the plan is
    feasible (not labelled optimal), its gap is at most the target, and the status says
    why (both the small-problem path and the huge path, forced here)."""
    import planner.optimize.scale.pmedian as scale_pmedian

    problem, *_ = _random_problem(3000, 80, 11)
    exact = solve(problem, "p_median", p=8, options=SolverOptions(time_limit=120.0, target_gap=0.0))
    assert exact.status is Status.OPTIMAL
    for huge in (False, True):
        if huge:
            monkeypatch.setattr(scale_pmedian, "HUGE_POINTS", 50)
        sol = solve(
            problem, "p_median", p=8, options=SolverOptions(time_limit=120.0, target_gap=0.2)
        )
        assert sol.status is Status.FEASIBLE
        assert sol.details["stop_reason"] == "target_gap"
        assert "target gap reached" in sol.quality()
        assert sol.gap is not None
        assert 0.0 < sol.gap <= 0.2
        assert sol.bound is not None
        assert sol.bound <= exact.objective * (1 + 1e-9)
        assert sol.objective >= exact.objective * (1 - 1e-9)
    with pytest.raises(ProblemError, match="target_gap"):
        solve(problem, "p_median", p=8, options=SolverOptions(target_gap=1.5))


def test_branch_and_bound_stops_at_the_target_gap_with_a_valid_bound() -> None:
    """Branch and bound with a target gap ends once the nodes left are within it: its
    bound stays below the optimum and within the target of its plan."""
    import time

    from planner.optimize.scale.data import from_problem
    from planner.optimize.scale.lagrangian import p_median_lagrangian
    from planner.optimize.scale.local_search import local_search
    from planner.optimize.scale.pmedian import branch_and_bound

    problem, *_ = _random_problem(1500, 60, 21)
    exact = solve(problem, "p_median", p=7, options=SolverOptions(time_limit=120.0, target_gap=0.0))
    assert exact.status is Status.OPTIMAL
    data = from_problem(problem, 7)
    plan = local_search(data, 7, seed=0)
    root = p_median_lagrangian(data, 7, plan.objective, max_iter=40)
    gap = (plan.objective - root.bound) / plan.objective
    assert gap > 0.002  # the root alone does not reach the target
    deadline = time.perf_counter() + 120.0
    out = branch_and_bound(data, 7, plan.objective, plan.open_local, root, deadline=deadline,
                           target_gap=0.002)  # fmt: skip
    assert out.bound <= exact.objective * (1 + 1e-9)
    assert (out.objective - out.bound) / out.objective <= 0.002
    full = branch_and_bound(data, 7, plan.objective, plan.open_local, root, deadline=deadline)
    assert full.bound >= exact.objective * (1 - 1e-9)  # proven
    assert out.nodes < full.nodes  # the target ended the search early


def test_covering_lp_bound_is_used_only_on_a_proven_lp_optimum(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from planner.optimize.scale import cover as scale_cover
    from planner.optimize.scale.set_cover import coverage, merge_rows

    problem, *_ = _random_problem(150, 30, 0)
    exact = solve(problem, "mclp", p=4, radius=15.0, options=SolverOptions(method="exact"))
    cov = coverage(problem, 15.0)
    indptr, col, wsum, _ = merge_rows(cov, problem.weight[cov.rows])
    forced = np.zeros(cov.sites.size, dtype=bool)
    args = (indptr, col, wsum, cov.sites.size, 4, forced)
    bound, said = scale_cover._mclp_lp_bound(*args, time_limit=10.0)
    assert said == "bound"
    assert bound is not None
    assert bound >= exact.objective - 1e-9
    # Any other verdict gives no bound, and says why in HiGHS's words.
    for verdict in ("stopped", "failed"):
        monkeypatch.setattr(scale_cover, "lp_verdict", lambda status, v=verdict: v)
        bound, said = scale_cover._mclp_lp_bound(*args, time_limit=10.0)
        assert bound is None
        assert said == f"{verdict} (Optimal)"
    # A failed LP's duals are not used as multipliers; a stopped one's are (valid anyway).
    far = time.perf_counter() + 10.0
    assert scale_cover.mclp_lp_multipliers(*args, deadline=far) is None
    monkeypatch.setattr(scale_cover, "lp_verdict", lambda status: "stopped")
    duals = scale_cover.mclp_lp_multipliers(*args, deadline=far)
    assert duals is not None
    assert duals.shape == wsum.shape
