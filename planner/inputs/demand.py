"""Demand: residential density + population + fault hotspots -> weighted demand points.

A demand point stands for an area (usually a population cell) and carries a
weight: how much service-hall demand it generates. The weight blends three
layers, each normalised to its share of the study area's total, so that the
blend stays in *population-equivalent* units (the weights sum to the area's
adult population):

.. math::

    w_i = P \\left(a_{pop} \\frac{pop_i}{\\sum pop} + a_{res} \\frac{res_i}{\\sum res}
          + a_{fault} \\frac{f_i}{\\sum f}\\right), \\qquad a_{pop} + a_{res} + a_{fault} = 1

where ``P`` is the total adult population, ``res`` the residential density index
and ``f`` the (recency-weighted) fault count. With ``a_pop = 1`` the weight is
simply the population. Each component is kept as its own column
(``weight_population``, ``weight_residential``, ``weight_faults``) so a planner
can see why a point weighs what it weighs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import DataError, InputError
from planner.inputs.layers import metric_crs_for, require_columns

_WEIGHT_KEYS = ("population", "residential", "faults")

#: Density thresholds (adults per km²) between zones; rural and remote areas get
#: longer response standards (State Grid: 45 min urban, 90 min rural, 2 h remote).
URBAN_DENSITY_PER_KM2 = 1500.0
RURAL_DENSITY_PER_KM2 = 100.0


@dataclass(frozen=True)
class DemandWeights:
    """Relative weights of the three demand layers (normalised to sum to 1).

    Attributes
    ----------
    population
        Weight of the adult population.
    residential
        Weight of the residential-density index.
    faults
        Weight of fault-hotspot intensity.
    """

    population: float = 0.6
    residential: float = 0.2
    faults: float = 0.2

    def __post_init__(self) -> None:
        for name in ("population", "residential", "faults"):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise InputError(f"demand weight `{name}` must be a number >= 0; got {value}.")
        if self.population + self.residential + self.faults <= 0:
            raise InputError(
                "demand weights `population`, `residential` and `faults` are all 0; set at least one > 0."
            )

    def normalised(self) -> tuple[float, float, float]:
        """``(population, residential, faults)`` scaled to sum to 1."""
        total = self.population + self.residential + self.faults
        return (self.population / total, self.residential / total, self.faults / total)


def _numeric(gdf: pd.DataFrame, col: str, *, where: str, allow_missing: bool = False) -> np.ndarray:
    require_columns(gdf, [col], where=where)
    values = pd.to_numeric(gdf[col], errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any() and not allow_missing:
        rows = np.flatnonzero(bad)[:5].tolist()
        raise DataError(
            f"{where}: column {col!r} has missing or non-numeric values in row(s) {rows}; fill them in."
        )
    values = np.where(bad, 0.0, values)
    if (values < 0).any():
        rows = np.flatnonzero(values < 0)[:5].tolist()
        raise DataError(
            f"{where}: column {col!r} has negative values in row(s) {rows}; counts must be >= 0."
        )
    return values


def fault_intensity(
    faults: gpd.GeoDataFrame,
    *,
    timestamp_col: str | None = "reported_at",
    half_life_days: float | None = None,
    as_of: datetime | str | None = None,
    count_col: str | None = None,
) -> np.ndarray:
    """Recency-weighted fault count of each record.

    Each record counts ``count_col`` (default 1) times ``0.5 ** (age / half_life)``
    when ``half_life_days`` is set, ``age`` measured back from ``as_of`` (default:
    the newest record).
    """
    where = "fault records"
    n = len(faults)
    base = np.ones(n) if count_col is None else _numeric(faults, count_col, where=where)
    if half_life_days is None:
        return base
    if not np.isfinite(half_life_days) or half_life_days <= 0:
        raise InputError(f"`fault_half_life_days` must be > 0 days; got {half_life_days}.")
    if timestamp_col is None or timestamp_col not in faults.columns:
        raise DataError(
            f"{where}: recency decay needs a timestamp column; column {timestamp_col!r} not found "
            "(set `timestamp_col=` or drop the half-life)."
        )
    column = faults[timestamp_col]
    # Text timestamps may mix formats; "mixed" parses each on its own (and does not warn).
    times = pd.to_datetime(
        column,
        errors="coerce",
        utc=True,
        format=None if pd.api.types.is_datetime64_any_dtype(column) else "mixed",
    )
    if times.isna().any():
        rows = np.flatnonzero(times.isna().to_numpy())[:5].tolist()
        raise DataError(
            f"{where}: column {timestamp_col!r} has unreadable timestamps in row(s) {rows}."
        )
    if as_of is None:
        ref = times.max()
    else:
        ref = pd.Timestamp(as_of)
        ref = ref.tz_localize("UTC") if ref.tzinfo is None else ref.tz_convert("UTC")
    age_days = ((ref - times).dt.total_seconds() / 86400.0).clip(lower=0).to_numpy()
    return base * np.power(0.5, age_days / half_life_days)


def build_demand(
    population: gpd.GeoDataFrame,
    *,
    population_col: str = "pop_20plus",
    pop65_col: str | None = "pop_65plus",
    id_col: str | None = "cell_id",
    residential: gpd.GeoDataFrame | None = None,
    residential_col: str = "residential_density",
    faults: gpd.GeoDataFrame | None = None,
    fault_timestamp_col: str | None = "reported_at",
    fault_half_life_days: float | None = None,
    fault_as_of: datetime | str | None = None,
    weights: DemandWeights | None = None,
    hotspot_quantile: float = 0.9,
    urban_density_per_km2: float = URBAN_DENSITY_PER_KM2,
    rural_density_per_km2: float = RURAL_DENSITY_PER_KM2,
    cell_size_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Weighted demand points from population, residential density and fault records.

    Parameters
    ----------
    population
        Population cells (polygons) or points in EPSG:4326 with ``population_col``
        (adults) and optionally ``pop65_col`` (residents 65+).
    residential
        Optional layer with ``residential_col``: the same cells (joined by
        ``id_col``) or any polygons/points (joined spatially to the population's
        points). Missing -> the residential weight is spread like population.
    faults
        Optional fault/outage records (points); each falls into the cell that
        contains it (or the nearest demand point when population is points).
    fault_half_life_days
        Recency decay: a record ``h`` days old counts half.
    weights
        :class:`DemandWeights`; default 0.6 population, 0.2 residential, 0.2 faults.
    hotspot_quantile
        A demand point is a fault hotspot when its fault intensity is positive and
        at least this quantile of the positive intensities.
    cell_size_m
        Aggregate the population cells (or points) into square cells of this size
        in metres before weighting (see :func:`coarsen_demand`); ``None`` keeps them.
    urban_density_per_km2, rural_density_per_km2
        Density thresholds of the ``zone`` column (urban / rural / remote); for
        point layers without area every point is ``urban``.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, Point geometry (cell centroids), a ``cell`` geometry column when
        the input had polygons, and the columns listed in the module docstring.
    """
    weights = weights or DemandWeights()
    where = "population layer"
    if population.crs is None or not population.crs.equals("EPSG:4326"):
        raise DataError(
            f"{where}: must be in EPSG:4326; read it with planner.inputs.layers.read_layer."
        )
    if not 0 < hotspot_quantile < 1:
        raise InputError(f"`hotspot_quantile` must be between 0 and 1; got {hotspot_quantile}.")
    pop = _numeric(population, population_col, where=where)
    if pop.sum() <= 0:
        raise DataError(f"{where}: column {population_col!r} sums to 0; no one to serve.")
    pop65 = (
        _numeric(population, pop65_col, where=where)
        if pop65_col and pop65_col in population.columns
        else np.zeros_like(pop)
    )
    ids = (
        population[id_col].astype(str).to_numpy()
        if id_col and id_col in population.columns
        else np.array([f"D{i:05d}" for i in range(len(population))])
    )
    if len(set(ids)) != len(ids):
        raise DataError(f"{where}: column {id_col!r} has duplicate ids; ids must be unique.")

    metric = metric_crs_for(population)
    geom_m = population.geometry.to_crs(metric)
    is_area = bool((geom_m.geom_type.isin(["Polygon", "MultiPolygon"])).all())
    points_m = geom_m.centroid if is_area else geom_m
    points = gpd.GeoSeries(points_m, crs=metric).to_crs("EPSG:4326")
    area_km2 = (geom_m.area.to_numpy() / 1e6) if is_area else np.full(len(pop), np.nan)

    out = gpd.GeoDataFrame(
        {"demand_id": ids, "population": pop, "pop_65plus": pop65, "area_km2": area_km2},
        geometry=points.values,
        crs="EPSG:4326",
    )
    if is_area:
        out["cell"] = gpd.GeoSeries(population.geometry.values, crs="EPSG:4326")

    # Residential density index, aligned to the demand points.
    if residential is not None:
        res_where = "residential layer"
        res_values = _numeric(residential, residential_col, where=res_where)
        if id_col and id_col in residential.columns and id_col in population.columns:
            lookup = pd.Series(res_values, index=residential[id_col].astype(str).to_numpy())
            if not lookup.index.is_unique:
                raise DataError(f"{res_where}: column {id_col!r} has duplicate ids.")
            res = lookup.reindex(ids).fillna(0.0).to_numpy()
        else:
            res = _spatial_values(out, residential, res_values)
    else:
        res = pop / np.where(np.isfinite(area_km2), np.maximum(area_km2, 1e-9), 1.0)
    out["residential_density"] = res

    # Fault hotspot intensity per demand point.
    f: np.ndarray
    if faults is not None and len(faults):
        intensity = fault_intensity(
            faults,
            timestamp_col=fault_timestamp_col,
            half_life_days=fault_half_life_days,
            as_of=fault_as_of,
        )
        fault_points = (
            faults.geometry if (faults.geom_type == "Point").all() else faults.geometry.centroid
        )
        if is_area:
            cells = gpd.GeoDataFrame(
                {"row": np.arange(len(out))}, geometry=out["cell"].values, crs="EPSG:4326"
            )
            hits = gpd.sjoin(
                gpd.GeoDataFrame({"w": intensity}, geometry=fault_points.values, crs="EPSG:4326"),
                cells,
                how="inner",
                predicate="within",
            )
            hits = hits[
                ~hits.index.duplicated(keep="first")
            ]  # a point on a shared edge counts once
            f = np.bincount(
                hits["row"].to_numpy(), weights=hits["w"].to_numpy(), minlength=len(out)
            )
            # Records outside every cell are reported, not silently dropped.
            out.attrs["faults_outside_cells"] = int(len(faults) - len(hits))
        else:
            f = _nearest_sum(out, fault_points, intensity, metric)
            out.attrs["faults_outside_cells"] = 0
    else:
        f = np.zeros(len(out))
    out["fault_intensity"] = f

    if cell_size_m is not None:
        out = coarsen_demand(out, cell_size_m, metric=metric)
        f = out["fault_intensity"].to_numpy()
        pop = out["population"].to_numpy()
        area_km2 = out["area_km2"].to_numpy()

    out = reweight_demand(out, weights)

    positive = f[f > 0]
    threshold = np.quantile(positive, hotspot_quantile) if positive.size else np.inf
    out["is_hotspot"] = (f > 0) & (f >= threshold)

    density = pop / np.where(np.isfinite(area_km2) & (area_km2 > 0), area_km2, np.nan)
    zone = np.where(
        ~np.isfinite(density) | (density >= urban_density_per_km2),
        "urban",
        np.where(density >= rural_density_per_km2, "rural", "remote"),
    )
    out["zone"] = zone
    out["density_per_km2"] = density
    return out


def _spatial_values(
    points: gpd.GeoDataFrame, layer: gpd.GeoDataFrame, values: np.ndarray
) -> np.ndarray:
    """The layer's value at each demand point: the containing polygon, or the nearest point."""
    src = gpd.GeoDataFrame({"v": values}, geometry=layer.geometry.values, crs=layer.crs)
    pts = gpd.GeoDataFrame(
        {"row": np.arange(len(points))}, geometry=points.geometry.values, crs=points.crs
    )
    if src.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        hit = gpd.sjoin(pts, src, how="left", predicate="within")
        hit = hit[~hit.index.duplicated(keep="first")]
        return hit["v"].fillna(0.0).to_numpy()
    metric = metric_crs_for(points)
    hit = gpd.sjoin_nearest(pts.to_crs(metric), src.to_crs(metric), how="left")
    hit = hit[~hit.index.duplicated(keep="first")]
    return hit["v"].fillna(0.0).to_numpy()


def _nearest_sum(
    points: gpd.GeoDataFrame, fault_points: gpd.GeoSeries, intensity: np.ndarray, metric: object
) -> np.ndarray:
    """Sum each fault's intensity onto its nearest demand point."""
    from scipy.spatial import cKDTree

    pts = points.geometry.to_crs(metric)
    fp = gpd.GeoSeries(fault_points.values, crs=fault_points.crs).to_crs(metric)
    tree = cKDTree(np.column_stack([pts.x, pts.y]))
    _, nearest = tree.query(np.column_stack([fp.x, fp.y]))
    return np.bincount(nearest, weights=intensity, minlength=len(points))


def reweight_demand(
    demand: gpd.GeoDataFrame, weights: DemandWeights | Mapping[str, float]
) -> gpd.GeoDataFrame:
    """The demand table with its ``weight`` columns re-blended from its stored components.

    Uses the blend of :func:`planner.inputs.demand.build_demand` (population-equivalent
    shares of ``population``, ``residential_density`` and ``fault_intensity``)
    without reading any layer again: what a sweep over ``demand.population`` /
    ``demand.residential`` / ``demand.faults`` needs.

    Parameters
    ----------
    demand
        A demand table with ``population``, ``residential_density`` and
        ``fault_intensity`` columns.
    weights
        :class:`~planner.inputs.demand.DemandWeights` or a mapping with keys
        ``population``, ``residential`` and ``faults``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with ``weight_population``, ``weight_residential``,
        ``weight_faults`` and ``weight`` recomputed.
    """
    if not isinstance(weights, DemandWeights):
        unknown = sorted(set(weights) - set(_WEIGHT_KEYS))
        if unknown:
            raise InputError(
                f"demand weights {unknown} are unknown; use population, residential, faults."
            )
        weights = DemandWeights(**{k: float(v) for k, v in weights.items()})
    a_pop, a_res, a_fault = weights.normalised()
    pop = demand["population"].to_numpy(dtype=np.float64)
    total_pop = pop.sum()
    if total_pop <= 0:
        raise InputError("demand: column 'population' sums to 0; no one to serve.")
    shares = []
    for a, col in (
        (a_pop, "population"),
        (a_res, "residential_density"),
        (a_fault, "fault_intensity"),
    ):
        values = demand[col].to_numpy(dtype=np.float64)
        s = values.sum()
        shares.append(a * values / s if s > 0 else (a * pop / total_pop))
    out = demand.copy()
    out["weight_population"] = total_pop * shares[0]
    out["weight_residential"] = total_pop * shares[1]
    out["weight_faults"] = total_pop * shares[2]
    out["weight"] = out["weight_population"] + out["weight_residential"] + out["weight_faults"]
    out.attrs["weights"] = {"population": a_pop, "residential": a_res, "faults": a_fault}
    return out


def coarsen_demand(
    demand: gpd.GeoDataFrame, cell_size_m: float, *, metric: object = None
) -> gpd.GeoDataFrame:
    """Aggregate demand points into square cells of ``cell_size_m`` metres.

    Fewer, larger cells make a province-sized model smaller. Counts (population,
    residents 65+, fault intensity, area) are summed; the residential density
    index is averaged weighted by area (by population for point layers); each
    new point is the population-weighted centre of its members and its ``cell``
    the union of their cells. Weights, zones and hotspots are *not* set here:
    :func:`build_demand` computes them on the coarse cells.
    """
    if not np.isfinite(cell_size_m) or cell_size_m <= 0:
        raise InputError(f"`cell_size_m` must be a positive size in metres; got {cell_size_m}.")
    crs = metric if metric is not None else metric_crs_for(demand)
    pts = demand.geometry.to_crs(crs)
    x, y = pts.x.to_numpy(), pts.y.to_numpy()
    col = np.floor(x / cell_size_m).astype(np.int64)
    row = np.floor(y / cell_size_m).astype(np.int64)
    keys, group = np.unique(np.column_stack([row, col]), axis=0, return_inverse=True)
    group = group.ravel()
    n = len(keys)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=values, minlength=n)

    pop = demand["population"].to_numpy(dtype=np.float64)
    area = demand["area_km2"].to_numpy(dtype=np.float64)
    has_area = bool(np.isfinite(area).all())
    if has_area and area.size:
        side = float(np.sqrt(np.median(area) * 1e6))
        if cell_size_m < 0.98 * side:
            raise DataError(
                f"demand.cell_size_m = {cell_size_m:g} is finer than the population layer's own "
                f"cells (about {side:.0f} m across); cells cannot be split, so it would change "
                f"nothing. Set cell_size_m to {side:.0f} or more, or leave it out."
            )
    share_w = area if has_area else np.maximum(pop, 1e-12)
    w_sum = total(share_w)
    safe_pop = np.where(total(pop) > 0, total(pop), 1.0)
    # Population-weighted centre (the cell centroid where a cell is empty).
    cx = np.where(
        total(pop) > 0, total(pop * x) / safe_pop, total(x) / np.bincount(group, minlength=n)
    )
    cy = np.where(
        total(pop) > 0, total(pop * y) / safe_pop, total(y) / np.bincount(group, minlength=n)
    )
    centres = gpd.GeoSeries(gpd.points_from_xy(cx, cy), crs=crs).to_crs("EPSG:4326")
    out = gpd.GeoDataFrame(
        {
            "demand_id": [f"G{r}_{c}" for r, c in keys],
            "population": total(pop),
            "pop_65plus": total(demand["pop_65plus"].to_numpy(dtype=np.float64)),
            "area_km2": total(area) if has_area else np.full(n, np.nan),
            "residential_density": total(demand["residential_density"].to_numpy() * share_w)
            / w_sum,
            "fault_intensity": total(demand["fault_intensity"].to_numpy(dtype=np.float64)),
            "n_cells": np.bincount(group, minlength=n),
        },
        geometry=centres.values,
        crs="EPSG:4326",
    )
    if "cell" in demand.columns:
        cells = gpd.GeoDataFrame({"g": group}, geometry=demand["cell"].values, crs="EPSG:4326")
        merged = cells.dissolve(by="g").sort_index()
        out["cell"] = gpd.GeoSeries(merged.geometry.values, crs="EPSG:4326")
    out.attrs = dict(demand.attrs)
    return out
