"""Shortest-path kernels for :mod:`planner.travel.road_matrix` (private; inputs are trusted).

The public functions validate; these assume valid arrays. Everything here is
picklable plain data so that chunks run in worker processes or on a Dask cluster.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

#: Smallest arc time in minutes: a zero-length OSM arc must still be an arc.
_MIN_ARC_MINUTES = 1e-9
#: Stored matrix entries are at least this (minutes / metres), so that a stored
#: entry is never a zero that a dense conversion would confuse with "absent".
MIN_ENTRY = 1e-6


@dataclass(frozen=True, eq=False)
class ModeGraph:
    """Arcs open to one mode, one arc per ordered node pair (the fastest of parallel arcs).

    ``arc_key`` (sorted) is ``from * n_nodes + to``; ``arc_minutes`` and ``arc_length_m``
    are aligned with it.
    """

    n_nodes: int
    arc_key: np.ndarray
    arc_minutes: np.ndarray
    arc_length_m: np.ndarray
    component: np.ndarray  # int label per node, 0 = the largest component
    component_sizes: np.ndarray  # nodes per label, descending
    has_arc: np.ndarray  # bool per node: touches an arc open to the mode

    @property
    def arc_from(self) -> np.ndarray:
        return self.arc_key // self.n_nodes

    @property
    def arc_to(self) -> np.ndarray:
        return self.arc_key % self.n_nodes

    def csr(self, *, reverse: bool) -> sp.csr_array:
        """Travel-time adjacency (minutes); ``reverse`` gives the graph with arcs flipped."""
        a, b = self.arc_from, self.arc_to
        if reverse:
            a, b = b, a
        return sp.csr_array((self.arc_minutes, (a, b)), shape=(self.n_nodes, self.n_nodes))


def build_mode_graph(
    n_nodes: int,
    edge_from: np.ndarray,
    edge_to: np.ndarray,
    length_m: np.ndarray,
    speed_kmh: np.ndarray,
    *,
    oneway: bool,
) -> ModeGraph:
    """Arcs usable by a mode; walkers (``oneway=False``) get every arc in both directions."""
    ok = np.isfinite(speed_kmh) & (speed_kmh > 0) & (edge_from != edge_to)
    u = edge_from[ok].astype(np.int64)
    v = edge_to[ok].astype(np.int64)
    length = length_m[ok]
    minutes = np.maximum(length / (speed_kmh[ok] * (1000.0 / 60.0)), _MIN_ARC_MINUTES)
    if not oneway:
        u, v = np.concatenate([u, v]), np.concatenate([v, u])
        length = np.concatenate([length, length])
        minutes = np.concatenate([minutes, minutes])
    key = u * n_nodes + v
    order = np.lexsort((minutes, key))
    key, minutes, length = key[order], minutes[order], length[order]
    first = np.r_[True, key[1:] != key[:-1]] if key.size else np.zeros(0, dtype=bool)
    key, minutes, length = key[first], minutes[first], length[first]
    has_arc = np.zeros(n_nodes, dtype=bool)
    has_arc[key // n_nodes] = True
    has_arc[key % n_nodes] = True
    graph = sp.csr_array(
        (np.ones(key.size), (key // n_nodes, key % n_nodes)), shape=(n_nodes, n_nodes)
    )
    _, labels = connected_components(graph, directed=True, connection="strong")
    # Nodes with no arc are their own trivial components; rank them last.
    sizes = np.bincount(labels, minlength=labels.max() + 1 if labels.size else 0)
    sizes_rank = np.where(np.bincount(labels, weights=has_arc.astype(float)) > 0, sizes, 0)
    order_c = np.argsort(-sizes_rank, kind="stable")
    relabel = np.empty_like(order_c)
    relabel[order_c] = np.arange(order_c.size)
    component = relabel[labels]
    comp_sizes = np.bincount(component, weights=has_arc.astype(float)).astype(np.int64)
    comp_sizes = comp_sizes[comp_sizes > 0]
    return ModeGraph(n_nodes, key, minutes, length, component, comp_sizes, has_arc)


def reversed_csr(graph: ModeGraph) -> tuple[sp.csr_array, np.ndarray]:
    """The reversed travel-time graph (CSR, sorted indices) and arc lengths aligned with its data."""
    n = graph.n_nodes
    position = sp.csr_array(
        (np.arange(graph.arc_key.size, dtype=np.float64) + 1.0, (graph.arc_to, graph.arc_from)),
        shape=(n, n),
    )
    position.sort_indices()
    order = position.data.astype(np.int64) - 1
    rev = sp.csr_array((graph.arc_minutes[order], position.indices, position.indptr), shape=(n, n))
    return rev, graph.arc_length_m[order]


@dataclass(frozen=True, eq=False)
class RoutingJob:
    """Everything a worker needs to compute one chunk of a travel matrix.

    Plain arrays plus the reversed travel-time graph: picklable, so a
    ``concurrent.futures`` process pool or a Dask client can map
    :func:`route_chunk` over ``job.chunks()``.

    Attributes
    ----------
    graph_reversed
        Travel-time adjacency in minutes with arcs flipped, sorted indices (Dijkstra
        from the sites on it gives each node's time *to* the site).
    length_reversed_m
        Arc lengths in metres aligned with ``graph_reversed.data``.
    demand_node, demand_access_min, demand_access_m
        Snapped node (-1 = not routable), access time and straight-line access
        distance per demand point.
    site_node, site_access_min, site_access_m
        The same per site.
    cutoff_minutes
        Pairs slower than this are left out (``inf`` for none).
    chunk_size
        Sites per chunk.
    kernel
        ``"numba"``: one compiled Dijkstra pass per site that carries the path length
        along, sites of a chunk spread over ``n_threads`` threads. ``"scipy"``:
        ``scipy.sparse.csgraph.dijkstra`` plus a vectorised sum up the predecessor
        tree (no numba needed; slower).
    n_threads
        Threads for the numba kernel.
    """

    graph_reversed: sp.csr_array
    length_reversed_m: np.ndarray
    demand_node: np.ndarray
    demand_access_min: np.ndarray
    demand_access_m: np.ndarray
    site_node: np.ndarray
    site_access_min: np.ndarray
    site_access_m: np.ndarray
    cutoff_minutes: float
    chunk_size: int
    kernel: str = "scipy"
    n_threads: int = 1

    def chunks(self) -> list[np.ndarray]:
        """Routable site indices split into chunks of at most ``chunk_size``."""
        routable = np.flatnonzero(self.site_node >= 0)
        return [routable[i : i + self.chunk_size] for i in range(0, routable.size, self.chunk_size)]


@dataclass(frozen=True, eq=False)
class ChunkResult:
    """Pairs within the cut-off for one chunk of sites, ordered by site then demand point.

    Index arrays are int32 (int64 only past 2**31 points) to halve their memory.
    """

    demand_index: np.ndarray
    site_index: np.ndarray
    minutes: np.ndarray
    distance_m: np.ndarray


def numba_available() -> bool:
    """True when the compiled kernel can be used."""
    try:
        import numba  # noqa: F401
    except ImportError:
        return False
    return True


def route_chunk(job: RoutingJob, sites: np.ndarray) -> ChunkResult:
    """Shortest times and path lengths from every routable demand point to ``sites``.

    Runs Dijkstra from the sites' nodes on the reversed graph (so one-way streets
    are honoured in the demand -> site direction), stops at the cut-off, and
    carries the length of each chosen fastest path along.
    """
    src_nodes, src_inv = np.unique(job.site_node[sites], return_inverse=True)
    demand = np.flatnonzero(job.demand_node >= 0)
    dem_nodes, dem_inv = np.unique(job.demand_node[demand], return_inverse=True)
    # Each source node searches as far as the cut-off less its quickest site's access leg.
    access = np.full(src_nodes.size, np.inf)
    np.minimum.at(access, src_inv, job.site_access_min[sites])
    limits = np.maximum(job.cutoff_minutes - access, 0.0)
    if job.kernel == "numba":
        g = job.graph_reversed
        t_u = np.empty((src_nodes.size, dem_nodes.size))
        l_u = np.empty((src_nodes.size, dem_nodes.size))
        _run_kernel(
            job.n_threads,
            g.indptr.astype(np.int64),
            g.indices.astype(np.int64),
            g.data,
            job.length_reversed_m,
            src_nodes.astype(np.int64),
            limits,
            dem_nodes.astype(np.int64),
            t_u,
            l_u,
        )
    else:
        dist, pred = dijkstra(
            job.graph_reversed,
            directed=True,
            indices=src_nodes,
            limit=float(limits.max()),
            return_predecessors=True,
        )
        l_u = _tree_lengths(pred, job.graph_reversed, job.length_reversed_m, dem_nodes)
        del pred
        t_u = dist[:, dem_nodes]
        del dist
        t_u[t_u > limits[:, None]] = np.inf
    t = t_u[src_inv][:, dem_inv]
    t += job.site_access_min[sites][:, None]
    t += job.demand_access_min[demand][None, :]
    keep = np.isfinite(t) & (t <= job.cutoff_minutes)
    s_pos, d_pos = np.nonzero(keep)
    d_len = l_u[src_inv][:, dem_inv][s_pos, d_pos]
    d_len += job.site_access_m[sites][s_pos] + job.demand_access_m[demand][d_pos]
    index_dtype = np.int32 if max(job.demand_node.size, job.site_node.size) < 2**31 else np.int64
    return ChunkResult(
        demand_index=demand[d_pos].astype(index_dtype),
        site_index=sites[s_pos].astype(index_dtype),
        minutes=np.maximum(t[s_pos, d_pos], MIN_ENTRY),
        distance_m=np.maximum(d_len, MIN_ENTRY),
    )


#: Parallel numba launches are serialised: some threading layers (workqueue) abort on
#: concurrent launches. A caller that finds the lock taken runs the one-thread kernel.
_PARALLEL_LAUNCH = threading.Lock()


def _run_kernel(n_threads: int, *args: object) -> None:
    import numba

    from planner.travel.kernels import targets_dijkstra, targets_dijkstra_parallel

    threads = max(1, min(n_threads, int(numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]
    if threads > 1 and _PARALLEL_LAUNCH.acquire(blocking=False):
        try:
            previous = numba.get_num_threads()
            numba.set_num_threads(threads)  # per calling thread in numba
            try:
                targets_dijkstra_parallel(*args)
            finally:
                numba.set_num_threads(previous)
        finally:
            _PARALLEL_LAUNCH.release()
    else:
        targets_dijkstra(*args)


def _tree_lengths(
    pred: np.ndarray, graph: sp.csr_array, arc_length: np.ndarray, targets: np.ndarray
) -> np.ndarray:
    """Length along the shortest-path tree from each root to each of ``targets``.

    ``pred[r, v] = u`` says the reversed-graph arc ``u -> v`` is the last step to
    ``v``; the length to the root is the sum of arc lengths up the tree. Summed for
    all nodes at once by pointer jumping: each pass adds the ancestor's partial sum
    and jumps to the ancestor's ancestor, so ``log2(depth)`` vectorised passes
    suffice. Unreached targets get 0 (callers filter on time).
    """
    k, n = pred.shape
    arc_key = np.repeat(np.arange(n, dtype=np.int64), np.diff(graph.indptr)) * n + graph.indices
    flat_pred = pred.ravel()
    reached = np.flatnonzero(flat_pred >= 0)
    rows = reached // n
    parents = flat_pred[reached].astype(np.int64)
    total = np.zeros(k * n)
    pos = np.searchsorted(arc_key, parents * n + reached % n)
    total[reached] = arc_length[pos]
    del pos, arc_key
    anc = np.full(k * n, -1, dtype=np.int64)
    anc[reached] = rows * n + parents
    del rows, parents
    active = reached
    while active.size:
        a = anc[active]
        total[active] += total[a]
        anc[active] = anc[a]
        active = active[anc[active] >= 0]
    return total.reshape(k, n)[:, targets]


def snap(
    tree_xy: np.ndarray,
    tree_nodes: np.ndarray,
    points_xy: np.ndarray,
    max_snap_m: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest candidate node within ``max_snap_m`` (-1 beyond it) and the distance in metres."""
    from scipy.spatial import cKDTree

    tree = cKDTree(tree_xy)
    dist, idx = tree.query(points_xy, k=1)
    node = np.where(dist <= max_snap_m, tree_nodes[np.minimum(idx, len(tree_nodes) - 1)], -1)
    return node.astype(np.int64), np.asarray(dist, dtype=np.float64)
