"""Set covering at scale: coverage sets, dominance reduction and the minimum cover.

The covering models (``lscp``, ``p_center``) and the diagnosis of infeasible plans ask
"which sites cover which points within ``r``?" and "how few sites cover them all?";
both questions are answered here. The minimum cover runs the row-weighting search of
:mod:`~planner.optimize.scale.cover_search` beside HiGHS's set-covering MILP.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from planner.optimize.exact.milp import ArrayMilp, solve_highs
from planner.optimize.problem import Problem
from planner.optimize.scale.cover_search import CoverSearch, rows_to_csr
from planner.optimize.solution import Status
from planner.optimize.timing import carry_stop

#: Share of the time limit the set-covering local search may take before the MILP
#: starts, and the steps without improvement after which it stops early. Measured on
#: goal 6 (10,000 x 500, 10 km, seeds 1-3): the search reaches the proven optima
#: (50 / 50 / 51 sites) within 100,000 steps in most runs, at about 200,000 steps a
#: second; the slowest run needed 1.1 million steps.
COVER_SEARCH_SHARE = 0.15
COVER_STALL_STEPS = 100_000


@dataclass(frozen=True)
class Coverage:
    """Coverage sets of the weighted demand points over the allowed sites."""

    indptr: np.ndarray  # int64 (n_rows + 1)
    col: np.ndarray  # int64 local site index, sorted within a row
    rows: np.ndarray  # int64 original demand index of each row
    sites: np.ndarray  # int64 original site index of each local site


def coverage(problem: Problem, radius: float, rows: np.ndarray | None = None) -> Coverage:
    """Sites within ``radius`` of each weighted demand point (allowed sites only)."""
    sites = np.flatnonzero(~problem.excluded).astype(np.int64)
    if rows is None:
        rows = np.flatnonzero(problem.weight > 0).astype(np.int64)
    cost = problem.stored_cost()
    if sp.issparse(cost):
        sub = sp.csr_array(cost[rows][:, sites])
        sub.sort_indices()
        keep = sub.data <= radius
        r_of = np.repeat(np.arange(rows.size), np.diff(sub.indptr))[keep]
        col = sub.indices[keep].astype(np.int64)
    else:
        dense = np.asarray(cost)
        parts_r, parts_c = [], []
        chunk = max(1, 4_000_000 // max(sites.size, 1))
        full = sites.size == dense.shape[1]
        for s in range(0, rows.size, chunk):
            r = rows[s : s + chunk]
            block = dense[r] if full else dense[np.ix_(r, sites)]
            rr, cc = np.nonzero(block <= radius)
            parts_r.append(rr + s)
            parts_c.append(cc)
        r_of = np.concatenate(parts_r) if parts_r else np.zeros(0, dtype=np.int64)
        col = np.concatenate(parts_c).astype(np.int64) if parts_c else np.zeros(0, dtype=np.int64)
    counts = np.bincount(r_of, minlength=rows.size)
    indptr = np.zeros(rows.size + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return Coverage(indptr, col, rows, sites)


def merge_rows(
    cov: Coverage, weight: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Merge rows with the same coverage set.

    Returns ``(indptr, col, merged_weight, group)`` where ``group[k]`` is the merged row
    of original row ``k``. Rows are compared exactly (hash to group candidates, then
    full comparison of each group's members against its first).
    """
    n = cov.rows.size
    lengths = np.diff(cov.indptr)
    rng = np.random.default_rng(12345)
    n_sites = cov.sites.size
    k1 = rng.integers(1, 2**62, size=max(n_sites, 1), dtype=np.int64).astype(np.uint64)
    k2 = rng.integers(1, 2**62, size=max(n_sites, 1), dtype=np.uint64)
    row_of = np.repeat(np.arange(n), lengths)
    h1 = np.zeros(n, dtype=np.uint64)
    h2 = np.zeros(n, dtype=np.uint64)
    np.add.at(h1, row_of, k1[cov.col])
    np.bitwise_xor.at(h2, row_of, k2[cov.col])
    keys = np.stack([lengths.astype(np.uint64), h1, h2], axis=1)
    _, first, group = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    group = group.ravel()
    # Exact check: every member must equal its group's first row.
    rep = first[group]
    mism = rep != np.arange(n)
    for k in np.flatnonzero(mism):
        a = cov.col[cov.indptr[k] : cov.indptr[k + 1]]
        b = cov.col[cov.indptr[rep[k]] : cov.indptr[rep[k] + 1]]
        if not np.array_equal(a, b):  # hash collision: keep the row on its own
            first = np.append(first, k)
            group[k] = first.size - 1
    wsum = np.bincount(group, weights=weight, minlength=first.size)
    lens = lengths[first]
    indptr = np.zeros(first.size + 1, dtype=np.int64)
    np.cumsum(lens, out=indptr[1:])
    idx = (
        np.concatenate([np.arange(cov.indptr[f], cov.indptr[f + 1]) for f in first])
        if first.size
        else np.zeros(0, dtype=np.int64)
    )
    return indptr, cov.col[idx].astype(np.int64), wsum, group


@dataclass(frozen=True)
class CoverOutcome:
    proven: bool
    open_local: np.ndarray | None
    count: int
    bound: float
    rows: int


def reduced_rows(
    cov: Coverage, forced: np.ndarray, *, columns: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Covering rows reduced by dominance, for a unit-cost set cover.

    Rows already covered by forced sites go; rows with equal sets merge; a row
    containing another row is implied by it and goes; with ``columns``, a site covering
    a subset of another site's rows is dropped (some optimal cover avoids it). The two
    reductions repeat until nothing changes. Returns ``(indptr, col, allowed)`` with
    ``allowed`` the sites still usable (forced sites always are).
    """
    from planner.optimize.scale import kernels as kern

    m = cov.sites.size
    lengths = np.diff(cov.indptr)
    row_of = np.repeat(np.arange(lengths.size), lengths)
    hit = np.zeros(lengths.size, dtype=bool)
    if forced.any():
        hit[row_of[forced[cov.col]]] = True
    keep = ~hit
    sub = Coverage(
        indptr=np.concatenate([[0], np.cumsum(lengths[keep])]).astype(np.int64),
        col=cov.col[keep[row_of]],
        rows=cov.rows[keep],
        sites=cov.sites,
    )
    allowed = np.ones(m, dtype=bool)
    if sub.rows.size == 0:
        return np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64), allowed
    indptr, col, _, _ = merge_rows(sub, np.ones(sub.rows.size))
    for _ in range(20):
        n_rows = indptr.size - 1
        dom = kern.dominated_rows(indptr, col, m)
        r_of = np.repeat(np.arange(n_rows), np.diff(indptr))
        keep_e = ~dom[r_of]
        new_id = np.cumsum(~dom) - 1
        indptr, col = rows_to_csr(new_id[r_of[keep_e]], col[keep_e], int((~dom).sum()))
        if not columns:
            break
        # Column dominance on the transpose.
        n_rows = indptr.size - 1
        r_of = np.repeat(np.arange(n_rows), np.diff(indptr))
        t_indptr, t_col = rows_to_csr(col, r_of, m)
        gone = kern.contained_rows(t_indptr, t_col, n_rows) & allowed & ~forced
        if not gone.any():
            break
        allowed &= ~gone
        keep_e = ~gone[col]
        indptr, col = rows_to_csr(r_of[keep_e], col[keep_e], n_rows)
        # Removing sites can make rows equal: merge them again.
        sub = Coverage(indptr=indptr, col=col, rows=np.arange(n_rows), sites=cov.sites)
        indptr, col, _, _ = merge_rows(sub, np.ones(n_rows))
    return indptr, col, allowed


def _cover_milp(
    indptr: np.ndarray, col: np.ndarray, m: int, forced: np.ndarray, max_count: int | None
) -> ArrayMilp:
    """The set-covering MILP (forced sites fixed open); with ``max_count`` a last row
    ``sum y <= max_count`` turns the question into feasibility."""
    n_rows = indptr.size - 1
    a = sp.csr_array((np.ones(col.size), col, indptr), shape=(n_rows, m))
    lower_rows, upper_rows = np.ones(n_rows), np.full(n_rows, np.inf)
    if max_count is not None:
        a = sp.csr_array(sp.vstack([a, sp.csr_array(np.ones((1, m)))], format="csr"))
        lower_rows = np.append(lower_rows, 0.0)
        upper_rows = np.append(upper_rows, float(max_count))
    return ArrayMilp(
        c=np.ones(m), lower=forced.astype(np.float64), upper=np.ones(m),
        integer=np.ones(m, dtype=bool), A=a, row_lower=lower_rows, row_upper=upper_rows,
    )  # fmt: skip


def min_cover(
    indptr: np.ndarray,
    col: np.ndarray,
    m: int,
    forced: np.ndarray,
    *,
    time_limit: float,
    max_count: int | None = None,
    search: bool = False,
    seed: int = 0,
) -> CoverOutcome:
    """Smallest set of sites covering every row (``forced`` sites open).

    With ``max_count``, only the question "is there a cover of at most ``max_count``
    sites?" matters: the search stops as soon as one is found, or when the bound
    proves none exists. With ``search``, the row-weighting local search improves the
    greedy cover first (up to ``COVER_SEARCH_SHARE`` of the time) and keeps looking on
    the second core while the MILP runs.
    """
    from planner.optimize.scale import kernels as kern

    t0 = time.perf_counter()
    n_rows = indptr.size - 1
    greedy = kern.greedy_cover(indptr, col, m, forced.copy())
    n_forced = int(forced.sum())
    if n_rows == 0:
        return CoverOutcome(True, np.flatnonzero(forced), n_forced, float(n_forced), 0)
    from planner.optimize.scale.cover_search import cover_search

    if search:
        found = cover_search(
            indptr, col, m, greedy, forced, seed=seed,
            deadline=t0 + COVER_SEARCH_SHARE * time_limit, stall_steps=COVER_STALL_STEPS,
            lower_bound=n_forced if max_count is None else max_count,
        )  # fmt: skip
        greedy = found.cover
    g_count = int(greedy.sum())
    if max_count is not None and g_count <= max_count:
        return CoverOutcome(False, np.flatnonzero(greedy), g_count, -np.inf, n_rows)
    time_limit = max(time_limit - (time.perf_counter() - t0), 0.05)
    milp = _cover_milp(indptr, col, m, forced, max_count)
    options: dict[str, float | int] = {"mip_abs_gap": 1.0 - 1e-6}
    if max_count is not None:
        # Only covers of at most max_count matter: stop at the first one found.
        options["mip_max_improving_sols"] = 1
    more = None
    if search and max_count is None and g_count > n_forced:
        # The search goes on from the best cover (new seed) beside the MILP.
        import threading
        from concurrent.futures import ThreadPoolExecutor

        stop = threading.Event()
        pool = ThreadPoolExecutor(max_workers=1)
        more = pool.submit(
            carry_stop(cover_search), indptr, col, m, greedy, forced, seed=seed + 1,
            deadline=time.perf_counter() + time_limit, stall_steps=10**12,
            lower_bound=n_forced, stop=stop,
        )  # fmt: skip
    try:
        # ``threads`` stays unset: HiGHS refuses to run when it differs from the value
        # its global scheduler started with (e.g. by another solve in this process).
        # solve_highs also catches a start HiGHS returns unchanged (start_returned_ok).
        res = solve_highs(
            milp, time_limit=time_limit, seed=0, mip_gap=0.0, highs_options=options,
            initial=greedy.astype(np.float64) if max_count is None else None,
        )  # fmt: skip
    finally:
        extra: CoverSearch | None = None
        if more is not None:
            stop.set()
            extra = more.result()
            pool.shutdown()
    best = np.flatnonzero(greedy)
    count = g_count
    if res.x is not None:
        cand = np.flatnonzero(res.x > 0.5)
        if cand.size < count:
            best, count = cand, int(cand.size)
    if extra is not None and extra.count < count:
        best, count = np.flatnonzero(extra.cover), extra.count
    bound = res.bound if res.bound is not None else -np.inf
    proven = res.status is Status.OPTIMAL
    if res.status is Status.INFEASIBLE and max_count is not None and count > max_count:
        bound = max(bound, float(max_count) + 1.0)
        proven = True
    if proven and max_count is None:
        bound = float(count)
    return CoverOutcome(
        proven, best, count, float(np.ceil(bound - 1e-6)) if np.isfinite(bound) else bound, n_rows
    )
