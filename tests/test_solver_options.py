"""SolverOptions: the typed, validated knobs of planner.optimize.solve."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, solve
from planner.optimize.exact.milp import DEFAULT_MIP_GAP


def _problem() -> Problem:
    rng = np.random.default_rng(7)
    return Problem(rng.uniform(1.0, 50.0, (30, 8)), rng.uniform(1.0, 5.0, 30))


def test_defaults_are_the_standard_solve() -> None:
    o = SolverOptions()
    assert (o.method, o.solver, o.time_limit, o.seed) == ("auto", "highs", None, 0)
    assert o.mip_gap == DEFAULT_MIP_GAP
    assert o.target_gap == 0.0
    assert o.deterministic
    assert o.warm_start
    assert o.refine
    assert o.bound
    assert not o.verbose
    assert o.write_model is None
    assert o.neighbours is None
    assert solve(_problem(), "p_median", p=2).objective == pytest.approx(
        solve(_problem(), "p_median", p=2, options=o).objective
    )


def test_frozen_keyword_only_and_normalised() -> None:
    o = SolverOptions(time_limit=np.int64(5), seed=np.int32(3), write_model=Path("m.mps"))
    assert o.time_limit == 5.0
    assert type(o.time_limit) is float
    assert o.seed == 3
    assert type(o.seed) is int
    assert o.write_model == "m.mps"
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.seed = 4  # type: ignore[misc]
    with pytest.raises(TypeError):
        SolverOptions("exact")  # type: ignore[misc]
    assert dataclasses.replace(o, method="exact").method == "exact"
    assert SolverOptions(seed=1) == SolverOptions(seed=1)  # a value: equal and hashable
    assert len({SolverOptions(seed=1), SolverOptions(seed=1)}) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "magic"),
        ("solver", "gurobi"),
        ("formulation", "fancy"),
        ("time_limit", 0),
        ("time_limit", -1.0),
        ("time_limit", float("nan")),
        ("time_limit", True),
        ("time_limit", "60"),
        ("seed", -1),
        ("seed", 1.5),
        ("seed", True),
        ("mip_gap", 1.0),
        ("mip_gap", -0.1),
        ("mip_gap", float("nan")),
        ("target_gap", 1.0),
        ("target_gap", "0.1"),
        ("deterministic", 1),
        ("warm_start", "yes"),
        ("refine", None),
        ("verbose", 0),
        ("bound", "no"),
        ("neighbours", 0),
        ("neighbours", 2.5),
        ("write_model", "model.txt"),
    ],
)
def test_a_bad_value_names_its_field(field: str, value: object) -> None:
    extra = {"method": "heuristic"} if field in ("neighbours", "bound") else {}
    with pytest.raises(ProblemError, match=f"`{field}`"):
        SolverOptions(**{field: value, **extra})  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["neighbours", "bound"])
@pytest.mark.parametrize("method", ["auto", "exact"])
def test_heuristic_knobs_need_the_heuristic_method(field: str, method: str) -> None:
    value = 5 if field == "neighbours" else False
    with pytest.raises(ProblemError, match=f"{field} apply only to method 'heuristic'"):
        SolverOptions(method=method, **{field: value})  # type: ignore[arg-type]


def test_solve_refuses_anything_but_solver_options() -> None:
    with pytest.raises(ProblemError, match="SolverOptions"):
        solve(_problem(), "p_median", p=2, options={"method": "exact"})  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="time_limit"):
        solve(_problem(), "p_median", p=2, time_limit=5.0)  # type: ignore[call-arg]


def test_heuristic_knobs_reach_the_heuristic() -> None:
    problem = _problem()
    with_bound = solve(problem, "p_median", p=3, options=SolverOptions(method="heuristic"))
    assert with_bound.bound is not None
    plan_only = solve(
        problem, "p_median", p=3, options=SolverOptions(method="heuristic", bound=False)
    )
    assert plan_only.bound is None
    assert plan_only.gap is None
    assert plan_only.objective == pytest.approx(with_bound.objective)
    few = solve(problem, "p_median", p=3, options=SolverOptions(method="heuristic", neighbours=2))
    assert few.details["neighbours_per_point"] <= 2 + 3  # nearest lists (+ required/p slack)


def test_the_heuristic_refuses_side_constraints_before_solving() -> None:
    problem = _problem()
    heuristic = SolverOptions(method="heuristic")
    with pytest.raises(ProblemError, match="does not take hotspot_rows"):
        solve(problem, "p_median", p=3, hotspot_rows=[0], hotspot_max_cost=60.0, options=heuristic)
    with pytest.raises(ProblemError, match="does not take standards"):
        solve(problem, "mclp", p=3, radius=20.0, standards=[(30.0, 0.5)], options=heuristic)


def test_the_p_median_heuristic_refuses_a_service_radius_it_would_ignore() -> None:
    heuristic = SolverOptions(method="heuristic")
    with pytest.raises(ProblemError, match="does not take `radius`"):
        solve(_problem(), "p_median", p=3, radius=30.0, options=heuristic)
    exact = solve(_problem(), "p_median", p=3, radius=30.0)  # the other methods keep the cut
    assert exact.has_plan
