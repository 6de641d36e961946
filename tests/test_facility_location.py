"""Facility location without a hidden p: the opening costs decide how many halls open.

Regression for a scenario default of ``p = 8`` that was passed to facility location, so
the Wuhan demo kept exactly today's 8 halls whatever the opening cost and reported
"proven optimal". The demo runs at 2,000 m cells here (235 demand cells, 209 sites).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from planner.app import state as app_state
from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, Status, check_solution, solve
from planner.runs.config import ScenarioConfig, load_scenario
from planner.runs.options import solve_options
from planner.runs.pipeline import build_problem, load_inputs, run_scenario

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenarios" / "wuhan_demo.toml"


def _facility_location(opening_cost: float, **model: object) -> ScenarioConfig:
    cfg = load_scenario(DEMO)
    data = cfg.model.model_dump()
    data.update(name="facility_location", p=None, opening_cost=opening_cost, **model)
    return cfg.model_copy(
        update={
            "demand": cfg.demand.model_copy(update={"cell_size_m": 2000.0}),
            "model": type(cfg.model).model_validate(data),
        }
    )


@pytest.fixture(scope="module")
def demo_inputs():  # type: ignore[no-untyped-def]
    return load_inputs(_facility_location(1000.0))


def _today_plus_best_single_site(problem) -> float:  # type: ignore[no-untyped-def]
    """Independent of the solver: today's halls plus the one extra site that helps most."""
    cost = np.asarray(problem.cost)
    w = problem.weight
    today = problem.existing
    served = cost[:, today].min(axis=1)
    base = float((w * served).sum())
    best = base
    for j in np.flatnonzero(~today & ~problem.excluded):
        value = float((w * np.minimum(served, cost[:, j])).sum()) + problem.opening_cost[j]
        best = min(best, value)
    return best


def test_scenario_default_sets_no_p() -> None:
    cfg = load_scenario(DEMO)
    assert cfg.model.p == 12  # given explicitly in the demo file
    assert type(cfg.model)().p is None


def test_small_opening_cost_opens_more_halls_than_today(demo_inputs) -> None:  # type: ignore[no-untyped-def]
    cfg = _facility_location(1000.0)
    problem = build_problem(demo_inputs, cfg)
    options = solve_options(demo_inputs, cfg)
    assert "p" not in options
    sol = solve(problem, **options)
    n_today = int(problem.existing.sum())
    assert n_today == 8
    assert sol.status is Status.OPTIMAL
    assert sol.p > n_today
    assert sol.objective <= _today_plus_best_single_site(problem) + 1e-6
    assert check_solution(problem, sol, model="facility_location") == []


def test_max_sites_caps_the_count_and_budget_one_keeps_todays_halls(demo_inputs) -> None:  # type: ignore[no-untyped-def]
    cfg = _facility_location(1000.0, max_sites=10)
    problem = build_problem(demo_inputs, cfg)
    sol = solve(problem, **solve_options(demo_inputs, cfg))
    assert sol.p == 10
    assert check_solution(problem, sol, model="facility_location", max_sites=10) == []
    # A budget too small for any new hall still has a plan: today's halls (they cost nothing).
    cfg = _facility_location(1000.0, budget=1.0)
    problem = build_problem(demo_inputs, cfg)
    sol = solve(problem, **solve_options(demo_inputs, cfg))
    assert sol.has_plan
    assert sol.open_sites.tolist() == np.flatnonzero(problem.existing).tolist()


def test_app_facility_location_carries_no_hidden_p() -> None:
    demo = load_scenario(DEMO)
    state = app_state.state_from_config(demo)
    state.update(model_name="facility_location", opening_cost=1000.0, data_source="demo")
    cfg = app_state.config_from_state(state, demo=demo)
    assert cfg.model.p is None
    assert cfg.model.max_sites is None
    state["max_sites"] = 20
    cfg = app_state.config_from_state(state, demo=demo)
    assert cfg.model.max_sites == 20


# --------------------------------------------------------------------------- scale method
#
# The scale method (greedy from the dual ascent, add / drop / swap search, Lagrangian
# bound) against brute force on tiny instances and the exact MILP on small ones.


def _brute_force(problem, *, p=None, max_sites=None, radius=None) -> float:  # type: ignore[no-untyped-def]
    """The optimum by trying every set of sites (inf when none is feasible)."""
    cost = np.asarray(problem.cost, dtype=float)
    if radius is not None:
        cost = np.where(cost <= radius, cost, np.inf)
    w = problem.weight
    s = problem.closing_saving if problem.closing_saving is not None else np.zeros(problem.n_sites)
    keep_cost = np.where(problem.existing, s, problem.opening_cost)
    constant = -float(s[problem.existing].sum())
    allowed = np.flatnonzero(~problem.excluded)
    required = set(np.flatnonzero(problem.required).tolist())
    best = np.inf
    for k in range(1, allowed.size + 1):
        if (p is not None and k != p) or (max_sites is not None and k > max_sites):
            continue
        for subset in itertools.combinations(allowed.tolist(), k):
            if not required <= set(subset):
                continue
            served = cost[:, list(subset)].min(axis=1)
            if not np.isfinite(served[w > 0]).all():
                continue
            value = float(np.dot(w[w > 0], served[w > 0])) + keep_cost[list(subset)].sum()
            best = min(best, value + constant)
    return best


def _heuristic_refuses(problem, model) -> bool:  # type: ignore[no-untyped-def]
    if "radius" not in model:
        return False
    within = np.asarray(problem.cost)[:, ~problem.excluded] <= model["radius"]
    return len(model) > 1 or bool((~within.any(axis=1) & (problem.weight > 0)).any())


def _tiny(seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    n, m = int(rng.integers(3, 14)), int(rng.integers(2, 8))
    existing = rng.random(m) < 0.3
    required = (rng.random(m) < 0.15) & ~existing
    excluded = (rng.random(m) < 0.15) & ~required
    excluded[int(rng.integers(m))] = False
    required &= ~excluded
    weight = rng.integers(0, 5, n).astype(float)
    weight[0] = max(weight[0], 1.0)
    problem = Problem(
        rng.integers(0, 50, (n, m)).astype(float), weight,
        opening_cost=rng.integers(0, 80, m).astype(float),
        closing_saving=rng.integers(-20, 60, m).astype(float),
        existing=existing, required=required, excluded=excluded,
    )  # fmt: skip
    n_allowed = int((~excluded).sum())
    lo = max(int(required.sum()), 1)
    pick = rng.random()
    model: dict[str, object] = {}
    if pick < 0.2:
        model["p"] = int(rng.integers(lo, n_allowed + 1))
    elif pick < 0.4:
        model["max_sites"] = int(rng.integers(lo, n_allowed + 1))
    if rng.random() < 0.3:
        model["radius"] = float(rng.integers(20, 50))
    return problem, model


@pytest.mark.parametrize("method", ["heuristic", "auto", "exact"])
def test_every_method_matches_brute_force_on_tiny_instances(method: str) -> None:
    checked = proven = 0
    for seed in range(80):
        problem, model = _tiny(seed)
        best = _brute_force(problem, **model)  # type: ignore[arg-type]
        options = SolverOptions(method=method)
        if method == "heuristic" and _heuristic_refuses(problem, model):
            # A count limit with a service radius, or a point out of reach: exact only.
            with pytest.raises(ProblemError, match="method='exact'"):
                solve(problem, "facility_location", **model, options=options)  # type: ignore[arg-type]
            continue
        sol = solve(problem, "facility_location", **model, options=options)  # type: ignore[arg-type]
        if not np.isfinite(best):
            assert sol.status is Status.INFEASIBLE
            continue
        checked += 1
        assert check_solution(problem, sol, model="facility_location", **model) == []  # type: ignore[arg-type]
        assert sol.objective >= best - 1e-9
        assert sol.bound is not None
        assert sol.bound <= best + 1e-9
        if sol.status is Status.OPTIMAL:
            proven += 1
            assert sol.objective == pytest.approx(best, abs=1e-9)
    assert checked >= 40
    assert proven >= 0.9 * checked  # the Lagrangian bound proves nearly all tiny cases


def _city(n: int, m: int, seed: int = 0, opening: float = 20_000.0, **extra):  # type: ignore[no-untyped-def]
    """A random 10 km square town: straight-line metres, weights 1-99."""
    rng = np.random.default_rng(seed)
    demand = rng.random((n, 2)) * 10_000.0
    sites = rng.random((m, 2)) * 10_000.0
    cost = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1)).round()
    weight = rng.integers(1, 100, n).astype(float)
    return Problem(cost, weight, opening_cost=np.full(m, opening * n / 100.0), **extra)


def test_scale_method_reaches_the_milp_optimum_with_existing_halls() -> None:
    rng = np.random.default_rng(3)
    existing = np.zeros(60, dtype=bool)
    existing[rng.choice(60, 6, replace=False)] = True
    problem = _city(400, 60, seed=3, existing=existing,
                    closing_saving=np.where(existing, 50_000.0, 0.0))  # fmt: skip
    exact = solve(
        problem, "facility_location", options=SolverOptions(method="exact", warm_start=False)
    )
    heuristic = solve(problem, "facility_location", options=SolverOptions(method="heuristic"))
    assert exact.status is Status.OPTIMAL
    assert heuristic.method == "heuristic"
    assert heuristic.objective == pytest.approx(exact.objective, rel=1e-9)
    assert heuristic.bound <= exact.objective + 1e-6
    assert check_solution(problem, heuristic, model="facility_location") == []
    closed = heuristic.details["existing_closed"]
    assert closed == exact.details["existing_closed"]


def test_bound_stays_valid_on_cut_neighbour_lists() -> None:
    problem = _city(300, 50, seed=5)
    exact = solve(problem, "facility_location", options=SolverOptions(method="exact"))
    for k in (2, 4, 8):
        cut = solve(problem, "facility_location",
                    options=SolverOptions(method="heuristic", neighbours=k))  # fmt: skip
        assert cut.bound <= exact.objective + 1e-6
        assert cut.objective >= exact.objective - 1e-6
        assert check_solution(problem, cut, model="facility_location") == []


def test_max_sites_and_p_are_kept_by_the_scale_method() -> None:
    problem = _city(500, 60, seed=2, opening=2_000.0)
    free = solve(problem, "facility_location", options=SolverOptions(method="heuristic"))
    assert free.p > 10
    capped = solve(problem, "facility_location", max_sites=6,
                   options=SolverOptions(method="heuristic"))  # fmt: skip
    exact = solve(problem, "facility_location", max_sites=6, options=SolverOptions(method="exact"))
    assert capped.p <= 6
    assert capped.bound <= exact.objective + 1e-6 <= capped.objective + 2e-6
    fixed = solve(problem, "facility_location", p=4, options=SolverOptions(method="heuristic"))
    assert fixed.p == 4
    assert check_solution(problem, fixed, model="facility_location", p=4) == []


def test_exact_under_a_short_time_limit_falls_back_to_the_scale_plan() -> None:
    # The MILP (about 400,000 columns) cannot set up within a second; the answer is
    # the warm start -- the scale method's plan with its bound -- never "no plan".
    problem = _city(2_000, 200, seed=0)
    sol = solve(problem, "facility_location", options=SolverOptions(method="exact", time_limit=1.0))
    assert sol.has_plan
    assert sol.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert check_solution(problem, sol, model="facility_location") == []


def test_auto_routes_large_instances_to_the_scale_method_and_is_deterministic() -> None:
    problem = _city(2_500, 1_700, seed=1)  # 4.25 M pairs: above the exact limit of auto
    first = solve(problem, "facility_location", options=SolverOptions(seed=4))
    again = solve(problem, "facility_location", options=SolverOptions(seed=4))
    assert first.method.startswith("lagrangian")
    assert not first.details["time_limit_reached"]
    assert first.open_sites.tolist() == again.open_sites.tolist()
    assert first.objective == again.objective
    assert first.bound == again.bound
    assert first.gap is not None
    assert first.gap < 0.01
    assert check_solution(problem, first, model="facility_location") == []


def test_heuristic_refuses_what_it_does_not_cover() -> None:
    problem = _city(50, 10, seed=0, capacity=np.full(10, 1e9))
    with pytest.raises(ProblemError, match="capacitated"):
        solve(problem, "facility_location", options=SolverOptions(method="heuristic"))
    plain = _city(50, 10, seed=0)
    with pytest.raises(ProblemError, match="budget"):
        solve(
            plain,
            "facility_location",
            budget=1e6,
            radius=5_000.0,
            options=SolverOptions(method="heuristic"),
        )


def test_run_scenario_facility_location_with_the_scale_method(demo_inputs) -> None:  # type: ignore[no-untyped-def]
    cfg = _facility_location(1000.0)
    cfg = cfg.model_copy(update={"solver": cfg.solver.model_copy(update={"method": "heuristic"})})
    result = run_scenario(cfg, inputs=demo_inputs)
    sol, problem = result.solution, result.problem
    exact = solve(problem, **solve_options(demo_inputs, _facility_location(1000.0)))
    assert sol.method == "heuristic"
    assert check_solution(problem, sol, model="facility_location") == []
    assert sol.objective == pytest.approx(exact.objective, rel=1e-3)
    assert sol.bound <= exact.objective + 1e-6
