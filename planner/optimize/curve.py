"""The p-median for a range of ``p``, each plan warm-started from its neighbour's.

A trade-off curve solved point by point from scratch repeats the same work at every
``p``: the neighbour lists, the greedy start, most of the swaps and the climb of the
Lagrangian multipliers. Here the lists are built once; the ``p`` values are split into
(at most) ``workers`` runs of consecutive values, each on its own thread (the kernels
release the GIL). Within a run, the plan for ``p`` starts from the plan for ``p - 1``
plus the best greedy addition, and the subgradient starts from the
average of the multipliers that settled ``p - 1`` and fresh ones halfway between each
point's nearest and second-nearest open site of the new plan.
Every point stops at ``target_gap`` (certified: the bound is a Lagrangian value, valid
for any multipliers) or when its share of the time is spent.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from planner.errors import ProblemError
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution, Status
from planner.optimize.timing import carry_stop, check_target_gap, due

__all__ = ["CURVE_TARGET_GAP", "p_median_curve"]

#: Default relative gap at which a point of the curve counts as solved (0.1 %).
CURVE_TARGET_GAP = 1e-3
#: Rounds of (subgradient, swap search from its relaxed plan) per point at most.
_MAX_ROUNDS = 4


def _chains(p_values: list[int], workers: int) -> list[list[int]]:
    """Contiguous runs of the sorted ``p`` values, as even as possible."""
    k = max(1, min(workers, len(p_values)))
    bounds = np.linspace(0, len(p_values), k + 1).round().astype(int)
    return [p_values[a:b] for a, b in itertools.pairwise(bounds) if b > a]


def _check(problem: Problem, p_values: Sequence[int], target_gap: float, workers: int) -> list[int]:
    if not isinstance(problem, Problem):
        raise ProblemError(
            f"`problem` must be a planner.optimize.Problem; got {type(problem).__name__}."
        )
    try:
        ps = sorted({int(p) for p in p_values})
    except (TypeError, ValueError):
        raise ProblemError("`p_values` must be whole numbers, e.g. range(8, 21).") from None
    if not ps:
        raise ProblemError("`p_values` is empty: give at least one p.")
    n_required = int(problem.required.sum())
    n_allowed = int((~problem.excluded).sum())
    if ps[0] < max(1, n_required) or ps[-1] > n_allowed:
        raise ProblemError(
            f"`p_values` must lie between {max(1, n_required)} (the sites that must stay open) "
            f"and {n_allowed} (the sites allowed); got {ps[0]}..{ps[-1]}."
        )
    check_target_gap(target_gap)
    if int(workers) < 1:
        raise ProblemError(f"`workers` must be at least 1; got {workers}.")
    return ps


def p_median_curve(
    problem: Problem,
    p_values: Sequence[int],
    *,
    time_limit: float | None = None,
    target_gap: float = CURVE_TARGET_GAP,
    seed: int = 0,
    workers: int = 2,
    neighbours: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Solution, ...]:
    """p-median plans with certified bounds for several ``p``, warm-started in turn.

    Parameters
    ----------
    problem
        The :class:`Problem` (cost in the objective's unit, e.g. minutes; weights).
    p_values
        The numbers of sites to open (any order; duplicates ignored), each at least the
        number of required sites and at most the number of allowed sites.
    time_limit
        Seconds for the whole curve (None: each point runs until ``target_gap`` or its
        rounds are used up). A point that runs out of time returns its plan as
        ``feasible`` with its certified gap.
    target_gap
        Relative gap (objective - bound) / objective at which a point stops; ``0``
        asks for proofs of optimality (to the 1e-9 tolerance of the proof).
    seed
        Seed of the swap searches' perturbations; same input and seed, same curve
        (unless ``time_limit`` cuts a search short).
    workers
        Threads, each solving a run of consecutive ``p`` (use the number of cores).
    neighbours
        Nearest sites kept per demand point (default: as the scale method chooses for
        the smallest ``p``, which keeps the most).
    progress
        ``progress(done, total)`` once before any work (``done = 0``) and after each
        point (``total`` = number of distinct ``p``), always in the caller's thread (the
        worker threads only report to it), so a user interface may draw from it.

    Returns
    -------
    tuple of Solution
        One per ``p``, in increasing ``p``; ``method`` is ``"lagrangian_curve"`` and
        ``details`` say where the start came from (``warm_start``), the rounds and the
        seconds spent.

    Raises
    ------
    ProblemError
        For invalid arguments, before any work.
    """
    ps = _check(problem, p_values, float(target_gap), int(workers))
    total = len(ps)
    if progress is not None:
        progress(0, total)
    t0 = time.perf_counter()
    deadline = math.inf if time_limit is None else t0 + 0.97 * float(time_limit)
    from planner.optimize.scale import heuristics
    from planner.optimize.scale.data import from_problem

    bad = heuristics.unservable(problem)
    if bad.size:
        from planner.optimize import SolverOptions, solve

        # Points no site can serve: each p gets the solver's own diagnosis.
        heuristic = SolverOptions(method="heuristic")
        alone: list[Solution] = []
        for p in ps:
            alone.append(solve(problem, "p_median", p=p, options=heuristic))
            if progress is not None:
                progress(len(alone), total)
        return tuple(alone)
    data = from_problem(problem, ps[0], neighbours=neighbours)
    chains = _chains(ps, int(workers))
    results: dict[int, Solution] = {}
    errors: list[BaseException] = []
    finished: queue.SimpleQueue[int | None] = queue.SimpleQueue()

    def run(chain: list[int], index: int, report: Callable[[int], None]) -> None:
        try:
            _run_chain(problem, data, chain, results, deadline=deadline, total=total,
                       target_gap=float(target_gap), seed=(seed, index), report=report)  # fmt: skip
        except BaseException as exc:  # raised again in the caller's thread
            errors.append(exc)

    done = 0

    def count(_p: int) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    if len(chains) == 1:
        run(chains[0], 0, count)
    else:

        def worker(chain: list[int], index: int) -> None:
            try:
                run(chain, index, finished.put)
            finally:
                finished.put(None)  # this chain is over

        threads = [
            threading.Thread(target=carry_stop(worker), args=(c, i), daemon=True)
            for i, c in enumerate(chains)
        ]
        for t in threads:
            t.start()
        running = len(threads)
        while running:  # the points as they finish, counted here in the caller's thread
            item = finished.get()
            if item is None:
                running -= 1
            else:
                count(item)
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    return tuple(results[p] for p in ps)


def _run_chain(
    problem: Problem,
    data: Any,
    chain: list[int],
    results: dict[int, Solution],
    *,
    deadline: float,
    total: int,
    target_gap: float,
    seed: tuple[int, int],
    report: Callable[[int], None],
) -> None:
    """Solve ``chain`` (increasing ``p``) in turn, each from the previous plan and multipliers;
    ``report(p)`` after each."""
    from planner.optimize.scale.local_search import greedy

    mask: np.ndarray | None = None
    lam: np.ndarray | None = None
    for k, p in enumerate(chain):
        t0 = time.perf_counter()
        # Each point gets an even share of what is left of this chain's time.
        left = len(chain) - k
        point_deadline = (
            math.inf if not math.isfinite(deadline) else t0 + (deadline - t0) / max(left, 1)
        )
        start = greedy(data, p, start=mask)  # from scratch, or one site more than p - 1
        sol, mask, lam = _solve_point(
            problem, data, p, start, lam, deadline=point_deadline, target_gap=target_gap,
            seed=(*seed, p), t0=t0, warm=mask is not None,
        )  # fmt: skip
        results[p] = sol
        report(p)


def _solve_point(
    problem: Problem,
    data: Any,
    p: int,
    start: np.ndarray,
    lam_prev: np.ndarray | None,
    *,
    deadline: float,
    target_gap: float,
    seed: tuple[int, ...],
    t0: float,
    warm: bool,
) -> tuple[Solution, np.ndarray, np.ndarray]:
    """One point: swap search from ``start``, then subgradient rounds until the gap is
    at most ``target_gap``; returns the solution, its open mask and its multipliers."""
    from planner.optimize.check import nearest_open
    from planner.optimize.scale.lagrangian import p_median_lagrangian
    from planner.optimize.scale.local_search import local_search
    from planner.optimize.scale.outcome import scale_solution
    from planner.optimize.scale.pmedian import initial_multipliers, is_plan_proven

    cpu0 = time.thread_time()
    rng_seed = [int(s) for s in seed]
    finite = math.isfinite(deadline)
    ls_deadline = t0 + 0.3 * (deadline - t0) if finite else math.inf
    plan = local_search(data, p, seed=rng_seed, deadline=ls_deadline, initial=start,
                        restarts=0 if warm else 5)  # fmt: skip
    best_open, best_obj = plan.open_local, plan.objective
    # Multipliers: halfway between each point's nearest and second-nearest open site of
    # the plan, averaged with those that settled p - 1. Measured on the demo area at
    # 100 m (77,872 points, p = 10..14, 0.1 % target): 20-50 subgradient steps per
    # point from the average, 25-55 from the plan's alone, and 130-800 from the
    # previous multipliers alone (their Lagrangian value starts higher, yet the
    # steps from there stall).
    lam0 = initial_multipliers(data, best_open, 0.5)
    carried = lam_prev is not None
    if lam_prev is not None:
        lam0 = 0.5 * (lam0 + lam_prev)
    _, _, _, d2 = data.plan_costs2(best_open)
    lam_cap = 2.0 * data.w * d2
    lb = -math.inf
    closed = forced = None
    rounds = 0
    iterations = 0

    def done() -> bool:
        gap = (best_obj - lb) / max(abs(best_obj), 1e-12)
        return is_plan_proven(best_obj, lb, data.integral) or gap <= target_gap

    while rounds < _MAX_ROUNDS:
        rounds += 1
        # The subgradient aims at (and fixes sites against) a cut a little below the
        # plan: a bound above it settles the point at the target gap. The bound it
        # returns is min(Lagrangian value, cut), valid either way: a better plan
        # costs less than the cut, so it keeps the sites that fixing leaves.
        cut = best_obj * (1.0 - 0.9 * target_gap) if best_obj > 0 else best_obj
        lag = p_median_lagrangian(
            data, p, cut, lam0=lam0, closed=closed, forced=forced, deadline=deadline,
            theta0=2.0 if rounds == 1 else 0.5, lam_cap=lam_cap, threads=False,
        )  # fmt: skip
        iterations += lag.iterations
        lb = max(lb, lag.bound)
        closed, forced, lam0 = lag.closed, lag.forced, lag.lam
        if done() or due(deadline):
            break
        relaxed = lag.selected & ~lag.closed
        if int(relaxed.sum()) != p:
            break
        now = time.perf_counter()
        more = local_search(
            data, p, seed=[*rng_seed, rounds], restarts=3, starts=[relaxed],
            deadline=now + 0.4 * (deadline - now) if finite else math.inf,
        )  # fmt: skip
        if more.objective < best_obj - 1e-9 * abs(best_obj):
            best_open, best_obj = more.open_local, more.objective
        elif done():
            break
    open_sites = data.site_index[best_open]
    assignment, best = nearest_open(problem, open_sites)
    served = problem.weight > 0
    objective = float(np.dot(problem.weight[served], best[served]))
    proven = is_plan_proven(best_obj, lb, data.integral)
    reached = (best_obj - lb) / max(abs(best_obj), 1e-12) <= target_gap
    out_of_time = time.perf_counter() >= deadline
    mask = np.zeros(data.n_sites, dtype=bool)
    mask[best_open] = True
    details: dict[str, Any] = {
        "warm_start": "previous p" if warm else "greedy",
        "multipliers": "previous p" if carried else "plan",
        "rounds": rounds,
        "lagrangian_iterations": int(iterations),
        "target_gap": target_gap,
        "cpu_s": round(time.thread_time() - cpu0, 3),
        "lists_complete": data.complete,
    }
    if not proven:
        details["stop_reason"] = (
            "target_gap" if reached else "time_limit" if out_of_time else "search_ended"
        )
    sol = scale_solution(
        open_sites=np.sort(open_sites), assignment=assignment, objective=objective,
        bound=min(lb, objective) if math.isfinite(lb) else None, proven=proven, t0=t0,
        model="p_median", method="lagrangian_curve", details=details,
    )  # fmt: skip
    assert sol.status in (Status.OPTIMAL, Status.FEASIBLE)
    return sol, mask, np.asarray(lam0)
