"""The one public entry point: :func:`solve`. Validates, then routes to a method."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.errors import ProblemError
from planner.optimize import diagnose
from planner.optimize.diagnose import cheapest_cost
from planner.optimize.exact.milp import DEFAULT_MIP_GAP
from planner.optimize.exact.solve import solve_exact
from planner.optimize.model_table import model_spec, models_where
from planner.optimize.options import ModelOptions, SolverOptions
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution, Status, relative_gap
from planner.optimize.timing import (
    STOPPED_BY_USER,
    Deadline,
    load_factor,
    stage_limit,
    stop_scope,
)

#: ``method="auto"`` solves exactly while (demand points with weight) x (allowed sites)
#: -- or the stored pairs of a sparse cost -- stays at or below this; larger problems
#: go to the scale method ``planner.optimize.scale.heuristics.solve_large`` (the exact
#: method for models it does not cover).
AUTO_EXACT_MAX_PAIRS = 2_000_000

#: ``method="auto"`` runs the exact MILP after the scale method only when at least this
#: share of the time limit is left (the scale method stops early when its bound stalls
#: or its search is exhausted; when it ran to its deadline the MILP's build and set-up
#: alone would overrun the limit: 2.7 s for a 2,000 x 200 p-median on a loaded machine).
AUTO_EXACT_MIN_SHARE = 0.25

#: Models that ``method="auto"`` hands to the scale method first at every size.
SCALE_FIRST_MODELS = models_where(scale_first=True)


def _row_min_allowed(problem: Problem) -> np.ndarray:
    """Cheapest non-excluded site of each demand row (inf where none)."""
    return cheapest_cost(problem, np.arange(problem.n_demand))


def _pair_count(problem: Problem) -> int:
    allowed = int((~problem.excluded).sum())
    if isinstance(problem.cost, sp.csr_array):
        return int(problem.cost.nnz)
    return int((problem.weight > 0).sum()) * allowed


def _hotspots(
    problem: Problem, rows: Any, max_cost: Any
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if rows is None and max_cost is None:
        return None, None
    if rows is None or max_cost is None:
        raise ProblemError("give both `hotspot_rows` and `hotspot_max_cost`, or neither.")
    arr = np.asarray(rows)
    n = problem.n_demand
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ProblemError(f"`hotspot_rows` as a mask needs one entry per demand point ({n}).")
        idx = np.flatnonzero(arr)
    else:
        if arr.size and not np.issubdtype(arr.dtype, np.integer):
            raise ProblemError(
                "`hotspot_rows` must be demand-point indices (integers) or a boolean mask."
            )
        idx = arr.astype(np.int64).ravel()
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ProblemError(f"`hotspot_rows` holds an index outside 0..{n - 1}.")
    lim = np.asarray(max_cost, dtype=np.float64)
    if lim.ndim == 0:
        lim = np.full(idx.size, float(lim))
    elif arr.dtype == bool and lim.shape == (n,):
        lim = lim[idx]
    if lim.shape != idx.shape:
        raise ProblemError(
            f"`hotspot_max_cost` must be one number or one per hotspot ({idx.size}); got shape {lim.shape}."
        )
    if not np.isfinite(lim).all() or (lim < 0).any():
        raise ProblemError("`hotspot_max_cost` must be finite and >= 0.")
    return idx, lim


def _standards(value: Any) -> tuple[tuple[float, float], ...]:
    if value is None:
        return ()
    out = []
    try:
        items = list(value)
        for item in items:
            d, share = item
            out.append((float(d), float(share)))
    except (TypeError, ValueError):
        raise ProblemError(
            "`standards` must be a list of (cost, share) pairs, e.g. [(900.0, 0.8), (1800.0, 0.95)]."
        ) from None
    for d, share in out:
        if not math.isfinite(d) or d < 0:
            raise ProblemError(f"`standards`: cost {d} must be finite and >= 0.")
        if not 0.0 <= share <= 1.0:
            raise ProblemError(f"`standards`: share {share} must be between 0 and 1 (0.8 = 80 %).")
    return tuple(out)


def validate(
    problem: Problem,
    model: str,
    *,
    p: int | None,
    radius: float | None,
    budget: float | None,
    max_sites: int | None = None,
    split: bool,
    hotspot_rows: Any,
    hotspot_max_cost: Any,
    standards: Any,
    options: SolverOptions,
) -> ModelOptions:
    """Check every argument of :func:`solve`; raise :class:`ProblemError` naming the bad one."""
    if not isinstance(problem, Problem):
        raise ProblemError(
            f"`problem` must be a planner.optimize.Problem; got {type(problem).__name__}."
        )
    spec = model_spec(model)
    if not isinstance(options, SolverOptions):
        raise ProblemError(
            "`options` must be a planner.optimize.SolverOptions, e.g. "
            f"SolverOptions(method='exact', time_limit=60.0); got {type(options).__name__}."
        )
    n_allowed = int((~problem.excluded).sum())
    n_required = int(problem.required.sum())
    if n_allowed == 0:
        raise ProblemError("every site is `excluded`: leave at least one candidate site.")
    # p
    if spec.p == "no" and p is not None:
        raise ProblemError(f"`p` does not apply to model {model!r} ({spec.p_note}); leave it out.")
    if spec.p == "required" and p is None:
        raise ProblemError(f"model {model!r} needs `p`, the number of sites to open.")
    if p is not None:
        if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
            raise ProblemError(f"`p` must be an integer; got {p!r}.")
        p = int(p)
        if p < 1:
            raise ProblemError(f"`p` must be at least 1; got {p}.")
        if p > n_allowed:
            raise ProblemError(
                f"`p` = {p} is above the number of sites that may open ({n_allowed} of "
                f"{problem.n_sites}, excluded ones left out)."
            )
        if p < n_required:
            raise ProblemError(f"`p` = {p} is below the number of `required` sites ({n_required}).")
    if max_sites is not None:
        if not spec.facility_costs:
            raise ProblemError(
                "`max_sites` applies only to model 'facility_location' (the other models "
                "take `p`, an exact count, or none); leave it out."
            )
        if p is not None:
            raise ProblemError(
                "give `p` (open exactly p sites) or `max_sites` (at most), not both."
            )
        if isinstance(max_sites, bool) or not isinstance(max_sites, (int, np.integer)):
            raise ProblemError(f"`max_sites` must be an integer; got {max_sites!r}.")
        max_sites = int(max_sites)
        if max_sites < max(n_required, 1):
            raise ProblemError(
                f"`max_sites` = {max_sites} is below the number of `required` sites "
                f"({n_required}) or below 1; raise it."
            )
    # radius
    if spec.radius == "required" and radius is None:
        raise ProblemError(
            f"model {model!r} needs `radius`, the coverage distance in the cost's unit."
        )
    if spec.radius == "no" and radius is not None:
        raise ProblemError(
            f"`radius` does not apply to model {model!r} ({spec.radius_note}); leave it out."
        )
    if radius is not None:
        try:
            radius = float(radius)
        except (TypeError, ValueError):
            raise ProblemError(f"`radius` must be a number; got {radius!r}.") from None
        if not math.isfinite(radius) or radius < 0:
            raise ProblemError(f"`radius` must be finite and >= 0; got {radius}.")
        row_min = _row_min_allowed(problem)
        pos = problem.weight > 0
        if pos.any() and not (row_min[pos] <= radius).any():
            raise ProblemError(
                f"`radius` = {radius:g}: no demand point has a site within it; the cheapest "
                f"demand-site cost is {float(row_min[pos].min()):g}."
            )
    # model data
    capacitated = spec.capacity == "required" or (
        spec.capacity == "optional" and problem.capacity is not None
    )
    if spec.capacity == "required" and problem.capacity is None:
        raise ProblemError(
            "model 'capacitated_p_median' needs site capacities: Problem(..., capacity=...)."
        )
    if spec.facility_costs and problem.opening_cost is None:
        raise ProblemError(
            "model 'facility_location' needs opening costs: Problem(..., opening_cost=...)."
        )
    if split and not capacitated:
        raise ProblemError(
            "`split` applies only to capacitated models (capacitated_p_median, facility_location with capacity)."
        )
    if budget is not None:
        if not spec.facility_costs:
            raise ProblemError("`budget` applies only to model 'facility_location'.")
        budget = float(budget)
        if not math.isfinite(budget) or budget < 0:
            raise ProblemError(f"`budget` must be finite and >= 0; got {budget}.")
    if options.formulation == "assignment" and model not in ("p_median", "facility_location"):
        raise ProblemError(
            "`formulation` applies only to 'p_median' and uncapacitated 'facility_location'."
        )
    hot_rows, hot_max = _hotspots(problem, hotspot_rows, hotspot_max_cost)
    if options.write_model is not None:
        path = Path(options.write_model)
        if model == "p_center":
            raise ProblemError(
                "`write_model` is not available for 'p_center' (it solves a sequence of models)."
            )
        if not path.parent.is_dir():
            raise ProblemError(f"`write_model`: folder {str(path.parent)!r} does not exist.")
    checked = ModelOptions(
        model=model,
        p=p,
        radius=radius,
        budget=budget,
        max_sites=max_sites,
        split=bool(split),
        hotspot_rows=hot_rows,
        hotspot_max_cost=hot_max,
        standards=_standards(standards),
        solver_options=options,
    )
    if options.method == "heuristic" and model == "p_median" and radius is not None:
        # The p-median search works on the nearest sites alone: it has no service cut.
        raise ProblemError(
            "method 'heuristic' does not take `radius` (a service cut) for model 'p_median'; "
            "use method 'exact' or 'auto', or leave `radius` out."
        )
    refused = [
        name for name in checked.side_constraints if not (name == "budget" and spec.facility_costs)
    ]
    if options.method == "heuristic" and refused:
        # The heuristics take p and radius (and facility location's budget); the exact
        # method takes every constraint.
        raise ProblemError(
            f"method 'heuristic' does not take {', '.join(refused)} "
            f"(model {model!r}); use method 'exact' or 'auto'."
        )
    return checked


def _scale_function(name: str) -> Callable[..., Solution]:
    """``planner.optimize.scale.heuristics.<name>`` (imported when first asked: numba)."""
    from planner.optimize.scale import heuristics

    fn: Callable[..., Solution] = getattr(heuristics, name)
    return fn


def _scale_arguments(opts: ModelOptions, deadline: Deadline) -> dict[str, Any]:
    """The keyword arguments of the scale methods shared by both entry points."""
    so = opts.solver_options
    return {
        "p": opts.p,
        "radius": opts.radius,
        "time_limit": deadline.remaining(),
        "seed": so.seed,
        "deterministic": so.deterministic,
        "max_sites": opts.max_sites,
        "budget": opts.budget,
    }


def solve(
    problem: Problem,
    model: str = "p_median",
    *,
    p: int | None = None,
    radius: float | None = None,
    budget: float | None = None,
    max_sites: int | None = None,
    split: bool = False,
    hotspot_rows: Sequence[int] | np.ndarray | None = None,
    hotspot_max_cost: float | Sequence[float] | np.ndarray | None = None,
    standards: Sequence[tuple[float, float]] | None = None,
    options: SolverOptions | None = None,
) -> Solution:
    """Solve a location model.

    The keywords are the model's parameters; how it is solved (method, solver, time
    limit, seed, gaps, ...) is one :class:`~planner.optimize.SolverOptions`.

    Parameters
    ----------
    problem
        The :class:`Problem` (cost matrix, weights, site attributes).
    model
        ``"p_median"``, ``"mclp"``, ``"lscp"``, ``"p_center"``,
        ``"capacitated_p_median"`` or ``"facility_location"`` (see ``docs/models.md``).
    p
        Number of sites to open: required by ``p_median``, ``mclp``, ``p_center``,
        ``capacitated_p_median``; optional for ``facility_location`` (then it opens
        exactly ``p``; leave it out to let the opening costs decide); not for ``lscp``.
    radius
        In the cost's unit (minutes or metres). Coverage radius of ``mclp`` and
        ``lscp`` (required); for ``p_median``, ``capacitated_p_median`` and
        ``facility_location`` the largest cost at which a site may serve a demand point
        (optional service cut).
    budget
        ``facility_location``: upper limit on the opening cost of new (non-existing)
        sites, in the opening costs' unit.
    max_sites
        ``facility_location``: at most this many sites open (existing ones included);
        ``None`` (default): as many as the opening costs make worth it.
    split
        Capacitated models: let a demand point be split across sites (default: each
        demand point served by exactly one site).
    hotspot_rows, hotspot_max_cost
        Demand points (indices or mask) that must be served within a cost (one number
        or one per hotspot, in the cost's unit), e.g. a 45-minute repair-response promise.
    standards
        Percentile standards ``[(cost, share), ...]``: at least ``share`` (0-1) of the
        total demand weight served within ``cost`` (the cost's unit).
    options
        How to solve it; ``None`` (default) is ``SolverOptions()``: method ``"auto"``,
        HiGHS, no time limit, seed 0, deterministic.

    Returns
    -------
    Solution
        Immutable; ``status`` says whether the plan is optimal, feasible (with
        ``gap``), infeasible (with ``details["diagnosis"]`` and ``details["message"]``)
        or missing.

    Raises
    ------
    ProblemError
        For invalid arguments, before any solver runs.
    """
    start = time.perf_counter()  # the clock of the whole call, before anything else
    options = SolverOptions() if options is None else options
    with stop_scope(getattr(options, "stop", None)):
        time_limit = getattr(options, "time_limit", None)
        limit = stage_limit(time_limit) if _is_seconds(time_limit) else None
        deadline = Deadline(limit, start=start)
        sol = _solve_timed(
            problem, model, deadline, options, p=p, radius=radius, budget=budget,
            max_sites=max_sites, split=split, hotspot_rows=hotspot_rows,
            hotspot_max_cost=hotspot_max_cost, standards=standards,
        )  # fmt: skip
        details = dict(sol.details)
        details["time_limit_reached"] = _time_limit_reached(sol, deadline)
        if deadline.stopped():
            sol = _stopped(sol, details)
            details = dict(sol.details)
    # The whole call, argument checks included: what a status line reports as elapsed.
    return replace(sol, runtime_s=deadline.elapsed(), details=details)


def _solve_timed(
    problem: Problem,
    model: str,
    deadline: Deadline,
    options: SolverOptions,
    **model_args: Any,
) -> Solution:
    """:func:`solve` once its clock has started: check the arguments, run the method."""
    opts = validate(problem, model, options=options, **model_args)
    if options.method == "heuristic":
        fn = _scale_function("solve_heuristic")
        return fn(
            problem,
            model,
            **_scale_arguments(opts, deadline),
            neighbours=options.neighbours,
            bound=options.bound,
        )
    if options.method == "auto":
        return _solve_auto(problem, model, opts, deadline)
    return _solve_exact_warm(problem, model, opts, deadline)


#: Share of the time left that ``method="exact"`` gives the scale method's plan (its
#: warm start and fallback) under a time limit.
WARM_START_SHARE = 0.5
#: ``method="exact"`` on the plain p-median under a time limit starts from the scale
#: method's plan when building the MILP (on an idle core) would take this share of the
#: time limit.
SCALE_START_BUILD_SHARE = 0.1


def _solve_exact_warm(
    problem: Problem, model: str, opts: ModelOptions, deadline: Deadline
) -> Solution:
    """The exact MILP, warm-started with the scale method's plan where that covers the
    model: uncapacitated facility location (always, with half the time), the plain
    p-median (under a time limit, half the time) and the single-source capacitated
    p-median (under a time limit, with all of it: its own exact finish, then the full
    MILP with what is left). When HiGHS cannot set up or finish in
    time, that plan (with its Lagrangian bound) is the answer instead of no plan; a plan
    its bound already proves optimal needs no MILP."""
    start = _scale_start(problem, model, opts, deadline)
    if start is None or not start.has_plan:
        return _exact(problem, opts, deadline)
    if (
        start.status is Status.OPTIMAL
        or deadline.stopped()
        or start.details.get("stop_reason") == "target_gap"
    ):
        return start
    left = deadline.left()
    if (
        left is not None
        and deadline.limit is not None
        and (
            left < AUTO_EXACT_MIN_SHARE * deadline.limit
            or left < milp_build_seconds(problem, model)
        )
    ):
        # Building the MILP (not interruptible) would overrun the limit: the plan stays.
        return _exact_skipped(start)
    if _exact_too_large(problem, opts):
        # The plan with its certified bound is the answer: the MILP would not fit.
        return replace(start, details={**start.details, "exact_stage_skipped": "size"})
    second = solve_exact(problem, opts, deadline=deadline, start=start)
    return _combine(start, second, runtime_s=deadline.elapsed())


#: The most (demand x site) pairs -- or stored pairs of a sparse cost -- for which the
#: exact MILP of ``facility_location`` is built. Beyond, what only the MILP covers
#: (capacities, hotspot limits, standards, a service radius with count or budget limits) is refused before any work with what to change, and
#: ``method="exact"`` keeps the scale method's plan and bound. Measured on random towns
#: under a time limit (loaded 2-core machine): at 1 M pairs HiGHS was still setting up
#: at 20 s (1.7-2.0 GB; with hotspot limits the process ended 119 s after the start,
#: its set-up not interruptible), at 2 M pairs capacitated 3.1 GB in the solve, 6.1 GB
#: peak, no plan at 30 s and 114 s in all. Beyond, memory and set-up grow with the pairs.
FL_EXACT_MAX_PAIRS = AUTO_EXACT_MAX_PAIRS


def _exact_too_large(problem: Problem, opts: ModelOptions) -> bool:
    return opts.model == "facility_location" and _pair_count(problem) > FL_EXACT_MAX_PAIRS


def _exact_only_settings(problem: Problem, opts: ModelOptions) -> str:
    """The settings of a facility location that only the exact method takes, in words."""
    so = opts.solver_options
    found = [
        text
        for text, present in (
            ("site capacities (model.capacity, a capacity column)", problem.capacity is not None),
            ("hotspot response limits", opts.hotspot_rows is not None),
            ("percentile standards", bool(opts.standards)),
            ("split assignment", opts.split),
            (
                "a service radius or cost cut-off with p, max_sites or a budget",
                (opts.radius is not None or problem.is_sparse)
                and (opts.most_sites is not None or opts.budget is not None),
            ),
            ("a service radius on straight-line costs", opts.radius is not None and problem.is_points),
            ("the chosen solver, formulation or model export",
             so.solver != "highs" or so.formulation != "auto" or so.write_model is not None),
        )
        if present
    ]  # fmt: skip
    return ", ".join(found) if found else "these settings"


def _exact(
    problem: Problem, opts: ModelOptions, deadline: Deadline, start: Solution | None = None
) -> Solution:
    """:func:`solve_exact`, unless its MILP would be too large to build (then a clear
    :class:`ProblemError` naming the size and what to change)."""
    if _exact_too_large(problem, opts):
        what = _exact_only_settings(problem, opts)
        raise ProblemError(
            f"model 'facility_location' at this size ({problem.n_demand:,} demand points x "
            f"{int((~problem.excluded).sum()):,} sites = {_pair_count(problem):,} pairs) has "
            f"no method for {what}: the scale method does not take it and the exact MILP is "
            f"built for at most {FL_EXACT_MAX_PAIRS:,} pairs. Leave out {what}, or raise "
            "demand.cell_size_m (fewer demand cells) or use fewer candidate sites (the scale "
            "method covers opening costs, a budget, max_sites, required and excluded sites and "
            "closable existing halls at any size)."
        )
    return solve_exact(problem, opts, deadline=deadline, start=start)


#: CPU seconds per (demand x site) pair that building a MILP and handing it to HiGHS
#: takes on an idle core (2-core benchmark machine, random instances, fresh process):
#: the p-median's radius formulation 1.7 (2,000 x 200) to 4.2 microseconds (4,000 x
#: 400, where first touching the new memory dominates); the assignment models of
#: facility location and the capacitated p-median 0.3-0.4 (1,000 x 100 to 3,000 x 300).
#: With a margin; :func:`milp_build_seconds` scales it by the load.
MILP_BUILD_S_PER_PAIR = 1e-6
MILP_BUILD_S_PER_PAIR_RADIUS = 5e-6


def milp_build_seconds(problem: Problem, model: str, *, load: float | None = None) -> float:
    """Predicted wall seconds to build the exact MILP of ``model`` and hand it to HiGHS
    (not interruptible): per demand-site pair, times ``load`` (default: the load factor,
    :func:`planner.optimize.timing.load_factor`; 1 for an idle core)."""
    per_pair = MILP_BUILD_S_PER_PAIR_RADIUS if model == "p_median" else MILP_BUILD_S_PER_PAIR
    return per_pair * _pair_count(problem) * (load_factor() if load is None else float(load))


def _scale_start(
    problem: Problem, model: str, opts: ModelOptions, deadline: Deadline
) -> Solution | None:
    """The scale method's plan for the exact method's warm start, or None (not covered)."""
    so = opts.solver_options
    if not so.warm_start or so.solver != "highs" or so.write_model is not None:
        return None
    if model == "facility_location":
        if problem.capacity is not None or opts.has_extras:
            return None
    elif model == "capacitated_p_median" and deadline.limit is not None:
        if not _capacitated_plain(opts) or opts.split:
            return None
    elif model == "p_median" and deadline.limit is not None:
        # Under a time limit the MILP's build and HiGHS's set-up (several times the build)
        # may not fit (4,000 x 400: 6.7 s to build the model): when the build alone would
        # take a tenth of the time limit, the scale method's plan and bound first.
        # On an idle core and against the limit itself, so that the same input and limit
        # always take the same path, whatever the machine's load (issue 18 item 5).
        idle_build = milp_build_seconds(problem, model, load=1.0)
        limit = so.time_limit
        if not _scale_plain(problem, model, opts) or (
            limit is not None and idle_build < SCALE_START_BUILD_SHARE * float(limit)
        ):
            return None
    else:
        return None
    from planner.optimize.scale.heuristics import large_declines

    if large_declines(problem, opts) is not None:
        return None
    args = _scale_arguments(opts, deadline)  # after the imports above: they take time too
    if model == "capacitated_p_median":
        # The whole time, as method="auto" has it: its Lagrangian bound, branch and bound
        # and reduced MILP certify far more than the full MILP, which at city size does
        # not get past its root in seconds (1,000 x 100, p = 12 at 10 s: gap 5.4 %
        # against 14.3 % with half the time for its repair heuristic, the MILP after it).
        # The full MILP gets what that leaves (it stops early when proven or stalled).
        return _scale_function("solve_large")(
            problem, model, **args, target_gap=so.target_gap, mip_gap=so.mip_gap
        )
    left = deadline.left()
    share = None if left is None else max(WARM_START_SHARE * left, 0.05)
    if left is not None and (1.0 - WARM_START_SHARE) * left < milp_build_seconds(problem, model):
        share = max(left, 0.05)  # the MILP could not be built in the rest: all of it
    if model == "p_median":
        args["target_gap"] = so.target_gap
    return _scale_function("solve_large")(problem, model, **{**args, "time_limit": share})


def _exact_skipped(sol: Solution) -> Solution:
    """The scale method's answer when the time left is too short for the exact stage:
    labelled so (``exact_stage_skipped``), and its gap "stopped at the time limit"."""
    details = {**sol.details, "exact_stage_skipped": "time", "stop_reason": "time_limit"}
    return replace(sol, details=details)


def _stopped(sol: Solution, details: dict[str, Any]) -> Solution:
    """A solve its stop token ended, labelled so: never "optimal" (a stage may have been
    cut short before it could find better), the gap from the proven bound; without a
    plan, the diagnosis says it was stopped, not that no plan exists."""
    details["stop_reason"] = STOPPED_BY_USER
    details["stopped_by_user"] = True
    if sol.status is Status.OPTIMAL:
        gap = relative_gap(sol.objective, sol.bound) if sol.bound is not None else None
        return replace(sol, status=Status.FEASIBLE, gap=gap, details=details)
    if sol.status is Status.NO_SOLUTION:
        details.update(
            diagnose.no_plan_details(diagnose.diagnosis([diagnose.finding("stopped_by_user")]))
        )
    return replace(sol, details=details)


def _time_limit_reached(sol: Solution, deadline: Deadline) -> bool:
    """Did the clock end or skip any stage (then a plan may vary from run to run)?"""
    status = str(sol.details.get("solver_status", ""))
    return bool(
        sol.details.get("time_limit_reached")
        or sol.details.get("exact_stage_skipped") == "time"
        or sol.details.get("stop_reason") == "time_limit"
        or (status.startswith("not started") and "stopped by the user" not in status)
        or "time limit" in status.lower()
        or deadline.past_limit()
    )


def _is_seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0


def _solve_auto(
    problem: Problem,
    model: str,
    opts: ModelOptions,
    deadline: Deadline,
) -> Solution:
    """The scale method first (its Lagrangian proofs are fast at every size), then exact MILP.

    The scale method proves most p-median plans optimal in well under a second where the
    MILP takes seconds to minutes (small p has the weakest LP bound). When it stops with a
    gap and the problem is small enough, the MILP gets the time that is left, and the answer
    combines the better plan with the tighter of the two proven bounds.
    """
    from planner.optimize.scale.heuristics import large_declines

    fn = _scale_function("solve_large")
    so = opts.solver_options
    scale_args = _scale_arguments(opts, deadline)
    if model == "p_median":
        scale_args["target_gap"] = so.target_gap
    declined = large_declines(problem, opts)
    if model == "capacitated_p_median" and _capacitated_plain(opts):
        # Lagrangian bound, plan repair and a reduced MILP in one: the full MILP finds
        # no plan at city size (900 points x 200 sites) within minutes. Its dense table
        # has a size limit, checked up front (large_declines).
        if declined is not None:
            return _exact(problem, opts, deadline)
        return fn(problem, model, **scale_args, target_gap=so.target_gap, mip_gap=so.mip_gap)
    if _pair_count(problem) > AUTO_EXACT_MAX_PAIRS:
        if declined is not None:
            return _exact(problem, opts, deadline)
        return fn(problem, model, **scale_args)
    # Only the plain p-median goes to the scale method first: small problems of the other
    # models solve exactly in seconds and keep the exact method's extras (p-center's
    # tie-break on total travel, covering details); a chosen solver, hotspot or percentile
    # constraints, a formulation or a model export all ask for the MILP, and so does a
    # demand point that no site can serve (the MILP path diagnoses it).
    if not _scale_plain(problem, model, opts) or declined is not None:
        return _exact(problem, opts, deadline)
    first = fn(problem, model, **scale_args)
    if first.status in (Status.OPTIMAL, Status.INFEASIBLE) or deadline.stopped():
        return first
    if first.details.get("stop_reason") == "target_gap":
        return first
    left = deadline.left()
    if (
        left is not None
        and deadline.limit is not None
        and left < AUTO_EXACT_MIN_SHARE * deadline.limit
    ):
        # The scale method ran to its deadline: too little is left to build and set up
        # the MILP (seconds on its own at this size), which would overrun the limit.
        return _exact_skipped(first)
    start = first if model == "facility_location" and first.has_plan else None
    second = _exact(problem, opts, deadline, start)
    return _combine(first, second, runtime_s=deadline.elapsed())


def _scale_plain(problem: Problem, model: str, opts: ModelOptions) -> bool:
    """True when ``method="auto"`` hands ``model`` to the scale method first (see
    :func:`_solve_auto`)."""
    return (
        model in SCALE_FIRST_MODELS
        and opts.solver_options.solver == "highs"
        and opts.hotspot_rows is None
        and not opts.standards
        and (opts.budget is None or model == "facility_location")
        and opts.solver_options.formulation == "auto"
        and opts.solver_options.write_model is None
        and opts.radius is None
        and bool(np.isfinite(_row_min_allowed(problem)[problem.weight > 0]).all())
    )


def _capacitated_plain(opts: ModelOptions) -> bool:
    """True when the capacitated p-median's scale method covers the options."""
    return (
        opts.solver_options.solver == "highs"
        and not opts.split
        and opts.hotspot_rows is None
        and not opts.standards
        and opts.solver_options.write_model is None
    )


def _combine(first: Solution, second: Solution, *, runtime_s: float) -> Solution:
    """The better plan of two solves of one problem, with the tighter of their proven bounds."""
    if not first.has_plan:
        return replace(second, runtime_s=runtime_s)
    if not second.has_plan or second.status is Status.INFEASIBLE:
        return replace(first, runtime_s=runtime_s)
    better_is_lower = first.sense == "min"
    best = min if better_is_lower else max
    plan = first if best(first.objective, second.objective) == first.objective else second
    bounds = [b for b in (first.bound, second.bound) if b is not None]
    if not bounds:
        return replace(plan, runtime_s=runtime_s)
    bound = max(bounds) if better_is_lower else min(bounds)
    gap = relative_gap(plan.objective, bound)
    proven = second.status is Status.OPTIMAL or (gap is not None and gap <= DEFAULT_MIP_GAP)
    return replace(
        plan,
        bound=bound,
        gap=gap,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        runtime_s=runtime_s,
        method=f"{first.method}+{second.method}",
    )
