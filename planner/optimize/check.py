"""One feasibility checker for every model and method, and objectives recomputed from scratch.

:func:`check_solution` knows nothing about how a plan was found: it takes the
problem, the solution and the same model options that :func:`planner.optimize.solve`
took, and lists every broken rule (wrong number of open sites, a demand point not
assigned to an open site, a capacity exceeded, an objective that does not match the
plan...). An empty list means the plan is feasible and its numbers are right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize.model_table import model_spec
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution
from planner.travel.point_costs import PointCosts


def pair_cost(problem: Problem, rows: np.ndarray, sites: np.ndarray) -> np.ndarray:
    """Cost of each ``(rows[k], sites[k])`` pair; ``inf`` where the pair is absent (sparse)."""
    rows = np.asarray(rows, dtype=np.int64)
    sites = np.asarray(sites, dtype=np.int64)
    cost = problem.cost
    if isinstance(cost, PointCosts):
        return cost.pairs(rows, sites)
    if not isinstance(cost, sp.csr_array):
        return np.asarray(cost)[rows, sites].astype(np.float64)
    m = problem.n_sites
    # csr with sorted indices: stored keys row*m+col are increasing
    stored_rows = np.repeat(np.arange(problem.n_demand, dtype=np.int64), np.diff(cost.indptr))
    keys = stored_rows * m + cost.indices.astype(np.int64)
    q = rows * m + sites
    pos = np.searchsorted(keys, q)
    pos_c = np.minimum(pos, max(keys.size - 1, 0))
    found = (keys.size > 0) & (pos < keys.size)
    found = found & (keys[pos_c] == q) if keys.size else np.zeros(q.size, dtype=bool)
    out = np.full(q.size, np.inf)
    out[found] = cost.data[pos_c[found]]
    return out


def nearest_open(
    problem: Problem, open_sites: np.ndarray, *, max_cost: float | np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each demand point's cheapest open site and its cost.

    Returns ``(site, cost)``: ``site`` is ``-1`` and ``cost`` is ``inf`` where no open
    site can serve the point (absent sparse entries) or none lies within ``max_cost``.
    Ties go to the lowest site index.
    """
    n = problem.n_demand
    open_sites = np.sort(np.asarray(open_sites, dtype=np.int64))
    site = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.inf)
    if open_sites.size == 0:
        return site, best
    cost = problem.cost
    if isinstance(cost, PointCosts):
        d, s = cost.nearest(open_sites)
        site, best = s[:, 0], d[:, 0]
    elif sp.issparse(cost):
        sub = sp.csr_array(cost[:, open_sites])
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(sub.indptr))
        if rows.size:
            order = np.lexsort((sub.indices, sub.data, rows))
            r, c, v = rows[order], sub.indices[order], sub.data[order]
            first = np.ones(r.size, dtype=bool)
            first[1:] = r[1:] != r[:-1]
            site[r[first]] = open_sites[c[first]]
            best[r[first]] = v[first]
    else:
        sub = np.asarray(cost)[:, open_sites]
        k = np.argmin(sub, axis=1)
        site = open_sites[k]
        best = sub[np.arange(n), k].astype(np.float64)
    if max_cost is not None:
        far = best > np.broadcast_to(np.asarray(max_cost, dtype=np.float64), (n,))
        site[far] = -1
        best[far] = np.inf
    return site, best


def opening_part(problem: Problem, open_sites: np.ndarray) -> float:
    """Facility-location fixed part: opening cost of new open sites, minus savings of closed existing ones.

    Existing sites cost nothing to keep; closing one realises its ``closing_saving``
    (a negative saving is a closing cost).
    """
    m = problem.n_sites
    is_open = np.zeros(m, dtype=bool)
    is_open[np.asarray(open_sites, dtype=np.int64)] = True
    f = problem.opening_cost if problem.opening_cost is not None else np.zeros(m)
    s = problem.closing_saving if problem.closing_saving is not None else np.zeros(m)
    new = is_open & ~problem.existing
    closed_existing = ~is_open & problem.existing
    return float(f[new].sum() - s[closed_existing].sum())


def new_site_opening_cost(problem: Problem, open_sites: np.ndarray) -> float:
    """Opening cost of the open sites that are not existing (what a budget limits)."""
    if problem.opening_cost is None:
        return 0.0
    open_sites = np.asarray(open_sites, dtype=np.int64)
    new = open_sites[~problem.existing[open_sites]]
    return float(problem.opening_cost[new].sum())


def _allocation(solution: Solution, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(demand, site, share) triplets: the split allocation if any, else the assignment."""
    alloc = solution.details.get("allocation")
    if alloc:
        return (
            np.asarray(alloc["demand"], dtype=np.int64),
            np.asarray(alloc["site"], dtype=np.int64),
            np.asarray(alloc["share"], dtype=np.float64),
        )
    a = solution.assignment
    rows = np.flatnonzero(a >= 0)
    return rows, a[rows], np.ones(rows.size)


def recompute_objective(
    problem: Problem,
    solution: Solution,
    *,
    model: str,
    radius: float | None = None,
) -> float:
    """The model's objective recomputed from the plan alone (open sites, assignment).

    ``p_median``/``capacitated_p_median``: ``sum_i w_i c_{i,a(i)}`` (split: share-weighted);
    ``facility_location``: that plus :func:`opening_part`; ``mclp``: weight of demand
    points with an open site within ``radius``; ``lscp``: number of open sites;
    ``p_center``: the largest ``c_{i,a(i)}`` over demand points with positive weight.
    """
    w = problem.weight
    if model == "lscp":
        return float(solution.open_sites.size)
    if model == "mclp":
        if radius is None:
            raise ValueError("recompute_objective: model 'mclp' needs `radius`.")
        _, d = nearest_open(problem, solution.open_sites)
        return float(w[d <= radius].sum())
    rows, sites, share = _allocation(solution, problem.n_demand)
    c = pair_cost(problem, rows, sites)
    if model == "p_center":
        pos = w[rows] > 0
        return float(c[pos].max()) if pos.any() else 0.0
    assigned = float((w[rows] * c * share).sum()) if rows.size else 0.0
    if model == "facility_location":
        return assigned + opening_part(problem, solution.open_sites)
    return assigned


def _as_rows(value: Any, n: int) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype == bool:
        return np.flatnonzero(arr)
    return arr.astype(np.int64).ravel()


def check_solution(
    problem: Problem,
    solution: Solution,
    *,
    model: str,
    p: int | None = None,
    radius: float | None = None,
    budget: float | None = None,
    max_sites: int | None = None,
    split: bool = False,
    hotspot_rows: Sequence[int] | np.ndarray | None = None,
    hotspot_max_cost: float | Sequence[float] | np.ndarray | None = None,
    standards: Sequence[tuple[float, float]] | None = None,
    tol: float = 1e-6,
    **_ignored: Any,
) -> list[str]:
    """Every rule the plan breaks, in plain words; empty when the plan is feasible.

    Checks: open sites valid (in range, not excluded, required ones open, exactly
    ``p`` where ``p`` is set, at most ``max_sites``, budget held); every demand point with weight (or load)
    assigned to an open site that can serve it, within ``radius`` where the model cuts
    service at ``radius``; uncapacitated models assign the nearest open site; site
    capacities held (capacitated models); hotspot and percentile standards met; the
    objective matches :func:`recompute_objective`; the bound is on the right side.
    Solutions without a plan (infeasible, no solution) pass trivially.

    Options are those given to :func:`planner.optimize.solve`; others are ignored.
    """
    if not solution.has_plan:
        return []
    out: list[str] = []
    n, m = problem.n_demand, problem.n_sites
    w = problem.weight
    load = problem.demand_load
    open_sites = solution.open_sites
    a = solution.assignment
    if open_sites.size and (open_sites.min() < 0 or open_sites.max() >= m):
        return [f"open site index outside 0..{m - 1}"]
    if np.unique(open_sites).size != open_sites.size:
        out.append("an open site is listed twice")
    is_open = np.zeros(m, dtype=bool)
    is_open[open_sites] = True
    if (is_open & problem.excluded).any():
        out.append(
            f"excluded site(s) open: {np.flatnonzero(is_open & problem.excluded)[:5].tolist()}"
        )
    if (problem.required & ~is_open).any():
        out.append(
            f"required site(s) closed: {np.flatnonzero(problem.required & ~is_open)[:5].tolist()}"
        )
    if p is not None and open_sites.size != p:
        out.append(f"{open_sites.size} sites open, p = {p}")
    if max_sites is not None and open_sites.size > max_sites:
        out.append(f"{open_sites.size} sites open, at most {max_sites} allowed")
    if budget is not None and new_site_opening_cost(problem, open_sites) > budget * (1 + tol) + tol:
        out.append(
            f"opening cost {new_site_opening_cost(problem, open_sites):.6g} exceeds budget {budget:.6g}"
        )
    if a.shape != (n,):
        return [*out, f"assignment has shape {a.shape}, expected ({n},)"]
    if ((a < -1) | (a >= m)).any():
        return [*out, "assignment holds an index outside -1..n_sites-1"]
    assigned = a >= 0
    if (assigned & ~is_open[np.maximum(a, 0)]).any():
        bad = np.flatnonzero(assigned & ~is_open[np.maximum(a, 0)])
        out.append(f"demand point(s) {bad[:5].tolist()} assigned to a closed site")
    spec = model_spec(model)
    capacitated = spec.capacity == "required" or (
        spec.capacity == "optional" and problem.capacity is not None
    )
    must_serve = (w > 0) | (load > 0) if capacitated else w > 0
    rows_a = np.flatnonzero(assigned)
    ca = np.full(n, np.inf)
    ca[rows_a] = pair_cost(problem, rows_a, a[rows_a])
    if np.isinf(ca[rows_a]).any():
        bad = rows_a[np.isinf(ca[rows_a])]
        out.append(f"demand point(s) {bad[:5].tolist()} assigned to a site that cannot serve them")
    _, dnear = nearest_open(problem, open_sites)
    if model == "mclp":
        if radius is not None and (ca[rows_a] > radius + tol).any():
            out.append("a demand point outside the radius is counted as covered (assigned)")
        if radius is not None:
            missed = (dnear <= radius) & ~assigned & (w > 0)
            if missed.any():
                out.append(
                    f"covered demand point(s) {np.flatnonzero(missed)[:5].tolist()} left unassigned"
                )
    else:
        unserved = must_serve & ~assigned
        if unserved.any():
            out.append(f"demand point(s) {np.flatnonzero(unserved)[:5].tolist()} not assigned")
        if radius is not None and model != "p_center" and (ca[rows_a] > radius + tol).any():
            bad = rows_a[ca[rows_a] > radius + tol]
            out.append(f"demand point(s) {bad[:5].tolist()} served beyond radius {radius}")
    if not capacitated and model != "mclp":
        worse = assigned & (ca > dnear + tol * np.maximum(1.0, dnear))
        if worse.any():
            out.append(
                f"demand point(s) {np.flatnonzero(worse)[:5].tolist()} not served by their nearest open site"
            )
    if capacitated:
        if problem.capacity is None:
            out.append("capacitated model without site capacities")
        else:
            rows, sites, share = _allocation(solution, n)
            if split and solution.details.get("allocation"):
                tot = np.bincount(rows, weights=share, minlength=n)
                bad = must_serve & (np.abs(tot - 1.0) > 1e-6)
                if bad.any():
                    out.append(
                        f"split shares of demand point(s) {np.flatnonzero(bad)[:5].tolist()} do not sum to 1"
                    )
                if (~is_open[sites]).any():
                    out.append("split allocation uses a closed site")
            used = np.bincount(sites, weights=load[rows] * share, minlength=m)
            over = used > problem.capacity * (1 + tol) + tol
            if over.any():
                j = int(np.flatnonzero(over)[0])
                out.append(
                    f"site {j} serves {used[j]:.6g}, above its capacity {problem.capacity[j]:.6g}"
                )
    served_cost = dnear.copy() if model == "mclp" else ca
    if hotspot_rows is not None and hotspot_max_cost is not None:
        hr = _as_rows(hotspot_rows, n)
        hm = np.broadcast_to(np.asarray(hotspot_max_cost, dtype=np.float64), hr.shape)
        if capacitated and solution.details.get("allocation"):
            rows, sites, _ = _allocation(solution, n)
            worst = np.zeros(n)
            np.maximum.at(worst, rows, pair_cost(problem, rows, sites))
            hc = worst[hr]
        else:
            hc = served_cost[hr] if model != "mclp" else dnear[hr]
        bad = hr[hc > hm + tol]
        if bad.size:
            out.append(f"hotspot demand point(s) {bad[:5].tolist()} not served within their limit")
    if standards:
        total_weight = float(w.sum())
        for d, share_req in standards:
            if capacitated and solution.details.get("allocation"):
                rows, sites, share = _allocation(solution, n)
                c = pair_cost(problem, rows, sites)
                within = float((w[rows] * share * (c <= d + tol)).sum())
            else:
                within = float(w[served_cost <= d + tol].sum())
            if total_weight > 0 and within < share_req * total_weight * (1 - 1e-9) - tol:
                out.append(
                    f"standard not met: {within / total_weight:.4f} of weight within {d}, required {share_req}"
                )
    try:
        value = recompute_objective(problem, solution, model=model, radius=radius)
    except ValueError as exc:
        out.append(str(exc))
    else:
        if abs(value - solution.objective) > tol * max(1.0, abs(value)):
            out.append(f"objective {solution.objective!r} differs from the recomputed {value!r}")
        lb = solution.bound
        if lb is not None:
            slack = tol * max(1.0, abs(value))
            if solution.sense == "min" and lb > value + slack:
                out.append(f"lower bound {lb!r} above the objective {value!r}")
            if solution.sense == "max" and lb < value - slack:
                out.append(f"upper bound {lb!r} below the objective {value!r}")
    return out
