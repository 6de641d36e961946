"""Facility location without a hidden p: the opening costs decide how many halls open.

Regression for a scenario default of ``p = 8`` that was passed to facility location, so
the Wuhan demo kept exactly today's 8 halls whatever the opening cost and reported
"proven optimal". The demo runs at 2,000 m cells here (235 demand cells, 209 sites).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.app import state as app_state
from planner.optimize import Status, check_solution, solve
from planner.runs.config import ScenarioConfig, load_scenario
from planner.runs.options import solve_options
from planner.runs.pipeline import build_problem, load_inputs

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
