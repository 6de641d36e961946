"""The model table is the one place that says what each model needs and optimises."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from planner.errors import ProblemError
from planner.optimize import MODEL_TABLE, MODELS, Problem, SolverOptions, model_spec, solve
from planner.runs.config import ModelName


def _problem() -> Problem:
    rng = np.random.default_rng(3)
    cost = rng.uniform(1.0, 10.0, (12, 5))
    weight = rng.integers(1, 5, 12).astype(float)
    return Problem(cost, weight, capacity=np.full(5, 30.0), opening_cost=np.full(5, 5.0))


def _arguments(name: str) -> dict[str, object]:
    spec = MODEL_TABLE[name]
    args: dict[str, object] = {}
    if spec.p == "required":
        args["p"] = 2
    if spec.radius == "required":
        args["radius"] = 8.0
    return args


def test_the_scenario_file_accepts_exactly_the_table_models() -> None:
    assert get_args(ModelName) == MODELS


def test_unknown_model_is_a_clear_error() -> None:
    with pytest.raises(ProblemError, match="unknown `model` 'p_medain'; choose one of p_median"):
        model_spec("p_medain")
    with pytest.raises(ProblemError, match="unknown `model`"):
        solve(_problem(), "p_medain", p=2)


@pytest.mark.parametrize("name", MODELS)
def test_every_model_solves_with_what_the_table_asks_and_in_its_sense(name: str) -> None:
    sol = solve(_problem(), name, **_arguments(name), options=SolverOptions(method="exact"))  # type: ignore[arg-type]
    assert sol.has_plan
    assert sol.sense == MODEL_TABLE[name].sense


@pytest.mark.parametrize("name", [m for m in MODELS if MODEL_TABLE[m].p == "required"])
def test_models_that_need_p_refuse_to_run_without_it(name: str) -> None:
    args = _arguments(name)
    del args["p"]
    with pytest.raises(ProblemError, match="needs `p`"):
        solve(_problem(), name, **args, options=SolverOptions(method="exact"))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [m for m in MODELS if MODEL_TABLE[m].p == "no"])
def test_models_without_p_refuse_it(name: str) -> None:
    with pytest.raises(ProblemError, match="`p` does not apply"):
        solve(_problem(), name, p=2, **_arguments(name))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", [m for m in MODELS if MODEL_TABLE[m].radius == "no"])
def test_models_without_radius_refuse_it(name: str) -> None:
    with pytest.raises(ProblemError, match="`radius` does not apply"):
        solve(_problem(), name, radius=5.0, **_arguments(name))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", MODELS)
def test_the_heuristic_method_runs_exactly_for_the_models_the_table_names(name: str) -> None:
    if "heuristic" in MODEL_TABLE[name].methods:
        problem = _problem()
        if MODEL_TABLE[name].capacity == "optional":  # its heuristic is uncapacitated
            problem = Problem(problem.cost, problem.weight, opening_cost=problem.opening_cost)
        sol = solve(problem, name, **_arguments(name), options=SolverOptions(method="heuristic"))  # type: ignore[arg-type]
        assert sol.has_plan
    else:
        with pytest.raises(ProblemError, match="heuristic"):
            solve(_problem(), name, **_arguments(name), options=SolverOptions(method="heuristic"))  # type: ignore[arg-type]
