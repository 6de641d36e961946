"""Location models: validation, brute-force agreement, the feasibility checker, diagnoses.

Tiny random instances are solved exactly and compared with enumeration of every plan;
one checker (``check_solution``) runs over every model, solver and method.
"""

from __future__ import annotations

import importlib
import itertools
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from planner.errors import ProblemError, SolverError
from planner.optimize import (
    Problem,
    Solution,
    SolverOptions,
    Status,
    check_solution,
    diagnose,
    solve,
)
from planner.optimize import dispatch as dispatch_mod
from planner.optimize.exact import solve as exact_mod
from planner.optimize.exact.milp import _pulp_table

SOLVERS = ["highs", "cbc", "highs_pulp"]


# --------------------------------------------------------------------------- oracles


def _instance(seed: int, n: int = 7, m: int = 5) -> Problem:
    rng = np.random.default_rng(seed)
    xy_d = rng.random((n, 2)) * 100
    xy_s = rng.random((m, 2)) * 100
    cost = np.round(np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1)), 1)
    weight = rng.integers(1, 10, n).astype(float)
    capacity = np.full(m, np.ceil(weight.sum() / 1.7))
    opening = np.round(rng.random(m) * 200 + 50, 1)
    return Problem(cost, weight, capacity=capacity, opening_cost=opening)


def _subsets(m: int, sizes: range | list[int]):
    for k in sizes:
        yield from itertools.combinations(range(m), k)


def _dense(problem: Problem) -> np.ndarray:
    c = problem.cost
    if sp.issparse(c):
        d = np.full(c.shape, np.inf)
        coo = sp.coo_array(c)
        d[coo.row, coo.col] = coo.data
        return d
    return np.asarray(c, dtype=float)


def _brute_p_median(problem: Problem, p: int, *, hot=None, standards=()) -> float:
    c, w = _dense(problem), problem.weight
    best = np.inf
    for s in _subsets(problem.n_sites, [p]):
        if problem.required[list(s)].sum() != problem.required.sum():
            continue
        d = c[:, list(s)].min(axis=1)
        if hot is not None and (d[hot[0]] > hot[1]).any():
            continue
        if any(w[d <= dd].sum() < share * w.sum() - 1e-9 for dd, share in standards):
            continue
        best = min(best, float((w * d).sum()))
    return best


def _assignments(n: int, m: int) -> np.ndarray:
    return np.array(list(itertools.product(range(m), repeat=n)), dtype=np.int64)


def _brute_single_source(problem: Problem, p: int | None, *, with_opening: bool) -> float:
    """Enumerate every single-source assignment; the open set is any superset of the used sites."""
    c, w, q = problem.cost, problem.weight, problem.demand_load
    n, m = c.shape
    assign = _assignments(n, m)
    cost = (w[None, :] * c[np.arange(n)[None, :], assign]).sum(axis=1)
    load = np.zeros((assign.shape[0], m))
    for j in range(m):
        load[:, j] = (q[None, :] * (assign == j)).sum(axis=1)
    used = np.zeros((assign.shape[0], m), dtype=bool)
    for j in range(m):
        used[:, j] = (assign == j).any(axis=1)
    best = np.inf
    sizes = [p] if p is not None else list(range(1, m + 1))
    for s in _subsets(m, sizes):
        mask = np.zeros(m, dtype=bool)
        mask[list(s)] = True
        ok = ~(used & ~mask).any(axis=1) & (load <= problem.capacity[None, :] * mask + 1e-9).all(
            axis=1
        )
        if ok.any():
            extra = float(problem.opening_cost[list(s)].sum()) if with_opening else 0.0
            best = min(best, float(cost[ok].min()) + extra)
    return best


def _brute_split(problem: Problem, p: int | None, *, with_opening: bool) -> float:
    """For every open set, the split assignment is a transportation LP (scipy linprog)."""
    c, w, q = problem.cost, problem.weight, problem.demand_load
    n, m = c.shape
    best = np.inf
    sizes = [p] if p is not None else list(range(1, m + 1))
    for s in _subsets(m, sizes):
        s = list(s)
        k = len(s)
        obj = (w[:, None] * c[:, s]).ravel()
        a_eq = np.kron(np.eye(n), np.ones(k))
        a_ub = np.kron(q[:, None].T, np.eye(k)).reshape(k, n * k)
        a_ub = np.zeros((k, n * k))
        for i in range(n):
            a_ub[:, i * k : (i + 1) * k] = np.eye(k) * q[i]
        res = linprog(
            obj, A_ub=a_ub, b_ub=problem.capacity[s], A_eq=a_eq, b_eq=np.ones(n), bounds=(0, 1)
        )
        if res.status == 0:
            extra = float(problem.opening_cost[s].sum()) if with_opening else 0.0
            best = min(best, float(res.fun) + extra)
    return best


# --------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("solver", SOLVERS)
def test_p_median_matches_brute_force(seed, solver):
    problem = _instance(seed)
    sol = solve(problem, "p_median", p=2, options=SolverOptions(solver=solver))
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(_brute_p_median(problem, 2))
    assert check_solution(problem, sol, model="p_median", p=2) == []


@pytest.mark.parametrize("seed", range(3))
def test_p_median_assignment_formulation_agrees(seed):
    problem = _instance(seed, n=9, m=6)
    a = solve(problem, "p_median", p=3, options=SolverOptions(formulation="assignment"))
    b = solve(
        problem, "p_median", p=3, options=SolverOptions(formulation="radius", warm_start=False)
    )
    assert a.objective == pytest.approx(b.objective)
    assert a.objective == pytest.approx(_brute_p_median(problem, 3))


@pytest.mark.parametrize("seed", range(4))
def test_mclp_matches_brute_force(seed):
    problem = _instance(seed)
    c, w = problem.cost, problem.weight
    radius = float(np.median(c))
    best = max(float(w[(c[:, list(s)] <= radius).any(axis=1)].sum()) for s in _subsets(5, [2]))
    sol = solve(problem, "mclp", p=2, radius=radius)
    assert sol.status is Status.OPTIMAL
    assert sol.sense == "max"
    assert sol.objective == pytest.approx(best)
    assert sol.details["covered_weight"] == pytest.approx(best)
    assert check_solution(problem, sol, model="mclp", p=2, radius=radius) == []


@pytest.mark.parametrize("seed", range(4))
def test_lscp_matches_brute_force(seed):
    problem = _instance(seed)
    c = problem.cost
    radius = float(np.max(c.min(axis=1))) + 5.0
    best = min(
        len(s) for s in _subsets(5, range(1, 6)) if (c[:, list(s)] <= radius).any(axis=1).all()
    )
    sol = solve(problem, "lscp", radius=radius)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == best
    assert check_solution(problem, sol, model="lscp", radius=radius) == []


@pytest.mark.parametrize("seed", range(4))
def test_p_center_matches_brute_force(seed):
    problem = _instance(seed)
    c = problem.cost
    best = min(float(c[:, list(s)].min(axis=1).max()) for s in _subsets(5, [2]))
    sol = solve(problem, "p_center", p=2)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert sol.details["radius"] == pytest.approx(best)
    assert check_solution(problem, sol, model="p_center", p=2) == []


def test_p_center_refine_picks_least_total_cost_among_optimal_radius():
    problem = _instance(11, n=8, m=6)
    c, w = problem.cost, problem.weight
    r = min(float(c[:, list(s)].min(axis=1).max()) for s in _subsets(6, [2]))
    best_total = min(
        float((w * c[:, list(s)].min(axis=1)).sum())
        for s in _subsets(6, [2])
        if c[:, list(s)].min(axis=1).max() <= r
    )
    sol = solve(problem, "p_center", p=2, options=SolverOptions(refine=True))
    assert sol.objective == pytest.approx(r)
    assert sol.details["refined_total_cost"] == pytest.approx(best_total)


@pytest.mark.parametrize("seed", range(3))
def test_capacitated_p_median_single_source_matches_brute_force(seed):
    problem = _instance(seed, n=6, m=4)
    sol = solve(problem, "capacitated_p_median", p=2)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(_brute_single_source(problem, 2, with_opening=False))
    assert check_solution(problem, sol, model="capacitated_p_median", p=2) == []


@pytest.mark.parametrize("seed", range(3))
def test_capacitated_p_median_split_matches_brute_force(seed):
    problem = _instance(seed, n=6, m=4)
    sol = solve(problem, "capacitated_p_median", p=2, split=True)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(_brute_split(problem, 2, with_opening=False), rel=1e-6)
    assert "allocation" in sol.details
    assert check_solution(problem, sol, model="capacitated_p_median", p=2, split=True) == []


@pytest.mark.parametrize("seed", range(3))
def test_uncapacitated_facility_location_matches_brute_force(seed):
    base = _instance(seed)
    problem = Problem(base.cost, base.weight, opening_cost=base.opening_cost)
    c, w, f = problem.cost, problem.weight, problem.opening_cost
    best = min(
        float(f[list(s)].sum() + (w * c[:, list(s)].min(axis=1)).sum())
        for s in _subsets(5, range(1, 6))
    )
    sol = solve(problem, "facility_location")
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert check_solution(problem, sol, model="facility_location") == []


@pytest.mark.parametrize("split", [False, True])
def test_capacitated_facility_location_matches_brute_force(split):
    problem = _instance(5, n=6, m=4)
    oracle = _brute_split if split else _brute_single_source
    sol = solve(problem, "facility_location", split=split)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(oracle(problem, None, with_opening=True), rel=1e-6)
    assert check_solution(problem, sol, model="facility_location", split=split) == []


def test_facility_location_budget_and_existing_sites():
    base = _instance(3)
    existing = np.array([0, 1])
    saving = np.array([500.0, -40.0, 0.0, 0.0, 0.0])
    problem = Problem(
        base.cost,
        base.weight,
        opening_cost=base.opening_cost,
        existing=existing,
        closing_saving=saving,
    )
    c, w, f = problem.cost, problem.weight, problem.opening_cost
    budget = 150.0
    best = np.inf
    for s in _subsets(5, range(1, 6)):
        new = [j for j in s if j not in (0, 1)]
        if f[new].sum() > budget:
            continue
        closed = [j for j in (0, 1) if j not in s]
        value = f[new].sum() - saving[closed].sum() + (w * c[:, list(s)].min(axis=1)).sum()
        best = min(best, float(value))
    sol = solve(problem, "facility_location", budget=budget)
    assert sol.objective == pytest.approx(best)
    assert "existing_closed" in sol.details
    assert check_solution(problem, sol, model="facility_location", budget=budget) == []


def test_sparse_cost_absent_pairs_cannot_serve():
    rng = np.random.default_rng(7)
    dense = np.round(rng.random((8, 5)) * 50, 1)
    mask = rng.random((8, 5)) < 0.55
    mask[np.arange(8), rng.integers(0, 5, 8)] = True  # every row keeps one site
    cost = sp.csr_array((dense[mask], np.nonzero(mask)), shape=(8, 5))
    problem = Problem(cost, rng.integers(1, 5, 8).astype(float))
    best = _brute_p_median(problem, 3)
    assert np.isfinite(best)
    sol = solve(problem, "p_median", p=3)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert check_solution(problem, sol, model="p_median", p=3) == []
    # the dense optimum is cheaper: absent pairs really are unusable
    assert solve(Problem(dense, problem.weight), "p_median", p=3).objective < best


def test_sparse_explicit_zero_is_a_real_zero_cost():
    cost = sp.csr_array(
        (np.array([0.0, 4.0, 3.0]), (np.array([0, 1, 1]), np.array([0, 0, 1]))), shape=(2, 2)
    )
    sol = solve(Problem(cost, np.ones(2)), "p_median", p=1)
    assert sol.open_sites.tolist() == [0]
    assert sol.objective == pytest.approx(4.0)


# --------------------------------------------------------------------------- options across models


def test_required_and_excluded_sites():
    problem0 = _instance(2)
    problem = Problem(problem0.cost, problem0.weight, required=[4], excluded=[0, 1])
    sol = solve(problem, "p_median", p=2)
    assert 4 in sol.open_sites
    assert not set(sol.open_sites) & {0, 1}
    best = min(float((problem.weight * problem.cost[:, [4, j]].min(axis=1)).sum()) for j in (2, 3))
    assert sol.objective == pytest.approx(best)


@pytest.mark.parametrize("with_standard", [False, True])
@pytest.mark.parametrize("with_hotspot", [False, True])
def test_hotspot_limits_and_standards_match_brute_force(with_hotspot, with_standard):
    # seed 10, hotspot 6 and a median-distance standard: each constraint alone binds
    problem = _instance(10, n=9, m=6)
    c = problem.cost
    hot = (np.array([6]), float(c[6].min()) + 2.0)
    standards = [(float(np.quantile(c.min(axis=1), 0.5)), 0.6)]
    kw: dict = {"p": 2}
    if with_hotspot:
        kw |= {"hotspot_rows": hot[0], "hotspot_max_cost": hot[1]}
    if with_standard:
        kw["standards"] = standards
    best = _brute_p_median(
        problem, 2, hot=hot if with_hotspot else None, standards=standards if with_standard else ()
    )
    sol = solve(problem, "p_median", **kw)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert check_solution(problem, sol, model="p_median", **kw) == []
    if with_hotspot or with_standard:
        assert sol.objective > _brute_p_median(problem, 2) + 1.0  # the constraint binds
    if with_hotspot:
        plain = solve(problem, "p_median", p=2)
        assert check_solution(problem, plain, model="p_median", **kw) != []


@pytest.mark.parametrize(
    ("model", "kw"),
    [
        ("p_median", {"p": 2}),
        ("mclp", {"p": 2, "radius": 40.0}),
        ("lscp", {"radius": 80.0}),
        ("p_center", {"p": 2}),
        ("capacitated_p_median", {"p": 3}),
        ("facility_location", {}),
    ],
)
def test_hotspot_limit_holds_in_every_model(model, kw):
    problem = _instance(4, n=8, m=5)
    hot = np.array([1, 5])
    limit = float(problem.cost[hot].min(axis=1).max()) + 1.0
    sol = solve(problem, model, hotspot_rows=hot, hotspot_max_cost=limit, **kw)
    assert sol.has_plan
    assert (
        check_solution(problem, sol, model=model, hotspot_rows=hot, hotspot_max_cost=limit, **kw)
        == []
    )
    served = (
        problem.cost[hot, sol.assignment[hot]]
        if model != "mclp"
        else problem.cost[hot][:, sol.open_sites].min(axis=1)
    )
    assert (served <= limit).all()


def test_capacitated_standard_counts_assigned_site():
    problem = _instance(6, n=6, m=4)
    d = float(np.quantile(problem.cost, 0.2))
    kw = {"p": 2, "standards": [(d, 0.5)]}
    plain = solve(problem, "capacitated_p_median", p=2)
    sol = solve(problem, "capacitated_p_median", **kw)
    assert sol.status is Status.OPTIMAL
    assert sol.objective > plain.objective + 1.0  # binds
    assert check_solution(problem, sol, model="capacitated_p_median", **kw) == []
    assert check_solution(problem, plain, model="capacitated_p_median", **kw) != []
    # brute force: every single-source assignment meeting capacity and the standard
    c, w, q = problem.cost, problem.weight, problem.demand_load
    best = np.inf
    for a in itertools.product(range(4), repeat=6):
        a = np.array(a)
        if np.unique(a).size > 2:
            continue
        if (np.bincount(a, weights=q, minlength=4) > problem.capacity).any():
            continue
        served = c[np.arange(6), a]
        if w[served <= d].sum() < 0.5 * w.sum():
            continue
        best = min(best, float((w * served).sum()))
    assert sol.objective == pytest.approx(best)


# --------------------------------------------------------------------------- checker over every model x solver x method


CASES = [
    ("p_median", {"p": 3}),
    ("p_median", {"p": 2, "radius": 70.0}),
    ("mclp", {"p": 2, "radius": 35.0}),
    ("lscp", {"radius": 70.0}),
    ("p_center", {"p": 3}),
    ("capacitated_p_median", {"p": 3}),
    ("capacitated_p_median", {"p": 3, "split": True}),
    ("facility_location", {}),
    ("facility_location", {"split": True, "budget": 400.0}),
]


def _heuristic_available() -> bool:
    try:
        module = importlib.import_module("planner.optimize.scale.heuristics")
    except ImportError:
        return False
    return callable(getattr(module, "solve_heuristic", None))


@pytest.mark.parametrize(("model", "kw"), CASES)
@pytest.mark.parametrize("solver", SOLVERS)
def test_checker_passes_every_model_and_solver(model, kw, solver):
    problem = _instance(21, n=12, m=7)
    sol = solve(problem, model, **kw, options=SolverOptions(solver=solver, method="exact"))
    assert isinstance(sol, Solution)
    assert sol.status is Status.OPTIMAL
    assert sol.method == "exact"
    assert sol.solver == solver
    assert check_solution(problem, sol, model=model, **kw) == []
    assert sol.gap == 0.0
    assert sol.bound is not None


@pytest.mark.parametrize(("model", "kw"), CASES)
def test_checker_passes_heuristic_method(model, kw):
    if not _heuristic_available():
        with pytest.raises(ProblemError, match="heuristic"):
            solve(_instance(21, n=12, m=7), model, **kw, options=SolverOptions(method="heuristic"))
        return
    problem = _instance(21, n=12, m=7)
    try:
        sol = solve(problem, model, **kw, options=SolverOptions(method="heuristic"))
    except ProblemError as exc:  # a model the heuristics do not cover must say so
        message = str(exc)
    else:
        message = ""
    if message:
        assert model in message or "not" in message
        return
    exact = solve(problem, model, **kw)
    assert check_solution(problem, sol, model=model, **kw) == []
    if sol.has_plan:
        better = (
            sol.objective >= exact.objective - 1e-6
            if sol.sense == "min"
            else sol.objective <= exact.objective + 1e-6
        )
        assert better


def test_checker_reports_broken_plans():
    problem = _instance(1)
    sol = solve(problem, "capacitated_p_median", p=2)
    fake = Solution(
        open_sites=np.array([0, 1, 2]),
        assignment=np.where(np.arange(7) == 0, -1, 4),
        objective=1.0,
        bound=5.0e9,
        gap=0.0,
        status=Status.FEASIBLE,
        runtime_s=0.0,
        model="capacitated_p_median",
        method="exact",
        solver="highs",
    )
    problems = check_solution(problem, fake, model="capacitated_p_median", p=2)
    text = " | ".join(problems)
    assert "3 sites open, p = 2" in text
    assert "closed site" in text
    assert "not assigned" in text
    assert "objective" in text
    assert "lower bound" in text
    assert check_solution(problem, sol, model="capacitated_p_median", p=2) == []


# --------------------------------------------------------------------------- properties


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(3, 9), m=st.integers(2, 6))
def test_p_median_objective_never_rises_with_p(seed, n, m):
    rng = np.random.default_rng(seed)
    problem = Problem(
        rng.integers(0, 50, (n, m)).astype(float), rng.integers(0, 5, n).astype(float)
    )
    values = [solve(problem, "p_median", p=k).objective for k in range(1, m + 1)]
    assert all(b <= a + 1e-9 for a, b in itertools.pairwise(values))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    model=st.sampled_from(["p_median", "p_center", "mclp", "capacitated_p_median"]),
)
def test_required_sites_always_open(seed, model):
    rng = np.random.default_rng(seed)
    n, m = 8, 5
    cost = rng.integers(0, 60, (n, m)).astype(float)
    required = rng.choice(m, size=2, replace=False)
    problem = Problem(
        cost, rng.integers(1, 5, n).astype(float), capacity=np.full(m, 40.0), required=required
    )
    kw = {"p": 3} if model != "mclp" else {"p": 3, "radius": 30.0}
    sol = solve(problem, model, **kw)
    assert set(required.tolist()) <= set(sol.open_sites.tolist())
    assert check_solution(problem, sol, model=model, **kw) == []


def test_same_seed_same_answer():
    problem = _instance(8, n=15, m=8)
    a = solve(problem, "p_median", p=3, options=SolverOptions(seed=5))
    b = solve(problem, "p_median", p=3, options=SolverOptions(seed=5))
    assert a.open_sites.tolist() == b.open_sites.tolist()
    assert a.assignment.tolist() == b.assignment.tolist()


def test_solution_is_immutable():
    sol = solve(_instance(0), "p_median", p=2)
    with pytest.raises(ValueError, match="read-only"):
        sol.open_sites[0] = 3
    with pytest.raises(AttributeError):
        sol.objective = 0.0  # type: ignore[misc]


# --------------------------------------------------------------------------- infeasible problems


def test_lscp_unreachable_demand_is_diagnosed():
    cost = np.array([[1.0, 9.0], [2.0, 8.0], [30.0, 40.0]])
    sol = solve(Problem(cost, np.ones(3)), "lscp", radius=10.0)
    assert sol.status is Status.INFEASIBLE
    diag = sol.details["diagnosis"]
    assert diag["unreachable_demand"] == [2]
    assert diag["min_feasible_radius"] == pytest.approx(30.0)
    assert "30" in sol.details["message"]
    assert np.isnan(sol.objective)
    assert (sol.assignment == -1).all()


def test_sparse_point_without_any_candidate_is_diagnosed():
    cost = sp.csr_array((np.array([1.0, 2.0]), (np.array([0, 1]), np.array([0, 1]))), shape=(3, 2))
    sol = solve(Problem(cost, np.ones(3)), "p_median", p=1)
    assert sol.status is Status.INFEASIBLE
    assert sol.details["diagnosis"]["no_candidate_at_all"] == [2]


def test_capacity_shortfall_is_diagnosed():
    problem = Problem(np.ones((4, 3)), np.full(4, 10.0), capacity=np.array([15.0, 12.0, 30.0]))
    sol = solve(problem, "capacitated_p_median", p=1)
    assert sol.status is Status.INFEASIBLE
    assert sol.details["diagnosis"]["capacity_shortfall"] == pytest.approx(10.0)
    assert "short by 10" in sol.details["message"]


def test_unreachable_standard_is_diagnosed():
    cost = np.array([[1.0, 50.0], [60.0, 2.0], [70.0, 80.0]])
    sol = solve(Problem(cost, np.ones(3)), "p_median", p=2, standards=[(10.0, 0.9)])
    assert sol.status is Status.INFEASIBLE
    assert sol.details["diagnosis"]["standards"][0]["max_share"] == pytest.approx(2 / 3)


@pytest.mark.parametrize("model", ["p_median", "p_center", "mclp", "capacitated_p_median"])
def test_standard_p_sites_cannot_meet_is_diagnosed(model: str) -> None:
    # Each of 4 sites has one point of weight 1 within 5; every site open reaches 100 %,
    # but p = 2 sites reach at most half the weight, and the standard asks 75 %: 3 sites.
    cost = np.full((4, 4), 50.0)
    np.fill_diagonal(cost, 1.0)
    extra: dict[str, Any] = {"radius": 5.0} if model == "mclp" else {}
    capacity = np.full(4, 10.0) if model == "capacitated_p_median" else None
    sol = solve(
        Problem(cost, np.ones(4), capacity=capacity), model, p=2, standards=[(5.0, 0.75)], **extra
    )
    assert sol.status is Status.INFEASIBLE
    diag = sol.details["diagnosis"]
    assert diag["cause"] == "standard_needs_sites"
    (f,) = diag["findings"]
    assert f["code"] == "standard_needs_sites"
    assert (f["p"], f["need"]) == (2, 3)
    assert f["max_share"] == pytest.approx(0.5)
    assert f["required_share"] == pytest.approx(0.75)
    msg = sol.details["message"]
    for said in ("p = 2", "50.00 %", "75.00 %", "at least 3"):
        assert said in msg
    for unset in ("capacities", "budget"):  # nothing the scenario did not set
        assert unset not in msg
    zh = diagnose.explain(diag["findings"], "zh", cost_unit="分钟")
    for said in ("50.00%", "75.00%", "至少需要 3"):
        assert said in zh


def test_conflicting_constraints_are_diagnosed_by_solver():
    # Each hotspot can be reached, each by its own site: the limits need 2 sites, p is 1.
    cost = np.array([[0.0, 50.0, 50.0], [50.0, 0.0, 50.0], [50.0, 50.0, 0.0]])
    sol = solve(
        Problem(cost, np.ones(3)), "p_median", p=1, hotspot_rows=[0, 1], hotspot_max_cost=5.0
    )
    assert sol.status is Status.INFEASIBLE
    diag = sol.details["diagnosis"]
    assert diag["cause"] == "too_few_sites"
    assert diag["findings"] == [
        {
            "code": "too_few_sites",
            "need": 2,
            "p": 1,
            "found": 2,
            "limits": "hotspots",
            "radius": None,
        }
    ]
    assert "needs at least 2 open centres" in sol.details["message"]
    # Enough sites for the limits, but the capacities conflict with them: a combination.
    capped = Problem(cost, np.ones(3), capacity=np.array([1.0, 1.0, 3.0]))
    sol = solve(capped, "capacitated_p_median", p=2, hotspot_rows=[0, 1], hotspot_max_cost=5.0)
    assert sol.status is Status.INFEASIBLE
    assert sol.details["diagnosis"]["cause"] == "combination"
    assert sol.details["diagnosis"]["min_sites_for_limits"] == 2


def _brute_min_cover(cost: np.ndarray, limits: np.ndarray, required: np.ndarray) -> int:
    """Fewest open sites (required ones included) with every limited row within its limit."""
    rows = np.isfinite(limits)
    ok = cost[rows] <= limits[rows, None]
    for k in range(cost.shape[1] + 1):
        for s in _subsets(cost.shape[1], [k]):
            if required[list(s)].sum() == required.sum() and ok[:, list(s)].any(axis=1).all():
                return k
    raise AssertionError("no cover at all")


@pytest.mark.parametrize("seed", range(6))
def test_too_few_sites_for_radius_and_hotspots_matches_brute_force(seed: int) -> None:
    """When p is below what the hard limits need, the diagnosis says how many (exactly)."""
    rng = np.random.default_rng(seed)
    n, m = 24, 10
    xy_d, xy_s = rng.random((n, 2)) * 100, rng.random((m, 2)) * 100
    cost = np.hypot(*(xy_d[:, None, :] - xy_s[None, :, :]).transpose(2, 0, 1))
    radius = float(np.quantile(cost.min(axis=1), 1.0)) + 8.0  # every point reachable
    hot = np.sort(rng.choice(n, 6, replace=False))
    hot_limit = cost[hot].min(axis=1) + 5.0
    required = np.zeros(m, dtype=bool)
    required[int(rng.integers(m))] = True
    problem = Problem(cost, rng.integers(1, 9, n).astype(float), required=required)
    cases = [
        ({"radius": radius}, np.full(n, radius), "radius"),
        ({"hotspot_rows": hot, "hotspot_max_cost": hot_limit}, _limits(n, hot, hot_limit), "hotspots"),
        ({"radius": radius, "hotspot_rows": hot, "hotspot_max_cost": hot_limit},
         np.minimum(np.full(n, radius), _limits(n, hot, hot_limit)), "radius_hotspots"),
    ]  # fmt: skip
    for kwargs, limits, kind in cases:
        need = _brute_min_cover(cost, limits, required)
        if need <= 1:
            continue
        sol = solve(problem, "p_median", p=need - 1, **kwargs)
        assert sol.status is Status.INFEASIBLE, kind
        (found,) = sol.details["diagnosis"]["findings"]
        assert found["code"] == "too_few_sites", kind
        assert (found["need"], found["found"], found["p"], found["limits"]) == (
            need,
            need,
            need - 1,
            kind,
        )
        # ... and with that many sites there is a plan.
        assert solve(problem, "p_median", p=need, **kwargs).has_plan, kind


def test_sparse_costs_say_how_many_sites_the_cut_off_needs():
    # Six points on a line, costs stored only up to 1 apart: two sites reach them all.
    x = np.arange(6.0)
    dense = np.abs(x[:, None] - x[None, :])
    r, c = np.nonzero(dense <= 1)
    cost = sp.csr_array((dense[r, c], (r, c)), shape=dense.shape)
    problem = Problem(cost, np.ones(6), capacity=np.full(6, 100.0))
    for model in ("p_median", "p_center", "capacitated_p_median"):
        sol = solve(problem, model, p=1, options=SolverOptions(method="exact"))
        assert sol.status is Status.INFEASIBLE, model
        (found,) = sol.details["diagnosis"]["findings"]
        assert (found["code"], found["need"], found["limits"]) == ("too_few_sites", 2, "reach"), (
            model
        )
        assert "within the travel cut-off" in sol.details["message"]


def test_hotspots_without_load_keep_their_limit_in_capacitated_models():
    # Three loaded points anywhere; three hotspots without load, each near its own site.
    cost = np.full((6, 4), 5.0)
    for row, site in ((3, 1), (4, 2), (5, 3)):
        cost[row] = 50.0
        cost[row, site] = 1.0
    problem = Problem(cost, np.array([6.0, 6.0, 6.0, 0, 0, 0]), capacity=np.full(4, 20.0))
    hot = {"hotspot_rows": [3, 4, 5], "hotspot_max_cost": 2.0}
    sol = solve(problem, "capacitated_p_median", p=2, **hot)
    assert sol.status is Status.INFEASIBLE  # it used to return sites 1 and 2 as optimal
    assert sol.details["diagnosis"]["findings"][0]["need"] == 3
    sol = solve(problem, "capacitated_p_median", p=3, **hot)
    assert sol.open_sites.tolist() == [1, 2, 3]
    assert check_solution(problem, sol, model="capacitated_p_median", p=3, **hot) == []


def test_every_point_out_of_reach_is_named_once():
    # Row 0 has no stored cost at all, row 3 only beyond the radius; hotspot 1 (no
    # weight) is within its limit but not within the radius, where p-median serves it.
    dense = np.array([[0, 0, 0], [5, 6, 7], [5, 1, 5], [9, 9, 9]], dtype=float)
    r, c = np.nonzero(np.arange(4)[:, None] > np.zeros(3))
    cost = sp.csr_array((dense[r, c], (r, c)), shape=dense.shape)
    weight = np.array([1.0, 0.0, 1.0, 1.0])
    sol = solve(Problem(cost, weight), "p_median", p=3, radius=2.0, hotspot_rows=[1, 3],
                hotspot_max_cost=8.0)  # fmt: skip
    codes = {f["code"]: f for f in sol.details["diagnosis"]["findings"]}
    assert codes["no_candidate"]["rows"] == [0]
    assert codes["outside_radius"]["rows"] == [3]
    assert codes["outside_radius"]["min_radius"] == 9.0
    assert codes["hotspots_out_of_reach"]["rows"] == [1]  # 3 is named above already


def _limits(n: int, rows: np.ndarray, limit: np.ndarray) -> np.ndarray:
    out = np.full(n, np.inf)
    out[rows] = limit
    return out


def test_diagnosis_is_explained_in_chinese_and_english_with_names():
    from planner.optimize.diagnose import explain

    cost = np.array([[1.0, 9.0], [2.0, 8.0], [30.0, 40.0]])
    sol = solve(Problem(cost, np.ones(3)), "lscp", radius=10.0)
    findings = sol.details["diagnosis"]["findings"]
    assert findings[0]["code"] == "outside_radius"
    assert findings[0]["rows"] == [2]
    names = ["WH0001", "WH0002", "WH0003"]
    zh = explain(findings, "zh", demand_names=names, cost_unit="分钟")
    en = explain(findings, "en", demand_names=names, cost_unit="min")
    assert "1 个需求点（如 WH0003）在 10 分钟内没有候选站址" in zh
    assert zh.endswith("最小半径为 30 分钟。")
    assert en.startswith("1 demand point(s) (e.g. WH0003) have no candidate site within 10 min")
    assert en.endswith("every demand point is 30 min.")
    assert "rows 2" in sol.details["message"]  # the solver alone knows row numbers only
    # A set cover that ran out of time names the range it left open.
    unsettled = {"code": "limits_unsettled", "need": 3, "found": 5, "p": 4,
                 "limits": "radius", "radius": 15.0}  # fmt: skip
    assert explain([unsettled], "en", cost_unit="min") == (
        "meeting the service radius of 15 min for every demand point needs between 3 and 5 "
        "open centres (not settled in the time given), but p = 4; raise p or relax the limits."
    )
    assert "需要 3 到 5 个营业厅" in explain([unsettled], "zh", cost_unit="分钟")
    # A code this version does not know (a diagnosis.json from another one) is still said.
    assert explain([{"code": "new_kind"}], "en") == "another cause (new_kind)."


# --------------------------------------------------------------------------- bad input


def _no_solver(*_args, **_kwargs):
    raise AssertionError("a solver ran before the arguments were checked")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"model": "median"}, "model"),
        ({"solver": "gurobi"}, "solver"),
        ({"method": "magic"}, "method"),
        ({"p": 0}, "`p`"),
        ({"p": 6}, "`p`"),
        ({"p": 2.5}, "`p`"),
        ({"model": "mclp", "p": 2}, "radius"),
        ({"model": "mclp", "p": 2, "radius": 0.01}, "radius"),
        ({"model": "lscp", "radius": -1.0}, "radius"),
        ({"model": "lscp", "radius": 50.0, "p": 2}, "`p`"),
        ({"model": "p_center", "p": 2, "radius": 9.0}, "radius"),
        ({"p": 2, "time_limit": 0}, "time_limit"),
        ({"p": 2, "seed": -1}, "seed"),
        ({"p": 2, "split": True}, "split"),
        ({"p": 2, "budget": 5.0}, "budget"),
        ({"p": 2, "hotspot_rows": [0]}, "hotspot"),
        ({"p": 2, "hotspot_rows": [99], "hotspot_max_cost": 3.0}, "hotspot_rows"),
        ({"p": 2, "standards": [(10.0, 1.5)]}, "standards"),
        ({"p": 2, "formulation": "fancy"}, "formulation"),
        ({"p": 2, "colour": "red"}, "colour"),
    ],
)
def test_bad_arguments_raise_before_solving(monkeypatch, kwargs, match):
    monkeypatch.setattr(exact_mod, "solve_milp", _no_solver)
    problem = Problem(np.arange(1.0, 16.0).reshape(3, 5), np.ones(3))
    kwargs = dict(kwargs)
    model = kwargs.pop("model", "p_median")
    knobs = {k: kwargs.pop(k) for k in list(kwargs) if k in SolverOptions.__dataclass_fields__}
    error = TypeError if "colour" in kwargs else ProblemError  # no such keyword
    with pytest.raises(error, match=match):
        solve(problem, model, **kwargs, options=SolverOptions(**knobs))


def test_models_needing_data_say_so():
    problem = Problem(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ProblemError, match="capacity"):
        solve(problem, "capacitated_p_median", p=1)
    with pytest.raises(ProblemError, match="opening_cost"):
        solve(problem, "facility_location")
    with pytest.raises(ProblemError, match="required"):
        solve(Problem(np.ones((2, 3)), np.ones(2), required=[0, 1]), "p_median", p=1)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.array([[1.0, -1.0]]), np.ones(1)), "negative"),
        ((np.array([[1.0, np.nan]]), np.ones(1)), "NaN"),
        ((np.ones((2, 2)), np.ones(3)), "weight"),
        ((np.ones((2, 2)), np.array([1.0, np.nan])), "weight"),
        ((np.ones(3), np.ones(3)), "2-D"),
    ],
)
def test_bad_problem_data(args, match):
    with pytest.raises(ProblemError, match=match):
        Problem(*args)


def test_bad_load_is_rejected():
    with pytest.raises(ProblemError, match="load"):
        Problem(np.ones((2, 2)), np.ones(2), load=[1.0, -2.0])


# --------------------------------------------------------------------------- routing and statuses


def test_heuristic_method_for_a_model_without_one_is_a_clear_error():
    # The model table says which models have a heuristic; lscp has none.
    with pytest.raises(ProblemError, match="heuristic not available for model 'lscp'"):
        solve(_instance(0), "lscp", radius=60.0, options=SolverOptions(method="heuristic"))


def test_auto_routes_large_problems_to_the_scale_method(monkeypatch):
    calls = {}

    def fake(problem, model, **kw):
        calls["model"], calls["kw"] = model, kw
        return Solution(
            open_sites=[0, 1], assignment=np.zeros(problem.n_demand), objective=1.0, bound=None,
            gap=None, status=Status.FEASIBLE, runtime_s=0.0, model=model, method="scaled",
            solver="planner",
        )  # fmt: skip

    monkeypatch.setattr(dispatch_mod, "AUTO_EXACT_MAX_PAIRS", 10)
    monkeypatch.setattr(
        dispatch_mod, "_scale_function", lambda name: fake if name == "solve_large" else None
    )
    scaled = solve(_instance(0), "p_median", p=2, options=SolverOptions(seed=3, time_limit=5.0))
    assert scaled.method == "scaled"
    assert scaled.runtime_s > 0.0  # the whole call, not the method's own clock
    assert calls["model"] == "p_median"
    assert calls["kw"]["p"] == 2
    assert calls["kw"]["seed"] == 3
    assert 0.0 < calls["kw"]["time_limit"] <= 5.0
    small = solve(_instance(0), "p_median", p=2, options=SolverOptions(method="exact"))
    assert small.method == "exact"


def test_pulp_status_table_reads_the_solution_status():
    table = _pulp_table()
    assert table[(1, 1)] is Status.OPTIMAL
    assert table[(1, 2)] is Status.FEASIBLE  # PuLP-HiGHS "Optimal" after a time limit
    assert table[(-1, -1)] is Status.INFEASIBLE
    assert table[(0, 0)] is Status.NO_SOLUTION


@pytest.mark.parametrize("suffix", [".mps", ".lp"])
def test_write_model_exports_the_milp(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    sol = solve(_instance(0), "p_median", p=2, options=SolverOptions(write_model=path))
    assert sol.status is Status.OPTIMAL
    text = path.read_text()
    assert ("ROWS" in text) if suffix == ".mps" else ("st" in text.split())


def test_write_model_bad_suffix_is_rejected(tmp_path):
    with pytest.raises(ProblemError, match="write_model"):
        solve(
            _instance(0), "p_median", p=2, options=SolverOptions(write_model=tmp_path / "model.txt")
        )


def test_auto_asks_the_scale_method_first_and_takes_the_exact_one_when_it_declines(monkeypatch):
    from planner.optimize.scale import cover

    def never(problem, model, **kw):
        raise AssertionError("a declined problem reached the scale method")

    monkeypatch.setattr(dispatch_mod, "AUTO_EXACT_MAX_PAIRS", 10)
    monkeypatch.setattr(cover, "P_CENTER_MAX_PAIRS", 10)  # large_declines says no
    monkeypatch.setattr(dispatch_mod, "_scale_function", lambda name: never)
    sol = solve(_instance(0), "p_center", p=2)
    assert sol.method == "exact"
    assert sol.status is Status.OPTIMAL


@pytest.mark.parametrize("seed", range(3))
def test_p_center_without_refine_still_opens_p_sites(seed):
    problem = _instance(seed, n=10, m=6)
    sol = solve(problem, "p_center", p=3, options=SolverOptions(refine=False))
    best = min(float(problem.cost[:, list(s)].min(axis=1).max()) for s in _subsets(6, [3]))
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert check_solution(problem, sol, model="p_center", p=3) == []


def test_auto_finishes_an_unproven_scale_plan_with_the_milp(monkeypatch):
    problem = _instance(3, n=12, m=7)
    exact = solve(problem, "p_median", p=2, options=SolverOptions(method="exact"))
    worst = np.argsort(-np.asarray(problem.cost).sum(axis=0))[:2]  # a poor but feasible plan

    def unproven(problem, model, **kw):
        cost = np.asarray(problem.cost)[:, np.sort(worst)]
        objective = float(problem.weight @ cost.min(axis=1))
        return Solution(
            open_sites=np.sort(worst),
            assignment=np.sort(worst)[cost.argmin(axis=1)],
            objective=objective,
            bound=0.5 * exact.objective,
            gap=None,
            status=Status.FEASIBLE,
            runtime_s=0.0,
            model=model,
            method="lagrangian",
            solver="planner",
        )

    monkeypatch.setattr(
        dispatch_mod, "_scale_function", lambda name: unproven if name == "solve_large" else None
    )
    sol = solve(problem, "p_median", p=2)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(exact.objective)
    assert sol.method == "lagrangian+exact"
    assert sol.bound == pytest.approx(exact.bound)
    assert check_solution(problem, sol, model="p_median", p=2) == []


def test_highs_start_that_presolve_improves_is_not_returned_as_the_optimum() -> None:
    """HiGHS 1.16 returns a user start unchanged when presolve maps it to a better point
    of the reduced model and reports that better objective. The backend must notice and
    return a point whose objective is the one reported."""
    from planner.optimize.exact.milp import ArrayMilp, solve_highs
    from planner.optimize.instances import euclidean_cost

    rng = np.random.default_rng(11)
    d = rng.uniform(0, 100, (250, 2))
    s = rng.uniform(0, 100, (45, 2))
    cover = euclidean_cost(d, s) <= 22.0
    cover = cover[cover.any(axis=1)]
    a = sp.csr_array(cover.astype(float))
    m = cover.shape[1]
    lower = np.zeros(m)
    lower[1] = 1.0  # one site required, as the planner's set covering allows
    milp = ArrayMilp(
        c=np.ones(m), lower=lower, upper=np.ones(m), integer=np.ones(m, dtype=bool), A=a,
        row_lower=np.ones(cover.shape[0]), row_upper=np.full(cover.shape[0], np.inf),
    )  # fmt: skip
    # A greedy cover (most uncovered rows first) as the start: 15 sites, the minimum is 12.
    start = lower.copy()
    while not (cover[:, start > 0].any(axis=1)).all():
        left = ~cover[:, start > 0].any(axis=1)
        start[int(np.argmax(cover[left].sum(axis=0)))] = 1.0
    res = solve_highs(milp, time_limit=60.0, seed=0, initial=start)
    plain = solve_highs(milp, time_limit=60.0, seed=0)
    assert res.x is not None
    assert plain.status is Status.OPTIMAL
    assert res.status is Status.OPTIMAL
    assert float(res.x.sum()) == pytest.approx(res.objective)
    assert res.objective == pytest.approx(plain.objective)
    assert (a @ res.x >= 1 - 1e-9).all()


def test_bound_side_follows_the_sense_and_lower_bound_is_a_deprecated_alias() -> None:
    # mclp maximises: its bound is an UPPER bound; p-median minimises: a lower bound.
    rng = np.random.default_rng(5)
    cost = rng.uniform(0.0, 10.0, (30, 8))
    weight = rng.uniform(1.0, 3.0, 30)
    cov = solve(
        Problem(cost, weight), "mclp", p=2, radius=3.0, options=SolverOptions(time_limit=30)
    )
    med = solve(Problem(cost, weight), "p_median", p=2, options=SolverOptions(time_limit=30))
    assert cov.sense == "max"
    assert cov.bound is not None
    assert cov.bound >= cov.objective - 1e-9
    assert med.sense == "min"
    assert med.bound is not None
    assert med.bound <= med.objective + 1e-9
    assert "bound" in cov.to_dict()
    assert "lower_bound" not in cov.to_dict()
    with pytest.warns(DeprecationWarning, match="Solution.bound"):
        assert med.lower_bound == med.bound


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("max_sites", [None, 1, 2, 3])
def test_facility_location_max_sites_matches_brute_force(seed: int, max_sites: int | None) -> None:
    # Without p the opening costs decide how many sites open; max_sites caps the count.
    base = _instance(seed)
    problem = Problem(base.cost, base.weight, opening_cost=base.opening_cost * 0.2)
    c, w, f = problem.cost, problem.weight, problem.opening_cost
    sizes = range(1, 6) if max_sites is None else range(1, max_sites + 1)
    best = min(
        float(f[list(s)].sum() + (w * c[:, list(s)].min(axis=1)).sum()) for s in _subsets(5, sizes)
    )
    sol = solve(problem, "facility_location", max_sites=max_sites)
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(best)
    assert check_solution(problem, sol, model="facility_location", max_sites=max_sites) == []


def test_facility_location_max_sites_is_checked() -> None:
    problem = Problem(np.ones((3, 3)), np.ones(3), opening_cost=np.ones(3), required=[0, 1])
    with pytest.raises(ProblemError, match="max_sites"):
        solve(problem, "facility_location", max_sites=1)
    with pytest.raises(ProblemError, match="not both"):
        solve(problem, "facility_location", max_sites=2, p=2)
    with pytest.raises(ProblemError, match="only to model 'facility_location'"):
        solve(problem, "p_median", p=2, max_sites=2)


def test_a_milp_without_time_to_set_up_is_not_started(monkeypatch):
    # HiGHS does not read its time limit while setting a MIP up: with too little time
    # left it is not started; the warm start (if any) is the plan, unproven.
    from planner.optimize.exact import milp as milp_mod

    monkeypatch.setattr(milp_mod, "HIGHS_SETUP_PER_PASS", 1e12)
    monkeypatch.setattr(milp_mod, "HIGHS_START_SETUP_PER_PASS", 1e12)
    problem = _instance(2, n=30, m=8)
    sol = solve(problem, "p_median", p=3, options=SolverOptions(method="exact", time_limit=60.0))
    assert sol.status is Status.FEASIBLE
    assert "not started" in sol.details["solver_status"]
    assert check_solution(problem, sol, model="p_median", p=3) == []
    cover = solve(
        problem, "mclp", p=2, radius=30.0, options=SolverOptions(method="exact", time_limit=60.0)
    )
    assert cover.status is Status.NO_SOLUTION
    # Without a time limit nothing is skipped.
    assert (
        solve(problem, "p_median", p=3, options=SolverOptions(method="exact")).status
        is Status.OPTIMAL
    )


def test_a_start_that_does_not_fit_stays_the_fallback(monkeypatch):
    from planner.optimize.exact import milp as milp_mod

    monkeypatch.setattr(milp_mod, "HIGHS_START_SETUP_PER_PASS", 1e12)
    problem = _instance(2, n=30, m=8)
    sol = solve(problem, "p_median", p=3, options=SolverOptions(method="exact", time_limit=60.0))
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(_brute_p_median(problem, 3))


def test_dense_pairs_are_sorted_by_row_cost_then_site() -> None:
    from planner.optimize.exact.formulations import build_pairs

    rng = np.random.default_rng(1)
    cost = rng.integers(0, 5, (40, 9)).astype(float)  # many ties
    problem = Problem(cost, np.ones(40), excluded=[2])
    pairs = build_pairs(problem, max_cost=3.0)
    sub = cost[:, np.flatnonzero(~problem.excluded)]
    rows, cols = np.nonzero(sub <= 3.0)
    order = np.lexsort((cols, sub[rows, cols], rows))
    assert pairs.rows.tolist() == rows[order].tolist()
    assert pairs.cols.tolist() == cols[order].tolist()
    assert pairs.cost.tolist() == sub[rows, cols][order].tolist()


def _random_pmedian(seed: int, n: int, m: int) -> Problem:
    rng = np.random.default_rng(seed)
    d, s = rng.random((n, 2)) * 1e4, rng.random((m, 2)) * 1e4
    cost = np.hypot(*(d[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    return Problem(cost, rng.integers(1, 100, n).astype(float))


def test_deterministic_by_default_under_a_time_limit() -> None:
    # Work limits end every stage; no search races the bound: the same plan every time
    # (the limit is only a backstop, and the flag says it was not reached).
    problem = _random_pmedian(4, 600, 80)
    runs = [
        solve(
            problem,
            "p_median",
            p=12,
            options=SolverOptions(time_limit=120.0, seed=5, method=method),
        )
        for method in ("auto", "auto", "heuristic", "heuristic")
    ]
    for sol in runs:
        assert sol.details["time_limit_reached"] is False
        assert "search_beside_swaps" not in sol.details
    assert runs[0].open_sites.tolist() == runs[1].open_sites.tolist()
    assert runs[0].objective == runs[1].objective
    assert runs[2].open_sites.tolist() == runs[3].open_sites.tolist()
    cover = [
        solve(
            problem,
            "mclp",
            p=6,
            radius=1500.0,
            options=SolverOptions(time_limit=120.0, method="heuristic"),
        )
        for _ in range(2)
    ]
    assert cover[0].open_sites.tolist() == cover[1].open_sites.tolist()


def test_not_deterministic_races_a_search_beside_the_bound() -> None:
    problem = _random_pmedian(4, 600, 80)
    sol = solve(
        problem,
        "p_median",
        p=12,
        options=SolverOptions(time_limit=30.0, method="heuristic", deterministic=False),
    )
    assert "search_beside_swaps" in sol.details
    assert check_solution(problem, sol, model="p_median", p=12) == []


# --------------------------------------------------------------------------- HiGHS statuses


def _highs_members() -> list[str]:
    import highspy

    return list(highspy.HighsModelStatus.__members__)


def test_every_highs_model_status_is_in_each_status_table() -> None:
    from planner.optimize.exact.milp import HIGHS_MILP_STATUS
    from planner.optimize.scale.cover import HIGHS_LP_STATUS

    members = set(_highs_members())
    assert len(members) >= 20
    assert set(HIGHS_MILP_STATUS) == members  # no member left out, no stale name
    assert set(HIGHS_LP_STATUS) == members


#: What each HiGHS model status must give a MILP solve without / with a plan in hand
#: (SolverError: raised, never "no plan exists").
_MILP_EXPECTED = {
    "kOptimal": (Status.NO_SOLUTION, Status.OPTIMAL),
    "kModelEmpty": (Status.NO_SOLUTION, Status.OPTIMAL),
    "kInfeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
    "kUnboundedOrInfeasible": (Status.INFEASIBLE, Status.INFEASIBLE),
    **dict.fromkeys(("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt", "kHighsInterrupt", "kObjectiveBound", "kObjectiveTarget", "kMemoryLimit", "kUnbounded", "kNotset", "kUnknown"), (Status.NO_SOLUTION, Status.FEASIBLE)),
    **dict.fromkeys(("kLoadError", "kModelError", "kPresolveError", "kSolveError", "kPostsolveError"), (SolverError, Status.FEASIBLE)),
}  # fmt: skip


@pytest.mark.parametrize("name", _highs_members())
def test_each_highs_model_status_maps_to_its_planner_status(name: str) -> None:
    import highspy

    from planner.optimize.exact.milp import highs_status

    member = highspy.HighsModelStatus.__members__[name]
    without, with_plan = _MILP_EXPECTED[name]
    assert highs_status(member, True, name) is with_plan
    if without is SolverError:
        with pytest.raises(SolverError, match=f"HiGHS stopped with an error \\({name}\\)"):
            highs_status(member, False, name)
    else:
        assert highs_status(member, False, name) is without


@pytest.mark.parametrize("name", _highs_members())
def test_each_highs_model_status_has_one_meaning_for_the_covering_lp(name: str) -> None:
    import highspy

    from planner.optimize.scale.cover import lp_verdict

    verdict = lp_verdict(highspy.HighsModelStatus.__members__[name])
    if name == "kOptimal":
        assert verdict == "bound"  # the only status whose objective is a proven bound
    elif "Error" in name or name in ("kInfeasible", "kUnboundedOrInfeasible", "kUnbounded"):
        assert verdict == "failed"
    else:
        assert verdict in ("stopped", "failed")


def test_a_status_highs_does_not_have_yet_is_a_failure_not_a_verdict() -> None:
    from planner.optimize.exact.milp import highs_status
    from planner.optimize.scale.cover import lp_verdict

    with pytest.raises(SolverError, match="HiGHS stopped with an error"):
        highs_status("kSomethingNew", False, "Something new")
    assert lp_verdict("kSomethingNew") == "failed"


@pytest.mark.parametrize("name", ["kSolveError", "kPresolveError", "kModelError"])
def test_a_highs_error_is_a_solver_error_not_no_plan(name: str) -> None:
    import highspy

    from planner.errors import SolverError
    from planner.optimize.exact.milp import highs_status

    status = getattr(highspy.HighsModelStatus, name)
    with pytest.raises(SolverError, match=r"HiGHS stopped with an error \(Solve error\)"):
        highs_status(status, False, "Solve error")
    assert highs_status(status, True, "Solve error") is Status.FEASIBLE


def test_highs_limits_without_a_plan_read_as_no_solution() -> None:
    import highspy

    from planner.optimize.exact.milp import highs_status

    ms = highspy.HighsModelStatus
    assert highs_status(ms.kTimeLimit, False, "Time limit reached") is Status.NO_SOLUTION
    assert highs_status(ms.kTimeLimit, True, "Time limit reached") is Status.FEASIBLE
    assert highs_status(ms.kInfeasible, False, "Infeasible") is Status.INFEASIBLE
    assert highs_status(ms.kOptimal, True, "Optimal") is Status.OPTIMAL
