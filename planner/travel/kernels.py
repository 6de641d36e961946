"""Numba kernel for :mod:`planner.travel.network` (private; imported only when numba is installed).

One Dijkstra search per source on a CSR graph, stopped at a per-source time limit,
that carries the length of the path it settles on. Sources run in parallel threads
(``prange``); numba releases the GIL, so the threads really run at once. Callers
validate; the kernel trusts its input.
"""

from __future__ import annotations

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
def _search(indptr, indices, minutes, length, source, limit, dist, plen):  # type: ignore[no-untyped-def]
    """Dijkstra from ``source``; fills ``dist`` (minutes, inf beyond ``limit``) and ``plen``."""
    cap = indices.size + 1
    heap_key = np.empty(cap, dtype=np.float64)
    heap_node = np.empty(cap, dtype=np.int64)
    dist[source] = 0.0
    plen[source] = 0.0
    size = _push(heap_key, heap_node, 0, 0.0, source)
    while size > 0:
        d, u, size = _pop(heap_key, heap_node, size)
        if d > dist[u]:
            continue  # a stale entry: u was settled by a quicker route
        for e in range(indptr[u], indptr[u + 1]):
            v = indices[e]
            nd = d + minutes[e]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                plen[v] = plen[u] + length[e]
                size = _push(heap_key, heap_node, size, nd, v)


@njit(cache=True)
def _one(indptr, indices, minutes, length, source, limit, targets, out_minutes, out_length, r):  # type: ignore[no-untyped-def]
    dist = np.full(indptr.size - 1, np.inf)
    plen = np.zeros(indptr.size - 1)
    _search(indptr, indices, minutes, length, source, limit, dist, plen)
    for j in range(targets.size):
        out_minutes[r, j] = dist[targets[j]]
        out_length[r, j] = plen[targets[j]]


@njit(cache=True)
def targets_dijkstra(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, length, sources, limits, targets, out_minutes, out_length
):
    """For each source ``r``: minutes and path length to every node in ``targets``.

    Writes ``out_minutes[r, j]`` (inf when beyond ``limits[r]`` or unreachable) and
    ``out_length[r, j]``. One thread: safe to call from many threads at once.
    """
    for r in range(sources.size):
        _one(
            indptr,
            indices,
            minutes,
            length,
            sources[r],
            limits[r],
            targets,
            out_minutes,
            out_length,
            r,
        )


@njit(cache=True, parallel=True)
def targets_dijkstra_parallel(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, length, sources, limits, targets, out_minutes, out_length
):
    """:func:`targets_dijkstra` with the sources spread over numba's threads.

    Callers launch one at a time (see ``planner.travel.routing._run_kernel``).
    """
    for r in prange(sources.size):
        _one(
            indptr,
            indices,
            minutes,
            length,
            sources[r],
            limits[r],
            targets,
            out_minutes,
            out_length,
            r,
        )


@njit(cache=True)
def reached_targets(  # type: ignore[no-untyped-def]
    indptr, indices, minutes, length, source, limit, target_of, dist, plen, touched,
    out_target, out_minutes, out_length,
):  # fmt: skip
    """Dijkstra from ``source`` (as :func:`_search`, same order of work, so the same times
    and path lengths), listing only the targets it reaches.

    ``dist`` (all ``inf``) and ``plen`` are work arrays of the graph's size, restored
    before returning, so one pair serves every source and a search costs what it
    reaches, not the graph. ``target_of[node]`` is the target index of a node (-1 for
    none). Writes the reached targets, their minutes and path lengths to the first
    ``k`` entries of the ``out_*`` arrays (each at least as long as the targets) and
    returns ``k``.
    """
    cap = indices.size + 1
    heap_key = np.empty(cap, dtype=np.float64)
    heap_node = np.empty(cap, dtype=np.int64)
    n_touched = 0
    dist[source] = 0.0
    plen[source] = 0.0
    touched[n_touched] = source
    n_touched += 1
    size = _push(heap_key, heap_node, 0, 0.0, source)
    while size > 0:
        d, u, size = _pop(heap_key, heap_node, size)
        if d > dist[u]:
            continue
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
