"""What the KPIs are made of: service standards, the per-plan :class:`PlanKPIs` result and
its :class:`TravelStats`, and the weighted quantile every travel statistic uses (the
KPIs' labels are in :mod:`planner.present.labels`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.evaluate.notes_text import note_text
from planner.travel.point_costs import PointCosts

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
        return {k: number_or_none(v) for k, v in vars(self).items()}


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
        The assumptions made (e.g. default zone), as keys of :data:`planner.evaluate.notes_text.NOTE_LABELS`;
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
        return [note_text(key, lang, zone=self.standards.default_zone) for key in self.note_keys]

    @property
    def n_centres(self) -> int:
        """Number of open centres."""
        return int(self.open_sites.size)

    @property
    def unserved_share(self) -> float:
        """Share of the population with no reachable open centre."""
        return ratio(self.population_unserved, self.population_total)

    @property
    def hotspots_within_response_share(self) -> float | None:
        """Share of fault hotspots within the response standard (None without hotspots)."""
        if self.n_hotspots == 0:
            return None
        return self.n_hotspots_within_response / self.n_hotspots

    def summary(self) -> dict[str, float | None]:
        """Headline indicators, keyed by stable names (see :func:`planner.present.labels.kpi_label`).

        Distances are in kilometres here; shares are fractions (0-1).
        """
        out: dict[str, float | None] = {"n_centres": float(self.n_centres)}
        for stat in ("mean", "median", "p90", "max"):
            out[f"{stat}_minutes"] = number_or_none(getattr(self.minutes, stat))
        for stat in ("mean", "median", "p90", "max"):
            v = number_or_none(getattr(self.distance_m, stat))
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
            out[key] = number_or_none(share)
            out[key + "_65plus"] = number_or_none(share65)
        out["faults_within_response_share"] = self.faults_within_response_share
        out["hotspots_within_response_share"] = self.hotspots_within_response_share
        out["unserved_share"] = number_or_none(self.unserved_share)
        return out

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dictionary (tables as lists of records, inf/NaN as None).

        The per-demand arrays (assignment, travel) are left out: they are as long as
        the demand table; take them from the attributes.
        """
        return {
            "n_centres": self.n_centres,
            "open_sites": self.open_sites.tolist(),
            "population_total": number_or_none(self.population_total),
            "population_served": number_or_none(self.population_served),
            "population_unserved": number_or_none(self.population_unserved),
            "unserved_share": number_or_none(self.unserved_share),
            "minutes": self.minutes.to_dict(),
            "distance_m": self.distance_m.to_dict(),
            "total_person_minutes": number_or_none(self.total_person_minutes),
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


def number_or_none(value: Any) -> float | None:
    """A finite float, or None for NaN/inf/None (JSON has neither)."""
    if value is None:
        return None
    v = float(value)
    return v if math.isfinite(v) else None


def ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den > 0 else math.nan


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    out = []
    for rec in df.to_dict(orient="records"):
        clean: dict[str, Any] = {}
        for k, v in rec.items():
            if isinstance(v, (float, np.floating)):
                clean[str(k)] = number_or_none(v)
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


#: Whether a larger value of a summary key is better (for colouring changes).
def higher_is_better(key: str) -> bool:
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


def travel_stats(values: np.ndarray, weights: np.ndarray) -> TravelStats:
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
