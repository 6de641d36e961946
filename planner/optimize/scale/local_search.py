"""Greedy + fast swap-based local search for the p-median (private).

Greedy opening on the neighbour lists, then best-improvement swaps evaluated with
the gain/loss/extra decomposition of Whitaker (1983) as made fast by Resende and
Werneck (2007), then seeded perturbation restarts (iterated local search). Plans are
always scored with exact costs.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.optimize.scale.data import Neighbours
from planner.optimize.timing import due


@dataclass(frozen=True)
class LocalPlan:
    """A plan on local indices and its exact objective."""

    open_local: np.ndarray
    objective: float
    iterations: int


class SharedPlan:
    """The best plan, shared between a search thread and the bound loop beside it.

    The bound loop reads the incumbent (its step target and fixing threshold);
    ``stop`` ends the search early (e.g. once the bound proves the plan optimal).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.objective = np.inf
        self.mask: np.ndarray | None = None
        self.stop = threading.Event()

    def best_mask(self) -> np.ndarray:
        """A copy of the best plan's open mask."""
        with self._lock:
            assert self.mask is not None
            return self.mask.copy()

    def offer(self, objective: float, mask: np.ndarray) -> None:
        with self._lock:
            if objective < self.objective:
                self.objective = float(objective)
                self.mask = mask.copy()


class _Searcher:
    """The incremental swap search's state for one neighbour list and ``p``.

    The state (plan, nearest two open sites per point, profit terms) is kept between
    swaps and updated only where a swap changes it (:mod:`._swap_kernels`).
    """

    def __init__(self, data: Neighbours, p: int) -> None:
        self._plan_state(data, p)
        n = data.n
        self.a1 = np.empty(n, dtype=np.int64)
        self.d1 = np.empty(n)
        self.a2 = np.empty(n, dtype=np.int64)
        self.d2 = np.empty(n)
        self.off = np.zeros(n, dtype=bool)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.mark = np.zeros(1, dtype=np.int64)
        self.affected = np.empty(n, dtype=np.int64)
        self.args = data.oracle_args()

    def _plan_state(self, data: Neighbours, p: int) -> None:
        """The plan and the profit terms, common to every searcher."""
        m = data.n_sites
        self.data = data
        self.p = p
        self.is_open = np.zeros(m, dtype=bool)
        self.open_list = np.zeros(p, dtype=np.int64)
        self.pos_of = np.full(m, -1, dtype=np.int64)
        self.gain = np.empty(m)
        self.loss = np.empty(m)
        self.extra = np.empty((p, m))
        self.pinned = np.zeros(m, dtype=np.int64)
        self.objective = np.inf

    # The arrays that define a state (restored when a restart does not pay).
    _STATE: tuple[str, ...] = ("is_open", "open_list", "pos_of", "a1", "d1", "a2", "d2", "off",
              "gain", "loss", "extra", "pinned")  # fmt: skip

    def snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = {k: getattr(self, k).copy() for k in self._STATE}
        snap["objective"] = self.objective
        return snap

    def restore(self, snap: dict[str, Any]) -> None:
        for k in self._STATE:
            np.copyto(getattr(self, k), snap[k])
        self.objective = snap["objective"]

    def load(self, is_open: np.ndarray) -> float:
        """Make ``is_open`` (exactly ``p`` sites) the current plan; returns its objective."""
        from planner.optimize.scale import swap_kernels as sk

        d = self.data
        np.copyto(self.is_open, is_open)
        self.open_list[:] = np.flatnonzero(is_open)
        obj = sk.swap_init(  # type: ignore[call-arg]
            d.indptr, d.site, d.cost, d.far, d.w, self.is_open, self.open_list, self.pos_of,
            *self.args, self.a1, self.d1, self.a2, self.d2, self.off,
            self.gain, self.loss, self.extra, self.pinned,
        )  # fmt: skip
        self.objective = float(obj)
        return self.objective

    def swap(self, f_out: int, j_in: int) -> None:
        """Close ``f_out`` and open ``j_in``, updating the state incrementally."""
        from planner.optimize.scale import swap_kernels as sk

        d = self.data
        t_indptr, t_row, t_pos = d.transposed
        self.objective += sk.swap_apply(  # type: ignore[call-arg]
            f_out, j_in, d.indptr, d.site, d.cost, d.far, d.w, self.is_open, self.open_list,
            self.pos_of, t_indptr, t_row, t_pos, *self.args,
            self.a1, self.d1, self.a2, self.d2, self.off, self.gain, self.loss, self.extra,
            self.pinned, self.stamp, self.mark, self.affected,
        )  # fmt: skip

    def exact_objective(self) -> float:
        from planner.optimize.scale import kernels as kern

        self.objective = float(kern.weighted_sum(self.data.w, self.d1))
        return self.objective

    def descend(self, deadline: float, max_iter: int = 1_000_000) -> int:
        """Best-improvement swaps to a local optimum (or the deadline); returns swaps made."""
        from planner.optimize.scale import swap_kernels as sk

        forced = self.data.forced
        it = 0
        if self.p >= self.data.n_sites:
            return 0
        while it < max_iter and not due(deadline):
            profit, j_in, q_out = sk.best_move(
                self.is_open, forced, self.open_list, self.gain, self.loss, self.extra,
                self.pinned,
            )  # fmt: skip
            if j_in < 0 or profit <= 1e-12 * max(abs(self.objective), 1.0):
                break
            self.swap(int(self.open_list[q_out]), int(j_in))
            it += 1
        self.exact_objective()
        return it

    def search(self, is_open: np.ndarray, deadline: float) -> tuple[float, int]:
        """Load ``is_open``, descend; writes the local optimum back into ``is_open``."""
        self.load(is_open)
        it = self.descend(deadline)
        np.copyto(is_open, self.is_open)
        return self.objective, it


class _CoverSearcher(_Searcher):
    """The same search on coverage data (0/1 costs): the state is how many open sites
    cover each point and which one when it is one (see the coverage kernels)."""

    _STATE = ("is_open", "open_list", "pos_of", "cnt", "uniq", "gain", "loss", "extra",
              "pinned")  # fmt: skip

    def __init__(self, data: Neighbours, p: int) -> None:
        self._plan_state(data, p)  # ``pinned`` stays 0: every point has far = 1
        self.cnt = np.zeros(data.n, dtype=np.int64)
        self.uniq = np.full(data.n, -1, dtype=np.int64)

    def load(self, is_open: np.ndarray) -> float:
        from planner.optimize.scale import swap_kernels as sk

        d = self.data
        np.copyto(self.is_open, is_open)
        self.open_list[:] = np.flatnonzero(is_open)
        obj = sk.cover_init(
            d.indptr, d.site, d.w, self.is_open, self.open_list, self.pos_of, self.cnt,
            self.uniq, self.gain, self.loss, self.extra,
        )  # fmt: skip
        self.objective = float(obj)
        return self.objective

    def swap(self, f_out: int, j_in: int) -> None:
        from planner.optimize.scale import swap_kernels as sk

        d = self.data
        t_indptr, t_row, _ = d.transposed
        self.objective += sk.cover_swap(
            f_out, j_in, d.indptr, d.site, d.w, self.is_open, self.open_list, self.pos_of,
            t_indptr, t_row, self.cnt, self.uniq, self.gain, self.loss, self.extra,
        )  # fmt: skip

    def exact_objective(self) -> float:
        from planner.optimize.scale import kernels as kern

        uncovered = (self.cnt == 0).astype(np.float64)
        self.objective = float(kern.weighted_sum(self.data.w, uncovered))
        return self.objective


def _searcher(data: Neighbours, p: int) -> _Searcher:
    return _CoverSearcher(data, p) if data.coverage else _Searcher(data, p)


def greedy(data: Neighbours, p: int, start: np.ndarray | None = None) -> np.ndarray:
    """Greedy opening up to ``p`` sites on the lists (capped costs); returns an open mask."""
    from planner.optimize.scale import kernels as kern

    is_open = data.forced.copy() if start is None else start.copy()
    n_add = p - int(is_open.sum())
    if n_add <= 0:
        return is_open
    cap = data.far.copy()
    last = data.cost[np.maximum(data.indptr[1:] - 1, 0)]
    inf = ~np.isfinite(cap)
    cap[inf] = last[inf] * 1.0001 + 1.0
    t_indptr, t_row, t_pos = data.transposed
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
    seed: int | Sequence[int] = 0,
    deadline: float = np.inf,
    restarts: int | None = None,
    starts: list[np.ndarray] | None = None,
    initial: np.ndarray | None = None,
    shared: SharedPlan | None = None,
) -> LocalPlan:
    """Greedy, swap search, then seeded perturbation restarts around the best plan.

    Each restart swaps one to three random open sites for closed ones (half of them a
    site near the removed one, listed by a point it served), descends, and keeps the
    result only if it beats the best plan (iterated local search); the state returns
    to the best plan otherwise, so a restart costs a few incremental swaps.

    Parameters
    ----------
    restarts
        Number of perturbation restarts after the first local optimum (default scales
        with the problem size). The run is reproducible for a given ``seed`` unless the
        ``deadline`` cuts it short.
    starts
        Extra starting open masks (e.g. the Lagrangian selection) searched first.
    initial
        A first plan (open mask of ``p`` sites) used instead of the greedy one.
    shared
        Publishes every better plan to a bound loop running beside the search, goes on
        from a better plan the other side offers there, and stops when it asks.
    """
    rng = np.random.default_rng(seed)
    searcher = _searcher(data, p)
    best_mask = greedy(data, p) if initial is None else initial.copy()
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
        work = data.cost.size / 50 + p * data.n_sites
        restarts = int(np.clip(2e8 / max(work, 1) / max(p, 1), 2, 200))
    if n_free_open == 0 or n_free_open >= int(free.sum()):
        restarts = 0
    if restarts == 0:
        return LocalPlan(np.flatnonzero(best_mask).astype(np.int64), float(best_obj), iters)
    if not np.array_equal(searcher.is_open, best_mask):
        searcher.search(best_mask.copy(), deadline)
    best_state = searcher.snapshot()
    if shared is not None:
        shared.offer(best_obj, best_mask)
    t_indptr, t_row, _ = data.transposed
    adopted = best_obj
    for _ in range(restarts):
        if due(deadline) or (shared is not None and shared.stop.is_set()):
            break
        if shared is not None and shared.objective < adopted - 1e-12 * max(abs(best_obj), 1.0):
            # The other side found a better plan: go on from it (once per plan).
            adopted = shared.objective
            mask = shared.best_mask()
            obj, k = searcher.search(mask, deadline)
            iters += k
            if obj < best_obj:
                best_obj, best_state = obj, searcher.snapshot()
                shared.offer(best_obj, mask)
            else:
                searcher.restore(best_state)
        _perturb(searcher, data, rng, free, t_indptr, t_row)
        iters += searcher.descend(deadline)
        if searcher.objective < best_obj - 1e-12 * max(abs(best_obj), 1.0):
            best_obj = searcher.objective
            best_state = searcher.snapshot()
            if shared is not None:
                shared.offer(best_obj, best_state["is_open"])
        else:
            searcher.restore(best_state)
    best_mask = best_state["is_open"]
    return LocalPlan(np.flatnonzero(best_mask).astype(np.int64), float(best_obj), iters)


def _perturb(
    searcher: _Searcher,
    data: Neighbours,
    rng: np.random.Generator,
    free: np.ndarray,
    t_indptr: np.ndarray,
    t_row: np.ndarray,
) -> None:
    """One to three random swaps; half of the inserted sites lie near the removed one
    (among the first listed sites of a point that lists the removed site)."""
    for _k in range(int(rng.integers(1, 4))):
        open_free = np.flatnonzero(searcher.is_open & free)
        f_out = int(open_free[rng.integers(open_free.size)])
        j_in = -1
        if rng.random() < 0.5 and t_indptr[f_out + 1] > t_indptr[f_out]:
            i = int(t_row[rng.integers(t_indptr[f_out], t_indptr[f_out + 1])])
            lo, hi = int(data.indptr[i]), int(data.indptr[i + 1])
            cand = data.site[lo : min(hi, lo + 16)]
            cand = cand[~searcher.is_open[cand]]
            if cand.size:
                j_in = int(cand[rng.integers(cand.size)])
        if j_in < 0:
            closed = np.flatnonzero(~searcher.is_open)
            j_in = int(closed[rng.integers(closed.size)])
        searcher.swap(f_out, j_in)
