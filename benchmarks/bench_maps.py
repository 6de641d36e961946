"""Benchmark: building the plan map and the size of the standalone ``map.html``.

The inputs are SYNTHETIC: a square grid of 500 m demand cells near central Wuhan
with seeded random population (some empty cells), seeded fault records, candidate
sites scattered over the grid, a few of them existing centres, and ``p`` open sites.
KPIs come from straight-line travel (detour 1.3, 25 km/h).

Issue 6's targets: building the map for 10,000 demand cells at most 3 s; the demo's
``map.html`` at most 5 MB.

Full run (10,000 cells and the demo-sized 3,600 cells)::

    .venv/bin/python benchmarks/bench_maps.py

Quick check (1,600 cells)::

    .venv/bin/python benchmarks/bench_maps.py --quick

Prints a Markdown table. "build" is :func:`planner.present.maps.plan_map` (every layer,
catchments dissolved, KPI panel); "html" is :func:`planner.present.maps.map_html` (render
and inline Leaflet); the KPI time is :func:`planner.evaluate.kpis.plan_kpis`. Each time is
the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.evaluate.kpis import plan_kpis
from planner.present.maps import map_html, plan_map
from planner.travel.straight_line import straight_line_matrix

ORIGIN = (114.13, 30.45)
CELL_M = 500.0


def synthetic(n_cells: int, n_sites: int, p: int, n_faults: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """Demand grid, sites, open sites and fault records (all synthetic, seeded)."""
    rng = np.random.default_rng(seed)
    side = round(float(np.sqrt(n_cells)))
    dlat = CELL_M / 111_320.0
    dlon = CELL_M / (111_320.0 * np.cos(np.radians(ORIGIN[1])))
    iy, ix = np.divmod(np.arange(side * side), side)
    minx = ORIGIN[0] + ix * dlon
    miny = ORIGIN[1] + iy * dlat
    cells = shapely.box(minx, miny, minx + dlon, miny + dlat)
    pop = np.where(rng.random(ix.size) < 0.1, 0.0, rng.gamma(2.0, 800.0, ix.size)).round()
    demand = gpd.GeoDataFrame(
        {
            "demand_id": [f"c{i}" for i in range(ix.size)],
            "population": pop,
            "pop_65plus": (pop * 0.14).round(),
            "fault_intensity": rng.poisson(pop / 2000.0).astype(float),
            "zone": np.where((ix > side * 0.8) | (iy > side * 0.8), "rural", "urban"),
        },
        geometry=shapely.centroid(cells),
        crs=4326,
    )
    demand["cell"] = gpd.GeoSeries(cells, crs=4326)
    sx = ORIGIN[0] + rng.random(n_sites) * side * dlon
    sy = ORIGIN[1] + rng.random(n_sites) * side * dlat
    existing = np.zeros(n_sites, dtype=bool)
    existing[: max(1, n_sites // 20)] = True
    sites = gpd.GeoDataFrame(
        {
            "site_id": [f"s{j}" for j in range(n_sites)],
            "name_zh": [f"站址{j}" for j in range(n_sites)],
            "name_en": [f"Site {j}" for j in range(n_sites)],
            "category_zh": ["商场"] * n_sites,
            "category_en": ["Mall"] * n_sites,
            "existing": existing,
        },
        geometry=shapely.points(sx, sy),
        crs=4326,
    )
    open_sites = np.sort(rng.choice(n_sites, size=p, replace=False))
    fx = ORIGIN[0] + rng.random(n_faults) * side * dlon
    fy = ORIGIN[1] + rng.random(n_faults) * side * dlat
    faults = gpd.GeoDataFrame(
        {"simulated": np.ones(n_faults, dtype=bool)}, geometry=shapely.points(fx, fy), crs=4326
    )
    return demand, sites, open_sites, faults


def run(n_cells: int, n_sites: int, p: int, n_faults: int, repeat: int) -> dict[str, float]:
    demand, sites, open_sites, faults = synthetic(n_cells, n_sites, p, n_faults)
    crs = demand.estimate_utm_crs()
    d = demand.geometry.to_crs(crs)
    s = sites.geometry.to_crs(crs)
    travel = straight_line_matrix(np.column_stack([d.x, d.y]), np.column_stack([s.x, s.y]))
    t0 = time.perf_counter()
    kpis = plan_kpis(
        open_sites,
        minutes=travel.minutes,
        distance_m=travel.distance_m,
        population=demand["population"],
        pop_65plus=demand["pop_65plus"],
        fault_intensity=demand["fault_intensity"],
        zone=demand["zone"],
    )
    t_kpi = time.perf_counter() - t0
    best_build = best_html = float("inf")
    size = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        m = plan_map(
            demand,
            sites,
            open_sites,
            kpis=kpis,
            faults=faults,
            travel_note=travel.note,
            attribution=["WorldPop (CC BY 4.0)", "© OpenStreetMap contributors (ODbL)"],
            service_radius_m=3000.0,
        )
        t1 = time.perf_counter()
        page = map_html(m)
        t2 = time.perf_counter()
        best_build = min(best_build, t1 - t0)
        best_html = min(best_html, t2 - t1)
        size = len(page.encode("utf-8"))
    return {
        "cells": float(len(demand)),
        "sites": float(n_sites),
        "p": float(p),
        "faults": float(n_faults),
        "kpis_s": t_kpi,
        "build_s": best_build,
        "html_s": best_html,
        "size_mb": size / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small case (1,600 cells)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case; the best is reported")
    args = parser.parse_args(argv)
    if args.quick:
        cases = [(1_600, 200, 10, 2_000)]
    else:
        cases = [(3_600, 1_676, 30, 5_000), (10_000, 1_676, 40, 10_000)]
    print(
        f"Machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    )
    print()
    print(
        "| demand cells | sites | open | fault records | KPIs (s) | plan_map (s) | map_html (s) | build total (s) | map.html (MB) |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n_cells, n_sites, p, n_faults in cases:
        r = run(n_cells, n_sites, p, n_faults, args.repeat)
        print(
            f"| {r['cells']:,.0f} | {r['sites']:,.0f} | {r['p']:.0f} | {r['faults']:,.0f} "
            f"| {r['kpis_s']:.2f} | {r['build_s']:.2f} | {r['html_s']:.2f} "
            f"| {r['build_s'] + r['html_s']:.2f} | {r['size_mb']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
