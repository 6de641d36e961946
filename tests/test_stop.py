"""A run can be stopped: the stop token of a solve, of HiGHS, of the pipeline and of the CLI.

No timing is asserted: the tokens are set before the run, from inside a stage, or by a
signal while a subprocess waits at a known point, and the checks are about what the
run returns or leaves (labels, statuses, stages, folders, exit codes).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from scenario_fixtures import write_tiny_scenario

from planner.errors import ProblemError, RunStoppedError
from planner.optimize import Problem, SolverOptions, Status, solve
from planner.optimize.exact import milp as milp_module
from planner.optimize.timing import Deadline, carry_stop, current_stop, due, stop_scope


def _problem(n: int = 120, m: int = 25, *, seed: int = 3, **kw: object) -> Problem:
    rng = np.random.default_rng(seed)
    d = rng.random((n, 2)) * 10_000.0
    s = rng.random((m, 2)) * 10_000.0
    cost = np.hypot(*(d[:, None, :] - s[None, :, :]).transpose(2, 0, 1))
    w = rng.integers(1, 100, n).astype(np.float64)
    return Problem(cost, w, **kw)  # type: ignore[arg-type]


def _set() -> threading.Event:
    ev = threading.Event()
    ev.set()
    return ev


# ------------------------------------------------------------------ the clock


def test_deadline_reads_the_stop_token() -> None:
    ev = threading.Event()
    clock = Deadline(None, stop=ev)
    assert not clock.expired()
    assert clock.left() is None
    ev.set()
    assert clock.stopped()
    assert clock.expired()
    assert clock.left() is None  # the budget is time only; stages check the token
    assert not clock.past_limit()  # stopped is not "time limit reached"


def test_stop_scope_is_per_thread_and_carried_into_threads() -> None:
    ev = _set()
    seen: list[object] = []
    with stop_scope(ev):
        assert current_stop() is ev
        assert due(float("inf"))
        assert Deadline(10.0).stopped()  # the clock takes the scope's token
        plain = threading.Thread(target=lambda: seen.append(current_stop()))
        carried = threading.Thread(target=carry_stop(lambda: seen.append(current_stop())))
        for t in (plain, carried):
            t.start()
            t.join()
        with stop_scope(None):  # None keeps the enclosing token
            assert current_stop() is ev
    assert seen == [None, ev]
    assert current_stop() is None
    assert not due(float("inf"))


def test_a_stop_without_is_set_is_a_clear_error() -> None:
    with pytest.raises(ProblemError, match="`stop` must be None or have an is_set"):
        SolverOptions(stop=True)  # type: ignore[arg-type]


# ------------------------------------------------------------------ every model and method

CASES = [
    ("p_median", "auto", {"p": 5}),
    ("p_median", "exact", {"p": 5}),
    ("p_median", "heuristic", {"p": 5}),
    ("mclp", "auto", {"p": 5, "radius": 2_000.0}),
    ("mclp", "exact", {"p": 5, "radius": 2_000.0}),
    ("mclp", "heuristic", {"p": 5, "radius": 2_000.0}),
    ("lscp", "auto", {"radius": 3_000.0}),
    ("lscp", "exact", {"radius": 3_000.0}),
    ("p_center", "auto", {"p": 5}),
    ("p_center", "exact", {"p": 5}),
    ("capacitated_p_median", "auto", {"p": 5}),
    ("capacitated_p_median", "exact", {"p": 5}),
    ("capacitated_p_median", "heuristic", {"p": 5}),
    ("facility_location", "auto", {}),
    ("facility_location", "exact", {}),
]


def _case_problem(model: str) -> Problem:
    if model == "capacitated_p_median":
        plain = _problem()
        return _problem(capacity=np.full(25, 1.3 * plain.weight.sum() / 5))
    if model == "facility_location":
        return _problem(opening_cost=np.full(25, 300_000.0))
    return _problem()


@pytest.mark.parametrize(("model", "method", "kw"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_an_already_set_token_is_labelled_and_never_proven(
    model: str, method: str, kw: dict[str, float]
) -> None:
    problem = _case_problem(model)
    sol = solve(problem, model, options=SolverOptions(method=method, stop=_set()), **kw)  # type: ignore[arg-type]
    assert sol.details["stop_reason"] == "stopped"
    assert sol.details["stopped_by_user"] is True
    assert sol.details["time_limit_reached"] is False  # no limit was set
    assert sol.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    assert "stopped by the user" in sol.quality()
    assert "proven" not in sol.quality()
    if sol.has_plan and sol.bound is not None:
        assert sol.gap is not None
        assert sol.gap >= 0.0
    if not sol.has_plan:
        codes = [f["code"] for f in sol.details["diagnosis"]["findings"]]
        assert codes == ["stopped_by_user"]
        assert "does not mean that no plan exists" in sol.details["message"]
    status = str(sol.details.get("solver_status", ""))
    if status:  # a MILP: never run to its end
        assert "stopped by the user" in status


@pytest.mark.parametrize("solver", ["cbc", "highs_pulp"])
def test_pulp_solvers_are_not_started_once_stopped(solver: str) -> None:
    options = SolverOptions(method="exact", solver=solver, stop=_set())
    sol = solve(_problem(), "p_median", p=5, options=options)  # type: ignore[arg-type]
    assert sol.details["solver_status"] == "not started: stopped by the user"
    assert sol.status is Status.NO_SOLUTION  # no warm start for PuLP: no plan yet


def test_an_unset_token_changes_nothing() -> None:
    problem = _problem()
    plain = solve(problem, "p_median", p=5)
    with_token = solve(problem, "p_median", p=5, options=SolverOptions(stop=threading.Event()))
    assert with_token.status is Status.OPTIMAL
    assert np.array_equal(plain.open_sites, with_token.open_sites)
    assert "stop_reason" not in with_token.details or with_token.details["stop_reason"] != "stopped"


def test_the_scale_search_stops_at_its_next_check() -> None:
    # The token is set by the first check itself: the work done is one step of each stage.
    problem = _problem(400, 60)
    full = solve(problem, "p_median", p=8, options=SolverOptions(method="heuristic"))
    stopped = solve(
        problem, "p_median", p=8, options=SolverOptions(method="heuristic", stop=_set())
    )
    assert stopped.status is Status.FEASIBLE
    assert stopped.has_plan
    assert stopped.details["lagrangian_iterations"] < full.details["lagrangian_iterations"]
    assert stopped.objective >= full.objective


# ------------------------------------------------------------------ HiGHS


def test_highs_stops_in_its_callback_and_keeps_its_incumbent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The token is set while HiGHS runs (in its first interrupt callback, as a Stop click
    from another thread would): HiGHS stops there, keeping the warm start as its plan."""
    ev = threading.Event()
    calls: list[int] = []
    real = milp_module.interrupt_check

    def set_on_first_call(stop, wall_end, flags):  # type: ignore[no-untyped-def]
        check = real(stop, wall_end, flags)

        def wrapped() -> bool:
            calls.append(1)
            ev.set()
            return check()

        return wrapped

    monkeypatch.setattr(milp_module, "interrupt_check", set_on_first_call)
    problem = _problem(300, 60, seed=5)
    sol = solve(problem, "p_median", p=6, options=SolverOptions(method="exact", stop=ev))
    assert calls, "HiGHS never called back"
    assert "stopped by the user" in sol.details["solver_status"]
    assert sol.status is Status.FEASIBLE
    assert sol.has_plan
    assert sol.details["stop_reason"] == "stopped"
    full = solve(problem, "p_median", p=6, options=SolverOptions(method="exact"))
    assert full.status is Status.OPTIMAL
    assert sol.objective >= full.objective - 1e-6 * abs(full.objective)


def test_highs_stops_at_the_wall_clock_end_through_its_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The callback's clock: a wall-clock end already past interrupts HiGHS at its first
    callback, labelled as the time limit (not as a user stop)."""
    real = milp_module.interrupt_check

    def ended(stop, wall_end, flags):  # type: ignore[no-untyped-def]
        return real(stop, float("-inf"), flags)

    monkeypatch.setattr(milp_module, "interrupt_check", ended)
    sol = solve(
        _problem(300, 60, seed=5),
        "p_median",
        p=6,
        radius=1e12,  # a cut that cuts nothing: the MILP path whatever the load
        options=SolverOptions(method="exact", time_limit=60),
    )
    assert sol.details["solver_status"].endswith("time limit reached")
    assert sol.status is Status.FEASIBLE
    assert sol.details["time_limit_reached"] is True
    assert "stopped by the user" not in sol.quality()


def test_a_stop_during_a_phase_without_callbacks_returns_without_waiting_for_highs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """HiGHS's presolve calls no callback: a Stop there returns what there was before
    HiGHS started (the warm start, unproven) after a short grace, leaving HiGHS to end in
    the background at its first callback. Simulated by a run() that sets the token and
    then does not return until the test lets it."""
    ev = threading.Event()
    release = threading.Event()
    finished = threading.Event()
    real_new = milp_module.new_highs

    class Busy:
        def __init__(self) -> None:
            self._h = real_new()

        def __getattr__(self, name: str) -> object:
            return getattr(self._h, name)

        def run(self) -> object:
            ev.set()  # the click arrives while HiGHS is busy ...
            release.wait(60)  # ... in a phase that reads no callback
            try:
                return self._h.run()  # the token is set: interrupted at the first callback
            finally:
                finished.set()

    monkeypatch.setattr(milp_module, "new_highs", Busy)
    problem = _problem(300, 60, seed=5)
    sol = solve(problem, "p_median", p=6, options=SolverOptions(method="exact", stop=ev))
    assert not release.is_set()  # the answer came while HiGHS was still busy
    assert sol.details["solver_status"] == "stopped by the user while HiGHS was setting up"
    assert sol.status is Status.FEASIBLE  # the warm start, unproven
    assert sol.has_plan
    assert sol.bound is None
    assert sol.details["stop_reason"] == "stopped"
    release.set()
    assert finished.wait(60)  # and HiGHS itself ended


def test_the_time_limit_is_kept_while_highs_reads_no_callback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same phase without callbacks under a time limit: the solve stops waiting just
    past its wall-clock end and answers with the warm start, labelled as the time limit
    (not as a user stop); HiGHS is interrupted at its first callback afterwards."""
    release = threading.Event()
    finished = threading.Event()
    real_new = milp_module.new_highs

    class Busy:
        def __init__(self) -> None:
            self._h = real_new()

        def __getattr__(self, name: str) -> object:
            return getattr(self._h, name)

        def run(self) -> object:
            release.wait(60)  # a presolve that reads neither its limit nor a callback
            try:
                return self._h.run()
            finally:
                finished.set()

    monkeypatch.setattr(milp_module, "new_highs", Busy)
    options = SolverOptions(method="exact", time_limit=3.0)
    # radius: a cut that cuts nothing, for the MILP path whatever the load (the plain
    # p-median may start from the scale method's plan when the machine is loaded)
    sol = solve(_problem(300, 60, seed=5), "p_median", p=6, radius=1e12, options=options)
    assert not release.is_set()
    assert sol.details["solver_status"] == "time limit reached while HiGHS was setting up"
    assert sol.status is Status.FEASIBLE
    assert sol.details["time_limit_reached"] is True
    assert "stop_reason" not in sol.details or sol.details["stop_reason"] != "stopped"
    release.set()
    assert finished.wait(60)


# ------------------------------------------------------------------ the pipeline


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_scenario(tmp_path_factory.mktemp("tiny-stop"))


@pytest.mark.parametrize("stage", ["reading", "travel", "solve", "kpis", "outputs"])
def test_a_stopped_run_raises_and_leaves_no_folder(
    scenario: Path, tmp_path: Path, stage: str
) -> None:
    from planner.runs.pipeline import run_scenario

    ev = threading.Event()
    seen: list[str] = []

    def progress(name: str, message: str, share: float) -> None:
        seen.append(name)
        if name == stage:
            ev.set()  # the Stop click arrives while this stage runs

    out = tmp_path / "new" / "run"
    with pytest.raises(RunStoppedError) as err:
        run_scenario(scenario, out_dir=out, progress=progress, stop=ev)
    assert stage in seen
    assert err.value.stage in ("reading", "aggregation", "travel", "solve", "kpis", "outputs")
    assert "nothing was written" in str(err.value)
    assert not (tmp_path / "new").exists()  # not the folder, not its parent, no temp folder
    # the next run works
    result = run_scenario(scenario, out_dir=out)
    assert result.solution.has_plan
    assert (out / "kpis.json").is_file()


def test_a_stop_during_the_outputs_discards_the_temporary_folder(
    scenario: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.runs.pipeline as pipeline

    ev = threading.Event()
    real = pipeline.write_outputs

    def write_then_stop(result, folder):  # type: ignore[no-untyped-def]
        written = real(result, folder)
        ev.set()  # the click comes while the files are written
        return written

    monkeypatch.setattr(pipeline, "write_outputs", write_then_stop)
    with pytest.raises(RunStoppedError) as err:
        pipeline.run_scenario(scenario, out_dir=tmp_path / "run", stop=ev)
    assert err.value.stage == "outputs"
    assert list(tmp_path.iterdir()) == []


# ------------------------------------------------------------------ the CLI


def test_the_first_ctrl_c_sets_the_token_the_second_interrupts() -> None:
    from planner.cli import ctrl_c_stops

    before = signal.getsignal(signal.SIGINT)
    with ctrl_c_stops() as stop:
        assert not stop.is_set()
        os.kill(os.getpid(), signal.SIGINT)
        assert stop.is_set()
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before


_WAIT_AT = """
import sys
import planner.runs.pipeline as pipeline
from planner.cli import main

stage = sys.argv.pop(1)
real_plan, real_write = pipeline.plan, pipeline.write_outputs

def wait():
    print("AT " + stage, flush=True)
    sys.stdin.readline()  # until the test has sent SIGINT

def plan(*args, **kwargs):
    if stage == "solve":
        wait()
    return real_plan(*args, **kwargs)

def write(result, folder):
    written = real_write(result, folder)
    if stage == "outputs":
        wait()
    return written

pipeline.plan, pipeline.write_outputs = plan, write
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow
@pytest.mark.parametrize("stage", ["solve", "outputs"])
def test_ctrl_c_ends_a_cli_run_cleanly(scenario: Path, tmp_path: Path, stage: str) -> None:
    out = tmp_path / "run"
    proc = subprocess.Popen(
        [sys.executable, "-c", _WAIT_AT, stage, "run", str(scenario), "--out", str(out)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdin is not None
    assert proc.stdout.readline().strip() == f"AT {stage}"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate("go\n", timeout=120)
    assert proc.returncode == 130, err
    assert f"stopped by the user during stage '{stage}'; nothing was written." in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
