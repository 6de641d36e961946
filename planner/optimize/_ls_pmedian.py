"""Greedy + fast swap-based local search for the p-median (private).

Greedy opening on the neighbour lists, then best-improvement swaps evaluated with
the gain/loss/extra decomposition of Whitaker (1983) as made fast by Resende and
Werneck (2007), then seeded perturbation restarts (iterated local search). Plans are
always scored with exact costs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from planner.optimize._scale_data import Neighbours


@dataclass(frozen=True)
class LocalPlan:
    """A plan on local indices and its exact objective."""

    open_local: np.ndarray
    objective: float
    iterations: int


class _Searcher:
    """Holds the work arrays of the swap search for one neighbour list."""

    def __init__(self, data: Neighbours, p: int) -> None:
        self.data = data
        self.p = p
        n, m = data.n, data.n_sites
        self.a1 = np.empty(n, dtype=np.int64)
        self.d1 = np.empty(n)
        self.a2 = np.empty(n, dtype=np.int64)
        self.d2 = np.empty(n)
        self.gain = np.empty(m)
        self.loss = np.empty(p)
        self.extra = np.empty((p, m))
        self.pos_of = np.full(m, -1, dtype=np.int64)
        self.args = data.oracle_args()

    def evaluate(self, is_open: np.ndarray) -> float:
        from planner.optimize import _scale_kernels as kern

        d = self.data
        open_list = np.flatnonzero(is_open).astype(np.int64)
        kern.closest_two(  # type: ignore[call-arg]
            d.indptr, d.site, d.cost, d.far, is_open, open_list, open_list.size, *self.args,
            self.a1, self.d1, self.a2, self.d2,
        )  # fmt: skip
        return float(kern.weighted_sum(d.w, self.d1))

    def search(
        self, is_open: np.ndarray, deadline: float, max_iter: int = 100_000
    ) -> tuple[float, int]:
        """Swap to a local optimum in place; returns (objective, swaps)."""
        from planner.optimize import _scale_kernels as kern

        d = self.data
        obj = self.evaluate(is_open)
        it = 0
        while it < max_iter and time.perf_counter() < deadline:
            open_list = np.flatnonzero(is_open).astype(np.int64)
            if open_list.size != self.p or open_list.size == d.n_sites:
                break
            self.pos_of[:] = -1
            self.pos_of[open_list] = np.arange(open_list.size)
            profit, j_in, q_out = kern.best_swap(
                d.indptr, d.site, d.cost, d.w, is_open, d.forced, open_list, self.pos_of,
                self.a1, self.d1, self.d2, self.gain, self.loss, self.extra,
            )  # fmt: skip
            if j_in < 0 or profit <= 1e-12 * max(abs(obj), 1.0):
                break
            f_out = open_list[q_out]
            is_open[f_out] = False
            is_open[j_in] = True
            new = self.evaluate(is_open)
            if new >= obj - 1e-12 * max(abs(obj), 1.0):
                # Float noise: the exact value did not drop; undo and stop.
                is_open[j_in] = False
                is_open[f_out] = True
                obj = self.evaluate(is_open)
                break
            obj = new
            it += 1
        return obj, it


def greedy(data: Neighbours, p: int, start: np.ndarray | None = None) -> np.ndarray:
    """Greedy opening up to ``p`` sites on the lists (capped costs); returns an open mask."""
    from planner.optimize import _scale_kernels as kern

    is_open = data.forced.copy() if start is None else start.copy()
    n_add = p - int(is_open.sum())
    if n_add <= 0:
        return is_open
    cap = data.far.copy()
    last = data.cost[np.maximum(data.indptr[1:] - 1, 0)]
    inf = ~np.isfinite(cap)
    cap[inf] = last[inf] * 1.0001 + 1.0
    t_indptr, t_row, t_pos = data.transpose()
    kern.greedy_add(
        data.indptr, data.site, data.cost, data.w, cap, is_open, n_add, t_indptr, t_row, t_pos
    )
    missing = p - int(is_open.sum())
    if missing > 0:  # every list is exhausted: open the first closed sites
        closed = np.flatnonzero(~is_open)[:missing]
        is_open[closed] = True
    return is_open


def local_search(
    data: Neighbours,
    p: int,
    *,
    seed: int = 0,
    deadline: float = np.inf,
    restarts: int | None = None,
    starts: list[np.ndarray] | None = None,
) -> LocalPlan:
    """Greedy, swap search, then seeded perturbation restarts around the best plan.

    Parameters
    ----------
    restarts
        Number of perturbation restarts after the first local optimum (default scales
        with the problem size). The run is reproducible for a given ``seed`` unless the
        ``deadline`` cuts it short.
    starts
        Extra starting open masks (e.g. the Lagrangian selection) searched first.
    """
    rng = np.random.default_rng(seed)
    searcher = _Searcher(data, p)
    m = data.n_sites
    best_mask = greedy(data, p)
    best_obj, iters = searcher.search(best_mask, deadline)
    for s in starts or []:
        mask = s.copy()
        obj, k = searcher.search(mask, deadline)
        iters += k
        if obj < best_obj:
            best_obj, best_mask = obj, mask
    free = ~data.forced
    n_free_open = int((best_mask & free).sum())
    if restarts is None:
        work = data.cost.size + p * m
        restarts = int(np.clip(2e8 / max(work, 1) / max(p, 1), 2, 30))
    if n_free_open == 0 or n_free_open >= int(free.sum()):
        restarts = 0
    for _ in range(restarts):
        if time.perf_counter() >= deadline:
            break
        mask = best_mask.copy()
        open_free = np.flatnonzero(mask & free)
        closed = np.flatnonzero(~mask)
        r = int(rng.integers(1, max(2, min(open_free.size, closed.size, max(2, p // 4))) + 1))
        r = min(r, open_free.size, closed.size)
        out = rng.choice(open_free, size=r, replace=False)
        # Insert near the removed sites' clients: sample among points' listed neighbours.
        inn = rng.choice(closed, size=r, replace=False)
        mask[out] = False
        mask[inn] = True
        obj, k = searcher.search(mask, deadline)
        iters += k
        if obj < best_obj - 1e-12 * max(abs(best_obj), 1.0):
            best_obj, best_mask = obj, mask
    return LocalPlan(np.flatnonzero(best_mask).astype(np.int64), float(best_obj), iters)
