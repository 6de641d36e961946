"""Network travel by blocks of sites on an executor (planner.travel.road_blocks): each task
carries only the roads within reach, and the matrix is exactly the single-machine one."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from planner.errors import InputError
from planner.travel import road_blocks, routing
from planner.travel.road_matrix import network_matrix, prepare_routing
from planner.travel.road_network import RoadNetwork, RoutingWarning, read_road_network

FUTIAN = Path(__file__).parent / "data" / "futian_drive.graphml"
OPTS = {"max_snap_m": 5000.0}


@pytest.fixture(scope="module")
def futian() -> RoadNetwork:
    return read_road_network(FUTIAN)


def _points(net: RoadNetwork, n: int, seed: int) -> np.ndarray:
    b = net.bounds_lonlat
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(b[0], b[2], n), rng.uniform(b[1], b[3], n)])


def _assert_same(a: sp.csr_array, b: sp.csr_array) -> None:
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("kernel", ["numba", "scipy"])
@pytest.mark.parametrize("cutoff", [2.0, 3.0, 8.0, None])
def test_blocks_on_an_executor_give_the_single_machine_matrix(
    futian: RoadNetwork, monkeypatch: pytest.MonkeyPatch, kernel: str, cutoff: float | None
) -> None:
    if kernel == "scipy":
        monkeypatch.setattr(routing, "numba_available", lambda: False)
    demand, sites = _points(futian, 400, 3), _points(futian, 60, 4)
    one = network_matrix(futian, demand, sites, cutoff_minutes=cutoff, **OPTS)
    with ThreadPoolExecutor(2) as pool:
        many = network_matrix(
            futian, demand, sites, cutoff_minutes=cutoff, chunk_size=3, executor=pool, **OPTS
        )
    assert one.minutes.nnz > 0
    _assert_same(one.minutes, many.minutes)
    _assert_same(one.distance_m, many.distance_m)


def test_short_cutoffs_ship_only_part_of_the_graph(futian: RoadNetwork) -> None:
    demand, sites = _points(futian, 400, 3), _points(futian, 60, 4)
    job = prepare_routing(futian, demand, sites, cutoff_minutes=2.0, **OPTS)
    bound = road_blocks.reach(futian, "drive")
    groups = road_blocks.site_blocks(job, futian.x_m, futian.y_m, reach=bound, block_sites=3)
    assert sorted(np.concatenate(groups)) == list(np.flatnonzero(job.site_node >= 0))
    assert max(g.size for g in groups) <= 3
    builder = road_blocks.BlockBuilder(job, futian.x_m, futian.y_m, reach=bound)
    blocks = [builder.block(g) for g in groups]
    assert min(b.n_nodes for b in blocks) < futian.n_nodes / 2
    for b in blocks:
        # every demand point of a block is on one of its nodes; its sites too
        assert (b.job.demand_node >= 0).all()
        assert (b.job.demand_node < b.n_nodes).all()
        assert (b.job.site_node >= 0).all()
        assert b.job.demand_node.size < demand.shape[0]


def _assert_reach_bounds_paths(net: RoadNetwork, bound: road_blocks.Reach) -> None:
    from scipy.sparse.csgraph import dijkstra

    g = net.mode_graph("drive").csr(reverse=False)
    for source in (0, 500, 1200):
        t = dijkstra(g, indices=source)
        ok = np.flatnonzero(np.isfinite(t))
        d = np.hypot(net.x_m[ok] - net.x_m[source], net.y_m[ok] - net.y_m[source])
        radius = np.array([bound.radius(float(v)) for v in t[ok]])
        assert (d <= radius + 1e-6).all()


def test_reach_bounds_every_shortest_path(futian: RoadNetwork) -> None:
    """No node is farther (straight line) from a source than the reach of its travel time."""
    bound = road_blocks.reach(futian, "drive")
    # the drive table's top speed in this graph is 60 km/h = 1,000 m/min; UTM scale adds a little
    assert 1000.0 <= bound.top_speed < 1005.0
    assert bound.speed == pytest.approx(1002.0)
    assert bound.extra_m < 1.0
    _assert_reach_bounds_paths(futian, bound)


def test_arcs_shorter_than_the_straight_line_add_their_excess(futian: RoadNetwork) -> None:
    """Recorded lengths below the straight line (bad data) widen the reach, soundly."""
    length = futian.length_m.copy()
    length[::50] *= 0.2  # every 50th arc claims a fifth of its length
    length.setflags(write=False)
    g0 = futian.mode_graph("drive")
    bad = dataclasses.replace(futian, length_m=length)
    bad.__dict__.pop("_mode_graphs", None)
    bound = road_blocks.reach(bad, "drive")
    assert bound.top_speed > 2 * road_blocks.reach(futian, "drive").top_speed
    assert bound.extra_m > 100.0
    assert bad.mode_graph("drive").arc_key.size == g0.arc_key.size
    _assert_reach_bounds_paths(bad, bound)
    demand, sites = _points(bad, 300, 5), _points(bad, 40, 6)
    one = network_matrix(bad, demand, sites, cutoff_minutes=2.0, **OPTS)
    with ThreadPoolExecutor(2) as pool:
        many = network_matrix(
            bad, demand, sites, cutoff_minutes=2.0, chunk_size=3, executor=pool, **OPTS
        )
    _assert_same(one.minutes, many.minutes)
    _assert_same(one.distance_m, many.distance_m)


def test_a_speed_bound_too_low_would_lose_pairs(
    futian: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reach radius is what keeps the matrix whole (the comparison above can fail)."""
    demand, sites = _points(futian, 400, 3), _points(futian, 60, 4)
    one = network_matrix(futian, demand, sites, cutoff_minutes=3.0, **OPTS)
    true_reach = road_blocks.reach

    def half(net: RoadNetwork, mode: str) -> road_blocks.Reach:
        r = true_reach(net, mode)
        return road_blocks.Reach(r.top_speed / 2, r.speed / 2, 0.0)

    monkeypatch.setattr(road_blocks, "reach", half)
    with ThreadPoolExecutor(2) as pool:
        cut = network_matrix(
            futian, demand, sites, cutoff_minutes=3.0, chunk_size=3, executor=pool, **OPTS
        )
    assert cut.minutes.nnz < one.minutes.nnz


def test_no_cutoff_on_a_big_network_is_refused_on_a_cluster(
    futian: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(road_blocks, "WHOLE_GRAPH_MAX_NODES", 1000)
    demand, sites = _points(futian, 20, 3), _points(futian, 4, 4)
    with (
        ThreadPoolExecutor(1) as pool,
        pytest.raises(
            InputError,
            match=r"travel\.cutoff_minutes.*1,751 nodes|1,751 nodes.*travel\.cutoff_minutes",
        ),
    ):
        network_matrix(futian, demand, sites, cutoff_minutes=None, executor=pool, **OPTS)
    # on one machine the same call is fine
    assert network_matrix(futian, demand, sites, cutoff_minutes=None, **OPTS).minutes.nnz > 0


def test_a_failing_task_is_raised_and_the_rest_cancelled(
    futian: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(block: road_blocks.RouteBlock) -> None:
        raise RuntimeError("worker lost")

    monkeypatch.setattr(road_blocks, "route_block", boom)
    demand, sites = _points(futian, 50, 3), _points(futian, 30, 4)
    with ThreadPoolExecutor(1) as pool, pytest.raises(RuntimeError, match="worker lost"):
        network_matrix(
            futian, demand, sites, cutoff_minutes=2.0, chunk_size=2, executor=pool, **OPTS
        )


@pytest.mark.parametrize("component", ["largest", "all"])
def test_unroutable_points_and_small_components_match_too(
    futian: RoadNetwork, component: str
) -> None:
    """Points beyond max_snap_m (straight-line fallback, computed here) and points on
    small cut-off parts of the network: the cluster's matrix is still the same."""
    demand, sites = _points(futian, 300, 7), _points(futian, 40, 8)
    opts = {"max_snap_m": 60.0, "cutoff_minutes": 3.0, "component": component}
    with pytest.warns(RoutingWarning):
        one = network_matrix(futian, demand, sites, **opts)
    assert one.unroutable_demand.size > 0
    assert one.unroutable_sites.size > 0
    with ThreadPoolExecutor(2) as pool, pytest.warns(RoutingWarning):
        many = network_matrix(futian, demand, sites, chunk_size=3, executor=pool, **opts)
    np.testing.assert_array_equal(one.unroutable_sites, many.unroutable_sites)
    _assert_same(one.minutes, many.minutes)
    _assert_same(one.distance_m, many.distance_m)
