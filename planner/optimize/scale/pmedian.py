"""The p-median pipeline for large problems (private).

1. Greedy + fast swap local search (upper bound, a plan).
2. Lagrangian subgradient (certified lower bound) with reduced-cost fixing.
3. Local search from the Lagrangian solution; repeat 2 when the plan improved.
4. If the gap is small: Lagrangian branch and bound on the sites left after fixing.

With a time limit, the iterated swap search goes on beside steps 2-4 on a second
thread (the kernels release the GIL) until the deadline or the proof; the bound steps
towards, and prunes with, the best plan either side has found. The Lagrangian and the
branch and bound run on one core below ``PARALLEL_MIN_POINTS`` points, so the other one
would be idle otherwise. On huge problems steps 3-4 are left out: the subgradient runs
for the whole time beside the search.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner.optimize.scale.data import Neighbours
from planner.optimize.scale.lagrangian import (
    is_proven,
    lagrangian_value,
    p_median_lagrangian,
    within_target,
)
from planner.optimize.scale.local_search import SharedPlan, local_search
from planner.optimize.timing import carry_stop, due

#: From this many points on (with a time limit), the swap search restarts until its
#: share of the time is used.
HUGE_POINTS = 50_000
#: From this many points on, multipliers are capped near the plan's costs.
LAM_CAP_MIN_POINTS = 5_000
#: Deflection of the subgradient beside the search (Camerini, Fratta and Maffioli);
#: maximal covering uses its own (see ``_scale_cover``).
DEFLECTION = 1.5
#: Share of the time left that the subgradient gets after starting from near-LP
#: multipliers on the side-by-side path; a second swap search gets the rest.
LP_START_BOUND_SHARE = 0.3
#: Branch and bound is tried only when the root gap is at most this (relative).
BNB_MAX_GAP = 0.02
#: Node limit of the branch and bound (it stops with a certified bound when reached).
BNB_MAX_NODES = 100_000


@dataclass(frozen=True)
class PMedianOutcome:
    """Plan on local indices with a certified bound."""

    open_local: np.ndarray
    objective: float
    bound: float
    proven: bool
    method: str
    details: dict[str, Any] = field(default_factory=dict)


def is_plan_proven(objective: float, bound: float, integral: bool) -> bool:
    return is_proven(objective, bound, integral)


def solve_p_median(
    data: Neighbours,
    p: int,
    *,
    time_limit: float | None,
    seed: int = 0,
    bound: bool = True,
    exact: bool = True,
    restarts: int | None = None,
    multiplier_start: float = 0.5,
    deflection: float = DEFLECTION,
    start_multipliers: Callable[[float], np.ndarray | None] | None = None,
    target_gap: float = 0.0,
    deterministic: bool = False,
) -> PMedianOutcome:
    """Heuristic plan, Lagrangian bound, reduced exact solve (each step optional).

    ``deterministic``: every stage stops at its work limit (restarts, Lagrangian
    iterations and rounds, branch-and-bound nodes: the path taken without a time limit)
    and no search runs beside the bound on a second thread; the time limit is then only
    a backstop. The plan depends on the input and seed alone unless the backstop ends a
    stage: ``details["time_limit_reached"]`` says whether it did.

    ``target_gap`` (relative, 0 = none) ends the solve as soon as the certified gap is
    within it (``details["stop_reason"] = "target_gap"``) instead of working on to the
    proof or the time limit.

    ``multiplier_start`` places the first multipliers between each point's nearest
    (0) and second-nearest (1) open cost of the first plan; ``deflection`` is the
    subgradient's direction deflection on the side-by-side path (huge problems).
    ``start_multipliers``, on that path, is called with a deadline for better first
    multipliers (e.g. the duals of an approximate LP solve); None from it falls back
    to ``multiplier_start``.
    """
    t0 = time.perf_counter()
    deadline = np.inf if time_limit is None else t0 + 0.97 * float(time_limit)
    details: dict[str, Any] = {}
    # With a time limit and without `deterministic`, stages share out the time and a
    # search runs beside the bound; otherwise each stops at its work limit.
    timed = bool(np.isfinite(deadline)) and not deterministic
    huge = data.n >= HUGE_POINTS and timed
    if huge and bound:
        return _side_by_side(
            data, p, deadline=deadline, seed=seed, t0=t0, start=multiplier_start,
            deflection=deflection, start_multipliers=start_multipliers, target_gap=target_gap,
        )  # fmt: skip
    # Without a bound the swap search gets all the time (on huge problems it restarts
    # until then); with one, a first plan, then the search goes on beside the bound.
    ls_deadline = deadline if not bound or not timed else t0 + 0.3 * (deadline - t0)
    if huge and restarts is None:
        restarts = 100_000
    plan = local_search(data, p, seed=seed, deadline=ls_deadline, restarts=restarts)
    best_open, best_obj = plan.open_local, plan.objective
    details["heuristic_objective"] = best_obj
    details["heuristic_s"] = round(time.perf_counter() - t0, 3)
    if not bound:
        details["time_limit_reached"] = time.perf_counter() >= deadline
        return PMedianOutcome(best_open, best_obj, -np.inf, False, "heuristic", details)
    # With a time limit the search goes on beside the bound (second core).
    beside = None
    if timed:
        beside = _SearchBeside(data, p, best_open, best_obj, seed=(seed, 1), deadline=deadline)
    try:
        out = _bound_and_branch(data, p, best_open, best_obj, beside, deadline=deadline,
                                t0=t0, exact=exact, start=multiplier_start, seed=seed,
                                details=details, target_gap=target_gap, timed=timed)  # fmt: skip
    finally:
        searched = None if beside is None else beside.finish()
    details["time_limit_reached"] = time.perf_counter() >= deadline
    if searched is None:
        return out
    beside_obj, beside_open, swaps = searched
    details["search_beside_swaps"] = swaps
    if beside_obj < out.objective:
        details["plan_from"] = "search beside the bound"
        proven = is_plan_proven(beside_obj, out.bound, data.integral)
        return PMedianOutcome(beside_open, beside_obj, min(out.bound, beside_obj), proven,
                              out.method, details)  # fmt: skip
    return out


class _SearchBeside:
    """The iterated swap search on a second thread, from a first plan, until the
    deadline or :meth:`finish`; the bound reads its incumbent through :attr:`objective`.
    An exception in the thread is raised again by :meth:`finish`."""

    def __init__(
        self,
        data: Neighbours,
        p: int,
        open_local: np.ndarray,
        objective: float,
        *,
        seed: int | tuple[int, int],
        deadline: float,
    ) -> None:
        self._n_sites = data.n_sites
        self.shared = SharedPlan()
        self.offer(open_local, objective)
        mask = self.shared.best_mask()
        self._found: list[Any] = []
        self._failed: list[BaseException] = []
        self._thread = threading.Thread(
            target=carry_stop(self._run), args=(data, p, mask, seed, deadline),
            name="planner-swap-search",
            daemon=True,
        )  # fmt: skip
        self._thread.start()

    def _run(self, data: Neighbours, p: int, mask: np.ndarray, seed: Any, deadline: float) -> None:
        try:
            plan = local_search(
                data, p, seed=seed, deadline=deadline, restarts=1 << 62, initial=mask,
                shared=self.shared,
            )  # fmt: skip
            self._found.append(plan)
        except BaseException as exc:  # handed to the caller by finish()
            self._failed.append(exc)
            self.shared.stop.set()

    @property
    def objective(self) -> float:
        return self.shared.objective

    def offer(self, open_local: np.ndarray, objective: float) -> None:
        """A better plan (e.g. found by the bound side): the search goes on from it."""
        mask = np.zeros(self._n_sites, dtype=bool)
        mask[open_local] = True
        self.shared.offer(objective, mask)

    def wait(self) -> None:
        """Let the search run to its deadline."""
        self._thread.join()

    def finish(self) -> tuple[float, np.ndarray, int | None]:
        """Stop the search; its best plan (objective, open sites) and swaps made."""
        self.shared.stop.set()
        self._thread.join()
        if self._failed:
            raise self._failed[0]
        assert self.shared.mask is not None
        swaps = self._found[0].iterations if self._found else None
        return self.shared.objective, np.flatnonzero(self.shared.mask).astype(np.int64), swaps


def _bound_and_branch(
    data: Neighbours,
    p: int,
    best_open: np.ndarray,
    best_obj: float,
    beside: _SearchBeside | None,
    *,
    deadline: float,
    t0: float,
    exact: bool,
    start: float,
    seed: int,
    details: dict[str, Any],
    target_gap: float = 0.0,
    timed: bool = True,
) -> PMedianOutcome:
    """Lagrangian rounds with plan searches from their relaxed solutions, then branch and
    bound when the gap is small; ``beside`` (if any) lends its incumbent."""

    def incumbent() -> float:
        return best_obj if beside is None else min(best_obj, beside.objective)

    lam0 = initial_multipliers(data, best_open, start)
    _, _, _, d2 = data.plan_costs2(best_open)
    # Large problems: keep multipliers below twice the cost to the plan's second-nearest
    # open site (a cap only limits the search; every multiplier gives a valid bound).
    lam_cap = 2.0 * data.w * d2 if data.n >= LAM_CAP_MIN_POINTS else None
    closed = forced = None
    lb = -np.inf
    method = "lagrangian"
    rounds = 0
    lag = None
    total_iter = 0
    stale = 0
    # Without a time limit a few rounds; with one, rounds go on while they pay.
    max_rounds = 3 if not timed else 50
    while True:
        rounds += 1
        # With a time limit, the first round leaves room for a plan search from its
        # relaxed solution and a second round.
        now = time.perf_counter()
        round_deadline = deadline if rounds > 1 or not timed else now + 0.6 * (deadline - now)
        lag = p_median_lagrangian(
            data, p, incumbent(), lam0=lam0, closed=closed, forced=forced,
            deadline=round_deadline, theta0=2.0 if rounds == 1 else 0.5, lam_cap=lam_cap,
            incumbent=incumbent, target_gap=target_gap,
        )  # fmt: skip
        total_iter += lag.iterations
        improved_lb = lag.bound > lb + 1e-6 * max(abs(lb), 1.0) if np.isfinite(lb) else True
        lb = max(lb, lag.bound)
        closed, forced, lam0 = lag.closed, lag.forced, lag.lam
        if (
            is_plan_proven(incumbent(), lb, data.integral)
            or within_target(incumbent(), lb, target_gap)
            or due(deadline)
            or rounds >= max_rounds
        ):
            break
        # Local search from the relaxed solution (restricted to unfixed sites), plus a
        # few perturbation restarts when a time limit leaves room for them.
        relaxed = lag.selected & ~lag.closed
        if int(relaxed.sum()) != p:
            break
        now = time.perf_counter()
        ls_deadline = deadline if not timed else now + 0.4 * (deadline - now)
        ls2 = local_search(
            data, p, seed=seed + rounds, deadline=ls_deadline,
            restarts=0 if not timed else 3, starts=[relaxed],
        )  # fmt: skip
        improved_ub = ls2.objective < best_obj - 1e-9 * abs(best_obj)
        if improved_ub:
            best_open, best_obj = ls2.open_local, ls2.objective
            if beside is not None:
                beside.offer(best_open, best_obj)
        stale = 0 if (improved_ub or improved_lb) else stale + 1
        gap_now = (incumbent() - lb) / max(abs(best_obj), 1e-12)
        small = gap_now <= (BNB_MAX_GAP if data.complete else BNB_MAX_GAP / 4)
        # Without a time limit, or when branch and bound will close a small gap, go on
        # only while the plan improves.
        if not improved_ub and (not timed or (exact and small)):
            break
        if stale >= 2:
            break
    assert lag is not None
    details["lagrangian_iterations"] = int(total_iter)
    details["lagrangian_rounds"] = rounds
    details["sites_fixed_closed"] = int(lag.closed.sum())
    details["sites_fixed_open"] = int(lag.forced.sum())
    details["lagrangian_bound"] = float(lb)
    details["lagrangian_s"] = round(time.perf_counter() - t0, 3)
    if is_plan_proven(incumbent(), lb, data.integral):
        return PMedianOutcome(best_open, best_obj, min(lb, best_obj), True, method, details)
    if target_gap > 0.0 and within_target(best_obj, lb, target_gap):
        details["stop_reason"] = "target_gap"
        return PMedianOutcome(best_open, best_obj, min(lb, best_obj), False, method, details)

    root_gap = (incumbent() - lb) / max(abs(best_obj), 1e-12)
    # Branching pays when the root gap is small; with cut lists the relaxation is weaker
    # at the leaves, so demand a smaller gap still.
    max_gap = BNB_MAX_GAP if data.complete else BNB_MAX_GAP / 4
    if exact and not due(deadline) and root_gap <= max_gap:
        bnb = branch_and_bound(
            data,
            p,
            best_obj,
            best_open,
            lag,
            deadline=deadline,
            incumbent=incumbent,
            found=None if beside is None else beside.offer,
            target_gap=target_gap,
        )
        method = "lagrangian+branch_and_bound"
        details["bnb_nodes"] = bnb.nodes
        details["bnb_s"] = round(time.perf_counter() - t0, 3)
        if bnb.objective < best_obj:
            best_open, best_obj = bnb.open_local, bnb.objective
        lb = max(lb, bnb.bound)
    proven = is_plan_proven(best_obj, lb, data.integral)
    if not proven and target_gap > 0.0 and within_target(best_obj, lb, target_gap):
        details["stop_reason"] = "target_gap"
    return PMedianOutcome(best_open, best_obj, min(lb, best_obj), proven, method, details)


def initial_multipliers(data: Neighbours, open_local: np.ndarray, share: float = 0.5) -> np.ndarray:
    """Each point's weighted cost ``share`` of the way from its nearest to its
    second-nearest open site of a plan. For the p-median, halfway: on 100,000 points
    60 s of subgradient end 0.5 % below the incumbent, against 1.1 % from the
    nearest-site costs (``share = 0``); for maximal covering (0/1 costs) the nearest-site
    start is the better one (1.40 % against 1.52 % certified gap on goal 5)."""
    _, d1, _, d2 = data.plan_costs2(open_local)
    return np.asarray(data.w * np.where(np.isfinite(d2), d1 + share * (d2 - d1), d1))


def _side_by_side(
    data: Neighbours,
    p: int,
    *,
    deadline: float,
    seed: int,
    t0: float,
    start: float,
    deflection: float,
    start_multipliers: Callable[[float], np.ndarray | None] | None = None,
    target_gap: float = 0.0,
) -> PMedianOutcome:
    """Swap search on a thread for the whole time; the subgradient beside it, stepping
    towards the search's incumbent as it improves. With ``start_multipliers`` the
    subgradient starts from what it returns by 90 % of the time left (when not None)."""
    details: dict[str, Any] = {}
    first = local_search(data, p, seed=seed, deadline=deadline, restarts=0)
    details["first_plan_objective"] = first.objective
    details["first_plan_s"] = round(time.perf_counter() - t0, 3)
    beside = _SearchBeside(data, p, first.open_local, first.objective, seed=seed,
                           deadline=deadline)  # fmt: skip
    try:
        lam0 = None
        if start_multipliers is not None:
            now = time.perf_counter()
            lam0 = start_multipliers(now + 0.9 * (deadline - now))
            details["start_multipliers"] = "given" if lam0 is not None else "none in time"
            details["start_multipliers_s"] = round(time.perf_counter() - now, 3)
            if lam0 is not None:
                details["start_multipliers_bound"] = lagrangian_value(data, lam0, p)
        lag_deadline = deadline
        if lam0 is None:
            lam0 = initial_multipliers(data, first.open_local, start)
        else:
            # Near-LP multipliers: the subgradient gains little more from them, so it
            # gets a short share and a second search gets the rest of the core.
            now = time.perf_counter()
            lag_deadline = now + LP_START_BOUND_SHARE * max(deadline - now, 0.0)
        lag = p_median_lagrangian(
            data, p, beside.objective, lam0=lam0,
            deadline=lag_deadline, max_iter=1 << 30, deflect=deflection, threads=False,
            incumbent=lambda: beside.objective, target_gap=target_gap,
        )  # fmt: skip
        done = is_plan_proven(beside.objective, lag.bound, data.integral) or (
            target_gap > 0.0 and within_target(beside.objective, lag.bound, target_gap)
        )
        if not done:
            if not due(deadline) and lag_deadline < deadline:
                second = local_search(
                    data, p, seed=(seed, 2), deadline=deadline, restarts=1 << 62,
                    initial=beside.shared.best_mask(), shared=beside.shared,
                )  # fmt: skip
                details["second_search_swaps"] = second.iterations
            beside.wait()  # the bound has stalled; the search goes on to the deadline
    finally:
        best_obj, best_open, swaps = beside.finish()
    lb = lag.bound
    details["heuristic_objective"] = best_obj
    details["swap_iterations"] = swaps
    details["lagrangian_iterations"] = int(lag.iterations)
    details["lagrangian_bound"] = float(lb)
    details["sites_fixed_closed"] = int(lag.closed.sum())
    details["sites_fixed_open"] = int(lag.forced.sum())
    details["lagrangian_s"] = round(time.perf_counter() - t0, 3)
    proven = is_plan_proven(best_obj, lb, data.integral)
    if not proven and target_gap > 0.0 and within_target(best_obj, lb, target_gap):
        details["stop_reason"] = "target_gap"
    return PMedianOutcome(best_open, best_obj, min(lb, best_obj), proven, "lagrangian", details)


@dataclass(frozen=True)
class _BnBResult:
    open_local: np.ndarray
    objective: float
    bound: float
    nodes: int


def branch_and_bound(
    data: Neighbours,
    p: int,
    upper: float,
    best_open: np.ndarray,
    root: Any,
    *,
    deadline: float,
    node_iter: int = 1000,
    node_chunk: int = 50,
    stall: float = 0.25,
    incumbent: Callable[[], float] | None = None,
    found: Callable[[np.ndarray, float], None] | None = None,
    target_gap: float = 0.0,
) -> _BnBResult:
    """Lagrangian branch and bound on the sites left open by root fixing.

    With ``target_gap`` the search stops as soon as the smallest bound of the nodes
    left is within it of the incumbent (that bound is then the certified one).

    Each node fixes some sites open or closed; its bound is the Lagrangian dual of the
    restricted problem (warm-started from the parent's multipliers, with its own
    reduced-cost fixing). Nodes whose bound reaches the incumbent are pruned; the rest
    branch on a site of the relaxed solution (open first, depth first). The relaxed
    solution of every node is also scored as a plan. When the deadline stops the
    search, the certified bound is the smallest bound of the nodes left.
    ``incumbent`` (a search beside) may lower the pruning threshold below the plans
    found here, and ``found`` hands it every better plan found here; the returned plan
    is this search's own best.
    """
    from planner.optimize.scale import kernels as kern
    from planner.optimize.scale.data import restrict_sites

    keep = np.flatnonzero(~root.closed)
    sub = restrict_sites(data, keep)
    integral = data.integral
    best_obj = float(upper)
    best_local = np.asarray(best_open, dtype=np.int64)
    stack: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = [
        (
            root.forced[keep].copy(),
            np.zeros(keep.size, dtype=bool),
            root.lam.copy(),
            float(root.bound),
        )
    ]
    nodes = 0
    rho = np.empty(sub.n_sites)
    open_bound = np.inf

    def prune_at() -> float:
        return best_obj if incumbent is None else min(best_obj, incumbent())

    while stack:
        if target_gap > 0.0:
            left = min(s[3] for s in stack)
            if within_target(prune_at(), left, target_gap):
                open_bound = min(open_bound, left)
                break
        forced, closed, lam, parent_bound = stack.pop()
        if is_plan_proven(prune_at(), parent_bound, integral):
            continue
        if due(deadline) or nodes >= BNB_MAX_NODES:
            open_bound = min(open_bound, parent_bound, *(s[3] for s in stack))
            break
        r = p_median_lagrangian(
            sub, p, prune_at(), lam0=lam, closed=closed, forced=forced, max_iter=node_iter,
            theta0=2.0, halve_after=20, min_theta=0.0002, chunk=node_chunk, stall=stall,
        )  # fmt: skip
        nodes += 1
        node_bound = max(r.bound, parent_bound)
        sel = np.flatnonzero(r.selected)
        if sel.size == p:
            _, dd = sub.plan_costs(sel)
            val = float(np.dot(sub.w, dd))
            if val < best_obj - 1e-9 * abs(best_obj):
                best_obj, best_local = val, keep[sel]
                if found is not None:
                    found(best_local, best_obj)
        if is_plan_proven(prune_at(), node_bound, integral):
            continue
        cand = np.flatnonzero(r.selected & ~r.forced)
        if cand.size == 0:
            # Every open site is fixed: the node is a single plan, scored above.
            continue
        kern.lagrangian_rho(sub.indptr, sub.site, sub.cost, sub.far, sub.w, r.lam, rho)
        j = cand[np.argmin(rho[cand])]
        closed_child = r.closed.copy()
        closed_child[j] = True
        forced_child = r.forced.copy()
        forced_child[j] = True
        stack.append((r.forced.copy(), closed_child, r.lam.copy(), node_bound))
        stack.append((forced_child, r.closed.copy(), r.lam, node_bound))
    bound = min(open_bound, prune_at())
    return _BnBResult(best_local, best_obj, float(bound), nodes)
