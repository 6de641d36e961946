"""Lagrangian lower bounds and reduced-cost fixing for the p-median.

The p-median, with ``x_ij`` (point ``i`` served by site ``j``) and ``y_j`` (site open):

    min  sum_ij w_i c_ij x_ij
    s.t. sum_j x_ij = 1  (every point served),  x_ij <= y_j,  sum_j y_j = p.

Relaxing ``sum_j x_ij = 1`` with multipliers ``lam_i`` (Cornuejols, Fisher and
Nemhauser 1977; Beasley 1993) leaves

    L(lam) = sum_i lam_i + min_{|S| = p} sum_{j in S} rho_j,
    rho_j  = sum_i min(0, w_i c_ij - lam_i),

which is a lower bound on the optimum for *every* ``lam`` (weak duality), so the bound
is valid however far the subgradient search got. Large problems keep only the ``k``
nearest sites of each point; a left-out site is charged ``w_i * far_i`` where
``far_i`` is at most its true cost, which can only lower ``L``: the bound stays valid
for the full problem.

Reduced-cost fixing: with ``S`` the ``p`` smallest ``rho``, opening a site ``j``
outside ``S`` raises the bound to at least ``L - rho_(p) + rho_j`` (it replaces the
largest member of ``S``). If that reaches the incumbent's cost, no better plan opens
``j`` and it is closed for good; symmetrically a member of ``S`` whose closing would
reach the incumbent is fixed open. Fixings shrink the problem and raise later bounds;
the certified bound is then ``min(L, incumbent)``.
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from planner.optimize.scale.data import Neighbours
from planner.optimize.timing import due

__all__ = [
    "LagrangianResult",
    "certified_bound",
    "is_proven",
    "lagrangian_value",
    "p_median_lagrangian",
    "proof_cut",
    "settled_value",
    "within_target",
]

#: From this many demand points on, the two passes over the points of each subgradient
#: step (site values, subgradient) run on two threads (the kernels release the GIL).
PARALLEL_MIN_POINTS = 50_000


@dataclass(frozen=True, eq=False)
class LagrangianResult:
    """Outcome of a subgradient run.

    Attributes
    ----------
    bound
        Certified lower bound on the optimum of the (full) problem, already combined
        with the incumbent (``<= upper``) and rounded up for integral data.
    raw_bound
        Best ``L(lam)`` found (on plans not excluded by fixing).
    lam
        Multipliers of the best bound.
    closed, forced
        Sites fixed closed / open by reduced costs (local indices, bool masks).
    selected
        The ``p`` sites of the relaxed solution at ``lam`` (a good start for a plan).
    iterations
        Subgradient steps taken.
    dual_optimal
        True when the subgradient vanished (``lam`` solves the Lagrangian dual).
    """

    bound: float
    raw_bound: float
    lam: np.ndarray
    closed: np.ndarray
    forced: np.ndarray
    selected: np.ndarray
    iterations: int
    dual_optimal: bool


#: Relative gap within which a plan counts as proven optimal (with non-integral data).
PROOF_RTOL = 1e-9
#: Absolute slack beside :data:`PROOF_RTOL` (objectives near zero).
PROOF_ATOL = 1e-8


def proof_cut(upper: float, integral: bool) -> float:
    """The value the subgradient aims for and fixes sites against, for incumbent ``upper``.

    With integral costs and weights a better plan costs at most ``upper - 1``, so any
    bound above that suffices. Otherwise the cut lies half the proof tolerance below
    ``upper``: a raw bound that reaches it still passes :func:`is_proven` after
    :func:`certified_bound` has taken its float safety margin off. (A cut right at the
    tolerance left the certified gap at 1.01e-9 for ever, and every large solve ran to
    its time limit with the proof already in hand.)
    """
    if integral and abs(upper) < 1e8:
        # Float error of a bound is far below 1e-10 relative: a margin of that size
        # keeps "bound > upper - 1" honest.
        return upper - 1.0 + 1e-10 * abs(upper) + 1e-6
    return upper - 0.5 * PROOF_RTOL * abs(upper) - 0.1 * PROOF_ATOL


def is_proven(objective: float, bound: float, integral: bool) -> bool:
    """True when ``bound`` (certified) proves the plan of cost ``objective`` optimal:
    above the integral cut, or within ``PROOF_RTOL`` relative plus ``PROOF_ATOL``."""
    if integral and abs(objective) < 1e8 and bound >= proof_cut(objective, True):
        return True
    return objective - bound <= PROOF_RTOL * abs(objective) + PROOF_ATOL


def within_target(objective: float, bound: float, target_gap: float) -> bool:
    """True when the certified ``bound`` is within ``target_gap`` (relative) of the plan."""
    return objective - bound <= target_gap * abs(objective)


def certified_bound(raw: float, upper: float, integral: bool) -> float:
    """Combine a raw Lagrangian value with the incumbent into a certified bound.

    A small safety margin covers float summation error; integral data round up.
    """
    if not np.isfinite(raw):
        return float(upper) if raw > 0 else float(raw)
    safe = raw - (1e-11 * abs(raw) + 1e-10)
    if integral and abs(upper) < 1e8:
        safe = math.ceil(safe - 1e-7)
    return float(min(safe, upper)) if np.isfinite(upper) else float(safe)


def settled_value(data: Neighbours, forced: np.ndarray, closed: np.ndarray, p: int) -> float | None:
    """The bound when fixing has settled every site, else None.

    When the sites neither closed nor forced number no more than ``p`` minus the forced
    ones, exactly one plan (the forced sites plus those left) respects the fixings, or
    none does. Every other plan has a Lagrangian value at or above the cut the fixings
    were made against, so the optimum is at least the smaller of that plan's cost and
    the cut. Returns that plan's cost (on the lists, which never exceeds the true
    cost), ``inf`` when no plan respects the fixings.
    """
    free = ~forced & ~closed
    k = p - int(forced.sum())
    n_free = int(free.sum())
    if k < 0 or n_free < k:
        return np.inf
    if n_free > k:
        return None
    plan = np.flatnonzero(forced | free)
    _, d1 = data.plan_costs(plan)
    return float(np.dot(data.w, d1))


def initial_multipliers(data: Neighbours, d1: np.ndarray | None = None) -> np.ndarray:
    """Start at each point's weighted cost to its nearest open site (or its 2nd nearest
    listed site), a common and effective start."""
    if d1 is not None:
        return np.asarray(data.w * d1, dtype=np.float64)
    second = np.minimum(data.indptr[:-1] + 1, data.indptr[1:] - 1)
    return data.w * data.cost[second]


def p_median_lagrangian(
    data: Neighbours,
    p: int,
    upper: float,
    *,
    lam0: np.ndarray | None = None,
    closed: np.ndarray | None = None,
    forced: np.ndarray | None = None,
    deadline: float = np.inf,
    max_iter: int = 3000,
    theta0: float = 2.0,
    halve_after: int | None = None,
    min_theta: float = 1e-3,
    chunk: int | None = None,
    stall: float = 0.0,
    deflect: float | None = None,
    lam_cap: np.ndarray | None = None,
    threads: bool | None = None,
    incumbent: Callable[[], float] | None = None,
    target_gap: float = 0.0,
) -> LagrangianResult:
    """Subgradient optimisation of the p-median Lagrangian dual with reduced-cost fixing.

    Parameters
    ----------
    data
        Neighbour lists (see :mod:`planner.optimize.scale.data`).
    p
        Number of sites to open (including forced ones).
    upper
        Objective of the best known plan (incumbent); drives the step size and fixing.
    lam0
        Starting multipliers (default: :func:`initial_multipliers`).
    closed, forced
        Sites already fixed closed/open (copied, then extended by fixing).
    deadline
        ``time.perf_counter()`` value at which to stop.
    max_iter, theta0, halve_after, min_theta
        Subgradient schedule (Held-Wolfe-Crowder/Polyak steps; theta halves after
        ``halve_after`` steps without improvement; stop below ``min_theta``).
    chunk
        Steps per kernel call between deadline checks.
    stall
        Stop when a chunk closes less than this fraction of the remaining gap to the
        incumbent (0: never); used in branch and bound, where a node that will not
        be pruned is better branched early.
    lam_cap
        Upper limits on the multipliers (default: ``w_i * far_i``, beyond which a point
        would draw on every unlisted site). Any multipliers give a valid bound; a cap
        near the useful range keeps the search short.
    deflect
        Deflection of the subgradient direction (default 0: plain subgradient).
    threads
        Split the passes over two threads (default: from ``PARALLEL_MIN_POINTS``
        points on); False when the other core is busy, e.g. with a plan search.
    incumbent
        Called between chunks of steps for the objective of the best plan known now
        (a search running beside the bound); it replaces ``upper`` when lower.
    target_gap
        Stop as soon as the certified bound is within this share of the incumbent
        (0: only at the proof, the deadline or the end of the schedule).
    """
    m = data.n_sites
    lam = (initial_multipliers(data) if lam0 is None else np.asarray(lam0, dtype=np.float64)).copy()
    best_lam = lam.copy()
    closed_m = np.zeros(m, dtype=bool) if closed is None else closed.copy()
    forced_m = data.forced.copy() if forced is None else (forced | data.forced)
    cut = proof_cut(upper, data.integral)
    if halve_after is None:
        halve_after = 30 if data.n <= 2000 else 50
    state = np.array([-np.inf, theta0, 0.0, -np.inf, 0.0, 0.0, 0.0])
    it = 0
    if chunk is None:
        chunk = 25 if data.cost.size < 2_000_000 else 5
    dual_opt = False
    prev = -np.inf
    if deflect is None:
        deflect = 0.0
    dirn = np.zeros(data.n)
    cap = np.where(np.isfinite(data.far), data.w * data.far, np.inf)
    if lam_cap is not None:
        cap = np.minimum(cap, lam_cap)
    np.minimum(lam, cap, out=lam)
    if threads is None:
        threads = data.n >= PARALLEL_MIN_POINTS
    search = _Search(data, p, lam, best_lam, forced_m, closed_m, state, dirn, float(deflect),
                     cap, halve_after)  # fmt: skip
    with contextlib.ExitStack() as stack:
        if threads:
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=_WORKERS))
            steps = _threaded_steps(search, pool)
        else:
            steps = _kernel_steps(search)
        while it < max_iter:
            latest = upper if incumbent is None else float(incumbent())
            if latest < upper:
                upper = latest
                cut = proof_cut(upper, data.integral)
            n = min(chunk, max_iter - it)
            steps(cut, n)
            it += n
            if state[6] > 0 or state[0] >= cut or state[1] < min_theta:
                dual_opt = bool(state[6] > 0)
                break
            if settled_value(data, forced_m, closed_m, p) is not None:
                break
            if target_gap > 0.0 and within_target(
                upper, certified_bound(float(state[0]), upper, data.integral), target_gap
            ):
                break
            if due(deadline):
                break
            if stall > 0.0:
                if np.isfinite(prev) and state[0] - prev < stall * (cut - prev):
                    break
                prev = state[0]
    raw = _settled_raw(data, float(state[0]), forced_m, closed_m, p, cut)
    selected = _selection(data, best_lam, p, forced_m, closed_m)
    return LagrangianResult(
        bound=certified_bound(raw, upper, data.integral),
        raw_bound=raw,
        lam=best_lam,
        closed=closed_m,
        forced=forced_m,
        selected=selected,
        iterations=it,
        dual_optimal=dual_opt,
    )


def _settled_raw(
    data: Neighbours, raw: float, forced: np.ndarray, closed: np.ndarray, p: int, cut: float
) -> float:
    """``raw``, raised to ``min(cost of the one plan left, cut)`` when fixing (made
    against cuts at or above ``cut``) has settled every site."""
    left = settled_value(data, forced, closed, p)
    if left is None:
        return raw
    return max(raw, min(left, cut))


def lagrangian_value(data: Neighbours, lam: np.ndarray, p: int) -> float:
    """``L(lam)``: the lower bound given by one multiplier vector (forced sites open)."""
    from planner.optimize.scale import kernels as kern

    rho = np.empty(data.n_sites)
    kern.lagrangian_rho(data.indptr, data.site, data.cost, data.far, data.w, lam, rho)
    forced = data.forced
    k = p - int(forced.sum())
    free = np.sort(rho[~forced])
    if k < 0 or free.size < k:
        return np.inf
    return float(lam.sum() + rho[forced].sum() + free[:k].sum())


def _selection(
    data: Neighbours, lam: np.ndarray, p: int, forced: np.ndarray, closed: np.ndarray
) -> np.ndarray:
    """The relaxed solution's open sites at ``lam`` (bool mask)."""
    from planner.optimize.scale import kernels as kern

    rho = np.empty(data.n_sites)
    kern.lagrangian_rho(data.indptr, data.site, data.cost, data.far, data.w, lam, rho)
    sel = forced.copy()
    k = p - int(sel.sum())
    if k > 0:
        vals = np.where(forced | closed, np.inf, rho)
        sel[np.argsort(vals, kind="stable")[:k]] = True
    return sel


#: Threads (blocks of points) of the two passes on large problems.
_WORKERS = 2

#: Runs ``n`` subgradient steps against the cut ``cut`` (see :func:`_kernel_steps`).
_Steps = Callable[[float, int], None]


@dataclass(frozen=True, eq=False)
class _Search:
    """The problem and the arrays the subgradient steps update in place (multipliers,
    best multipliers, fixings, ``kernels.subgradient_run``'s state, direction)."""

    data: Neighbours
    p: int
    lam: np.ndarray
    best_lam: np.ndarray
    forced: np.ndarray
    closed: np.ndarray
    state: np.ndarray
    dirn: np.ndarray
    deflect: float
    cap: np.ndarray
    halve_after: int


def _kernel_steps(s: _Search) -> _Steps:
    """Steps on this thread: ``kernels.subgradient_run``."""
    from planner.optimize.scale import kernels as kern

    d = s.data

    def steps(cut: float, n_iter: int) -> None:
        kern.subgradient_run(
            d.indptr, d.site, d.cost, d.far, d.w, s.lam, s.best_lam, d.n_sites, s.p, s.forced,
            s.closed, cut, n_iter, s.halve_after, s.state, s.dirn, s.deflect, s.cap,
        )  # fmt: skip

    return steps


def _threaded_steps(s: _Search, pool: ThreadPoolExecutor) -> _Steps:
    """The steps of ``kernels.subgradient_run``, with its two passes over the points
    (site values, subgradient) split into blocks of points on the threads of ``pool``
    (the kernels release the GIL). Same kernels, same state: only the order of the float
    sums differs."""
    from planner.optimize.scale import kernels as kern

    d, lam, state = s.data, s.lam, s.state
    n, m = d.n, d.n_sites
    edges = np.linspace(0, n, _WORKERS + 1).astype(np.int64)
    blocks = [(int(a), int(b)) for a, b in itertools.pairwise(edges)]
    rho_parts = [np.empty(m) for _ in blocks]
    rho = np.empty(m)
    g = np.empty(n)
    norms = np.zeros(len(blocks))
    selected = np.zeros(m, dtype=np.bool_)
    free = np.empty(m, dtype=np.int64)
    vals = np.empty(m)
    buf = np.empty(m)

    def rho_block(k: int) -> None:
        a, b = blocks[k]
        kern.lagrangian_rho(d.indptr[a : b + 1], d.site, d.cost, d.far[a:b], d.w[a:b], lam[a:b],
                            rho_parts[k])  # fmt: skip

    def grad_block(k: int) -> None:
        a, b = blocks[k]
        norms[k] = kern.lagrangian_subgradient(d.indptr[a : b + 1], d.site, d.cost, d.far[a:b],
                                               d.w[a:b], lam[a:b], selected, s.p, g[a:b])  # fmt: skip

    def steps(cut: float, n_iter: int) -> None:
        state[4:7] = 0.0
        for _ in range(n_iter):
            list(pool.map(rho_block, range(len(blocks))))
            np.copyto(rho, rho_parts[0])
            for part in rho_parts[1:]:
                np.add(rho, part, out=rho)
            stop, lval = kern.subgradient_evaluate(rho, lam, s.best_lam, s.p, s.forced, s.closed,
                                                   cut, state, selected, free, vals, buf)  # fmt: skip
            if stop:
                return
            list(pool.map(grad_block, range(len(blocks))))
            if kern.subgradient_step(g, float(norms.sum()), lam, lval, cut, s.halve_after, state,
                                     s.dirn, s.deflect, s.cap):  # fmt: skip
                return

    return steps
