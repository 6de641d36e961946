"""Candidate and existing sites.

The sites table has one row per site that the optimiser may open; row ``j`` is
column ``j`` of every cost matrix. Candidates come from a point layer (filtered
by category) or are generated from the densest demand cells; existing centres
are appended and either must stay open (``keep``) or may close.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import DataError, InputError
from planner.inputs.layers import metric_crs_for

ExistingPolicy = Literal["keep", "may_close"]

SITE_COLUMNS = (
    "site_id",
    "name_zh",
    "name_en",
    "category",
    "category_zh",
    "category_en",
    "existing",
    "keep",
    "simulated",
    "capacity",
)


def _text_column(
    gdf: pd.DataFrame, col: str | None, default: Sequence[str] | np.ndarray
) -> np.ndarray:
    if col is not None and col in gdf.columns:
        return gdf[col].fillna("").astype(str).str.strip().to_numpy()
    return np.asarray(default, dtype=object)


def _capacity_column(layer: pd.DataFrame, col: str | None, where: str) -> np.ndarray:
    """Per-site capacity from ``col`` (NaN where empty, or everywhere without ``col``)."""
    n = len(layer)
    if col is None:
        return np.full(n, np.nan)
    if col not in layer.columns:
        raise DataError(
            f"{where}: capacity column {col!r} not found; columns: {sorted(map(str, layer.columns))}. "
            "Fix `capacity_col` or add the column."
        )
    raw = layer[col]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    text = raw.astype(str).str.strip()
    bad = np.isnan(values) & raw.notna().to_numpy() & (text != "").to_numpy()
    bad |= np.isinf(values) | (values <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{where}: column {col!r} row {first + 1} holds {raw.iloc[first]!r}; a capacity must "
            "be a number > 0 in demand-weight units (leave it empty to use model.capacity)."
        )
    return values


def _sites_table(
    layer: gpd.GeoDataFrame,
    geom: gpd.GeoSeries,
    ids: np.ndarray,
    cats: np.ndarray,
    *,
    name_col: str | None,
    name_en_col: str | None,
    existing: bool,
    keep: bool | np.ndarray,
    capacity: np.ndarray | None = None,
) -> gpd.GeoDataFrame:
    """The sites table (:data:`SITE_COLUMNS`) of one layer."""
    names = _text_column(layer, name_col, ids)
    simulated = (
        layer["simulated"].astype(bool).to_numpy() if "simulated" in layer.columns else False
    )
    return gpd.GeoDataFrame(
        {
            "site_id": ids,
            "name_zh": names,
            "name_en": _text_column(layer, name_en_col, names),
            "category": cats,
            "category_zh": _text_column(layer, "category_zh", cats),
            "category_en": _text_column(layer, "category_en", cats),
            "existing": existing,
            "keep": keep,
            "simulated": simulated,
            "capacity": np.full(len(ids), np.nan) if capacity is None else capacity,
        },
        geometry=geom.values,
        crs="EPSG:4326",
    )


def _points(gdf: gpd.GeoDataFrame, where: str) -> gpd.GeoSeries:
    if gdf.crs is None or not gdf.crs.equals("EPSG:4326"):
        raise DataError(
            f"{where}: must be in EPSG:4326; read it with planner.inputs.layers.read_layer."
        )
    if (gdf.geom_type == "Point").all():
        return gdf.geometry
    metric = metric_crs_for(gdf)
    return gdf.geometry.to_crs(metric).centroid.to_crs("EPSG:4326")


def candidate_sites(
    layer: gpd.GeoDataFrame,
    *,
    categories: Iterable[str] | None = None,
    id_col: str | None = "site_id",
    name_col: str | None = "name_zh",
    name_en_col: str | None = "name_en",
    category_col: str | None = "category",
    exclude: Iterable[str] | None = None,
    capacity_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites from a point layer, optionally filtered by category.

    Parameters
    ----------
    layer
        Points (or areas, reduced to centroids) in EPSG:4326.
    categories
        Keep only these values of ``category_col`` (e.g. ``["mall", "office"]``).
    exclude
        Site ids to leave out (a planner's veto list).
    capacity_col
        Column with each site's capacity in demand-weight units (empty: ``model.capacity``).

    Returns
    -------
    geopandas.GeoDataFrame
        The sites table (see module docstring), ``existing`` and ``keep`` False.
    """
    where = "candidate sites"
    geom = _points(layer, where)
    n = len(layer)
    ids = _text_column(layer, id_col, [f"C{i:04d}" for i in range(n)])
    if len(set(ids)) != n:
        raise DataError(f"{where}: column {id_col!r} has duplicate ids; ids must be unique.")
    cats = _text_column(layer, category_col, ["candidate"] * n)
    if category_col is not None and category_col not in layer.columns and categories is not None:
        raise DataError(f"{where}: cannot filter by category: column {category_col!r} not found.")
    out = _sites_table(
        layer,
        geom,
        ids,
        cats,
        name_col=name_col,
        name_en_col=name_en_col,
        existing=False,
        keep=False,
        capacity=_capacity_column(layer, capacity_col, where),
    )
    if categories is not None:
        wanted = [str(c) for c in categories]
        unknown = sorted(set(wanted) - set(cats))
        if unknown:
            raise InputError(
                f"candidate categories {unknown} do not occur in column {category_col!r}; "
                f"categories present: {sorted(set(cats))}."
            )
        out = out[out["category"].isin(wanted)]
    if exclude is not None:
        excluded = {str(x) for x in exclude}
        unknown = sorted(excluded - set(out["site_id"]))
        if unknown:
            raise InputError(f"excluded site ids {unknown[:5]} are not among the candidates.")
        out = out[~out["site_id"].isin(excluded)]
    if out.empty:
        raise InputError(f"{where}: no candidate left after filtering by category and exclusions.")
    return out.reset_index(drop=True)


def existing_centres(
    layer: gpd.GeoDataFrame,
    *,
    policy: ExistingPolicy = "keep",
    id_col: str | None = "centre_id",
    name_col: str | None = "name_zh",
    name_en_col: str | None = "name_en",
    closable: Iterable[str] | None = None,
    capacity_col: str | None = None,
) -> gpd.GeoDataFrame:
    """Today's centres as sites: kept open (``policy="keep"``) or allowed to close.

    ``closable`` lists the ids that may close even when the policy is ``keep``;
    ``capacity_col`` names a column of capacities (demand-weight units).
    """
    if policy not in ("keep", "may_close"):
        raise InputError(f"`existing_policy` = {policy!r}; use 'keep' or 'may_close'.")
    where = "existing centres"
    geom = _points(layer, where)
    n = len(layer)
    ids = _text_column(layer, id_col, [f"E{i:02d}" for i in range(n)])
    if len(set(ids)) != n:
        raise DataError(f"{where}: column {id_col!r} has duplicate ids; ids must be unique.")
    keep = np.full(n, policy == "keep")
    if closable is not None:
        closable_ids = {str(x) for x in closable}
        unknown = sorted(closable_ids - set(ids))
        if unknown:
            raise InputError(
                f"closable centre ids {unknown[:5]} are not among the existing centres."
            )
        keep &= ~np.isin(ids, list(closable_ids))
    # no category column: none (the page says "existing centre" in its language)
    cats = _text_column(layer, "category", [""] * n)
    return _sites_table(
        layer, geom, ids, cats, name_col=name_col, name_en_col=name_en_col, existing=True, keep=keep,
        capacity=_capacity_column(layer, capacity_col, where),
    )  # fmt: skip


def combine_sites(
    candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """One sites table: existing centres first, then candidates; ids must be unique across both."""
    parts = [existing, candidates] if existing is not None and len(existing) else [candidates]
    sites = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    dup = sites["site_id"][sites["site_id"].duplicated()].tolist()
    if dup:
        raise DataError(
            f"site ids {dup[:5]} occur both among existing centres and candidates; rename them."
        )
    return sites


def sites_from_densest_cells(
    demand: gpd.GeoDataFrame,
    n_sites: int,
    *,
    min_spacing_m: float = 1000.0,
    weight_col: str = "weight",
) -> gpd.GeoDataFrame:
    """Generate candidate sites at the heaviest demand points, at least ``min_spacing_m`` apart.

    Useful where no list of real candidate places exists: the densest cells
    are where a hall is most likely to pay off. Greedy: take points by falling
    weight, skip any within ``min_spacing_m`` of one already taken.
    """
    from scipy.spatial import cKDTree

    if n_sites < 1:
        raise InputError(f"`n_sites` must be at least 1; got {n_sites}.")
    if min_spacing_m < 0:
        raise InputError(f"`min_spacing_m` must be >= 0; got {min_spacing_m}.")
    metric = metric_crs_for(demand)
    pts = demand.geometry.to_crs(metric)
    xy = np.column_stack([pts.x, pts.y])
    order = np.argsort(-demand[weight_col].to_numpy(), kind="stable")
    tree = cKDTree(xy)
    blocked = np.zeros(len(xy), dtype=bool)
    chosen: list[int] = []
    for i in order:  # at most len(demand) steps, each a radius query: no n x m loop
        if blocked[i]:
            continue
        chosen.append(int(i))
        if len(chosen) == n_sites:
            break
        blocked[tree.query_ball_point(xy[i], r=min_spacing_m)] = True
    rows = demand.iloc[chosen]
    ids = [f"G{k:04d}" for k in range(len(chosen))]
    return gpd.GeoDataFrame(
        {
            "site_id": ids,
            "name_zh": [f"高密度单元 {d}" for d in rows["demand_id"]],
            "name_en": [f"dense cell {d}" for d in rows["demand_id"]],
            "category": "generated",
            "category_zh": "生成(高密度单元)",
            "category_en": "generated (dense cell)",
            "existing": False,
            "keep": False,
            "simulated": False,
            "capacity": np.nan,
        },
        geometry=rows.geometry.values,
        crs="EPSG:4326",
    )
