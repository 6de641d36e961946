"""Time limits: the clock's reserve, and what a solve does when its time is nearly spent.

No timing is asserted. The clock is a fake (``time.perf_counter`` replaced by a counter
the test moves), so "the scale stage used 99 of 100 seconds" happens exactly, whatever
the machine's load; the checks are about the answer's labels and stages.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from planner.optimize import Problem, SolverOptions, Status, dispatch, solve
from planner.optimize.exact import solve as exact_solve
from planner.optimize.exact.milp import new_highs, run_watched
from planner.optimize.solution import relative_gap
from planner.optimize.timing import (
    LOAD_FACTOR_MAX,
    RESERVE_LOADED_MAX_SECONDS,
    Deadline,
    load_factor,
    stage_limit,
)


class FakeClock:
    """A ``perf_counter`` that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(time, "perf_counter", fake)
    return fake


def _problem(n: int, m: int, *, seed: int = 1, **kw: Any) -> Problem:
    rng = np.random.default_rng(seed)
    d = rng.random((n, 2)) * 10_000.0
    s = rng.random((m, 2)) * 10_000.0
    cost = np.hypot(*(d[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 100, n).astype(np.float64)
    return Problem(cost, w, **kw)


def _capacitated(n: int = 60, m: int = 12, p: int = 4) -> tuple[Problem, int]:
    rng = np.random.default_rng(7)
    base = _problem(n, m, seed=7)
    cap = np.full(m, 1.15 * float(base.weight.sum()) / p) * rng.uniform(0.9, 1.1, m)
    return _problem(n, m, seed=7, capacity=cap), p


# ------------------------------------------------------------------ the reserve


def test_stage_limit_reserve_grows_with_the_load_and_stays_capped() -> None:
    assert stage_limit(None) is None
    # Idle machine: 8 % of the limit, at most 0.4 s.
    assert stage_limit(2.0, load=1.0) == pytest.approx(1.84)
    assert stage_limit(10.0, load=1.0) == pytest.approx(9.6)
    # Loaded: the reserve grows with the load factor, to at most 0.8 s or 30 % of the limit.
    assert stage_limit(2.0, load=2.0) == pytest.approx(1.68)
    assert stage_limit(2.0, load=4.0) == pytest.approx(1.4)
    assert stage_limit(10.0, load=4.0) == pytest.approx(10.0 - RESERVE_LOADED_MAX_SECONDS)
    # Beyond LOAD_FACTOR_MAX nothing changes; never less reserve than on an idle machine.
    assert stage_limit(2.0, load=40.0) == stage_limit(2.0, load=LOAD_FACTOR_MAX)
    assert stage_limit(2.0, load=0.1) == stage_limit(2.0, load=1.0)
    for limit in (0.5, 1.0, 2.0, 5.0, 10.0, 60.0):
        for load in (1.0, 1.5, 3.0, 8.0):
            used = stage_limit(limit, load=load)
            assert used is not None
            assert 0.7 * limit <= used < limit


def test_load_factor_is_the_load_per_core_between_one_and_the_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (5.0, 1.0, 1.0))
    assert load_factor() == pytest.approx(2.5)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 1.0, 1.0))
    assert load_factor() == 1.0
    monkeypatch.setattr(os, "getloadavg", lambda: (99.0, 1.0, 1.0))
    assert load_factor() == LOAD_FACTOR_MAX

    def no_load() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", no_load)
    assert load_factor() == 1.0
    monkeypatch.delattr(os, "getloadavg")  # Windows has none
    assert load_factor() == 1.0


def test_deadline_has_and_over(clock: FakeClock) -> None:
    d = Deadline(10.0)
    assert d.has(10.0)
    assert not d.has(10.01)
    assert not d.over(0.5)
    clock.now += 6.0
    assert d.over(0.5)
    assert not d.over()
    assert d.has(4.0)
    assert not d.has(4.5)
    assert Deadline(None).has(1e9)


# ------------------------------------------------------------------ nearly spent


def _spending(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, seconds: float, *, unproven: bool = True
) -> list[str]:
    """Make the scale stage of a solve take ``seconds`` of the fake clock and (with
    ``unproven``) end as one cut short by its limit does: its plan, a bound 2 % below,
    not proven. The names of the scale functions called are returned (filled in as the
    solve runs)."""
    real: Callable[[str], Callable[..., Any]] = dispatch._scale_function
    called: list[str] = []

    def scale_function(name: str) -> Callable[..., Any]:
        fn = real(name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            called.append(name)
            out = fn(*args, **kwargs)
            clock.now += seconds
            if unproven and out.has_plan:
                bound = out.objective - 0.02 * abs(out.objective)
                gap = relative_gap(out.objective, bound)
                out = replace(out, status=Status.FEASIBLE, bound=bound, gap=gap)
            return out

        return timed

    monkeypatch.setattr(dispatch, "_scale_function", scale_function)
    return called


def _no_milp(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the exact stage ran although the time was spent")

    monkeypatch.setattr(dispatch, "solve_exact", never)


@pytest.mark.parametrize("spent", [80.0, 99.0, 150.0])
def test_exact_capacitated_skips_the_milp_when_the_time_is_nearly_spent(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, spent: float
) -> None:
    problem, p = _capacitated()
    called = _spending(monkeypatch, clock, spent)
    _no_milp(monkeypatch)
    sol = solve(
        problem, "capacitated_p_median", p=p,
        options=SolverOptions(method="exact", time_limit=100.0),
    )  # fmt: skip
    assert called == ["solve_large"]  # the scale method with its exact finish, as auto
    assert sol.has_plan
    assert sol.status is Status.FEASIBLE
    assert sol.details["exact_stage_skipped"] == "time"
    assert sol.details["stop_reason"] == "time_limit"
    assert sol.details["time_limit_reached"] is True
    assert sol.bound is not None
    assert sol.gap == pytest.approx(0.02)
    assert sol.quality() == "within 2.00 % of optimal (certified; stopped at the time limit)"
    # runtime_s is the whole call on the (fake) wall clock.
    assert sol.runtime_s == pytest.approx(spent)


def test_exact_facility_location_returns_the_scale_plan_with_its_bound(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    problem = _problem(300, 40, opening_cost=np.full(40, 60_000.0))
    called = _spending(monkeypatch, clock, 95.0)
    _no_milp(monkeypatch)
    sol = solve(
        problem, "facility_location", options=SolverOptions(method="exact", time_limit=100.0)
    )
    assert called == ["solve_large"]
    assert sol.has_plan
    assert sol.status is Status.FEASIBLE
    assert sol.details["exact_stage_skipped"] == "time"
    assert sol.gap == pytest.approx(0.02)
    assert sol.runtime_s == pytest.approx(95.0)


def test_exact_capacitated_runs_the_milp_when_time_is_left(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    problem, p = _capacitated()
    called = _spending(monkeypatch, clock, 10.0)
    sol = solve(
        problem, "capacitated_p_median", p=p,
        options=SolverOptions(method="exact", time_limit=100.0),
    )  # fmt: skip
    assert called == ["solve_large"]
    assert "exact_stage_skipped" not in sol.details
    assert sol.method.endswith("+exact")
    assert sol.status is Status.OPTIMAL
    plain = solve(problem, "capacitated_p_median", p=p, options=SolverOptions(method="exact"))
    assert sol.objective == pytest.approx(plain.objective, rel=1e-9)


def test_p_center_skips_its_tie_break_and_last_solves_when_time_is_short(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    problem = _problem(80, 15, seed=4)
    real = exact_solve._cover_model

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        clock.now += 30.0  # each cover model "takes" 30 s to build
        return out

    monkeypatch.setattr(exact_solve, "_cover_model", slow_build)
    sol = solve(problem, "p_center", p=3, options=SolverOptions(method="exact", time_limit=100.0))
    assert sol.has_plan
    # One cover solve (30 s) leaves 70 s, less than three builds: the search stops
    # unproven, and the tie-break (six builds) is skipped, saying so.
    assert sol.details["n_cover_solves"] == 1
    assert sol.status is Status.FEASIBLE
    assert sol.details["refine_skipped"] == "time"
    assert sol.details["time_limit_reached"] is True  # no promise of the same plan
    assert sol.bound is not None
    assert sol.bound <= sol.objective
    assert sol.runtime_s == pytest.approx(30.0)


@pytest.mark.parametrize("spent", [10.0, 90.0])
def test_exact_p_median_under_a_limit_starts_from_the_scale_method(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, spent: float
) -> None:
    problem = _problem(200, 30, seed=3)
    plain = solve(problem, "p_median", p=5, options=SolverOptions(method="exact"))
    assert plain.method == "exact"  # without a limit: the MILP alone
    called = _spending(monkeypatch, clock, spent)
    # A model small enough to build at once is solved by the MILP alone, limit or not.
    quick = solve(problem, "p_median", p=5, options=SolverOptions(method="exact", time_limit=100.0))
    assert quick.method == "exact"
    assert called == []
    # Predicted to take 20 s to build: a fifth of the limit; the scale method first.
    monkeypatch.setattr(dispatch, "milp_build_seconds", lambda problem, model, load=None: 20.0)
    clock.now += 1_000.0
    if spent > 50.0:
        _no_milp(monkeypatch)
    sol = solve(problem, "p_median", p=5, options=SolverOptions(method="exact", time_limit=100.0))
    assert called == ["solve_large"]
    assert sol.has_plan
    if spent > 50.0:  # too little left for the MILP: the scale plan and its bound
        assert sol.status is Status.FEASIBLE
        assert sol.details["exact_stage_skipped"] == "time"
        assert sol.gap == pytest.approx(0.02)
    else:  # the MILP from the scale plan proves it
        assert sol.status is Status.OPTIMAL
        assert sol.method.endswith("+exact")
        assert sol.objective == pytest.approx(plain.objective, rel=1e-9)
    assert sol.runtime_s == pytest.approx(spent)


def test_a_scale_lp_in_a_phase_without_callbacks_is_left_at_the_limit() -> None:
    """An LP of a scale method (maximal covering's bound) still in presolve or crossover
    past its time: run_watched stops waiting and says there is no answer to read; HiGHS
    ends in the background. Simulated by a run() that returns only when the test lets it."""
    release = threading.Event()
    finished = threading.Event()
    real = new_highs()

    class Busy:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def run(self) -> object:
            release.wait(60)
            try:
                return real.run()
            finally:
                finished.set()

    assert run_watched(Busy(), time_limit=0.0) is False
    assert not release.is_set()
    release.set()
    assert finished.wait(60)
    # A HiGHS that returns is read as usual.
    assert run_watched(new_highs(), time_limit=5.0) is True


def test_p_center_cut_short_is_proven_when_its_plan_meets_the_bound(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """The clock ends the radius search after one cover solve, yet the plan already
    reaches the proven lower bound (every row's nearest site): proven optimal, not
    'feasible, gap 0.00 %'."""
    problem = _problem(60, 8, seed=3)
    real = exact_solve._cover_model

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        out = real(*args, **kwargs)
        clock.now += 30.0
        return out

    monkeypatch.setattr(exact_solve, "_cover_model", slow_build)
    sol = solve(problem, "p_center", p=3, options=SolverOptions(method="exact", time_limit=100.0))
    assert sol.details["n_cover_solves"] == 1  # the search was cut short
    best_possible = float(np.asarray(problem.cost).min(axis=1).max())
    assert sol.objective == pytest.approx(best_possible)
    assert sol.status is Status.OPTIMAL
    assert sol.bound == pytest.approx(sol.objective)
    # its tie-break was skipped: another run with more time may pick another plan
    assert sol.details["time_limit_reached"] is True


@pytest.mark.parametrize("limit", [60.0, None])
def test_facility_location_keeps_its_lists_when_listing_anew_would_not_fit(
    monkeypatch: pytest.MonkeyPatch, limit: float | None
) -> None:
    """The bound's longer lists (points listed anew from the dense matrix, which cannot
    be interrupted) are built only when their predicted time fits in what is left: a 5 s
    solve with a budget spent 4 s building them and ended at 6.4 s. Here every listing is
    predicted to take ages: under a limit the search's lists stay (a weaker, still valid
    bound, and the run says the clock decided); without one the lists are built."""
    from planner.optimize.scale import ufl_lists

    problem = _problem(1500, 120, seed=2, opening_cost=np.full(120, 5e6))
    options = SolverOptions(method="heuristic", time_limit=limit, neighbours=10)
    free = solve(problem, "facility_location", budget=1.5e7, options=options)
    monkeypatch.setattr(ufl_lists, "DENSE_S_PER_PAIR", 1.0)
    sol = solve(problem, "facility_location", budget=1.5e7, options=options)
    assert sol.has_plan
    assert sol.bound is not None
    assert sol.bound <= min(sol.objective, free.objective)
    assert "bound_lists" not in free.details
    if limit is None:
        assert "bound_lists" not in sol.details
        assert sol.objective == free.objective
        assert sol.bound == free.bound
    else:
        assert sol.details["bound_lists"] == "search lists (time)"
        assert sol.details["time_limit_reached"] is True
        assert sol.details["bound_entries"] < free.details["bound_entries"]


def test_capacitated_stopped_by_its_share_of_the_limit_says_the_clock_decided(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    """The capacitated p-median's stages stop at shares of the limit (the branch and bound
    at 97 %), so a run can end unproven before the limit itself has passed: it must say
    ``time_limit_reached`` (docs/models.md promises the same plan only when it is false;
    four runs of one seed gave two plans and three bounds, three of them saying false)."""
    from planner.optimize.scale import cpmp

    base = _problem(200, 30, seed=7)
    rng = np.random.default_rng(7)
    p = 8  # whole loads and capacities: the Lagrangian branch and bound runs
    cap = np.floor(1.05 * float(base.weight.sum()) / p * rng.uniform(0.9, 1.1, 30))
    problem = _problem(200, 30, seed=7, capacity=cap)
    real = cpmp.branch_and_bound
    started: list[bool] = []

    def late(*args: Any, **kwargs: Any) -> Any:
        started.append(True)
        clock.now += 98.0  # the branch and bound starts at 98 % of the limit
        return real(*args, **kwargs)

    monkeypatch.setattr(cpmp, "branch_and_bound", late)
    sol = solve(
        problem, "capacitated_p_median", p=p,
        options=SolverOptions(method="auto", time_limit=100.0),
    )  # fmt: skip
    assert started, "the instance must reach the branch and bound"
    assert sol.has_plan
    assert sol.status is Status.FEASIBLE
    assert sol.details["stop_reason"] == "time_limit"
    assert sol.runtime_s < 100.0  # the limit itself has not passed
    assert sol.details["time_limit_reached"] is True
