"""Catchment geometry of a plan: the open sites and the serving site of every demand
point (from a solution, KPIs or a straight-line fallback), and the area each open
centre serves as one dissolved polygon. Used by the maps and the GeoPackage export."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.evaluate.kpi_types import PlanKPIs
from planner.optimize.solution import Solution

# --------------------------------------------------------------------------------------
# inputs


def check_gdf(value: Any, name: str) -> gpd.GeoDataFrame:
    if not isinstance(value, gpd.GeoDataFrame):
        raise InputError(f"`{name}` must be a GeoDataFrame; got {type(value).__name__}.")
    if value.crs is None:
        raise InputError(f"`{name}` has no CRS; set it (e.g. `{name}.set_crs('EPSG:4326')`).")
    if len(value) == 0:
        raise InputError(f"`{name}` is empty.")
    if value.geometry.isna().any() or value.geometry.is_empty.any():
        raise InputError(f"`{name}` has rows without geometry; drop or fix them first.")
    out = value if value.crs.to_epsg() == 4326 else value.to_crs(4326)
    return out.reset_index(drop=True)


def numeric_column(df: pd.DataFrame, name: str, default: float | None = None) -> np.ndarray | None:
    if name not in df.columns:
        return None if default is None else np.full(len(df), default)
    values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputError(f"column `{name}` must hold finite numbers >= 0 in every row.")
    return values


def cell_polygons(demand: gpd.GeoDataFrame) -> np.ndarray | None:
    if "cell" not in demand.columns:
        return None
    cells = demand["cell"]
    if isinstance(cells, gpd.GeoSeries):
        if cells.crs is not None and cells.crs.to_epsg() != 4326:
            cells = cells.to_crs(4326)
        arr = np.asarray(cells.values, dtype=object)
    else:
        arr = np.asarray(cells, dtype=object)
    if not all(isinstance(g, shapely.Geometry) for g in arr):
        raise InputError("column `cell` of `demand` must hold polygons (shapely geometries).")
    return np.asarray(arr, dtype=object)


def resolve_open(
    open_sites: Solution | ArrayLike, n_sites: int
) -> tuple[np.ndarray, np.ndarray | None]:
    assignment = None
    if isinstance(open_sites, Solution):
        if not open_sites.has_plan:
            raise InputError(
                f"the solution has no plan (status {open_sites.status.value!r}); there is nothing to map."
            )
        assignment = open_sites.assignment
        idx = open_sites.open_sites
    else:
        idx = np.asarray(open_sites)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
    if idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise InputError("`open_sites` must be a non-empty list of integer site indices.")
    idx = np.unique(idx.astype(np.int64))
    if idx[0] < 0 or idx[-1] >= n_sites:
        raise InputError(f"`open_sites` holds indices outside 0..{n_sites - 1} (rows of `sites`).")
    return idx, assignment


def utm_crs(gdf: gpd.GeoDataFrame) -> str:
    """The WGS 84 / UTM zone of the data's centre (cheaper than ``estimate_utm_crs``)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _nearest_open(
    demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, open_idx: np.ndarray
) -> np.ndarray:
    """Nearest open site by straight line (fallback when no assignment is given)."""
    from scipy.spatial import cKDTree

    crs = utm_crs(demand)
    d = demand.geometry.to_crs(crs)
    s = sites.geometry.iloc[open_idx].to_crs(crs)
    tree = cKDTree(np.column_stack([s.x.to_numpy(), s.y.to_numpy()]))
    _, pos = tree.query(np.column_stack([d.x.to_numpy(), d.y.to_numpy()]))
    return open_idx[np.asarray(pos, dtype=np.int64)]


def resolve_assignment(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    open_idx: np.ndarray,
    assignment: ArrayLike | None,
    kpis: PlanKPIs | None,
    from_solution: np.ndarray | None,
) -> tuple[np.ndarray, str | None]:
    n = len(demand)
    note = None
    if assignment is not None:
        a = np.asarray(assignment)
    elif kpis is not None:
        a = np.asarray(kpis.assignment)
    elif from_solution is not None and from_solution.size == n:
        a = np.asarray(from_solution)
    else:
        a = None
    if a is not None:
        if a.shape != (n,) or not np.issubdtype(a.dtype, np.integer):
            raise InputError(
                f"`assignment` must be integer site indices, one per demand row ({n})."
            )
        a = a.astype(np.int64)
        bad = (a >= 0) & ~np.isin(a, open_idx)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"`assignment` sends demand row {i} to site {int(a[i])}, which is not open."
            )
        if kpis is None and assignment is None and (a < 0).any():
            nearest = _nearest_open(demand, sites, open_idx)
            a = np.where(a >= 0, a, nearest)
        return a, note
    note = "catchments by straight-line nearest centre (no assignment given)"
    return _nearest_open(demand, sites, open_idx), note


# --------------------------------------------------------------------------------------
# catchments


def catchment_polygons(
    demand: gpd.GeoDataFrame,
    open_sites: ArrayLike,
    assignment: ArrayLike,
    *,
    population_column: str = "population",
) -> gpd.GeoDataFrame:
    """The area each open centre serves: its demand cells dissolved into one polygon.

    Parameters
    ----------
    demand
        Demand table (EPSG:4326 points); its ``cell`` column (the polygon of each
        cell) is used when present, otherwise each point is buffered by 0.6 times the
        median spacing between neighbouring points and the buffers are merged.
    open_sites
        Indices of the open sites.
    assignment
        Serving site per demand row (``-1`` = none; such rows are left out).
    population_column
        Column summed into ``population`` (skipped if absent).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per open site that serves at least one demand row, EPSG:4326:
        ``site`` (site index), ``population``, ``n_demand`` and the polygon.
    """
    demand = check_gdf(demand, "demand")
    a = np.asarray(assignment).astype(np.int64)
    if a.shape != (len(demand),):
        raise InputError(f"`assignment` must have one entry per demand row ({len(demand)}).")
    open_idx = np.unique(np.asarray(open_sites).astype(np.int64))
    pop = numeric_column(demand, population_column, default=0.0)
    assert pop is not None
    cells = cell_polygons(demand)
    served = np.flatnonzero(a >= 0)
    if served.size == 0:
        return gpd.GeoDataFrame(
            {"site": [], "population": [], "n_demand": []},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    if cells is not None:
        # Rounded to 1e-7 degrees (1 cm) so that the shared edges of neighbouring cells,
        # computed separately in floating point, coincide and the fast coverage union works.
        shapes = np.asarray(shapely.transform(cells, lambda xy: np.round(xy, 7)), dtype=object)
        crs_metric = None
    else:
        crs_metric = utm_crs(demand)
        pts = demand.geometry.to_crs(crs_metric)
        xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        radius = _buffer_radius(xy)
        shapes = np.asarray(shapely.buffer(shapely.points(xy), radius, quad_segs=4), dtype=object)
    order = served[np.argsort(a[served], kind="stable")]
    groups = a[order]
    cut = np.flatnonzero(np.diff(groups)) + 1
    site_ids: list[int] = []
    polys: list[shapely.Geometry] = []
    pops: list[float] = []
    counts: list[int] = []
    for chunk in np.split(order, cut):
        site = int(a[chunk[0]])
        if site not in set(open_idx.tolist()):
            continue
        geom = _dissolve(shapes[chunk], coverage=cells is not None)
        site_ids.append(site)
        polys.append(geom)
        pops.append(float(pop[chunk].sum()))
        counts.append(int(chunk.size))
    geoms = gpd.GeoSeries(polys, crs=crs_metric if crs_metric is not None else 4326)
    if crs_metric is not None:
        geoms = geoms.to_crs(4326)
    return gpd.GeoDataFrame(
        {"site": np.asarray(site_ids, dtype=np.int64), "population": pops, "n_demand": counts},
        geometry=geoms.values,
        crs=4326,
    )


def _buffer_radius(xy: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    if xy.shape[0] < 2:
        return 250.0
    dist, _ = cKDTree(xy).query(xy, k=2)
    spacing = float(np.median(dist[:, 1]))
    return 0.6 * spacing if spacing > 0 else 250.0


def _dissolve(shapes: np.ndarray, *, coverage: bool) -> shapely.Geometry:
    """Union of one centre's cells; the fast coverage union when cells tile without overlap."""
    if coverage:
        merged = shapely.coverage_union_all(shapes)
        if shapely.is_valid(merged) and not merged.is_empty:
            return shapely.simplify(merged, 1e-7)
    merged = shapely.union_all(shapes)
    return shapely.simplify(merged, 1e-7)
