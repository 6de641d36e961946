# mypy: disable-error-code="no-untyped-def"
"""Incremental fast swap search for the p-median (numba kernels, private).

Resende and Werneck (2007), "A fast swap-based local search procedure for location
problems": the profit of swapping closed site ``j`` in for open site ``f`` is

    profit(j, f) = gain[j] - loss[f] + extra[f, j],

where every term is a sum of per-point contributions that depend only on the point's
nearest and second-nearest open sites (``a1, d1, a2, d2``). After a swap only the
points whose ``a1``/``a2`` was the removed site, or for which the inserted site is
closer than ``d2``, change; subtracting their old contributions and adding the new
ones keeps every term exact at a cost proportional to those points, instead of a pass
over all points per swap. On 100,000 points this makes a swap about a hundred times
cheaper.

State arrays (all owned by the caller, updated in place):

* ``is_open`` (m) and ``open_list`` (p) with ``pos_of`` (m, -1 when closed): the plan,
  each open site at a fixed position ``q`` until it is swapped out (the inserted site
  takes the position over);
* ``a1, d1, a2, d2`` (n): nearest and second-nearest open site and exact cost;
* ``gain`` (m), ``loss`` (m), ``extra`` (p, m): the profit terms; ``extra[q, j]``
  collects the points whose nearest open site sits at position ``q``; ``pinned`` (m)
  counts points that reach no second open site, whose nearest site is then kept;
* ``off`` (n, bool) marks points whose two nearest open sites are not both in their
  neighbour list (their costs come from the exact oracle); they are scanned on every
  swap, so a good neighbour length keeps them few.

Contributions are computed from the neighbour list only: terms of unlisted sites are
left out, so a profit is never overestimated and an accepted swap always improves the
exact objective. Callers validate; kernels trust their input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from planner.optimize.scale.kernels import nearest_two, oracle_cost


@njit(cache=True, nogil=True)
def point_terms(i, sign, indptr, site, cost, w, a1, d1, d2, pos_of, gain, loss, extra, pinned):
    """Add (``sign`` = 1) or remove (-1) point ``i``'s terms of gain, loss and extra."""
    wi = w[i] * sign
    c1 = d1[i]
    c2 = d2[i]
    f = a1[i]
    if c2 == np.inf:
        # A single open site in reach (p = 1, or a complete list with one open site):
        # its site is pinned (never swapped out or dropped, a conservative rule); the
        # point still gains from a closer site. No open site in reach: nothing to pin.
        if f >= 0:
            pinned[f] += int(sign)
        if c1 == np.inf:
            return
        for t in range(indptr[i], indptr[i + 1]):
            c = cost[t]
            if c >= c1:
                break
            gain[site[t]] += wi * (c1 - c)
        return
    q = pos_of[f]
    loss[f] += wi * (c2 - c1)
    for t in range(indptr[i], indptr[i + 1]):
        c = cost[t]
        if c >= c2:
            break
        j = site[t]
        if j == f:
            continue
        if c < c1:
            gain[j] += wi * (c1 - c)
            extra[q, j] += wi * (c2 - c1)
        else:
            extra[q, j] += wi * (c2 - c)


@njit(cache=True, nogil=True)
def refresh_point(
    i, indptr, site, cost, far, w, is_open, open_list, pos_of,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned,
):  # fmt: skip
    """Recompute point ``i``'s nearest two open sites and add its terms; returns its
    weighted cost."""
    b1, c1, b2, c2, o = nearest_two(
        i, indptr, site, cost, far, is_open, open_list,
        mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    )  # fmt: skip
    a1[i] = b1
    d1[i] = c1
    a2[i] = b2
    d2[i] = c2
    off[i] = o
    point_terms(i, 1.0, indptr, site, cost, w, a1, d1, d2, pos_of, gain, loss, extra, pinned)
    return w[i] * c1


@njit(cache=True, nogil=True)
def _reset_terms(open_list, pos_of, gain, loss, extra):
    """Positions of the open sites; profit terms cleared (before a fill from scratch)."""
    pos_of[:] = -1
    for q in range(open_list.size):
        pos_of[open_list[q]] = q
    gain[:] = 0.0
    loss[:] = 0.0
    extra[:, :] = 0.0


@njit(cache=True, nogil=True)
def swap_init(
    indptr, site, cost, far, w, is_open, open_list, pos_of,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned,
):  # fmt: skip
    """Fill the state from scratch for the plan in ``is_open``/``open_list``; returns the
    exact objective."""
    n = indptr.size - 1
    _reset_terms(open_list, pos_of, gain, loss, extra)
    pinned[:] = 0
    obj = 0.0
    for i in range(n):
        obj += refresh_point(
            i, indptr, site, cost, far, w, is_open, open_list, pos_of,
            mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
            a1, d1, a2, d2, off, gain, loss, extra, pinned,
        )  # fmt: skip
    return obj


@njit(cache=True, nogil=True)
def take_out_affected(
    f_out, j_in, indptr, site, cost, w, pos_of, t_indptr, t_row, t_pos,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned, stamp, mark, affected,
):  # fmt: skip
    """Collect in ``affected`` the points a move (close ``f_out``, open ``j_in``; -1: none)
    changes, and take their terms out. Returns ``(how many, minus their weighted cost)``.

    ``stamp`` (n, int64) and ``mark`` (a one-element counter) tag points already
    collected; ``affected`` (n, int64) is scratch."""
    n = indptr.size - 1
    mark[0] += 1
    tag = mark[0]
    k = 0
    # Points that list the removed site as their nearest or second nearest.
    if f_out >= 0:
        for u in range(t_indptr[f_out], t_indptr[f_out + 1]):
            i = t_row[u]
            if (a1[i] == f_out or a2[i] == f_out) and stamp[i] != tag:
                stamp[i] = tag
                affected[k] = i
                k += 1
    # Points for which the inserted site is closer than their second nearest.
    if j_in >= 0:
        for u in range(t_indptr[j_in], t_indptr[j_in + 1]):
            i = t_row[u]
            if cost[t_pos[u]] < d2[i] and stamp[i] != tag:
                stamp[i] = tag
                affected[k] = i
                k += 1
    # Points served through the oracle: check them exactly.
    for i in range(n):
        if off[i] and stamp[i] != tag:
            hit = f_out >= 0 and (a1[i] == f_out or a2[i] == f_out)
            if not hit and j_in >= 0:
                c = oracle_cost(
                    mode, i, j_in, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty,
                    dxy, sxy, scale,
                )  # fmt: skip
                hit = c < d2[i]
            if hit:
                stamp[i] = tag
                affected[k] = i
                k += 1
    delta = 0.0
    for u in range(k):
        i = affected[u]
        point_terms(i, -1.0, indptr, site, cost, w, a1, d1, d2, pos_of, gain, loss, extra, pinned)
        delta -= w[i] * d1[i]
    return k, delta


@njit(cache=True, nogil=True)
def swap_apply(
    f_out, j_in, indptr, site, cost, far, w, is_open, open_list, pos_of,
    t_indptr, t_row, t_pos,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned, stamp, mark, affected,
):  # fmt: skip
    """Swap ``j_in`` in for ``f_out`` and update the state of the affected points only
    (:func:`take_out_affected`). Returns the change of the objective.
    """
    k, delta = take_out_affected(
        f_out, j_in, indptr, site, cost, w, pos_of, t_indptr, t_row, t_pos,
        mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
        a1, d1, a2, d2, off, gain, loss, extra, pinned, stamp, mark, affected,
    )  # fmt: skip
    q = pos_of[f_out]
    is_open[f_out] = False
    is_open[j_in] = True
    open_list[q] = j_in
    pos_of[f_out] = -1
    pos_of[j_in] = q
    # The removed site's terms now hold float residue only: start them clean.
    loss[f_out] = 0.0
    extra[q, :] = 0.0
    for u in range(k):
        delta += refresh_point(
            affected[u], indptr, site, cost, far, w, is_open, open_list, pos_of,
            mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
            a1, d1, a2, d2, off, gain, loss, extra, pinned,
        )  # fmt: skip
    return delta


@njit(cache=True, nogil=True)
def best_move(is_open, fixed_open, open_list, gain, loss, extra, pinned):
    """The best (profit, j_in, q_out) over every closed ``j`` and swappable position."""
    best = 0.0
    bj = -1
    bq = -1
    m = is_open.size
    for q in range(open_list.size):
        f = open_list[q]
        if fixed_open[f] or pinned[f] > 0:
            continue
        lq = loss[f]
        row = extra[q]
        for j in range(m):
            if is_open[j]:
                continue
            v = gain[j] - lq + row[j]
            if v > best:
                best = v
                bj = j
                bq = q
    return best, bj, bq


# --------------------------------------------------------------------------- coverage
#
# Maximal covering as a p-median on 0/1 costs (listed sites cover, cost 0; every other
# site costs 1): a point's terms depend only on how many open sites cover it. Keeping
# that count (``cnt``) and the single covering site when it is one (``uniq``) makes a
# swap touch only the points whose count crosses 0, 1 or 2; the generic kernel above
# rescans the lists of every point whose nearest two open sites change, and in dense
# areas that is every point the removed site covers. Same profit terms, so
# ``best_move`` serves both.


@njit(cache=True, nogil=True)
def _cover_terms(i, sign, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra):
    """Add (``sign`` = 1) or remove (-1) point ``i``'s terms: an uncovered point is a
    gain for every site covering it; a point covered once is a loss for its site, won
    back (``extra``) by any other site covering it."""
    c = cnt[i]
    if c >= 2:
        return
    wi = w[i] * sign
    if c == 0:
        for t in range(indptr[i], indptr[i + 1]):
            gain[site[t]] += wi
        return
    f = uniq[i]
    q = pos_of[f]
    loss[f] += wi
    for t in range(indptr[i], indptr[i + 1]):
        j = site[t]
        if j != f:
            extra[q, j] += wi


@njit(cache=True, nogil=True)
def cover_init(indptr, site, w, is_open, open_list, pos_of, cnt, uniq, gain, loss, extra):
    """Fill the coverage state from scratch for the plan in ``is_open``/``open_list``;
    returns the uncovered weight."""
    n = indptr.size - 1
    _reset_terms(open_list, pos_of, gain, loss, extra)
    obj = 0.0
    for i in range(n):
        c = 0
        u = -1
        for t in range(indptr[i], indptr[i + 1]):
            j = site[t]
            if is_open[j]:
                c += 1
                u = j
        cnt[i] = c
        uniq[i] = u if c == 1 else -1
        if c == 0:
            obj += w[i]
        _cover_terms(i, 1.0, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra)
    return obj


@njit(cache=True, nogil=True)
def cover_swap(
    f_out, j_in, indptr, site, w, is_open, open_list, pos_of, t_indptr, t_row,
    cnt, uniq, gain, loss, extra,
):  # fmt: skip
    """Swap ``j_in`` in for ``f_out``, updating the coverage state of the points whose
    count crosses 0, 1 or 2; returns the change of the uncovered weight."""
    delta = 0.0
    q = pos_of[f_out]
    for u in range(t_indptr[f_out], t_indptr[f_out + 1]):
        i = t_row[u]
        c = cnt[i]
        if c > 2:
            cnt[i] = c - 1
            continue
        _cover_terms(i, -1.0, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra)
        cnt[i] = c - 1
        if c == 1:
            uniq[i] = -1
            delta += w[i]
        else:  # c == 2: the other open site now covers it alone
            for t in range(indptr[i], indptr[i + 1]):
                g = site[t]
                if g != f_out and is_open[g]:
                    uniq[i] = g
                    break
        _cover_terms(i, 1.0, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra)
    is_open[f_out] = False
    pos_of[f_out] = -1
    # Every point the removed site covered alone has moved on: clear float residue.
    loss[f_out] = 0.0
    extra[q, :] = 0.0
    is_open[j_in] = True
    open_list[q] = j_in
    pos_of[j_in] = q
    for u in range(t_indptr[j_in], t_indptr[j_in + 1]):
        i = t_row[u]
        c = cnt[i]
        if c > 1:
            cnt[i] = c + 1
            continue
        _cover_terms(i, -1.0, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra)
        cnt[i] = c + 1
        if c == 0:
            uniq[i] = j_in
            delta -= w[i]
        else:
            uniq[i] = -1
        _cover_terms(i, 1.0, indptr, site, w, cnt, uniq, pos_of, gain, loss, extra)
    return delta
