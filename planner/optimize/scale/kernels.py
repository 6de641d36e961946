# mypy: disable-error-code="no-untyped-def"
"""Numba kernels for the large-scale p-median and covering methods (private).

Every kernel works on a *neighbour list*: for each demand point ``i`` the sites it
may use, sorted by cost, in CSR form (``indptr``, ``site``, ``cost``), plus
``far[i]``, a value that every site *outside* the list costs at least (``inf`` when
the list is complete). A *cost oracle* gives the exact cost of any pair:

* mode 0: a dense ``(n, m)`` matrix;
* mode 1: a CSR matrix with sorted column indices (absent pairs cost ``penalty``);
* mode 2: Euclidean distance between coordinates (``scale`` times the distance);
* mode 3: ``floor`` of the Euclidean distance (TSPLIB convention).

Callers validate; kernels trust their input.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# --------------------------------------------------------------------------- oracle


@njit(cache=True, nogil=True)
def oracle_cost(
    mode, i, j, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale
):
    """Exact cost of serving demand point ``i`` from site ``j`` (local indices; ``rmap`` and
    ``cmap`` map them to the rows and columns of ``dense`` or the CSR matrix)."""
    if mode == 0:
        return dense[rmap[i], cmap[j]]
    if mode == 1:
        i = rmap[i]
        j = cmap[j]
        lo = o_indptr[i]
        hi = o_indptr[i + 1]
        while lo < hi:
            mid = (lo + hi) // 2
            v = o_indices[mid]
            if v < j:
                lo = mid + 1
            else:
                hi = mid
        if lo < o_indptr[i + 1] and o_indices[lo] == j:
            return o_data[lo]
        return penalty
    dx = dxy[i, 0] - sxy[j, 0]
    dy = dxy[i, 1] - sxy[j, 1]
    d = np.sqrt(dx * dx + dy * dy) * scale
    if mode == 3:
        return np.floor(d)
    return d


# --------------------------------------------------------------------------- assignment


@njit(cache=True, nogil=True)
def nearest_two(
    i, indptr, site, cost, far, is_open, open_list,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
):  # fmt: skip
    """(a1, d1, a2, d2, off) of point ``i``: its nearest and second-nearest open site and
    their exact costs; ``off`` is True when they are not both in its neighbour list
    (then they come from the oracle)."""
    b1 = -1
    c1 = np.inf
    b2 = -1
    c2 = np.inf
    found = 0
    for t in range(indptr[i], indptr[i + 1]):
        j = site[t]
        if is_open[j]:
            if found == 0:
                b1 = j
                c1 = cost[t]
                found = 1
            else:
                b2 = j
                c2 = cost[t]
                found = 2
                break
    if found == 2 or far[i] == np.inf:
        return b1, c1, b2, c2, False
    if mode == 1 and far[i] >= penalty:
        # Every unlisted site costs the penalty (sparse rows, 0/1 coverage costs):
        # any open site not found in the list will do.
        for q in range(open_list.size):
            j = open_list[q]
            if j == b1:
                continue
            if found == 0:
                b1 = j
                c1 = penalty
                found = 1
            else:
                b2 = j
                c2 = penalty
                break
        return b1, c1, b2, c2, True
    # The list is truncated: the second (or first) open site lies beyond it.
    b1 = -1
    c1 = np.inf
    b2 = -1
    c2 = np.inf
    for q in range(open_list.size):
        j = open_list[q]
        c = oracle_cost(
            mode, i, j, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale
        )
        if c < c1 or (c == c1 and j < b1):
            b2 = b1
            c2 = c1
            b1 = j
            c1 = c
        elif c < c2 or (c == c2 and j < b2):
            b2 = j
            c2 = c
    return b1, c1, b2, c2, True


@njit(cache=True, nogil=True)
def closest_two(
    indptr, site, cost, far, is_open, open_list, n_open,
    mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
    a1, d1, a2, d2,
):  # fmt: skip
    """Nearest and second-nearest open site of every demand point (exact, via the oracle
    when the neighbour list does not hold two open sites)."""
    opened = open_list[:n_open]
    for i in range(indptr.size - 1):
        a1[i], d1[i], a2[i], d2[i], _ = nearest_two(
            i, indptr, site, cost, far, is_open, opened,
            mode, rmap, cmap, dense, o_indptr, o_indices, o_data, penalty, dxy, sxy, scale,
        )  # fmt: skip


@njit(cache=True, nogil=True)
def weighted_sum(w, d):
    """``sum(w * d)`` in a fixed order."""
    s = 0.0
    for i in range(w.size):
        s += w[i] * d[i]
    return s


# --------------------------------------------------------------------------- greedy


@njit(cache=True, nogil=True)
def greedy_add(indptr, site, cost, w, cap, is_open, n_add, t_indptr, t_row, t_pos):
    """Open ``n_add`` more sites greedily (largest drop of the capped cost first).

    ``cap[i]`` is the cost a point is charged while no open site is in its list. The
    transpose (``t_indptr``, ``t_row``, ``t_pos``: for each site the points listing it
    and the position in their list) makes each step incremental.
    """
    n = indptr.size - 1
    m = is_open.size
    cur = cap.copy()
    for i in range(n):
        for t in range(indptr[i], indptr[i + 1]):
            if is_open[site[t]]:
                cur[i] = min(cur[i], cost[t])
                break
    gain = np.zeros(m)
    for i in range(n):
        wi = w[i]
        for t in range(indptr[i], indptr[i + 1]):
            c = cost[t]
            if c >= cur[i]:
                break
            gain[site[t]] += wi * (cur[i] - c)
    for _ in range(n_add):
        best = -1
        bg = -1.0
        for j in range(m):
            if not is_open[j] and gain[j] > bg:
                bg = gain[j]
                best = j
        if best < 0:
            break
        is_open[best] = True
        for q in range(t_indptr[best], t_indptr[best + 1]):
            i = t_row[q]
            cnew = cost[t_pos[q]]
            cold = cur[i]
            if cnew >= cold:
                continue
            wi = w[i]
            for t in range(indptr[i], indptr[i + 1]):
                c = cost[t]
                if c >= cold:
                    break
                if c < cnew:
                    gain[site[t]] -= wi * (cold - cnew)
                else:
                    gain[site[t]] -= wi * (cold - c)
            cur[i] = cnew
    return is_open


# --------------------------------------------------------------------------- transpose


@njit(cache=True, nogil=True)
def transpose_lists(indptr, site, n_sites, t_indptr, t_row, t_pos):
    """For each site, the points that list it and where (a counting sort, O(nnz)):
    ``t_row[t_indptr[j]:t_indptr[j + 1]]`` are the points listing site ``j`` in
    increasing order and ``t_pos`` their positions in ``site`` (not recorded when
    ``t_pos`` is empty)."""
    n = indptr.size - 1
    t_indptr[:] = 0
    for t in range(site.size):
        t_indptr[site[t] + 1] += 1
    for j in range(n_sites):
        t_indptr[j + 1] += t_indptr[j]
    fill = t_indptr[:-1].copy()
    for i in range(n):
        for t in range(indptr[i], indptr[i + 1]):
            j = site[t]
            u = fill[j]
            t_row[u] = i
            if t_pos.size:
                t_pos[u] = t
            fill[j] = u + 1


# --------------------------------------------------------------------------- Lagrangian


@njit(cache=True, nogil=True)
def lagrangian_rho(indptr, site, cost, far, w, lam, rho):
    """Site values ``rho[j] = sum_i min(0, w_i c_ij - lam_i)`` of the capped relaxation.

    Sites outside point ``i``'s list are charged ``w_i * far[i]`` (a lower bound on their
    cost), so the value is a valid relaxation of the full problem. Returns the constant
    shared by all sites (the far part), already added to ``rho``.
    """
    n = indptr.size - 1
    rho[:] = 0.0
    cfar = 0.0
    for i in range(n):
        li = lam[i]
        wi = w[i]
        fneg = 0.0
        if far[i] < np.inf:
            v = wi * far[i] - li
            if v < 0.0:
                fneg = v
                cfar += v
        for t in range(indptr[i], indptr[i + 1]):
            v = wi * cost[t] - li
            if v >= 0.0:
                break
            rho[site[t]] += v - fneg
    rho += cfar
    return cfar


@njit(cache=True, nogil=True)
def lagrangian_subgradient(indptr, site, cost, far, w, lam, selected, n_selected, g):
    """Subgradient ``g_i = 1 - sum_{j selected} x_ij`` and its squared norm."""
    n = indptr.size - 1
    norm = 0.0
    for i in range(n):
        li = lam[i]
        wi = w[i]
        cnt = 0
        farneg = far[i] < np.inf and wi * far[i] - li < 0.0
        if farneg:
            cnt = n_selected
        else:
            for t in range(indptr[i], indptr[i + 1]):
                if wi * cost[t] - li >= 0.0:
                    break
                if selected[site[t]]:
                    cnt += 1
        gi = 1.0 - cnt
        g[i] = gi
        norm += gi * gi
    return norm


@njit(cache=True, nogil=True)
def _kth_smallest(vals, nf, k, buf):
    """The k-th smallest (1-based) of ``vals[:nf]`` (quickselect on a copy in ``buf``)."""
    for q in range(nf):
        buf[q] = vals[q]
    lo = 0
    hi = nf - 1
    target = k - 1
    while lo < hi:
        pivot = buf[(lo + hi) // 2]
        i = lo
        j = hi
        while i <= j:
            while buf[i] < pivot:
                i += 1
            while buf[j] > pivot:
                j -= 1
            if i <= j:
                t = buf[i]
                buf[i] = buf[j]
                buf[j] = t
                i += 1
                j -= 1
        if target <= j:
            hi = j
        elif target >= i:
            lo = i
        else:
            break
    return buf[target]


@njit(cache=True, nogil=True)
def subgradient_evaluate(
    rho, lam, best_lam, p, forced, closed, ub_cut, state, selected, free, vals, buf
):  # fmt: skip
    """One subgradient step's evaluation, from the site values ``rho`` at ``lam``.

    Takes the ``p`` sites of smallest ``rho`` (``forced`` always, ``closed`` never) into
    ``selected``, updates the best bound (``state[0]``, its multipliers in ``best_lam``)
    and the steps since it improved (``state[2]``), then fixes sites by reduced costs
    against ``ub_cut`` (counts added to ``state[4]`` and ``state[5]``). ``free``,
    ``vals`` and ``buf`` are scratch arrays of one entry per site.

    Returns ``(stop, lval)``: ``L(lam)``, and True when the search is over (no plan
    respects the fixings, then ``state[0]`` is ``inf``; or ``lval`` reached the cut).
    """
    m = rho.size
    base = 0.0
    for i in range(lam.size):
        base += lam[i]
    n_forced = 0
    nf = 0
    for j in range(m):
        selected[j] = False
        if forced[j]:
            base += rho[j]
            selected[j] = True
            n_forced += 1
        elif not closed[j]:
            free[nf] = j
            vals[nf] = rho[j]
            nf += 1
    k = p - n_forced
    if k < 0 or nf < k:
        # No plan better than the incumbent respects the fixings.
        state[0] = np.inf
        return True, np.inf
    lval = base
    last_in = -np.inf
    first_out = np.inf
    if k > 0:
        last_in = _kth_smallest(vals, nf, k, buf)
        if nf > k:
            first_out = _kth_smallest(vals, nf, k + 1, buf)
        # Select everything below last_in, then ties up to k.
        cnt = 0
        for q in range(nf):
            if vals[q] < last_in:
                selected[free[q]] = True
                lval += vals[q]
                cnt += 1
        for q in range(nf):
            if cnt >= k:
                break
            if vals[q] == last_in:
                selected[free[q]] = True
                lval += vals[q]
                cnt += 1
    best = state[0]
    if lval > best:
        if lval > best + 1e-9 * abs(best) + 1e-12:
            state[2] = 0.0
        state[0] = lval
        best_lam[:] = lam
    else:
        state[2] += 1.0
    # Reduced-cost fixing.
    if k > 0 and nf > k:
        th_close = ub_cut - lval + last_in
        th_force = lval + first_out - ub_cut
        for q in range(nf):
            j = free[q]
            if selected[j]:
                if vals[q] <= th_force:
                    forced[j] = True
                    state[5] += 1.0
            elif vals[q] >= th_close:
                closed[j] = True
                state[4] += 1.0
    elif k == 0:
        # p sites forced: every other site is closed in any plan.
        for q in range(nf):
            closed[free[q]] = True
            state[4] += 1.0
    return lval >= ub_cut, lval


@njit(cache=True, nogil=True)
def subgradient_step(g, norm, lam, lval, ub_cut, halve_after, state, dirn, deflect, lam_cap):
    """Move ``lam`` along the subgradient ``g`` (squared norm ``norm``) towards ``ub_cut``.

    Polyak step ``theta * (ub_cut - lval) / |d|^2``; ``theta`` (``state[1]``) halves after
    ``halve_after`` steps without a better bound. Returns True (and sets ``state[6]``)
    when the subgradient vanished: ``lam`` is optimal for the dual.
    """
    n = lam.size
    if norm <= 0.0:
        state[6] = 1.0
        return True
    theta = state[1]
    if state[2] >= halve_after:
        theta *= 0.5
        state[1] = theta
        state[2] = 0.0
    if deflect > 0.0:
        dot = 0.0
        dn = 0.0
        for i in range(n):
            dot += dirn[i] * g[i]
            dn += dirn[i] * dirn[i]
        beta = 0.0
        if dot < 0.0 and dn > 0.0:
            beta = -deflect * dot / dn
        norm = 0.0
        for i in range(n):
            v = g[i] + beta * dirn[i]
            dirn[i] = v
            norm += v * v
        if norm <= 0.0:
            norm = 1.0
    else:
        for i in range(n):
            dirn[i] = g[i]
    step = theta * (ub_cut - lval) / norm
    if step <= 0.0:
        step = theta * max(abs(lval), 1.0) * 1e-3 / norm
    for i in range(n):
        v = lam[i] + step * dirn[i]
        if v > lam_cap[i]:
            v = lam_cap[i]
        lam[i] = v if v > 0.0 else 0.0
    return False


@njit(cache=True, nogil=True)
def subgradient_run(
    indptr, site, cost, far, w, lam, best_lam, m, p, forced, closed, ub_cut,
    n_iter, halve_after, state, dirn, deflect, lam_cap,
):  # fmt: skip
    """Run ``n_iter`` subgradient steps on the Lagrangian dual of the (capped) p-median.

    Relaxing the assignment constraints ``sum_j x_ij = 1`` with multipliers ``lam``:
    ``L(lam) = sum_i lam_i + min_{|S| = p} sum_{j in S} rho_j`` — a lower bound on the
    optimum for every ``lam``. Sites in ``forced`` are always in ``S``; ``closed`` sites
    never. After each evaluation, reduced-cost fixing closes every site whose opening
    would push the bound to ``ub_cut`` or above (and forces open those whose closing
    would), since no plan better than the incumbent can use them.

    ``state`` (float64[7]): best bound, theta, iterations since improvement, (unused),
    number of sites newly closed, number newly forced, 1 if the subgradient vanished
    (``lam`` is dual optimal). Returns ``state``.

    Each step is :func:`lagrangian_rho`, :func:`subgradient_evaluate`,
    :func:`lagrangian_subgradient` and :func:`subgradient_step`; a caller that runs the
    two passes over the points on threads (blocks of points) calls the same four.

    With ``deflect`` > 0 the step follows the deflected direction of Camerini, Fratta
    and Maffioli (1975), ``d = g + beta * d_prev`` (``beta`` from the angle between them,
    scaled by ``deflect``), kept in ``dirn`` between calls; it zig-zags less than the
    plain subgradient on large problems. Multipliers are kept within ``[0, lam_cap]``
    (any multipliers give a valid bound; the cap only limits the search).
    """
    n = indptr.size - 1
    rho = np.empty(m)
    g = np.empty(n)
    selected = np.zeros(m, dtype=np.bool_)
    free = np.empty(m, dtype=np.int64)
    vals = np.empty(m)
    buf = np.empty(m)
    state[4] = 0.0
    state[5] = 0.0
    state[6] = 0.0
    for _ in range(n_iter):
        lagrangian_rho(indptr, site, cost, far, w, lam, rho)
        stop, lval = subgradient_evaluate(
            rho, lam, best_lam, p, forced, closed, ub_cut, state, selected, free, vals, buf
        )
        if stop:
            break
        norm = lagrangian_subgradient(indptr, site, cost, far, w, lam, selected, p, g)
        if subgradient_step(g, norm, lam, lval, ub_cut, halve_after, state, dirn, deflect, lam_cap):
            break
    return state


# --------------------------------------------------------------------------- set covering


@njit(cache=True, nogil=True)
def dominated_rows(indptr, col, n_cols):
    """Rows that contain another row (as sets of columns); rows must be distinct.

    A covering constraint whose set contains another's is implied by it.
    """
    n = indptr.size - 1
    # Inverted index: for each column, the rows holding it.
    cnt = np.empty(n_cols + 1, dtype=np.int64)
    inv = np.empty(col.size, dtype=np.int64)
    transpose_lists(indptr, col, n_cols, cnt, inv, np.empty(0, dtype=np.int64))  # rows only
    overlap = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        lr = indptr[r + 1] - indptr[r]
        nt = 0
        for t in range(indptr[r], indptr[r + 1]):
            j = col[t]
            for q in range(cnt[j], cnt[j + 1]):
                s = inv[q]
                if s == r:
                    continue
                ls = indptr[s + 1] - indptr[s]
                if ls > lr:
                    continue
                if overlap[s] == 0:
                    touched[nt] = s
                    nt += 1
                overlap[s] += 1
                if overlap[s] == ls:
                    out[r] = True
        for q in range(nt):
            overlap[touched[q]] = 0
    return out


@njit(cache=True, nogil=True)
def greedy_cover(indptr, col, n_cols, forced):
    """Greedy set cover (most uncovered rows first); returns the open mask."""
    n = indptr.size - 1
    # Inverted index: for each column, the rows holding it.
    cnt = np.empty(n_cols + 1, dtype=np.int64)
    inv = np.empty(col.size, dtype=np.int64)
    transpose_lists(indptr, col, n_cols, cnt, inv, np.empty(0, dtype=np.int64))  # rows only
    covered = np.zeros(n, dtype=np.bool_)
    is_open = forced.copy()
    score = np.zeros(n_cols, dtype=np.int64)
    for j in range(n_cols):
        score[j] = cnt[j + 1] - cnt[j]
    left = n
    for j in range(n_cols):
        if is_open[j]:
            for q in range(cnt[j], cnt[j + 1]):
                r = inv[q]
                if not covered[r]:
                    covered[r] = True
                    left -= 1
                    for t in range(indptr[r], indptr[r + 1]):
                        score[col[t]] -= 1
    while left > 0:
        best = -1
        bs = 0
        for j in range(n_cols):
            if not is_open[j] and score[j] > bs:
                bs = score[j]
                best = j
        if best < 0:
            break
        is_open[best] = True
        for q in range(cnt[best], cnt[best + 1]):
            r = inv[q]
            if not covered[r]:
                covered[r] = True
                left -= 1
                for t in range(indptr[r], indptr[r + 1]):
                    score[col[t]] -= 1
    return is_open


@njit(cache=True, nogil=True)
def contained_rows(indptr, col, n_cols):
    """Rows whose set is contained in another row's set (of two equal rows, the later).

    On the transpose of a unit-cost covering matrix these are dominated columns: a
    site covering a subset of what another covers can be left closed.
    """
    n = indptr.size - 1
    # Inverted index: for each column, the rows holding it.
    cnt = np.empty(n_cols + 1, dtype=np.int64)
    inv = np.empty(col.size, dtype=np.int64)
    transpose_lists(indptr, col, n_cols, cnt, inv, np.empty(0, dtype=np.int64))  # rows only
    overlap = np.zeros(n, dtype=np.int64)
    touched = np.empty(n, dtype=np.int64)
    out = np.zeros(n, dtype=np.bool_)
    for r in range(n):
        lr = indptr[r + 1] - indptr[r]
        nt = 0
        for t in range(indptr[r], indptr[r + 1]):
            j = col[t]
            for q in range(cnt[j], cnt[j + 1]):
                s = inv[q]
                if s == r or out[s]:
                    continue
                ls = indptr[s + 1] - indptr[s]
                if ls < lr:
                    continue
                if overlap[s] == 0:
                    touched[nt] = s
                    nt += 1
                overlap[s] += 1
        for q in range(nt):
            s = touched[q]
            if overlap[s] == lr:
                ls = indptr[s + 1] - indptr[s]
                if ls > lr or s < r:
                    out[r] = True
            overlap[s] = 0
        if lr == 0:
            out[r] = True
    return out
