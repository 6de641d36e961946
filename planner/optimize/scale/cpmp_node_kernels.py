# mypy: disable-error-code="no-untyped-def"
"""Numba kernels of the capacitated branch and bound (private; see ``planner.optimize.scale.cpmp_bnb``).

A node's knapsack Lagrangian, read from compressed site lists instead of the dense
cost matrix:

* ``ptr``, ``pts``, ``cst`` (:func:`site_lists`): site ``j``'s allowed points are
  ``pts[ptr[j]:ptr[j + 1]]``, their weighted costs ``cst[...]``;
* each site's 0/1 knapsack by depth-first branch and bound (Horowitz and Sahni 1974;
  3-4 times faster than dynamic programming on pmedcap's dozen candidate points per
  site), dynamic programming when that runs long;
* the ``p - forced`` best sites found lazily: LP knapsacks, then exact ones, only
  where a lower bound says a site can still enter; inside one subgradient ascent
  (:func:`ascent`) the bounds of earlier steps are carried over, lowered by what the
  step can take off them, so most sites are not solved again.

Loads and capacities are whole numbers (the caller checks). Callers validate;
kernels trust their input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: Branches a knapsack's branch and bound may visit before dynamic programming takes over.
_BB_VISITS = 20_000


@njit(cache=True)
def site_lists(cost):
    """Each site's allowed points as compressed columns: ``(ptr, pts, cst)``.

    Site ``j``'s points are ``pts[ptr[j]:ptr[j + 1]]`` in increasing order, with their
    costs in ``cst``; pairs of infinite cost are left out. The knapsack kernels below
    read these contiguous lists instead of a strided column of ``cost``.
    """
    n, m = cost.shape
    ptr = np.zeros(m + 1, dtype=np.int64)
    for i in range(n):
        for j in range(m):
            if cost[i, j] < np.inf:
                ptr[j + 1] += 1
    for j in range(m):
        ptr[j + 1] += ptr[j]
    fill = ptr[:m].copy()
    pts = np.empty(ptr[m], dtype=np.int64)
    cst = np.empty(ptr[m])
    for i in range(n):
        for j in range(m):
            c = cost[i, j]
            if c < np.inf:
                pts[fill[j]] = i
                cst[fill[j]] = c
                fill[j] += 1
    return ptr, pts, cst


@njit(cache=True)
def _knap_list(ptr, pts, cst, lam, load, room, j, idx, dp, keep, sol, nsol):
    """Site ``j``'s 0/1 knapsack by dynamic programming on its point list.

    The table of the first ``q`` items stops at their total load (above it every
    entry equals the one at the total), so light knapsacks cost little. The points
    taken go to ``sol[j, :nsol[j]]``; returns the value.
    """
    k = 0
    total = 0.0
    cnt = 0
    for t in range(ptr[j], ptr[j + 1]):
        i = pts[t]
        r = cst[t] - lam[i]
        if r < 0.0:
            if load[i] <= 0.0:
                total += r
                sol[j, cnt] = i
                cnt += 1
            elif load[i] <= room:
                idx[k] = t
                k += 1
    dp[0] = 0.0
    top = 0  # dp[c] for c > top equals dp[top]
    for q in range(k):
        t = idx[q]
        w = int(load[pts[t]])
        r = cst[t] - lam[pts[t]]
        new_top = min(room, top + w)
        for c in range(top + 1, new_top + 1):
            dp[c] = dp[top]
        for c in range(new_top + 1):
            keep[q, c] = False
        for c in range(new_top, w - 1, -1):
            v = dp[min(c - w, top)] + r
            if v < dp[c]:
                dp[c] = v
                keep[q, c] = True
        top = new_top
    c = top
    cum = np.empty(k + 1, dtype=np.int64)
    cum[0] = 0
    for q in range(k):
        cum[q + 1] = min(room, cum[q] + int(load[pts[idx[q]]]))
    for q in range(k - 1, -1, -1):
        c = min(c, cum[q + 1])
        if keep[q, c]:
            sol[j, cnt] = pts[idx[q]]
            cnt += 1
            c -= int(load[pts[idx[q]]])
    nsol[j] = cnt
    return total + dp[top]


@njit(cache=True)
def _knap_bb(ptr, pts, cst, lam, load, room, j, ks, sol, nsol, max_visits):
    """Site ``j``'s 0/1 knapsack by depth-first branch and bound (Horowitz and Sahni).

    The points of negative reduced cost, best ratio first, are taken while they fit;
    a branch is left once its LP bound (the ratio rule on the points after it) cannot
    beat the best found. Same optimum as dynamic programming, for a few dozen points
    far faster. ``ks`` is scratch (9 rows x list length + 1). The points taken go to
    ``sol[j, :nsol[j]]``; returns the value, or NaN after ``max_visits`` branches (the
    caller then uses dynamic programming).
    """
    prof = ks[0]
    wt = ks[1]
    key = ks[2]
    pr = ks[3]
    cp = ks[4]
    k = 0
    total = 0.0
    cnt = 0
    for t in range(ptr[j], ptr[j + 1]):
        i = pts[t]
        r = cst[t] - lam[i]
        if r < 0.0:
            if load[i] <= 0.0:
                total += r
                sol[j, cnt] = i
                cnt += 1
            elif load[i] <= room:
                # insertion by ratio, best first (ties keep list order)
                q = k
                ratio = r / load[i]
                while q > 0 and key[q - 1] > ratio:
                    prof[q] = prof[q - 1]
                    wt[q] = wt[q - 1]
                    key[q] = key[q - 1]
                    ks[5, q] = ks[5, q - 1]
                    q -= 1
                prof[q] = -r
                wt[q] = load[i]
                key[q] = ratio
                ks[5, q] = i
                k += 1
    state = ks[6]
    x = ks[7]
    bx = ks[8]
    best = 0.0
    nb = 0
    pr[0] = 0.0
    cp[0] = room
    state[0] = 0.0
    level = 0
    visits = 0
    while level >= 0:
        visits += 1
        if visits > max_visits:
            return np.nan
        if level == k:
            if pr[k] > best or nb == 0:
                best = pr[k]
                nb = 1
                for q in range(k):
                    bx[q] = x[q]
            level -= 1
            continue
        st = state[level]
        if st == 0.0:
            # LP bound of the points from ``level`` on, within the room left
            ub = pr[level]
            left = cp[level]
            for q in range(level, k):
                if wt[q] <= left:
                    left -= wt[q]
                    ub += prof[q]
                else:
                    ub += left / wt[q] * prof[q]
                    break
            if nb and ub <= best:
                level -= 1
                continue
            state[level] = 1.0
            if wt[level] <= cp[level]:
                x[level] = 1.0
                pr[level + 1] = pr[level] + prof[level]
                cp[level + 1] = cp[level] - wt[level]
                state[level + 1] = 0.0
                level += 1
                continue
            st = 1.0
        if st == 1.0:
            state[level] = 2.0
            x[level] = 0.0
            pr[level + 1] = pr[level]
            cp[level + 1] = cp[level]
            state[level + 1] = 0.0
            level += 1
            continue
        level -= 1
    for q in range(k):
        if bx[q] > 0.5:
            sol[j, cnt] = int(ks[5, q])
            cnt += 1
    nsol[j] = cnt
    return total - best


@njit(cache=True)
def _knap_exact(ptr, pts, cst, lam, load, room, j, idx, dp, keep, sol, nsol, ks, visits):
    """Site ``j``'s 0/1 knapsack: branch and bound, dynamic programming after ``visits`` branches."""
    v = _knap_bb(ptr, pts, cst, lam, load, room, j, ks, sol, nsol, visits)
    if v == v:
        return v
    return _knap_list(ptr, pts, cst, lam, load, room, j, idx, dp, keep, sol, nsol)


@njit(cache=True)
def _lp_list(ptr, pts, cst, lam, load, room, j, ratio, rr, ww):
    """Site ``j``'s LP knapsack (ratio rule) on its point list: a lower bound on the 0/1 one.

    When all its points of negative reduced cost fit, that is the value; otherwise
    they are sorted by ratio (insertion: a site has a few dozen such points).
    """
    k = 0
    total = 0.0
    need = 0.0
    for t in range(ptr[j], ptr[j + 1]):
        i = pts[t]
        r = cst[t] - lam[i]
        if r < 0.0:
            if load[i] <= 0.0:
                total += r
            else:
                rr[k] = r
                ww[k] = load[i]
                ratio[k] = r / load[i]
                need += load[i]
                k += 1
    if need <= room:
        for q in range(k):
            total += rr[q]
        return total
    for q in range(1, k):
        kr = ratio[q]
        vr = rr[q]
        vw = ww[q]
        h = q
        while h > 0 and ratio[h - 1] > kr:
            ratio[h] = ratio[h - 1]
            rr[h] = rr[h - 1]
            ww[h] = ww[h - 1]
            h -= 1
        ratio[h] = kr
        rr[h] = vr
        ww[h] = vw
    left = float(room)
    for q in range(k):
        if ww[q] <= left:
            left -= ww[q]
            total += rr[q]
        else:
            total += left / ww[q] * rr[q]
            break
    return total


@njit(cache=True)
def _scratch(ptr, cap, usable):
    m = ptr.size - 1
    maxcap = 0
    for j in range(m):
        if usable[j] and int(cap[j]) > maxcap:
            maxcap = int(cap[j])
    most = 1
    for j in range(m):
        most = max(most, ptr[j + 1] - ptr[j])
    idx = np.empty(most, dtype=np.int64)
    ratio = np.empty(most)
    rr = np.empty(most)
    ww = np.empty(most)
    dp = np.empty(maxcap + 1)
    keep = np.empty((most, maxcap + 1), dtype=np.bool_)
    sol = np.empty((m, most), dtype=np.int64)
    nsol = np.zeros(m, dtype=np.int64)
    free = np.empty(m, dtype=np.int64)
    lpv = np.empty(m)
    ks = np.empty((9, most + 1))
    return idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks


@njit(cache=True, inline="always")
def _worst(best_j, best_v, need):
    """Index of the largest of the ``need`` kept values (ties: the larger site)."""
    worst = 0
    for q in range(1, need):
        if best_v[q] > best_v[worst] or (best_v[q] == best_v[worst] and best_j[q] > best_j[worst]):
            worst = q
    return worst


@njit(cache=True, inline="always")
def _keep(best_j, best_v, got, need, worst, j, v):
    """Keep site ``j``'s value ``v`` among the ``need`` smallest; the new count kept."""
    if got < need:
        best_j[got] = j
        best_v[got] = v
        return got + 1
    if v < best_v[worst] or (v == best_v[worst] and j < best_j[worst]):
        best_j[worst] = j
        best_v[worst] = v
    return got


@njit(cache=True, inline="always")
def _fill_take(take, sel, sol, nsol, n, p):
    """``take[i, q] = 1`` where point ``i`` is in the knapsack of selected site ``sel[q]``
    (the first ``n`` points and ``p`` sites; 0 elsewhere)."""
    for i in range(n):  # loops, not a slice: no view made per step
        for q in range(p):
            take[i, q] = 0.0
    for q in range(p):
        j = sel[q]
        for t in range(nsol[j]):
            take[sol[j, t], q] = 1.0


@njit(cache=True)
def lagrangian_lists(ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel, visits):
    """:func:`lagrangian_lazy` on the site lists of :func:`site_lists`: the same value and sites.

    ``take`` is (n, p): column ``q`` holds the 0/1 knapsack of site ``sel[q]``.
    """
    idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks = _scratch(ptr, cap, usable)
    return _lagr_lists(
        ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel,
        idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks, visits,
    )  # fmt: skip


@njit(cache=True)
def _lagr_lists(
    ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel,
    idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks, visits,
):  # fmt: skip
    n = lam.size
    m = ptr.size - 1
    total = 0.0
    for i in range(n):
        total += lam[i]
    nf = 0
    for j in range(m):
        if not usable[j]:
            rho[j] = np.inf
            continue
        if forced[j]:
            if nf >= p:
                return np.inf
            rho[j] = _knap_exact(
                ptr, pts, cst, lam, load, int(cap[j]), j, idx, dp, keep, sol, nsol, ks, visits
            )
            sel[nf] = j
            nf += 1
            total += rho[j]
    need = p - nf
    k = 0
    for j in range(m):
        if usable[j] and not forced[j]:
            free[k] = j
            lpv[k] = _lp_list(ptr, pts, cst, lam, load, int(cap[j]), j, ratio, rr, ww)
            rho[j] = lpv[k]
            k += 1
    if k < need:
        return np.inf
    if need > 0:
        order = np.argsort(lpv[:k], kind="mergesort")
        best_j = np.empty(need, dtype=np.int64)
        best_v = np.empty(need)
        got = 0
        worst = 0
        for t in range(k):
            j = free[order[t]]
            if got == need:
                worst = _worst(best_j, best_v, need)
                if lpv[order[t]] >= best_v[worst]:
                    break
            v = _knap_exact(
                ptr, pts, cst, lam, load, int(cap[j]), j, idx, dp, keep, sol, nsol, ks, visits
            )
            rho[j] = v
            got = _keep(best_j, best_v, got, need, worst, j, v)
        for q in range(need):
            sel[nf + q] = best_j[q]
            total += best_v[q]
    _fill_take(take, sel, sol, nsol, n, p)
    return total


@njit(cache=True)
def _lagr_carried(
    ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel,
    idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks, base, drift, visits,
):  # fmt: skip
    """:func:`lagrangian_lists` with each site's bound carried over from earlier steps.

    ``base[j] - drift[j]`` is a lower bound on site ``j``'s knapsack at ``lam`` (see
    :func:`_carry`). Sites are visited in increasing order of it; a site's LP knapsack
    is solved only when that bound is below the largest of the ``p - forced`` smallest
    exact values so far, and its exact knapsack only when the LP bound is too. The
    value and sites are those of solving every knapsack exactly; ``rho`` holds lower
    bounds where a site was not solved.
    """
    n = lam.size
    m = ptr.size - 1
    total = 0.0
    for i in range(n):
        total += lam[i]
    nf = 0
    for j in range(m):
        if not usable[j]:
            rho[j] = np.inf
            continue
        if forced[j]:
            if nf >= p:
                return np.inf
            v = _knap_exact(
                ptr, pts, cst, lam, load, int(cap[j]), j, idx, dp, keep, sol, nsol, ks, visits
            )
            rho[j] = v
            base[j] = v
            drift[j] = 0.0
            sel[nf] = j
            nf += 1
            total += v
    need = p - nf
    k = 0
    for j in range(m):
        if usable[j] and not forced[j]:
            free[k] = j
            lpv[k] = base[j] - drift[j] - 1e-9 * (1.0 + abs(base[j]))
            rho[j] = lpv[k]
            k += 1
    if k < need:
        return np.inf
    if need > 0:
        order = np.argsort(lpv[:k], kind="mergesort")
        best_j = np.empty(need, dtype=np.int64)
        best_v = np.empty(need)
        got = 0
        worst = 0
        for t in range(k):
            j = free[order[t]]
            if got == need:
                worst = _worst(best_j, best_v, need)
                if lpv[order[t]] >= best_v[worst]:
                    break
                lp = _lp_list(ptr, pts, cst, lam, load, int(cap[j]), j, ratio, rr, ww)
                base[j] = max(lp, lpv[order[t]])
                drift[j] = 0.0
                rho[j] = base[j]
                if lp >= best_v[worst]:
                    continue
            v = _knap_exact(
                ptr, pts, cst, lam, load, int(cap[j]), j, idx, dp, keep, sol, nsol, ks, visits
            )
            rho[j] = v
            base[j] = v
            drift[j] = 0.0
            got = _keep(best_j, best_v, got, need, worst, j, v)
        for q in range(need):
            sel[nf + q] = best_j[q]
            total += best_v[q]
    _fill_take(take, sel, sol, nsol, n, p)
    return total


@njit(cache=True)
def _carry(cost, lam, g, coef, usable, drift):
    """Lower every site's carried bound by what the step ``lam + coef g`` can take off it.

    A knapsack's value at ``lam'`` is at least its value at ``lam`` minus, over the
    points of negative reduced cost at ``lam'``, how far ``lam_i`` rose above
    ``max(c_ij, lam_i)``: only points whose multiplier rises (``g_i > 0``) count.
    """
    n, m = cost.shape
    for i in range(n):
        if g[i] <= 0.0:
            continue
        new = lam[i] + coef * g[i]
        for j in range(m):
            c = cost[i, j]
            if c < new and usable[j]:
                drift[j] += new - max(c, lam[i])


@njit(cache=True)
def ascent(
    cost, ptr, pts, cst, lam0, load, cap, usable, forced, p, steps, theta, cut, target_up,
    plan_every, stall_max, min_theta, best_lam, best_take, best_rho, best_sel, freq, plans,
):  # fmt: skip
    """Subgradient ascent of one branch-and-bound node on the site lists.

    From ``lam0``, at most ``steps`` steps towards ``target_up`` (the incumbent's cost,
    ``inf``: 5 % above the value), halving ``theta`` after ``stall_max`` steps without
    a better value, ending once the best value reaches ``cut`` or ``theta`` falls below
    ``min_theta``. The best value's multipliers, knapsacks (n, p), ``rho`` and sites go
    to ``best_*``; ``freq[j]`` sums ``it + 1`` over the steps that chose site ``j``;
    ``plans`` gets the site sets to repair (every ``plan_every`` steps, then the best).
    Returns ``(status, best value, steps taken, plans written, freq total)``: status 0
    normal, 1 no plan (a point or ``p`` cannot be served), 2 the knapsacks of the last
    step serve every point once (``best_*`` then hold that step, a plan).
    """
    n = lam0.size
    m = ptr.size - 1
    idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks = _scratch(ptr, cap, usable)
    lam = lam0.copy()
    rho = np.empty(m)
    take = np.empty((n, p))
    sel = np.empty(p, dtype=np.int64)
    g = np.empty(n)
    base = np.full(m, -np.inf)
    drift = np.zeros(m)
    for j in range(m):
        freq[j] = 0.0
    freq_n = 0.0
    best = -np.inf
    have = False
    stall = 0
    nplans = 0
    done = 0
    for it in range(steps):
        done += 1
        value = _lagr_carried(
            ptr, pts, cst, lam, load, cap, usable, forced, p, rho, take, sel,
            idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks, base, drift, _BB_VISITS,
        )  # fmt: skip
        if not value < np.inf:
            return 1, np.inf, done, nplans, freq_n
        for q in range(p):
            freq[sel[q]] += it + 1.0
        freq_n += it + 1.0
        norm = 0.0
        for i in range(n):
            c = 0.0
            for q in range(p):
                c += take[i, q]
            g[i] = 1.0 - c
            norm += g[i] * g[i]
        if value > best + 1e-9 * max(abs(value), 1.0):
            best = value
            have = True
            best_lam[:] = lam
            best_take[:, :] = take
            best_rho[:] = rho
            best_sel[:] = sel
            stall = 0
        else:
            stall += 1
            if stall >= stall_max:
                theta /= 2.0
                stall = 0
        if norm <= 1e-12:
            best_lam[:] = lam
            best_take[:, :] = take
            best_rho[:] = rho
            best_sel[:] = sel
            return 2, value, done, nplans, freq_n
        if best >= cut or theta < min_theta:
            break
        if it % plan_every == 0:
            plans[nplans, :] = sel
            nplans += 1
        target = target_up if target_up < np.inf else abs(value) * 1.05 + 1.0
        coef = theta * max(target - value, 1e-9 * max(abs(value), 1.0)) / norm
        _carry(cost, lam, g, coef, usable, drift)
        for i in range(n):
            lam[i] = lam[i] + coef * g[i]
    if have:
        plans[nplans, :] = best_sel
        nplans += 1
        # every site's own bound at the best multipliers (the steps kept only what they needed)
        _lagr_lists(
            ptr, pts, cst, best_lam, load, cap, usable, forced, p, best_rho, take, sel,
            idx, ratio, rr, ww, dp, keep, sol, nsol, free, lpv, ks, _BB_VISITS,
        )  # fmt: skip
    return 0, best, done, nplans, freq_n
