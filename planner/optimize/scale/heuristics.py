"""Heuristic plans with certified bounds for large location problems.

Two entry points called by :func:`planner.optimize.solve`:

* :func:`solve_heuristic` (``method="heuristic"``): a good plan fast, with the
  Lagrangian bound and gap (no exact phase).
* :func:`solve_large` (``method="auto"`` on large problems): plan, certified bound,
  and proven optimal wherever reduced-cost fixing and a Lagrangian branch and bound
  close the gap within the time limit.

And one entry point for problems too large for a cost matrix,
:func:`p_median_from_points`, which takes coordinates and works from the ``k``
nearest sites of each demand point.

Models: ``p_median``, ``mclp`` (maximal covering, solved as a p-median on 0/1
"not covered" costs), ``lscp`` (set covering) and ``p_center`` (binary search over the
sorted costs with set-covering checks). See ``docs/scale.md`` for the methods and why
the bounds are valid.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError, ProblemError
from planner.optimize.model_table import models_where
from planner.optimize.options import ModelOptions
from planner.optimize.problem import Problem
from planner.optimize.scale.outcome import no_plan_solution, scale_solution
from planner.optimize.solution import Solution, Status
from planner.optimize.timing import Deadline, check_target_gap

__all__ = ["p_median_from_points", "solve_heuristic", "solve_large"]

#: Models each entry point covers.
HEURISTIC_MODELS = models_where(methods=("exact", "heuristic"))
LARGE_MODELS = models_where(scale_method=True)


# --------------------------------------------------------------------------- helpers


def _check_p(problem: Problem, p: int | None, model: str) -> int:
    if p is None:
        raise ProblemError(f"model {model!r} needs `p`, the number of sites to open.")
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)):
        raise ProblemError(f"`p` must be a whole number; got {p!r}.")
    p = int(p)
    allowed = int((~problem.excluded).sum())
    n_req = int(problem.required.sum())
    if p < 1 or p > allowed:
        raise ProblemError(f"`p` = {p} must be between 1 and the {allowed} sites not excluded.")
    if p < n_req:
        raise ProblemError(f"`p` = {p} is below the {n_req} required sites; raise `p`.")
    return p


def _check_radius(radius: float | None, model: str) -> float:
    if radius is None:
        raise ProblemError(f"model {model!r} needs `radius` (coverage radius, in the cost's unit).")
    r = float(radius)
    if not np.isfinite(r) or r < 0:
        raise ProblemError(f"`radius` must be finite and >= 0; got {radius!r}.")
    return r


def _check_time(time_limit: float | None) -> float | None:
    if time_limit is None:
        return None
    t = float(time_limit)
    if not t > 0:
        raise ProblemError(f"`time_limit` must be > 0 seconds; got {time_limit!r}.")
    return t


def _stop_reason(
    details: dict[str, Any], proven: bool, t0: float, time_limit: float | None
) -> dict[str, Any]:
    """Say why an unproven solve stopped: ``target_gap`` (set by the solver), else
    ``time_limit`` when it ran into it, else ``search_ended``."""
    if proven:
        details.pop("stop_reason", None)
    elif "stop_reason" not in details:
        used = time.perf_counter() - t0
        hit = time_limit is not None and used >= 0.9 * time_limit
        details["stop_reason"] = "time_limit" if hit else "search_ended"
    return details


def _remaining(t0: float, time_limit: float | None) -> float | None:
    return Deadline(time_limit, start=t0).remaining()


def unservable(problem: Problem) -> np.ndarray:
    """Demand points with weight that no allowed site can serve.

    Parameters
    ----------
    problem
        The problem; only a sparse cost matrix can leave a point unservable.

    Returns
    -------
    numpy.ndarray
        Row indices (int64), empty for a dense or coordinate cost.
    """
    if not sp.issparse(problem.cost):
        return np.zeros(0, dtype=np.int64)
    sub = sp.csr_array(problem.stored_cost()[:, np.flatnonzero(~problem.excluded)])
    return np.flatnonzero((np.diff(sub.indptr) == 0) & (problem.weight > 0))


# --------------------------------------------------------------------------- p-median


def _p_median(
    problem: Problem,
    p: int,
    *,
    time_limit: float | None,
    seed: int,
    bound: bool,
    exact: bool,
    neighbours: int | None,
    method_name: str,
    target_gap: float = 0.0,
    deterministic: bool = False,
) -> Solution:
    from planner.optimize.check import nearest_open
    from planner.optimize.scale import data as scale_data
    from planner.optimize.scale.pmedian import solve_p_median

    t0 = time.perf_counter()
    bad = unservable(problem)
    if bad.size:
        from planner.optimize.diagnose import no_candidate

        return no_plan_solution("p_median", t0, [no_candidate(problem, bad)], n=problem.n_demand)
    data = scale_data.from_problem(problem, p, neighbours=neighbours)
    if data.n == 0:  # no demand with weight: any p sites
        open_sites = np.sort(
            np.concatenate(
                [
                    np.flatnonzero(problem.required),
                    np.flatnonzero(~problem.required & ~problem.excluded),
                ]
            )[:p]
        )
        a, _ = nearest_open(problem, open_sites)
        return scale_solution(open_sites=open_sites, assignment=a, objective=0.0, bound=0.0, proven=True,
                         t0=t0, model="p_median", method=method_name)  # fmt: skip
    out = solve_p_median(
        data, p, time_limit=_remaining(t0, time_limit), seed=seed, bound=bound, exact=exact,
        target_gap=target_gap, deterministic=deterministic,
    )  # fmt: skip
    open_sites = data.site_index[out.open_local]
    assignment, best = nearest_open(problem, open_sites)
    w = problem.weight
    served = w > 0
    if np.isinf(best[served]).any():
        from planner.optimize.diagnose import diagnosis, finding, no_plan_details

        return Solution(
            open_sites=np.zeros(0, dtype=np.int64), assignment=np.full(problem.n_demand, -1),
            objective=float("nan"), bound=None,
            gap=None, status=Status.NO_SOLUTION, runtime_s=time.perf_counter() - t0,
            model="p_median", method=method_name, solver="planner",
            details=no_plan_details(diagnosis([finding("cutoff")])),
        )  # fmt: skip
    objective = float(np.dot(w[served], best[served]))
    lb = out.bound if bound else None
    details = _stop_reason(dict(out.details), out.proven, t0, time_limit)
    details["neighbours_per_point"] = int(np.max(np.diff(data.indptr))) if data.n else 0
    details["lists_complete"] = data.complete
    return scale_solution(
        open_sites=open_sites, assignment=assignment, objective=objective, bound=lb,
        proven=out.proven, t0=t0, model="p_median",
        method="heuristic" if method_name == "heuristic" else out.method,
        details=details,
    )  # fmt: skip


def p_median_from_points(
    demand_xy: np.ndarray,
    site_xy: np.ndarray,
    weight: np.ndarray,
    p: int,
    *,
    rounding: str = "none",
    cost_per_unit: float = 1.0,
    required: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
    neighbours: int | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    exact: bool = True,
    target_gap: float = 0.0,
) -> Solution:
    """p-median straight from coordinates, for problems too large for a cost matrix.

    The cost of serving demand point ``i`` from site ``j`` is ``cost_per_unit`` times
    the Euclidean distance between them (``floor``-ed with ``rounding="floor"``, the
    TSPLIB benchmark convention). Only the ``neighbours`` nearest sites of each point
    are kept in memory; the Lagrangian bound charges every other site the distance of
    the first one left out, which is a valid relaxation, and plans are scored with exact
    distances. Memory is ``O(n_demand * neighbours)``.

    Parameters
    ----------
    demand_xy, site_xy
        ``(n_demand, 2)`` and ``(n_sites, 2)`` projected coordinates (e.g. metres).
    weight
        ``(n_demand,)`` demand weights, >= 0.
    p
        Number of sites to open (including ``required`` ones).
    rounding
        ``"none"`` or ``"floor"``.
    cost_per_unit
        Multiplier from coordinate units to cost (e.g. ``1.3`` as a detour factor).
    required, excluded
        Boolean masks or index lists of sites that must / must not open.
    neighbours
        Sites kept per demand point (default: from the size and ``p``).
    time_limit
        Seconds; the best plan found and its certified gap are returned when it runs out.
    seed
        Seed of the randomised restarts.
    exact
        Run the Lagrangian branch and bound when the gap is still open.

    Returns
    -------
    Solution
        ``model="p_median"``, ``solver="planner"``; ``bound`` is certified.
    """
    from scipy.spatial import cKDTree

    from planner.optimize.scale import data as scale_data
    from planner.optimize.scale.pmedian import solve_p_median

    t0 = time.perf_counter()
    dxy = np.asarray(demand_xy, dtype=np.float64)
    sxy = np.asarray(site_xy, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64).ravel()
    if dxy.ndim != 2 or dxy.shape[1] != 2 or sxy.ndim != 2 or sxy.shape[1] != 2:
        raise InputError("`demand_xy` and `site_xy` must be (n, 2) coordinate arrays.")
    if w.shape != (dxy.shape[0],):
        raise InputError(
            f"`weight` needs one value per demand point ({dxy.shape[0]}); got {w.shape}."
        )
    if not (np.isfinite(dxy).all() and np.isfinite(sxy).all()):
        raise InputError("`demand_xy`/`site_xy` hold NaN or infinite coordinates.")
    if not np.isfinite(w).all() or (w < 0).any():
        raise InputError("`weight` must be finite and >= 0.")
    if rounding not in ("none", "floor"):
        raise InputError(f"`rounding` must be 'none' or 'floor'; got {rounding!r}.")
    if not cost_per_unit > 0:
        raise InputError("`cost_per_unit` must be > 0.")
    m = sxy.shape[0]
    none = np.zeros(m, dtype=bool)
    probe = Problem(
        np.zeros((1, m)),
        np.ones(1),
        required=none if required is None else np.asarray(required),
        excluded=none if excluded is None else np.asarray(excluded),
    )
    p = _check_p(probe, p, "p_median")
    time_limit = _check_time(time_limit)
    data = scale_data.from_points(
        dxy, sxy, w, p, rounding=rounding, scale=cost_per_unit,
        required=probe.required, excluded=probe.excluded, neighbours=neighbours,
    )  # fmt: skip
    out = solve_p_median(
        data, p, time_limit=_remaining(t0, time_limit), seed=seed, exact=exact,
        target_gap=check_target_gap(target_gap),
    )  # fmt: skip
    open_sites = data.site_index[out.open_local]
    d, k = cKDTree(sxy[open_sites]).query(dxy, k=1, workers=2)
    d = np.asarray(d) * cost_per_unit
    if rounding == "floor":
        d = np.floor(d)
    assignment = open_sites[np.asarray(k)]
    objective = float(np.dot(w, d))
    details = _stop_reason(dict(out.details), out.proven, t0, time_limit)
    details["neighbours_per_point"] = int(np.max(np.diff(data.indptr))) if data.n else 0
    details["lists_complete"] = data.complete
    return scale_solution(
        open_sites=open_sites, assignment=assignment, objective=objective, bound=out.bound,
        proven=out.proven, t0=t0, model="p_median",
        method=out.method, details=details,
    )  # fmt: skip


# --------------------------------------------------------------------------- capacitated


def _capacitated(
    problem: Problem,
    p: int | None,
    radius: float | None,
    time_limit: float | None,
    seed: int,
    *,
    exact: bool,
    target_gap: float = 0.0,
    mip_gap: float | None = None,
) -> Solution:
    """Single-source capacitated p-median (:mod:`planner.optimize.scale.cpmp`)."""
    from planner.optimize.scale.cpmp import MAX_DENSE_PAIRS, solve_capacitated

    if problem.capacity is None:
        raise ProblemError(
            "model 'capacitated_p_median' needs site capacities: Problem(..., capacity=...)."
        )
    p = _check_p(problem, p, "capacitated_p_median")
    if not exact and problem.n_demand * problem.n_sites > MAX_DENSE_PAIRS:
        raise ProblemError(
            f"the capacitated heuristic holds at most {MAX_DENSE_PAIRS:,} (demand x site) pairs; "
            f"this problem has {problem.n_demand * problem.n_sites:,}: raise cell_size_m."
        )
    return solve_capacitated(
        problem, p, radius=None if radius is None else _check_radius(radius, "capacitated_p_median"),
        time_limit=_check_time(time_limit), seed=seed, exact=exact,
        mip_gap=mip_gap, target_gap=check_target_gap(target_gap),
        method_name="heuristic" if not exact else None,
    )  # fmt: skip


# --------------------------------------------------------------------------- facility location


def _facility_location(
    problem: Problem,
    *,
    p: int | None,
    max_sites: int | None,
    radius: float | None,
    time_limit: float | None,
    seed: int,
    bound: bool,
    method_name: str,
    neighbours: int | None = None,
    budget: float | None = None,
) -> Solution:
    """Uncapacitated facility location (:mod:`planner.optimize.scale.ufl`), optionally
    with a ``budget`` on the new sites' opening cost."""
    from planner.optimize.check import nearest_open, new_site_opening_cost
    from planner.optimize.diagnose import budget_findings
    from planner.optimize.scale.ufl import ufl_declines, ufl_plan

    t0 = time.perf_counter()
    if problem.opening_cost is None:
        raise ProblemError(
            "model 'facility_location' needs opening costs: Problem(..., opening_cost=...)."
        )
    if p is not None:
        p = _check_p(problem, p, "facility_location")
    r = None if radius is None else _check_radius(radius, "facility_location")
    why = ufl_declines(problem, r, counted=p is not None or max_sites is not None, budget=budget)
    if why is not None:
        raise ProblemError(f"{why}; use method='exact'.")
    if budget is not None:
        found = budget_findings(problem, budget, p=p, sites=np.flatnonzero(~problem.excluded))
        if found:
            return no_plan_solution("facility_location", t0, found, n=problem.n_demand)
    open_sites, objective, lb, proven, details = ufl_plan(
        problem, p=p, max_sites=max_sites, radius=r, time_limit=_check_time(time_limit),
        seed=seed, bound=bound, neighbours=neighbours, budget=budget,
    )  # fmt: skip
    if (
        budget is not None
        and new_site_opening_cost(problem, open_sites) > budget * (1 + 1e-9) + 1e-9
    ):
        # Every searched plan is kept within the budget; never hand out one that is not.
        raise RuntimeError("facility location: the scale method's plan exceeds the budget")
    assignment, _ = nearest_open(problem, open_sites, max_cost=r)
    if problem.existing.any():
        details["existing_closed"] = np.flatnonzero(
            problem.existing & ~np.isin(np.arange(problem.n_sites), open_sites)
        ).tolist()
    details = _stop_reason(details, proven, t0, time_limit)
    return scale_solution(
        open_sites=open_sites, assignment=assignment, objective=objective, bound=lb,
        proven=proven, t0=t0, model="facility_location", method=method_name, details=details,
    )  # fmt: skip


# --------------------------------------------------------------------------- public


def solve_heuristic(
    problem: Problem,
    model: str,
    *,
    p: int | None = None,
    radius: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    neighbours: int | None = None,
    bound: bool = True,
    deterministic: bool = False,
    max_sites: int | None = None,
    budget: float | None = None,
) -> Solution:
    """A good plan fast: greedy + swap local search, with a certified Lagrangian bound.

    Side constraints (hotspot limits, standards, split assignment) are not covered:
    :func:`planner.optimize.solve` refuses them with ``method="heuristic"``; a
    ``budget`` is covered for ``facility_location`` (its opening-cost limit).

    Parameters
    ----------
    problem
        The problem (dense or sparse cost; sparse absent pairs cannot be served).
    model
        ``"p_median"``, ``"mclp"`` or ``"capacitated_p_median"``.
    p
        Number of sites to open (including required ones).
    radius
        Coverage radius for ``mclp``, in the cost's unit.
    time_limit
        Seconds (honoured within about 10 %); the best plan so far is returned.
    seed
        Seed of the randomised restarts. With ``deterministic`` the same seed gives the
        same plan unless ``details["time_limit_reached"]``; without it, under a time
        limit the swap search goes on beside the bound until the proof or the deadline,
        so an unproven plan can differ from run to run.
    neighbours
        p-median: sites kept per demand point (default: from the size and ``p``).
    bound
        p-median: compute the Lagrangian bound and gap (default True).
    deterministic
        Work limits instead of the clock and no second thread (default False here;
        :func:`planner.optimize.solve` passes its own, True by default).

    Returns
    -------
    Solution
        ``method="heuristic"``; ``status`` is ``OPTIMAL`` only when the bound proves it.
    """
    if model not in HEURISTIC_MODELS:
        raise ProblemError(
            f"heuristic not available for model {model!r}; use one of {', '.join(HEURISTIC_MODELS)} "
            "or method='exact'."
        )
    if model == "capacitated_p_median":
        return _capacitated(problem, p, radius, time_limit, seed, exact=False)
    if model == "facility_location":
        return _facility_location(
            problem, p=p, max_sites=max_sites, radius=radius, time_limit=time_limit, seed=seed,
            bound=bool(bound), method_name="heuristic", neighbours=neighbours, budget=budget,
        )  # fmt: skip
    time_limit = _check_time(time_limit)
    if model == "p_median":
        p = _check_p(problem, p, model)
        return _p_median(
            problem, p, time_limit=time_limit, seed=seed, bound=bool(bound),
            exact=False, neighbours=neighbours, method_name="heuristic",
            deterministic=bool(deterministic),
        )  # fmt: skip
    from planner.optimize.scale.cover import solve_mclp

    p = _check_p(problem, p, model)
    r = _check_radius(radius, model)
    return solve_mclp(problem, p, r, time_limit=time_limit, seed=seed, exact=False,
                      method_name="heuristic", deterministic=bool(deterministic))  # fmt: skip


def large_declines(problem: Problem, opts: ModelOptions) -> str | None:
    """Why :func:`solve_large` does not take this problem, or None when it does.

    :func:`planner.optimize.solve` asks this before calling :func:`solve_large` and
    routes a declined problem to the exact method: no routing goes through exceptions.
    It covers the model table's ``scale_method`` models without budgets, hotspots,
    standards or split (facility location: with a budget too), a p-center of at most
    :data:`~planner.optimize.scale.cover.P_CENTER_MAX_PAIRS` pairs and a capacitated
    p-median whose dense table (served points x allowed sites) holds at most
    :data:`~planner.optimize.scale.cpmp.MAX_DENSE_PAIRS` pairs.

    Parameters
    ----------
    problem
        The problem to solve.
    opts
        The solve's validated model options.
    """
    from planner.optimize.scale.cover import P_CENTER_MAX_PAIRS, P_CENTER_TOO_LARGE
    from planner.optimize.scale.cpmp import dense_table_declines

    model = opts.model
    if model not in LARGE_MODELS:
        return f"solve_large does not cover model {model!r}"
    covered = ("budget",) if model == "facility_location" else ()
    if set(opts.side_constraints) - set(covered):
        return "solve_large does not cover hotspots, standards or split (nor budgets but facility_location's)"
    if model == "p_center" and problem.n_demand * problem.n_sites > P_CENTER_MAX_PAIRS:
        return P_CENTER_TOO_LARGE
    if model == "capacitated_p_median":
        return dense_table_declines(problem)
    if model == "facility_location":
        from planner.optimize.scale.ufl import ufl_declines

        return ufl_declines(problem, opts.radius, counted=opts.most_sites is not None,
                            budget=opts.budget)  # fmt: skip
    return None


def solve_large(
    problem: Problem,
    model: str,
    *,
    p: int | None = None,
    radius: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    neighbours: int | None = None,
    target_gap: float = 0.0,
    mip_gap: float | None = None,
    deterministic: bool = False,
    max_sites: int | None = None,
    budget: float | None = None,
) -> Solution:
    """Plan plus certified bound for large problems; proven optimal where the gap closes.

    p-median and maximal covering: local search, Lagrangian bound with reduced-cost
    fixing, then a Lagrangian branch and bound on the sites left. Set covering: demand
    points sharing a coverage set are merged and dominated rows dropped, then the MILP
    is solved exactly. p-center: binary search over the sorted costs with set-covering
    checks. Capacitated p-median: :mod:`planner.optimize.scale.cpmp`.

    Parameters are those of :func:`solve_heuristic`; ``model`` may also be ``"lscp"``
    or ``"p_center"``. ``target_gap`` (a share, e.g. 0.001; p-median and capacitated
    p-median) stops the solve once the certified gap is within it;
    ``details["stop_reason"]`` then says ``"target_gap"`` (else ``"time_limit"`` or
    ``"search_ended"`` for a plan left unproven). ``mip_gap`` (capacitated p-median)
    is the relative gap its reduced MILP counts as proven. Side constraints are not
    covered but facility location's ``budget`` (at most that opening cost of new
    sites); :func:`planner.optimize.solve` asks :func:`large_declines` first and sends
    what it declines to the exact method.

    Returns
    -------
    Solution
        ``method`` names what proved the bound (``"lagrangian"``,
        ``"lagrangian+branch_and_bound"``, ``"set_cover_reduction"``, ``"binary_search"``).

    Raises
    ------
    ProblemError
        For a model or size this method does not cover (:func:`large_declines` says
        which) and for invalid arguments.
    """
    if model not in LARGE_MODELS:
        raise ProblemError(f"solve_large does not cover model {model!r}; use method='exact'.")
    if model == "capacitated_p_median":
        return _capacitated(problem, p, radius, time_limit, seed, exact=True,
                            target_gap=target_gap, mip_gap=mip_gap)  # fmt: skip
    if model == "facility_location":
        return _facility_location(
            problem, p=p, max_sites=max_sites, radius=radius, time_limit=time_limit, seed=seed,
            bound=True, method_name="lagrangian", neighbours=neighbours, budget=budget,
        )  # fmt: skip
    time_limit = _check_time(time_limit)
    det = bool(deterministic)
    if model == "p_median":
        p = _check_p(problem, p, model)
        return _p_median(
            problem, p, time_limit=time_limit, seed=seed, bound=True, exact=True,
            neighbours=neighbours, method_name="lagrangian",
            target_gap=check_target_gap(target_gap), deterministic=det,
        )  # fmt: skip
    from planner.optimize.scale import cover

    if model == "mclp":
        p = _check_p(problem, p, model)
        r = _check_radius(radius, model)
        return cover.solve_mclp(problem, p, r, time_limit=time_limit, seed=seed, exact=True,
                                method_name="lagrangian", deterministic=det)  # fmt: skip
    if model == "lscp":
        r = _check_radius(radius, model)
        return cover.solve_lscp(problem, r, time_limit=time_limit, seed=seed)
    p = _check_p(problem, p, model)
    return cover.solve_p_center(problem, p, time_limit=time_limit, seed=seed)
