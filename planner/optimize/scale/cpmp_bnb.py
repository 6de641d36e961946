"""Lagrangian branch and bound: the exact finish of the capacitated p-median.

The knapsack Lagrangian of :mod:`planner.optimize.scale.cpmp` (assignment rows relaxed,
one 0/1 knapsack per site) is the column-generation bound of Lorena and Senne (2004)
and Ceselli and Righini (2005): on the OR-Library pmedcap instances it stays 1-6 %
below the optimum (pmedcap08: 771.7 against 820, the same value column generation
reaches), and even with the optimal sites fixed it stays below (813.8). No fixing
closes such a gap; branching does. This module branches on the relaxation itself,
depth first, each node warm-started from its parent's multipliers:

* **sites** while the relaxation's ``p`` sites are not all fixed open: the free site
  the relaxation chose in closest to half of the node's subgradient steps (later steps
  weigh more; an estimate of the most fractional ``y_j`` of the column-generation
  master) is forced open in one child, searched first, and closed in the other;
* **pairs** once the ``p`` sites are fixed (a generalized assignment problem is left):
  a point the knapsacks serve twice or not at all, the heaviest, goes to its cheapest
  chosen site in one child and may not use that site in the other.

A node is cut off when its bound proves no plan in it beats the incumbent
(:func:`planner.optimize.scale.lagrangian.proof_cut`); sites are closed or forced by
the same reduced-cost test as at the root. Every node's site set is turned into a
plan by the caller's repair, and a knapsack solution that covers each point once is
a plan by itself. When the search stops early, the smallest bound of the nodes left
open is a bound on every better plan.

A node's subgradient steps run in one numba kernel on the node's site lists
(:mod:`planner.optimize.scale.cpmp_node_kernels`): knapsacks by branch and bound, only
those a carried lower bound cannot rule out. A node takes 0.3-0.5 ms on pmedcap20
(about 2 ms before), so the proof of pmedcap20 fits the benchmark's minute; the stop
callback is asked between nodes.

Decisions depend on counts only, so without a time limit the search is deterministic.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from planner.optimize.scale import cpmp_node_kernels as kern
from planner.optimize.scale.lagrangian import proof_cut

#: Subgradient steps at a child node (warm-started from its parent's multipliers).
CHILD_STEPS = 30
_STALL = 5
_MIN_THETA = 1e-3
_PLAN_EVERY = 10


class Incumbent(Protocol):
    """The caller's best plan: its cost and the two ways of offering a new one."""

    upper: float

    def evaluate(self, open_sites: np.ndarray) -> float:
        """Assign the points to ``open_sites`` (a repair) and keep the plan if better."""
        ...  # pragma: no cover - protocol

    def offer(self, open_sites: np.ndarray, asg: np.ndarray, total: float) -> None:
        """Keep a complete plan (sites, each point's site, cost) if it is better."""
        ...  # pragma: no cover - protocol


@dataclass(frozen=True)
class BnbOutcome:
    """What the search proved: ``complete`` means no better plan than the incumbent exists.

    ``bound`` is a lower bound on every plan better than the incumbent (``inf`` when
    the search completed); ``nodes`` counts the nodes bounded.
    """

    complete: bool
    bound: float
    nodes: int
    site_nodes: int
    steps: int


@dataclass
class _Node:
    cost: np.ndarray
    usable: np.ndarray
    forced: np.ndarray
    lam: np.ndarray
    steps: int
    parent_bound: float


class _Bounder:
    """The Lagrangian of one node, its subgradient ascent and the plans it suggests."""

    def __init__(
        self, load: np.ndarray, cap: np.ndarray, p: int, integral: bool, inc: Incumbent
    ) -> None:
        self.load = load
        self.cap = cap
        self.p = p
        self.integral = integral
        self.inc = inc
        self.rho = np.zeros(cap.size)
        self.seen: set[bytes] = set()
        self.steps = 0
        self.freq = np.zeros(cap.size)
        self.freq_n = 0.0

    def cut(self) -> float:
        return (
            proof_cut(self.inc.upper, self.integral) if math.isfinite(self.inc.upper) else math.inf
        )

    def plan(self, sel: np.ndarray) -> None:
        key = np.sort(sel).tobytes()
        if key not in self.seen:
            self.seen.add(key)
            self.inc.evaluate(np.sort(sel))

    def ascend(
        self, node: _Node, theta: float
    ) -> tuple[float, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]:
        """Best value, its multipliers, sites, knapsack solution (on those sites) and ``rho``.

        The steps run in one kernel (:func:`planner.optimize.scale.cpmp_node_kernels.ascent`)
        on the node's site lists; the site sets it picks are repaired afterwards.
        """
        n, m = node.cost.shape
        p = self.p
        ptr, pts, cst = kern.site_lists(node.cost)
        best_lam = np.empty(n)
        best_take = np.zeros((n, p))
        best_rho = np.empty(m)
        best_sel = np.zeros(p, dtype=np.int64)
        plans = np.empty((node.steps // _PLAN_EVERY + 2, p), dtype=np.int64)
        status, best, done, n_plans, self.freq_n = kern.ascent(
            node.cost, ptr, pts, cst, node.lam, self.load, self.cap, node.usable, node.forced, p,
            node.steps, theta, self.cut(), self.inc.upper, _PLAN_EVERY, _STALL, _MIN_THETA,
            best_lam, best_take, best_rho, best_sel, self.freq, plans,
        )  # fmt: skip
        self.steps += int(done)
        if status == 1:
            return math.inf, node.lam, None, best_take, self.rho
        for q in range(int(n_plans)):
            self.plan(plans[q])
        if status == 2:
            # the knapsacks serve every point once: a plan of cost ``best``
            self._offer_partition(best_sel, best_take, node.cost)
        if not math.isfinite(best):
            return best, node.lam, None, best_take, self.rho
        return float(best), best_lam, best_sel, best_take, best_rho

    def _offer_partition(self, sel: np.ndarray, take: np.ndarray, cost: np.ndarray) -> None:
        col = np.argmax(take > 0.5, axis=1)
        asg = sel[col]
        total = float(cost[np.arange(asg.size), asg].sum())
        if math.isfinite(total):
            self.inc.offer(np.sort(sel), asg, total)


def _fix_sites(node: _Node, value: float, sel: np.ndarray, rho: np.ndarray, cut: float) -> int:
    """Close and force sites by the root's reduced-cost test, in the node (copies on write)."""
    free_sel = sel[~node.forced[sel]]
    in_sel = np.zeros(rho.size, dtype=bool)
    in_sel[sel] = True
    rest = np.flatnonzero(node.usable & ~in_sel)
    if free_sel.size == 0 or rest.size == 0:
        return 0
    rho_last = float(rho[free_sel].max())
    rho_next = float(rho[rest].min())
    kill = rest[value - rho_last + rho[rest] >= cut]
    make = free_sel[value - rho[free_sel] + rho_next >= cut]
    if kill.size:
        node.usable = node.usable.copy()
        node.usable[kill] = False
        node.cost = node.cost.copy()
        node.cost[:, kill] = math.inf
    if make.size:
        node.forced = node.forced.copy()
        node.forced[make] = True
    return int(kill.size + make.size)


def _servable(node: _Node) -> bool:
    """Every point still has an allowed pair to a usable site."""
    return bool(np.isfinite(node.cost[:, node.usable]).any(axis=1).all())


def _only_forced(node: _Node) -> None:
    """All ``p`` sites fixed open: every other site closes (in place; the node owns its arrays)."""
    node.usable = node.forced.copy()
    node.cost = node.cost.copy()
    node.cost[:, ~node.usable] = math.inf


def branch_and_bound(
    cost: np.ndarray,
    usable: np.ndarray,
    forced: np.ndarray,
    load: np.ndarray,
    cap: np.ndarray,
    p: int,
    *,
    integral: bool,
    lam: np.ndarray,
    incumbent: Incumbent,
    root_steps: int,
    stop: Callable[[], bool],
    max_nodes: int | None = None,
) -> BnbOutcome:
    """Search every plan better than ``incumbent`` (see the module docstring).

    Parameters
    ----------
    cost
        Weighted costs (n, m) with the root's fixings applied (``inf``: pair not allowed).
    usable, forced
        Sites still allowed, and sites fixed open (m,).
    load, cap
        Whole-number loads (n) and capacities (m): the knapsacks are solved exactly.
    p
        Number of sites to open.
    integral
        Costs are integers (a better plan costs at least 1 less).
    lam
        Starting multipliers (n), e.g. the root's best.
    incumbent
        Holds the best plan; updated as better ones turn up.
    root_steps
        Subgradient steps at the root.
    stop
        Called before each node; True stops the search (then ``complete`` is False).
    max_nodes
        Stop after bounding this many nodes (None: no limit), as if ``stop`` said so.
    """
    b = _Bounder(load, cap, p, integral, incumbent)
    stack = [_Node(cost.copy(), usable.copy(), forced.copy(), lam.copy(), root_steps, -math.inf)]
    nodes = site_nodes = 0
    while stack:
        if stop() or (max_nodes is not None and nodes >= max_nodes):
            cut = b.cut()
            left = [e.parent_bound for e in stack if e.parent_bound < cut]
            bound = min(left) if left else math.inf
            return BnbOutcome(False, bound, nodes, site_nodes, b.steps)
        node = stack.pop()
        if node.parent_bound >= b.cut():
            continue
        if not _servable(node):
            continue  # a point no allowed site can serve
        nodes += 1
        value, lam_n, sel, take, rho = b.ascend(node, 2.0 if nodes == 1 else 1.0)
        cut = b.cut()
        if sel is None or value >= cut:
            continue
        cover = take.sum(axis=1)
        if np.all(np.abs(cover - 1.0) <= 1e-9):
            continue  # a partition: offered as a plan, nothing below it
        node.lam = lam_n
        changed = _fix_sites(node, value, sel, rho, cut) > 0
        if int((node.forced & node.usable).sum()) == p and int(node.usable.sum()) > p:
            _only_forced(node)
            changed = True
        if changed and not _servable(node):
            continue  # the sites closed were the only ones left for some point
        free_sel = sel[~node.forced[sel]]
        if free_sel.size:
            site_nodes += 1
            # the free site chosen in closest to half the steps (later steps weigh more):
            # the most fractional site of the column-generation master, roughly
            share = b.freq / max(b.freq_n, 1.0)
            cand = np.flatnonzero(node.usable & ~node.forced & (share > 0))
            j = int(cand[np.argmin(np.abs(share[cand] - 0.5))])
            closed = _Node(node.cost.copy(), node.usable.copy(), node.forced, lam_n,
                           CHILD_STEPS, value)  # fmt: skip
            closed.usable[j] = False
            closed.cost[:, j] = math.inf
            opened = _Node(node.cost, node.usable, node.forced.copy(), lam_n, CHILD_STEPS, value)
            opened.forced[j] = True
            if int(opened.forced.sum()) == p:
                _only_forced(opened)
            stack.append(closed)
            stack.append(opened)
            continue
        if not np.array_equal(np.sort(sel), np.flatnonzero(node.usable)):
            # sites fixed away since the ascent: bound the node again
            stack.append(_Node(node.cost, node.usable, node.forced, lam_n, CHILD_STEPS, value))
            continue
        wrong = np.flatnonzero(np.abs(cover - 1.0) > 1e-9)
        i = int(wrong[np.argmax(load[wrong])])
        # served twice: its cheapest server; not served: its cheapest allowed site
        js = sel[take[i] > 0.5] if cover[i] > 1.0 else sel[np.isfinite(node.cost[i, sel])]
        j = int(js[np.argmin(node.cost[i, js])])
        away = _Node(node.cost.copy(), node.usable, node.forced, lam_n, CHILD_STEPS, value)
        away.cost[i, j] = math.inf
        there = _Node(node.cost.copy(), node.usable, node.forced, lam_n, CHILD_STEPS, value)
        keep = there.cost[i, j]
        there.cost[i, :] = math.inf
        there.cost[i, j] = keep
        stack.append(away)
        stack.append(there)
    return BnbOutcome(True, math.inf, nodes, site_nodes, b.steps)
