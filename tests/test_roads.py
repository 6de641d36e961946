"""Road-network travel times (planner.travel.network) on the real Futian graph and tiny hand-made networks.

The oracle for shortest times is networkx's Dijkstra on a graph built here, independently of
planner.travel.network, from the same GraphML and the documented speed table.
"""

from __future__ import annotations

import itertools
import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import ConfigError, DataError, InputError
from planner.travel import routing as _road_routing
from planner.travel.road_areas import components_report, service_areas
from planner.travel.road_matrix import assemble_matrix, network_matrix, prepare_routing
from planner.travel.road_network import RoadNetwork, RoutingWarning, read_road_network
from planner.travel.routing import route_chunk
from planner.travel.speeds import DEFAULT_SPEEDS_KMH

FUTIAN = Path(__file__).parent / "data" / "futian_drive.graphml"


@pytest.fixture(scope="module")
def futian() -> RoadNetwork:
    return read_road_network(FUTIAN)


def _drive_minutes(data: dict[str, str]) -> float | None:
    """Travel minutes of one GraphML edge by the documented drive table (independent re-statement)."""
    classes = [c.strip(" '") for c in data["highway"].strip("[]").split(",")]
    table = DEFAULT_SPEEDS_KMH["drive"]
    speeds = [table.get(c, table["other"]) for c in classes]
    if any(s is None for s in speeds):
        return None
    speed = min(float(s) for s in speeds if s is not None)
    if data.get("maxspeed"):
        speed = float(data["maxspeed"])
    return float(data["length"]) / (speed * 1000.0 / 60.0)


@pytest.fixture(scope="module")
def nx_drive() -> nx.DiGraph:
    multi = nx.read_graphml(FUTIAN)
    graph = nx.DiGraph()
    for node, data in multi.nodes(data=True):
        graph.add_node(node, lon=float(data["x"]), lat=float(data["y"]))
    for u, v, data in multi.edges(data=True):
        minutes = _drive_minutes(data)
        if minutes is None or u == v:
            continue
        if not graph.has_edge(u, v) or graph[u][v]["minutes"] > minutes:
            graph.add_edge(u, v, minutes=minutes, length=float(data["length"]))
    return graph


def _lonlat(graph: nx.DiGraph, nodes: list[str]) -> np.ndarray:
    return np.array([[graph.nodes[n]["lon"], graph.nodes[n]["lat"]] for n in nodes])


def _main_nodes(graph: nx.DiGraph) -> list[str]:
    main = max(nx.strongly_connected_components(graph), key=len)
    return sorted(main)


# --------------------------------------------------------------------------- shortest paths


@pytest.mark.slow  # over 10 s on a loaded 2-core machine
def test_network_matrix_reports_each_block_and_a_stop_between_blocks_ends_it(
    futian: RoadNetwork, nx_drive: nx.DiGraph, tmp_path: Path
) -> None:
    """``progress`` is told after each chunk of sites (where a stopped run ends: the
    pipeline's progress raises), and a stopped computation caches nothing."""
    from planner.errors import RunStoppedError

    rng = np.random.default_rng(7)
    main = _main_nodes(nx_drive)
    demand = _lonlat(nx_drive, [main[i] for i in rng.choice(len(main), 30, replace=False)])
    sites = _lonlat(nx_drive, [main[i] for i in rng.choice(len(main), 9, replace=False)])
    seen: list[float] = []
    whole = network_matrix(
        futian, demand, sites, chunk_size=4, progress=lambda msg, share: seen.append(share)
    )
    assert seen == pytest.approx([1 / 3, 2 / 3, 1.0])  # 9 sites in blocks of 4

    def stop(msg: str, share: float) -> None:
        raise RunStoppedError("travel")  # the Stop click lands after the first block

    cache = tmp_path / "cache"
    with pytest.raises(RunStoppedError):
        network_matrix(futian, demand, sites, chunk_size=4, cache_dir=cache, progress=stop)
    assert not list(cache.glob("travel-*"))
    again = network_matrix(futian, demand, sites, chunk_size=4, cache_dir=cache)
    assert (again.minutes != whole.minutes).nnz == 0


def test_futian_times_equal_networkx_dijkstra(futian: RoadNetwork, nx_drive: nx.DiGraph) -> None:
    rng = np.random.default_rng(5)
    main = _main_nodes(nx_drive)
    demand = [main[i] for i in rng.choice(len(main), 40, replace=False)]
    sites = [main[i] for i in rng.choice(len(main), 8, replace=False)]
    tm = network_matrix(
        futian, _lonlat(nx_drive, demand), _lonlat(nx_drive, sites), cutoff_minutes=None
    )
    assert tm.method == "network"
    assert tm.mode == "drive"
    assert tm.is_sparse
    minutes = tm.minutes.toarray()
    dist = tm.distance_m.toarray()
    for j, site in enumerate(sites):
        to_site = nx.single_source_dijkstra_path_length(nx_drive.reverse(), site, weight="minutes")
        for i, point in enumerate(demand):
            assert minutes[i, j] == pytest.approx(to_site[point], rel=1e-9, abs=1e-5)
            path = nx.dijkstra_path(nx_drive, point, site, weight="minutes")
            length = sum(nx_drive[a][b]["length"] for a, b in itertools.pairwise(path))
            # distance_m is the length of the fastest path, not the shortest length.
            assert dist[i, j] == pytest.approx(length, rel=1e-6, abs=1e-3)
    assert tm.unroutable_demand.size == 0
    assert tm.unroutable_sites.size == 0
    assert tm.minutes.has_sorted_indices
    np.testing.assert_array_equal(tm.minutes.indices, tm.distance_m.indices)
    np.testing.assert_array_equal(tm.minutes.indptr, tm.distance_m.indptr)


def test_oneway_edge_is_respected(futian: RoadNetwork, nx_drive: nx.DiGraph) -> None:
    main = set(_main_nodes(nx_drive))
    u, v = next(
        (a, b)
        for a, b in nx_drive.edges
        if a in main and b in main and not nx_drive.has_edge(b, a) and nx_drive[a][b]["length"] > 50
    )
    points = _lonlat(nx_drive, [u, v])
    minutes = network_matrix(futian, points, points, cutoff_minutes=None).minutes.toarray()
    forward, backward = minutes[0, 1], minutes[1, 0]
    assert forward == pytest.approx(nx_drive[u][v]["minutes"])
    assert backward > forward  # against the one-way: a detour round the block
    assert backward == pytest.approx(nx.dijkstra_path_length(nx_drive, v, u, weight="minutes"))


def test_pairs_beyond_cutoff_or_unreachable_are_absent(
    futian: RoadNetwork, nx_drive: nx.DiGraph
) -> None:
    rng = np.random.default_rng(1)
    main = _main_nodes(nx_drive)
    demand = [main[i] for i in rng.choice(len(main), 60, replace=False)]
    sites = [main[i] for i in rng.choice(len(main), 10, replace=False)]
    tm = network_matrix(
        futian, _lonlat(nx_drive, demand), _lonlat(nx_drive, sites), cutoff_minutes=3.0
    )
    expected = np.zeros((60, 10), dtype=bool)
    for j, site in enumerate(sites):
        near = nx.single_source_dijkstra_path_length(
            nx_drive.reverse(), site, cutoff=3.0, weight="minutes"
        )
        expected[:, j] = [p in near for p in demand]
    present = tm.minutes.toarray() > 0
    assert 0 < expected.sum() < expected.size
    np.testing.assert_array_equal(present, expected)
    np.testing.assert_array_equal(tm.distance_m.toarray() > 0, expected)
    assert tm.minutes.data.max() <= 3.0


def test_point_on_small_component_has_no_route_out(
    futian: RoadNetwork, nx_drive: nx.DiGraph
) -> None:
    roads = nx_drive.subgraph(n for n in nx_drive if nx_drive.degree(n) > 0)
    parts = sorted(nx.strongly_connected_components(roads), key=len, reverse=True)
    island = next(iter(parts[1]))
    main = _main_nodes(nx_drive)[:5]
    report = components_report(futian, demand_lonlat=_lonlat(nx_drive, [island, *main]))
    assert report.n_components == len(parts)
    assert not report.is_connected
    assert report.component_sizes[0] == len(parts[0])
    np.testing.assert_array_equal(report.demand_on_small, [0])
    with pytest.warns(RoutingWarning, match="small parts"):
        tm = network_matrix(
            futian,
            _lonlat(nx_drive, [island, *main]),
            _lonlat(nx_drive, main),
            cutoff_minutes=None,
            component="all",
        )
    reachable_from_island = nx.descendants(nx_drive, island)
    row = tm.minutes.toarray()[0]
    np.testing.assert_array_equal(row > 0, [m in reachable_from_island for m in main])
    # Default: snapped to the main network instead, so every pair has a route.
    routed = network_matrix(
        futian, _lonlat(nx_drive, [island, *main]), _lonlat(nx_drive, main), cutoff_minutes=None
    )
    assert routed.minutes.nnz == 6 * 5
    assert "largest connected part" in routed.note


def test_walk_is_symmetric_and_slow(futian: RoadNetwork, nx_drive: nx.DiGraph) -> None:
    rng = np.random.default_rng(2)
    main = _main_nodes(nx_drive)
    points = _lonlat(nx_drive, [main[i] for i in rng.choice(len(main), 12, replace=False)])
    walk = network_matrix(futian, points, points, mode="walk", cutoff_minutes=None)
    m = walk.minutes.toarray()
    np.testing.assert_allclose(m, m.T, rtol=1e-9)
    drive = network_matrix(futian, points, points, cutoff_minutes=None).minutes.toarray()
    off = ~np.eye(12, dtype=bool)
    assert (m[off] > drive[off]).all()
    # 5 km/h on the flat, 3 km/h on steps: never faster than metres / 83.33 along the walked path.
    assert (m[off] >= walk.distance_m.toarray()[off] / (5000 / 60) * (1 - 1e-9)).all()


def test_ebike_avoids_expressways(futian: RoadNetwork) -> None:
    closed = {"motorway", "motorway_link", "trunk", "trunk_link", "steps"}
    speed = futian.speed_kmh["ebike"]
    for cls, kmh in zip(futian.highway, speed, strict=True):
        if set(cls.split(";")) & closed:
            assert math.isnan(kmh)
        else:
            assert kmh <= 25.0


# --------------------------------------------------------------------------- snapping


def test_point_beyond_max_snap_is_reported_and_dropped(
    futian: RoadNetwork, nx_drive: nx.DiGraph
) -> None:
    main = _main_nodes(nx_drive)
    demand = _lonlat(nx_drive, main[:3])
    far = demand[0] + [0.0, 0.05]  # about 5.5 km north of Futian's edge
    demand = np.vstack([demand, far])
    sites = _lonlat(nx_drive, main[10:13])
    with pytest.warns(RoutingWarning, match=r"1 of 4 demand points \(indices 3\).*dropped"):
        tm = network_matrix(futian, demand, sites, unsnapped="drop", cutoff_minutes=None)
    np.testing.assert_array_equal(tm.unroutable_demand, [3])
    assert tm.minutes[[3], :].nnz == 0
    assert "1 of 4 demand points" in tm.note
    assert "dropped" in tm.note


def test_point_beyond_max_snap_falls_back_to_straight_line(
    futian: RoadNetwork, nx_drive: nx.DiGraph
) -> None:
    from planner.travel.straight_line import straight_line_matrix

    main = _main_nodes(nx_drive)
    sites = _lonlat(nx_drive, main[:2])
    north = futian.bounds_lonlat[3] + 0.005  # about 550 m beyond the northernmost node
    demand = np.vstack([_lonlat(nx_drive, main[5:7]), [sites[0, 0], north]])
    with pytest.warns(RoutingWarning, match="straight-line"):
        tm = network_matrix(
            futian, demand, sites, max_snap_m=200.0, detour_factor=1.4, cutoff_minutes=None
        )
    np.testing.assert_array_equal(tm.unroutable_demand, [2])
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, futian.crs, always_xy=True)
    dxy = np.column_stack(tr.transform(demand[2:, 0], demand[2:, 1]))
    sxy = np.column_stack(tr.transform(sites[:, 0], sites[:, 1]))
    expected = straight_line_matrix(dxy, sxy, detour_factor=1.4, speed_kmh=25.0)
    np.testing.assert_allclose(tm.minutes.toarray()[2], expected.minutes[0])
    np.testing.assert_allclose(tm.distance_m.toarray()[2], expected.distance_m[0])
    assert tm.detour_factor == 1.4
    assert tm.speed_kmh == 25.0


def test_access_leg_is_added(futian: RoadNetwork, nx_drive: nx.DiGraph) -> None:
    from pyproj import Transformer

    main = _main_nodes(nx_drive)
    south = min(main, key=lambda n: nx_drive.nodes[n]["lat"])
    node = _lonlat(nx_drive, [south])
    site = _lonlat(nx_drive, main[:1])
    exact = network_matrix(futian, node, site, cutoff_minutes=None)
    # 0.0009 deg (~100 m) due south of the southernmost node: that node is the nearest one.
    offset = node - np.array([0.0, 0.0009])
    moved = network_matrix(futian, offset, site, cutoff_minutes=None)
    tr = Transformer.from_crs(4326, futian.crs, always_xy=True)
    (x0, x1), (y0, y1) = tr.transform([node[0, 0], offset[0, 0]], [node[0, 1], offset[0, 1]])
    access_m = math.hypot(x1 - x0, y1 - y0)
    assert 90 < access_m < 110
    assert moved.distance_m[0, 0] == pytest.approx(exact.distance_m[0, 0] + access_m)
    # the access leg runs at ACCESS_SPEED_KMH["drive"] = 15 km/h
    assert moved.minutes[0, 0] == pytest.approx(exact.minutes[0, 0] + access_m / 250.0)


# --------------------------------------------------------------------------- chunks, cache


def test_chunked_and_threaded_runs_equal_serial(futian: RoadNetwork) -> None:
    rng = np.random.default_rng(3)
    b = futian.bounds_lonlat
    demand = np.column_stack([rng.uniform(b[0], b[2], 50), rng.uniform(b[1], b[3], 50)])
    sites = np.column_stack([rng.uniform(b[0], b[2], 9), rng.uniform(b[1], b[3], 9)])
    kwargs = {"max_snap_m": 5000.0, "cutoff_minutes": 8.0}
    one = network_matrix(futian, demand, sites, **kwargs)
    with ThreadPoolExecutor(2) as pool:
        many = network_matrix(futian, demand, sites, chunk_size=2, executor=pool, **kwargs)
    for a, c in ((one.minutes, many.minutes), (one.distance_m, many.distance_m)):
        np.testing.assert_array_equal(a.indptr, c.indptr)
        np.testing.assert_array_equal(a.indices, c.indices)
        np.testing.assert_array_equal(a.data, c.data)
    job = prepare_routing(futian, demand, sites, chunk_size=4, **kwargs)
    assert [c.size for c in job.chunks()] == [4, 4, 1]
    minutes, _ = assemble_matrix(job, [route_chunk(job, c) for c in job.chunks()])
    np.testing.assert_array_equal(minutes.toarray(), one.minutes.toarray())


@pytest.mark.parametrize("kernel", ["numba", "scipy"])
def test_both_kernels_give_the_same_matrix(
    futian: RoadNetwork, nx_drive: nx.DiGraph, kernel: str
) -> None:
    if kernel == "numba":
        pytest.importorskip("numba")
    rng = np.random.default_rng(4)
    main = _main_nodes(nx_drive)
    demand = _lonlat(nx_drive, [main[i] for i in rng.choice(len(main), 80, replace=False)])
    sites = _lonlat(nx_drive, [main[i] for i in rng.choice(len(main), 7, replace=False)])
    job = prepare_routing(futian, demand, sites, cutoff_minutes=6.0, kernel=kernel, chunk_size=3)  # type: ignore[arg-type]
    assert job.kernel == kernel
    minutes, dist = assemble_matrix(job, [route_chunk(job, c) for c in job.chunks()])
    reference = network_matrix(futian, demand, sites, cutoff_minutes=6.0)
    np.testing.assert_array_equal(minutes.indptr, reference.minutes.indptr)
    np.testing.assert_array_equal(minutes.indices, reference.minutes.indices)
    np.testing.assert_allclose(minutes.data, reference.minutes.data, rtol=1e-12)
    np.testing.assert_allclose(dist.data, reference.distance_m.data, rtol=1e-9)


@pytest.mark.parametrize("limit", [math.inf, 4.0])
def test_dijkstra_kernels_agree_bit_for_bit(futian: RoadNetwork, limit: float) -> None:
    """The one Dijkstra body behind the one-thread, the parallel and the reached-targets
    kernels: same minutes and path lengths to the bit, times equal to scipy's."""
    pytest.importorskip("numba")
    from scipy.sparse.csgraph import dijkstra

    from planner.travel import kernels
    from planner.travel.routing import build_mode_graph, reversed_csr

    mode = build_mode_graph(futian.n_nodes, futian.edge_from, futian.edge_to, futian.length_m,
                            futian.speed_kmh["drive"], oneway=True)  # fmt: skip
    graph, length = reversed_csr(mode)
    indptr, indices = graph.indptr.astype(np.int64), graph.indices.astype(np.int64)
    n = futian.n_nodes
    sources = np.random.default_rng(5).choice(n, 60, replace=False).astype(np.int64)
    limits = np.full(sources.size, limit)
    targets = np.arange(n, dtype=np.int64)
    runs = []
    for kernel in (kernels.targets_dijkstra, kernels.targets_dijkstra_parallel):
        minutes, metres = np.empty((sources.size, n)), np.empty((sources.size, n))
        kernel(indptr, indices, graph.data, length, sources, limits, targets, minutes, metres)
        runs.append((minutes, metres))
    minutes, metres = np.full((sources.size, n), np.inf), np.zeros((sources.size, n))
    dist, plen = np.full(n, np.inf), np.zeros(n)
    touched, out_t = np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64)
    out_m, out_l = np.empty(n), np.empty(n)
    for r, s in enumerate(sources):
        k = kernels.reached_targets(indptr, indices, graph.data, length, int(s), limit, targets,
                                    dist, plen, touched, out_t, out_m, out_l)  # fmt: skip
        minutes[r, out_t[:k]], metres[r, out_t[:k]] = out_m[:k], out_l[:k]
    assert np.isinf(dist).all()
    assert not plen.any()  # work arrays restored
    runs.append((minutes, metres))
    for other in runs[1:]:
        np.testing.assert_array_equal(other[0], runs[0][0])
        reached = np.isfinite(runs[0][0])
        np.testing.assert_array_equal(other[1][reached], runs[0][1][reached])
    reference = dijkstra(graph, directed=True, indices=sources, limit=limit)
    np.testing.assert_allclose(runs[0][0], reference, rtol=1e-12)
    assert np.isfinite(runs[0][0]).sum() > sources.size  # the searches went somewhere
    assert kernels.targets_dijkstra_parallel.targetoptions.get("parallel")
    assert not kernels.targets_dijkstra.targetoptions.get("parallel")


def test_cache_hit_returns_same_matrix_without_recomputing(
    futian: RoadNetwork, nx_drive: nx.DiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    main = _main_nodes(nx_drive)
    demand, sites = _lonlat(nx_drive, main[:30]), _lonlat(nx_drive, main[100:105])
    calls = []
    real = _road_routing.route_chunk

    def counting(job: _road_routing.RoutingJob, chunk: np.ndarray) -> _road_routing.ChunkResult:
        calls.append(chunk.size)
        return real(job, chunk)

    monkeypatch.setattr(_road_routing, "route_chunk", counting)
    first = network_matrix(futian, demand, sites, cache_dir=tmp_path, cutoff_minutes=10)
    assert len(calls) == 1
    assert len(list(tmp_path.glob("travel-*.npz"))) == 1
    again = network_matrix(futian, demand, sites, cache_dir=tmp_path, cutoff_minutes=10)
    assert len(calls) == 1
    assert sp.issparse(again.minutes)
    np.testing.assert_array_equal(again.minutes.toarray(), first.minutes.toarray())
    np.testing.assert_array_equal(again.distance_m.toarray(), first.distance_m.toarray())
    assert again.note == first.note
    assert again.cutoff_minutes == 10.0
    network_matrix(futian, demand, sites, cache_dir=tmp_path, cutoff_minutes=12)
    assert len(calls) == 2  # another cut-off is another key


# --------------------------------------------------------------------------- service areas


def test_service_areas_grow_with_time_and_contain_the_site(
    futian: RoadNetwork, nx_drive: nx.DiGraph
) -> None:
    import shapely

    main = _main_nodes(nx_drive)
    sites = _lonlat(nx_drive, [main[0], main[len(main) // 2]])
    areas = service_areas(futian, sites, [3, 6])
    assert areas.crs.to_epsg() == 4326
    assert list(areas["site_index"]) == [0, 0, 1, 1]
    assert list(areas["minutes"]) == [3.0, 6.0, 3.0, 6.0]
    for k in (0, 1):
        small, large = areas.geometry.iloc[2 * k], areas.geometry.iloc[2 * k + 1]
        assert small.contains(shapely.Point(sites[k]))
        assert large.buffer(1e-7).contains(small)
        assert areas["area_km2"].iloc[2 * k + 1] > areas["area_km2"].iloc[2 * k] > 0


# --------------------------------------------------------------------------- other formats


def _toy_lines() -> list[tuple[list[tuple[float, float]], dict[str, object]]]:
    """A cross of two-way roads, a one-way spur, and an overpass that touches nothing."""
    x0, y0 = 114.0, 22.5
    d = 0.001
    return [
        ([(x0, y0), (x0 + d, y0)], {"highway": "primary", "oneway": "no"}),
        ([(x0 + d, y0), (x0 + 2 * d, y0)], {"highway": "primary", "oneway": "no"}),
        ([(x0 + d, y0), (x0 + d, y0 + d)], {"highway": "residential", "oneway": "yes"}),
        ([(x0 + d, y0 + d), (x0, y0)], {"highway": "residential", "oneway": "no"}),
        # overpass crossing the first road in its middle without a shared endpoint
        ([(x0 + d / 2, y0 - d), (x0 + d / 2, y0 + d / 2)], {"highway": "trunk", "oneway": "no"}),
    ]


def _write_geojson(
    path: Path, lines: list[tuple[list[tuple[float, float]], dict[str, object]]]
) -> None:
    features = [
        {
            "type": "Feature",
            "properties": props,
            "geometry": {"type": "LineString", "coordinates": c},
        }
        for c, props in lines
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def test_line_layer_topology_matches_graphml(tmp_path: Path) -> None:
    lines = _toy_lines()
    _write_geojson(tmp_path / "roads.geojson", lines)
    from_lines = read_road_network(tmp_path / "roads.geojson")
    assert from_lines.n_nodes == 6  # 4 junctions/ends of the cross, 2 overpass ends
    # The same roads as an OSMnx-style GraphML, written by networkx.
    graph = nx.MultiDiGraph(crs="epsg:4326")
    ids = {}
    for coords, props in lines:
        for c in coords:
            ids.setdefault(c, str(len(ids)))
            graph.add_node(ids[c], x=c[0], y=c[1])
        a, b = ids[coords[0]], ids[coords[1]]
        length = _haversine(coords[0], coords[1])
        graph.add_edge(
            a, b, highway=props["highway"], length=length, oneway=str(props["oneway"] == "yes")
        )
        if props["oneway"] != "yes":
            graph.add_edge(b, a, highway=props["highway"], length=length, oneway="False")
    nx.write_graphml(graph, tmp_path / "roads.graphml")
    from_graphml = read_road_network(tmp_path / "roads.graphml")
    assert from_graphml.n_nodes == 6
    assert from_graphml.n_edges == from_lines.n_edges == 9
    pts = np.array(sorted({c for coords, _ in lines for c in coords}))
    with pytest.warns(RoutingWarning, match=r"2 demand points \(indices 1, 2\)"):  # the overpass
        a = network_matrix(
            from_lines, pts, pts, cutoff_minutes=None, max_snap_m=5.0, component="all"
        )
    with pytest.warns(RoutingWarning, match="small parts"):
        b = network_matrix(
            from_graphml, pts, pts, cutoff_minutes=None, max_snap_m=5.0, component="all"
        )
    np.testing.assert_allclose(a.minutes.toarray(), b.minutes.toarray(), rtol=1e-3)
    m = a.minutes.toarray()
    where = [tuple(p) for p in pts]
    junction, corner = (where.index(c) for c in lines[2][0])  # the one-way spur
    assert m[junction, corner] > 0
    assert m[corner, junction] > m[junction, corner]
    overpass = where.index(lines[4][0][0])
    assert m[overpass, junction] == 0  # the overpass never meets the cross


def test_graphml_reader_streams_and_keeps_only_what_routing_reads(tmp_path: Path) -> None:
    """Nodes and edges leave the XML tree as they are read and only coordinates, length,
    highway, maxspeed and oneway are kept: reading a file of long geometry and name text
    allocates a small share of its size (the whole-tree reader would hold all of it)."""
    import tracemalloc

    from planner.travel.network_io import read_graphml

    n = 2000
    geometry = "LINESTRING (" + ", ".join(["114.0123456 22.5123456"] * 400) + ")"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<key id="x" for="node" attr.name="x" attr.type="string"/>'
        '<key id="y" for="node" attr.name="y" attr.type="string"/>'
        '<key id="len" for="edge" attr.name="length" attr.type="string"/>'
        '<key id="hw" for="edge" attr.name="highway" attr.type="string"/>'
        '<key id="geo" for="edge" attr.name="geometry" attr.type="string"/>'
        '<key id="nm" for="edge" attr.name="name" attr.type="string"/>'
        '<graph edgedefault="directed">'
    ]
    parts += [
        f'<node id="{i}"><data key="x">{114 + i * 1e-5:.7f}</data>'
        f'<data key="y">{22.5 + (i % 7) * 1e-5:.7f}</data></node>'
        for i in range(n)
    ]
    parts += [
        f'<edge source="{i}" target="{(i + 1) % n}"><data key="len">{i % 90 + 5}.5</data>'
        f'<data key="hw">residential</data><data key="geo">{geometry}</data>'
        f'<data key="nm">{"路" * 200}</data></edge>'
        for i in range(n)
    ]
    path = tmp_path / "long_text.graphml"
    path.write_text("".join(parts) + "</graph></graphml>\n", encoding="utf-8")
    size = path.stat().st_size
    assert size > 20_000_000
    read_graphml(path, None)  # imports (pyproj...) outside the measurement
    tracemalloc.start()
    try:
        raw = read_graphml(path, None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert raw.edge_from.size == n
    np.testing.assert_array_equal(raw.length_m, np.arange(n) % 90 + 5.5)
    assert set(raw.highway.tolist()) == {"residential"}
    assert peak < size / 5, (peak, size)


def _haversine(p: tuple[float, float], q: tuple[float, float]) -> float:
    lat1, lat2 = math.radians(p[1]), math.radians(q[1])
    dlat, dlon = lat2 - lat1, math.radians(q[0] - p[0])
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * 6_371_009.0 * math.asin(math.sqrt(h))


def test_osm_pbf_is_split_at_shared_nodes(tmp_path: Path) -> None:
    osmium = pytest.importorskip("osmium")
    from osmium.osm.mutable import Node, Way

    path = tmp_path / "toy.osm.pbf"
    writer = osmium.SimpleWriter(str(path))
    coords = {1: (114.00, 22.50), 2: (114.01, 22.50), 3: (114.02, 22.50), 4: (114.01, 22.51)}
    for i, xy in coords.items():
        writer.add_node(Node(id=i, location=xy, version=1, tags={}))
    writer.add_way(Way(id=10, nodes=[1, 2, 3], tags={"highway": "primary", "maxspeed": "60"}))
    writer.add_way(Way(id=11, nodes=[2, 4], tags={"highway": "residential", "oneway": "yes"}))
    writer.add_way(Way(id=12, nodes=[3, 4], tags={"building": "yes"}))
    writer.close()
    net = read_road_network(path)
    assert sorted(net.node_id.tolist()) == ["1", "2", "3", "4"]
    arcs = {
        (net.node_id[a], net.node_id[b]) for a, b in zip(net.edge_from, net.edge_to, strict=True)
    }
    assert arcs == {("1", "2"), ("2", "1"), ("2", "3"), ("3", "2"), ("2", "4")}
    primary = net.highway == "primary"
    np.testing.assert_allclose(net.speed_kmh["drive"][primary], 60.0)


# --------------------------------------------------------------------------- bad input


def test_not_a_graph_file_is_a_data_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.graphml"
    text.write_text("this is not xml")
    with pytest.raises(DataError, match=r"notes\.graphml.*not valid GraphML"):
        read_road_network(text)
    xml = tmp_path / "other.graphml"
    xml.write_text("<root><a/></root>")
    with pytest.raises(DataError, match=r"other\.graphml.*not GraphML"):
        read_road_network(xml)
    pts = tmp_path / "points.geojson"
    pts.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {"type": "Point", "coordinates": [114, 22]},
                    }
                ],
            }
        )
    )
    with pytest.raises(DataError, match=r"points\.geojson.*LineString"):
        read_road_network(pts)
    with pytest.raises(DataError, match="does not exist"):
        read_road_network(tmp_path / "missing.graphml")
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(DataError, match=r"unknown type '\.csv'"):
        read_road_network(tmp_path / "x.csv")


def test_projected_graphml_is_converted_or_needs_crs(tmp_path: Path) -> None:
    from pyproj import Transformer

    tr = Transformer.from_crs(4326, 32650, always_xy=True)
    (x0, x1), (y0, y1) = tr.transform([114.00, 114.01], [22.53, 22.53])
    graph = nx.MultiDiGraph(crs="EPSG:32650")
    graph.add_node("a", x=x0, y=y0)
    graph.add_node("b", x=x1, y=y1)
    graph.add_edge("a", "b", highway="primary", length=abs(x1 - x0), oneway="True")
    nx.write_graphml(graph, tmp_path / "utm.graphml")
    net = read_road_network(tmp_path / "utm.graphml")
    np.testing.assert_allclose(net.lon, [114.00, 114.01], atol=1e-9)
    np.testing.assert_allclose(net.lat, [22.53, 22.53], atol=1e-9)
    del graph.graph["crs"]
    nx.write_graphml(graph, tmp_path / "no_crs.graphml")
    with pytest.raises(DataError, match=r"no_crs\.graphml.*not lon/lat degrees.*crs="):
        read_road_network(tmp_path / "no_crs.graphml")
    assert read_road_network(tmp_path / "no_crs.graphml", crs="EPSG:32650").n_edges == 1


def test_empty_graph_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.graphml"
    nx.write_graphml(nx.MultiDiGraph(crs="epsg:4326"), path)
    with pytest.raises(DataError, match=r"empty\.graphml has 0 nodes and 0 edges"):
        read_road_network(path)


def test_points_outside_the_network_area_are_an_input_error(futian: RoadNetwork) -> None:
    wuhan = np.array([[114.30, 30.58], [114.31, 30.59]])
    inside = np.array([[114.02, 22.54]])
    with pytest.raises(InputError, match=r"None of the 2 points in `demand_lonlat`.*futian"):
        network_matrix(futian, wuhan, inside)
    with pytest.raises(InputError, match=r"`site_lonlat`"):
        network_matrix(futian, inside, wuhan)


def test_points_in_projected_crs_are_an_input_error(futian: RoadNetwork) -> None:
    projected = np.array([[806_000.0, 2_496_000.0]])
    with pytest.raises(InputError, match=r"`demand_lonlat` is not lon/lat.*to_crs\(4326\)"):
        network_matrix(futian, projected, np.array([[114.02, 22.54]]))


def test_projected_geodataframe_is_converted(futian: RoadNetwork) -> None:
    import geopandas as gpd

    lonlat = np.array([[114.02, 22.54], [114.01, 22.53]])
    gdf = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lonlat[:, 0], lonlat[:, 1]), crs=4326)
    a = network_matrix(futian, lonlat, lonlat)
    b = network_matrix(futian, gdf.to_crs(futian.crs), gdf)
    np.testing.assert_allclose(a.minutes.toarray(), b.minutes.toarray(), rtol=1e-6)
    with pytest.raises(InputError, match="`demand_lonlat` has no CRS"):
        network_matrix(futian, gdf.set_crs(None, allow_override=True), lonlat)


def test_unknown_or_unserved_mode_is_an_input_error(futian: RoadNetwork, tmp_path: Path) -> None:
    pts = np.array([[114.02, 22.54]])
    with pytest.raises(InputError, match=r"`mode` must be one of drive, walk, ebike; got 'bus'"):
        network_matrix(futian, pts, pts, mode="bus")  # type: ignore[arg-type]
    footpaths = [(c, {"highway": "footway"}) for c, _ in _toy_lines()]
    _write_geojson(tmp_path / "paths.geojson", footpaths)
    net = read_road_network(tmp_path / "paths.geojson")
    assert net.modes_served == ("walk", "ebike")
    with pytest.raises(InputError, match=r"no road open to mode 'drive'.*footway"):
        network_matrix(net, pts, pts, mode="drive")


def test_bad_settings_name_the_setting(futian: RoadNetwork) -> None:
    pts = np.array([[114.02, 22.54]])
    with pytest.raises(ConfigError, match=r"`speeds\['drive'\]\['primary'\]`"):
        read_road_network(FUTIAN, speeds={"drive": {"primary": -5}})
    with pytest.raises(ConfigError, match="unknown mode 'boat'"):
        read_road_network(FUTIAN, speeds={"boat": {"primary": 5}})
    with pytest.raises(InputError, match="`unsnapped`"):
        network_matrix(futian, pts, pts, unsnapped="guess")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="`cutoff_minutes`"):
        network_matrix(futian, pts, pts, cutoff_minutes=0)
    with pytest.raises(InputError, match="`detour_factor`"):
        network_matrix(futian, pts, pts, detour_factor=0.5)
    with pytest.raises(InputError, match="`network` must be a RoadNetwork"):
        network_matrix("futian.graphml", pts, pts)  # type: ignore[arg-type]


def test_speed_overrides_change_times(futian: RoadNetwork, nx_drive: nx.DiGraph) -> None:
    slow = read_road_network(FUTIAN, speeds={"drive": {"primary": 10.0, "secondary": 10.0}})
    main = _main_nodes(nx_drive)
    pts = _lonlat(nx_drive, [main[0], main[-1]])
    fast_m = network_matrix(futian, pts, pts, cutoff_minutes=None).minutes.toarray()
    slow_m = network_matrix(slow, pts, pts, cutoff_minutes=None).minutes.toarray()
    assert slow_m[0, 1] >= fast_m[0, 1]
    assert slow.fingerprint != futian.fingerprint
