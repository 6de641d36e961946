"""Network travel costs on a cluster: one task per block of nearby sites, each task
carrying only the roads it can reach within the cut-off.

Shipping the whole routing job (the province's road graph and every demand point)
with each task makes a worker's memory grow with the province. Here each task gets:

* a block of at most ``block_sites`` sites that lie close together (the sites are
  grouped by square tiles of the reach radius, then by position within a tile);
* the sub-graph of the road nodes inside the block's bounding box expanded by the
  **reach radius** ``R``: how far in a straight line a search can get within
  ``limit``, the cut-off less the block's quickest access leg (:class:`Reach`: the
  network's fastest arc speed x ``limit``, plus what arcs shorter than the straight
  line between their ends add; from the network's own data);
* the demand points snapped to those nodes.

**Why nothing is lost.** Along any road path the straight-line distance covered is at
most the sum of its arcs' straight-line lengths (triangle inequality), each at most
``v`` times the arc's minutes plus the arc's excess over that (the definition of the
excess, summed over all arcs in :attr:`Reach.extra_m`). A node the search can reach
within ``limit`` minutes therefore lies within ``R`` of the site, and so does every
node on the way to it: the search on the sub-graph settles exactly the nodes,
in exactly the order, of the search on the whole graph. The sub-graph keeps the
nodes' order and each node's arcs in order, so the kernel does the same additions in
the same order and the matrix is bit-for-bit the single-machine one (tested).

**What bounds a task's memory**: the road nodes in a box of side ``tile + 2 R`` (with
``tile = R``) and the pairs of at most ``block_sites`` sites with the demand points
within ``R`` of them: it depends on the cut-off, the network's top speed, the road and
demand density and ``block_sites``, not on the province's size. Without a cut-off
every task needs the whole graph, which is refused above
:data:`WHOLE_GRAPH_MAX_NODES` nodes.

The tasks go out ``window`` at a time (built on the client as they are sent), so
neither the client nor the workers hold more than a window of sub-graphs.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError
from planner.travel import routing
from planner.travel.road_network import RoadNetwork
from planner.travel.routing import MIN_ENTRY, ChunkResult, RoutingJob

__all__ = [
    "BLOCK_SITES",
    "WHOLE_GRAPH_MAX_NODES",
    "WINDOW_TASKS",
    "BlockBuilder",
    "Reach",
    "RouteBlock",
    "check_bounded",
    "reach",
    "route_block",
    "run_blocks",
    "site_blocks",
]

#: Sites per task at most (the task's pairs grow with it).
BLOCK_SITES = 32
#: Tasks sent to the executor at a time.
WINDOW_TASKS = 8
#: Without a cut-off each task carries the whole graph: refused above this many nodes.
WHOLE_GRAPH_MAX_NODES = 1_000_000
#: Relative and absolute margins (metres) added to the reach radius against float rounding.
_REACH_RTOL = 1e-6
_REACH_ATOL_M = 1.0
#: Straight lines in the network's UTM zone may exceed true lengths by the zone's scale
#: (at most about 1.001 within a zone); allowed for in :attr:`Reach.speed`.
_PROJECTION_ALLOWANCE = 2e-3


@dataclass(frozen=True, eq=False)
class RouteBlock:
    """One task: a routing job on a sub-graph, and the global indices of its points.

    ``job`` holds local node numbers; ``demand_index[i]`` / ``site_index[j]`` are the
    global demand / site indices of its ``i``-th demand point and ``j``-th site.
    """

    job: RoutingJob
    demand_index: np.ndarray
    site_index: np.ndarray
    n_nodes_total: int

    @property
    def n_nodes(self) -> int:
        """Road nodes carried by this task."""
        return int(self.job.graph_reversed.shape[0])

    @property
    def n_arcs(self) -> int:
        """Road arcs carried by this task."""
        return int(self.job.graph_reversed.nnz)


@dataclass(frozen=True)
class Reach:
    """How far (straight line, metres) a road search can get in a given time.

    Two sound bounds, the smaller one is used: ``top_speed x minutes`` (the largest
    straight-line length over travel time of any arc), and ``speed x minutes + extra_m``
    where ``speed`` is the fastest arc's *nominal* speed (length over time) with a
    0.2 % allowance for the projection's scale, and ``extra_m`` the total by which arcs
    cover more straight-line distance than that speed allows (a path uses an arc at most
    once). On clean data (recorded lengths at least the straight line) ``extra_m`` is 0;
    a few arcs with lengths shorter than their ends' distance only add their excess
    instead of raising the speed for every path.
    """

    top_speed: float  # m/min
    speed: float  # m/min
    extra_m: float

    def radius(self, minutes: float) -> float:
        """Metres reachable within ``minutes`` (``inf`` for ``inf``)."""
        if not math.isfinite(minutes):
            return math.inf
        return min(self.top_speed * minutes, self.speed * minutes + self.extra_m)


def reach(network: RoadNetwork, mode: str) -> Reach:
    """The :class:`Reach` of ``mode`` on ``network``, from its own arcs (not an assumed limit).

    Straight-line arc lengths come from the node coordinates in the network's metric CRS.
    """
    g = network.mode_graph(mode)
    if g.arc_key.size == 0:
        return Reach(0.0, 0.0, 0.0)
    a, b = g.arc_from, g.arc_to
    straight = np.hypot(network.x_m[a] - network.x_m[b], network.y_m[a] - network.y_m[b])
    top = float((straight / g.arc_minutes).max())
    nominal = float((g.arc_length_m / g.arc_minutes).max()) * (1.0 + _PROJECTION_ALLOWANCE)
    extra = float(np.maximum(straight - nominal * g.arc_minutes, 0.0).sum())
    return Reach(top, nominal, extra)


def check_bounded(network: RoadNetwork, cutoff_minutes: float | None) -> None:
    """Refuse cluster routing without a cut-off on a graph above :data:`WHOLE_GRAPH_MAX_NODES`.

    Raises
    ------
    InputError
        Naming ``travel.cutoff_minutes``.
    """
    if cutoff_minutes is None and network.n_nodes > WHOLE_GRAPH_MAX_NODES:
        raise InputError(
            f"network travel on a cluster needs a cut-off for a road network of "
            f"{network.n_nodes:,} nodes (more than {WHOLE_GRAPH_MAX_NODES:,}): without one "
            "every task would carry the whole road graph. Set `travel.cutoff_minutes` "
            "(cutoff_minutes=, e.g. 60) so each task carries only the roads within reach, "
            "or compute the matrix on one machine (no executor)."
        )


def site_blocks(
    job: RoutingJob, x_m: np.ndarray, y_m: np.ndarray, *, reach: Reach, block_sites: int
) -> list[np.ndarray]:
    """Routable sites in blocks of at most ``block_sites`` that lie close together.

    Sites are grouped by square tiles of side ``reach.radius(cut-off)``,
    ordered by tile, and within a tile by x then y; a tile's run is cut every
    ``block_sites`` sites. Each block's indices are sorted.
    """
    routable = np.flatnonzero(job.site_node >= 0)
    if routable.size == 0:
        return []
    sx = x_m[job.site_node[routable]]
    sy = y_m[job.site_node[routable]]
    side = reach.radius(job.cutoff_minutes)
    if math.isfinite(side) and side > 0:
        tx = np.floor((sx - sx.min()) / side).astype(np.int64)
        ty = np.floor((sy - sy.min()) / side).astype(np.int64)
    else:
        tx = ty = np.zeros(routable.size, dtype=np.int64)
    order = np.lexsort((sy, sx, tx, ty))
    tile = (ty * (int(tx.max()) + 1) + tx)[order]
    starts = np.flatnonzero(np.r_[True, tile[1:] != tile[:-1]])
    ends = np.r_[starts[1:], order.size]
    out = []
    for a, b in zip(starts, ends, strict=True):
        for i in range(a, b, block_sites):
            out.append(np.sort(routable[order[i : min(i + block_sites, b)]]))
    return out


class BlockBuilder:
    """Cuts :class:`RouteBlock` tasks out of a whole-network :class:`RoutingJob`.

    Sorts the nodes and the routable demand points by x once, so that each block
    costs the nodes, arcs and points of its own box.
    """

    def __init__(self, job: RoutingJob, x_m: np.ndarray, y_m: np.ndarray, *, reach: Reach):
        self.job = job
        self.x = np.asarray(x_m, dtype=np.float64)
        self.y = np.asarray(y_m, dtype=np.float64)
        self.reach = reach
        self.node_order = np.argsort(self.x, kind="stable")
        self.node_x = self.x[self.node_order]
        demand = np.flatnonzero(job.demand_node >= 0)
        dx = self.x[job.demand_node[demand]]
        order = np.argsort(dx, kind="stable")
        self.demand = demand[order]
        self.demand_x = dx[order]
        self._local = np.full(self.x.size, -1, dtype=np.int64)

    def reach_m(self, sites: np.ndarray) -> float:
        """Reach radius of a block in metres (``inf`` without a cut-off)."""
        job = self.job
        limit = max(job.cutoff_minutes - float(job.site_access_min[sites].min()), 0.0)
        if not math.isfinite(limit):
            return math.inf
        return self.reach.radius(limit) * (1.0 + _REACH_RTOL) + _REACH_ATOL_M

    def block(self, sites: np.ndarray) -> RouteBlock:
        """The task for ``sites`` (sorted global site indices, all routable)."""
        job = self.job
        n = self.x.size
        reach = self.reach_m(sites)
        nodes = job.site_node[sites]
        if not math.isfinite(reach):
            keep = np.arange(n)
            demand = np.sort(self.demand)
        else:
            x0, x1 = self.x[nodes].min() - reach, self.x[nodes].max() + reach
            y0, y1 = self.y[nodes].min() - reach, self.y[nodes].max() + reach
            i0 = np.searchsorted(self.node_x, x0, side="left")
            i1 = np.searchsorted(self.node_x, x1, side="right")
            cand = self.node_order[i0:i1]
            cy = self.y[cand]
            keep = np.sort(cand[(cy >= y0) & (cy <= y1)])
            j0 = np.searchsorted(self.demand_x, x0, side="left")
            j1 = np.searchsorted(self.demand_x, x1, side="right")
            dcand = self.demand[j0:j1]
            dy = self.y[job.demand_node[dcand]]
            demand = np.sort(dcand[(dy >= y0) & (dy <= y1)])
        sub, sub_length = self._subgraph(keep)
        local = self._local
        local[keep] = np.arange(keep.size)
        try:
            d_node = local[job.demand_node[demand]]
            s_node = local[nodes]
        finally:
            local[keep] = -1
        sub_job = replace(
            job,
            graph_reversed=sub,
            length_reversed_m=sub_length,
            demand_node=d_node,
            demand_access_min=job.demand_access_min[demand],
            demand_access_m=job.demand_access_m[demand],
            site_node=s_node,
            site_access_min=job.site_access_min[sites],
            site_access_m=job.site_access_m[sites],
            chunk_size=max(int(sites.size), 1),
            n_threads=1,
        )
        big = max(job.demand_node.size, job.site_node.size) >= 2**31
        index_dtype = np.int64 if big else np.int32
        return RouteBlock(sub_job, demand.astype(index_dtype), sites.astype(index_dtype), n)

    def _subgraph(self, keep: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
        """The reversed graph restricted to ``keep`` (sorted), node and arc order kept."""
        g = self.job.graph_reversed
        if keep.size == g.shape[0]:
            return g, self.job.length_reversed_m
        local = self._local
        local[keep] = np.arange(keep.size)
        try:
            indptr = g.indptr
            first = indptr[keep].astype(np.int64)
            counts = indptr[keep + 1].astype(np.int64) - first
            total = int(counts.sum())
            row_start = np.cumsum(counts) - counts
            pos = np.arange(total, dtype=np.int64) - np.repeat(row_start - first, counts)
            target = local[g.indices[pos]]
        finally:
            local[keep] = -1
        inside = target >= 0
        row = np.repeat(np.arange(keep.size, dtype=np.int64), counts)[inside]
        sub_indptr = np.zeros(keep.size + 1, dtype=np.int64)
        np.cumsum(np.bincount(row, minlength=keep.size), out=sub_indptr[1:])
        index_dtype = np.int32 if keep.size < 2**31 else np.int64
        sub = sp.csr_array(
            (g.data[pos[inside]], target[inside].astype(index_dtype), sub_indptr),
            shape=(keep.size, keep.size),
        )
        return sub, self.job.length_reversed_m[pos[inside]]


def route_block(block: RouteBlock) -> ChunkResult:
    """Pairs within the cut-off for one block, with global indices (runs on a worker).

    With the compiled kernel each site's search lists only the demand nodes it
    reaches (memory: the sub-graph plus the block's pairs); with scipy's Dijkstra
    (numba missing) it is :func:`planner.travel.routing.route_chunk` on the sub-graph.
    """
    job = block.job
    if job.kernel == "numba":
        local = _route_sparse(job)
    else:
        local = routing.route_chunk(job, np.arange(job.site_node.size))
    return ChunkResult(
        block.demand_index[local.demand_index],
        block.site_index[local.site_index],
        local.minutes,
        local.distance_m,
    )


def _route_sparse(job: RoutingJob) -> ChunkResult:
    """:func:`routing.route_chunk` for every site of ``job``, without dense arrays.

    The same arithmetic in the same order (times: path + site access + demand access;
    lengths: path + (site access + demand access)), so the same values.
    """
    from planner.travel.kernels import reached_targets

    g = job.graph_reversed
    indptr = g.indptr.astype(np.int64)
    indices = g.indices.astype(np.int64)
    n = g.shape[0]
    src_nodes, src_inv = np.unique(job.site_node, return_inverse=True)
    access = np.full(src_nodes.size, np.inf)
    np.minimum.at(access, src_inv, job.site_access_min)
    limits = np.maximum(job.cutoff_minutes - access, 0.0)
    dem_nodes, dem_inv = np.unique(job.demand_node, return_inverse=True)
    target_of = np.full(n, -1, dtype=np.int64)
    target_of[dem_nodes] = np.arange(dem_nodes.size)
    # demand points grouped by target node, in demand order within a node
    by_node = np.argsort(dem_inv, kind="stable")
    node_start = np.searchsorted(dem_inv[by_node], np.arange(dem_nodes.size + 1))
    site_order = np.argsort(src_inv, kind="stable")
    site_start = np.searchsorted(src_inv[site_order], np.arange(src_nodes.size + 1))
    dist = np.full(n, np.inf)
    plen = np.zeros(n)
    touched = np.empty(n, dtype=np.int64)
    out_t = np.empty(dem_nodes.size, dtype=np.int64)
    out_m = np.empty(dem_nodes.size)
    out_l = np.empty(dem_nodes.size)
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    mins: list[np.ndarray] = []
    lens: list[np.ndarray] = []
    for r in range(src_nodes.size):
        k = reached_targets(indptr, indices, g.data, job.length_reversed_m, int(src_nodes[r]),
                            float(limits[r]), target_of, dist, plen, touched, out_t, out_m,
                            out_l)  # fmt: skip
        if k == 0:
            continue
        tj = out_t[:k]
        counts = node_start[tj + 1] - node_start[tj]
        at = np.repeat(node_start[tj] - (np.cumsum(counts) - counts), counts)
        d = by_node[np.arange(int(counts.sum())) + at]
        t_path = np.repeat(out_m[:k], counts)
        l_path = np.repeat(out_l[:k], counts)
        for s in site_order[site_start[r] : site_start[r + 1]]:
            t = t_path + job.site_access_min[s]
            t += job.demand_access_min[d]
            keep = np.isfinite(t) & (t <= job.cutoff_minutes)
            if not keep.any():
                continue
            dk = d[keep]
            length = l_path[keep] + (job.site_access_m[s] + job.demand_access_m[dk])
            rows.append(dk)
            cols.append(np.full(dk.size, s, dtype=np.int64))
            mins.append(np.maximum(t[keep], MIN_ENTRY))
            lens.append(np.maximum(length, MIN_ENTRY))
    if not rows:
        e = np.empty(0, dtype=np.int64)
        return ChunkResult(e, e, np.empty(0), np.empty(0))
    return ChunkResult(
        np.concatenate(rows), np.concatenate(cols), np.concatenate(mins), np.concatenate(lens)
    )


def _blocks(builder: BlockBuilder, groups: list[np.ndarray]) -> Iterator[RouteBlock]:
    for sites in groups:
        yield builder.block(sites)


def _submit(executor: Executor, block: RouteBlock) -> Future[ChunkResult]:
    """``executor.submit(route_block, block)``, without Dask's "Sending large graph" warning:
    a task carries its sub-graph by design (about 10 MB for a dense 45 km box)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sending large graph", category=UserWarning)
        return executor.submit(route_block, block)


def run_blocks(
    network: RoadNetwork,
    mode: str,
    job: RoutingJob,
    executor: Executor,
    *,
    block_sites: int = BLOCK_SITES,
    window: int = WINDOW_TASKS,
) -> list[ChunkResult]:
    """Route every routable site of ``job`` on ``executor``, one task per block.

    Parameters
    ----------
    network, mode
        The network and mode ``job`` was prepared for (node coordinates, reach speed).
    job
        From :func:`planner.travel.road_matrix.prepare_routing` on the whole network.
    executor
        ``concurrent.futures`` executor (e.g. a Dask client's ``get_executor()``).
    block_sites
        Sites per task at most.
    window
        Tasks in flight at a time.

    Returns
    -------
    list of ChunkResult
        With global indices, in completion order (each site in exactly one).
    """
    if block_sites < 1 or window < 1:
        raise InputError("`block_sites` and `window` must be at least 1.")
    bound = reach(network, mode)
    groups = site_blocks(job, network.x_m, network.y_m, reach=bound, block_sites=block_sites)
    builder = BlockBuilder(job, network.x_m, network.y_m, reach=bound)
    results: list[ChunkResult] = []
    pending: set[Future[ChunkResult]] = set()
    try:
        for block in _blocks(builder, groups):
            if len(pending) >= window:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                results.extend(f.result() for f in done)
            pending.add(_submit(executor, block))
            del block
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            results.extend(f.result() for f in done)
    except BaseException:
        for f in pending:
            f.cancel()
        raise
    return results
