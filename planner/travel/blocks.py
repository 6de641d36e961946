"""Straight-line k-nearest travel distances by blocks of demand points, on any ``map``.

A province has millions of demand points and thousands of candidate sites: the dense
matrix (n x m) does not fit, and the optimiser works from each point's nearest sites
anyway. :func:`nearest_sites` splits the demand points into blocks of ``block_rows``
and runs one task per block (built-in :func:`map`, or an executor's ``map`` such as a
Dask client's): each task builds a KD-tree of the sites (a few MB for 15,000 sites)
and returns its points' ``k`` nearest sites and distances. A task's memory is its
block times ``k``, independent of how many points the province has; blocks go out in
waves of :data:`WAVE_BLOCKS`, so a worker holds at most one wave's results; the merged
result (n x k) is the only part that grows with the province.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.errors import InputError

__all__ = ["nearest_block", "nearest_sites"]

MapFn = Callable[..., Iterable[Any]]

#: Blocks sent to ``map_fn`` at a time.
WAVE_BLOCKS = 8


def nearest_block(
    demand_xy: np.ndarray, site_xy: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest sites of each point of one block: (indices, metres as float32)."""
    from scipy.spatial import cKDTree

    dist, idx = cKDTree(site_xy).query(demand_xy, k=k)
    if k == 1:
        dist, idx = dist[:, None], idx[:, None]
    return idx.astype(np.int32), dist.astype(np.float32)


def nearest_sites(
    demand_xy: np.ndarray,
    site_xy: np.ndarray,
    *,
    k: int,
    block_rows: int = 100_000,
    map_fn: MapFn = map,
) -> sp.csr_array:
    """Distances (metres) from each demand point to its ``k`` nearest sites, as CSR.

    Parameters
    ----------
    demand_xy, site_xy
        ``(n, 2)`` and ``(m, 2)`` coordinates in one metric CRS (metres).
    k
        Sites kept per demand point (``1 .. m``).
    block_rows
        Demand points per task.
    map_fn
        ``map(nearest_block, blocks, sites, ks)``-like runner (built-in :func:`map`,
        or ``client.get_executor().map`` of a Dask client).

    Returns
    -------
    scipy.sparse.csr_array
        ``(n, m)`` float32, row ``i`` holding the ``k`` nearest sites of point ``i``
        (a distance of 0 is stored as the smallest positive float32, so that it is
        not mistaken for a missing pair).
    """
    d = np.asarray(demand_xy, dtype=np.float64)
    s = np.asarray(site_xy, dtype=np.float64)
    if d.ndim != 2 or d.shape[1] != 2 or s.ndim != 2 or s.shape[1] != 2:
        raise InputError("`demand_xy` and `site_xy` must be (n, 2) coordinate arrays in metres.")
    if not (np.isfinite(d).all() and np.isfinite(s).all()):
        raise InputError("`demand_xy` and `site_xy` must hold finite coordinates.")
    m = s.shape[0]
    if m == 0:
        raise InputError("`site_xy` is empty: give at least one site.")
    if not 1 <= int(k) <= m:
        raise InputError(f"`k` must be between 1 and the {m} sites; got {k}.")
    if int(block_rows) < 1:
        raise InputError(f"`block_rows` must be at least 1; got {block_rows}.")
    k, b, n = int(k), int(block_rows), d.shape[0]
    starts = list(range(0, n, b))
    parts: list[tuple[np.ndarray, np.ndarray]] = []
    # Blocks go out in waves: a cluster holds at most one wave of finished results
    # until they are collected here, whatever the number of demand points.
    for w in range(0, len(starts), WAVE_BLOCKS):
        wave = starts[w : w + WAVE_BLOCKS]
        parts.extend(map_fn(nearest_block, [d[i : i + b] for i in wave], [s] * len(wave),
                            [k] * len(wave)))  # fmt: skip
    idx = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, k), np.int32)
    dist = np.concatenate([p[1] for p in parts]) if parts else np.zeros((0, k), np.float32)
    dist = np.maximum(dist, np.finfo(np.float32).tiny)
    indptr = np.arange(0, n * k + 1, k, dtype=np.int64)
    out = sp.csr_array((dist.ravel(), idx.ravel(), indptr), shape=(n, m))
    out.sort_indices()
    return out
