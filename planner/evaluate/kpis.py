"""Key performance indicators of a plan, and of today's centres for comparison.

Everything here is computed from plain arrays: the open sites (or a
:class:`~planner.optimize.Solution`), the travel matrices and the demand
columns. No geometry, no solver. The same function gives the KPIs of a plan
and of the baseline (today's centres only), so the two can be set side by side
with :func:`compare_kpis`.

Definitions (all tested on hand-computed cases):

* **Who serves whom.** A demand point is served by the site the solution assigns
  it to (capacitated plans), or, where the solution gives none (``-1``, e.g. not
  covered by a covering model) or no solution is given, by the open site with the
  shortest travel time (the lowest site index on ties). A point with no reachable
  open site (absent from a sparse matrix, or ``inf`` in a dense one) is *unserved*.
* **Travel statistics** are over the *served* population, weighted by population:
  the weighted mean, and the weighted quantiles by the inverse of the weighted
  distribution function (the smallest travel time ``v`` such that at least the
  share ``q`` of the served population travels ``v`` or less; so the median of
  two equal-weight points 2 and 4 minutes away is 2). The maximum is over points
  with population > 0. The unserved population is reported on its own.
* **Shares within a standard** are shares of the *total* population (unserved
  people are never within a standard); a travel time equal to the standard counts
  as within.
* **Faults**: the fault-weighted share of all fault intensity whose point lies
  within its zone's repair response standard; and the number of fault hotspots
  (``is_hotspot``, or every point with faults when not given) within it.
* **Marginal value** of an open site: how much the population-weighted total
  travel time (person-minutes) rises if that site alone closes and its customers
  go to their next-nearest open site (uncapacitated; ``inf`` if some of them would
  have no reachable site left).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.evaluate.kpi_types import (
    Matrix,
    PlanKPIs,
    ServiceStandards,
    higher_is_better,
    number_or_none,
    ratio,
    travel_stats,
)
from planner.optimize.solution import Solution
from planner.travel.point_costs import PointCosts

__all__ = [
    "baseline_kpis",
    "compare_kpis",
    "marginal_values",
    "plan_kpis",
]


# --------------------------------------------------------------------------------------
# matrices


def as_matrix(value: Any, name: str) -> Matrix:
    if isinstance(value, PointCosts):
        return value  # computed from coordinates: finite and >= 0 by construction
    if sp.issparse(value):
        mat = sp.csc_array(value, dtype=np.float64)
        data = mat.data
    else:
        try:
            mat = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"`{name}` must be a numeric (n_demand, n_sites) matrix.") from None
        data = mat
    if mat.ndim != 2:
        raise InputError(
            f"`{name}` must be a 2-D (n_demand, n_sites) matrix; got {mat.ndim} dimension(s)."
        )
    if np.isnan(data).any():
        raise InputError(
            f"`{name}` holds NaN; mark pairs that cannot be served with inf (dense) "
            "or leave them out of a sparse matrix."
        )
    if (data < 0).any():
        raise InputError(f"`{name}` holds negative travel; travel must be >= 0.")
    return mat


def _open_columns(mat: Matrix, open_sites: np.ndarray) -> np.ndarray:
    """Dense ``(n_demand, n_open)`` block of the open columns, ``inf`` where absent."""
    if isinstance(mat, PointCosts):
        return mat.columns(open_sites)
    if sp.issparse(mat):
        block = sp.csc_array(mat)[:, open_sites].tocoo()
        out = np.full((mat.shape[0], open_sites.size), np.inf)
        out[block.row, block.col] = block.data
        return out
    return np.asarray(mat)[:, open_sites].astype(np.float64, copy=True)


def _check_open_sites(open_sites: Any, n_sites: int) -> np.ndarray:
    arr = np.asarray(open_sites)
    if arr.dtype == bool:
        if arr.shape != (n_sites,):
            raise InputError(f"`open_sites` as a mask must have one entry per site ({n_sites}).")
        arr = np.flatnonzero(arr)
    if arr.size == 0:
        raise InputError(
            "`open_sites` is empty: give at least one open site (index into the sites table)."
        )
    if not np.issubdtype(arr.dtype, np.integer):
        raise InputError(f"`open_sites` must be integer site indices; got dtype {arr.dtype}.")
    idx = np.unique(arr.astype(np.int64).ravel())
    if idx[0] < 0 or idx[-1] >= n_sites:
        raise InputError(f"`open_sites` holds site indices outside 0..{n_sites - 1}.")
    return idx


def checked_vector(value: Any, n: int, name: str, *, default: float | None = None) -> np.ndarray:
    if value is None:
        if default is None:
            raise InputError(f"`{name}` is required.")
        return np.full(n, default, dtype=np.float64)
    try:
        arr = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InputError(f"`{name}` must be numbers, one per demand point.") from None
    if arr.shape != (n,):
        raise InputError(f"`{name}` must have one value per demand point ({n}); got {arr.size}.")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise InputError(
            f"`{name}` must be finite and >= 0 for every demand point; fix or fill the column."
        )
    return arr


@dataclass(frozen=True)
class _Assigned:
    open_sites: np.ndarray
    assignment: np.ndarray  # site index or -1
    minutes: np.ndarray  # inf where unserved
    distance_m: np.ndarray
    minutes_block: np.ndarray  # (n, n_open), inf where absent


def assign_plan(
    plan: Solution | ArrayLike,
    minutes: Matrix,
    distance_m: Matrix | None,
    assignment: ArrayLike | None,
) -> _Assigned:
    n, m = minutes.shape
    if isinstance(plan, Solution):
        if not plan.has_plan:
            raise InputError(
                f"the solution has no plan (status {plan.status.value!r}); KPIs need open sites."
            )
        open_sites = _check_open_sites(plan.open_sites, m)
        if assignment is None and plan.assignment.size:
            assignment = plan.assignment
    else:
        open_sites = _check_open_sites(plan, m)
    block = _open_columns(minutes, open_sites)
    nearest_pos = np.argmin(block, axis=1)
    rows = np.arange(n)
    nearest_min = block[rows, nearest_pos]
    pos = np.where(np.isfinite(nearest_min), nearest_pos, -1)
    if assignment is not None:
        given = np.asarray(assignment)
        if given.shape != (n,) or not np.issubdtype(given.dtype, np.integer):
            raise InputError(
                f"`assignment` must be integer site indices, one per demand point ({n}); "
                f"got shape {given.shape}."
            )
        has = given >= 0
        given_pos = np.searchsorted(open_sites, np.where(has, given, 0))
        given_pos = np.minimum(given_pos, open_sites.size - 1)
        bad = has & (open_sites[given_pos] != given)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"`assignment` sends demand point {i} to site {int(given[i])}, which is not open."
            )
        pos = np.where(has, given_pos, pos)
        unreachable = has & ~np.isfinite(block[rows, given_pos])
        if unreachable.any():
            i = int(np.flatnonzero(unreachable)[0])
            raise InputError(
                f"`assignment` sends demand point {i} to site {int(given[i])}, which `minutes` "
                "marks as unreachable."
            )
    served = pos >= 0
    safe = np.where(served, pos, 0)
    t_min = np.where(served, block[rows, safe], np.inf)
    if distance_m is not None:
        dblock = _open_columns(distance_m, open_sites)
        t_dist = np.where(served, dblock[rows, safe], np.inf)
        if (served & ~np.isfinite(t_dist)).any():
            raise InputError(
                "`distance_m` and `minutes` disagree on which pairs are reachable; "
                "give both from the same TravelMatrix."
            )
    else:
        t_dist = np.full(n, np.nan)
    site = np.where(served, open_sites[safe], -1).astype(np.int64)
    return _Assigned(open_sites, site, t_min, t_dist, block)


# --------------------------------------------------------------------------------------
# public functions


def marginal_values(
    cost: ArrayLike | Matrix, weight: ArrayLike, open_sites: ArrayLike
) -> np.ndarray:
    """How much the weighted total cost rises if each open site alone closes.

    Each demand point goes to its cheapest open site; when that site closes it goes
    to its second-cheapest. The value of site ``j`` is
    ``sum over points whose cheapest is j of weight * (second - cheapest)``,
    computed for all open sites at once.

    Parameters
    ----------
    cost
        ``(n_demand, n_sites)`` cost (minutes, metres), dense (``inf`` = cannot serve)
        or ``scipy.sparse`` (absent = cannot serve).
    weight
        ``(n_demand,)`` non-negative demand weights.
    open_sites
        Indices of the open sites.

    Returns
    -------
    numpy.ndarray
        One value per open site, in the order of ``np.unique(open_sites)``, in units of
        ``weight * cost``; ``inf`` if closing the site leaves some of its weighted demand
        without any reachable open site (always so for a single open site).
    """
    mat = as_matrix(cost, "cost")
    n, m = mat.shape
    w = checked_vector(weight, n, "weight")
    sites = _check_open_sites(open_sites, m)
    block = _open_columns(mat, sites)
    k = sites.size
    if k == 1:
        best = block[:, 0]
        reached = np.isfinite(best) & (w > 0)
        return np.array([np.inf if reached.any() else 0.0])
    two = np.argpartition(block, 1, axis=1)[:, :2]
    rows = np.arange(n)
    c0 = block[rows, two[:, 0]]
    c1 = block[rows, two[:, 1]]
    swap = c1 < c0
    best_pos = np.where(swap, two[:, 1], two[:, 0])
    best = np.minimum(c0, c1)
    second = np.maximum(c0, c1)
    reached = np.isfinite(best) & (w > 0)
    with np.errstate(invalid="ignore"):
        loss = np.where(reached, w * (second - best), 0.0)
    finite_loss = np.where(np.isfinite(loss), loss, 0.0)
    out = np.bincount(best_pos, weights=finite_loss, minlength=k)
    infinite = np.bincount(best_pos, weights=(~np.isfinite(loss)).astype(float), minlength=k) > 0
    out[infinite] = np.inf
    return out


def plan_kpis(
    plan: Solution | ArrayLike,
    *,
    minutes: ArrayLike | Matrix,
    distance_m: ArrayLike | Matrix,
    population: ArrayLike,
    pop_65plus: ArrayLike | None = None,
    demand_weight: ArrayLike | None = None,
    fault_intensity: ArrayLike | None = None,
    is_hotspot: ArrayLike | None = None,
    zone: ArrayLike | None = None,
    capacity: ArrayLike | None = None,
    assignment: ArrayLike | None = None,
    standards: ServiceStandards | None = None,
    site_labels: Sequence[str] | None = None,
    demand_ids: Sequence[str] | None = None,
) -> PlanKPIs:
    """Compute the KPIs of a plan from the solution and the problem's arrays alone.

    Parameters
    ----------
    plan
        A :class:`~planner.optimize.Solution` (its assignment is used where it gives
        one) or the indices of the open sites (each point goes to its nearest open
        site by minutes).
    minutes, distance_m
        ``(n_demand, n_sites)`` travel time in minutes and distance in metres, numpy
        arrays (``inf`` = cannot serve) or ``scipy.sparse`` (absent = cannot serve),
        e.g. ``TravelMatrix.minutes`` and ``TravelMatrix.distance_m``.
    population
        People at each demand point (adults 20+).
    pop_65plus
        Residents 65+ at each demand point (optional).
    demand_weight
        The optimisation's demand weight, used for centre loads against capacity
        (default: population).
    fault_intensity
        Recency-weighted fault count at each point (optional).
    is_hotspot
        Boolean fault-hotspot flag per point (default: every point with faults).
    zone
        ``"urban"``/``"rural"``/``"remote"`` per point (default:
        ``standards.default_zone`` for all, noted in ``notes``).
    capacity
        Capacity of each site in demand-weight units (optional).
    assignment
        Serving site per point, overriding the solution's (``-1`` = nearest).
    standards
        :class:`ServiceStandards` (defaults if None).
    site_labels
        A label per site (e.g. ``name_zh``) for the tables.
    demand_ids
        An id per demand point (e.g. ``demand_id``) for the tables.

    Returns
    -------
    PlanKPIs
        Frozen KPIs; ``.to_dict()`` is JSON-serialisable.
    """
    std = standards if standards is not None else ServiceStandards()
    t_mat = as_matrix(minutes, "minutes")
    d_mat = as_matrix(distance_m, "distance_m")
    if t_mat.shape != d_mat.shape:
        raise InputError(
            f"`minutes` {t_mat.shape} and `distance_m` {d_mat.shape} must have the same shape."
        )
    pts = _points(
        t_mat.shape, std, population=population, pop_65plus=pop_65plus,
        demand_weight=demand_weight, fault_intensity=fault_intensity, is_hotspot=is_hotspot,
        zone=zone, capacity=capacity, site_labels=site_labels, demand_ids=demand_ids,
    )  # fmt: skip
    asg = assign_plan(plan, t_mat, d_mat, assignment)
    pop = pts.population
    served = asg.assignment >= 0
    pop_total = float(pop.sum())
    zone_names, zone_codes = _uniq_map(pts.zones)
    service_std = np.array([std.zone_service_minutes[z] for z in zone_names])[zone_codes]
    response_std = np.array([std.response_minutes[str(z)] for z in zone_names])[zone_codes]
    within_zone = asg.minutes <= service_std
    within_resp = asg.minutes <= response_std
    faults = pts.faults
    worst, worst_hot = _worst_tables(asg, pts, std, response_std)
    for arr in (asg.open_sites, asg.assignment, asg.minutes, asg.distance_m):
        arr.setflags(write=False)
    return PlanKPIs(
        open_sites=asg.open_sites,
        population_total=pop_total,
        population_served=float(pop[served].sum()),
        population_unserved=pop_total - float(pop[served].sum()),
        minutes=travel_stats(asg.minutes, pop),
        distance_m=travel_stats(asg.distance_m, pop),
        total_person_minutes=float(np.dot(pop[served], asg.minutes[served])),
        coverage=_coverage_table(asg, pts, std, within_zone),
        zones=_zone_table(zone_names, zone_codes, std, pts, within_zone, within_resp),
        faults_within_response_share=(
            number_or_none(ratio(float(faults[within_resp].sum()), float(faults.sum())))
            if pts.has_faults
            else None
        ),
        n_hotspots=int(pts.hot.sum()),
        n_hotspots_within_response=int((pts.hot & within_resp).sum()),
        per_centre=_per_centre_table(asg, pts, pop_total),
        worst_served=worst,
        worst_hotspots=worst_hot,
        assignment=asg.assignment,
        travel_minutes=asg.minutes,
        travel_distance_m=asg.distance_m,
        standards=std,
        note_keys=pts.notes,
    )


@dataclass(frozen=True)
class _Points:
    """The checked per-point and per-site arrays of :func:`plan_kpis`."""

    population: np.ndarray
    pop_65plus: np.ndarray  # zeros when not given (has_65 False)
    has_65: bool
    demand_weight: np.ndarray
    faults: np.ndarray  # zeros when not given (has_faults False)
    has_faults: bool
    hot: np.ndarray
    zones: np.ndarray
    capacity: np.ndarray | None
    site_labels: np.ndarray  # one str label per site (object array)
    demand_ids: np.ndarray  # one str id per demand point (object array)
    notes: tuple[str, ...]


def _points(
    shape: tuple[int, int],
    std: ServiceStandards,
    *,
    population: ArrayLike,
    pop_65plus: ArrayLike | None,
    demand_weight: ArrayLike | None,
    fault_intensity: ArrayLike | None,
    is_hotspot: ArrayLike | None,
    zone: ArrayLike | None,
    capacity: ArrayLike | None,
    site_labels: Sequence[str] | None,
    demand_ids: Sequence[str] | None,
) -> _Points:
    """Check the arrays of :func:`plan_kpis` against the matrix ``shape`` and fill defaults."""
    n, m = shape
    pop = checked_vector(population, n, "population")
    p65 = checked_vector(pop_65plus, n, "pop_65plus", default=0.0)
    dw = checked_vector(demand_weight, n, "demand_weight") if demand_weight is not None else pop
    has_faults = fault_intensity is not None
    faults = checked_vector(fault_intensity, n, "fault_intensity", default=0.0)
    notes: list[str] = []
    if is_hotspot is not None:
        hot = np.asarray(is_hotspot).ravel()
        if hot.shape != (n,):
            raise InputError(f"`is_hotspot` must have one value per demand point ({n}).")
        hot = hot.astype(bool)
    else:
        hot = faults > 0
        if has_faults:
            notes.append("note_hotspots_default")
    if zone is None:
        zones = np.full(n, std.default_zone, dtype=object)
        notes.append("note_zone_default")
    else:
        zones = np.asarray(zone, dtype=object).ravel()
        if zones.shape != (n,):
            raise InputError(f"`zone` must have one value per demand point ({n}).")
        unknown = sorted({str(z) for z in set(zones.tolist())} - set(std.zone_service_minutes))
        unknown_resp = sorted({str(z) for z in set(zones.tolist())} - set(std.response_minutes))
        if unknown or unknown_resp:
            raise InputError(
                f"`zone` holds {sorted(set(unknown) | set(unknown_resp))}, which have no service or "
                f"response standard; known zones: {sorted(std.zone_service_minutes)}. "
                "Add them to ServiceStandards or fix the zone column."
            )
    cap = None
    if capacity is not None:
        cap = np.asarray(capacity, dtype=np.float64).ravel()
        if cap.shape != (m,) or not np.isfinite(cap).all() or (cap < 0).any():
            raise InputError(f"`capacity` must be finite and >= 0, one value per site ({m}).")
    if site_labels is not None and len(site_labels) != m:
        raise InputError(
            f"`site_labels` must have one label per site ({m}); got {len(site_labels)}."
        )
    if demand_ids is not None and len(demand_ids) != n:
        raise InputError(
            f"`demand_ids` must have one id per demand point ({n}); got {len(demand_ids)}."
        )
    return _Points(
        population=pop,
        pop_65plus=p65,
        has_65=pop_65plus is not None,
        demand_weight=dw,
        faults=faults,
        has_faults=has_faults,
        hot=hot,
        zones=zones,
        capacity=cap,
        site_labels=(
            np.asarray([str(s) for s in site_labels], dtype=object)
            if site_labels is not None
            else np.arange(m).astype(str).astype(object)
        ),
        demand_ids=(
            np.asarray(demand_ids, dtype=object)
            if demand_ids is not None
            else np.arange(n).astype(str)
        ),
        notes=tuple(notes),
    )


def _coverage_table(
    asg: _Assigned, pts: _Points, std: ServiceStandards, within_zone: np.ndarray
) -> pd.DataFrame:
    """Shares of population (and of residents 65+) within each service standard."""
    pop, p65 = pts.population, pts.pop_65plus
    pop_total, total65 = float(pop.sum()), float(p65.sum())

    def shares(kind: str, threshold: float, within: np.ndarray) -> dict[str, Any]:
        share65 = ratio(float(p65[within].sum()), total65) if pts.has_65 else math.nan
        return {
            "kind": kind,
            "threshold": threshold,
            "share_population": ratio(float(pop[within].sum()), pop_total),
            "share_65plus": share65,
        }

    rows = [shares("minutes", thr, asg.minutes <= thr) for thr in std.service_minutes]
    rows += [shares("distance_m", thr, asg.distance_m <= thr) for thr in std.service_distance_m]
    rows.append(shares("zone", math.nan, within_zone))
    return pd.DataFrame(rows, columns=["kind", "threshold", "share_population", "share_65plus"])


def _zone_table(
    zone_names: list[str],
    zone_codes: np.ndarray,
    std: ServiceStandards,
    pts: _Points,
    within_zone: np.ndarray,
    within_resp: np.ndarray,
) -> pd.DataFrame:
    """Per zone: population within its service standard, faults within its response standard."""
    pop, faults = pts.population, pts.faults
    zone_rows = []
    for code, name in enumerate(zone_names):
        sel = zone_codes == code
        zpop = float(pop[sel].sum())
        zf = float(faults[sel].sum())
        zone_rows.append(
            {
                "zone": str(name),
                "population": zpop,
                "service_minutes": std.zone_service_minutes[str(name)],
                "share_within_service": ratio(float(pop[sel & within_zone].sum()), zpop),
                "response_minutes": std.response_minutes[str(name)],
                "fault_intensity": zf,
                "faults_within_response_share": (
                    ratio(float(faults[sel & within_resp].sum()), zf)
                    if pts.has_faults
                    else math.nan
                ),
            }
        )
    return pd.DataFrame(zone_rows)


def _per_centre_table(asg: _Assigned, pts: _Points, pop_total: float) -> pd.DataFrame:
    """Per open centre: who it serves, its load against capacity and its marginal value."""
    pop, dw, cap = pts.population, pts.demand_weight, pts.capacity
    served = asg.assignment >= 0
    k = asg.open_sites.size
    pos = np.searchsorted(asg.open_sites, np.where(served, asg.assignment, asg.open_sites[0]))
    pos_served = pos[served]

    def per(values: np.ndarray) -> np.ndarray:
        return np.bincount(pos_served, weights=values[served], minlength=k)

    nan = np.full(k, np.nan)
    per_pop = per(pop)
    per_pm = per(pop * np.where(served, asg.minutes, 0.0))
    per_dw = per(dw)
    # Marginal value in person-minutes on the block of open columns (inf = unreachable).
    marg = marginal_values(asg.minutes_block, pop, np.arange(k))
    cap_open = cap[asg.open_sites] if cap is not None else nan
    return pd.DataFrame(
        {
            "label": pts.site_labels[asg.open_sites].astype(str).tolist(),
            "population": per_pop,
            "pop_65plus": per(pts.pop_65plus) if pts.has_65 else nan,
            "demand_weight": per_dw,
            "fault_load": per(pts.faults) if pts.has_faults else nan,
            "n_demand": np.bincount(pos_served, minlength=k).astype(np.int64),
            "mean_minutes": np.divide(per_pm, per_pop, out=np.full(k, np.nan), where=per_pop > 0),
            "capacity": cap_open,
            "capacity_used_share": (
                np.divide(per_dw, cap_open, out=np.full(k, np.nan), where=cap_open > 0)
                if cap is not None
                else nan
            ),
            "marginal_person_minutes": marg,
            "marginal_mean_minutes": marg / pop_total if pop_total > 0 else nan,
        },
        index=pd.Index(asg.open_sites, name="site"),
    )


def _worst_tables(
    asg: _Assigned, pts: _Points, std: ServiceStandards, response_std: np.ndarray
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The worst-served demand points and the hotspots furthest over their response standard."""
    pop, faults, zones, ids = pts.population, pts.faults, pts.zones, pts.demand_ids
    served = asg.assignment >= 0
    site_label_of = np.where(served, pts.site_labels[np.where(served, asg.assignment, 0)], "")
    cand = np.flatnonzero(pop > 0)
    order = cand[np.lexsort((-pop[cand], -asg.minutes[cand]))][: std.n_worst]
    worst = pd.DataFrame(
        {
            "demand": order.astype(np.int64),
            "demand_id": ids[order].astype(str),
            "population": pop[order],
            "zone": zones[order].astype(str),
            "travel_minutes": asg.minutes[order],
            "distance_m": asg.distance_m[order],
            "site": asg.assignment[order],
            "site_label": site_label_of[order].astype(str),
        }
    )
    hot_idx = np.flatnonzero(pts.hot)
    excess = asg.minutes - response_std
    hot_order = hot_idx[np.lexsort((-faults[hot_idx], -excess[hot_idx]))][: std.n_worst]
    worst_hot = pd.DataFrame(
        {
            "demand": hot_order.astype(np.int64),
            "demand_id": ids[hot_order].astype(str),
            "fault_intensity": faults[hot_order],
            "zone": zones[hot_order].astype(str),
            "travel_minutes": asg.minutes[hot_order],
            "response_minutes": response_std[hot_order],
            "excess_minutes": excess[hot_order],
            "site": asg.assignment[hot_order],
            "site_label": site_label_of[hot_order].astype(str),
        }
    )
    return worst, worst_hot


def _uniq_map(values: np.ndarray) -> tuple[list[str], np.ndarray]:
    names, codes = np.unique(values.astype(str), return_inverse=True)
    return [str(x) for x in names], codes.ravel()


def baseline_kpis(existing_sites: ArrayLike, **kwargs: Any) -> PlanKPIs:
    """The KPIs of today's centres alone (each point served by its nearest one).

    Parameters
    ----------
    existing_sites
        Indices (or a boolean mask) of the existing centres in the sites table.
    **kwargs
        The keyword arguments of :func:`plan_kpis` (``minutes``, ``distance_m``,
        ``population``, ...); ``assignment`` is not allowed.

    Returns
    -------
    PlanKPIs
    """
    if kwargs.get("assignment") is not None:
        raise InputError(
            "`assignment` is not used for the baseline: today's customers go to the nearest centre."
        )
    kwargs.pop("assignment", None)
    arr = np.asarray(existing_sites)
    if arr.size == 0 or (arr.dtype == bool and not arr.any()):
        raise InputError(
            "there are no existing centres for a baseline; skip the comparison or mark "
            "existing centres in the sites table (`existing` column)."
        )
    return plan_kpis(arr, **kwargs)


def compare_kpis(plan: PlanKPIs, baseline: PlanKPIs) -> pd.DataFrame:
    """The plan's headline KPIs beside the baseline's, with the change.

    Parameters
    ----------
    plan, baseline
        KPIs of the plan and of today's centres, from the same demand and standards.

    Returns
    -------
    pandas.DataFrame
        Index: KPI key (see :func:`planner.present.labels.kpi_label`); columns ``plan``, ``baseline``,
        ``change`` (plan - baseline) and ``higher_is_better``. Missing values are NaN.
    """
    if plan.population_total != baseline.population_total:
        raise InputError(
            "`plan` and `baseline` were computed on different demand (total population "
            f"{plan.population_total:g} vs {baseline.population_total:g}); use the same demand table."
        )
    a = plan.summary()
    b = baseline.summary()
    keys = list(dict.fromkeys([*a, *b]))

    def _f(v: float | None) -> float:
        return math.nan if v is None else float(v)

    df = pd.DataFrame(
        {
            "plan": [_f(a.get(k)) for k in keys],
            "baseline": [_f(b.get(k)) for k in keys],
        },
        index=pd.Index(keys, name="kpi"),
    )
    df["change"] = df["plan"] - df["baseline"]
    df["higher_is_better"] = [higher_is_better(k) for k in keys]
    return df
