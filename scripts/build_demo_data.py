"""Build the embedded Wuhan demo GeoPackage from the shared raw inputs.

Run from the repository root (rasterio comes with the ``data`` extra)::

    .venv/bin/python scripts/build_demo_data.py --shared ../shared/data --out data/geo

Reads ``<shared>/wuhan/`` (WorldPop 100 m rasters, the OpenStreetMap boundary of
Wuhan and the Weibo check-in places of Worobey et al. 2022) and writes

* ``<out>/wuhan_demo.gpkg`` with the layers ``study_area``, ``population``,
  ``residential``, ``residential_compounds``, ``candidate_sites``,
  ``existing_centres`` and ``fault_records`` (all EPSG:4326);
* ``<out>/sources.json``: per layer its source, licence, attribution and
  whether it is simulated, plus the datum check of the places and the totals.

The build is deterministic: every random draw comes from a generator seeded
here (k-means seed 42, fault records seed 20240101). ``data/geo/README.md``
documents every layer, formula and constant used below.
"""

from __future__ import annotations

import argparse
import calendar
import json
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a plain script from a checkout
    sys.path.insert(0, str(REPO))

from planner.inputs.datums import gcj02_to_wgs84  # noqa: E402

# --------------------------------------------------------------------------- settings
#: Demo bounding box (lon_min, lat_min, lon_max, lat_max), WGS 84 degrees.
DEMO_BBOX = (114.13, 30.45, 114.45, 30.70)
#: Metric CRS of the 500 m grid: UTM zone 50N (Wuhan is at 114.3 E).
GRID_CRS = "EPSG:32650"
GRID_CELL_M = 500.0
#: Gaussian kernel bandwidth for the density of residential compounds, m.
COMPOUND_KERNEL_SIGMA_M = 500.0
#: Maximum extra weight of a cell packed with compounds (factor runs 1 .. 1 + this).
RESIDENTIAL_COMPOUND_UPLIFT = 1.0
#: Places closer than this are "the same spot"; the one with more check-ins stays, m.
SAME_SPOT_M = 50.0

KMEANS_K = 8
KMEANS_SEED = 42
#: Candidate categories an illustrative existing service hall may occupy.
EXISTING_CENTRE_CATEGORIES = ("mall", "office", "supermarket")
EXISTING_NOTE = "illustrative existing centre, not real State Grid data"

FAULT_SEED = 20240101
FAULT_YEAR = 2024
#: Faults per 1,000 adults (20+) per year before the compound uplift.
FAULT_BASE_RATE_PER_1000 = 0.8
#: Maximum extra fault rate in cells packed with (older) residential compounds.
FAULT_COMPOUND_UPLIFT = 1.0
#: Relative fault rate by calendar month (Jan..Dec) before normalisation: a summer
#: peak (air-conditioning load, storms) and a smaller winter peak (heating load, ice).
MONTH_WEIGHT = np.array([1.30, 1.15, 0.80, 0.75, 0.85, 1.20, 1.90, 1.95, 1.15, 0.80, 0.90, 1.25])
#: Relative rate of reports by hour of day (00..23, local time).
HOUR_WEIGHT = np.array(
    [
        *(0.4, 0.3, 0.25, 0.2, 0.2, 0.3, 0.6, 0.9, 1.1, 1.2, 1.2, 1.3),  # 00-11
        *(1.4, 1.5, 1.6, 1.6, 1.5, 1.5, 1.6, 1.7, 1.6, 1.3, 0.9, 0.6),  # 12-23
    ]
)

#: slug: (Chinese label, English label, source categories in the places CSV)
SITE_CATEGORIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "mall": ("商场", "Shopping mall", ("商场",)),
    "office": ("写字楼", "Office building", ("楼宇", "楼宇机构")),
    "hospital": ("医院", "Hospital", ("医院",)),
    "library": ("图书馆", "Library", ("图书馆",)),
    "metro_station": ("地铁站", "Metro / light-rail station", ("轻轨站", "地铁站")),
    "rail_station": ("火车站", "Railway station", ("火车站",)),
    "supermarket": ("超市", "Supermarket", ("超级市场",)),
}

#: cause slug: zh, en, share in winter (Dec-Feb), spring/autumn, summer (Jun-Aug),
#: median customers affected, median repair minutes.
FAULT_CAUSES: dict[str, tuple[str, str, tuple[float, float, float], float, float]] = {
    "overload": ("过载", "Overload", (0.20, 0.10, 0.34), 60.0, 90.0),
    "ageing": ("设备老化", "Ageing equipment", (0.28, 0.30, 0.20), 45.0, 150.0),
    "third_party": ("外力破坏", "Third-party damage", (0.14, 0.24, 0.12), 120.0, 240.0),
    "weather": ("恶劣天气", "Severe weather", (0.22, 0.12, 0.20), 150.0, 200.0),
    "vegetation": ("树障", "Vegetation", (0.06, 0.13, 0.08), 80.0, 120.0),
    "animals": ("小动物", "Animals", (0.10, 0.11, 0.06), 25.0, 60.0),
}
CUSTOMERS_SIGMA = 1.1  # log-normal spread of customers affected (heavy tail)
CUSTOMERS_MAX = 20_000
REPAIR_SIGMA = 0.6  # log-normal spread of repair minutes
REPAIR_MIN, REPAIR_MAX = 15, 2880

ATTRIBUTION = {
    "worldpop": (
        "Population: WorldPop (www.worldpop.org), CC BY 4.0 — Tatem 2017, Sci Data 4:170004"
    ),
    "osm": "Boundary: © OpenStreetMap contributors, ODbL",
    "places": "Places: Worobey et al. 2022, Science 377:951, data repository (CC0)",
    "simulated": "SIMULATED data: not real State Grid records",
}


# --------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Inputs:
    pop20: Path
    pop65: Path
    boundary: Path
    places: Path


def find_inputs(shared: Path) -> Inputs:
    """Locate the raw files under ``shared`` (the shared data folder or its wuhan/)."""
    base = shared / "wuhan" if (shared / "wuhan").is_dir() else shared
    inputs = Inputs(
        pop20=base / "wuhan_pop_20plus_100m.tif",
        pop65=base / "wuhan_pop_65plus_100m.tif",
        boundary=base / "boundary" / "wuhan-boundary.shp",
        places=base / "wuhan_weibo_checkin_places.csv",
    )
    for path in (inputs.pop20, inputs.pop65, inputs.boundary, inputs.places):
        if not path.is_file():
            raise SystemExit(
                f"error: --shared: missing input file {path}; pass the shared data dir"
            )
    return inputs


def to_wgs(crs_from: str) -> Transformer:
    return Transformer.from_crs(crs_from, "EPSG:4326", always_xy=True)


def to_grid() -> Transformer:
    return Transformer.from_crs("EPSG:4326", GRID_CRS, always_xy=True)


def clean_text(text: object) -> str:
    """Collapse whitespace and the spaces the translation put inside brackets."""
    s = " ".join(str(text).split())
    s = re.sub(r"([(\[（【])\s+", r"\1", s)
    return re.sub(r"\s+([)\]）】])", r"\1", s)


def read_raster_window(path: Path, bbox: tuple[float, float, float, float]) -> tuple[Any, Any]:
    """Values and cell-centre lon/lat of a window covering ``bbox`` (one cell of margin).

    Callers select the cells by their centres (inside the study area).
    """
    try:
        import rasterio
        from rasterio.windows import from_bounds
    except ImportError:  # pragma: no cover - build-time dependency
        raise SystemExit(
            "error: rasterio is needed: pip install 'service-centre-planner[data]'"
        ) from None
    with rasterio.open(path) as src:
        if src.crs is None or src.crs.to_epsg() != 4326:
            raise SystemExit(f"error: {path}: expected an EPSG:4326 raster, got {src.crs}")
        window = from_bounds(*bbox, transform=src.transform).round_offsets().round_lengths()
        # one cell of margin each side: no cell centred in the bbox is missed
        window = rasterio.windows.Window(
            window.col_off - 1, window.row_off - 1, window.width + 2, window.height + 2
        )
        values = src.read(1, window=window, boundless=True, fill_value=0).astype(np.float64)
        transform = src.window_transform(window)
    rows, cols = np.indices(values.shape)
    lon = transform.c + (cols + 0.5) * transform.a
    lat = transform.f + (rows + 0.5) * transform.e
    values = np.where(np.isfinite(values) & (values > 0), values, 0.0)
    return values, (lon, lat)


@dataclass(frozen=True)
class RasterGrid:
    """A whole single-band raster in memory (values <= 0 or NaN read as 0)."""

    values: np.ndarray
    transform: Any

    @classmethod
    def read(cls, path: Path) -> RasterGrid:
        import rasterio

        with rasterio.open(path) as src:
            data = src.read(1).astype(np.float64)
            transform = src.transform
        return cls(np.where(np.isfinite(data) & (data > 0), data, 0.0), transform)

    def sample(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Value of the cell under each point (0 outside the raster)."""
        inv = ~self.transform
        col_f, row_f = inv * (np.asarray(lon), np.asarray(lat))
        rows = np.floor(row_f).astype(np.int64)
        cols = np.floor(col_f).astype(np.int64)
        ok = (
            (rows >= 0)
            & (rows < self.values.shape[0])
            & (cols >= 0)
            & (cols < self.values.shape[1])
        )
        out = np.zeros(np.shape(lon))
        out[ok] = self.values[rows[ok], cols[ok]]
        return out


# --------------------------------------------------------------------------- layers
def build_study_area(boundary_path: Path) -> tuple[gpd.GeoDataFrame, shapely.Geometry]:
    boundary = gpd.read_file(boundary_path)
    if boundary.crs is None or boundary.crs.to_epsg() != 4326:
        boundary = boundary.to_crs("EPSG:4326")
    wuhan = shapely.union_all(boundary.geometry.values)
    area = shapely.intersection(shapely.box(*DEMO_BBOX), wuhan)
    area = shapely.normalize(area)
    area_km2 = float(gpd.GeoSeries([area], crs="EPSG:4326").to_crs(GRID_CRS).area.iloc[0] / 1e6)
    gdf = gpd.GeoDataFrame(
        {
            "name": ["Central Wuhan demo area"],
            "name_zh": ["武汉市中心城区演示区"],
            "area_km2": [round(area_km2, 3)],
        },
        geometry=[area],
        crs="EPSG:4326",
    )
    return gdf, area


def build_population(
    inputs: Inputs, area: shapely.Geometry
) -> tuple[gpd.GeoDataFrame, dict[str, float], np.ndarray]:
    """Aggregate the 100 m rasters to 500 m UTM cells by 100 m cell centres.

    Returns the cell layer, totals for the check, and the cells' UTM squares
    (x0, y0) lower-left corners for jittering points later.
    """
    pop20, (lon, lat) = read_raster_window(inputs.pop20, DEMO_BBOX)
    pop65, _ = read_raster_window(inputs.pop65, DEMO_BBOX)
    half_lat = 0.5 * abs(float(lat[1, 0] - lat[0, 0]))
    half_lon = 0.5 * abs(float(lon[0, 1] - lon[0, 0]))
    inside = shapely.contains_xy(area, lon, lat)
    in_bbox = (
        (lon >= DEMO_BBOX[0])
        & (lon <= DEMO_BBOX[2])
        & (lat >= DEMO_BBOX[1])
        & (lat <= DEMO_BBOX[3])
    )
    # every 100 m cell whose centre is in the study area goes to the 500 m cell
    # holding that centre (empty ones too: they count towards the cell's footprint)
    c_lon, c_lat = lon[inside], lat[inside]
    x, y = to_grid().transform(c_lon, c_lat)
    x = np.asarray(x)
    y = np.asarray(y)
    x_origin = np.floor(x.min() / GRID_CELL_M) * GRID_CELL_M
    y_origin = np.floor(y.min() / GRID_CELL_M) * GRID_CELL_M
    ix = np.floor((x - x_origin) / GRID_CELL_M).astype(np.int64)
    iy = np.floor((y - y_origin) / GRID_CELL_M).astype(np.int64)
    n_x = int(ix.max()) + 1
    cells, inverse = np.unique(iy * n_x + ix, return_inverse=True)
    sum20 = np.bincount(inverse, weights=pop20[inside])
    sum65 = np.bincount(inverse, weights=pop65[inside])
    # area of each 100 m cell on the sphere (authalic radius), km2
    r_km = 6371.0072
    cell_km2 = (
        r_km**2
        * np.radians(2 * half_lon)
        * (np.sin(np.radians(c_lat + half_lat)) - np.sin(np.radians(c_lat - half_lat)))
    )
    footprint_km2 = np.bincount(inverse, weights=cell_km2)
    cell_iy, cell_ix = np.divmod(cells, n_x)
    # order: north to south, then west to east (reading order on a map)
    order = np.lexsort((cell_ix, -cell_iy))
    has_pop = sum20[order] > 0
    order = order[has_pop]
    cell_ix, cell_iy = cell_ix[order], cell_iy[order]
    sum20, sum65, footprint_km2 = sum20[order], sum65[order], footprint_km2[order]
    x0 = x_origin + cell_ix * GRID_CELL_M
    y0 = y_origin + cell_iy * GRID_CELL_M
    squares_utm = shapely.box(x0, y0, x0 + GRID_CELL_M, y0 + GRID_CELL_M)
    squares = gpd.GeoSeries(squares_utm, crs=GRID_CRS).to_crs("EPSG:4326").values
    clipped = shapely.intersection(squares, area)  # edge cells end at the study area
    area_km2 = gpd.GeoSeries(clipped, crs="EPSG:4326").to_crs(GRID_CRS).area.to_numpy() / 1e6
    full = GRID_CELL_M**2 / 1e6
    # A cell cut by the study-area edge may keep only a sliver of its square but
    # the whole of a 100 m cell's people: its density is taken over at least the
    # area of the 100 m cells it holds, so slivers do not show absurd densities.
    density_km2 = np.where(area_km2 < full * 0.999, np.maximum(area_km2, footprint_km2), full)
    width = max(4, len(str(len(sum20))))
    gdf = gpd.GeoDataFrame(
        {
            "cell_id": [f"WH{i:0{width}d}" for i in range(1, len(sum20) + 1)],
            "pop_20plus": np.round(sum20, 2),
            "pop_65plus": np.round(sum65, 2),
            "area_km2": np.round(area_km2, 4),
            "density_20plus_per_km2": np.round(sum20 / density_km2, 1),
        },
        geometry=clipped,
        crs="EPSG:4326",
    )
    totals = {
        "raster_20plus_bbox": float(pop20[in_bbox].sum()),
        "raster_20plus_study_area": float(pop20[inside].sum()),
        "raster_65plus_study_area": float(pop65[inside].sum()),
        "cells_20plus": float(sum20.sum()),
        "cells_65plus": float(sum65.sum()),
        "cells_65plus_dropped_no_adults": float(pop65[inside].sum() - sum65.sum()),
    }
    corners = np.column_stack([x0, y0])
    return gdf, totals, corners


def read_places(path: Path) -> tuple[pd.DataFrame, int]:
    """The places CSV with cleaned names, less exact duplicates (and their number)."""
    raw = pd.read_csv(path, encoding="utf-8")
    expected = {"Name_POI", "Name_POI.1", "Longitude", "Latitude", "Category", "Category_en"}
    missing = expected - set(raw.columns)
    if missing:
        raise SystemExit(f"error: {path}: missing columns {sorted(missing)}")
    places = pd.DataFrame(
        {
            "place_row": raw.iloc[:, 0].astype(int),
            "name_zh": raw["Name_POI"].map(clean_text),
            "name_en": raw["Name_POI.1"].map(clean_text),
            "lon_raw": raw["Longitude"].astype(float),
            "lat_raw": raw["Latitude"].astype(float),
            "source_category_zh": raw["Category"].map(clean_text),
            "source_category_en": raw["Category_en"].map(clean_text),
            "checkins": raw["Checkin user number"].astype(int),
        }
    )
    exact = places.duplicated(subset=["name_zh", "lon_raw", "lat_raw", "source_category_zh"])
    return places[~exact].reset_index(drop=True), int(exact.sum())


def datum_evidence(places: pd.DataFrame, pop20_path: Path) -> dict[str, Any]:
    """Compare the places with the population grid as given (WGS 84) vs as GCJ-02."""
    box = places["lon_raw"].between(DEMO_BBOX[0], DEMO_BBOX[2]) & places["lat_raw"].between(
        DEMO_BBOX[1], DEMO_BBOX[3]
    )
    sub = places[box]
    lon = sub["lon_raw"].to_numpy()
    lat = sub["lat_raw"].to_numpy()
    g_lon, g_lat = gcj02_to_wgs84(lon, lat)
    grid = RasterGrid.read(pop20_path)
    as_wgs = grid.sample(lon, lat)
    as_gcj = grid.sample(g_lon, g_lat)

    def stats(mask: np.ndarray) -> dict[str, Any]:
        w, g = as_wgs[mask], as_gcj[mask]
        return {
            "n": int(mask.sum()),
            "as_wgs84": {
                "mean_adults_per_100m_cell": round(float(w.mean()), 1),
                "median": round(float(np.median(w)), 1),
                "on_empty_cells": int((w == 0).sum()),
            },
            "as_gcj02": {
                "mean_adults_per_100m_cell": round(float(g.mean()), 1),
                "median": round(float(np.median(g)), 1),
                "on_empty_cells": int((g == 0).sum()),
            },
            "gcj02_higher": int((g > w).sum()),
            "wgs84_higher": int((w > g).sum()),
        }

    cat = sub["source_category_zh"].to_numpy()
    groups = {
        "residential_compounds": cat == "住宅区",
        "malls": cat == "商场",
        "bus_stops": cat == "公交车站",
        "all_places_in_bbox": np.ones(len(sub), dtype=bool),
    }
    # Shift scan: which offset of the given coordinates fits the population best?
    steps = np.round(np.arange(-0.012, 0.01201, 0.0005), 4)
    best = (-np.inf, 0.0, 0.0)
    for dx in steps:
        for dy in steps:
            score = float(np.log1p(grid.sample(lon + dx, lat + dy)).mean())
            if score > best[0]:
                best = (score, float(dx), float(dy))
    gcj_shift = (float(np.mean(g_lon - lon)), float(np.mean(g_lat - lat)))
    group_stats = {name: stats(mask) for name, mask in groups.items()}
    result: dict[str, Any] = {
        "groups": group_stats,
        "shift_scan": {
            "what": (
                "mean log(1 + adults in the 100 m cell) over all places in the bbox, "
                "for shifts of the given coordinates on a 0.0005 degree grid within "
                "+-0.012 degrees"
            ),
            "best_shift_deg": [best[1], best[2]],
            "best_score": round(best[0], 3),
            "score_unshifted": round(float(np.log1p(as_wgs).mean()), 3),
            "score_gcj02_to_wgs84": round(float(np.log1p(as_gcj).mean()), 3),
            "gcj02_to_wgs84_mean_shift_deg": [round(gcj_shift[0], 5), round(gcj_shift[1], 5)],
        },
    }
    allp = group_stats["all_places_in_bbox"]
    gcj_wins = (
        allp["as_gcj02"]["mean_adults_per_100m_cell"]
        > allp["as_wgs84"]["mean_adults_per_100m_cell"]
        and allp["as_gcj02"]["on_empty_cells"] < allp["as_wgs84"]["on_empty_cells"]
    )
    result["decision"] = "gcj02" if gcj_wins else "wgs84"
    return result


def place_points(places: pd.DataFrame, datum: str) -> gpd.GeoDataFrame:
    lon = places["lon_raw"].to_numpy()
    lat = places["lat_raw"].to_numpy()
    if datum == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    out = places.drop(columns=["lon_raw", "lat_raw"]).copy()
    return gpd.GeoDataFrame(
        out, geometry=shapely.points(np.round(lon, 7), np.round(lat, 7)), crs="EPSG:4326"
    )


def within_area(gdf: gpd.GeoDataFrame, area: shapely.Geometry) -> gpd.GeoDataFrame:
    pts = gdf.geometry.values
    mask = shapely.contains_xy(area, shapely.get_x(pts), shapely.get_y(pts))
    return gdf[mask].reset_index(drop=True)


def grid_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pts = gdf.geometry.values
    if not (shapely.get_type_id(pts) == 0).all():
        pts = shapely.centroid(gpd.GeoSeries(pts, crs="EPSG:4326").to_crs(GRID_CRS).values)
        return np.column_stack([shapely.get_x(pts), shapely.get_y(pts)])
    x, y = to_grid().transform(shapely.get_x(pts), shapely.get_y(pts))
    return np.column_stack([np.asarray(x), np.asarray(y)])


def compound_kernel(cell_xy: np.ndarray, compound_xy: np.ndarray) -> np.ndarray:
    """Sum of Gaussian weights exp(-d^2 / (2 sigma^2)) of the compounds around each cell."""
    d2 = ((cell_xy[:, None, :] - compound_xy[None, :, :]) ** 2).sum(axis=2)
    return np.exp(-d2 / (2.0 * COMPOUND_KERNEL_SIGMA_M**2)).sum(axis=1)


def build_residential(population: gpd.GeoDataFrame, kernel: np.ndarray) -> gpd.GeoDataFrame:
    factor = 1.0 + RESIDENTIAL_COMPOUND_UPLIFT * (1.0 - np.exp(-kernel))
    res = population[["cell_id", "pop_20plus", "density_20plus_per_km2", "geometry"]].copy()
    res["compound_kernel"] = np.round(kernel, 4)
    res["compound_factor"] = np.round(factor, 4)
    res["residential_density"] = np.round(
        population["density_20plus_per_km2"].to_numpy() * factor, 1
    )
    return gpd.GeoDataFrame(res, geometry="geometry", crs="EPSG:4326")


def dedupe_same_spot(sites: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Drop places within SAME_SPOT_M of a place with more check-ins (greedy)."""
    order = sites.sort_values(["checkins", "place_row"], ascending=[False, True]).index
    ranked = sites.loc[order].reset_index(drop=True)
    xy = grid_xy(ranked)
    neighbours = cKDTree(xy).query_ball_point(xy, r=SAME_SPOT_M)
    dropped = np.zeros(len(ranked), dtype=bool)
    for i, near in enumerate(neighbours):  # ~200 places, ranked by check-ins
        if dropped[i]:
            continue
        for j in near:
            if j > i:
                dropped[j] = True
    return ranked[~dropped].reset_index(drop=True), int(dropped.sum())


def weighted_kmeans(
    xy: np.ndarray, weight: np.ndarray, k: int, seed: int, n_iter: int = 300
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted Lloyd k-means with weighted k-means++ seeding; returns centres, labels."""
    rng = np.random.default_rng(seed)
    p = weight / weight.sum()
    centres = [xy[rng.choice(len(xy), p=p)]]
    for _ in range(1, k):
        d2 = ((xy[:, None, :] - np.array(centres)[None, :, :]) ** 2).sum(axis=2).min(axis=1)
        q = weight * d2
        centres.append(xy[rng.choice(len(xy), p=q / q.sum())])
    c = np.array(centres)
    labels = np.zeros(len(xy), dtype=np.int64)
    for _ in range(n_iter):
        d2 = ((xy[:, None, :] - c[None, :, :]) ** 2).sum(axis=2)
        labels = d2.argmin(axis=1)
        w_sum = np.bincount(labels, weights=weight, minlength=k)
        new = (
            np.column_stack(
                [
                    np.bincount(labels, weights=weight * xy[:, 0], minlength=k),
                    np.bincount(labels, weights=weight * xy[:, 1], minlength=k),
                ]
            )
            / np.maximum(w_sum, 1e-12)[:, None]
        )
        if np.allclose(new, c, atol=1e-3):
            c = new
            break
        c = new
    return c, labels


def build_sites(
    places: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict[str, Any]]:
    source_to_slug = {src: slug for slug, (_, _, srcs) in SITE_CATEGORIES.items() for src in srcs}
    sites = places[places["source_category_zh"].isin(source_to_slug)].copy()
    n_raw = len(sites)
    # one place per name: the same name twice is the same place geocoded twice
    sites = sites.sort_values(["checkins", "place_row"], ascending=[False, True])
    sites = sites.drop_duplicates(subset=["name_zh"], keep="first")
    n_same_name = n_raw - len(sites)
    sites, n_same_spot = dedupe_same_spot(gpd.GeoDataFrame(sites, crs="EPSG:4326"))
    sites["category"] = sites["source_category_zh"].map(source_to_slug)
    sites["category_zh"] = sites["category"].map(lambda s: SITE_CATEGORIES[s][0])
    sites["category_en"] = sites["category"].map(lambda s: SITE_CATEGORIES[s][1])
    # stable order: category, then most check-ins first, then source row
    slug_rank = {slug: i for i, slug in enumerate(SITE_CATEGORIES)}
    sites["_rank"] = sites["category"].map(slug_rank)
    sites = sites.sort_values(["_rank", "checkins", "place_row"], ascending=[True, False, True])
    sites = sites.drop(columns="_rank").reset_index(drop=True)

    # ---- illustrative existing centres: weighted k-means on the 500 m cells
    cell_xy = grid_xy(population)
    weight = population["pop_20plus"].to_numpy()
    centres_xy, labels = weighted_kmeans(cell_xy, weight, KMEANS_K, KMEANS_SEED)
    cluster_pop = np.bincount(labels, weights=weight, minlength=KMEANS_K)
    # the biggest cluster picks first so that no two centres share a place
    eligible = np.flatnonzero(sites["category"].isin(EXISTING_CENTRE_CATEGORIES).to_numpy())
    site_xy = grid_xy(sites)
    taken: list[int] = []
    rows = []
    for c in np.argsort(-cluster_pop):
        free = np.setdiff1d(eligible, taken)
        d = np.hypot(*(site_xy[free] - centres_xy[c]).T)
        pick = int(free[np.argmin(d)])
        taken.append(pick)
        rows.append((c, pick, float(d.min())))
    rows.sort(key=lambda r: -cluster_pop[r[0]])
    picked = sites.iloc[[r[1] for r in rows]]
    existing = gpd.GeoDataFrame(
        {
            "centre_id": [f"E{i:02d}" for i in range(1, len(rows) + 1)],
            "name_zh": picked["name_zh"].to_numpy(),
            "name_en": picked["name_en"].to_numpy(),
            "category": picked["category"].to_numpy(),
            "category_zh": picked["category_zh"].to_numpy(),
            "category_en": picked["category_en"].to_numpy(),
            "checkins": picked["checkins"].to_numpy(),
            "cluster_pop_20plus": np.round([cluster_pop[r[0]] for r in rows], 0),
            "distance_to_cluster_centre_m": np.round([r[2] for r in rows], 0),
            "simulated": True,
            "note": EXISTING_NOTE,
        },
        geometry=picked.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    sites = sites.drop(index=[r[1] for r in rows]).reset_index(drop=True)
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:03d}" for i in range(1, len(sites) + 1)],
            "name_zh": sites["name_zh"],
            "name_en": sites["name_en"],
            "category": sites["category"],
            "category_zh": sites["category_zh"],
            "category_en": sites["category_en"],
            "source_category_zh": sites["source_category_zh"],
            "checkins": sites["checkins"].astype(np.int64),
        },
        geometry=sites.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    info = {
        "places_in_categories": n_raw,
        "dropped_same_name": n_same_name,
        "dropped_same_spot": n_same_spot,
        "moved_to_existing_centres": len(rows),
    }
    return candidates, existing, info


def build_faults(
    population: gpd.GeoDataFrame, kernel: np.ndarray, corners: np.ndarray
) -> gpd.GeoDataFrame:
    """Simulated outage/repair records for FAULT_YEAR (see README for the model)."""
    rng = np.random.default_rng(FAULT_SEED)
    pop = population["pop_20plus"].to_numpy()
    compound_factor = 1.0 + FAULT_COMPOUND_UPLIFT * (1.0 - np.exp(-kernel))
    annual = FAULT_BASE_RATE_PER_1000 / 1000.0 * pop * compound_factor  # faults / cell / year
    days = np.array([calendar.monthrange(FAULT_YEAR, m)[1] for m in range(1, 13)])
    month_share = MONTH_WEIGHT * days / (MONTH_WEIGHT * days).sum()  # sums to 1
    expected = annual[:, None] * month_share[None, :]  # (n_cells, 12)
    counts = rng.poisson(expected)
    cell_idx, month_idx = np.nonzero(counts)
    reps = counts[cell_idx, month_idx]
    cell = np.repeat(cell_idx, reps)
    month = np.repeat(month_idx, reps) + 1
    n = len(cell)

    # time: uniform day in the month, hour from the diurnal profile, uniform minute
    day = np.floor(rng.random(n) * days[month - 1]).astype(np.int64) + 1
    hour = rng.choice(24, size=n, p=HOUR_WEIGHT / HOUR_WEIGHT.sum())
    minute = rng.integers(0, 60, size=n)
    stamps = (
        pd.to_datetime({"year": FAULT_YEAR, "month": month, "day": day})
        + pd.to_timedelta(hour, unit="h")
        + pd.to_timedelta(minute, unit="m")
    )

    # cause: seasonal mix; ageing equipment weighs more in compound-dense cells
    season = np.where(np.isin(month, (12, 1, 2)), 0, np.where(np.isin(month, (6, 7, 8)), 2, 1))
    slugs = list(FAULT_CAUSES)
    share = np.array([FAULT_CAUSES[s][2] for s in slugs])  # (n_causes, 3)
    probs = share[:, season].T.copy()  # (n, n_causes)
    probs[:, slugs.index("ageing")] *= compound_factor[cell]
    probs /= probs.sum(axis=1, keepdims=True)
    cause_idx = (rng.random(n)[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)
    cause_idx = np.minimum(cause_idx, len(slugs) - 1)
    cause = np.array(slugs)[cause_idx]

    med_customers = np.array([FAULT_CAUSES[s][3] for s in slugs])[cause_idx]
    customers = np.clip(
        np.ceil(med_customers * np.exp(CUSTOMERS_SIGMA * rng.standard_normal(n))), 1, CUSTOMERS_MAX
    ).astype(np.int64)
    med_repair = np.array([FAULT_CAUSES[s][4] for s in slugs])[cause_idx]
    repair = np.clip(
        np.round(med_repair * np.exp(REPAIR_SIGMA * rng.standard_normal(n))), REPAIR_MIN, REPAIR_MAX
    ).astype(np.int64)

    # location: uniform inside the cell (its part inside the study area)
    cell_geoms = population.geometry.to_numpy()
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    from_grid = to_wgs(GRID_CRS)
    for _ in range(200):
        if todo.size == 0:
            break
        gx = corners[cell[todo], 0] + rng.random(todo.size) * GRID_CELL_M
        gy = corners[cell[todo], 1] + rng.random(todo.size) * GRID_CELL_M
        lon, lat = from_grid.transform(gx, gy)
        lon = np.round(np.asarray(lon), 6)
        lat = np.round(np.asarray(lat), 6)
        ok = shapely.contains_xy(cell_geoms[cell[todo]], lon, lat)
        x[todo[ok]] = lon[ok]
        y[todo[ok]] = lat[ok]
        todo = todo[~ok]
    if todo.size:
        raise SystemExit("error: could not place some fault records inside their cells")

    order = np.lexsort((cell, stamps.to_numpy()))
    faults = gpd.GeoDataFrame(
        {
            "fault_id": [f"F{i:05d}" for i in range(1, n + 1)],
            "reported_at": stamps.to_numpy()[order],
            "cause": cause[order],
            "cause_zh": [FAULT_CAUSES[c][0] for c in cause[order]],
            "cause_en": [FAULT_CAUSES[c][1] for c in cause[order]],
            "customers_affected": customers[order],
            "repair_minutes": repair[order],
            "cell_id": population["cell_id"].to_numpy()[cell[order]],
            "simulated": True,
        },
        geometry=shapely.points(x[order], y[order]),
        crs="EPSG:4326",
    )
    faults["reported_at"] = pd.DatetimeIndex(faults["reported_at"]).strftime(
        "%Y-%m-%dT%H:%M:%S+08:00"
    )
    return faults


# --------------------------------------------------------------------------- main
def write_gpkg(layers: dict[str, gpd.GeoDataFrame], path: Path) -> None:
    """Write all layers to a temporary file, then move it into place (no half outputs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        tmp_path = Path(tmp) / path.name
        for name, gdf in layers.items():
            gdf.to_file(tmp_path, layer=name, driver="GPKG", engine="pyogrio")
        tmp_path.replace(path)


def sources_document(
    evidence: dict[str, Any],
    totals: dict[str, float],
    counts: dict[str, int],
    site_info: dict[str, Any],
) -> dict[str, Any]:
    wp = {
        "name": "WorldPop age/sex structure, 100 m (ages 20+ and 65+ summed)",
        "citation": "Tatem, A.J. (2017) WorldPop, open data for spatial demography. "
        "Scientific Data 4:170004. doi:10.1038/sdata.2017.4",
        "url": "https://www.worldpop.org",
        "licence": "CC BY 4.0",
    }
    osm = {
        "name": "Wuhan municipal boundary, OpenStreetMap relation 3076268",
        "url": "https://www.openstreetmap.org/relation/3076268",
        "licence": "ODbL 1.0",
    }
    places = {
        "name": "Weibo check-in places of Wuhan (wuhan_weibo_checkin_places.csv)",
        "citation": "Worobey, M. et al. (2022) The Huanan Seafood Wholesale Market in Wuhan "
        "was the early epicenter of the COVID-19 pandemic. Science 377:951-959. "
        "doi:10.1126/science.abp8715; data repository",
        "licence": "CC0 1.0",
    }
    return {
        "dataset": "wuhan_demo.gpkg",
        "crs": "EPSG:4326",
        "bbox": list(DEMO_BBOX),
        "build_command": (
            ".venv/bin/python scripts/build_demo_data.py --shared ../shared/data --out data/geo"
        ),
        "attribution_text": " | ".join(ATTRIBUTION[k] for k in ("worldpop", "osm", "places")),
        "simulated_notice": (
            "Fault records and existing centres are SIMULATED (seeded, illustrative), "
            "not real State Grid data."
        ),
        "layers": {
            "study_area": {
                "sources": [osm],
                "licence": "ODbL 1.0",
                "attribution": ATTRIBUTION["osm"],
                "simulated": False,
                "rows": counts["study_area"],
            },
            "population": {
                "sources": [wp],
                "licence": "CC BY 4.0",
                "attribution": ATTRIBUTION["worldpop"],
                "simulated": False,
                "derived": "100 m cells summed into 500 m UTM 50N squares by cell centre",
                "rows": counts["population"],
            },
            "residential": {
                "sources": [wp, places],
                "licence": "CC BY 4.0 (WorldPop); places CC0",
                "attribution": f"{ATTRIBUTION['worldpop']}; {ATTRIBUTION['places']}",
                "simulated": False,
                "derived": "index = adult density x compound factor (see README)",
                "rows": counts["residential"],
            },
            "residential_compounds": {
                "sources": [places],
                "licence": "CC0 1.0",
                "attribution": ATTRIBUTION["places"],
                "simulated": False,
                "rows": counts["residential_compounds"],
            },
            "candidate_sites": {
                "sources": [places],
                "licence": "CC0 1.0",
                "attribution": ATTRIBUTION["places"],
                "simulated": False,
                "rows": counts["candidate_sites"],
                "selection": site_info,
            },
            "existing_centres": {
                "sources": [places, wp],
                "licence": "CC0 1.0 (place names); CC BY 4.0 (population used to place them)",
                "attribution": f"{ATTRIBUTION['simulated']} (illustrative existing centres); "
                f"{ATTRIBUTION['places']}",
                "simulated": True,
                "note": EXISTING_NOTE,
                "rule": (
                    f"population-weighted k-means (k={KMEANS_K}, seed {KMEANS_SEED}) on the "
                    "500 m cells; per cluster the nearest mall/office/supermarket place"
                ),
                "rows": counts["existing_centres"],
            },
            "fault_records": {
                "sources": [wp, places],
                "licence": "simulated; inputs CC BY 4.0 (WorldPop) and CC0 (places)",
                "attribution": f"{ATTRIBUTION['simulated']} (fault records)",
                "simulated": True,
                "note": "simulated outage records, seeded model, not real State Grid data",
                "seed": FAULT_SEED,
                "rows": counts["fault_records"],
            },
        },
        "places_datum": evidence,
        "population_totals": {k: round(v, 1) for k, v in totals.items()},
        "not_included": [
            "no road network for Wuhan: use straight-line distance x detour factor",
            "no real outage or fault records: fault_records are simulated",
            "no data on today's service halls: existing_centres are illustrative",
        ],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, default=REPO / "data" / "geo", help="output folder")
    parser.add_argument(
        "--places-datum",
        choices=("auto", "wgs84", "gcj02"),
        default="auto",
        help="datum of the places CSV; auto decides from the population grid",
    )
    args = parser.parse_args(argv)
    inputs = find_inputs(args.shared)

    study_area, area = build_study_area(inputs.boundary)
    print(f"study_area: {study_area['area_km2'].iloc[0]} km2")

    population, totals, corners = build_population(inputs, area)
    print(
        "population: {n} cells; adults 20+: raster in bbox {b:,.0f}, raster in study area "
        "{s:,.0f}, sum of cells {c:,.0f}; 65+: raster {s65:,.0f}, cells {c65:,.0f}".format(
            n=len(population),
            b=totals["raster_20plus_bbox"],
            s=totals["raster_20plus_study_area"],
            c=totals["cells_20plus"],
            s65=totals["raster_65plus_study_area"],
            c65=totals["cells_65plus"],
        )
    )
    if abs(totals["cells_20plus"] - totals["raster_20plus_study_area"]) > 1.0:
        raise SystemExit("error: the 500 m cells do not add up to the raster total")

    places, n_exact_duplicates = read_places(inputs.places)
    evidence = datum_evidence(places, inputs.pop20)
    datum = evidence["decision"] if args.places_datum == "auto" else args.places_datum
    evidence["applied"] = datum
    print("places datum check:", json.dumps(evidence, ensure_ascii=False, indent=1))
    points = within_area(place_points(places, datum), area)

    compounds = points[points["source_category_zh"] == "住宅区"].reset_index(drop=True)
    compounds = gpd.GeoDataFrame(
        {
            "compound_id": [f"R{i:03d}" for i in range(1, len(compounds) + 1)],
            "name_zh": compounds["name_zh"],
            "name_en": compounds["name_en"],
            "checkins": compounds["checkins"].astype(np.int64),
        },
        geometry=compounds.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    kernel = compound_kernel(grid_xy(population), grid_xy(compounds))
    residential = build_residential(population, kernel)
    candidates, existing, site_info = build_sites(points, population)
    site_info = {"exact_duplicates_in_csv": n_exact_duplicates, **site_info}
    faults = build_faults(population, kernel, corners)

    layers = {
        "study_area": study_area,
        "population": population,
        "residential": residential,
        "residential_compounds": compounds,
        "candidate_sites": candidates,
        "existing_centres": existing,
        "fault_records": faults,
    }
    counts = {name: len(gdf) for name, gdf in layers.items()}
    out_gpkg = args.out / "wuhan_demo.gpkg"
    write_gpkg(layers, out_gpkg)
    doc = sources_document(evidence, totals, counts, site_info)
    doc["layers"]["fault_records"]["totals"] = {
        "records": len(faults),
        "customers_affected": int(faults["customers_affected"].sum()),
        "by_cause": faults["cause"].value_counts().sort_index().to_dict(),
        "by_month": pd.Series(faults["reported_at"].str[5:7]).value_counts().sort_index().to_dict(),
    }
    (args.out / "sources.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    print("layers:", counts)
    print(
        "candidate sites by category:",
        candidates["category"].value_counts().sort_index().to_dict(),
    )
    print("site selection:", site_info)
    print("fault records:", doc["layers"]["fault_records"]["totals"])
    print(f"wrote {out_gpkg} ({out_gpkg.stat().st_size / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
