# mypy: disable-error-code="no-untyped-def"
"""Numba kernels of the capacitated p-median method (private; see ``planner.optimize.scale.cpmp``).

Arrays (all owned by the caller):

* ``cost`` (n, m): weighted cost ``w_i c_ij`` of serving demand point ``i`` from site
  ``j``; ``inf`` where ``j`` may not serve ``i`` (absent pair, beyond the radius, or
  fixed out by reduced costs);
* ``load`` (n): capacity each point uses at its site; ``cap`` (m): site capacities;
* ``open_sites`` (k): the plan's open sites (column indices);
* ``asg`` (n): the column serving each point, ``-1`` when none.

Callers validate; kernels trust their input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_EPS = 1e-9


@njit(cache=True)
def knapsacks(cost, lam, load, cap, usable, rho, dual, take):
    """The Lagrangian subproblem of every usable site: a fractional 0/1 knapsack.

    With the assignment rows relaxed by ``lam``, site ``j`` collects the points of
    negative reduced cost ``r_ij = cost_ij - lam_i`` that fit its capacity. The LP
    (fractional) knapsack is solved exactly by the ratio rule; its value ``rho[j]``
    is a lower bound on the 0/1 knapsack, so the Lagrangian value stays a valid bound.
    ``dual[j]`` is the capacity's optimal dual (``-r/load`` of the first point that
    does not fit whole, 0 when all fit); ``take[i, j]`` the fraction of point ``i``
    taken (cleared here first).
    """
    n, m = cost.shape
    ratio = np.empty(n)
    idx = np.empty(n, dtype=np.int64)
    for j in range(m):
        for i in range(n):
            take[i, j] = 0.0
        if not usable[j]:
            rho[j] = np.inf
            dual[j] = 0.0
            continue
        k = 0
        total = 0.0
        for i in range(n):
            r = cost[i, j] - lam[i]
            if r < 0.0:
                if load[i] <= 0.0:
                    total += r
                    take[i, j] = 1.0
                else:
                    idx[k] = i
                    ratio[k] = r / load[i]
                    k += 1
        order = np.argsort(ratio[:k], kind="mergesort")
        room = cap[j]
        u = 0.0
        for t in range(k):
            i = idx[order[t]]
            if load[i] <= room:
                room -= load[i]
                total += cost[i, j] - lam[i]
                take[i, j] = 1.0
            else:
                frac = room / load[i]
                total += frac * (cost[i, j] - lam[i])
                take[i, j] = frac
                u = -ratio[order[t]]
                break
        rho[j] = total
        dual[j] = u


@njit(cache=True)
def assign(cost, load, cap, open_sites, asg, passes):
    """Single-source assignment of every point to the open sites within capacity.

    Regret order (points whose best and second-best open sites differ most go first)
    to the cheapest open site with room; points left over are placed by ejecting one
    point of a full site to another site with room (a two-step ejection chain); then
    shift and swap moves until none improves or ``passes`` rounds. Returns the total
    cost (``inf`` when some point could not be placed; ``asg`` then holds ``-1``).
    """
    n = cost.shape[0]
    k = open_sites.size
    room = np.empty(k)
    for q in range(k):
        room[q] = cap[open_sites[q]]
    regret = np.empty(n)
    for i in range(n):
        b1 = np.inf
        b2 = np.inf
        for q in range(k):
            c = cost[i, open_sites[q]]
            if c < b1:
                b2 = b1
                b1 = c
            elif c < b2:
                b2 = c
        if b1 == np.inf:
            return np.inf
        regret[i] = -(b2 - b1) if b2 < np.inf else -1e300
        # heavier points first among equal regrets
        regret[i] -= 1e-12 * load[i]
    order = np.argsort(regret, kind="mergesort")
    pos = np.full(n, -1, dtype=np.int64)  # position q of the open site serving i
    for t in range(n):
        i = order[t]
        best = -1
        bc = np.inf
        for q in range(k):
            c = cost[i, open_sites[q]]
            if c < bc and room[q] >= load[i] - _EPS:
                bc = c
                best = q
        if best >= 0:
            pos[i] = best
            room[best] -= load[i]
    # repair: a point with no room anywhere ejects one point of a site to a third site
    for i in range(n):
        if pos[i] >= 0:
            continue
        best_delta = np.inf
        bq = -1
        bk = -1
        bq2 = -1
        for q in range(k):
            ci = cost[i, open_sites[q]]
            if ci == np.inf:
                continue
            need = load[i] - room[q]
            for h in range(n):
                if pos[h] != q or load[h] < need - _EPS:
                    continue
                ch = cost[h, open_sites[q]]
                for q2 in range(k):
                    if q2 == q or room[q2] < load[h] - _EPS:
                        continue
                    c2 = cost[h, open_sites[q2]]
                    if c2 == np.inf:
                        continue
                    delta = ci + c2 - ch
                    if delta < best_delta:
                        best_delta = delta
                        bq = q
                        bk = h
                        bq2 = q2
        if bq < 0:
            for h in range(n):
                asg[h] = -1
            return np.inf
        pos[bk] = bq2
        room[bq2] -= load[bk]
        room[bq] += load[bk] - load[i]
        pos[i] = bq
    improve(cost, load, open_sites, pos, room, passes)
    total = 0.0
    for i in range(n):
        asg[i] = open_sites[pos[i]]
        total += cost[i, asg[i]]
    return total


@njit(cache=True)
def improve(cost, load, open_sites, pos, room, passes):
    """Shift (move one point) and swap (exchange two points) moves, best gain first per point."""
    n = cost.shape[0]
    k = open_sites.size
    for _ in range(passes):
        changed = False
        # shift
        for i in range(n):
            a = pos[i]
            ca = cost[i, open_sites[a]]
            best = -1
            bc = ca - _EPS * (1.0 + abs(ca))
            for q in range(k):
                if q != a and room[q] >= load[i] - _EPS:
                    c = cost[i, open_sites[q]]
                    if c < bc:
                        bc = c
                        best = q
            if best >= 0:
                room[a] += load[i]
                room[best] -= load[i]
                pos[i] = best
                changed = True
        # swap: i (at a) to b where it is cheaper, some h at b to a
        members = np.empty(n, dtype=np.int64)
        start = np.zeros(k + 1, dtype=np.int64)
        for i in range(n):
            start[pos[i] + 1] += 1
        for q in range(k):
            start[q + 1] += start[q]
        fill = start[:k].copy()
        where = np.empty(n, dtype=np.int64)
        for i in range(n):
            members[fill[pos[i]]] = i
            where[i] = fill[pos[i]]
            fill[pos[i]] += 1
        for i in range(n):
            a = pos[i]
            ca = cost[i, open_sites[a]]
            best_gain = _EPS * (1.0 + abs(ca))
            bh = -1
            for b in range(k):
                if b == a:
                    continue
                cb = cost[i, open_sites[b]]
                if cb >= ca:
                    continue
                for t in range(start[b], start[b + 1]):
                    h = members[t]
                    if pos[h] != b:
                        continue
                    if room[b] + load[h] < load[i] - _EPS or room[a] + load[i] < load[h] - _EPS:
                        continue
                    gain = ca + cost[h, open_sites[b]] - cb - cost[h, open_sites[a]]
                    if gain > best_gain:
                        best_gain = gain
                        bh = h
            if bh >= 0:
                b = pos[bh]
                room[a] += load[i] - load[bh]
                room[b] += load[bh] - load[i]
                pos[i] = b
                pos[bh] = a
                # keep the member lists exact: i takes h's slot and h takes i's
                wi = where[i]
                wh = where[bh]
                if wi >= start[a] and wi < start[a + 1] and wh >= start[b] and wh < start[b + 1]:
                    members[wi] = bh
                    members[wh] = i
                    where[i] = wh
                    where[bh] = wi
                changed = True
        if not changed:
            break


@njit(cache=True)
def knapsacks_exact(cost, lam, load, cap, usable, rho, take):
    """The 0/1 knapsack of every usable site by dynamic programming (integral loads).

    ``load`` and ``cap`` hold whole numbers. ``rho[j]`` is the knapsack's optimum (at
    least the LP value of :func:`knapsacks`, so the Lagrangian bound can only rise) and
    ``take[i, j]`` its 0/1 solution (cleared here first).
    """
    n, m = cost.shape
    idx = np.empty(n, dtype=np.int64)
    most = 0
    for j in range(m):
        if usable[j]:
            most = max(most, int(cap[j]))
    dp = np.empty(most + 1)
    keep = np.empty((n, most + 1), dtype=np.bool_)
    for j in range(m):
        if not usable[j]:
            for i in range(n):
                take[i, j] = 0.0
            rho[j] = np.inf
            continue
        rho[j] = _knap_one(cost, lam, load, int(cap[j]), j, take, idx, dp, keep)


@njit(cache=True)
def _knap_one(cost, lam, load, room, j, take, idx, dp, keep):
    """Site ``j``'s 0/1 knapsack by dynamic programming; sets column ``j`` of ``take``."""
    n = cost.shape[0]
    k = 0
    total = 0.0
    for i in range(n):
        take[i, j] = 0.0
        r = cost[i, j] - lam[i]
        if r < 0.0:
            if load[i] <= 0.0:
                total += r
                take[i, j] = 1.0
            elif load[i] <= room:
                idx[k] = i
                k += 1
    for c in range(room + 1):
        dp[c] = 0.0
    for t in range(k):
        i = idx[t]
        w = int(load[i])
        r = cost[i, j] - lam[i]
        for c in range(room + 1):
            keep[t, c] = False
        for c in range(room, w - 1, -1):
            v = dp[c - w] + r
            if v < dp[c]:
                dp[c] = v
                keep[t, c] = True
    c = room
    for t in range(k - 1, -1, -1):
        if keep[t, c]:
            take[idx[t], j] = 1.0
            c -= int(load[idx[t]])
    return total + dp[room]
