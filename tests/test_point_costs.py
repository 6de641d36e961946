"""Straight-line travel that never goes dense: costs computed from coordinates
(PointCosts) give the same plans, bounds, KPIs and outputs as the dense matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.errors import ProblemError
from planner.optimize import Problem, SolverOptions, Status, solve
from planner.optimize.check import nearest_open, pair_cost
from planner.travel import point_costs as point_costs_mod
from planner.travel.point_costs import PointCosts
from planner.travel.straight_line import straight_line_matrix


def _points(n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 20_000, (n, 2)), rng.uniform(0, 20_000, (m, 2)), rng.uniform(1, 9, n)


def _assert_close(a: object, b: object, where: str) -> None:
    """Equal JSON documents up to float rounding (rel 1e-9)."""
    if isinstance(a, dict):
        assert isinstance(b, dict)
        assert a.keys() == b.keys(), where
        for k in a:
            _assert_close(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, list):
        assert isinstance(b, list)
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _assert_close(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, nan_ok=True), where
    else:
        assert a == b, where


def test_travel_goes_lazy_above_the_dense_limit_with_the_same_costs() -> None:
    d, s, _ = _points(300, 40, 1)
    dense = straight_line_matrix(d, s, detour_factor=1.3, speed_kmh=25)
    lazy = straight_line_matrix(d, s, detour_factor=1.3, speed_kmh=25, dense_max_pairs=100)
    assert not dense.is_points
    assert lazy.is_points
    assert lazy.shape == dense.shape
    assert isinstance(lazy.minutes, PointCosts)
    cols = np.array([3, 0, 39])
    assert lazy.minutes.columns(cols) == pytest.approx(dense.minutes[:, cols], rel=1e-12)
    assert lazy.distance_m.toarray() == pytest.approx(dense.distance_m, rel=1e-12)
    rows = np.array([0, 5, 299])
    assert lazy.minutes.pairs(rows, cols) == pytest.approx(dense.minutes[rows, cols], rel=1e-12)


def test_a_problem_on_point_costs_solves_like_the_dense_one() -> None:
    """Same plan quality and a bound that stays below the dense optimum (the lists
    of nearest sites charge every left-out site at most its true cost)."""
    d, s, w = _points(800, 30, 2)
    lazy = PointCosts(d, s, 0.05)
    dense = Problem(lazy.toarray(), w)
    points = Problem(lazy, w)
    assert points.is_points
    exact = solve(dense, "p_median", p=5, options=SolverOptions(time_limit=120, target_gap=0.0))
    assert exact.status is Status.OPTIMAL
    sol = solve(points, "p_median", p=5, options=SolverOptions(time_limit=120, target_gap=0.0))
    assert sol.has_plan
    assert sol.bound is not None
    assert sol.bound <= exact.objective * (1 + 1e-9)
    assert sol.objective >= exact.objective * (1 - 1e-9)
    assert sol.objective == pytest.approx(exact.objective, rel=1e-6)
    site, best = nearest_open(points, sol.open_sites)
    site_d, best_d = nearest_open(dense, sol.open_sites)
    assert best == pytest.approx(best_d, rel=1e-12)
    assert (site == site_d).all()
    assert float(w @ pair_cost(points, np.arange(800), site)) == pytest.approx(sol.objective)


def test_point_costs_refuse_to_go_dense_above_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    d, s, w = _points(50, 10, 3)
    monkeypatch.setattr(point_costs_mod, "POINT_COSTS_DENSE_MAX_PAIRS", 100)
    lazy = PointCosts(d, s, 1.0)
    with pytest.raises(
        ProblemError, match=r"dense 50 x 10 cost matrix .* larger demand.cell_size_m"
    ):
        np.asarray(lazy)
    with pytest.raises(ProblemError, match="dense"):
        solve(Problem(lazy, w), "mclp", p=2, radius=5000.0, options=SolverOptions(method="exact"))
    with pytest.raises(ProblemError, match="finite coordinates"):
        PointCosts(np.array([[0.0, np.nan]]), s)


def test_scenario_outputs_and_kpis_match_between_dense_and_lazy_travel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tiny scenario run twice, once forced onto costs from coordinates: the same
    plan, the same KPIs (plan and baseline), every output written."""
    import json

    from scenario_fixtures import write_tiny_data, write_tiny_scenario

    import planner.travel.straight_line as travel
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import run_scenario

    write_tiny_data(tmp_path)
    config = load_scenario(write_tiny_scenario(tmp_path))
    dense = run_scenario(config, out_dir=tmp_path / "dense")
    monkeypatch.setattr(travel, "DENSE_MAX_PAIRS", 10)
    lazy = run_scenario(config, out_dir=tmp_path / "lazy")
    assert lazy.inputs.travel.is_points
    assert not dense.inputs.travel.is_points
    assert lazy.solution.open_sites.tolist() == dense.solution.open_sites.tolist()
    assert lazy.solution.objective == pytest.approx(dense.solution.objective, rel=1e-9)
    a = json.loads((tmp_path / "dense" / "kpis.json").read_text(encoding="utf-8"))
    b = json.loads((tmp_path / "lazy" / "kpis.json").read_text(encoding="utf-8"))
    for part in ("plan", "baseline", "comparison", "tradeoff"):
        _assert_close(a[part], b[part], part)
    assert sorted(p.name for p in (tmp_path / "lazy").iterdir()) == sorted(
        p.name for p in (tmp_path / "dense").iterdir()
    )
