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
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.i18n import t
from planner.optimize.solution import Solution
from planner.travel.point_costs import PointCosts

__all__ = [
    "PlanKPIs",
    "ServiceStandards",
    "TravelStats",
    "baseline_kpis",
    "compare_kpis",
    "kpi_label",
    "marginal_values",
    "plan_kpis",
    "stops_paying_p",
    "tradeoff_curve",
    "weighted_quantile",
]

#: A dense travel matrix (``inf`` = cannot serve) or a sparse one (absent = cannot serve).
Matrix: TypeAlias = np.ndarray | sp.csc_array | sp.csr_array | PointCosts


def _default_zone_service() -> Mapping[str, float]:
    return {"urban": 15.0, "rural": 30.0, "remote": 60.0}


def _default_response() -> Mapping[str, float]:
    return {"urban": 45.0, "rural": 90.0, "remote": 120.0}


def _check_minutes_map(value: Mapping[str, float], name: str) -> Mapping[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise InputError(f"`{name}` must be a non-empty mapping of zone name to minutes.")
    out: dict[str, float] = {}
    for zone, minutes in value.items():
        m = float(minutes)
        if not math.isfinite(m) or m <= 0:
            raise InputError(
                f"`{name}[{zone!r}]` must be a positive number of minutes; got {minutes!r}."
            )
        out[str(zone)] = m
    return MappingProxyType(out)


def _check_thresholds(value: Sequence[float], name: str) -> tuple[float, ...]:
    try:
        out = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        raise InputError(
            f"`{name}` must be a sequence of positive numbers; got {value!r}."
        ) from None
    if any(not math.isfinite(v) or v <= 0 for v in out):
        raise InputError(f"`{name}` must hold positive, finite numbers; got {value!r}.")
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class ServiceStandards:
    """The service standards a plan is measured against.

    Parameters
    ----------
    service_minutes
        Travel-time circles in minutes (e.g. the 15-minute service circle); the
        share of population (and of residents 65+) within each is reported.
    service_distance_m
        Optional distance circles in metres, reported the same way.
    zone_service_minutes
        The service standard of each zone (``urban``/``rural``/``remote``), minutes.
    response_minutes
        The repair response standard of each zone, minutes (45 min urban, 90 min
        rural, 2 h remote by default).
    default_zone
        Zone assumed for every point when no ``zone`` column is given.
    n_worst
        How many worst-served demand points and hotspots to list.
    """

    service_minutes: tuple[float, ...] = (15.0, 30.0)
    service_distance_m: tuple[float, ...] = ()
    zone_service_minutes: Mapping[str, float] = field(default_factory=_default_zone_service)
    response_minutes: Mapping[str, float] = field(default_factory=_default_response)
    default_zone: str = "urban"
    n_worst: int = 10

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "service_minutes", _check_thresholds(self.service_minutes, "service_minutes")
        )
        object.__setattr__(
            self,
            "service_distance_m",
            _check_thresholds(self.service_distance_m, "service_distance_m"),
        )
        zone_service = _check_minutes_map(self.zone_service_minutes, "zone_service_minutes")
        response = _check_minutes_map(self.response_minutes, "response_minutes")
        object.__setattr__(self, "zone_service_minutes", zone_service)
        object.__setattr__(self, "response_minutes", response)
        if self.default_zone not in zone_service or self.default_zone not in response:
            raise InputError(
                f"`default_zone` {self.default_zone!r} must be a key of both "
                "`zone_service_minutes` and `response_minutes`."
            )
        if not isinstance(self.n_worst, int) or self.n_worst < 0:
            raise InputError(f"`n_worst` must be a non-negative integer; got {self.n_worst!r}.")

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form."""
        return {
            "service_minutes": list(self.service_minutes),
            "service_distance_m": list(self.service_distance_m),
            "zone_service_minutes": dict(self.zone_service_minutes),
            "response_minutes": dict(self.response_minutes),
            "default_zone": self.default_zone,
            "n_worst": self.n_worst,
        }


@dataclass(frozen=True)
class TravelStats:
    """Population-weighted travel statistics over the served population (one unit)."""

    mean: float
    median: float
    p90: float
    max: float

    def to_dict(self) -> dict[str, float | None]:
        """JSON-serialisable form (``None`` for undefined values)."""
        return {k: _num(v) for k, v in vars(self).items()}


@dataclass(frozen=True, eq=False)
class PlanKPIs:
    """The KPIs of one plan (or of the baseline).

    Attributes
    ----------
    open_sites
        Sorted indices of the open sites.
    population_total, population_served, population_unserved
        People in all, with a reachable serving centre, and without.
    minutes, distance_m
        :class:`TravelStats` of the served population in minutes and metres.
    total_person_minutes
        Sum of population x travel minutes over the served population.
    coverage
        One row per standard: ``kind`` (``minutes``/``distance_m``/``zone``),
        ``threshold`` (minutes or metres; NaN for zone standards),
        ``share_population``, ``share_65plus``.
    zones
        One row per zone present: ``population``, ``service_minutes``,
        ``share_within_service``, ``response_minutes``, ``fault_intensity``,
        ``faults_within_response_share``.
    faults_within_response_share
        Share of all fault intensity within its zone's response standard (None
        without fault data).
    n_hotspots, n_hotspots_within_response
        Fault hotspots, and those within the response standard.
    per_centre
        One row per open site (index: site index): ``label``, ``population``,
        ``pop_65plus``, ``demand_weight``, ``fault_load``, ``n_demand``,
        ``mean_minutes``, ``capacity``, ``capacity_used_share``,
        ``marginal_person_minutes``, ``marginal_mean_minutes``.
    worst_served, worst_hotspots
        The worst-served demand points and fault hotspots (longest travel first).
    assignment
        Serving site of each demand point, ``-1`` where none is reachable.
    travel_minutes, travel_distance_m
        Travel of each demand point to its serving site (``inf`` if unserved).
    standards
        The :class:`ServiceStandards` used.
    note_keys
        The assumptions made (e.g. default zone), as :mod:`planner.i18n` label keys;
        read them with :attr:`notes` (English) or :meth:`notes_text`.
    """

    open_sites: np.ndarray
    population_total: float
    population_served: float
    population_unserved: float
    minutes: TravelStats
    distance_m: TravelStats
    total_person_minutes: float
    coverage: pd.DataFrame
    zones: pd.DataFrame
    faults_within_response_share: float | None
    n_hotspots: int
    n_hotspots_within_response: int
    per_centre: pd.DataFrame
    worst_served: pd.DataFrame
    worst_hotspots: pd.DataFrame
    assignment: np.ndarray
    travel_minutes: np.ndarray
    travel_distance_m: np.ndarray
    standards: ServiceStandards
    note_keys: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        """The assumptions made, in English."""
        return tuple(self.notes_text("en"))

    def notes_text(self, lang: str = "zh") -> list[str]:
        """The assumptions made, in ``lang``."""
        return [t(key, lang, zone=self.standards.default_zone) for key in self.note_keys]

    @property
    def n_centres(self) -> int:
        """Number of open centres."""
        return int(self.open_sites.size)

    @property
    def unserved_share(self) -> float:
        """Share of the population with no reachable open centre."""
        return _ratio(self.population_unserved, self.population_total)

    @property
    def hotspots_within_response_share(self) -> float | None:
        """Share of fault hotspots within the response standard (None without hotspots)."""
        if self.n_hotspots == 0:
            return None
        return self.n_hotspots_within_response / self.n_hotspots

    def summary(self) -> dict[str, float | None]:
        """Headline indicators, keyed by stable names (see :func:`kpi_label`).

        Distances are in kilometres here; shares are fractions (0-1).
        """
        out: dict[str, float | None] = {"n_centres": float(self.n_centres)}
        for stat in ("mean", "median", "p90", "max"):
            out[f"{stat}_minutes"] = _num(getattr(self.minutes, stat))
        for stat in ("mean", "median", "p90", "max"):
            v = _num(getattr(self.distance_m, stat))
            out[f"{stat}_km"] = None if v is None else v / 1000.0
        cov = self.coverage
        for kind, thr, share, share65 in zip(
            cov["kind"].tolist(),
            cov["threshold"].tolist(),
            cov["share_population"].tolist(),
            cov["share_65plus"].tolist(),
            strict=True,
        ):
            key = _coverage_key(str(kind), float(thr))
            out[key] = _num(share)
            out[key + "_65plus"] = _num(share65)
        out["faults_within_response_share"] = self.faults_within_response_share
        out["hotspots_within_response_share"] = self.hotspots_within_response_share
        out["unserved_share"] = _num(self.unserved_share)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary (tables as lists of records, inf/NaN as None).

        The per-demand arrays (assignment, travel) are left out: they are as long as
        the demand table; take them from the attributes.
        """
        return {
            "n_centres": self.n_centres,
            "open_sites": self.open_sites.tolist(),
            "population_total": _num(self.population_total),
            "population_served": _num(self.population_served),
            "population_unserved": _num(self.population_unserved),
            "unserved_share": _num(self.unserved_share),
            "minutes": self.minutes.to_dict(),
            "distance_m": self.distance_m.to_dict(),
            "total_person_minutes": _num(self.total_person_minutes),
            "coverage": _records(self.coverage),
            "zones": _records(self.zones),
            "faults_within_response_share": self.faults_within_response_share,
            "n_hotspots": self.n_hotspots,
            "n_hotspots_within_response": self.n_hotspots_within_response,
            "hotspots_within_response_share": self.hotspots_within_response_share,
            "per_centre": _records(self.per_centre.reset_index()),
            "worst_served": _records(self.worst_served),
            "worst_hotspots": _records(self.worst_hotspots),
            "summary": self.summary(),
            "standards": self.standards.to_dict(),
            "notes": list(self.notes),
        }


# --------------------------------------------------------------------------------------
# small helpers


def _num(value: Any) -> float | None:
    """A finite float, or None for NaN/inf/None (JSON has neither)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if isinstance(v, (float, np.floating)):
                clean[str(k)] = _num(v)
            elif isinstance(v, np.integer):
                clean[str(k)] = int(v)
            elif isinstance(v, np.bool_):
                clean[str(k)] = bool(v)
            else:
                clean[str(k)] = v
        out.append(clean)
    return out


def _coverage_key(kind: str, threshold: float) -> str:
    if kind == "minutes":
        return f"within_{threshold:g}min_share"
    if kind == "distance_m":
        return f"within_{threshold:g}m_share"
    return "zone_standard_share"


_KEY_LABELS: dict[str, str] = {
    "n_centres": "kpi_n_centres",
    "mean_minutes": "kpi_mean_minutes",
    "median_minutes": "kpi_median_minutes",
    "p90_minutes": "kpi_p90_minutes",
    "max_minutes": "kpi_max_minutes",
    "mean_km": "kpi_mean_km",
    "median_km": "kpi_median_km",
    "p90_km": "kpi_p90_km",
    "max_km": "kpi_max_km",
    "zone_standard_share": "kpi_zone_standard",
    "zone_standard_share_65plus": "kpi_zone_standard_65",
    "faults_within_response_share": "kpi_faults_within_response",
    "hotspots_within_response_share": "kpi_hotspots_within_response",
    "unserved_share": "kpi_unserved_share",
}
_WITHIN_MIN = re.compile(r"^within_([0-9.e+-]+)min_share(_65plus)?$")
_WITHIN_M = re.compile(r"^within_([0-9.e+-]+)m_share(_65plus)?$")


def kpi_label(key: str, lang: str = "zh") -> str:
    """The human label of a :meth:`PlanKPIs.summary` key in ``lang``.

    Raises
    ------
    KeyError
        For a key that :meth:`PlanKPIs.summary` never produces.
    """
    if key in _KEY_LABELS:
        return t(_KEY_LABELS[key], lang)
    m = _WITHIN_MIN.match(key)
    if m:
        label = "kpi_within_minutes_65" if m.group(2) else "kpi_within_minutes"
        return t(label, lang, minutes=m.group(1))
    m = _WITHIN_M.match(key)
    if m:
        km = float(m.group(1)) / 1000.0
        text = t("kpi_within_km", lang, km=f"{km:g}")
        return text + (" (65+)" if m.group(2) else "")
    raise KeyError(f"no KPI named {key!r}")


#: Whether a larger value of a summary key is better (for colouring changes).
def _higher_is_better(key: str) -> bool:
    return "share" in key and key != "unserved_share"


def weighted_quantile(values: ArrayLike, weights: ArrayLike, q: float) -> float:
    """The weighted ``q``-quantile by the inverse weighted distribution function.

    The smallest value ``v`` such that the weights of values ``<= v`` add up to at
    least ``q`` of the total weight. NaN when the total weight is 0.

    Parameters
    ----------
    values
        Values (finite).
    weights
        Non-negative weights, same length.
    q
        Quantile in [0, 1].

    Returns
    -------
    float
        The quantile.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    w = np.asarray(weights, dtype=np.float64).ravel()
    if v.shape != w.shape:
        raise InputError(
            f"`values` and `weights` must have the same length; got {v.size} and {w.size}."
        )
    if not 0.0 <= q <= 1.0:
        raise InputError(f"`q` must be in [0, 1]; got {q}.")
    keep = w > 0
    v, w = v[keep], w[keep]
    if v.size == 0:
        return math.nan
    order = np.argsort(v, kind="stable")
    v, w = v[order], w[order]
    cum = np.cumsum(w)
    total = cum[-1]
    # A relative tolerance so that e.g. q = 0.5 of weights (1, 1) picks the first value
    # despite floating-point rounding of the cumulative sum.
    idx = int(np.searchsorted(cum, q * total * (1.0 - 1e-12), side="left"))
    return float(v[min(idx, v.size - 1)])


def _travel_stats(values: np.ndarray, weights: np.ndarray) -> TravelStats:
    served = np.isfinite(values) & (weights > 0)
    v, w = values[served], weights[served]
    if v.size == 0:
        return TravelStats(math.nan, math.nan, math.nan, math.nan)
    return TravelStats(
        mean=float(np.dot(v, w) / w.sum()),
        median=weighted_quantile(v, w, 0.5),
        p90=weighted_quantile(v, w, 0.9),
        max=float(v.max()),
    )


# --------------------------------------------------------------------------------------
# matrices


def _as_matrix(value: Any, name: str) -> Matrix:
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


def _vector(value: Any, n: int, name: str, *, default: float | None = None) -> np.ndarray:
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


def _assign(
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
    mat = _as_matrix(cost, "cost")
    n, m = mat.shape
    w = _vector(weight, n, "weight")
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
    t_mat = _as_matrix(minutes, "minutes")
    d_mat = _as_matrix(distance_m, "distance_m")
    if t_mat.shape != d_mat.shape:
        raise InputError(
            f"`minutes` {t_mat.shape} and `distance_m` {d_mat.shape} must have the same shape."
        )
    pts = _points(
        t_mat.shape, std, population=population, pop_65plus=pop_65plus,
        demand_weight=demand_weight, fault_intensity=fault_intensity, is_hotspot=is_hotspot,
        zone=zone, capacity=capacity, site_labels=site_labels, demand_ids=demand_ids,
    )  # fmt: skip
    asg = _assign(plan, t_mat, d_mat, assignment)
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
        minutes=_travel_stats(asg.minutes, pop),
        distance_m=_travel_stats(asg.distance_m, pop),
        total_person_minutes=float(np.dot(pop[served], asg.minutes[served])),
        coverage=_coverage_table(asg, pts, std, within_zone),
        zones=_zone_table(zone_names, zone_codes, std, pts, within_zone, within_resp),
        faults_within_response_share=(
            _num(_ratio(float(faults[within_resp].sum()), float(faults.sum())))
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
    pop = _vector(population, n, "population")
    p65 = _vector(pop_65plus, n, "pop_65plus", default=0.0)
    dw = _vector(demand_weight, n, "demand_weight") if demand_weight is not None else pop
    has_faults = fault_intensity is not None
    faults = _vector(fault_intensity, n, "fault_intensity", default=0.0)
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
        share65 = _ratio(float(p65[within].sum()), total65) if pts.has_65 else math.nan
        return {
            "kind": kind,
            "threshold": threshold,
            "share_population": _ratio(float(pop[within].sum()), pop_total),
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
                "share_within_service": _ratio(float(pop[sel & within_zone].sum()), zpop),
                "response_minutes": std.response_minutes[str(name)],
                "fault_intensity": zf,
                "faults_within_response_share": (
                    _ratio(float(faults[sel & within_resp].sum()), zf)
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
        Index: KPI key (see :func:`kpi_label`); columns ``plan``, ``baseline``,
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
    df["higher_is_better"] = [_higher_is_better(k) for k in keys]
    return df


def tradeoff_curve(
    solutions: Sequence[Solution] | Callable[[int], Solution],
    *,
    minutes: ArrayLike | Matrix,
    population: ArrayLike,
    standard_minutes: float = 15.0,
    p_values: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Objective and coverage as the number of centres ``p`` grows.

    Parameters
    ----------
    solutions
        Solved plans for several ``p`` (any order), or a callable ``solve_for_p(p)``
        returning a :class:`~planner.optimize.Solution`, called for each of ``p_values``.
    minutes
        ``(n_demand, n_sites)`` travel minutes (dense with ``inf``, or sparse).
    population
        People at each demand point.
    standard_minutes
        The service circle for the coverage column (minutes).
    p_values
        The ``p`` values to solve for when ``solutions`` is a callable (e.g. ``range(1, 11)``).

    Returns
    -------
    pandas.DataFrame
        One row per plan, sorted by ``p``: ``p``, ``status``, ``objective`` (the
        solver's), ``mean_minutes`` (population-weighted, served population),
        ``coverage_share`` (population within ``standard_minutes``),
        ``improvement`` (drop in ``mean_minutes`` from the previous row) and
        ``improvement_share`` (that drop as a share of the first row's ``mean_minutes``).
    """
    if callable(solutions):
        if p_values is None:
            raise InputError(
                "`p_values` is required when `solutions` is a callable (e.g. range(1, 11))."
            )
        sols = [solutions(int(p)) for p in p_values]
    else:
        sols = list(solutions)
    if not sols:
        raise InputError("`solutions` is empty: give at least one solved plan.")
    if not all(isinstance(s, Solution) for s in sols):
        raise InputError("`solutions` must hold planner.optimize.Solution objects.")
    thr = float(standard_minutes)
    if not math.isfinite(thr) or thr <= 0:
        raise InputError(f"`standard_minutes` must be a positive number; got {standard_minutes!r}.")
    t_mat = _as_matrix(minutes, "minutes")
    n = t_mat.shape[0]
    pop = _vector(population, n, "population")
    total = float(pop.sum())
    rows = []
    for s in sols:
        if not s.has_plan:
            rows.append(
                {
                    "p": s.p,
                    "status": s.status.value,
                    "objective": math.nan,
                    "mean_minutes": math.nan,
                    "coverage_share": math.nan,
                }
            )
            continue
        asg = _assign(s, t_mat, None, None)
        served = np.isfinite(asg.minutes) & (pop > 0)
        w = pop[served]
        rows.append(
            {
                "p": s.p,
                "status": s.status.value,
                "objective": float(s.objective),
                "mean_minutes": float(np.dot(asg.minutes[served], w) / w.sum())
                if w.sum() > 0
                else math.nan,
                "coverage_share": _ratio(float(pop[asg.minutes <= thr].sum()), total),
            }
        )
    df = pd.DataFrame(rows).sort_values("p", kind="stable").reset_index(drop=True)
    df["improvement"] = -df["mean_minutes"].diff()
    first = float(df["mean_minutes"].iloc[0])
    df["improvement_share"] = df["improvement"] / first if first > 0 else math.nan
    return df


def stops_paying_p(curve: pd.DataFrame, *, min_improvement_share: float = 0.05) -> int | None:
    """The ``p`` after which one more centre improves mean travel by less than a threshold.

    Parameters
    ----------
    curve
        The output of :func:`tradeoff_curve` (consecutive ``p`` values).
    min_improvement_share
        The smallest worthwhile improvement, as a share of the first row's mean travel.

    Returns
    -------
    int or None
        The first ``p`` whose next row improves by less than the threshold; None if
        every extra centre in the curve still pays.
    """
    imp = curve["improvement_share"].to_numpy(dtype=float)
    ps = curve["p"].to_numpy()
    for i in range(1, imp.size):
        if not imp[i] >= min_improvement_share:
            return int(ps[i - 1])
    return None
