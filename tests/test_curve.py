"""The warm-started p-median curve (planner.optimize.curve) and the trade-off output."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pytest
from scenario_fixtures import write_tiny_scenario

from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, Status, check_solution, solve
from planner.optimize.curve import p_median_curve


def _problem(n: int = 300, m: int = 40, seed: int = 3, **kwargs: object) -> Problem:
    rng = np.random.default_rng(seed)
    d = rng.random((n, 2)) * 1000.0
    s = rng.random((m, 2)) * 1000.0
    cost = np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))
    w = rng.integers(1, 20, n).astype(float)
    return Problem(cost, w, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.slow  # over 10 s on a loaded 2-core machine
def test_each_point_is_a_feasible_plan_within_its_certified_gap(workers: int) -> None:
    problem = _problem()
    sols = p_median_curve(problem, range(2, 9), target_gap=1e-3, workers=workers)
    assert [s.p for s in sols] == list(range(2, 9))
    for s in sols:
        assert check_solution(problem, s, model="p_median", p=s.p) == []
        assert s.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert s.bound is not None
        assert s.bound <= s.objective + 1e-6
        assert s.gap is not None
        assert s.gap <= 1e-3 + 1e-12
        exact = solve(problem, "p_median", p=s.p, options=SolverOptions(method="exact"))
        assert exact.status is Status.OPTIMAL
        # the certificate holds against the proven optimum
        assert s.bound <= exact.objective + 1e-6
        assert s.objective <= exact.objective * (1 + 1e-3) + 1e-6
    # one run per worker: the first point of each starts from scratch, the rest warm
    starts = [s.details["warm_start"] for s in sols]
    assert starts.count("greedy") == workers
    assert sols[0].details["warm_start"] == "greedy"


def test_target_gap_zero_proves_the_optimum() -> None:
    problem = _problem(n=120, m=20, seed=5)
    for s in p_median_curve(problem, [3, 5, 4], target_gap=0.0, workers=1):
        exact = solve(problem, "p_median", p=s.p, options=SolverOptions(method="exact"))
        assert s.objective == pytest.approx(exact.objective, rel=1e-9)


def test_objective_never_rises_with_p_and_required_sites_stay_open() -> None:
    problem = _problem(required=[7, 11])
    sols = p_median_curve(problem, range(2, 10), target_gap=0.0, workers=2)
    objs = [s.objective for s in sols]
    assert all(b <= a + 1e-6 for a, b in itertools.pairwise(objs))
    for s in sols:
        assert {7, 11} <= set(s.open_sites.tolist())


def test_same_seed_same_curve() -> None:
    problem = _problem(seed=8)
    a = p_median_curve(problem, range(1, 7), seed=4)
    b = p_median_curve(problem, range(1, 7), seed=4)
    assert [s.open_sites.tolist() for s in a] == [s.open_sites.tolist() for s in b]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p_values": []}, "empty"),
        ({"p_values": [0, 2]}, "between"),
        ({"p_values": [2, 41]}, "between"),
        ({"p_values": ["a"]}, "whole numbers"),
        ({"p_values": [2], "target_gap": 1.5}, "target_gap"),
        ({"p_values": [2], "workers": 0}, "workers"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ProblemError, match=message):
        p_median_curve(_problem(), **kwargs)  # type: ignore[arg-type]


def test_p_below_the_required_sites_is_refused() -> None:
    with pytest.raises(ProblemError, match="must stay open"):
        p_median_curve(_problem(required=[1, 2, 3]), [2, 3])


def test_the_run_s_tradeoff_uses_the_curve_and_keeps_the_plan(tmp_path: Path) -> None:
    from planner.runs.config import load_scenario
    from planner.runs.outputs import tradeoff
    from planner.runs.pipeline import run_scenario

    path = write_tiny_scenario(tmp_path)
    cfg = load_scenario(path)
    cfg = cfg.model_copy(update={"outputs": cfg.outputs.model_copy(update={"tradeoff_max_p": 5})})
    result = run_scenario(cfg)
    curve = tradeoff(result)
    assert curve is not None
    low = max(1, int(result.inputs.sites["keep"].sum()))
    assert curve["p"].tolist() == list(range(low, 6))
    row = curve.loc[curve["p"] == result.solution.p].iloc[0]
    assert row["objective"] == pytest.approx(result.solution.objective)
    # above the size limit the curve is left out unless asked for
    few = cfg.outputs.model_copy(update={"tradeoff_max_p": 5, "tradeoff_max_points": 3})
    small = run_scenario(cfg.model_copy(update={"outputs": few}), inputs=result.inputs)
    assert tradeoff(small) is None


def test_costs_from_coordinates_give_the_same_curve_as_the_dense_matrix() -> None:
    from planner.travel.point_costs import PointCosts

    rng = np.random.default_rng(9)
    d, s = rng.random((400, 2)) * 1000.0, rng.random((30, 2)) * 1000.0
    w = rng.integers(1, 9, 400).astype(float)
    dense = Problem(np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2)), w)
    points = Problem(PointCosts(d, s), w)
    a = p_median_curve(dense, range(2, 7), target_gap=0.0, workers=1)
    b = p_median_curve(points, range(2, 7), target_gap=0.0, workers=2)
    for x, y in zip(a, b, strict=True):
        assert y.objective == pytest.approx(x.objective, rel=1e-9)
        assert check_solution(dense, y, model="p_median", p=y.p) == []


def test_the_tradeoff_over_an_asked_range_reports_each_point_of_the_warm_started_curve(
    tmp_path: Path,
) -> None:
    from planner.runs.config import load_scenario
    from planner.runs.outputs import tradeoff
    from planner.runs.pipeline import run_scenario

    cfg = load_scenario(write_tiny_scenario(tmp_path))
    cfg = cfg.model_copy(update={"solver": cfg.solver.model_copy(update={"method": "heuristic"})})
    result = run_scenario(cfg)
    seen: list[tuple[int, int]] = []
    curve = tradeoff(result, p_range=(5, 2), progress=lambda d, n: seen.append((d, n)))
    assert curve is not None
    assert curve["p"].tolist() == sorted({2, 3, 4, 5, result.solution.p})
    others = len(curve) - 1
    assert seen == [(k, others) for k in range(others + 1)]  # before, then after each p


def test_curve_progress_counts_every_point_in_the_callers_thread() -> None:
    problem = _problem()
    seen: list[tuple[int, int, str]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total, threading.current_thread().name))

    for workers in (1, 2):
        seen.clear()
        sols = p_median_curve(problem, range(2, 9), workers=workers, progress=progress)
        assert [(d, n) for d, n, _ in seen] == [(k, 7) for k in range(8)]
        assert {name for *_, name in seen} == {threading.current_thread().name}
        assert len(sols) == 7
