# mypy: disable-error-code="no-untyped-def"
"""Numba kernels of the uncapacitated facility-location method (private).

Three pieces, all on the neighbour lists of :mod:`planner.optimize.scale.data`:

* **add / drop / swap search** (Kuehn and Hamburger 1963; the incremental profit terms
  of Whitaker 1983 as made fast by Resende and Werneck 2007, extended to a varying
  number of open sites). For each point its nearest and second-nearest open site
  ``a1, d1, a2, d2`` (exact costs through the oracle); ``gain[j]`` is what opening
  ``j`` saves in service cost, ``loss[f]`` what closing ``f`` adds, and
  ``extra[q, j]`` what a swap of the site in slot ``q`` for ``j`` wins back. With
  ``fc`` the cost of keeping a site open, the moves' profits are

      add j:        gain[j] - fc[j]
      drop f:       fc[f] - loss[f]
      swap f -> j:  gain[j] - loss[f] + extra[q(f), j] + fc[f] - fc[j].

  Terms of unlisted sites are left out, which can only underestimate a profit, so
  every accepted move lowers the exact objective. After a move only the points whose
  nearest two open sites change are updated. The per-point terms and their refresh are
  the p-median swap search's own (:func:`~planner.optimize.scale.swap_kernels.point_terms`,
  :func:`~planner.optimize.scale.swap_kernels.refresh_point`,
  :func:`~planner.optimize.scale.swap_kernels.take_out_affected`).
* the **Lagrangian relaxation** of the assignment rows: each site's subproblem is
  closed-form (open it when its reduced cost ``fc[j] + sum_i min(0, w_i c_ij - lam_i)``
  is negative);
* **dual ascent** (Erlenkotter 1978): raise each point's multiplier level by level
  while every site it reaches keeps a non-negative slack; a good first multiplier.

Open sites sit in *slots* (rows of ``extra``): ``slot_of[j]`` (-1 when closed); the
compact list ``olist[:n_open]`` with ``oidx[j]`` serves the oracle scans. Callers
validate; kernels trust their input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from planner.optimize.scale.swap_kernels import refresh_point, take_out_affected


@njit(cache=True, nogil=True)
def ufl_init(
    indptr, site, cost, far, w, is_open, olist, oidx, slot_of, free_slots,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned,
):  # fmt: skip
    """Fill the state from ``is_open``; returns ``(service cost, number open)``.

    ``free_slots`` (length: slots + 1) is the stack of unused slots, its size kept in
    the last element."""
    m = is_open.size
    n_slots = extra.shape[0]
    n_open = 0
    slot_of[:] = -1
    oidx[:] = -1
    for j in range(m):
        if is_open[j]:
            olist[n_open] = j
            oidx[j] = n_open
            slot_of[j] = n_open
            n_open += 1
    # free slots: n_open .. n_slots-1 (stack; size in free_slots[n_slots])
    k = 0
    for s in range(n_slots - 1, n_open - 1, -1):
        free_slots[k] = s
        k += 1
    free_slots[n_slots] = k
    gain[:] = 0.0
    loss[:] = 0.0
    extra[:, :] = 0.0
    pinned[:] = 0
    obj = 0.0
    for i in range(indptr.size - 1):
        obj += refresh_point(
            i, indptr, site, cost, far, w, is_open, olist[:n_open], slot_of,
            mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
            a1, d1, a2, d2, off, gain, loss, extra, pinned,
        )  # fmt: skip
    return obj, n_open


@njit(cache=True, nogil=True)
def ufl_move(
    f_out, j_in, n_open, indptr, site, cost, far, w, is_open, olist, oidx, slot_of, free_slots,
    t_indptr, t_row, t_pos,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2, off, gain, loss, extra, pinned, stamp, mark, affected,
):  # fmt: skip
    """Close ``f_out`` (-1: none) and open ``j_in`` (-1: none); update the affected points.

    The caller makes sure a free slot exists for an add. Returns ``(change of the
    service cost, new number open)``.
    """
    n_slots = extra.shape[0]
    k, delta = take_out_affected(
        f_out, j_in, indptr, site, cost, w, slot_of, t_indptr, t_row, t_pos,
        mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
        a1, d1, a2, d2, off, gain, loss, extra, pinned, stamp, mark, affected,
    )  # fmt: skip
    if f_out >= 0:
        q = slot_of[f_out]
        is_open[f_out] = False
        slot_of[f_out] = -1
        loss[f_out] = 0.0
        extra[q, :] = 0.0
        # compact list: move the last open site into the hole
        h = oidx[f_out]
        last = olist[n_open - 1]
        olist[h] = last
        oidx[last] = h
        oidx[f_out] = -1
        n_open -= 1
        top = free_slots[n_slots]
        free_slots[top] = q
        free_slots[n_slots] = top + 1
    if j_in >= 0:
        top = free_slots[n_slots] - 1
        q = free_slots[top]
        free_slots[n_slots] = top
        is_open[j_in] = True
        slot_of[j_in] = q
        extra[q, :] = 0.0
        olist[n_open] = j_in
        oidx[j_in] = n_open
        n_open += 1
    for u in range(k):
        delta += refresh_point(
            affected[u], indptr, site, cost, far, w, is_open, olist[:n_open], slot_of,
            mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
            a1, d1, a2, d2, off, gain, loss, extra, pinned,
        )  # fmt: skip
    return delta, n_open


@njit(cache=True, nogil=True)
def ufl_best_move(is_open, forced, olist, n_open, slot_of, fc, gain, loss, extra, pinned,
                  can_add, can_drop, can_swap, bcost, room):  # fmt: skip
    """The best move ``(profit, f_out, j_in)`` (-1 for "none" on either side).

    Budget: a move may add at most ``room`` to ``sum(bcost[open])`` (``inf``: no budget),
    so a plan within the budget stays within it."""
    m = is_open.size
    best = 0.0
    bf = -1
    bj = -1
    if can_add:
        for j in range(m):
            if not is_open[j] and bcost[j] <= room:
                v = gain[j] - fc[j]
                if v > best:
                    best = v
                    bf = -1
                    bj = j
    for u in range(n_open):
        f = olist[u]
        if forced[f] or pinned[f] > 0:
            continue
        lf = loss[f]
        keep = fc[f]
        if can_drop:
            v = keep - lf
            if v > best:
                best = v
                bf = f
                bj = -1
        if can_swap:
            row = extra[slot_of[f]]
            fits = room + bcost[f]
            for j in range(m):
                if is_open[j] or bcost[j] > fits:
                    continue
                v = gain[j] - lf + row[j] + keep - fc[j]
                if v > best:
                    best = v
                    bf = f
                    bj = j
    return best, bf, bj


@njit(cache=True, nogil=True)
def reduced_costs(indptr, site, cost, far, w, lam, out):
    """``out[j] = sum_i min(0, w_i c_ij - lam_i)`` with every unlisted site of point ``i``
    charged ``far[i]`` (a valid relaxation); returns nothing."""
    n = indptr.size - 1
    base = 0.0
    out[:] = 0.0
    for i in range(n):
        wi = w[i]
        li = lam[i]
        fv = 0.0
        if far[i] < np.inf:
            fv = min(0.0, wi * far[i] - li)
            base += fv
        for t in range(indptr[i], indptr[i + 1]):
            v = wi * cost[t] - li
            if v >= 0.0:
                break
            out[site[t]] += v - fv
        # listed sites beyond the break have v >= 0 and (far >= cost) fv = 0: no term
    for j in range(out.size):
        out[j] += base


@njit(cache=True, nogil=True)
def subgradient(indptr, site, cost, far, w, lam, sel, n_sel, out):
    """``out[i] = 1 - #{selected j : w_i c_ij < lam_i}`` (unlisted sites at ``far[i]``)."""
    n = indptr.size - 1
    for i in range(n):
        wi = w[i]
        li = lam[i]
        cnt = 0
        listed_sel = 0
        for t in range(indptr[i], indptr[i + 1]):
            if wi * cost[t] >= li:
                break  # sorted: no later listed site counts (and far >= every listed cost)
            if sel[site[t]]:
                listed_sel += 1
                cnt += 1
        if far[i] < np.inf and wi * far[i] < li:
            # every listed cost is below far, so the loop above ran through the list
            cnt += n_sel - listed_sel
        out[i] = 1.0 - cnt


@njit(cache=True, nogil=True)
def dual_ascent(indptr, site, cost, far, w, slack, lam, passes):
    """Erlenkotter's ascent: raise ``lam`` (start: each point's cheapest weighted cost)
    level by level while the slack of every site it reaches stays >= 0.

    ``slack`` (per site, modified) starts at the cost of opening each site (0 for sites
    open anyway). A point stops at ``w_i far_i`` (its unlisted sites are not tracked).
    Returns the number of passes made.
    """
    n = indptr.size - 1
    for it in range(passes):
        changed = False
        for i in range(n):
            lo = indptr[i]
            hi = indptr[i + 1]
            if hi == lo:
                continue
            wi = w[i]
            li = lam[i]
            # sites already reached (w c <= lam), and the next level
            nxt = np.inf
            room = np.inf
            for t in range(lo, hi):
                v = wi * cost[t]
                if v <= li:
                    s = slack[site[t]]
                    if s < room:
                        room = s
                else:
                    nxt = v
                    break
            if nxt == np.inf and far[i] < np.inf:
                nxt = wi * far[i]
            step = min(nxt - li, room)
            if not step > 0.0 or step == np.inf:
                continue
            lam[i] = li + step
            for t in range(lo, hi):
                if wi * cost[t] <= li:
                    slack[site[t]] -= step
                else:
                    break
            changed = True
        if not changed:
            return it + 1
    return passes
