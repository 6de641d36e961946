"""Benchmark: map.html and report.html of a plan on 500,000 demand cells, drawn in Chromium.

SYNTHETIC inputs (as ``bench_maps.py``: a square grid of 100 m cells near Wuhan with
seeded random population, seeded fault records, sites scattered over the grid, ``p``
open). Above ``planner.present.maps.raster.POLYGON_MAX_CELLS`` cells the density
layer is one PNG, above ``HEAT_MAX_POINTS`` heat points the fault heat map too, and
the catchments are simplified to half a cell. Each demand cell is served by its
nearest open site (a KD-tree; no KPIs: a dense 500,000 x 1,676 matrix would not fit).

Draw time: headless Chromium (``/usr/bin/chromium``, Playwright) opens the file with
outside requests blocked and waits until the centres are on the map and two animation
frames have passed; the JavaScript heap is read from ``performance.memory``.

Usage::

    .venv/bin/python benchmarks/bench_maps_large.py [--cells 500000] [--heat demand|records]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import bench_maps
from planner.present.maps import plan_map, save_map_html

CHROMIUM = "/usr/bin/chromium"


def draw_seconds(path: Path) -> tuple[float, float]:
    """Seconds from navigation until the map is drawn, and the JS heap in MB."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--enable-precise-memory-info"]
        )
        page = b.new_page(viewport={"width": 1200, "height": 800})
        page.route(
            "**/*",
            lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort(),
        )
        t0 = time.perf_counter()
        page.goto(path.resolve().as_uri(), timeout=120_000)
        page.wait_for_selector(".planner-centre", timeout=120_000)
        page.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        seconds = time.perf_counter() - t0
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        b.close()
    return seconds, heap / 1e6


def main(argv: list[str] | None = None) -> int:
    from scipy.spatial import cKDTree

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cells", type=int, default=500_000)
    ap.add_argument("--sites", type=int, default=1_676)
    ap.add_argument("--p", type=int, default=60)
    ap.add_argument("--heat", choices=["demand", "records"], default="demand")
    args = ap.parse_args(argv)
    bench_maps.CELL_M = 100.0
    demand, sites, open_sites, faults = bench_maps.synthetic(args.cells, args.sites, args.p, 5_000)
    dxy = np.column_stack([demand.geometry.x, demand.geometry.y])
    sxy = np.column_stack([sites.geometry.x, sites.geometry.y])[open_sites]
    _, near = cKDTree(sxy).query(dxy)
    assignment = open_sites[near]
    t0 = time.perf_counter()
    m = plan_map(
        demand, sites, open_sites, assignment=assignment,
        faults=faults if args.heat == "records" else None,
        attribution=["WorldPop (CC BY 4.0)"],
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = save_map_html(m, Path(tmp) / "map.html")
        build = time.perf_counter() - t0
        size = path.stat().st_size / 1e6
        seconds, heap = draw_seconds(path)
    print(
        "| cells | heat from | build + save (s) | map.html (MB) | Chromium draw (s) | JS heap (MB) |"
    )
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    print(
        f"| {len(demand):,} | {args.heat} | {build:.1f} | {size:.2f} | {seconds:.1f} | {heap:.0f} |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
