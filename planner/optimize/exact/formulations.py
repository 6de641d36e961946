"""Model builders: location models as :class:`~planner.optimize.exact.milp.ArrayMilp` from whole arrays.

Nothing here loops in Python over demand-site pairs: the allowed pairs are a CSR
structure sorted by cost within each demand row, and every constraint block is one
COO triplet built with numpy. See ``docs/models.md`` for the formulations.

Two families:

* **x-only models** (open/closed variables ``x_j``, every demand point served by its
  nearest open site): p-median and uncapacitated facility location in the *radius*
  formulation (Cornuejols, Nemhauser and Wolsey 1980; Elloumi 2010), in the chained
  form whose constraint matrix has one entry per allowed pair; MCLP, LSCP and the
  p-center covering test.
* **assignment models** (``x_j`` and ``y_ij``): capacitated p-median and capacitated
  facility location, single-source (binary ``y``) or split (continuous ``y``); also
  the classic p-median for comparison (``formulation="assignment"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.optimize.exact.milp import ArrayMilp
from planner.optimize.problem import Problem

INF = np.inf


# --------------------------------------------------------------------------- pairs


@dataclass(frozen=True, eq=False)
class Pairs:
    """Allowed (demand, site) pairs, sorted by cost within each demand row.

    ``rows``/``cols``/``cost`` are parallel entry arrays; ``cols`` index ``sites``
    (the compact list of non-excluded sites, i.e. the x variables); ``indptr`` gives
    each demand row's slice.
    """

    rows: np.ndarray
    cols: np.ndarray
    cost: np.ndarray
    indptr: np.ndarray
    sites: np.ndarray
    n_demand: int

    @property
    def n_sites(self) -> int:
        """Number of allowed sites (x variables)."""
        return int(self.sites.size)

    @property
    def counts(self) -> np.ndarray:
        """Number of allowed sites of each demand row."""
        return np.diff(self.indptr)

    def keep(self, mask: np.ndarray) -> Pairs:
        """The pairs where ``mask`` is true (order kept)."""
        rows = self.rows[mask]
        indptr = np.zeros(self.n_demand + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n_demand), out=indptr[1:])
        return Pairs(rows, self.cols[mask], self.cost[mask], indptr, self.sites, self.n_demand)

    def within(self, max_cost: np.ndarray) -> Pairs:
        """Pairs with ``cost <= max_cost[row]`` (``max_cost`` per demand row, inf = all)."""
        return self.keep(self.cost <= max_cost[self.rows])

    def row_min(self) -> np.ndarray:
        """Cheapest allowed cost of each demand row (inf where none)."""
        out = np.full(self.n_demand, INF)
        has = self.counts > 0
        out[has] = self.cost[self.indptr[:-1][has]]
        return out


def build_pairs(problem: Problem, *, max_cost: float | None = None) -> Pairs:
    """Allowed pairs of a problem: non-excluded sites, present entries, ``cost <= max_cost``."""
    sites = np.flatnonzero(~problem.excluded)
    n = problem.n_demand
    cost = problem.stored_cost()
    if sp.issparse(cost):
        sub = sp.csr_array(cost[:, sites])
        sub.sort_indices()
        rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(sub.indptr))
        cols = sub.indices.astype(np.int64)
        vals = np.asarray(sub.data, dtype=np.float64)
        if max_cost is not None:
            mask = vals <= max_cost
            rows, cols, vals = rows[mask], cols[mask], vals[mask]
        order = np.lexsort((cols, vals, rows))
        rows, cols, vals = rows[order], cols[order], vals[order]
    else:
        # Dense: a stable sort within each row gives the same order as the lexsort of
        # (row, cost, column) above, 5-10 times faster (no global sort of n x m triples).
        sub = np.asarray(cost, dtype=np.float64)[:, sites]
        m = sites.size
        order2 = np.argsort(sub, axis=1, kind="stable")
        rows = np.repeat(np.arange(n, dtype=np.int64), m)
        cols = order2.ravel().astype(np.int64, copy=False)
        vals = np.take_along_axis(sub, order2, axis=1).ravel()
        if max_cost is not None:
            mask = vals <= max_cost
            rows, cols, vals = rows[mask], cols[mask], vals[mask]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Pairs(rows, cols, vals, indptr, sites, n)


# --------------------------------------------------------------------------- builder


class MilpBuilder:
    """Accumulates column and row blocks; private, used only while building one model."""

    def __init__(self) -> None:
        self._c: list[np.ndarray] = []
        self._lo: list[np.ndarray] = []
        self._hi: list[np.ndarray] = []
        self._int: list[np.ndarray] = []
        self.n_cols = 0
        self._r: list[np.ndarray] = []
        self._k: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self._rlo: list[np.ndarray] = []
        self._rhi: list[np.ndarray] = []
        self.n_rows = 0

    def cols(
        self, c: np.ndarray, lo: float | np.ndarray, hi: float | np.ndarray, integer: bool
    ) -> int:
        """Add ``len(c)`` columns; return the index of the first."""
        c = np.asarray(c, dtype=np.float64)
        k = c.size
        start = self.n_cols
        self._c.append(c)
        self._lo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (k,)).copy())
        self._hi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (k,)).copy())
        self._int.append(np.full(k, integer))
        self.n_cols += k
        return start

    def rows(
        self,
        n_rows: int,
        r: np.ndarray,
        k: np.ndarray,
        v: np.ndarray | float,
        lo: float | np.ndarray,
        hi: float | np.ndarray,
    ) -> int:
        """Add ``n_rows`` rows given as local triplets ``(r, k, v)``; return the first row index."""
        start = self.n_rows
        r = np.asarray(r, dtype=np.int64)
        self._r.append(r + start)
        self._k.append(np.asarray(k, dtype=np.int64))
        self._v.append(np.broadcast_to(np.asarray(v, dtype=np.float64), r.shape).copy())
        self._rlo.append(np.broadcast_to(np.asarray(lo, dtype=np.float64), (n_rows,)).copy())
        self._rhi.append(np.broadcast_to(np.asarray(hi, dtype=np.float64), (n_rows,)).copy())
        self.n_rows += n_rows
        return start

    def build(self, sense: str = "min", offset: float = 0.0) -> ArrayMilp:
        """The finished model."""
        cat = np.concatenate
        r = cat(self._r) if self._r else np.zeros(0, dtype=np.int64)
        k = cat(self._k) if self._k else np.zeros(0, dtype=np.int64)
        v = cat(self._v) if self._v else np.zeros(0)
        mat = sp.csr_array((v, (r, k)), shape=(self.n_rows, self.n_cols))
        mat.sum_duplicates()
        mat.sort_indices()
        return ArrayMilp(
            c=cat(self._c) if self._c else np.zeros(0),
            lower=cat(self._lo) if self._lo else np.zeros(0),
            upper=cat(self._hi) if self._hi else np.zeros(0),
            integer=cat(self._int) if self._int else np.zeros(0, dtype=bool),
            A=mat,
            row_lower=cat(self._rlo) if self._rlo else np.zeros(0),
            row_upper=cat(self._rhi) if self._rhi else np.zeros(0),
            sense=sense,
            offset=float(offset),
        )


# --------------------------------------------------------------------------- blocks


def add_site_columns(
    b: MilpBuilder, problem: Problem, pairs: Pairs, c: np.ndarray | float = 0.0
) -> int:
    """Binary x_j for the allowed sites; required sites fixed to 1."""
    m = pairs.n_sites
    lo = problem.required[pairs.sites].astype(np.float64)
    return b.cols(np.broadcast_to(np.asarray(c, dtype=np.float64), (m,)), lo, 1.0, integer=True)


def add_count_row(b: MilpBuilder, x0: int, m: int, lo: float, hi: float) -> None:
    """``lo <= sum_j x_j <= hi``."""
    b.rows(1, np.zeros(m, dtype=np.int64), x0 + np.arange(m), 1.0, lo, hi)


def add_cover_rows(b: MilpBuilder, x0: int, pairs: Pairs, demand_rows: np.ndarray) -> np.ndarray:
    """Hard covering: for each listed demand row, ``sum_{allowed j in pairs} x_j >= 1``.

    Returns the listed rows that have no pair at all (uncoverable).
    """
    sel = np.zeros(pairs.n_demand, dtype=np.int64) - 1
    sel[demand_rows] = np.arange(demand_rows.size)
    mask = sel[pairs.rows] >= 0
    b.rows(demand_rows.size, sel[pairs.rows[mask]], x0 + pairs.cols[mask], 1.0, 1.0, INF)
    return demand_rows[pairs.counts[demand_rows] == 0]


def add_coverage_columns(
    b: MilpBuilder, x0: int, pairs: Pairs, demand_rows: np.ndarray, c: np.ndarray
) -> tuple[int, np.ndarray]:
    """Coverage v_i in [0, 1] with ``v_i <= sum_{j in pairs(i)} x_j`` for rows with a pair.

    ``c`` is the objective coefficient of each listed row. Returns the first v column
    and the demand rows (subset of ``demand_rows``) that got a v column, in order.
    """
    has = demand_rows[pairs.counts[demand_rows] > 0]
    sel = np.zeros(pairs.n_demand, dtype=np.int64) - 1
    sel[has] = np.arange(has.size)
    cc = np.zeros(pairs.n_demand)
    cc[demand_rows] = c
    v0 = b.cols(cc[has], 0.0, 1.0, integer=False)
    mask = sel[pairs.rows] >= 0
    r = np.concatenate([sel[pairs.rows[mask]], np.arange(has.size)])
    k = np.concatenate([x0 + pairs.cols[mask], v0 + np.arange(has.size)])
    v = np.concatenate([np.ones(int(mask.sum())), -np.ones(has.size)])
    b.rows(has.size, r, k, v, 0.0, INF)
    return v0, has


def add_standard(
    b: MilpBuilder, x0: int, pairs: Pairs, weight: np.ndarray, d: float, share: float
) -> np.ndarray:
    """Percentile standard on x-only models: ``sum_i w_i v_i >= share * W``, v_i covered within d.

    Returns the v columns' demand rows.
    """
    rows = np.flatnonzero(weight > 0)
    within = pairs.within(np.full(pairs.n_demand, d))
    v0, has = add_coverage_columns(b, x0, within, rows, np.zeros(rows.size))
    b.rows(
        1,
        np.zeros(has.size, dtype=np.int64),
        v0 + np.arange(has.size),
        weight[has],
        share * weight.sum(),
        INF,
    )
    return has


@dataclass(frozen=True, eq=False)
class RadiusLayout:
    """Where the z columns of a radius block sit: one per level that is not last in its row."""

    zcol: np.ndarray
    level_row: np.ndarray
    level_cost: np.ndarray
    offset: float

    def z_values(self, served_cost: np.ndarray) -> np.ndarray:
        """z of each z column for a plan whose demand rows are served at ``served_cost``."""
        has = self.zcol >= 0
        return (served_cost[self.level_row[has]] > self.level_cost[has]).astype(np.float64)


def add_radius_block(b: MilpBuilder, x0: int, pairs: Pairs, weight: np.ndarray) -> RadiusLayout:
    """Chained radius formulation of the service cost ``sum_i w_i d_i`` over nearest open sites.

    For demand row ``i`` with distinct allowed costs ``D_i^1 < ... < D_i^K``,
    ``z_i^k`` (k < K) is 1 when no open site lies within ``D_i^k``:

        z_i^1 + sum_{j: c_ij = D_i^1} x_j >= 1
        z_i^k - z_i^{k-1} + sum_{j: c_ij = D_i^k} x_j >= 0      (1 < k < K)
        - z_i^{K-1} + sum_{j: c_ij = D_i^K} x_j >= 0             (row i must be served)

    cost ``w_i (D_i^1 + sum_k (D_i^{k+1} - D_i^k) z_i^k)``. Its LP relaxation equals
    Elloumi's (2010) ``z_i^k + sum_{c_ij <= D_i^k} x_j >= 1`` but with one matrix entry
    per pair instead of one per (pair, level). Only rows with positive weight should be
    passed. Returns the layout; its ``offset`` is ``sum_i w_i D_i^1``.
    """
    rows, cost = pairs.rows, pairs.cost
    ne = rows.size
    if ne == 0:
        e = np.zeros(0, dtype=np.int64)
        return RadiusLayout(e, e, np.zeros(0), 0.0)
    first_in_row = np.ones(ne, dtype=bool)
    first_in_row[1:] = rows[1:] != rows[:-1]
    new_level = first_in_row.copy()
    new_level[1:] |= cost[1:] != cost[:-1]
    level = np.cumsum(new_level) - 1  # global level index of each entry
    starts = np.flatnonzero(new_level)
    n_levels = starts.size
    lvl_row = rows[starts]
    lvl_cost = cost[starts]
    lvl_first = first_in_row[starts]
    lvl_last = np.ones(n_levels, dtype=bool)
    lvl_last[:-1] = lvl_row[1:] != lvl_row[:-1]
    # z column for every level that is not the last of its row
    has_z = ~lvl_last
    zcol = np.full(n_levels, -1, dtype=np.int64)
    nz = int(has_z.sum())
    zc = np.zeros(nz)
    if nz:
        idx = np.flatnonzero(has_z)
        zc = weight[lvl_row[idx]] * (lvl_cost[idx + 1] - lvl_cost[idx])
    z0 = b.cols(zc, 0.0, INF, integer=False)
    zcol[has_z] = z0 + np.arange(nz)
    # rows: one per level
    lv = np.arange(n_levels)
    prev = np.flatnonzero(~lvl_first)
    r = np.concatenate([level, lv[has_z], prev])
    k = np.concatenate([x0 + pairs.cols, zcol[has_z], zcol[prev - 1]])
    v = np.concatenate([np.ones(ne), np.ones(nz), -np.ones(prev.size)])
    lo = np.where(lvl_first, 1.0, 0.0)
    b.rows(n_levels, r, k, v, lo, INF)
    offset = float((weight[lvl_row[lvl_first]] * lvl_cost[lvl_first]).sum())
    return RadiusLayout(zcol, lvl_row, lvl_cost, offset)


def radius_caps(problem: Problem, pairs: Pairs, p: int | None) -> np.ndarray:
    """A cost within which each demand row is served in every plan (inf when unknown).

    Exact cuts: a required site within ``c`` serves the row within ``c``; with exactly
    ``p`` of ``m`` allowed sites open, any ``m - p + 1`` of them include an open one,
    so the row's ``(m - p + 1)``-th cheapest allowed site bounds its cost.
    """
    cap = np.full(pairs.n_demand, INF)
    req = problem.required[pairs.sites][pairs.cols]
    if req.any():
        np.minimum.at(cap, pairs.rows[req], pairs.cost[req])
    if p is not None:
        k = pairs.n_sites - p  # 0-based position of the (m - p + 1)-th cheapest
        cnt = pairs.counts
        ok = cnt > k
        cap[ok] = np.minimum(cap[ok], pairs.cost[pairs.indptr[:-1][ok] + k])
    return cap


# --------------------------------------------------------------------------- assignment family


def add_assignment_block(
    b: MilpBuilder,
    x0: int,
    pairs: Pairs,
    demand_rows: np.ndarray,
    cost_coef: np.ndarray,
    *,
    single_source: bool,
    link: bool = True,
) -> int:
    """Columns y_ij (one per pair of a demand row), ``sum_j y_ij = 1`` and ``y_ij <= x_j``.

    ``cost_coef`` is the objective coefficient of each pair (aligned with ``pairs``);
    pairs must only hold the listed demand rows. Returns the first y column.
    """
    ne = pairs.rows.size
    y0 = b.cols(cost_coef, 0.0, 1.0, integer=single_source)
    sel = np.zeros(pairs.n_demand, dtype=np.int64) - 1
    sel[demand_rows] = np.arange(demand_rows.size)
    b.rows(demand_rows.size, sel[pairs.rows], y0 + np.arange(ne), 1.0, 1.0, 1.0)
    if link:
        e = np.arange(ne)
        b.rows(
            ne,
            np.concatenate([e, e]),
            np.concatenate([y0 + e, x0 + pairs.cols]),
            np.concatenate([np.ones(ne), -np.ones(ne)]),
            -INF,
            0.0,
        )
    return y0


def add_capacity_rows(
    b: MilpBuilder,
    x0: int,
    y0: int,
    pairs: Pairs,
    load: np.ndarray,
    capacity: np.ndarray,
) -> None:
    """``sum_i q_i y_ij <= Q_j x_j`` for every allowed site, plus ``sum_j Q_j x_j >= sum_i q_i``."""
    m = pairs.n_sites
    ne = pairs.rows.size
    cap = capacity[pairs.sites]
    r = np.concatenate([pairs.cols, np.arange(m)])
    k = np.concatenate([y0 + np.arange(ne), x0 + np.arange(m)])
    v = np.concatenate([load[pairs.rows], -cap])
    b.rows(m, r, k, v, -INF, 0.0)
    served = np.unique(pairs.rows)
    b.rows(1, np.zeros(m, dtype=np.int64), x0 + np.arange(m), cap, float(load[served].sum()), INF)


def add_assignment_standard(
    b: MilpBuilder, y0: int, pairs: Pairs, weight: np.ndarray, d: float, share: float
) -> None:
    """``sum_i w_i v_i >= share W`` with ``v_i <= sum_{j: c_ij <= d} y_ij`` (served within d)."""
    rows = np.flatnonzero(weight > 0)
    within = pairs.cost <= d
    has = np.unique(pairs.rows[within])
    has = has[weight[has] > 0]
    sel = np.zeros(pairs.n_demand, dtype=np.int64) - 1
    sel[has] = np.arange(has.size)
    v0 = b.cols(np.zeros(has.size), 0.0, 1.0, integer=False)
    e = np.flatnonzero(within & (sel[pairs.rows] >= 0))
    b.rows(
        has.size,
        np.concatenate([sel[pairs.rows[e]], np.arange(has.size)]),
        np.concatenate([y0 + e, v0 + np.arange(has.size)]),
        np.concatenate([np.ones(e.size), -np.ones(has.size)]),
        0.0,
        INF,
    )
    del rows
    b.rows(
        1,
        np.zeros(has.size, dtype=np.int64),
        v0 + np.arange(has.size),
        weight[has],
        share * weight.sum(),
        INF,
    )


def new_builder() -> MilpBuilder:
    """A fresh model builder."""
    return MilpBuilder()
