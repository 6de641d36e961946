"""Capacitated p-median at city size: Lagrangian bound, plan repair, exact finish.

The single-source capacitated p-median, with ``x_ij`` (point ``i`` served by site ``j``)
and ``y_j`` (site open), weights ``w``, loads ``q`` and capacities ``Q``:

    min  sum_ij w_i c_ij x_ij
    s.t. sum_j x_ij = 1,  sum_i q_i x_ij <= Q_j y_j,  x_ij <= y_j,  sum_j y_j = p,
         x, y binary.

**Bound.** Relaxing the assignment rows ``sum_j x_ij = 1`` with multipliers ``lam_i``
leaves one 0/1 knapsack per site (Lorena and Senne 2004; Ceselli and Righini 2005):

    L(lam) = sum_i lam_i + min_{|S| = p} sum_{j in S} rho_j,
    rho_j  = min { sum_i (w_i c_ij - lam_i) x_ij : sum_i q_i x_ij <= Q_j, 0 <= x_ij <= 1 }.

The knapsacks are solved as LPs (ratio rule), which can only lower ``rho_j``, so
``L(lam)`` is a lower bound for every ``lam`` (weak duality): it is the LP bound of the
strong formulation above. Subgradient steps (Held, Wolfe and Crowder 1974) raise it.

**Fixing.** With ``S`` the ``p`` sites of smallest ``rho``, a closed site ``j`` forced
open raises ``L`` to at least ``L - rho_last + rho_j``; a pair ``(i, j)`` forced into a
knapsack raises it by at least its LP reduced cost ``w_i c_ij - lam_i + q_i u_j``
(``u_j`` the capacity dual). Whatever pushes the bound past the incumbent cannot be in a
better plan and is removed for good, so later bounds are bounds on plans better than
the incumbent: the certified bound is ``min(L, incumbent)``.

**Plans.** Every new set ``S`` of the relaxation is turned into a plan by a regret
assignment with a two-step ejection chain and shift/swap moves
(:func:`planner.optimize.cpmp_kernels.assign`); the best plan then goes through a site
swap search (one open site out, one closed site in, the points re-assigned). In the
branch and bound, a set whose repair lands within 2 % of the incumbent also gets the
root of the branch and bound on its sites alone: the repair can miss the best
assignment by 1 % (pmedcap20: 1,015 on the optimal sites, whose knapsacks form the
1,005 plan at once).

**Exact finish.** With whole-number loads and capacities (exact knapsacks), a
Lagrangian branch and bound on the fixed problem
(:mod:`planner.optimize.scale.cpmp_bnb`): the knapsack bound alone stays up to 6 %
below the optimum on tight instances, and branching on sites, then on pairs, closes
that gap far faster than an LP-based MILP (pmedcap08: 3 s of CPU against 33 s for
HiGHS on the full model). Otherwise the pairs and sites left after fixing form a
reduced MILP, solved by HiGHS from the best plan. Either bound is valid for the full
problem up to the incumbent, so the final bound is ``max(L, min(incumbent, bound))``.

All decisions use iteration and evaluation counts, not the clock: without a time limit
the same input and seed give the same plan, bound and gap. A time limit stops whichever
stage runs when it expires (the MILP gets what is left).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.errors import ProblemError
from planner.optimize.problem import Problem
from planner.optimize.scale import cpmp_kernels as kern
from planner.optimize.scale.cpmp_bnb import branch_and_bound
from planner.optimize.scale.lagrangian import certified_bound, proof_cut
from planner.optimize.timing import Deadline

#: Largest (served demand points) x (allowed sites) this method holds as a dense matrix.
MAX_DENSE_PAIRS = 40_000_000
#: Largest site capacity (whole load units) for which the knapsacks are solved exactly.
MAX_DP_CAPACITY = 5_000
#: Largest number of pairs handed to the final MILP.
MAX_MILP_PAIRS = 30_000

_ITERATIONS = 600
_STALL = 25  # subgradient steps without a better bound before the step size halves
_MIN_THETA = 2e-3
_MAX_REPAIRS = 250
_SWAP_EVALS = 30_000
_FIRST_SWAP_EVALS = 1_000
_PASSES = 20
_BNB_ROOT_STEPS = 200
_BNB_SHARE = 0.97
#: Repaired site sets within this share of the incumbent get an assignment search,
#: at most this many per solve, each of this many nodes and root subgradient steps.
_GAP_MARGIN = 0.02
_GAP_SEARCHES = 200
_GAP_NODES = 1
_GAP_ROOT_STEPS = 100


@dataclass(frozen=True, eq=False)
class CpmpData:
    """The capacitated p-median on the served points and allowed sites (dense).

    ``cost`` is the weighted cost ``w_i c_ij`` (``inf`` where the pair is not allowed);
    ``rows`` and ``sites`` map back to the problem's demand points and sites.
    """

    cost: np.ndarray
    load: np.ndarray
    cap: np.ndarray
    required: np.ndarray
    rows: np.ndarray
    sites: np.ndarray
    p: int
    integral: bool
    #: Loads and capacities are whole numbers small enough for exact knapsacks.
    whole_loads: bool = False


@dataclass
class CpmpResult:
    """What :func:`solve_cpmp` found, in the local indices of :class:`CpmpData`."""

    open_local: np.ndarray | None
    asg_local: np.ndarray | None
    upper: float
    bound: float
    proven: bool
    method: str
    details: dict[str, Any] = field(default_factory=dict)


def dense_table_declines(problem: Problem) -> str | None:
    """Why the dense table of this problem is too large for the method, or None.

    The table holds the served points (weight or load > 0) x the allowed sites; above
    :data:`MAX_DENSE_PAIRS` pairs :func:`planner.optimize.solve` takes the exact method.
    """
    served = int(((problem.weight > 0) | (problem.demand_load > 0)).sum())
    allowed = int((~problem.excluded).sum())
    if served * allowed > MAX_DENSE_PAIRS:
        return (
            f"capacitated p-median: {served} x {allowed} pairs is above the "
            f"{MAX_DENSE_PAIRS:,} of its dense table"
        )
    return None


def build_data(
    problem: Problem, p: int, *, radius: float | None = None, pair_max: np.ndarray | None = None
) -> CpmpData:
    """Dense weighted costs of the served points x allowed sites.

    Served points are those with weight or load; ``radius`` (cost unit) and
    ``pair_max`` (per problem row, cost unit) remove pairs beyond them.
    """
    why = dense_table_declines(problem)
    if why is not None:
        raise ProblemError(f"{why}; use method='exact'.")
    w = problem.weight
    load = problem.demand_load
    rows = np.flatnonzero((w > 0) | (load > 0))
    sites = np.flatnonzero(~problem.excluded)
    stored = problem.stored_cost()
    if sp.issparse(stored):
        sub = sp.csr_array(stored[rows][:, sites])
        raw = np.full(sub.shape, np.inf)
        r = np.repeat(np.arange(sub.shape[0]), np.diff(sub.indptr))
        raw[r, sub.indices] = sub.data
    else:
        raw = np.asarray(stored)[np.ix_(rows, sites)].astype(np.float64, copy=True)
    if radius is not None:
        raw[raw > radius] = np.inf
    if pair_max is not None:
        raw[raw > pair_max[rows][:, None]] = np.inf
    cost = raw * w[rows][:, None]
    cost[~np.isfinite(raw)] = np.inf
    finite = cost[np.isfinite(cost)]
    integral = bool(finite.size == 0 or (np.all(finite == np.round(finite)) and finite.max() < 1e8))
    assert problem.capacity is not None
    loads = load[rows]
    caps = problem.capacity[sites]
    whole = bool(
        np.all(loads == np.round(loads))
        and np.all(caps == np.round(caps))
        and caps.max(initial=0.0) <= MAX_DP_CAPACITY
    )
    return CpmpData(
        cost=np.ascontiguousarray(cost),
        load=np.ascontiguousarray(load[rows], dtype=np.float64),
        cap=np.ascontiguousarray(problem.capacity[sites], dtype=np.float64),
        required=problem.required[sites].copy(),
        rows=rows,
        sites=sites,
        p=p,
        integral=integral,
        whole_loads=whole,
    )


class _Search:
    """State of one solve: the working costs (fixings applied), incumbent and bound."""

    def __init__(self, data: CpmpData, deadline: Deadline) -> None:
        self.d = data
        self.cost = data.cost.copy()
        self.usable = np.isfinite(self.cost).any(axis=0) | data.required
        self.forced = data.required.copy()
        self.deadline = deadline
        self.upper = math.inf
        self.plan: np.ndarray | None = None
        self.asg: np.ndarray | None = None
        self.total_load = float(data.load.sum())
        self.seen: set[bytes] = set()
        self.repairs = 0
        self.evals = 0
        self.gap_searches = 0
        self.gap_on = False  # switched on for the branch and bound (exact knapsacks)
        n, m = self.cost.shape
        self._take = np.zeros((n, m))
        self._take_lp = self._take if not data.whole_loads else np.zeros((n, m))
        self._rho = np.zeros(m)
        self._rho_lp = self._rho if not data.whole_loads else np.zeros(m)
        self._dual = np.zeros(m)
        self._asg = np.zeros(n, dtype=np.int64)

    # ---------------------------------------------------------------- plans

    def evaluate(self, open_sites: np.ndarray, passes: int = _PASSES) -> float:
        """Cost of the best assignment found to ``open_sites`` (inf when none); keeps the best plan."""
        if float(self.d.cap[open_sites].sum()) < self.total_load * (1 - 1e-12):
            return math.inf
        self.evals += 1
        # the original costs: a plan is scored on the full problem, fixings aside
        total = kern.assign(self.d.cost, self.d.load, self.d.cap, open_sites, self._asg, passes)
        before = self.upper
        better = total < self.upper - 1e-9 * max(abs(self.upper), 1.0) or self.plan is None
        if better and math.isfinite(total):
            self.upper = float(total)
            self.plan = np.sort(open_sites)
            self.asg = self._asg.copy()
        near = math.isfinite(total) and total <= before + _GAP_MARGIN * abs(before)
        if self.gap_on and near and self.gap_searches < _GAP_SEARCHES:
            self.gap_search(np.sort(open_sites))
        return float(total)

    def gap_search(self, open_sites: np.ndarray) -> None:
        """Look for a better assignment to ``open_sites`` by the knapsack branch and bound.

        The repair is a heuristic: on pmedcap20 it assigns the points to the optimal
        sites at 1,015, while the knapsack bound of those sites alone gives a partition
        of cost 1,005 at once. A few nodes, cut at the incumbent, settle most site sets.
        """
        self.gap_searches += 1
        sub = np.ascontiguousarray(self.cost[:, open_sites])
        if not np.isfinite(sub).any(axis=1).all():
            return
        k = open_sites.size
        branch_and_bound(
            sub, np.ones(k, dtype=bool), np.ones(k, dtype=bool), self.d.load,
            self.d.cap[open_sites], k, integral=self.d.integral, lam=_initial_lambda(sub),
            incumbent=_Restricted(self, open_sites), root_steps=_GAP_ROOT_STEPS,
            stop=self.deadline.over, max_nodes=_GAP_NODES,
        )  # fmt: skip

    def offer(self, open_sites: np.ndarray, asg: np.ndarray, total: float) -> None:
        """Keep a complete plan found elsewhere (branch and bound) if it is better."""
        total = float(self.d.cost[np.arange(asg.size), asg].sum())
        if total < self.upper - 1e-9 * max(abs(self.upper), 1.0) and math.isfinite(total):
            self.upper = total
            self.plan = np.sort(open_sites)
            self.asg = asg.astype(np.int64, copy=True)

    def repair(self, selected: np.ndarray) -> None:
        """Turn a relaxation's site set into a plan (each set once)."""
        key = np.sort(selected).tobytes()
        if key in self.seen or self.repairs >= _MAX_REPAIRS:
            return
        self.seen.add(key)
        self.repairs += 1
        self.evaluate(np.sort(selected))

    def site_swaps(self, order: np.ndarray, max_evals: int, share: float = 0.75) -> int:
        """First-improvement swaps of one open (not required) site for one closed site."""
        if self.plan is None:
            return 0
        done = 0
        moves = 0
        improved = True
        while improved and done < max_evals and not self.deadline.over(share):
            improved = False
            plan = self.plan
            out_cands = [a for a in plan if not self.d.required[a]]
            closed = [b for b in order if self.usable[b] and b not in set(plan.tolist())]
            for a in out_cands:
                for b in closed:
                    if done >= max_evals or self.deadline.over(share):
                        return moves
                    trial = np.where(plan == a, b, plan)
                    before = self.upper
                    done += 1
                    self.evaluate(trial)
                    if self.upper < before:
                        moves += 1
                        improved = True
                        break
                if improved:
                    break
        return moves

    # ---------------------------------------------------------------- bound

    def select(self, rho: np.ndarray) -> np.ndarray | None:
        """The ``p`` sites of the relaxation: forced ones plus the smallest ``rho``."""
        forced = np.flatnonzero(self.forced & self.usable)
        free = np.flatnonzero(~self.forced & self.usable)
        need = self.d.p - forced.size
        if need < 0 or free.size < need:
            return None
        pick = free[np.argsort(rho[free], kind="stable")[:need]]
        return np.concatenate([forced, pick])

    def lagrangian(self, lam: np.ndarray) -> tuple[float, np.ndarray | None]:
        """``L(lam)`` on the working problem and the relaxation's sites (None: no plan left)."""
        kern.knapsacks(
            self.cost, lam, self.d.load, self.d.cap, self.usable, self._rho_lp, self._dual,
            self._take_lp,
        )  # fmt: skip
        if self.d.whole_loads:
            kern.knapsacks_exact(
                self.cost, lam, self.d.load, self.d.cap, self.usable, self._rho, self._take
            )
        sel = self.select(self._rho)
        if sel is None:
            return math.inf, None
        return float(lam.sum() + self._rho[sel].sum()), sel

    def fix(self, value: float, sel: np.ndarray, lam: np.ndarray) -> tuple[int, int, int]:
        """Reduced-cost fixing at ``lam`` (just evaluated, value ``value``, sites ``sel``)."""
        if not math.isfinite(self.upper) or not math.isfinite(value):
            return 0, 0, 0
        cut = proof_cut(self.upper, self.d.integral)
        margin = 1e-9 * max(abs(self.upper), 1.0)
        rho = self._rho
        in_sel = np.zeros(rho.size, dtype=bool)
        in_sel[sel] = True
        free_sel = sel[~self.forced[sel]]
        rest = np.flatnonzero(self.usable & ~in_sel)
        rho_last = float(rho[free_sel].max()) if free_sel.size else math.inf
        rho_next = float(rho[rest].min()) if rest.size else math.inf
        closed = forced = 0
        if rest.size:
            kill = rest[value - rho_last + rho[rest] > cut + margin]
            self.usable[kill] = False
            closed = int(kill.size)
        if free_sel.size and math.isfinite(rho_next):
            make = free_sel[value - rho[free_sel] + rho_next > cut + margin]
            self.forced[make] = True
            forced = int(make.size)
        with np.errstate(invalid="ignore"):
            extra = np.where(in_sel, 0.0, rho - rho_last)
        extra[~self.usable] = math.inf
        with np.errstate(invalid="ignore"):
            # forcing (i, j) in lifts site j's knapsack to at least its LP value plus the
            # LP reduced cost, whichever knapsack (LP or exact) gave rho[j]
            lift = np.where(self.usable, self._rho_lp - rho, 0.0)
            rc = self.cost - lam[:, None] + self.d.load[:, None] * self._dual[None, :]
            rc += lift[None, :]
            out = (self._take_lp < 1.0 - 1e-12) & (value + extra[None, :] + rc > cut + margin)
        out &= np.isfinite(self.cost)
        pairs = int(out.sum())
        self.cost[out] = math.inf
        self.cost[:, ~self.usable] = math.inf
        return closed, forced, pairs

    def subgradient(
        self, lam: np.ndarray, iterations: int, share: float = 0.45
    ) -> tuple[float, np.ndarray, int]:
        """Subgradient ascent with plan repairs until ``share`` of the time limit; returns
        the best raw bound, its ``lam``, steps."""
        best = -math.inf
        best_lam = lam.copy()
        theta = 2.0
        stall = 0
        it = 0
        for it in range(1, iterations + 1):
            if self.deadline.over(share):
                break
            value, sel = self.lagrangian(lam)
            if sel is None:
                return math.inf, lam, it
            if value > best + 1e-9 * max(abs(value), 1.0):
                best = value
                best_lam = lam.copy()
                stall = 0
            else:
                stall += 1
                if stall >= _STALL:
                    theta /= 2.0
                    stall = 0
            self.repair(sel)
            if it % 10 == 0:
                self.fix(value, sel, lam)
            if math.isfinite(self.upper) and best >= proof_cut(self.upper, self.d.integral):
                break
            if theta < _MIN_THETA:
                break
            g = 1.0 - self._take[:, sel].sum(axis=1)
            norm = float(g @ g)
            if norm <= 1e-12:
                break  # the relaxation's solution is a feasible assignment
            target = self.upper if math.isfinite(self.upper) else abs(value) * 1.05 + 1.0
            step = theta * max(target - value, 1e-9 * max(abs(value), 1.0)) / norm
            lam = lam + step * g
        return best, best_lam, it


class _Restricted:
    """The incumbent of :class:`_Search` seen from a search on some of its sites only."""

    def __init__(self, outer: _Search, sites: np.ndarray) -> None:
        self.outer = outer
        self.sites = sites
        self.upper = outer.upper

    def evaluate(self, open_sites: np.ndarray) -> float:
        return math.inf  # the sites are fixed: only complete assignments count

    def offer(self, open_sites: np.ndarray, asg: np.ndarray, total: float) -> None:
        self.outer.offer(self.sites[open_sites], self.sites[asg], total)
        self.upper = self.outer.upper


def _initial_lambda(cost: np.ndarray) -> np.ndarray:
    """Each point's second-cheapest pair (its cheapest when it has one only)."""
    part = np.partition(cost, 1, axis=1)[:, :2] if cost.shape[1] > 1 else cost[:, :1]
    lam = part[:, -1].copy()
    bad = ~np.isfinite(lam)
    lam[bad] = part[bad, 0]
    lam[~np.isfinite(lam)] = 0.0
    return lam


def solve_cpmp(
    data: CpmpData,
    *,
    time_limit: float | None,
    seed: int,
    exact: bool,
    mip_gap: float,
    t0: float,
    target_gap: float = 0.0,
    verbose: bool = False,
) -> CpmpResult:
    """Plan, certified bound and (with ``exact``) the reduced MILP; see the module docstring."""
    del seed  # every decision is deterministic; kept for the shared signature
    deadline = Deadline(time_limit, start=t0)
    s = _Search(data, deadline)
    details: dict[str, Any] = {}
    lam = _initial_lambda(data.cost)
    # a first plan straight away: the relaxation's sites at the starting multipliers
    value, sel = s.lagrangian(lam)
    if sel is not None:
        s.repair(sel)
    if s.plan is not None:
        s.site_swaps(np.argsort(s._rho, kind="stable"), max_evals=_FIRST_SWAP_EVALS, share=0.3)
    details["first_plan"] = s.upper if math.isfinite(s.upper) else None
    raw, best_lam, steps = s.subgradient(lam, _ITERATIONS)
    details["subgradient_steps"] = steps
    details["plans_repaired"] = s.repairs
    if s.plan is not None and not deadline.over(0.6):
        value, sel = s.lagrangian(best_lam)
        order = np.argsort(s._rho, kind="stable")
        details["site_swaps"] = s.site_swaps(order, max_evals=_SWAP_EVALS)
    # second round from the best multipliers: the better incumbent fixes more. When no
    # exact finish can follow (no exact knapsacks, too many pairs for the MILP), it has
    # the time up to the end: 1,000 x 100, p = 12, 10 s: gap 3.5 % (was 5.4 % at 0.6).
    finish = exact and (data.whole_loads or np.isfinite(s.cost).sum() <= MAX_MILP_PAIRS)
    if not deadline.over(0.6 if finish else 0.85):
        raw2, lam2, steps2 = s.subgradient(
            best_lam, _ITERATIONS // 3 if finish else _ITERATIONS, 0.6 if finish else 0.9
        )
        details["subgradient_steps"] += steps2
        if raw2 > raw:
            raw, best_lam = raw2, lam2
    value, sel = s.lagrangian(best_lam)
    if sel is None:
        raw = math.inf
    else:
        raw = max(raw, value)
        s.fix(value, sel, best_lam)
    details["lagrangian_bound"] = raw if math.isfinite(raw) else None
    details["lagrangian_s"] = round(time.perf_counter() - t0, 3)
    bound = certified_bound(raw, s.upper, data.integral)
    method = "lagrangian"
    proven = math.isfinite(s.upper) and raw >= proof_cut(s.upper, data.integral)
    details["sites_left"] = int(s.usable.sum())
    details["pairs_left"] = int(np.isfinite(s.cost).sum())
    close_enough = math.isfinite(s.upper) and s.upper - bound <= target_gap * abs(s.upper)
    if close_enough and not proven:
        details["stop_reason"] = "target_gap"
    if (
        exact
        and data.whole_loads
        and s.plan is not None
        and not proven
        and not close_enough
        and not deadline.over(0.95)
    ):
        s.gap_on = True
        proven, bound = _branch_and_bound(s, best_lam, bound, deadline, details)
        method = "lagrangian+branch-and-bound"
    # without a plan the MILP runs in the heuristic too: it finds one or proves there is none
    if (exact or s.plan is None) and not proven and not close_enough and not deadline.over(0.95):
        milp_out = _reduced_milp(s, deadline, mip_gap=mip_gap, verbose=verbose, details=details)
        if milp_out is not None:
            m_bound, m_optimal = milp_out
            method = "lagrangian+milp"
            if m_optimal:
                bound = s.upper
                proven = True
            elif m_bound is not None and math.isfinite(s.upper):
                bound = max(bound, min(s.upper, m_bound))
    if math.isfinite(s.upper):
        gap = (s.upper - bound) / max(abs(s.upper), 1e-12)
        proven = proven or gap <= mip_gap
    return CpmpResult(
        open_local=s.plan,
        asg_local=s.asg,
        upper=s.upper,
        bound=bound if math.isfinite(bound) else (s.upper if proven else -math.inf),
        proven=proven and s.plan is not None,
        method=method,
        details=details,
    )


def _branch_and_bound(
    s: _Search, lam: np.ndarray, bound: float, deadline: Deadline, details: dict[str, Any]
) -> tuple[bool, float]:
    """Lagrangian branch and bound on the fixed problem (exact knapsacks); (proven, bound)."""
    d = s.d
    out = branch_and_bound(
        s.cost, s.usable, s.forced, d.load, d.cap, d.p, integral=d.integral, lam=lam,
        incumbent=s, root_steps=_BNB_ROOT_STEPS, stop=lambda: deadline.over(_BNB_SHARE),
    )  # fmt: skip
    details["branch_and_bound"] = {
        "complete": out.complete, "nodes": out.nodes, "site_nodes": out.site_nodes,
        "steps": out.steps,
    }  # fmt: skip
    if out.complete:
        return True, s.upper
    return False, max(bound, certified_bound(out.bound, s.upper, d.integral))


def _reduced_milp(
    s: _Search,
    deadline: Deadline,
    *,
    mip_gap: float,
    verbose: bool,
    details: dict[str, Any],
) -> tuple[float | None, bool] | None:
    """The MILP on the sites and pairs left after fixing, warm-started from the plan.

    Returns ``(bound, proven)`` (the bound on plans better than the incumbent), or None
    when it is too large or did not run. A better plan it finds replaces the incumbent.
    """
    from planner.optimize.exact.formulations import new_builder
    from planner.optimize.exact.milp import solve_milp
    from planner.optimize.solution import Status

    d = s.d
    cols = np.flatnonzero(s.usable)
    sub = s.cost[:, cols]
    r, c = np.nonzero(np.isfinite(sub))
    n = sub.shape[0]
    if r.size > MAX_MILP_PAIRS:
        details["milp"] = f"skipped: {r.size} pairs left (more than {MAX_MILP_PAIRS})"
        return None
    if np.bincount(r, minlength=n).min(initial=1) == 0 or cols.size < d.p:
        # a point without a pair left: no plan beats the incumbent
        details["milp"] = "not needed: fixing left no better plan"
        return (s.upper, True) if math.isfinite(s.upper) else None
    k = cols.size
    b = new_builder()
    x0 = b.cols(np.zeros(k), s.forced[cols].astype(np.float64), 1.0, integer=True)
    b.rows(1, np.zeros(k, dtype=np.int64), x0 + np.arange(k), 1.0, d.p, d.p)
    ne = r.size
    y0 = b.cols(sub[r, c], 0.0, 1.0, integer=True)
    b.rows(n, r, y0 + np.arange(ne), 1.0, 1.0, 1.0)
    e = np.arange(ne)
    b.rows(ne, np.concatenate([e, e]), np.concatenate([y0 + e, x0 + c]),
           np.concatenate([np.ones(ne), -np.ones(ne)]), -np.inf, 0.0)  # fmt: skip
    b.rows(k, np.concatenate([c, np.arange(k)]), np.concatenate([y0 + e, x0 + np.arange(k)]),
           np.concatenate([d.load[r], -d.cap[cols]]), -np.inf, 0.0)  # fmt: skip
    milp = b.build()
    initial = None
    if s.plan is not None and s.asg is not None:
        pos = np.full(d.cap.size, -1)
        pos[cols] = np.arange(k)
        if (pos[s.plan] >= 0).all():
            want = pos[s.asg]
            key = r * k + c
            got = np.searchsorted(key, np.arange(n) * k + want)
            got = np.minimum(got, ne - 1)
            if (want >= 0).all() and (key[got] == np.arange(n) * k + want).all():
                initial = np.zeros(milp.n_cols)
                initial[x0 + pos[s.plan]] = 1.0
                initial[y0 + got] = 1.0
    left = deadline.left()
    if deadline.stopped() or (left is not None and left <= 0.05):
        return None
    res = solve_milp(
        milp,
        solver="highs",
        time_limit=None if left is None else max(left - 0.05, 0.05),
        seed=0,
        verbose=verbose,
        mip_gap=mip_gap,
        initial=initial,
    )
    details["milp"] = {
        "sites": int(k),
        "pairs": int(ne),
        "status": res.solver_status,
        "warm_start": initial is not None,
        "seconds": round(res.runtime_s, 3),
    }
    if res.status is Status.INFEASIBLE:
        # no plan better than the incumbent (or, without one, no plan at all)
        return (s.upper, True) if math.isfinite(s.upper) else (math.inf, True)
    if res.x is not None:
        xs = res.x[x0 : x0 + k] > 0.5
        ys = res.x[y0 : y0 + ne] > 0.5
        asg = np.full(n, -1, dtype=np.int64)
        asg[r[ys]] = cols[c[ys]]
        if (asg >= 0).all():
            total = float(d.cost[np.arange(n), asg].sum())
            if total < s.upper:
                s.upper = total
                s.plan = np.sort(cols[xs])
                s.asg = asg
    optimal = res.status is Status.OPTIMAL
    return (res.bound if res.bound is not None else None), optimal


# --------------------------------------------------------------------------- entry point


def solve_capacitated(
    problem: Problem,
    p: int,
    *,
    radius: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    exact: bool = True,
    mip_gap: float | None = None,
    target_gap: float = 0.0,
    method_name: str | None = None,
    verbose: bool = False,
) -> Any:
    """Single-source capacitated p-median: plan, certified bound, exact finish.

    Parameters
    ----------
    problem
        With ``capacity`` (weight or ``load`` units per site); options already checked.
    p
        Number of sites to open (required ones included).
    radius
        Largest cost at which a site may serve a point (cost unit), or None.
    time_limit
        Seconds for the whole call, the final MILP included; None for no limit.
    seed
        Kept for the shared signature: the method makes no random choices.
    exact
        Run the reduced MILP when the Lagrangian bound leaves a gap.
    mip_gap
        Relative gap counted as proven optimal (default: the MILP's default).
    target_gap
        Stop once the certified gap is within this share (0.001 = 0.1 %) and skip the
        MILP; ``details["stop_reason"]`` then says ``"target_gap"``.
    method_name
        ``Solution.method`` to report (default: what proved the bound).

    Returns
    -------
    Solution
        ``solver="planner"``; ``status`` is ``OPTIMAL`` only when the bound proves it,
        ``INFEASIBLE`` with a diagnosis when no plan exists.
    """
    from planner.optimize import diagnose
    from planner.optimize.check import nearest_open, recompute_objective
    from planner.optimize.exact.milp import DEFAULT_MIP_GAP
    from planner.optimize.exact.solve import checked_pairs
    from planner.optimize.options import ModelOptions
    from planner.optimize.solution import Solution, Status

    t0 = time.perf_counter()
    gap_target = DEFAULT_MIP_GAP if mip_gap is None else float(mip_gap)
    opts = ModelOptions(model="capacitated_p_median", p=p, radius=radius)
    checked = checked_pairs(problem, opts, capacitated=True)

    def empty(status: Status, diag: dict[str, Any], bound: float | None = None) -> Solution:
        return Solution(
            open_sites=np.zeros(0, dtype=np.int64),
            assignment=np.full(problem.n_demand, -1, dtype=np.int64),
            objective=math.nan,
            bound=bound,
            gap=None,
            status=status,
            runtime_s=time.perf_counter() - t0,
            model="capacitated_p_median",
            method=method_name or "lagrangian",
            solver="planner",
            details=diagnose.no_plan_details(diag),
        )

    if isinstance(checked, dict):
        return empty(Status.INFEASIBLE, checked)
    data = build_data(problem, p, radius=radius)
    out = solve_cpmp(
        data, time_limit=time_limit, seed=seed, exact=exact, mip_gap=gap_target, t0=t0,
        target_gap=target_gap, verbose=verbose,
    )  # fmt: skip
    if out.open_local is None or out.asg_local is None:
        if out.bound == math.inf:
            return empty(Status.INFEASIBLE, packing_diagnosis(problem, data))
        return empty(Status.NO_SOLUTION, diagnose.diagnosis([diagnose.finding("stopped")]))
    open_sites = data.sites[out.open_local]
    assignment, _ = nearest_open(problem, open_sites)  # points without weight or load
    assignment[data.rows] = data.sites[out.asg_local]
    draft = Solution(
        open_sites=open_sites, assignment=assignment, objective=0.0, bound=None, gap=None,
        status=Status.FEASIBLE, runtime_s=0.0, model="capacitated_p_median", method="",
        solver="planner",
    )  # fmt: skip
    objective = recompute_objective(problem, draft, model="capacitated_p_median")
    bound = min(float(out.bound), objective) if math.isfinite(out.bound) else None
    gap = 0.0 if out.proven else (
        None if bound is None else max(objective - bound, 0.0) / max(abs(objective), 1e-12)
    )  # fmt: skip
    details: dict[str, Any] = {k: v for k, v in out.details.items() if v is not None}
    if not out.proven and "stop_reason" not in details:
        hit = time_limit is not None and time.perf_counter() - t0 >= 0.9 * time_limit
        details["stop_reason"] = "time_limit" if hit else "search_ended"
    if problem.existing.any():
        details["existing_closed"] = np.flatnonzero(
            problem.existing & ~np.isin(np.arange(problem.n_sites), open_sites)
        ).tolist()
    return Solution(
        open_sites=open_sites,
        assignment=assignment,
        objective=objective,
        bound=objective if out.proven else bound,
        gap=gap,
        status=Status.OPTIMAL if out.proven else Status.FEASIBLE,
        runtime_s=time.perf_counter() - t0,
        model="capacitated_p_median",
        method=method_name or out.method,
        solver="planner",
        details=details,
    )


def packing_diagnosis(problem: Problem, data: CpmpData) -> dict[str, Any]:
    """No single-source plan although the capacities add up: say by how much they fall short.

    The largest total capacity of ``p`` sites covers the load, so the shortfall is in
    packing whole demand points into sites. ``shortfall`` is the load left over after
    filling the ``p`` largest sites greedily, heaviest points first (first-fit
    decreasing), a measure of how much capacity is missing.
    """
    from planner.optimize import diagnose

    load = np.sort(data.load)[::-1]
    caps = np.sort(data.cap)[::-1][: data.p].astype(np.float64)
    room = caps.copy()
    left = 0.0
    for q in load:
        k = int(np.argmax(room >= q - 1e-9)) if (room >= q - 1e-9).any() else -1
        if k < 0:
            left += float(q)
        else:
            room[k] -= q
    total = float(data.load.sum())
    best_cap = float(caps.sum())
    found = diagnose.finding(
        "capacity_packing", load=total, capacity=best_cap, shortfall=max(left, 0.0), p=data.p
    )
    return diagnose.diagnosis(
        [found], capacity_shortfall=max(left, 0.0), total_load=total, max_capacity=best_cap
    )
