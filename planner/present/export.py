"""Export a plan as a GeoPackage that QGIS (or any GIS) opens directly.

Layers (all EPSG:4326):

* ``chosen_sites`` (points): the open centres, numbered as on the map and in the
  report, with name, category, new/kept, population served, fault load, capacity
  used and marginal value when KPIs are given;
* ``closed_centres`` (points): existing centres the plan closes (only if any);
* ``catchments`` (polygons): each centre's demand cells dissolved into one polygon;
* ``demand`` (points): every demand point with its serving site and, with KPIs,
  its travel time and distance;
* ``demand_cells`` (polygons): the same rows drawn as cells, when the demand
  table has a ``cell`` column.

The file is written to a temporary name in the same folder and renamed, so a
failure never leaves half a GeoPackage.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from planner.errors import InputError
from planner.evaluate.catchments import (
    catchment_polygons,
    check_gdf,
    resolve_assignment,
    resolve_open,
)
from planner.evaluate.kpi_types import PlanKPIs
from planner.files import atomic_path
from planner.optimize.solution import Solution
from planner.present.i18n import check_language, t

__all__ = ["GPKG_LAYERS", "export_plan_gpkg"]

#: The layers :func:`export_plan_gpkg` may write, in order.
GPKG_LAYERS = ("chosen_sites", "closed_centres", "catchments", "demand", "demand_cells")

_SITE_COLUMNS = ("site_id", "name_zh", "name_en", "category", "category_zh", "category_en")
_DEMAND_COLUMNS = (
    "demand_id",
    "population",
    "pop_65plus",
    "residential_density",
    "fault_intensity",
    "weight",
    "zone",
    "is_hotspot",
)


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    out = np.asarray(values, dtype=np.float64).copy()
    out[~np.isfinite(out)] = np.nan  # GeoPackage readers expect NULL, not inf
    return out


def _set_last_change(path: Path, when: dt.datetime) -> None:
    """Set every layer's ``gpkg_contents.last_change`` (GeoPackage's UTC timestamp format)."""
    import sqlite3
    from contextlib import closing

    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("UPDATE gpkg_contents SET last_change = ?", (stamp,))


#: Offsets of the SQLite header's file change counter and its "version-valid-for" copy.
_SQLITE_CHANGE_COUNTERS = (24, 92)


def _settle_change_counter(path: Path) -> None:
    """Give the closed SQLite file a fixed change counter, so that the same plan makes the
    same bytes: GDAL's number of write transactions can differ from run to run (the one
    difference measured between two writes of one plan). Both header copies get the same
    value, which keeps the header's database size valid (SQLite's file format, section 1.3)."""
    with path.open("r+b") as f:
        for offset in _SQLITE_CHANGE_COUNTERS:
            f.seek(offset)
            f.write((1).to_bytes(4, "big"))


def export_plan_gpkg(
    path: str | os.PathLike[str],
    *,
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    open_sites: Solution | ArrayLike,
    assignment: ArrayLike | None = None,
    kpis: PlanKPIs | None = None,
    language: str = "zh",
    last_change: dt.datetime | None = None,
) -> Path:
    """Write the plan to a GeoPackage (overwriting ``path``).

    Parameters
    ----------
    path
        Output ``.gpkg`` file; its folder must exist.
    demand, sites
        The demand and sites tables (see :func:`planner.present.maps.plan_map`).
    open_sites
        A :class:`~planner.optimize.Solution` or the open site indices.
    assignment
        Serving site per demand row; default as in :func:`planner.present.maps.plan_map`.
    kpis
        KPIs of the plan: adds loads, marginal values and travel columns.
    language
        Language of the ``status`` text column (``"zh"`` or ``"en"``); names are
        written in both languages whatever this is.
    last_change
        When the plan was made (timezone-aware), for each layer's ``last_change`` in
        ``gpkg_contents``; default when the file is written. With it, the same plan
        gives the same file.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    import pyogrio

    lang = check_language(language)
    out = Path(path)
    if out.suffix.lower() != ".gpkg":
        raise InputError(f"GeoPackage path must end in .gpkg; got {str(out)!r}.")
    if not out.parent.is_dir():
        raise InputError(f"cannot write {str(out)!r}: folder {str(out.parent)!r} does not exist.")
    demand = check_gdf(demand, "demand")
    sites = check_gdf(sites, "sites")
    open_idx, sol_assignment = resolve_open(open_sites, len(sites))
    if kpis is not None and (
        kpis.assignment.shape != (len(demand),) or not np.array_equal(kpis.open_sites, open_idx)
    ):
        raise InputError(
            "`kpis` belong to another plan or demand table (open sites or row count differ)."
        )
    asg, _ = resolve_assignment(demand, sites, open_idx, assignment, kpis, sol_assignment)
    existing = (
        sites["existing"].fillna(False).astype(bool).to_numpy()
        if "existing" in sites.columns
        else np.zeros(len(sites), dtype=bool)
    )
    site_ids = (
        sites["site_id"].astype(str).to_numpy()
        if "site_id" in sites.columns
        else np.arange(len(sites)).astype(str)
    )

    # chosen sites
    chosen = pd.DataFrame({"number": np.arange(1, open_idx.size + 1), "site_index": open_idx})
    for col in _SITE_COLUMNS:
        if col in sites.columns:
            chosen[col] = sites[col].to_numpy()[open_idx]
    chosen["existing"] = existing[open_idx]
    chosen["status"] = [t("status_kept" if e else "status_new", lang) for e in existing[open_idx]]
    served = asg >= 0
    pos = np.searchsorted(open_idx, np.where(served, asg, open_idx[0]))
    pop = pd.to_numeric(demand["population"], errors="coerce").to_numpy(dtype=float)
    chosen["population_served"] = np.bincount(
        pos[served], weights=pop[served], minlength=open_idx.size
    )
    chosen["n_demand"] = np.bincount(pos[served], minlength=open_idx.size)
    if kpis is not None:
        per = kpis.per_centre
        for col in ("fault_load", "capacity", "capacity_used_share", "mean_minutes"):
            chosen[col] = _finite_or_nan(per[col].to_numpy())
        chosen["marginal_person_minutes"] = _finite_or_nan(
            per["marginal_person_minutes"].to_numpy()
        )
        chosen["marginal_mean_minutes"] = _finite_or_nan(per["marginal_mean_minutes"].to_numpy())
    chosen_gdf = gpd.GeoDataFrame(chosen, geometry=sites.geometry.values[open_idx], crs=4326)

    layers: list[tuple[str, gpd.GeoDataFrame]] = [("chosen_sites", chosen_gdf)]

    closed_idx = np.flatnonzero(existing & ~np.isin(np.arange(len(sites)), open_idx))
    if closed_idx.size:
        closed = pd.DataFrame({"site_index": closed_idx})
        for col in _SITE_COLUMNS:
            if col in sites.columns:
                closed[col] = sites[col].to_numpy()[closed_idx]
        layers.append(
            (
                "closed_centres",
                gpd.GeoDataFrame(closed, geometry=sites.geometry.values[closed_idx], crs=4326),
            )
        )

    catch = catchment_polygons(demand, open_idx, asg)
    catch = catch.rename(columns={"site": "site_index"})
    catch.insert(1, "site_id", site_ids[catch["site_index"].to_numpy()])
    number = {int(s): i + 1 for i, s in enumerate(open_idx)}
    catch.insert(0, "number", [number[int(s)] for s in catch["site_index"]])
    layers.append(("catchments", catch))

    table = pd.DataFrame(index=np.arange(len(demand)))
    for col in _DEMAND_COLUMNS:
        if col in demand.columns:
            table[col] = demand[col].to_numpy()
    table["site_index"] = asg
    serving_id: list[str | None] = [str(site_ids[a]) if a >= 0 else None for a in asg.tolist()]
    table["site_id"] = serving_id
    if kpis is not None:
        table["travel_minutes"] = _finite_or_nan(kpis.travel_minutes)
        table["travel_distance_m"] = _finite_or_nan(kpis.travel_distance_m)
    layers.append(("demand", gpd.GeoDataFrame(table, geometry=demand.geometry.values, crs=4326)))
    if "cell" in demand.columns:
        cells = demand["cell"]
        if (
            isinstance(cells, gpd.GeoSeries)
            and cells.crs is not None
            and cells.crs.to_epsg() != 4326
        ):
            cells = cells.to_crs(4326)
        layers.append(
            (
                "demand_cells",
                gpd.GeoDataFrame(
                    table.copy(), geometry=np.asarray(cells.values, dtype=object), crs=4326
                ),
            )
        )

    with atomic_path(out, suffix=".tmp.gpkg") as tmp:
        try:
            for name, gdf in layers:
                pyogrio.write_dataframe(gdf, tmp, layer=name, driver="GPKG")
            if last_change is not None:
                _set_last_change(tmp, last_change)
            _settle_change_counter(tmp)
        finally:  # SQLite's journal files beside the temporary GeoPackage
            for leftover in (tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
                leftover.unlink(missing_ok=True)
    return out
