"""Numba kernels for :mod:`planner.travel.routing` (private; imported only when numba is installed).

One Dijkstra search (:func:`_search`) per source on a CSR graph, stopped at a
per-source time limit, that carries the length of the path it settles on. Every kernel
here runs that one search: for a matrix of sources x targets on the calling thread or
with the sources on numba's threads (``prange``; numba releases the GIL, so the threads
really run at once), or listing only the targets reached. Callers validate; the kernels
trust their input.
"""

from __future__ import annotations

from collections.abc import Callable
from types import FunctionType

import numpy as np
from numba import njit, prange


@njit(cache=True, inline="always")
def _push(heap_key, heap_node, size, key, node):  # type: ignore[no-untyped-def]
    i = size
    heap_key[i] = key
    heap_node[i] = node
    while i > 0:
        parent = (i - 1) >> 1
        if heap_key[parent] <= key:
            break
        heap_key[i] = heap_key[parent]
        heap_node[i] = heap_node[parent]
        i = parent
    heap_key[i] = key
    heap_node[i] = node
    return size + 1


@njit(cache=True, inline="always")
def _pop(heap_key, heap_node, size):  # type: ignore[no-untyped-def]
    top_key = heap_key[0]
    top_node = heap_node[0]
    size -= 1
    key = heap_key[size]
    node = heap_node[size]
    i = 0
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        if child + 1 < size and heap_key[child + 1] < heap_key[child]:
            child += 1
        if heap_key[child] >= key:
            break
        heap_key[i] = heap_key[child]
        heap_node[i] = heap_node[child]
        i = child
    if size > 0:
        heap_key[i] = key
        heap_node[i] = node
    return top_key, top_node, size


@njit(cache=True)
def _search(indptr, indices, minutes, length, source, limit, dist, plen, touched):  # type: ignore[no-untyped-def]
    """Dijkstra from ``source`` up to ``limit`` minutes: the one search of this module.

    ``dist`` must be ``inf`` and ``plen`` 0 on every node it reaches; it leaves there the
    minutes and path length of each node reached (``inf`` beyond ``limit`` or unreached),
    lists those nodes in ``touched`` (first reached first) and returns how many.
    """
    cap = indices.size + 1
    heap_key = np.empty(cap, dtype=np.float64)
    heap_node = np.empty(cap, dtype=np.int64)
    dist[source] = 0.0
    plen[source] = 0.0
    touched[0] = source
    n_touched = 1
    size = _push(heap_key, heap_node, 0, 0.0, source)
    while size > 0:
        d, u, size = _pop(heap_key, heap_node, size)
        if d > dist[u]:
            continue  # a stale entry: u was settled by a quicker route
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + minutes[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                plen[v] = plen[u] + length[e]
                size = _push(heap_key, heap_node, size, nd, v)
    return n_touched


@njit(cache=True)
def _one(indptr, indices, minutes, length, source, limit, targets, out_minutes, out_length, r):  # type: ignore[no-untyped-def]
    n = indptr.size - 1
    dist = np.full(n, np.inf)
    plen = np.zeros(n)
    touched = np.empty(n, dtype=np.int64)
    _search(indptr, indices, minutes, length, source, limit, dist, plen, touched)
    for j in range(targets.size):
        out_minutes[r, j] = dist[targets[j]]
        out_length[r, j] = plen[targets[j]]


def _targets_dijkstra(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, length, sources, limits, targets, out_minutes, out_length
):
    """For each source ``r``: minutes and path length to every node in ``targets``.

    Writes ``out_minutes[r, j]`` (inf when beyond ``limits[r]`` or unreachable) and
    ``out_length[r, j]``. Compiled twice (below): one thread, and the sources spread
    over numba's threads (``prange`` is ``range`` without ``parallel``).
    """
    for r in prange(sources.size):
        _one(indptr, indices, minutes, length, sources[r], limits[r], targets, out_minutes,
             out_length, r)  # fmt: skip


def _renamed(func: Callable[..., None], name: str) -> FunctionType:
    """``func`` under another name. numba's on-disk cache is keyed by the function's
    qualified name, not by its compile options, so each build of one body needs its
    own name, or one build would load the other's machine code."""
    assert isinstance(func, FunctionType)
    copy = FunctionType(func.__code__, func.__globals__, name, func.__defaults__, func.__closure__)
    copy.__qualname__ = name
    copy.__doc__ = func.__doc__
    return copy


#: :func:`_targets_dijkstra` on the calling thread: safe to call from many threads at once.
targets_dijkstra = njit(cache=True)(_renamed(_targets_dijkstra, "targets_dijkstra"))
#: :func:`_targets_dijkstra` with the sources spread over numba's threads. Callers launch
#: one at a time (see ``planner.travel.routing._run_kernel``).
targets_dijkstra_parallel = njit(cache=True, parallel=True)(
    _renamed(_targets_dijkstra, "targets_dijkstra_parallel")
)


@njit(cache=True)
def reached_targets(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, length, source, limit, target_of, dist, plen, touched,
    out_target, out_minutes, out_length,
):  # fmt: skip
    """Dijkstra from ``source`` (:func:`_search`, as for :func:`targets_dijkstra`, so the
    same times and path lengths), listing only the targets it reaches.

    ``dist`` (all ``inf``) and ``plen`` (all 0) are work arrays of the graph's size,
    restored before returning, so one pair serves every source and a search costs what
    it reaches, not the graph; ``touched`` is a work array of the same size.
    ``target_of[node]`` is the target index of a node (-1 for none). Writes the reached
    targets, their minutes and path lengths to the first ``k`` entries of the ``out_*``
    arrays (each at least as long as the targets) and returns ``k``.
    """
    n_touched = _search(indptr, indices, minutes, length, source, limit, dist, plen, touched)
    k = 0
    for i in range(n_touched):
        u = touched[i]
        j = target_of[u]
        if j >= 0:
            out_target[k] = j
            out_minutes[k] = dist[u]
            out_length[k] = plen[u]
            k += 1
        dist[u] = np.inf
        plen[u] = 0.0
    return k
