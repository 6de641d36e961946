"""A mixed-integer program held as arrays, and the solvers that take it.

Every location model is built once, from whole arrays, into an :class:`ArrayMilp`
(objective vector, bounds, integrality, a CSR constraint matrix and row bounds).
Backends then hand it to a solver:

* ``"highs"``: straight into HiGHS through highspy's array API (``passModel``) -- the
  fastest route, no per-variable Python objects;
* ``"cbc"``: through PuLP and its bundled CBC, one ``LpVariable`` per column and one
  constraint per row, each row's expression assembled from the CSR slice;
* ``"highs_pulp"``: the same PuLP model solved by PuLP's HiGHS interface (to measure
  PuLP's model-building overhead against the direct route).

Each backend maps its solver's status codes through ONE table onto
:class:`~planner.optimize.solution.Status`. PuLP's HiGHS interface reports a
time-limited run with a solution as "Optimal"; the solution status says otherwise,
so the PuLP table reads both.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

import numpy as np
import scipy.sparse as sp

from planner.errors import OptionalDependencyError, ProblemError, SolverError
from planner.optimize.solution import Status
from planner.optimize.timing import StopToken, current_stop

#: Solver names accepted by :func:`planner.optimize.solve`.
SOLVERS = ("highs", "cbc", "highs_pulp")

#: Default relative MIP gap at which a plan counts as proven optimal. HiGHS's own
#: default (1e-4) would stop 100 units short on a 1e6 objective (cap41-cap44).
DEFAULT_MIP_GAP = 1e-7


@dataclass(frozen=True, eq=False)
class ArrayMilp:
    """``min/max c @ x + offset`` s.t. ``row_lower <= A @ x <= row_upper``, ``lower <= x <= upper``.

    ``integer[k]`` marks integer columns. ``A`` is a CSR matrix (rows x columns).
    """

    c: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    integer: np.ndarray
    A: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    sense: str = "min"
    offset: float = 0.0

    @property
    def n_cols(self) -> int:
        """Number of variables."""
        return int(self.c.size)

    @property
    def n_rows(self) -> int:
        """Number of constraints."""
        return int(self.row_lower.size)


@dataclass(frozen=True, eq=False)
class MilpResult:
    """What a backend returns: status, column values, objective and proven bound."""

    status: Status
    x: np.ndarray | None
    objective: float
    bound: float | None
    runtime_s: float
    build_s: float
    solver_status: str
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- HiGHS


#: HiGHS's verdict on a MILP, by model status name: a final answer, no verdict
#: (``STOPPED``: the solution status decides between FEASIBLE and NO_SOLUTION), or a
#: failure of HiGHS itself (``FAILED``: never read as "no plan exists").
HighsVerdict = Literal["optimal", "infeasible", "stopped", "failed"]

#: Every member of ``highspy.HighsModelStatus``, by name, and what it says about a MILP.
#: The one table :func:`highs_status` reads (tests feed it every member HiGHS has).
HIGHS_MILP_STATUS: Final[Mapping[str, HighsVerdict]] = {
    "kOptimal": "optimal",
    "kModelEmpty": "optimal",  # nothing to decide: every column fixed by its bounds
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible",  # location MILPs are bounded: infeasible
    "kTimeLimit": "stopped",
    "kIterationLimit": "stopped",
    "kSolutionLimit": "stopped",
    "kInterrupt": "stopped",
    "kHighsInterrupt": "stopped",
    "kObjectiveBound": "stopped",
    "kObjectiveTarget": "stopped",
    "kMemoryLimit": "stopped",
    "kUnbounded": "stopped",  # not a verdict for a bounded model: a plan found stays one
    "kNotset": "stopped",
    "kUnknown": "stopped",
    "kLoadError": "failed",
    "kModelError": "failed",
    "kPresolveError": "failed",
    "kSolveError": "failed",
    "kPostsolveError": "failed",
}

#: HiGHS statuses that mean HiGHS itself failed: never read as "no plan exists".
HIGHS_ERROR_STATUSES: Final = tuple(k for k, v in HIGHS_MILP_STATUS.items() if v == "failed")


def highs_status(model_status: Any, has_plan: bool, name: str) -> Status:
    """The planner's :class:`Status` of a HiGHS model status, by :data:`HIGHS_MILP_STATUS`.

    Parameters
    ----------
    model_status
        A ``highspy.HighsModelStatus`` member (its ``name`` is looked up).
    has_plan
        HiGHS holds a feasible plan (primal solution status feasible).
    name
        HiGHS's own words for the status, for the error message.

    Returns
    -------
    Status
        OPTIMAL (with a plan), INFEASIBLE, FEASIBLE (stopped or failed with a plan,
        which the caller checks) or NO_SOLUTION (stopped, or "optimal" without a plan).

    Raises
    ------
    SolverError
        A failure of HiGHS (or a status this table does not know) without a plan.
    """
    verdict = HIGHS_MILP_STATUS.get(str(getattr(model_status, "name", model_status)), "failed")
    if verdict == "failed":
        if has_plan:  # a plan HiGHS found before failing is still a checked plan
            return Status.FEASIBLE
        raise SolverError(
            f"HiGHS stopped with an error ({name}) before finding a plan; this is a solver "
            "failure, not a sign that no plan exists. Try solver = 'cbc', or report it "
            "with the model written by write_model."
        )
    if verdict == "stopped":
        return Status.FEASIBLE if has_plan else Status.NO_SOLUTION
    if verdict == "infeasible":
        return Status.INFEASIBLE
    # "optimal" without a plan to read: nothing to report as a plan.
    return Status.OPTIMAL if has_plan else Status.NO_SOLUTION


def _highs_lp(milp: ArrayMilp) -> Any:
    """The model as a ``highspy.HighsLp`` (row-wise CSR, no per-variable objects)."""
    import highspy

    lp = highspy.HighsLp()
    lp.num_col_ = milp.n_cols
    lp.num_row_ = milp.n_rows
    lp.col_cost_ = np.ascontiguousarray(milp.c, dtype=np.float64)
    lp.col_lower_ = np.ascontiguousarray(milp.lower, dtype=np.float64)
    lp.col_upper_ = np.ascontiguousarray(milp.upper, dtype=np.float64)
    lp.row_lower_ = np.ascontiguousarray(milp.row_lower, dtype=np.float64)
    lp.row_upper_ = np.ascontiguousarray(milp.row_upper, dtype=np.float64)
    lp.offset_ = float(milp.offset)
    lp.sense_ = highspy.ObjSense.kMaximize if milp.sense == "max" else highspy.ObjSense.kMinimize
    mat = milp.A
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.num_col_ = milp.n_cols
    lp.a_matrix_.num_row_ = milp.n_rows
    lp.a_matrix_.start_ = np.ascontiguousarray(mat.indptr, dtype=np.int32)
    lp.a_matrix_.index_ = np.ascontiguousarray(mat.indices, dtype=np.int32)
    lp.a_matrix_.value_ = np.ascontiguousarray(mat.data, dtype=np.float64)
    if milp.integer.any():
        kint, kcont = highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        lp.integrality_ = [kint if b else kcont for b in milp.integer.tolist()]
    return lp


def _pass_arrays(h: Any, milp: ArrayMilp) -> Any:
    """Hand the model to HiGHS as flat arrays (integrality as int32, not a list of enums:
    0.18 s instead of 0.6 s for 300,000 columns)."""
    import highspy

    mat = milp.A
    sense = highspy.ObjSense.kMaximize if milp.sense == "max" else highspy.ObjSense.kMinimize
    f64, i32 = np.float64, np.int32
    return h.passModel(
        milp.n_cols, milp.n_rows, int(mat.nnz), int(highspy.MatrixFormat.kRowwise),
        int(sense), float(milp.offset),
        np.ascontiguousarray(milp.c, dtype=f64), np.ascontiguousarray(milp.lower, dtype=f64),
        np.ascontiguousarray(milp.upper, dtype=f64),
        np.ascontiguousarray(milp.row_lower, dtype=f64),
        np.ascontiguousarray(milp.row_upper, dtype=f64),
        np.ascontiguousarray(mat.indptr, dtype=i32), np.ascontiguousarray(mat.indices, dtype=i32),
        np.ascontiguousarray(mat.data, dtype=f64), np.ascontiguousarray(milp.integer, dtype=i32),
    )  # fmt: skip


def write_milp(milp: ArrayMilp, path: str) -> None:
    """Write the model as MPS (``.mps``) or CPLEX LP (``.lp``) text, for any MILP solver."""
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.passModel(_highs_lp(milp))
    h.writeModel(str(path))


def new_highs() -> Any:
    """A HiGHS instance from highspy's core class (no banner), else the wrapper."""
    import highspy

    # highspy's Python wrapper prints a banner when the first instance is made, before
    # any option can be set; the core class does not. Fall back to the wrapper.
    core = getattr(getattr(highspy, "_core", None), "_Highs", None)
    return core() if core is not None else highspy.Highs()


def solve_highs(
    milp: ArrayMilp,
    *,
    time_limit: float | None,
    seed: int,
    verbose: bool = False,
    mip_gap: float = DEFAULT_MIP_GAP,
    initial: np.ndarray | None = None,
    threads: int | None = None,
    highs_options: dict[str, Any] | None = None,
    stop: StopToken | None = None,
) -> MilpResult:
    """Solve with HiGHS through highspy's array API (``highs_options``: extra HiGHS options).

    HiGHS is interrupted (keeping its incumbent and bound) once ``stop`` (default: the
    token of this thread's solve, :func:`planner.optimize.timing.current_stop`) is set,
    and once the wall clock reaches ``time_limit`` less the time to return: its own time
    limit counts from ``run()`` and is not read in every phase (see
    :func:`_interrupt_callback`).
    """
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - highspy is a dependency
        raise OptionalDependencyError("solver 'highs' needs highspy: pip install highspy") from exc
    t0 = time.perf_counter()
    stop = current_stop() if stop is None else stop
    if stop is not None and stop.is_set():
        return _not_started(milp, initial, 0.0, 0.0, stopped=True)
    h = new_highs()
    h.setOptionValue("output_flag", bool(verbose))
    h.setOptionValue("random_seed", int(seed) % 2_147_483_647)
    h.setOptionValue("mip_rel_gap", float(mip_gap))
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    for key, value in (highs_options or {}).items():
        h.setOptionValue(key, value)
    status = _pass_arrays(h, milp)
    if status == highspy.HighsStatus.kError:  # pragma: no cover - a bug in a model builder
        raise ProblemError("HiGHS rejected the model (internal error building it).")
    pass_s = time.perf_counter() - t0
    left = None if time_limit is None else float(time_limit) - pass_s
    is_mip = bool(milp.integer.any())
    if left is not None and is_mip and left < HIGHS_SETUP_PER_PASS * pass_s:
        # HiGHS would not look at its limit before its set-up is over: do not start it.
        return _not_started(milp, initial, pass_s, left)
    start = initial
    if start is not None and left is not None and left < HIGHS_START_SETUP_PER_PASS * pass_s:
        start = None  # checking the start would overrun; it stays the fallback plan
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=np.float64).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    build_s = time.perf_counter() - t0
    wall_end = math.inf
    if time_limit is not None:
        # HiGHS's own clock starts in run(): give it what is left after the set-up above,
        # less what it takes to return and to read the plan out (about 2 passes' time).
        highs_limit = float(time_limit) - build_s - HIGHS_RETURN_PER_PASS * pass_s
        h.setOptionValue("time_limit", max(highs_limit, 1e-3))
        wall_end = t0 + float(time_limit) - HIGHS_RETURN_PER_PASS * pass_s
    interrupted, raised = _watch(h, stop, wall_end)
    if not _run_until_stopped(h, stop, wall_end + OVERRUN_GRACE_S):
        # Stopped, or past the time limit, while HiGHS was in a phase that calls no
        # callback (presolve, the root LP): it ends there in the background (its first
        # callback interrupts it); the answer is what there was before it started.
        user = stop is not None and stop.is_set()
        out = _not_started(milp, initial, pass_s, 0.0, stopped=user)
        why = "stopped by the user" if user else "time limit reached"
        return replace(out, solver_status=f"{why} while HiGHS was setting up")
    if raised:
        raise raised[0]
    runtime = time.perf_counter() - t0
    ms = h.getModelStatus()
    info = h.getInfo()
    has_plan = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
    status = highs_status(ms, has_plan, h.modelStatusToString(ms))
    x = np.asarray(h.getSolution().col_value, dtype=np.float64) if has_plan else None
    objective = float(info.objective_function_value) if has_plan else math.nan
    bound: float | None = None
    if milp.integer.any():
        b = float(info.mip_dual_bound)
        bound = b if math.isfinite(b) else None
    elif status is Status.OPTIMAL:
        bound = objective
    if status is Status.OPTIMAL and bound is None:
        bound = objective
    result = MilpResult(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        runtime_s=runtime,
        build_s=build_s,
        solver_status=_stop_status(h.modelStatusToString(ms), interrupted, stop),
        extra={"mip_node_count": int(getattr(info, "mip_node_count", 0))},
    )
    if initial is not None and start is None:
        result = _with_fallback(milp, result, initial)
    if (
        x is not None
        and start is not None
        and not start_returned_ok(milp, x, objective)
        and not interrupted["stop"]
    ):
        left = None if time_limit is None else time_limit - runtime
        again = solve_highs(
            milp, time_limit=None if left is None else max(left, 0.05), seed=seed,
            verbose=verbose, mip_gap=mip_gap, threads=threads, highs_options=highs_options,
            stop=stop,
        )  # fmt: skip
        result = _after_stale_start(milp, result, again, x, mip_gap)
    return result


#: HiGHS does not read its time limit while it sets a MIP up (presolve, clique table,
#: the root LP's first factorisation). That set-up took 10-25 times as long as handing
#: it the model (``passModel`` from arrays), and 14-21 times with a start solution to
#: check (p-median radius and facility-location models of 0.15-3.0 M nonzeros, measured
#: on a loaded 2-core machine; both are wall times, so the ratio follows the load). A MIP
#: is not started when the time left is shorter than the high end of that; the start is
#: left out when only it does not fit.
HIGHS_SETUP_PER_PASS = 25.0
HIGHS_START_SETUP_PER_PASS = 40.0
#: Time kept back from HiGHS's own limit for it to return and for the plan to be read,
#: in multiples of the time ``passModel`` took.
HIGHS_RETURN_PER_PASS = 2.0


#: The HiGHS callbacks asked to read the stop token and the wall clock: every simplex
#: iteration (the root LP of a large model), every interior-point iteration and every
#: branch-and-bound step.
_INTERRUPT_CALLBACKS: Final = (
    "kCallbackSimplexInterrupt",
    "kCallbackIpmInterrupt",
    "kCallbackMipInterrupt",
)


def _watch(
    h: Any, stop: StopToken | None, wall_end: float
) -> tuple[dict[str, bool], list[BaseException]]:
    """Ask HiGHS to call back during ``run()`` (see :func:`interrupt_check`); the returned
    flags say afterwards whether the token (``"stop"``) or the clock (``"clock"``) ended it,
    the list holds an exception raised in the callback (to raise after ``run()``)."""
    from highspy import cb

    flags = {"stop": False, "clock": False}
    if stop is None and math.isinf(wall_end):
        return flags, []
    check = interrupt_check(stop, wall_end, flags)
    raised: list[BaseException] = []

    def callback(kind: Any, message: str, data_out: Any, data_in: Any, user: Any) -> None:
        # An exception raised here would surface as a HiGHS "Solve error" (and can crash
        # the process when HiGHS unwinds): it stops HiGHS and is raised again after run()
        # (e.g. Ctrl-C under Python's default SIGINT handler).
        try:
            if data_in is not None and check():
                data_in.user_interrupt = True
        except BaseException as exc:
            raised.append(exc)
            if data_in is not None:
                data_in.user_interrupt = True

    h.setCallback(callback, None)
    for name in _INTERRUPT_CALLBACKS:
        h.startCallback(getattr(cb.HighsCallbackType, name))
    return flags, raised


#: Seconds a solve waits, once its stop token is set, for HiGHS to return by itself (it
#: does at its next interrupt callback, keeping its incumbent and bound) before it
#: leaves HiGHS to end in the background.
STOP_GRACE_S: Final = 0.5


#: Seconds past the wall-clock end of its time at which a solve stops waiting for a HiGHS
#: that calls no callback (see :func:`_run_until_stopped`).
OVERRUN_GRACE_S: Final = 0.2


def _run_until_stopped(h: Any, stop: StopToken | None, give_up_at: float = math.inf) -> bool:
    """``h.run()``; with a stop token or a time limit, on a helper thread that the caller
    stops waiting for :data:`STOP_GRACE_S` after the token is set, or at ``give_up_at``
    (a ``perf_counter`` reading). False when it stopped waiting.

    HiGHS reads neither its time limit nor a callback during presolve and a MIP's root LP
    (seconds to minutes on a large model: 17 s of CPU for a 398,200-column facility
    location under a 10 s limit); the first callback after that phase interrupts it, and
    the thread (which keeps the model alive) ends there.
    """
    if stop is None and math.isinf(give_up_at):
        h.run()
        return True
    done = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            h.run()
        except BaseException as exc:  # pragma: no cover - raised again below
            failed.append(exc)
        finally:
            done.set()

    # Not a daemon: a process that ends while HiGHS still runs here (abandoned in its
    # set-up) would abort in HiGHS's thread pool ("terminate called without an active
    # exception", exit code 134); the interpreter waits instead, until HiGHS's first
    # callback interrupts it.
    threading.Thread(target=run, name="planner-highs", daemon=False).start()
    while not done.wait(0.05):
        if stop is not None and stop.is_set() and not done.wait(STOP_GRACE_S):
            return False
        if time.perf_counter() >= give_up_at:
            return done.is_set()
    if failed:
        raise failed[0]
    return True


def run_watched(h: Any, *, time_limit: float | None, stop: StopToken | None = None) -> bool:
    """``h.run()`` for a HiGHS instance set up elsewhere (an LP of a scale method), with
    the interrupt callbacks reading the stop token (default: this thread's) and the wall
    clock ``time_limit`` seconds from now; not started at all once stopped.

    Returns False when HiGHS gave no answer to read: not started, or left to end in the
    background (as :func:`solve_highs` leaves a MIP) when it was still in a phase without
    callbacks (presolve, crossover, PDLP) :data:`OVERRUN_GRACE_S` past the wall-clock
    end, or :data:`STOP_GRACE_S` after a stop (an LP of 20,000 x 1,000 maximal covering
    given 0.18 s ran 0.48 s).
    """
    stop = current_stop() if stop is None else stop
    if stop is not None and stop.is_set():
        return False
    wall_end = math.inf if time_limit is None else time.perf_counter() + float(time_limit)
    _, raised = _watch(h, stop, wall_end)
    if not _run_until_stopped(h, stop, wall_end + OVERRUN_GRACE_S):
        return False
    if raised:
        raise raised[0]
    return True


def interrupt_check(
    stop: StopToken | None, wall_end: float, flags: dict[str, bool]
) -> Callable[[], bool]:
    """What HiGHS's interrupt callbacks ask: stop at the token or at the wall-clock end.

    HiGHS's ``time_limit`` counts from ``run()`` and is not looked at inside some long
    phases (a large root LP; a reduced capacitated MILP of 93,000 pairs ran on 3 s past
    it); the interrupt callbacks are called there, and an interrupted MIP keeps its
    incumbent and its dual bound (model status ``kInterrupt``). ``flags`` records which
    of the two ended it.
    """

    def check() -> bool:
        if stop is not None and stop.is_set():
            flags["stop"] = True
            return True
        if time.perf_counter() >= wall_end:
            flags["clock"] = True
            return True
        return False

    return check


def _stop_status(name: str, interrupted: dict[str, bool], stop: StopToken | None) -> str:
    """HiGHS's status name, saying who interrupted it when the callback did."""
    if interrupted["stop"] or (stop is not None and stop.is_set() and "nterrupt" in name):
        return f"{name}: stopped by the user"
    if interrupted["clock"]:
        return f"{name}: time limit reached"
    return name


def _start_value(milp: ArrayMilp, start: np.ndarray) -> float:
    return float(milp.c @ start) + float(milp.offset)


def _not_started(
    milp: ArrayMilp,
    initial: np.ndarray | None,
    pass_s: float,
    left: float,
    *,
    stopped: bool = False,
) -> MilpResult:
    """The result of a MIP not started for lack of time (or because the run was stopped):
    the start, if any, unproven."""
    x = None if initial is None else np.asarray(initial, dtype=np.float64)
    why = (
        "not started: stopped by the user"
        if stopped
        else (
            f"not started: {max(left, 0.0):.2f} s left, HiGHS needs about "
            f"{HIGHS_SETUP_PER_PASS * pass_s:.2f} s to set this model up"
        )
    )
    return MilpResult(
        status=Status.NO_SOLUTION if x is None else Status.FEASIBLE,
        x=x,
        objective=math.nan if x is None else _start_value(milp, x),
        bound=None,
        runtime_s=pass_s,
        build_s=pass_s,
        solver_status=why,
        extra={"not_started": True},
    )


def _with_fallback(milp: ArrayMilp, result: MilpResult, start: np.ndarray) -> MilpResult:
    """Keep a start HiGHS was not given when it found nothing better by the limit."""
    sign = 1.0 if milp.sense == "min" else -1.0
    value = _start_value(milp, start)
    if result.x is not None and sign * result.objective <= sign * value:
        return result
    status = result.status if result.status is Status.INFEASIBLE else Status.FEASIBLE
    if status is Status.INFEASIBLE:  # pragma: no cover - the start is feasible
        return result
    return MilpResult(
        status=status, x=np.asarray(start, dtype=np.float64), objective=value,
        bound=result.bound, runtime_s=result.runtime_s, build_s=result.build_s,
        solver_status=result.solver_status, extra={**result.extra, "start_kept": True},
    )  # fmt: skip


def start_returned_ok(milp: ArrayMilp, x: np.ndarray, objective: float) -> bool:
    """Does the objective HiGHS reports belong to the point it returns?

    HiGHS 1.16 maps a user start into the presolved model, where it may be better than
    in the original (presolve drops dominated columns). When that mapped start stays
    the incumbent, HiGHS reports its objective but returns the start unchanged
    (seen on set covering: objective 11 reported for a 15-site start). The solve
    must then be repeated without the start.
    """
    value = float(milp.c @ x) + float(milp.offset)
    return abs(value - objective) <= 1e-6 * max(1.0, abs(objective))


def _after_stale_start(
    milp: ArrayMilp, first: MilpResult, again: MilpResult, start: np.ndarray, mip_gap: float
) -> MilpResult:
    """Combine a solve whose returned point was the stale start with a solve without it."""
    sign = 1.0 if milp.sense == "min" else -1.0
    start_value = float(milp.c @ start) + float(milp.offset)
    bounds = [b for b in (first.bound, again.bound) if b is not None]
    # Both bounds are valid; the tighter one holds (largest for min, smallest for max).
    bound = (max if milp.sense == "min" else min)(bounds) if bounds else None
    if again.x is not None and sign * again.objective <= sign * start_value:
        x, objective = again.x, again.objective
    else:
        x, objective = start, start_value
    proven = bound is not None and sign * (objective - bound) <= mip_gap * max(1.0, abs(objective))
    if again.status is Status.OPTIMAL and x is again.x:
        proven = True
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    extra = dict(again.extra)
    extra["stale_start_resolved"] = True
    return MilpResult(
        status=status, x=x, objective=objective, bound=bound,
        runtime_s=first.runtime_s + again.runtime_s, build_s=first.build_s + again.build_s,
        solver_status=again.solver_status, extra=extra,
    )  # fmt: skip


# --------------------------------------------------------------------------- PuLP


def _pulp_table() -> dict[tuple[int, int], Status]:
    """(LpProblem.status, LpProblem.sol_status) -> Status.

    PuLP's HiGHS interface reports a time-limited run with an incumbent as status 1
    ("Optimal") with sol_status 2 ("Integer Feasible"): that is FEASIBLE, not OPTIMAL.
    """
    return {
        (1, 1): Status.OPTIMAL,
        (1, 2): Status.FEASIBLE,
        (0, 2): Status.FEASIBLE,
        (-3, 2): Status.FEASIBLE,
        (1, 0): Status.NO_SOLUTION,
        (0, 0): Status.NO_SOLUTION,
        (-3, 0): Status.NO_SOLUTION,
        (-1, -1): Status.INFEASIBLE,
        (-1, 0): Status.INFEASIBLE,
        (-2, -2): Status.NO_SOLUTION,
        (-3, -3): Status.NO_SOLUTION,
    }


def build_pulp(milp: ArrayMilp) -> tuple[Any, list[Any]]:
    """The same model as PuLP objects: one variable per column, rows from CSR slices."""
    import pulp

    n = milp.n_cols
    sense = pulp.LpMaximize if milp.sense == "max" else pulp.LpMinimize
    prob = pulp.LpProblem("location_model", sense)
    lo = [None if not math.isfinite(v) else float(v) for v in milp.lower.tolist()]
    hi = [None if not math.isfinite(v) else float(v) for v in milp.upper.tolist()]
    cats = ["Integer" if b else "Continuous" for b in milp.integer.tolist()]
    xs = [pulp.LpVariable(f"x{k}", lo[k], hi[k], cats[k]) for k in range(n)]
    nz = np.flatnonzero(milp.c)
    objective = pulp.LpAffineExpression(
        list(zip([xs[k] for k in nz.tolist()], milp.c[nz].tolist(), strict=True)),
        constant=float(milp.offset),
    )
    prob.setObjective(objective)
    mat = milp.A
    indptr, indices, data = mat.indptr, mat.indices.tolist(), mat.data.tolist()
    bounds = zip(milp.row_lower.tolist(), milp.row_upper.tolist(), strict=True)
    for r, (rlo, rhi) in enumerate(bounds):
        a, b = int(indptr[r]), int(indptr[r + 1])
        expr = pulp.LpAffineExpression(
            list(zip([xs[k] for k in indices[a:b]], data[a:b], strict=True))
        )
        if rlo == rhi:
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{r}", rlo))
            continue
        if math.isfinite(rlo):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{r}l", rlo))
        if math.isfinite(rhi):
            prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{r}u", rhi))
    return prob, xs


def solve_pulp(
    milp: ArrayMilp,
    *,
    solver: str,
    time_limit: float | None,
    seed: int,
    verbose: bool = False,
    mip_gap: float = DEFAULT_MIP_GAP,
) -> MilpResult:
    """Solve through PuLP with CBC (``solver="cbc"``) or HiGHS (``"highs_pulp"``)."""
    try:
        import pulp
    except ImportError as exc:  # pragma: no cover - pulp is a dependency
        raise OptionalDependencyError(f"solver {solver!r} needs PuLP: pip install pulp") from exc
    t0 = time.perf_counter()
    prob, xs = build_pulp(milp)
    build_s = time.perf_counter() - t0
    if solver == "cbc":
        # CBC reads seed 0 as "from the clock": shift by one to stay deterministic.
        cmd = pulp.PULP_CBC_CMD(
            msg=bool(verbose),
            timeLimit=None if time_limit is None else max(1, math.ceil(time_limit)),
            gapRel=mip_gap,
            options=[f"randomCbcSeed {int(seed) + 1}", f"randomSeed {int(seed) + 1}"],
        )
    else:
        cmd = pulp.HiGHS(
            msg=bool(verbose), timeLimit=time_limit, gapRel=mip_gap, random_seed=int(seed)
        )
    if not cmd.available():
        raise OptionalDependencyError(f"solver {solver!r} is not available in this PuLP install.")
    prob.solve(cmd)
    runtime = time.perf_counter() - t0
    key = (int(prob.status), int(prob.sol_status))
    status = _pulp_table().get(key, Status.NO_SOLUTION)
    x = None
    objective = math.nan
    if status in (Status.OPTIMAL, Status.FEASIBLE):
        x = np.asarray([v.varValue if v.varValue is not None else 0.0 for v in xs])
        objective = float(milp.c @ x + milp.offset)
    bound = objective if status is Status.OPTIMAL else None
    return MilpResult(
        status=status,
        x=x,
        objective=objective,
        bound=bound,
        runtime_s=runtime,
        build_s=build_s,
        solver_status=f"{pulp.LpStatus[prob.status]}/{pulp.LpSolution[prob.sol_status]}",
    )


def solve_milp(
    milp: ArrayMilp,
    *,
    solver: str = "highs",
    time_limit: float | None = None,
    seed: int = 0,
    verbose: bool = False,
    mip_gap: float = DEFAULT_MIP_GAP,
    initial: np.ndarray | None = None,
    highs_options: dict[str, Any] | None = None,
) -> MilpResult:
    """Solve an :class:`ArrayMilp` with the named solver (see :data:`SOLVERS`).

    ``initial`` (a full column vector) and ``highs_options`` are used by HiGHS only.
    """
    if solver == "highs":
        return solve_highs(
            milp,
            time_limit=time_limit,
            seed=seed,
            verbose=verbose,
            mip_gap=mip_gap,
            initial=initial,
            highs_options=highs_options,
        )
    if solver in ("cbc", "highs_pulp"):
        stop = current_stop()
        if stop is not None and stop.is_set():  # PuLP's solvers run as subprocesses: not read later
            return _not_started(milp, None, 0.0, 0.0, stopped=True)
        return solve_pulp(
            milp, solver=solver, time_limit=time_limit, seed=seed, verbose=verbose, mip_gap=mip_gap
        )
    raise ProblemError(f"unknown `solver` {solver!r}; choose one of {', '.join(SOLVERS)}.")
