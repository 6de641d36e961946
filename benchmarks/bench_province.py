"""Benchmark: a synthetic province on a 2-worker local Dask cluster (issue 19 item 7).

The province is built from the Wuhan data: the WorldPop 100 m adults raster of the
municipality (1,668 x 1,662 pixels, 9.49 M adults) tiled ``--tiles`` times (2 rows of
tiles; 10 tiles: about 27.7 M pixels over 2.8 x 6.9 degrees), each tile with seeded
jitter (every pixel times a lognormal factor, sigma 0.25, and the tile rolled by up to
25 pixels), written as a tiled, compressed GeoTIFF; ``--candidates`` sites drawn from
the populated pixels in proportion to their people (seeded). SYNTHETIC: no real
province's data.

Stages, each one task per block on the cluster:

1. raster aggregation into ``--cell-size`` squares of the local UTM zone
   (:func:`planner.runs.province.aggregate_population`, windows of ``--block`` pixels);
2. straight-line distances to each cell's ``--k`` nearest candidates by blocks of
   200,000 cells (:func:`planner.travel.blocks.nearest_sites`).

Prints per stage: wall time, CPU of the workers and of this process, peak memory of
each worker and of this process.

Usage::

    .venv/bin/python benchmarks/bench_province.py [--tiles 10] [--workers 2]
        [--work /tmp/planner-province] [--shared PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._demo100 import DEFAULT_SHARED
from planner.inputs.raster_blocks import aggregate_raster
from planner.runs.province import cluster, process_cpu_s, worker_peak_rss_mb
from planner.travel.blocks import nearest_sites


def build_province(shared: Path, out: Path, tiles: int, seed: int = 7) -> Path:
    """Write the tiled, jittered raster (cached by name)."""
    import rasterio
    from affine import Affine

    path = out / f"province_{tiles}tiles.tif"
    if path.exists():
        return path
    out.mkdir(parents=True, exist_ok=True)
    with rasterio.open(shared / "wuhan" / "wuhan_pop_20plus_100m.tif") as src:
        base = src.read(1).astype(np.float32)
        tr = src.transform
    base = np.where(np.isfinite(base) & (base > 0), base, 0.0).astype(np.float32)
    h, w = base.shape
    n_rows = 2 if tiles > 1 else 1
    n_cols = -(-tiles // n_rows)
    rng = np.random.default_rng(seed)
    profile = {
        "driver": "GTiff", "height": h * n_rows, "width": w * n_cols, "count": 1,
        "dtype": "float32", "crs": "EPSG:4326", "nodata": 0.0, "tiled": True,
        "blockxsize": 256, "blockysize": 256, "compress": "deflate",
        "transform": Affine(tr.a, 0.0, tr.c, 0.0, tr.e, tr.f),
    }  # fmt: skip
    tmp = path.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", **profile) as dst:
        from rasterio.windows import Window

        for t in range(n_rows * n_cols):
            r, c = divmod(t, n_cols)
            tile = np.zeros_like(base)
            if t < tiles:
                jitter = rng.lognormal(0.0, 0.25, base.shape).astype(np.float32)
                shift = rng.integers(-25, 26, 2)
                tile = np.roll(base * jitter, tuple(int(v) for v in shift), axis=(0, 1))
            dst.write(tile, 1, window=Window(c * w, r * h, w, h))
    tmp.replace(path)
    return path


def candidates(path: Path, n: int, seed: int = 11) -> np.ndarray:
    """``n`` sites (lon, lat) at populated pixels, drawn in proportion to their people."""
    import rasterio

    with rasterio.open(path) as src:
        step = 4  # a decimated read is enough to place candidates
        data = src.read(1, out_shape=(src.height // step, src.width // step))
        tr = src.transform * src.transform.scale(
            src.width / data.shape[1], src.height / data.shape[0]
        )
    rr, cc = np.nonzero(data > 0)
    p = data[rr, cc].astype(np.float64)
    pick = np.random.default_rng(seed).choice(rr.size, size=n, replace=False, p=p / p.sum())
    lon = tr.c + (cc[pick] + 0.5) * tr.a
    lat = tr.f + (rr[pick] + 0.5) * tr.e
    return np.column_stack([lon, lat])


def main(argv: list[str] | None = None) -> int:
    import pyproj

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiles", type=int, default=10)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cell-size", type=float, default=100.0)
    ap.add_argument("--block", type=int, default=2048)
    ap.add_argument("--candidates", type=int, default=15_000)
    ap.add_argument("--k", type=int, default=16)
    ap.add_argument("--work", type=Path, default=Path("/tmp/planner-province"))
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    raster = build_province(args.shared, args.work, args.tiles)
    sites_ll = candidates(raster, args.candidates)
    print(f"province raster {raster.name}: built/read in {time.perf_counter() - t0:.1f} s")
    rows = []
    with cluster(n_workers=args.workers) as where:
        print(f"cluster: {where.info.n_workers} workers, started in {where.info.startup_s:.1f} s")
        cpu_w0, cpu_c0 = sum(where.worker_cpu_s()), process_cpu_s()
        t0 = time.perf_counter()
        cells = aggregate_raster(
            raster, cell_size_m=args.cell_size, block_pixels=args.block, map_fn=where.map
        )
        wall = time.perf_counter() - t0
        cpu_w1, cpu_c1 = sum(where.worker_cpu_s()), process_cpu_s()
        rows.append(("raster aggregation", wall, cpu_w1 - cpu_w0, cpu_c1 - cpu_c0,
                     where.worker_peak_mb(), worker_peak_rss_mb()))  # fmt: skip
        x0, y0 = cells.squares()
        half = cells.cell_size_m / 2.0
        demand_xy = np.column_stack([x0 + half, y0 + half])
        to_m = pyproj.Transformer.from_crs("EPSG:4326", cells.metric, always_xy=True)
        sx, sy = to_m.transform(sites_ll[:, 0], sites_ll[:, 1])
        t0 = time.perf_counter()
        travel = nearest_sites(
            demand_xy, np.column_stack([sx, sy]), k=args.k, block_rows=200_000, map_fn=where.map
        )
        wall = time.perf_counter() - t0
        cpu_w2, cpu_c2 = sum(where.worker_cpu_s()), process_cpu_s()
        rows.append((f"{args.k}-nearest travel", wall, cpu_w2 - cpu_w1, cpu_c2 - cpu_c1,
                     where.worker_peak_mb(), worker_peak_rss_mb()))  # fmt: skip
    print(
        f"\n{args.tiles} tiles: {cells.keys.size:,} cells of {args.cell_size:g} m, "
        f"{cells.population.sum() / 1e6:.1f} M people, {args.candidates:,} candidates, "
        f"travel {travel.nnz:,} pairs ({(travel.data.nbytes + travel.indices.nbytes) / 1e6:.0f} MB)\n"
    )
    print(
        "| stage | wall s | worker CPU s | client CPU s | peak per worker (MB) | client peak (MB) |"
    )
    print("| --- | ---: | ---: | ---: | --- | ---: |")
    for name, wall, cw, cc, peaks, client in rows:
        print(
            f"| {name} | {wall:.1f} | {cw:.1f} | {cc:.1f} | {', '.join(f'{p:.0f}' for p in peaks)} | {client:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
