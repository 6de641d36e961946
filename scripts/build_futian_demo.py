"""Build the demand layer of the Futian (Shenzhen) road-network scenario.

No population data for Shenzhen is at hand, so the demand here is SYNTHETIC and
UNIFORM: 400 m cells over the road graph's extent, each cell that holds at least
one road node weighted 1,000 "adults". The road network is real (OpenStreetMap);
the demand is not, and every row says so (``simulated = true``). The scenario
exists to compare straight-line and network travel on real streets, not to plan
Futian.

Run: ``.venv/bin/python scripts/build_futian_demo.py`` (re-runnable, deterministic).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from planner.travel.road_network import read_road_network

CELL_M = 400.0
METRIC = "EPSG:32650"  # UTM 50N covers Shenzhen


def main() -> None:
    here = Path(__file__).resolve().parent.parent / "data" / "geo" / "shenzhen"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graph", type=Path, default=here / "futian_drive.graphml")
    parser.add_argument("--out", type=Path, default=here / "futian_demand.gpkg")
    args = parser.parse_args()

    net = read_road_network(args.graph)
    nodes = gpd.GeoSeries(gpd.points_from_xy(net.lon, net.lat), crs="EPSG:4326").to_crs(METRIC)
    x, y = nodes.x.to_numpy(), nodes.y.to_numpy()
    x0, y0 = np.floor(x.min() / CELL_M) * CELL_M, np.floor(y.min() / CELL_M) * CELL_M
    col = ((x - x0) // CELL_M).astype(int)
    row = ((y - y0) // CELL_M).astype(int)
    occupied = np.unique(np.column_stack([row, col]), axis=0)
    cells = [
        box(x0 + c * CELL_M, y0 + r * CELL_M, x0 + (c + 1) * CELL_M, y0 + (r + 1) * CELL_M)
        for r, c in occupied
    ]
    gdf = gpd.GeoDataFrame(
        {
            "cell_id": [f"FT{k:03d}" for k in range(len(cells))],
            "pop_20plus": 1000.0,
            "pop_65plus": 0.0,
            "simulated": True,
            "note": "synthetic uniform demand: no Shenzhen population data available",
        },
        geometry=cells,
        crs=METRIC,
    ).to_crs("EPSG:4326")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".gpkg", dir=args.out.parent)
    os.close(fd)
    os.unlink(tmp)
    gdf.to_file(tmp, layer="population", driver="GPKG")
    os.replace(tmp, args.out)
    print(f"{len(gdf)} cells of {CELL_M:.0f} m written to {args.out}")


if __name__ == "__main__":
    main()
