"""Benchmark: network travel costs for a synthetic province on a 2-worker Dask cluster.

Before (whole routing job with every task) against after (one task per block of
nearby sites with only the roads within reach, :mod:`planner.travel.road_blocks`),
for road networks of growing size (issue 19 item 7).

The road network is SYNTHETIC: the real Futian (Shenzhen) drive graph (1,751 nodes,
4,009 arcs, about 4.4 x 3.7 km) tiled ``--tiles`` x ``--tiles`` times, each copy
rotated by a random angle of up to 4 degrees about its centre (seeded; a rigid move,
so recorded lengths stay true),
neighbouring copies joined by two-way links (``secondary``) between the facing edge
nodes less than 400 m apart; centred on central Wuhan. Demand: the populated
2 x 2-pixel blocks (about 180 m) of the synthetic province raster of
``bench_province.py`` (the Wuhan WorldPop 100 m raster tiled 2 x 5 times with jitter)
inside the network's extent; candidates: the province's 15,000 candidates (drawn in
proportion to people) inside it. Drive, cut-off ``--cutoff`` minutes.

Prints, per network size and method: wall time, CPU of the workers and of this process,
each worker's peak resident memory and its growth over the stage, the largest task's
pickled size, and the pairs; "after" is checked equal to "before" where both ran.

Usage::

    .venv/bin/python benchmarks/bench_province_roads.py [--tiles 6 12 24] [--before 6 12]
        [--cutoff 15] [--work /tmp/planner-province] [--shared PATH]
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from concurrent.futures import Executor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._demo100 import DEFAULT_SHARED
from benchmarks.bench_province import build_province, candidates
from planner.runs.province import cluster, process_cpu_s, worker_peak_rss_mb
from planner.travel import road_blocks, routing
from planner.travel.network_io import RawGraph, read_graphml
from planner.travel.road_matrix import assemble_matrix, network_matrix, prepare_routing
from planner.travel.road_network import RoadNetwork, build_network
from planner.travel.speeds import merge_speeds

CENTRE_LONLAT = (114.30, 30.58)  # central Wuhan
UTM = "EPSG:32650"


def tiled_network(graphml: Path, tiles: int, seed: int = 5) -> RoadNetwork:
    """The Futian graph tiled ``tiles`` x ``tiles`` times with jitter (see the module doc)."""
    from pyproj import Transformer
    from scipy.spatial import cKDTree

    raw = read_graphml(graphml, None)
    fwd = Transformer.from_crs("EPSG:4326", UTM, always_xy=True)
    x, y = (np.asarray(v) for v in fwd.transform(raw.lon, raw.lat))
    x, y = x - x.min(), y - y.min()
    w, h = x.max() + 150.0, y.max() + 150.0
    cx, cy = fwd.transform(*CENTRE_LONLAT)
    rng = np.random.default_rng(seed)
    n = x.size
    xs, ys, ef, et, ln, hw, ms, ow = [], [], [], [], [], [], [], []
    for t in range(tiles * tiles):
        i, j = divmod(t, tiles)
        a = np.radians(rng.uniform(-4.0, 4.0))
        dx, dy = x - w / 2, y - h / 2
        rx = np.cos(a) * dx - np.sin(a) * dy + w / 2
        ry = np.sin(a) * dx + np.cos(a) * dy + h / 2
        xs.append(rx + cx + (j - tiles / 2) * w)
        ys.append(ry + cy + (tiles / 2 - 1 - i) * h)
        ef.append(raw.edge_from + t * n)
        et.append(raw.edge_to + t * n)
        ln.append(raw.length_m)
        hw.append(raw.highway)
        ms.append(raw.maxspeed_kmh)
        ow.append(raw.oneway)
    px, py = np.concatenate(xs), np.concatenate(ys)
    # links between facing edges of neighbouring copies
    lu, lv = [], []
    for t in range(tiles * tiles):
        i, j = divmod(t, tiles)
        own = np.arange(t * n, (t + 1) * n)
        for nb, side in (((i, j + 1), "east"), ((i + 1, j), "south")):
            if nb[0] >= tiles or nb[1] >= tiles:
                continue
            other = np.arange((nb[0] * tiles + nb[1]) * n, (nb[0] * tiles + nb[1] + 1) * n)
            if side == "east":
                a_ = own[px[own] > px[own].max() - 400]
                b_ = other[px[other] < px[other].min() + 400]
            else:
                a_ = own[py[own] < py[own].min() + 400]
                b_ = other[py[other] > py[other].max() - 400]
            d, k = cKDTree(np.column_stack([px[b_], py[b_]])).query(
                np.column_stack([px[a_], py[a_]])
            )
            ok = d < 400
            lu.append(a_[ok])
            lv.append(b_[k[ok]])
    u, v = np.concatenate(lu), np.concatenate(lv)
    link_len = np.hypot(px[u] - px[v], py[u] - py[v]) * 1.05 + 1.0
    inv = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True)
    lon, lat = (np.asarray(c) for c in inv.transform(px, py))
    m = u.size
    combined = RawGraph(
        node_id=np.arange(px.size).astype(str),
        lon=lon,
        lat=lat,
        edge_from=np.concatenate([*ef, u, v]),
        edge_to=np.concatenate([*et, v, u]),
        length_m=np.concatenate([*ln, link_len, link_len]),
        highway=np.concatenate([*hw, np.full(2 * m, "secondary")]),
        maxspeed_kmh=np.concatenate([*ms, np.full(2 * m, np.nan)]),
        oneway=np.concatenate([*ow, np.zeros(2 * m, dtype=bool)]),
        source_crs="EPSG:4326",
        note=f"Futian drive graph tiled {tiles}x{tiles} (synthetic)",
    )
    return build_network(combined, Path(f"futian-tiled-{tiles}"), merge_speeds(None))


def province_points(
    raster: Path, sites_ll: np.ndarray, net: RoadNetwork
) -> tuple[np.ndarray, np.ndarray]:
    """Demand (populated 2 x 2-pixel blocks) and candidates inside the network's extent."""
    import rasterio
    from rasterio.windows import from_bounds

    b = net.bounds_lonlat
    with rasterio.open(raster) as src:
        win = from_bounds(*b, transform=src.transform).round_offsets().round_lengths()
        data = src.read(1, window=win)
        tr = src.window_transform(win)
    hh, ww = data.shape[0] // 2 * 2, data.shape[1] // 2 * 2
    blocks = data[:hh, :ww].reshape(hh // 2, 2, ww // 2, 2).sum(axis=(1, 3))
    rr, cc = np.nonzero(blocks > 0)
    demand = np.column_stack([tr.c + (2 * cc + 1) * tr.a, tr.f + (2 * rr + 1) * tr.e])
    inside = (
        (sites_ll[:, 0] >= b[0])
        & (sites_ll[:, 0] <= b[2])
        & (sites_ll[:, 1] >= b[1])
        & (sites_ll[:, 1] <= b[3])
    )
    return demand, sites_ll[inside]


def _measured(fn, *args):  # type: ignore[no-untyped-def]
    """Run one task on a worker, recording the peak of its Python and NumPy allocations."""
    import tracemalloc

    from distributed import get_worker

    tracemalloc.start()
    try:
        out = fn(*args)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    w = get_worker()
    w.task_peak_bytes = max(getattr(w, "task_peak_bytes", 0), peak)
    return out


def _task_peak_mb(dask_worker) -> float:  # type: ignore[no-untyped-def]
    return getattr(dask_worker, "task_peak_bytes", 0) / 1e6


class MeasuredExecutor(Executor):
    """An executor that runs every task through :func:`_measured`."""

    def __init__(self, inner: Executor):
        self.inner = inner

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        return self.inner.submit(_measured, fn, *args)


def _stage(where, fn):  # type: ignore[no-untyped-def]
    peak0 = where.worker_peak_mb()
    cpu_w0, cpu_c0 = sum(where.worker_cpu_s()), process_cpu_s()
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    cpu_w = sum(where.worker_cpu_s()) - cpu_w0
    cpu_c = process_cpu_s() - cpu_c0
    task_peak = max(where._client.run(_task_peak_mb).values())
    return out, wall, cpu_w, cpu_c, peak0, where.worker_peak_mb(), task_peak


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tiles", type=int, nargs="+", default=[6, 12, 24])
    ap.add_argument(
        "--before", type=int, nargs="*", default=[6, 12], help="sizes to run 'before' on"
    )
    ap.add_argument("--cutoff", type=float, default=15.0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/planner-province"))
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    args = ap.parse_args(argv)

    raster = build_province(args.shared, args.work, 10)
    sites_all = candidates(raster, 15_000)
    graphml = args.shared / "shenzhen" / "futian_drive.graphml"
    rows = []
    for tiles in args.tiles:
        t0 = time.perf_counter()
        net = tiled_network(graphml, tiles)
        demand, sites = province_points(raster, sites_all, net)
        job = prepare_routing(net, demand, sites, cutoff_minutes=args.cutoff, max_snap_m=500.0)
        bound = road_blocks.reach(net, "drive")
        groups = road_blocks.site_blocks(
            job, net.x_m, net.y_m, reach=bound, block_sites=road_blocks.BLOCK_SITES
        )
        builder = road_blocks.BlockBuilder(job, net.x_m, net.y_m, reach=bound)
        sizes = [(b.n_nodes, len(pickle.dumps(b, protocol=5))) for b in map(builder.block, groups)]
        job_bytes = len(pickle.dumps(job, protocol=5))
        print(
            f"{tiles}x{tiles}: {net.n_nodes:,} nodes, {net.n_edges:,} arcs, "
            f"{demand.shape[0]:,} demand, {sites.shape[0]:,} sites, reach speed "
            f"{bound.speed * 0.06:.1f} km/h + {bound.extra_m:.0f} m (top {bound.top_speed * 0.06:.1f} km/h), {len(groups)} blocks (largest {max(s[0] for s in sizes):,} nodes, "
            f"{max(s[1] for s in sizes) / 1e6:.1f} MB); whole job {job_bytes / 1e6:.1f} MB; "
            f"set-up {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        before = None
        if tiles in args.before:
            with cluster(n_workers=args.workers) as where:
                chunks = job.chunks()

                def old(job=job, chunks=chunks, where=where) -> tuple:  # type: ignore[no-untyped-def]
                    ex = MeasuredExecutor(where.executor())
                    res = list(ex.map(routing.route_chunk, [job] * len(chunks), chunks))
                    return assemble_matrix(job, res)

                before, wall, cw, cc, p0, p1, tp = _stage(where, old)
            rows.append((tiles, net, demand, sites, "before: whole job per task", len(chunks),
                         job_bytes, tp, wall, cw, cc, p0, p1, before[0].nnz,
                         worker_peak_rss_mb()))  # fmt: skip
            print(rows[-1][4:6], f"{wall:.1f} s", p0, p1, flush=True)
        with cluster(n_workers=args.workers) as where:
            after, wall, cw, cc, p0, p1, tp = _stage(
                where,
                lambda w=where, net=net, demand=demand, sites=sites: network_matrix(
                    net, demand, sites, cutoff_minutes=args.cutoff, max_snap_m=500.0,
                    unsnapped="drop", executor=MeasuredExecutor(w.executor()),
                ),
            )  # fmt: skip
        if before is not None:
            assert (after.minutes != before[0]).nnz == 0, "blocks differ from the whole-job matrix"
            assert (after.distance_m != before[1]).nnz == 0
        rows.append((tiles, net, demand, sites, "after: blocks within reach", len(groups),
                     max(s[1] for s in sizes), tp, wall, cw, cc, p0, p1, after.minutes.nnz,
                     worker_peak_rss_mb()))  # fmt: skip
        print(rows[-1][4:6], f"{wall:.1f} s", p0, p1, flush=True)

    print(
        "\n| network | demand x sites | method | tasks | largest task input (MB) | "
        "task peak work (MB) | wall s | worker CPU s | client CPU s | "
        "worker peak MB (growth) | client peak MB | pairs |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
    for row in rows:
        tiles, net, demand, sites, name, n_tasks, big, tp, wall, cw, cc, p0, p1, nnz, client = row
        peaks = ", ".join(f"{b:.0f} (+{b - a:.0f})" for a, b in zip(p0, p1, strict=True))
        print(
            f"| {tiles}x{tiles} tiles: {net.n_nodes:,} nodes, {net.n_edges:,} arcs | "
            f"{demand.shape[0]:,} x {sites.shape[0]:,} | {name} | {n_tasks} | {big / 1e6:.1f} | "
            f"{tp:.0f} | "
            f"{wall:.1f} | {cw:.1f} | {cc:.1f} | {peaks} | {client:.0f} | {nnz:,} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
