"""Benchmark: road-network travel matrices (planner.travel.network) against networkx.

The network is SYNTHETIC (no real network of 100,000+ edges is available offline):
a jittered square grid of streets, 100 m apart, with an arterial every 10th row and
column (``primary``, 45 km/h), residential streets (20 km/h), and every 4th
residential row one-way (alternating direction). Demand points and sites are
uniform random points over the grid (seeded).

Full run (issue 5's target: 10,000 demand x 1,000 sites, >= 100,000 road edges,
30-minute cut-off, at most 20 s and 2 GB)::

    .venv/bin/python benchmarks/bench_roads.py

Quick check (a few seconds)::

    .venv/bin/python benchmarks/bench_roads.py --quick

Prints a Markdown table to stdout. networkx is timed on a sample of sites
(``single_source_dijkstra_path_length`` per site, extrapolated to all sites) and
once in full for ``multi_source_dijkstra_path_length`` (nearest-site times only,
a much smaller result than the matrix). Peak memory is the process's peak
resident set size (``ru_maxrss``), which includes Python and the libraries.
"""

from __future__ import annotations

import argparse
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from planner.travel.network_io import RawGraph
from planner.travel.road_matrix import network_matrix, prepare_routing
from planner.travel.road_network import RoadNetwork
from planner.travel.road_network import build_network as _build_network
from planner.travel.speeds import merge_speeds

ORIGIN_LONLAT = (114.20, 30.45)  # south-west corner, in central Wuhan's latitude band


def synthetic_grid(side: int, *, spacing_m: float = 100.0, seed: int = 0) -> RoadNetwork:
    """A ``side`` x ``side`` street grid with arterials; see the module docstring."""
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)  # [row, col]
    deg_lat = spacing_m / 111_320.0
    deg_lon = spacing_m / (111_320.0 * np.cos(np.radians(ORIGIN_LONLAT[1])))
    rows, cols = np.divmod(np.arange(side * side), side)
    jitter = rng.uniform(-0.1, 0.1, size=(side * side, 2))
    lon = ORIGIN_LONLAT[0] + (cols + jitter[:, 0]) * deg_lon
    lat = ORIGIN_LONLAT[1] + (rows + jitter[:, 1]) * deg_lat
    # horizontal segments (along a row) and vertical ones (along a column)
    hu, hv = idx[:, :-1].ravel(), idx[:, 1:].ravel()
    h_row = np.repeat(np.arange(side), side - 1)
    vu, vv = idx[:-1, :].ravel(), idx[1:, :].ravel()
    v_col = np.tile(np.arange(side), side - 1)
    u = np.concatenate([hu, vu])
    v = np.concatenate([hv, vv])
    arterial = np.concatenate([h_row % 10 == 0, v_col % 10 == 0])
    line = np.concatenate([h_row, v_col])
    oneway_dir = np.where(~arterial & (line % 4 == 2), np.where(line % 8 == 2, 1, -1), 0)
    from planner.travel.network_io import haversine_m

    length = haversine_m(lon[u], lat[u], lon[v], lat[v])
    highway = np.where(arterial, "primary", "residential")
    fwd = oneway_dir >= 0
    bwd = oneway_dir <= 0
    raw = RawGraph(
        node_id=np.arange(side * side).astype(str),
        lon=lon,
        lat=lat,
        edge_from=np.concatenate([u[fwd], v[bwd]]),
        edge_to=np.concatenate([v[fwd], u[bwd]]),
        length_m=np.concatenate([length[fwd], length[bwd]]),
        highway=np.concatenate([highway[fwd], highway[bwd]]),
        maxspeed_kmh=np.full(int(fwd.sum() + bwd.sum()), np.nan),
        oneway=np.concatenate([oneway_dir[fwd] != 0, oneway_dir[bwd] != 0]),
        source_crs="EPSG:4326",
        note=f"synthetic {side}x{side} grid with arterials",
    )
    return _build_network(raw, Path(f"synthetic-grid-{side}"), merge_speeds(None))


def _peak_rss_mb() -> tuple[float, float]:
    scale = 1024.0 if platform.system() != "Darwin" else 1024.0 * 1024.0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    return own, children


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small instance, a few seconds")
    parser.add_argument("--side", type=int, help="grid side in nodes (default 230, quick 100)")
    parser.add_argument("--demand", type=int, help="demand points (default 10000, quick 2000)")
    parser.add_argument("--sites", type=int, help="sites (default 1000, quick 100)")
    parser.add_argument("--cutoff", type=float, default=30.0, help="cut-off in minutes")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--nx-sites", type=int, help="sites timed with networkx (default 20, quick 5)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    side = args.side or (100 if args.quick else 230)
    n_demand = args.demand or (2_000 if args.quick else 10_000)
    n_sites = args.sites or (100 if args.quick else 1_000)
    nx_sites = args.nx_sites or (5 if args.quick else 20)

    t0 = time.perf_counter()
    net = synthetic_grid(side, seed=args.seed)
    build_s = time.perf_counter() - t0
    rng = np.random.default_rng(args.seed + 1)
    lo0, la0, lo1, la1 = net.bounds_lonlat

    def points(n: int) -> np.ndarray:
        return np.column_stack([rng.uniform(lo0, lo1, n), rng.uniform(la0, la1, n)])

    demand, sites = points(n_demand), points(n_sites)
    n_roads = int(
        np.unique(np.sort(np.column_stack([net.edge_from, net.edge_to]), axis=1), axis=0).shape[0]
    )
    rss_before, _ = _peak_rss_mb()

    t0 = time.perf_counter()
    tm = network_matrix(
        net, demand, sites, mode="drive", cutoff_minutes=args.cutoff, n_jobs=args.n_jobs
    )
    ours_s = time.perf_counter() - t0
    rss_peak, rss_children = _peak_rss_mb()

    # networkx on the same weighted graph (arcs open to driving, fastest of parallel arcs).
    import networkx as nx

    t0 = time.perf_counter()
    g_rev = net.to_networkx("drive").reverse(copy=True)
    nx_build_s = time.perf_counter() - t0
    job = prepare_routing(net, demand, sites, mode="drive", cutoff_minutes=args.cutoff)
    sample = rng.choice(n_sites, size=min(nx_sites, n_sites), replace=False)
    t0 = time.perf_counter()
    worst = 0.0
    dense = tm.minutes.tocsc()
    for j in sample:
        lengths = nx.single_source_dijkstra_path_length(
            g_rev,
            int(job.site_node[j]),
            cutoff=args.cutoff - job.site_access_min[j],
            weight="minutes",
        )
        col = dense[:, [j]].toarray().ravel()
        expect = np.array([lengths.get(int(n), np.inf) for n in job.demand_node])
        expect = expect + job.demand_access_min + job.site_access_min[j]
        within = expect <= args.cutoff
        hit = col > 0
        if (within != hit).any():
            # pairs right at the cut-off can differ by rounding only
            near = np.abs(expect - args.cutoff) < 1e-6
            assert not ((within != hit) & ~near).any(), "networkx disagrees on reachability"
        if within.any():
            worst = max(worst, float(np.abs(col[within & hit] - expect[within & hit]).max()))
    nx_sample_s = time.perf_counter() - t0
    nx_per_site = nx_sample_s / len(sample)
    t0 = time.perf_counter()
    nx.multi_source_dijkstra_path_length(
        g_rev, {int(n) for n in job.site_node}, cutoff=args.cutoff, weight="minutes"
    )
    nx_multi_s = time.perf_counter() - t0

    print(f"## Road-network travel matrix ({'quick' if args.quick else 'full'} run)\n")
    print(
        f"Network: synthetic {side}x{side} street grid with arterials (SYNTHETIC, seeded), "
        f"{net.n_nodes:,} nodes, {n_roads:,} road segments = {net.n_edges:,} directed arcs "
        f"(built in {build_s:.1f} s). Points: {n_demand:,} demand x {n_sites:,} sites, uniform "
        f"random. Mode drive, cut-off {args.cutoff:g} min, n_jobs={args.n_jobs}; "
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}.\n"
    )
    print("| step | time (s) | notes |")
    print("| --- | ---: | --- |")
    print(
        f"| planner.travel.network.network_matrix | {ours_s:.2f} | {tm.minutes.nnz:,} pairs within the "
        f"cut-off ({tm.minutes.nnz / (n_demand * n_sites):.0%}); peak RSS {rss_peak:,.0f} MB "
        f"(before: {rss_before:,.0f} MB; worker processes peak {rss_children:,.0f} MB) |"
    )
    print(
        f"| networkx single_source_dijkstra, per site x {n_sites:,} (extrapolated from "
        f"{len(sample)} sites) | {nx_per_site * n_sites:.1f} | {nx_per_site:.3f} s per site; "
        f"graph conversion {nx_build_s:.1f} s; max abs difference from ours {worst:.2e} min |"
    )
    print(
        f"| networkx multi_source_dijkstra (nearest site only, one call) | {nx_multi_s:.2f} | "
        "gives each node its nearest site's time, not the matrix |"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
