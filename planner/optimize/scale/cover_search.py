# mypy: disable-error-code="no-untyped-def"
"""Row-weighting local search for unicost set covering (numba).

The search of Gao, Weise and Li (2015), "An efficient local search heuristic with row
weighting for the unicost set covering problem" (RWLS), European Journal of
Operational Research 246(3), 750-761. It keeps a cover with one site fewer than the
best found so far, and moves by dropping the site whose loss is smallest and adding,
for a random uncovered row, the site whose gain is largest. Each uncovered row's weight
grows by one every step, so rows that stay uncovered pull the search towards them.
"Configuration checking" forbids adding back a site whose neighbourhood has not
changed since it was dropped, which breaks short cycles.

Scores, for the current weights:

* a site in the cover: minus the weight of the rows only it covers (what dropping it
  costs);
* a site outside: the weight of the uncovered rows it covers (what adding it gains).

The state lives in arrays so the search can run in chunks of steps between wall-clock
checks and continue where it stopped. Everything is deterministic for a given seed and
number of steps (the random rows come from a ``numpy.random.Generator`` seeded by
the caller, not from a global state, so searches in two threads stay independent).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from numba import njit

from planner.optimize.timing import due

__all__ = ["CoverSearch", "cover_search"]


def rows_to_csr(row_of: np.ndarray, col: np.ndarray, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR ``(indptr, col)`` of the entries ``(row_of[k], col[k])``, columns sorted in a row."""
    order = np.lexsort((col, row_of))
    counts = np.bincount(row_of, minlength=n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr, col[order].astype(np.int64)


@njit(cache=True, nogil=True)
def _better(c, pick, score, stamp):
    """Is site ``c`` a better pick than ``pick`` (-1: none yet)? Highest score, then oldest."""
    return (
        pick < 0 or score[c] > score[pick] or (score[c] == score[pick] and stamp[c] < stamp[pick])
    )


@njit(cache=True, nogil=True)
def _add(c, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc):
    in_cover[c] = True
    for a in range(t_indptr[c], t_indptr[c + 1]):
        r = t_row[a]
        count[r] += 1
        if count[r] == 1:
            # r was uncovered: the other sites lose its gain, c now covers it alone.
            for b in range(indptr[r], indptr[r + 1]):
                k = col[b]
                if k != c:
                    score[k] -= weight[r]
            # Remove r from the uncovered list (swap with the last).
            pos = unc_pos[r]
            last = unc[n_unc - 1]
            unc[pos] = last
            unc_pos[last] = pos
            unc_pos[r] = -1
            n_unc -= 1
        elif count[r] == 2:
            # The one other cover site no longer covers r alone.
            for b in range(indptr[r], indptr[r + 1]):
                k = col[b]
                if k != c and in_cover[k]:
                    score[k] += weight[r]
                    break
    s = 0
    for a in range(t_indptr[c], t_indptr[c + 1]):
        r = t_row[a]
        if count[r] == 1:
            s -= weight[r]
    score[c] = s
    return n_unc


@njit(cache=True, nogil=True)
def _drop(c, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc):
    in_cover[c] = False
    for a in range(t_indptr[c], t_indptr[c + 1]):
        r = t_row[a]
        count[r] -= 1
        if count[r] == 0:
            for b in range(indptr[r], indptr[r + 1]):
                k = col[b]
                if k != c:
                    score[k] += weight[r]
            unc[n_unc] = r
            unc_pos[r] = n_unc
            n_unc += 1
        elif count[r] == 1:
            for b in range(indptr[r], indptr[r + 1]):
                k = col[b]
                if in_cover[k]:
                    score[k] -= weight[r]
                    break
    s = 0
    for a in range(t_indptr[c], t_indptr[c + 1]):
        r = t_row[a]
        if count[r] == 0:
            s += weight[r]
    score[c] = s
    return n_unc


@njit(cache=True, nogil=True)
def _touch(c, indptr, col, t_indptr, t_row, free):
    """Configuration checking: the neighbours of ``c`` (sites sharing a row) may be added."""
    for a in range(t_indptr[c], t_indptr[c + 1]):
        r = t_row[a]
        for b in range(indptr[r], indptr[r + 1]):
            free[col[b]] = True


@njit(cache=True, nogil=True)
def _leave(
    c, step, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc,
    stamp, free,
):  # fmt: skip
    """Site ``c`` leaves the cover at ``step``; its neighbours may come back in."""
    n_unc = _drop(
        c, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc
    )
    stamp[c] = step
    _touch(c, indptr, col, t_indptr, t_row, free)
    return n_unc


@njit(cache=True, nogil=True)
def _init(indptr, col, t_indptr, t_row, start, in_cover, count, weight, score, unc, unc_pos):
    n_rows = indptr.size - 1
    n_cols = t_indptr.size - 1
    for r in range(n_rows):
        count[r] = 0
        weight[r] = 1
        unc_pos[r] = -1
    for c in range(n_cols):
        in_cover[c] = False
        score[c] = 0
    n_unc = 0
    for r in range(n_rows):
        unc[n_unc] = r
        unc_pos[r] = n_unc
        n_unc += 1
    for c in range(n_cols):
        s = 0
        for a in range(t_indptr[c], t_indptr[c + 1]):
            s += weight[t_row[a]]
        score[c] = s
    for c in range(n_cols):
        if start[c]:
            n_unc = _add(
                c, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc
            )
    return n_unc


@njit(cache=True, nogil=True)
def _drop_redundant(
    indptr,
    col,
    t_indptr,
    t_row,
    forced,
    in_cover,
    count,
    weight,
    score,
    unc,
    unc_pos,
    n_unc,
    stamp,
    step,
):
    """Drop cover sites that cover no row alone (score 0), in index order."""
    n_cols = t_indptr.size - 1
    for c in range(n_cols):
        if in_cover[c] and not forced[c] and score[c] == 0:
            n_unc = _drop(
                c, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc
            )
            stamp[c] = step
    return n_unc


@njit(cache=True, nogil=True)
def _run(
    indptr, col, t_indptr, t_row, forced, allowed,
    in_cover, count, weight, score, unc, unc_pos, stamp, free, state, best, steps, rng,
):  # fmt: skip
    """Run ``steps`` steps. ``state`` = [n_unc, n_cover, best_count, step, last_added,
    last_improvement]. ``best`` holds the best cover found."""
    n_cols = t_indptr.size - 1
    n_unc = state[0]
    n_cover = state[1]
    best_count = state[2]
    step = state[3]
    last_added = state[4]
    last_improvement = state[5]
    for _ in range(steps):
        step += 1
        while n_unc == 0:
            if n_cover < best_count:
                best_count = n_cover
                last_improvement = step
                for c in range(n_cols):
                    best[c] = in_cover[c]
            # Aim for one fewer: drop the cheapest site.
            pick = -1
            for c in range(n_cols):
                if in_cover[c] and not forced[c] and _better(c, pick, score, stamp):
                    pick = c
            if pick < 0:
                break
            n_unc = _leave(pick, step, indptr, col, t_indptr, t_row, in_cover, count, weight,
                           score, unc, unc_pos, n_unc, stamp, free)  # fmt: skip
            n_cover -= 1
        if n_unc == 0:
            break  # only forced sites are left and they cover everything
        # Drop: the cover site with the smallest loss, not the one just added. A cover
        # below the target size (one fewer than the best) after dropping redundant
        # sites only adds.
        pick = -1
        for c in range(n_cols if n_cover >= best_count - 1 else 0):
            if in_cover[c] and not forced[c] and c != last_added and _better(c, pick, score, stamp):
                pick = c
        if pick >= 0:
            n_unc = _leave(pick, step, indptr, col, t_indptr, t_row, in_cover, count, weight,
                           score, unc, unc_pos, n_unc, stamp, free)  # fmt: skip
            n_cover -= 1
            free[pick] = False  # not back in until a neighbour changes
        # Add: for a random uncovered row, its site with the largest gain.
        r = unc[rng.integers(0, n_unc)]
        add = -1
        for b in range(indptr[r], indptr[r + 1]):
            c = col[b]
            if allowed[c] and free[c] and _better(c, add, score, stamp):
                add = c
        if add < 0:
            # Every site of the row is blocked by configuration checking: take the best anyway.
            for b in range(indptr[r], indptr[r + 1]):
                c = col[b]
                if allowed[c] and _better(c, add, score, stamp):
                    add = c
        n_unc = _add(
            add, indptr, col, t_indptr, t_row, in_cover, count, weight, score, unc, unc_pos, n_unc
        )
        n_cover += 1
        stamp[add] = step
        last_added = add
        _touch(add, indptr, col, t_indptr, t_row, free)
        # Uncovered rows gain weight; every site covering them gains score.
        for u in range(n_unc):
            r = unc[u]
            weight[r] += 1
            for b in range(indptr[r], indptr[r + 1]):
                score[col[b]] += 1
        # Sites made redundant by the addition go.
        for a in range(t_indptr[add], t_indptr[add + 1]):
            rr = t_row[a]
            for b in range(indptr[rr], indptr[rr + 1]):
                c = col[b]
                if in_cover[c] and not forced[c] and c != add and score[c] == 0:
                    n_unc = _leave(c, step, indptr, col, t_indptr, t_row, in_cover, count, weight,
                                   score, unc, unc_pos, n_unc, stamp, free)  # fmt: skip
                    n_cover -= 1
    if n_unc == 0 and n_cover < best_count:
        best_count = n_cover
        last_improvement = step
        for c in range(n_cols):
            best[c] = in_cover[c]
    state[0] = n_unc
    state[1] = n_cover
    state[2] = best_count
    state[3] = step
    state[4] = last_added
    state[5] = last_improvement


@dataclass(frozen=True)
class CoverSearch:
    """Outcome of :func:`cover_search`."""

    cover: np.ndarray  # bool per site: the smallest cover found
    count: int
    steps: int
    last_improvement: int  # step of the last improvement (0: the start was never beaten)
    stopped_by_time: bool  # the deadline or the stop event ended it


def cover_search(
    indptr: np.ndarray,
    col: np.ndarray,
    n_sites: int,
    start: np.ndarray,
    forced: np.ndarray,
    *,
    seed: int,
    deadline: float,
    stall_steps: int = 200_000,
    max_steps: int = 50_000_000,
    lower_bound: int = 0,
    stop: threading.Event | None = None,
) -> CoverSearch:
    """Smallest cover the row-weighting search finds from the cover ``start``.

    ``indptr``/``col`` hold each row's sites (CSR). Sites not in any row are never
    added. The search stops at ``deadline`` (``time.perf_counter()``), after
    ``stall_steps`` steps without an improvement, after ``max_steps`` steps, or when
    the cover reaches ``lower_bound``, or when ``stop`` is set (another thread found the
    answer). Forced sites stay in the cover.
    """
    n_rows = indptr.size - 1
    start = np.asarray(start, dtype=np.bool_) | forced
    if n_rows == 0:
        return CoverSearch(forced.copy(), int(forced.sum()), 0, 0, False)
    row_of = np.repeat(np.arange(n_rows, dtype=np.int64), np.diff(indptr))
    t_indptr, t_row = rows_to_csr(col, row_of, n_sites)  # each site's rows
    allowed = np.diff(t_indptr) > 0
    col64 = col.astype(np.int64)
    indptr64 = indptr.astype(np.int64)
    in_cover = np.zeros(n_sites, dtype=np.bool_)
    count = np.zeros(n_rows, dtype=np.int64)
    weight = np.zeros(n_rows, dtype=np.int64)
    score = np.zeros(n_sites, dtype=np.int64)
    unc = np.zeros(n_rows, dtype=np.int64)
    unc_pos = np.zeros(n_rows, dtype=np.int64)
    stamp = np.zeros(n_sites, dtype=np.int64)
    free = np.ones(n_sites, dtype=np.bool_)
    forced_b = np.ascontiguousarray(forced, dtype=np.bool_)
    n_unc = _init(
        indptr64, col64, t_indptr, t_row, start, in_cover, count, weight, score, unc, unc_pos
    )
    if n_unc:
        raise ValueError("cover_search: the start does not cover every row")
    n_unc = _drop_redundant(indptr64, col64, t_indptr, t_row, forced_b, in_cover, count, weight, score,
                            unc, unc_pos, n_unc, stamp, 0)  # fmt: skip
    best = in_cover.copy()
    n_cover = int(in_cover.sum())
    state = np.array([n_unc, n_cover, n_cover, 0, -1, 0], dtype=np.int64)
    rng = np.random.default_rng(seed)
    chunk = 2_000
    stopped_by_time = False
    while True:
        if state[2] <= lower_bound or state[3] >= max_steps or state[3] - state[5] >= stall_steps:
            break
        if due(deadline) or (stop is not None and stop.is_set()):
            stopped_by_time = True
            break
        _run(indptr64, col64, t_indptr, t_row, forced_b, allowed, in_cover, count, weight, score,
             unc, unc_pos, stamp, free, state, best, chunk, rng)  # fmt: skip
        if state[0] == 0 and state[1] == state[2] and state[1] == int(forced_b.sum()):
            break
    return CoverSearch(best.copy(), int(state[2]), int(state[3]), int(state[5]), stopped_by_time)
