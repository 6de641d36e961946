"""Exact methods: every model as a MILP, solved to proven optimality (or to the time limit).

Entry point: :func:`solve_exact`, called by :func:`planner.optimize.solve` with
validated :class:`ModelOptions`. Formulations are documented in ``docs/models.md``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from planner.optimize import diagnose
from planner.optimize.check import nearest_open, recompute_objective
from planner.optimize.exact.formulations import (
    INF,
    MilpBuilder,
    Pairs,
    add_assignment_block,
    add_assignment_standard,
    add_capacity_rows,
    add_count_row,
    add_cover_rows,
    add_coverage_columns,
    add_radius_block,
    add_site_columns,
    add_standard,
    build_pairs,
    new_builder,
    radius_caps,
)
from planner.optimize.exact.milp import (
    MilpResult,
    solve_milp,
    write_milp,
)
from planner.optimize.exact.outcome import (
    hotspot_limits,
    infeasible_solution,
    milp_details,
    must_serve,
    nearest_plan,
    no_plan_solution,
    plan_solution,
    why_infeasible,
)
from planner.optimize.exact.warmstart import pmedian_incumbent
from planner.optimize.options import ModelOptions
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution, Status
from planner.optimize.timing import MIN_STAGE_SECONDS, Deadline

#: Time-limited single-source assignment models with at least this many binaries are
#: solved without HiGHS's presolve (see :func:`_solve_assignment_model`).
PRESOLVE_OFF_MIN_BINARIES = 50_000

#: Largest demand x site count for which the exact p-median builds a dense warm start.
WARM_START_MAX_PAIRS = 4_000_000


# --------------------------------------------------------------------------- shared pieces


def _add_x_extras(
    b: MilpBuilder, x0: int, pairs_all: Pairs, problem: Problem, opts: ModelOptions
) -> None:
    """Hotspot limits and percentile standards on an x-only model (nearest-open semantics)."""
    if opts.hotspot_rows is not None and opts.hotspot_rows.size:
        hot = np.unique(opts.hotspot_rows)
        add_cover_rows(b, x0, pairs_all.within(hotspot_limits(problem, opts)), hot)
    for d, share in opts.standards:
        add_standard(b, x0, pairs_all, problem.weight, d, share)


def _site_costs(problem: Problem, pairs: Pairs, model: str) -> tuple[np.ndarray, float]:
    """x objective coefficients and constant for facility location (0 otherwise)."""
    m = pairs.n_sites
    if model != "facility_location":
        return np.zeros(m), 0.0
    f = problem.opening_cost if problem.opening_cost is not None else np.zeros(problem.n_sites)
    s = problem.closing_saving if problem.closing_saving is not None else np.zeros(problem.n_sites)
    coef = np.where(problem.existing, s, f)[pairs.sites]
    offset = -float(s[problem.existing].sum())
    return coef, offset


def _add_count_rows(b: MilpBuilder, x0: int, m: int, opts: ModelOptions) -> None:
    """Exactly ``p`` open sites, or at most ``max_sites`` (facility location)."""
    if opts.p is not None:
        add_count_row(b, x0, m, opts.p, opts.p)
    elif opts.max_sites is not None:
        add_count_row(b, x0, m, 0.0, opts.max_sites)


def _add_budget_row(
    b: MilpBuilder, x0: int, problem: Problem, pairs: Pairs, budget: float | None
) -> None:
    if budget is None or problem.opening_cost is None:
        return
    f = np.where(problem.existing, 0.0, problem.opening_cost)[pairs.sites]
    nz = np.flatnonzero(f)
    b.rows(1, np.zeros(nz.size, dtype=np.int64), x0 + nz, f[nz], -INF, float(budget))


def _dense_from_pairs(pairs: Pairs, rows: np.ndarray) -> np.ndarray:
    """``(len(rows), n_sites)`` cost with inf for absent pairs."""
    pos = np.full(pairs.n_demand, -1, dtype=np.int64)
    pos[rows] = np.arange(rows.size)
    dist = np.full((rows.size, pairs.n_sites), INF)
    sel = pos[pairs.rows] >= 0
    dist[pos[pairs.rows[sel]], pairs.cols[sel]] = pairs.cost[sel]
    return dist


def _run(
    milp: Any,
    opts: ModelOptions,
    clock: Deadline,
    initial: np.ndarray | None = None,
    highs_options: dict[str, Any] | None = None,
) -> MilpResult:
    if opts.solver_options.model_path is not None:
        write_milp(milp, opts.solver_options.model_path)
    return solve_milp(
        milp,
        solver=opts.solver_options.solver,
        time_limit=clock.remaining(),
        seed=opts.solver_options.seed,
        verbose=opts.solver_options.verbose,
        mip_gap=opts.solver_options.mip_gap,
        initial=initial if opts.solver_options.solver == "highs" else None,
        highs_options=highs_options,
    )


# --------------------------------------------------------------------------- p-median, UFL


def checked_pairs(
    problem: Problem, opts: ModelOptions, *, capacitated: bool
) -> tuple[Pairs, Pairs, np.ndarray] | dict[str, Any]:
    """The allowed pairs, those within the service radius, and the points that must be served.

    Returns the diagnosis instead when the model is infeasible before any solve. In the
    capacitated models hotspot limits also cut the pairs a hotspot may be served through.
    """
    pairs_all = build_pairs(problem)
    pairs = (
        pairs_all
        if opts.radius is None
        else pairs_all.within(np.full(problem.n_demand, opts.radius))
    )
    if capacitated:
        pairs = pairs.within(hotspot_limits(problem, opts))
    must = must_serve(problem, capacitated=capacitated)
    diag = diagnose.precheck(
        problem,
        model=opts.model,
        p=opts.most_sites,
        radius=opts.radius,
        pairs_all=pairs_all,
        pairs_service=pairs,
        must_serve=must,
        hotspot_rows=opts.hotspot_rows,
        hotspot_max_cost=opts.hotspot_max_cost,
        standards=opts.standards,
        budget=opts.budget,
        capacitated=capacitated,
        single_source=capacitated and not opts.split,
        exact_p=opts.p,
    )
    if diag is not None:
        return diag
    return pairs_all, pairs, must


def _solve_nearest_model(
    problem: Problem, opts: ModelOptions, clock: Deadline, start: Solution | None = None
) -> Solution:
    """p_median and uncapacitated facility_location: radius or assignment formulation."""
    w = problem.weight
    checked = checked_pairs(problem, opts, capacitated=False)
    if isinstance(checked, dict):
        return infeasible_solution(problem, opts, clock, checked)
    pairs_all, pairs, must = checked
    pairs_d = pairs.keep(must[pairs.rows])
    formulation = (
        "radius" if opts.solver_options.formulation == "auto" else opts.solver_options.formulation
    )
    coef, fl_offset = _site_costs(problem, pairs, opts.model)
    b = new_builder()
    x0 = add_site_columns(b, problem, pairs, coef)
    m = pairs.n_sites
    _add_count_rows(b, x0, m, opts)
    _add_budget_row(b, x0, problem, pairs, opts.budget)
    initial = None
    if formulation == "radius":
        pairs_r = pairs_d.within(radius_caps(problem, pairs_d, opts.p))
        layout = add_radius_block(b, x0, pairs_r, w)
        offset = layout.offset
    else:
        rows = np.flatnonzero(must)
        add_assignment_block(
            b, x0, pairs_d, rows, w[pairs_d.rows] * pairs_d.cost, single_source=False
        )
        layout = None
        offset = 0.0
    service = pairs if opts.radius is not None else pairs_all
    _add_x_extras(b, x0, service, problem, opts)
    milp = b.build(offset=offset + fl_offset)
    if (
        start is None  # a plan found before replaces this warm start (below)
        and opts.solver_options.warm_start
        and layout is not None
        and opts.model == "p_median"
        and opts.p is not None
        and not opts.has_extras
        and opts.budget is None
    ):
        rows = np.flatnonzero(must)
        if rows.size * m <= WARM_START_MAX_PAIRS and rows.size:
            dist = _dense_from_pairs(pairs_d, rows)
            fixed = problem.required[pairs.sites]
            inc = pmedian_incumbent(
                dist, w[rows], opts.p, fixed=fixed, time_limit=min(2.0, clock.remaining() or 2.0)
            )
            served = np.full(problem.n_demand, INF)
            served[rows] = dist[:, inc].min(axis=1)
            if np.isfinite(served[rows]).all():
                initial = np.zeros(milp.n_cols)
                initial[x0 + inc] = 1.0
                initial[layout.zcol[layout.zcol >= 0]] = layout.z_values(served)
    if (
        start is not None
        and start.has_plan
        and layout is not None
        and opts.solver_options.solver == "highs"
    ):
        # A plan found before (the scale method's): the MILP's first incumbent, and its
        # fallback when HiGHS cannot set up in time.
        served = _served_cost(pairs_d, np.isin(pairs.sites, start.open_sites), problem.n_demand)
        rows = np.flatnonzero(must)
        if np.isfinite(served[rows]).all():
            initial = np.zeros(milp.n_cols)
            initial[x0 + np.searchsorted(pairs.sites, start.open_sites)] = 1.0
            initial[layout.zcol[layout.zcol >= 0]] = layout.z_values(served)
    res = _run(milp, opts, clock, initial=initial)
    details = milp_details(res, milp.n_rows, milp.n_cols, formulation)
    if res.x is None:
        return no_plan_solution(problem, opts, clock, res, details)
    return nearest_plan(problem, opts, clock, res, pairs.sites[res.x[x0 : x0 + m] > 0.5], details)


def _served_cost(pairs: Pairs, is_open: np.ndarray, n_demand: int) -> np.ndarray:
    """Each demand row's cheapest open pair (inf where none); ``is_open`` per compact site."""
    served = np.full(n_demand, INF)
    sel = is_open[pairs.cols]
    np.minimum.at(served, pairs.rows[sel], pairs.cost[sel])
    return served


# --------------------------------------------------------------------------- capacitated


def _solve_assignment_model(
    problem: Problem, opts: ModelOptions, clock: Deadline, start: Solution | None = None
) -> Solution:
    """capacitated_p_median and capacitated facility_location (single-source or split)."""
    w = problem.weight
    load = problem.demand_load
    checked = checked_pairs(problem, opts, capacitated=True)
    if isinstance(checked, dict):
        return infeasible_solution(problem, opts, clock, checked)
    _, pairs, must = checked
    pairs_d = pairs.keep(must[pairs.rows])
    rows = np.flatnonzero(must)
    coef, fl_offset = _site_costs(problem, pairs, opts.model)
    b = new_builder()
    x0 = add_site_columns(b, problem, pairs, coef)
    m = pairs.n_sites
    _add_count_rows(b, x0, m, opts)
    _add_budget_row(b, x0, problem, pairs, opts.budget)
    if opts.hotspot_rows is not None and opts.hotspot_rows.size:
        # A hotspot without load is not assigned, yet its response limit holds too: some
        # open site within it (the point goes to the nearest open site).
        free = np.setdiff1d(np.unique(opts.hotspot_rows), rows)
        if free.size:
            add_cover_rows(b, x0, pairs, free)
    y0 = add_assignment_block(
        b, x0, pairs_d, rows, w[pairs_d.rows] * pairs_d.cost, single_source=not opts.split
    )
    assert problem.capacity is not None
    add_capacity_rows(b, x0, y0, pairs_d, load, problem.capacity)
    for d, share in opts.standards:
        add_assignment_standard(b, y0, pairs_d, w, d, share)
    milp = b.build(offset=fl_offset)
    # HiGHS's presolve does not read the time limit, and on large single-source
    # assignment models its probing runs for minutes (1,000 x 100, 100,100 binaries:
    # 175 s under a 10 s limit; presolve off: 10.8 s and a plan).
    no_presolve = (
        clock.limit is not None
        and not opts.split
        and int(milp.integer.sum()) >= PRESOLVE_OFF_MIN_BINARIES
    )
    initial = None
    if (
        start is not None
        and start.has_plan
        and not opts.split
        and opts.solver_options.solver == "highs"
    ):
        initial = _assignment_start(milp.n_cols, x0, y0, pairs, pairs_d, start, problem.n_sites)
    res = _run(
        milp, opts, clock, initial=initial,
        highs_options={"presolve": "off"} if no_presolve else None,
    )  # fmt: skip
    details = milp_details(
        res,
        milp.n_rows,
        milp.n_cols,
        "assignment_split" if opts.split else "assignment_single_source",
    )
    if res.x is None:
        return no_plan_solution(problem, opts, clock, res, details, capacitated=True)
    open_sites = pairs.sites[res.x[x0 : x0 + m] > 0.5]
    y = res.x[y0 : y0 + pairs_d.rows.size]
    assignment, _ = nearest_open(problem, open_sites)  # rows without load: nearest open
    if opts.split:
        keep = y > 1e-9
        r, c = pairs_d.rows[keep], pairs.sites[pairs_d.cols[keep]]
        tot = np.bincount(r, weights=y[keep], minlength=problem.n_demand)
        share = y[keep] / tot[r]
        order = np.lexsort((-share, r))
        first = np.ones(order.size, dtype=bool)
        first[1:] = r[order][1:] != r[order][:-1]
        assignment[r[order][first]] = c[order][first]
        details["allocation"] = {"demand": r.tolist(), "site": c.tolist(), "share": share.tolist()}
    else:
        keep = y > 0.5
        assignment[pairs_d.rows[keep]] = pairs.sites[pairs_d.cols[keep]]
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


def _assignment_start(
    n_cols: int, x0: int, y0: int, pairs: Pairs, pairs_d: Pairs, start: Solution, n_sites: int
) -> np.ndarray | None:
    """The column vector of a single-source plan (None when it uses a pair not allowed)."""
    compact = np.full(n_sites, -1, dtype=np.int64)
    compact[pairs.sites] = np.arange(pairs.sites.size)
    asg = np.asarray(start.assignment, dtype=np.int64)
    site_of_row = np.where(asg[pairs_d.rows] >= 0, compact[np.maximum(asg[pairs_d.rows], 0)], -2)
    chosen = np.flatnonzero(pairs_d.cols == site_of_row)
    rows = np.unique(pairs_d.rows)
    if np.unique(pairs_d.rows[chosen]).size != rows.size or chosen.size != rows.size:
        return None
    x = np.zeros(n_cols)
    open_c = compact[start.open_sites]
    if (open_c < 0).any():
        return None
    x[x0 + open_c] = 1.0
    x[y0 + chosen] = 1.0
    return x


# --------------------------------------------------------------------------- covering


def _covering_precheck(
    problem: Problem, opts: ModelOptions, pairs_all: Pairs, pairs_cov: Pairs
) -> dict[str, Any] | None:
    return diagnose.precheck(
        problem,
        model=opts.model,
        p=opts.p,
        radius=opts.radius,
        pairs_all=pairs_all,
        pairs_service=pairs_cov,
        must_serve=problem.weight > 0,
        hotspot_rows=opts.hotspot_rows,
        hotspot_max_cost=opts.hotspot_max_cost,
        standards=opts.standards,
        budget=None,
        capacitated=False,
    )


def _solve_mclp(problem: Problem, opts: ModelOptions, clock: Deadline) -> Solution:
    assert opts.radius is not None
    assert opts.p is not None
    w = problem.weight
    pairs_all = build_pairs(problem)
    pairs_cov = pairs_all.within(np.full(problem.n_demand, opts.radius))
    diag = _covering_precheck(problem, opts, pairs_all, pairs_cov)
    if diag is not None:
        return infeasible_solution(problem, opts, clock, diag, sense="max")
    rows = np.flatnonzero(w > 0)
    b = new_builder()
    x0 = add_site_columns(b, problem, pairs_all)
    m = pairs_all.n_sites
    add_count_row(b, x0, m, opts.p, opts.p)
    add_coverage_columns(b, x0, pairs_cov, rows, w[rows])
    _add_x_extras(b, x0, pairs_all, problem, opts)
    milp = b.build(sense="max")
    res = _run(milp, opts, clock)
    details = milp_details(res, milp.n_rows, milp.n_cols, "coverage")
    if res.x is None:
        return no_plan_solution(problem, opts, clock, res, details, sense="max")
    open_sites = pairs_all.sites[res.x[x0 : x0 + m] > 0.5]
    assignment, _ = nearest_open(problem, open_sites, max_cost=opts.radius)
    total_weight = float(w.sum())
    covered = float(w[assignment >= 0].sum())
    details.update(
        {
            "covered_weight": covered,
            "covered_share": covered / total_weight if total_weight > 0 else 1.0,
        }
    )
    return plan_solution(
        problem,
        opts,
        clock,
        status=res.status,
        open_sites=open_sites,
        assignment=assignment,
        bound=res.bound,
        details=details,
        sense="max",
    )


def _cover_model(
    problem: Problem,
    opts: ModelOptions,
    pairs_all: Pairs,
    pairs_cov: Pairs,
    *,
    max_sites: int | None,
) -> tuple[Any, int]:
    """min sum x s.t. every weighted demand point covered by pairs_cov (+ extras, + count <= max_sites)."""
    b = new_builder()
    x0 = add_site_columns(b, problem, pairs_all, 1.0)
    rows = np.flatnonzero(problem.weight > 0)
    add_cover_rows(b, x0, pairs_cov, rows)
    if max_sites is not None:
        add_count_row(b, x0, pairs_all.n_sites, 0.0, float(max_sites))
    _add_x_extras(b, x0, pairs_all, problem, opts)
    return b.build(), x0


def _solve_lscp(problem: Problem, opts: ModelOptions, clock: Deadline) -> Solution:
    assert opts.radius is not None
    pairs_all = build_pairs(problem)
    pairs_cov = pairs_all.within(np.full(problem.n_demand, opts.radius))
    diag = _covering_precheck(problem, opts, pairs_all, pairs_cov)
    if diag is not None:
        return infeasible_solution(problem, opts, clock, diag)
    milp, x0 = _cover_model(problem, opts, pairs_all, pairs_cov, max_sites=None)
    res = _run(milp, opts, clock)
    details = milp_details(res, milp.n_rows, milp.n_cols, "set_cover")
    if res.x is None:
        return no_plan_solution(problem, opts, clock, res, details)
    open_sites = pairs_all.sites[res.x[x0 : x0 + pairs_all.n_sites] > 0.5]
    return nearest_plan(problem, opts, clock, res, open_sites, details)


# --------------------------------------------------------------------------- p-center


def _farthest_first(dist: np.ndarray, p: int, fixed: np.ndarray) -> np.ndarray:
    """Gonzalez-style plan: open the site nearest to the worst-served point, p times."""
    is_open = fixed.copy()
    cur = dist[:, is_open].min(axis=1) if is_open.any() else np.full(dist.shape[0], INF)
    while is_open.sum() < p:
        i = int(np.argmax(cur))
        row = np.where(is_open, INF, dist[i])
        j = int(np.argmin(row))
        if not np.isfinite(row[j]):
            row = np.where(is_open, INF, dist.min(axis=0))
            j = int(np.argmin(row))
        is_open[j] = True
        cur = np.minimum(cur, dist[:, j])
    return np.flatnonzero(is_open)


def _pad_plan(dist: np.ndarray, w: np.ndarray, open_cols: np.ndarray, p: int) -> np.ndarray:
    """Add sites (largest p-median gain first) until p are open; ``inf`` = cannot serve."""
    is_open = np.zeros(dist.shape[1], dtype=bool)
    is_open[open_cols] = True
    cur = dist[:, is_open].min(axis=1) if is_open.any() else np.full(dist.shape[0], INF)
    while is_open.sum() < p:
        better = np.maximum(cur[:, None] - dist, 0.0)  # inf - inf cannot occur: cur is finite
        better[~np.isfinite(better)] = 0.0
        gain = (w[:, None] * better).sum(axis=0)
        gain[is_open] = -1.0
        j = int(np.argmax(gain))
        is_open[j] = True
        cur = np.minimum(cur, dist[:, j])
    return np.flatnonzero(is_open)


#: p-center's binary search starts another cover solve only with this many times the
#: longest cover-model build so far left (the build, HiGHS's set-up and a few nodes);
#: the total-travel tie-break at the end needs this many (it builds a p-median MILP
#: on the pairs within the radius and a warm start) and this share of the limit.
P_CENTER_STEP_PER_BUILD = 3.0
P_CENTER_REFINE_PER_BUILD = 6.0
P_CENTER_REFINE_SHARE = 0.1


def _solve_p_center(problem: Problem, opts: ModelOptions, clock: Deadline) -> Solution:
    assert opts.p is not None
    p = opts.p
    w = problem.weight
    pairs_all = build_pairs(problem)
    diag = _covering_precheck(problem, opts, pairs_all, pairs_all)
    if diag is not None:
        return infeasible_solution(problem, opts, clock, diag)
    rows = np.flatnonzero(w > 0)
    pairs_d = pairs_all.keep((w > 0)[pairs_all.rows])
    levels = np.unique(pairs_d.cost)
    lo_val = float(pairs_d.row_min()[rows].max())
    lo = int(np.searchsorted(levels, lo_val))
    hi = levels.size - 1
    best: np.ndarray | None = None  # compact columns of a plan feasible at levels[hi]
    dist = (
        _dense_from_pairs(pairs_d, rows)
        if rows.size * pairs_all.n_sites <= WARM_START_MAX_PAIRS
        else None
    )
    fixed = problem.required[pairs_all.sites]
    if dist is not None and not opts.has_extras:
        ff_plan = _farthest_first(dist, p, fixed)
        ub = float(dist[:, ff_plan].min(axis=1).max())
        if math.isfinite(ub):
            hi = int(np.searchsorted(levels, ub))
            best = ff_plan
    n_solves = 0
    proven = True
    cut_short = False  # the clock ended the radius search or skipped the tie-break
    highs_options = {"mip_max_improving_sols": 1} if opts.solver_options.solver == "highs" else None

    build_s = 0.0  # the longest cover-model build so far (wall seconds)

    def feasible(k: int) -> tuple[bool | None, np.ndarray | None]:
        nonlocal n_solves, build_s
        n_solves += 1
        t_build = clock.elapsed()
        cov = pairs_all.within(np.full(problem.n_demand, levels[k]))
        milp, x0 = _cover_model(problem, opts, pairs_all, cov, max_sites=p)
        build_s = max(build_s, clock.elapsed() - t_build)
        res = _run(milp, opts, clock, highs_options=highs_options)
        if res.status is Status.INFEASIBLE:
            return False, None
        if res.x is None:
            return None, None
        return True, np.flatnonzero(res.x[x0 : x0 + pairs_all.n_sites] > 0.5)

    if best is None:
        ok, plan = feasible(hi)
        if ok is False:
            return infeasible_solution(
                problem, opts, clock, why_infeasible(problem, opts, clock, capacitated=False)
            )
        if ok is None:
            stopped = diagnose.diagnosis([diagnose.finding("stopped")])
            return plan_solution(
                problem,
                opts,
                clock,
                status=Status.NO_SOLUTION,
                details=diagnose.no_plan_details(stopped),
            )
        assert plan is not None
        best = plan
    while lo < hi:
        # Another cover solve only when its build (not interruptible) and a little
        # solving fit in the time left: one started at the deadline overran it.
        if not clock.has(P_CENTER_STEP_PER_BUILD * build_s + MIN_STAGE_SECONDS):
            proven, cut_short = False, True
            break
        mid = (lo + hi) // 2
        ok, plan = feasible(mid)
        if ok is None:
            proven, cut_short = False, True
            break
        if ok and plan is not None:
            hi, best = mid, plan
        else:
            lo = mid + 1
    assert best is not None
    r_star = float(levels[hi])
    open_cols = best
    details: dict[str, Any] = {
        "formulation": "radius_search",
        "radius": r_star,
        "n_cover_solves": n_solves,
    }
    refined = False
    # The tie-break builds a p-median MILP (larger than a cover model) and a warm start:
    # only with a tenth of the limit and several cover builds' time left.
    refine = opts.solver_options.refine and open_cols.size <= p
    if refine and not (
        clock.has(P_CENTER_REFINE_PER_BUILD * build_s + MIN_STAGE_SECONDS)
        and (clock.limit is None or clock.has(P_CENTER_REFINE_SHARE * clock.limit))
    ):
        refine = False
        details["refine_skipped"] = "time"
        cut_short = True
    if refine:
        sub = replace(
            opts,
            model="p_median",
            radius=r_star if opts.radius is None else min(r_star, opts.radius),
        )
        inner = _solve_nearest_model(problem, sub, clock)
        if inner.has_plan and recompute_objective(problem, inner, model="p_center") <= r_star:
            open_sites = inner.open_sites
            refined = inner.status is Status.OPTIMAL
            details["refined_total_cost"] = float(inner.objective)
            details["refined_optimal"] = refined
        else:
            open_sites = np.zeros(0, dtype=np.int64)
    else:
        open_sites = np.zeros(0, dtype=np.int64)
    if open_sites.size == 0:
        if open_cols.size < p:
            dist_p = dist if dist is not None else _dense_from_pairs(pairs_d, rows)
            within = np.where(dist_p <= r_star, dist_p, INF)
            open_cols = _pad_plan(within, w[rows], open_cols, p)
        open_sites = pairs_all.sites[open_cols]
    assignment, served = nearest_open(problem, open_sites)
    if not proven and rows.size and float(served[rows].max()) <= float(levels[lo]):
        proven = True  # cut short by the clock, yet the plan meets the proven bound
    if cut_short and clock.limit is not None and not clock.stopped():
        details["time_limit_reached"] = True  # another run, with more time, may differ
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    return plan_solution(
        problem,
        opts,
        clock,
        status=status,
        open_sites=open_sites,
        assignment=assignment,
        bound=float(levels[lo]),
        details=details,
    )


# --------------------------------------------------------------------------- entry


def solve_exact(
    problem: Problem,
    opts: ModelOptions,
    *,
    deadline: Deadline | None = None,
    start: Solution | None = None,
) -> Solution:
    """Solve ``opts.model`` exactly (see module docstring); options already validated.

    ``deadline`` (default: ``opts.solver_options.time_limit`` from now) is the clock every stage reads.
    ``start`` (p-median, uncapacitated facility location, single-source capacitated
    p-median; HiGHS):
    a plan of the same problem (e.g. the scale method's) given to the MILP as its first
    incumbent; when HiGHS cannot set up in time it is the answer (``feasible``).
    """
    clock = Deadline(opts.solver_options.time_limit) if deadline is None else deadline
    model = opts.model
    if model == "p_median":
        return _solve_nearest_model(problem, opts, clock, start)
    if model == "facility_location":
        if problem.capacity is None:
            return _solve_nearest_model(problem, opts, clock, start)
        return _solve_assignment_model(problem, opts, clock)
    if model == "capacitated_p_median":
        return _solve_assignment_model(problem, opts, clock, start)
    if model == "mclp":
        return _solve_mclp(problem, opts, clock)
    if model == "lscp":
        return _solve_lscp(problem, opts, clock)
    if model == "p_center":
        return _solve_p_center(problem, opts, clock)
    raise AssertionError(f"unvalidated model {model!r}")  # pragma: no cover
