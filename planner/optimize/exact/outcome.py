"""From a solved MILP to a :class:`~planner.optimize.Solution`: the exact methods' results.

A plan's objective is recomputed from the problem (never read off the solver), its
bound clipped to the plan and its gap computed once (:func:`plan_solution`); a
solver's "infeasible" is explained by the hard cost limits alone
(:func:`why_infeasible`), a stopped run without a plan says so (:func:`no_plan_solution`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from planner.optimize import diagnose
from planner.optimize.check import nearest_open, recompute_objective
from planner.optimize.exact.formulations import INF, build_pairs
from planner.optimize.exact.milp import MilpResult
from planner.optimize.model_table import COVERAGE_MODELS
from planner.optimize.options import ModelOptions
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution, Status, no_plan, relative_gap
from planner.optimize.timing import Deadline

__all__ = [
    "hotspot_limits",
    "infeasible_solution",
    "milp_details",
    "must_serve",
    "nearest_plan",
    "no_plan_solution",
    "plan_solution",
    "why_infeasible",
]


def must_serve(problem: Problem, capacitated: bool) -> np.ndarray:
    """Demand points a plan must serve: weight > 0, or (capacitated) load > 0."""
    w = problem.weight
    return (w > 0) | (problem.demand_load > 0) if capacitated else w > 0


def hotspot_limits(problem: Problem, opts: ModelOptions) -> np.ndarray:
    """Each demand point's response limit (cost unit): the hotspot's, else ``INF``."""
    lim = np.full(problem.n_demand, INF)
    if opts.hotspot_rows is not None and opts.hotspot_max_cost is not None:
        np.minimum.at(lim, opts.hotspot_rows, opts.hotspot_max_cost)
    return lim


def plan_solution(
    problem: Problem,
    opts: ModelOptions,
    clock: Deadline,
    *,
    status: Status,
    open_sites: np.ndarray | None = None,
    assignment: np.ndarray | None = None,
    bound: float | None = None,
    details: dict[str, Any] | None = None,
    sense: str = "min",
) -> Solution:
    """The :class:`Solution` of one exact solve.

    Without a plan (``open_sites`` None, or a status other than optimal/feasible) a
    no-plan solution carrying ``details``. With one: the objective recomputed from the
    problem, the solver's ``bound`` clipped to the plan (never past it; ``None`` when not
    finite), the gap from them, ``details["existing_closed"]`` when existing centres may
    close, and ``runtime_s`` from ``clock``.
    """
    details = dict(details or {})
    if open_sites is None or status not in (Status.OPTIMAL, Status.FEASIBLE):
        return no_plan(
            problem.n_demand,
            status=status,
            runtime_s=clock.elapsed(),
            model=opts.model,
            method="exact",
            solver=opts.solver_options.solver,
            sense=sense,
            details=details,
        )
    assert assignment is not None
    existing_closed = np.flatnonzero(
        problem.existing & ~np.isin(np.arange(problem.n_sites), open_sites)
    )
    if problem.existing.any():
        details["existing_closed"] = existing_closed.tolist()
    draft = Solution(
        open_sites=open_sites,
        assignment=assignment,
        objective=0.0,
        bound=None,
        gap=None,
        status=status,
        runtime_s=0.0,
        model=opts.model,
        method="exact",
        solver=opts.solver_options.solver,
        sense=sense,
        details=details,
    )
    objective = recompute_objective(problem, draft, model=opts.model, radius=opts.radius)
    if bound is not None and math.isfinite(bound):
        # The solver's bound is proven up to its tolerance; never report it past the plan.
        bound = min(bound, objective) if sense == "min" else max(bound, objective)
    else:
        bound = None
    if status is Status.OPTIMAL:
        gap: float | None = 0.0
        if bound is None:
            bound = objective
    else:
        gap = relative_gap(objective, bound)
    return replace(draft, objective=objective, bound=bound, gap=gap, runtime_s=clock.elapsed())


def infeasible_solution(
    problem: Problem, opts: ModelOptions, clock: Deadline, diag: dict[str, Any], sense: str = "min"
) -> Solution:
    """An ``INFEASIBLE`` solution carrying the diagnosis ``diag``."""
    return plan_solution(
        problem,
        opts,
        clock,
        status=Status.INFEASIBLE,
        details=diagnose.no_plan_details(diag),
        sense=sense,
    )


def milp_details(res: MilpResult, n_rows: int, n_cols: int, formulation: str) -> dict[str, Any]:
    """The MILP facts a solution reports: formulation, size, build seconds, solver status."""
    return {
        "formulation": formulation,
        "n_rows": n_rows,
        "n_cols": n_cols,
        "build_s": round(res.build_s, 4),
        "solver_status": res.solver_status,
    }


def nearest_plan(
    problem: Problem,
    opts: ModelOptions,
    clock: Deadline,
    res: Any,
    open_sites: np.ndarray,
    details: dict[str, Any],
) -> Solution:
    """The solution of an uncapacitated MILP: its open sites, each point to the nearest one."""
    assignment, _ = nearest_open(problem, open_sites, max_cost=opts.radius)
    return plan_solution(
        problem,
        opts,
        clock,
        status=res.status,
        open_sites=open_sites,
        assignment=assignment,
        bound=res.bound,
        details=details,
    )


def no_plan_solution(
    problem: Problem,
    opts: ModelOptions,
    clock: Deadline,
    res: MilpResult,
    details: dict[str, Any],
    *,
    sense: str = "min",
    capacitated: bool = False,
) -> Solution:
    """The solution of a MILP that returned no plan: infeasible (explained by
    :func:`why_infeasible`) or stopped before finding one."""
    if res.status is Status.INFEASIBLE:
        diag = why_infeasible(problem, opts, clock, capacitated=capacitated)
    else:
        diag = diagnose.diagnosis([diagnose.finding("stopped")])
    details.update(diagnose.no_plan_details(diag))
    return plan_solution(problem, opts, clock, status=res.status, details=details, sense=sense)


def why_infeasible(
    problem: Problem, opts: ModelOptions, clock: Deadline, *, capacitated: bool
) -> dict[str, Any]:
    """The solver's "infeasible", explained: do the hard cost limits alone need more than p sites?

    The limits each model puts on where a point's site may be: in the serving models
    (p-median, p-center, facility location, capacitated) every point with weight (or
    load) needs a site it can be served through, within the radius when one is set; a
    hotspot needs one within its response limit (and the radius) in every model. In
    ``mclp`` and ``lscp`` the radius defines coverage, not a limit on a plan.
    """
    n = problem.n_demand
    pairs_all = build_pairs(problem)
    serving = opts.model not in COVERAGE_MODELS
    radius = opts.radius if serving else None
    limits = np.full(n, INF)
    listed = np.zeros(n, dtype=bool)
    kinds: list[str] = []
    if serving:
        must = must_serve(problem, capacitated=capacitated)
        listed |= must
        if radius is not None:
            limits[must] = radius
            kinds.append("radius")
        elif (pairs_all.counts[must] < pairs_all.n_sites).any():
            kinds.append("reach")  # costs missing (cut off) for some pairs
    if opts.hotspot_rows is not None and opts.hotspot_rows.size:
        hot = np.unique(opts.hotspot_rows)
        hot_limit = hotspot_limits(problem, opts)[hot]
        if radius is not None:
            hot_limit = np.minimum(hot_limit, radius)
        if (~listed[hot] | (hot_limit < limits[hot])).any():
            kinds.append("hotspots")
        listed[hot] = True
        limits[hot] = np.minimum(limits[hot], hot_limit)
    remaining = clock.remaining()
    budget = diagnose.LIMITS_COVER_SECONDS if remaining is None else max(remaining, 0.1)
    diag = diagnose.solver_infeasible(
        problem,
        p=opts.most_sites,
        pairs_all=pairs_all,
        rows=np.flatnonzero(listed),
        limits=limits,
        kinds=tuple(kinds),
        radius=radius,
        time_limit=min(budget, diagnose.LIMITS_COVER_SECONDS),
    )
    if diag.get("cause") == "combination" and opts.standards and opts.most_sites is not None:
        # a percentile standard that p sites cannot meet: say which, by how much, and the p
        found = diagnose.standards_need_sites(
            problem, pairs_all, opts.standards, opts.most_sites,
            time_limit=min(budget, diagnose.LIMITS_COVER_SECONDS),
        )  # fmt: skip
        if found:
            extra = {k: v for k, v in diag.items() if k not in ("cause", "findings")}
            diag = diagnose.diagnosis(found, cause="standard_needs_sites", **extra)
    return diag
