"""Neighbour lists and cost oracles for the large-scale methods (private).

A :class:`Neighbours` holds, for each demand point with positive weight, the
candidate sites it may use sorted by cost (possibly only the ``k`` nearest), and
``far[i]``: a cost that every site left out of the list reaches at least. Bounds
computed on the lists charge ``far[i]`` for the left-out sites, which is a
relaxation of the full problem (it can only lower costs), so they stay valid; plans
are always evaluated with the exact costs through the oracle.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from planner.optimize.problem import Problem

_EMPTY_F = np.zeros((1, 1))
_EMPTY_XY = np.zeros((1, 2))
_EMPTY_I = np.zeros(1, dtype=np.int64)
_EMPTY_D = np.zeros(1)

#: Neighbour lists longer than this per demand point are cut (dense input).
DEFAULT_MAX_NEIGHBOURS = 400
#: Up to this many (demand x site) pairs, every pair is listed (no cut at all).
FULL_LIST_PAIRS = 4_000_000


@dataclass(frozen=True, eq=False)
class Neighbours:
    """Sorted candidate lists (local indices) plus the exact-cost oracle."""

    indptr: np.ndarray  # int64 (n + 1)
    site: np.ndarray  # int32 (nnz), local site index, sorted by cost within a row
    cost: np.ndarray  # float64 (nnz)
    far: np.ndarray  # float64 (n): lower bound on the cost of every unlisted site; inf if none
    w: np.ndarray  # float64 (n) weights (all > 0)
    n_sites: int
    demand_index: np.ndarray  # int64 (n): original demand index of local point i
    site_index: np.ndarray  # int64 (m): original site index of local site j
    forced: np.ndarray  # bool (m): required sites
    integral: bool  # every cost and weight is an integer: objectives are integers
    # oracle
    mode: int
    rmap: np.ndarray
    cmap: np.ndarray
    dense: np.ndarray
    o_indptr: np.ndarray
    o_indices: np.ndarray
    o_data: np.ndarray
    penalty: float
    dxy: np.ndarray
    sxy: np.ndarray
    scale: float
    # 0/1 coverage data (maximal covering): every listed site costs 0, every other 1
    # (``far`` = 1 exactly); the swap search then keeps coverage counts.
    coverage: bool = False

    @property
    def n(self) -> int:
        return int(self.indptr.size - 1)

    @property
    def complete(self) -> bool:
        """True when no list is cut (bounds on the lists are bounds on the same problem)."""
        return bool(np.isinf(self.far).all())

    def oracle_args(self) -> tuple:
        return (
            self.mode,
            self.rmap,
            self.cmap,
            self.dense,
            self.o_indptr,
            self.o_indices,
            self.o_data,
            self.penalty,
            self.dxy,
            self.sxy,
            self.scale,
        )

    @cached_property
    def transposed(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each site, the points that list it and where (``t_indptr, t_row, t_pos``);
        built once per neighbour list."""
        from planner.optimize.scale import kernels as kern

        t_indptr = np.zeros(self.n_sites + 1, dtype=np.int64)
        t_row = np.empty(self.site.size, dtype=np.int64)
        t_pos = np.empty(self.site.size, dtype=np.int64)
        kern.transpose_lists(self.indptr, self.site, self.n_sites, t_indptr, t_row, t_pos)
        return t_indptr, t_row, t_pos

    def plan_costs(self, open_local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exact nearest open site and its cost for every listed point."""
        a1, d1, _, _ = self.plan_costs2(open_local)
        return a1, d1

    def plan_costs2(
        self, open_local: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Exact nearest and second-nearest open sites and their costs."""
        from planner.optimize.scale import kernels as kern

        is_open = np.zeros(self.n_sites, dtype=bool)
        is_open[open_local] = True
        a1 = np.empty(self.n, dtype=np.int64)
        d1 = np.empty(self.n)
        a2 = np.empty(self.n, dtype=np.int64)
        d2 = np.empty(self.n)
        kern.closest_two(  # type: ignore[call-arg]
            self.indptr, self.site, self.cost, self.far, is_open,
            np.asarray(open_local, dtype=np.int64), len(open_local), *self.oracle_args(),
            a1, d1, a2, d2,
        )  # fmt: skip
        return a1, d1, a2, d2


def _is_integral(values: np.ndarray) -> bool:
    return bool(values.size == 0 or np.all(values == np.round(values)))


def nearest_from_dense(
    cost: np.ndarray, rows: np.ndarray, cols: np.ndarray, k: int, chunk: int = 2048
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` cheapest columns of each selected row, sorted, and the next cost (far)."""
    n, m = rows.size, cols.size
    complete = k >= m
    kk = m if complete else k
    site = np.empty((n, kk), dtype=np.int32)
    cst = np.empty((n, kk))
    far = np.full(n, np.inf)
    full_cols = cols.size == cost.shape[1] and np.array_equal(cols, np.arange(cost.shape[1]))
    for s in range(0, n, chunk):
        r = rows[s : s + chunk]
        block = np.asarray(cost[r] if full_cols else cost[np.ix_(r, cols)], dtype=np.float64)
        if complete:
            order = np.argsort(block, axis=1, kind="stable")
        else:
            part = np.argpartition(block, kk, axis=1)[:, : kk + 1]
            pv = np.take_along_axis(block, part, axis=1)
            o = np.argsort(pv, axis=1, kind="stable")
            order = np.take_along_axis(part, o, axis=1)
            far[s : s + chunk] = np.take_along_axis(block, order[:, kk : kk + 1], axis=1)[:, 0]
            order = order[:, :kk]
        site[s : s + chunk] = order
        cst[s : s + chunk] = np.take_along_axis(block, order, axis=1)
    indptr = np.arange(0, (n + 1) * kk, kk, dtype=np.int64)[: n + 1]
    return indptr, site.ravel(), cst.ravel(), far


def _rows_from_sparse(
    cost: sp.csr_array, rows: np.ndarray, cols: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sorted present entries of each selected row (cut to ``k``; far = next present cost)."""
    sub = sp.csr_array(cost[rows][:, cols])
    sub.sort_indices()
    n = sub.shape[0]
    lengths = np.diff(sub.indptr)
    row_of = np.repeat(np.arange(n), lengths)
    order = np.lexsort((sub.indices, sub.data, row_of))
    data = sub.data[order]
    idx = sub.indices[order].astype(np.int32)
    far = np.full(n, np.inf)
    if lengths.size and lengths.max() > k:
        starts = sub.indptr[:-1]
        rank = np.arange(data.size) - np.repeat(starts, lengths)
        cut = lengths > k
        far[cut] = data[starts[cut] + k]
        keep = rank < k
        data, idx = data[keep], idx[keep]
        lengths = np.minimum(lengths, k)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return indptr, idx, data, far


def default_neighbours(n_demand: int, n_sites: int, p: int) -> int:
    """How many nearest sites to keep per demand point."""
    if n_demand * n_sites <= FULL_LIST_PAIRS:
        return n_sites
    return int(min(n_sites, max(64, 8 * n_sites // max(p, 1) + 16, DEFAULT_MAX_NEIGHBOURS // 4)))


def from_problem(problem: Problem, p: int, *, neighbours: int | None = None) -> Neighbours:
    """Neighbour lists of a :class:`Problem` (excluded sites and zero-weight points dropped)."""
    from planner.travel.point_costs import PointCosts

    if isinstance(problem.cost, PointCosts):
        pc = problem.cost
        return from_points(
            pc.demand_xy, pc.site_xy, problem.weight, p, scale=pc.scale,
            required=problem.required, excluded=problem.excluded, neighbours=neighbours,
        )  # fmt: skip
    cand = np.flatnonzero(~problem.excluded).astype(np.int64)
    keep = np.flatnonzero(problem.weight > 0).astype(np.int64)
    m = cand.size
    k = neighbours if neighbours is not None else default_neighbours(keep.size, m, p)
    k = max(1, min(int(k), m))
    cost = problem.cost
    if sp.issparse(cost):
        csr = sp.csr_array(cost)
        indptr, site, cst, far = _rows_from_sparse(csr, keep, cand, k)
        data_max = float(csr.data.max()) if csr.data.size else 1.0
        mode, dense = 1, _EMPTY_F
        o_indptr, o_indices, o_data = (
            csr.indptr.astype(np.int64),
            csr.indices.astype(np.int64),
            csr.data,
        )
        penalty = 1e3 * (data_max + 1.0)
        integral = _is_integral(csr.data)
    else:
        dense = np.asarray(cost)
        indptr, site, cst, far = nearest_from_dense(dense, keep, cand, k)
        mode = 0
        o_indptr = o_indices = _EMPTY_I
        o_data = _EMPTY_D
        penalty = np.inf
        integral = _is_integral(cst) and (
            bool(np.isinf(far).all()) or (dense.size <= 50_000_000 and _is_integral(dense))
        )
    return Neighbours(
        indptr=indptr,
        site=site,
        cost=cst,
        far=far,
        w=np.ascontiguousarray(problem.weight[keep], dtype=np.float64),
        n_sites=m,
        demand_index=keep,
        site_index=cand,
        forced=np.ascontiguousarray(problem.required[cand]),
        integral=integral and _is_integral(problem.weight),
        mode=mode,
        rmap=keep,
        cmap=cand,
        dense=dense,
        o_indptr=o_indptr,
        o_indices=o_indices,
        o_data=o_data,
        penalty=penalty,
        dxy=_EMPTY_XY,
        sxy=_EMPTY_XY,
        scale=1.0,
    )


def from_points(
    demand_xy: np.ndarray,
    site_xy: np.ndarray,
    weight: np.ndarray,
    p: int,
    *,
    rounding: str = "none",
    scale: float = 1.0,
    required: np.ndarray | None = None,
    excluded: np.ndarray | None = None,
    neighbours: int | None = None,
    workers: int = 2,
    chunk: int = 20_000,
) -> Neighbours:
    """Neighbour lists from coordinates (k nearest by a KD-tree), costs ``scale * distance``."""
    from scipy.spatial import cKDTree

    m_all = site_xy.shape[0]
    excl = np.zeros(m_all, dtype=bool) if excluded is None else excluded
    cand = np.flatnonzero(~excl).astype(np.int64)
    keep = np.flatnonzero(weight > 0).astype(np.int64)
    dxy = np.ascontiguousarray(demand_xy[keep], dtype=np.float64)
    sxy = np.ascontiguousarray(site_xy[cand], dtype=np.float64)
    n, m = dxy.shape[0], sxy.shape[0]
    k = neighbours if neighbours is not None else default_neighbours(n, m, p)
    k = max(1, min(int(k), m))
    complete = k >= m
    q = k if complete else k + 1
    tree = cKDTree(sxy)
    site = np.empty((n, k), dtype=np.int32)
    cst = np.empty((n, k))
    far = np.full(n, np.inf)
    for s in range(0, n, chunk):
        d, j = tree.query(dxy[s : s + chunk], k=q, workers=workers)
        d = np.asarray(d, dtype=np.float64).reshape(-1, q) * scale
        j = np.asarray(j).reshape(-1, q)
        if rounding == "floor":
            d = np.floor(d)
        # The tree returns each row sorted by distance; floor keeps that order.
        site[s : s + chunk] = j[:, :k]
        cst[s : s + chunk] = d[:, :k]
        if not complete:
            far[s : s + chunk] = d[:, k]
    indptr = np.arange(0, (n + 1) * k, k, dtype=np.int64)[: n + 1]
    w = np.ascontiguousarray(weight[keep], dtype=np.float64)
    req = np.zeros(m_all, dtype=bool) if required is None else required
    return Neighbours(
        indptr=indptr,
        site=site.ravel(),
        cost=cst.ravel(),
        far=far,
        w=w,
        n_sites=m,
        demand_index=keep,
        site_index=cand,
        forced=np.ascontiguousarray(req[cand]),
        integral=rounding == "floor" and scale == 1.0 and _is_integral(w),
        mode=3 if rounding == "floor" else 2,
        rmap=_EMPTY_I,
        cmap=_EMPTY_I,
        dense=_EMPTY_F,
        o_indptr=_EMPTY_I,
        o_indices=_EMPTY_I,
        o_data=_EMPTY_D,
        penalty=np.inf,
        dxy=dxy,
        sxy=sxy,
        scale=float(scale),
    )


def restrict_sites(data: Neighbours, keep: np.ndarray) -> Neighbours:
    """The same lists restricted to the sites ``keep`` (local indices, renumbered 0..k-1).

    Dropping sites from a list is exact for plans that do not use them; ``far`` stays a
    valid lower bound on every remaining unlisted site.
    """
    from dataclasses import replace

    keep = np.asarray(keep, dtype=np.int64)
    newid = np.full(data.n_sites, -1, dtype=np.int64)
    newid[keep] = np.arange(keep.size)
    ok = newid[data.site] >= 0
    row_of = np.repeat(np.arange(data.n, dtype=np.int64), np.diff(data.indptr))
    lengths = np.bincount(row_of[ok], minlength=data.n)
    indptr = np.zeros(data.n + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    return replace(
        data,
        indptr=indptr,
        site=newid[data.site[ok]].astype(np.int32),
        cost=data.cost[ok],
        n_sites=int(keep.size),
        forced=data.forced[keep],
        site_index=data.site_index[keep],
        cmap=data.cmap[keep] if data.mode <= 1 else data.cmap,
        sxy=data.sxy[keep] if data.mode >= 2 else data.sxy,
    )
