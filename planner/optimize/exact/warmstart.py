"""A small, fast p-median incumbent used to warm-start the exact solver.

Not the planner's heuristic method (that is :mod:`planner.optimize.scale.heuristics`): this
is a greedy start plus best-improvement swaps (Whitaker 1983; the swap evaluation of
Resende and Werneck 2004, done as one matrix product per sweep), just good enough to
give the MIP solver an incumbent so that its reduced-cost fixing bites at the root.
"""

from __future__ import annotations

import time

import numpy as np

from planner.optimize.timing import stop_requested


def _nearest_two(
    dist: np.ndarray, open_cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    sub = dist[:, open_cols]
    if open_cols.size == 1:
        return (
            open_cols[np.zeros(dist.shape[0], dtype=np.int64)],
            sub[:, 0],
            np.full(dist.shape[0], np.inf),
        )
    part = np.argpartition(sub, 1, axis=1)[:, :2]
    a = np.take_along_axis(sub, part, axis=1)
    swap = a[:, 1] < a[:, 0]
    first = np.where(swap, part[:, 1], part[:, 0])
    d1 = np.where(swap, a[:, 1], a[:, 0])
    d2 = np.where(swap, a[:, 0], a[:, 1])
    return open_cols[first], d1, d2


def pmedian_incumbent(
    dist: np.ndarray,
    w: np.ndarray,
    p: int,
    *,
    fixed: np.ndarray | None = None,
    time_limit: float = 2.0,
    max_sweeps: int = 200,
) -> np.ndarray:
    """Open columns of a good p-median plan on the dense cost ``D`` (inf = cannot serve).

    Parameters
    ----------
    dist
        ``(n, m)`` cost, ``inf`` where a site cannot serve a demand point.
    w
        ``(n,)`` weights.
    p
        Number of sites to open (``>= fixed.sum()``).
    fixed
        Boolean mask of sites that must stay open.
    time_limit
        Seconds for the swap phase.
    """
    t0 = time.perf_counter()
    n, m = dist.shape
    fixed = np.zeros(m, dtype=bool) if fixed is None else fixed
    big = np.where(np.isfinite(dist), dist, 0.0).max(initial=0.0) * 10.0 + 1.0
    dist_f = np.where(np.isfinite(dist), dist, big)  # finite penalty keeps the arithmetic simple
    is_open = fixed.copy()
    cur = dist_f[:, is_open].min(axis=1) if is_open.any() else np.full(n, big * 10.0)
    # greedy: add the site that lowers the cost most
    while is_open.sum() < p:
        gain = (w[:, None] * np.maximum(cur[:, None] - dist_f, 0.0)).sum(axis=0)
        gain[is_open] = -1.0
        j = int(np.argmax(gain))
        is_open[j] = True
        cur = np.minimum(cur, dist_f[:, j])
    # swaps: best improvement per sweep
    for _ in range(max_sweeps):
        if time.perf_counter() - t0 > time_limit or stop_requested():
            break
        open_cols = np.flatnonzero(is_open)
        free = np.flatnonzero(~is_open)
        movable = open_cols[~fixed[open_cols]]
        if free.size == 0 or movable.size == 0:
            break
        a1, d1, d2 = _nearest_two(dist_f, open_cols)
        gain = (w[:, None] * np.maximum(d1[:, None] - dist_f[:, free], 0.0)).sum(axis=0)  # (f,)
        loss = np.bincount(a1, weights=w * (np.minimum(d2, big * 10.0) - d1), minlength=m)[movable]
        # extra(j, r): points served by r that j would serve better than their 2nd site
        dist_free = dist_f[:, free]
        term = w[:, None] * np.maximum(
            np.minimum(d2, big * 10.0)[:, None] - np.maximum(dist_free, d1[:, None]), 0.0
        )
        pos = np.full(m, -1, dtype=np.int64)
        pos[movable] = np.arange(movable.size)
        owner = pos[a1]
        onehot = np.zeros((n, movable.size))
        ok = owner >= 0
        onehot[np.flatnonzero(ok), owner[ok]] = 1.0
        extra = term.T @ onehot  # (f, r)
        profit = gain[:, None] - loss[None, :] + extra
        k = int(np.argmax(profit))
        fi, ri = divmod(k, movable.size)
        if profit[fi, ri] <= 1e-9 * max(1.0, float((w * d1).sum())):
            break
        is_open[movable[ri]] = False
        is_open[free[fi]] = True
    return np.flatnonzero(is_open)
