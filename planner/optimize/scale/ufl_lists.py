"""The bound's neighbour lists of facility location at scale (private).

The Lagrangian bound of :mod:`planner.optimize.scale.ufl` charges every site left out of
a point's list the cost of the first one left out (``far``), a relaxation that stays
valid on cut lists; these functions build the lists it steps on (see ``docs/scale.md``,
"Facility location").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.optimize.scale.data import Neighbours, nearest_from_dense

__all__ = ["REACH_MAX", "REACH_MIN", "BoundLists", "prefix_lists", "reach_lists"]

#: Sites per point in the lists of the bound's steps (see :func:`reach_lists`): all
#: within the reach given (in :mod:`~planner.optimize.scale.ufl`: 1.2 times the plan's
#: second-nearest open site), at least ``REACH_MIN`` and at most ``REACH_MAX`` of them.
REACH_MIN = 16
REACH_MAX = 300
#: CPU seconds per (listed point x site) that listing points anew from a dense matrix
#: took inside a solve (20,000 x 1,000, 2-core machine: 3.9 s, about 2e-7 s; 1.3 s alone),
#: for :func:`reach_lists`'s ``seconds``.
DENSE_S_PER_PAIR = 2e-7


@dataclass(frozen=True)
class BoundLists:
    """The first ``k`` sites of each neighbour list, and ``far``: the cost of the first
    site left out (a lower bound on every unlisted site's cost), for the bound's steps."""

    indptr: np.ndarray
    site: np.ndarray
    cost: np.ndarray
    far: np.ndarray
    w: np.ndarray
    forced: np.ndarray


def reach_lists(
    data: Neighbours,
    reach: np.ndarray,
    *,
    chunk: int = 20_000,
    seconds: float | None = None,
    slowdown: float = 1.0,
) -> BoundLists | None:
    """For each point, the sites that cost at most ``reach[i]`` (at least
    :data:`REACH_MIN`, at most :data:`REACH_MAX` of them), sorted, and ``far``: the
    cost of the first site left out (a lower bound on every unlisted site's cost).

    The bound charges unlisted sites ``far``, which caps a point's multiplier there;
    lists reaching past the plan's second-nearest open site leave the multipliers room
    (on the whole-city data the neighbour lists of the search, 100 sites, capped them
    well below that and the bound 5-12 % below the plan). Points whose search list
    already reaches ``reach`` take its prefix; the others are listed anew (from
    coordinates or the dense matrix). Sparse costs keep their lists (complete).

    ``seconds``: the time the lists may take (None: any). Listing points anew from a
    dense matrix cannot be interrupted; when its predicted time (:data:`DENSE_S_PER_PAIR`
    per point and site, times ``slowdown``, e.g. the machine's load factor) exceeds
    ``seconds``, the answer is None and the caller keeps the lists it has.
    """
    lengths = np.diff(data.indptr)
    n, m = data.n, data.n_sites
    starts = data.indptr[:-1]
    # The prefix of each search list within reach (sorted lists: a count).
    within = np.zeros(n, dtype=np.int64)
    rows = np.repeat(np.arange(n), lengths)
    np.add.at(within, rows, data.cost <= reach[rows])
    need = (within >= lengths) & np.isfinite(data.far) & (data.far <= reach)
    keep_len = np.minimum(np.maximum(within, np.minimum(REACH_MIN, lengths)), lengths)
    if data.mode == 1 or not need.any():
        return prefix_lists(data, keep_len)
    kq = int(min(m, REACH_MAX + 1))
    idx = np.flatnonzero(need)
    if (
        seconds is not None
        and data.mode == 0
        and idx.size * m * DENSE_S_PER_PAIR * slowdown > seconds
    ):
        return None
    ext_site: list[np.ndarray] = []
    ext_cost: list[np.ndarray] = []
    ext_len = np.zeros(idx.size, dtype=np.int64)
    ext_far = np.full(idx.size, np.inf)
    tree = None
    if data.mode >= 2:
        from scipy.spatial import cKDTree

        tree = cKDTree(data.sxy)
    for s0 in range(0, idx.size, chunk):
        part = idx[s0 : s0 + chunk]
        if tree is not None:
            d, j = tree.query(data.dxy[part], k=kq, workers=2)
            d = np.asarray(d, dtype=np.float64).reshape(part.size, kq) * data.scale
            j = np.asarray(j, dtype=np.int64).reshape(part.size, kq)
            if data.mode == 3:
                d = np.floor(d)
        else:
            _, j, d, _ = nearest_from_dense(data.dense, data.rmap[part], data.cmap, kq)
            j, d = j.reshape(part.size, kq), d.reshape(part.size, kq)
        cnt = (d <= reach[part, None]).sum(axis=1)
        cap = kq if kq == m else kq - 1  # keep one past the list for ``far``
        ln = np.minimum(cnt, cap)
        ext_len[s0 : s0 + part.size] = ln
        has_next = ln < kq
        ext_far[s0 : s0 + part.size][has_next] = d[np.flatnonzero(has_next), ln[has_next]]
        mask = np.arange(kq)[None, :] < ln[:, None]
        ext_site.append(j[mask].astype(np.int32))
        ext_cost.append(d[mask])
    # Assemble: prefixes of the search lists, extended lists for ``need``.
    lens = keep_len.copy()
    lens[idx] = ext_len
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    site = np.empty(int(indptr[-1]), dtype=np.int32)
    cost = np.empty(int(indptr[-1]))
    far = np.where(keep_len < lengths, 0.0, data.far)
    cut = keep_len < lengths
    far[cut] = data.cost[starts[cut] + keep_len[cut]]
    far[idx] = ext_far
    other = np.ones(n, dtype=bool)
    other[idx] = False
    src = np.repeat(starts[other], keep_len[other]) + (
        np.arange(int(keep_len[other].sum()))
        - np.repeat(np.cumsum(keep_len[other]) - keep_len[other], keep_len[other])
    )
    dst = np.repeat(indptr[:-1][other], keep_len[other]) + (
        src - np.repeat(starts[other], keep_len[other])
    )
    site[dst] = data.site[src]
    cost[dst] = data.cost[src]
    if idx.size:
        dst_e = np.repeat(indptr[:-1][idx], ext_len) + (
            np.arange(int(ext_len.sum())) - np.repeat(np.cumsum(ext_len) - ext_len, ext_len)
        )
        site[dst_e] = np.concatenate(ext_site)
        cost[dst_e] = np.concatenate(ext_cost)
    return BoundLists(indptr, site, cost, far, data.w, data.forced)


def prefix_lists(data: Neighbours, keep_len: np.ndarray) -> BoundLists:
    """The first ``keep_len[i]`` entries of each list; ``far`` the first left out."""
    lengths = np.diff(data.indptr)
    if np.array_equal(keep_len, lengths):
        return BoundLists(data.indptr, data.site, data.cost, data.far, data.w, data.forced)
    rank = np.arange(data.site.size) - np.repeat(data.indptr[:-1], lengths)
    keep = rank < np.repeat(keep_len, lengths)
    far = data.far.copy()
    cut = keep_len < lengths
    far[cut] = data.cost[data.indptr[:-1][cut] + keep_len[cut]]
    indptr = np.zeros(lengths.size + 1, dtype=np.int64)
    np.cumsum(keep_len, out=indptr[1:])
    return BoundLists(indptr, data.site[keep], data.cost[keep], far, data.w, data.forced)
