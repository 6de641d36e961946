"""Small synthetic demand/sites tables for the map, report and export tests.

A regular grid of square cells near central Wuhan (EPSG:4326) with made-up
population and faults, and a handful of sites; all synthetic, built in code.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from planner.travel.straight_line import straight_line_matrix

CELL_DEG = 0.005  # about 480 m east-west, 555 m north-south at 30.5 N


def make_inputs(
    nx: int = 6, ny: int = 5, seed: int = 0
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``(demand, sites)``: nx*ny grid cells and 6 sites (2 existing, 1 simulated)."""
    rng = np.random.default_rng(seed)
    x0, y0 = 114.25, 30.55
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    minx = x0 + ix.ravel() * CELL_DEG
    miny = y0 + iy.ravel() * CELL_DEG
    cells = shapely.box(minx, miny, minx + CELL_DEG, miny + CELL_DEG)
    n = minx.size
    pop = rng.integers(0, 2000, n).astype(float)
    pop[0] = 0.0  # one empty cell
    faults = np.where(rng.random(n) < 0.3, rng.random(n) * 5, 0.0)
    demand = gpd.GeoDataFrame(
        {
            "demand_id": [f"d{i}" for i in range(n)],
            "population": pop,
            "pop_65plus": np.round(pop * 0.15),
            "fault_intensity": faults,
            "zone": np.where(ix.ravel() < nx - 1, "urban", "rural"),
            "is_hotspot": faults > 3,
        },
        geometry=shapely.centroid(cells),
        crs=4326,
    )
    demand["cell"] = gpd.GeoSeries(cells, crs=4326)
    sx = x0 + np.array([0.3, 0.8, 0.5, 0.2, 0.9, 0.6]) * nx * CELL_DEG
    sy = y0 + np.array([0.3, 0.7, 0.5, 0.8, 0.2, 0.1]) * ny * CELL_DEG
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"s{j}" for j in range(6)],
            "name_zh": ["光谷广场", "江汉路", "中南医院", "图书馆", "武昌站", "汉街"],
            "name_en": [
                "Guanggu Plaza",
                "Jianghan Rd",
                "Zhongnan Hospital",
                "Library",
                "Wuchang Station",
                "Han Street",
            ],
            "category": ["mall", "office", "hospital", "library", "rail_station", "mall"],
            "category_zh": ["商场", "写字楼", "医院", "图书馆", "火车站", "商场"],
            "category_en": ["Mall", "Office", "Hospital", "Library", "Rail station", "Mall"],
            "existing": [False, True, False, False, True, False],
            "keep": [False, False, False, False, False, False],
            "simulated": [False, False, False, False, False, True],
        },
        geometry=shapely.points(sx, sy),
        crs=4326,
    )
    return demand, sites


def travel(demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame):  # type: ignore[no-untyped-def]
    """Straight-line travel between the demand points and the sites."""
    crs = demand.estimate_utm_crs()
    d = demand.geometry.to_crs(crs)
    s = sites.geometry.to_crs(crs)
    return straight_line_matrix(
        np.column_stack([d.x, d.y]), np.column_stack([s.x, s.y]), detour_factor=1.3, speed_kmh=25.0
    )
