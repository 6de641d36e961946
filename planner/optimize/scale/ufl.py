"""Uncapacitated facility location at scale: a plan and a certified bound (private).

The model of ``docs/models.md`` without capacities: open sites ``x_j`` at a cost
``fc_j`` (the opening cost of a new site, the closing saving of an existing one),
every demand point served by its nearest open site, optionally exactly ``p`` or at
most ``max_sites`` open. Steps (see ``docs/scale.md``, "Facility location"):

1. **Dual ascent** (Erlenkotter 1978) gives multipliers ``lam`` of the assignment rows;
   the sites whose reduced cost is negative at ``lam`` are a first plan.
2. **Add / drop / swap search** from that plan (and from the existing halls), best
   improvement with incremental profit terms (:mod:`planner.optimize.scale.ufl_kernels`),
   then seeded perturbation restarts (a fixed number: the run is reproducible).
3. **Lagrangian bound**: subgradient steps from the ascent's multipliers towards the
   incumbent; every site's subproblem is closed-form, so each ``lam`` gives a valid
   lower bound. The relaxed solutions are searched from as further starts.

Every plan is scored with exact costs; the bound charges unlisted sites the cost of
the first site left out of a list, a relaxation, so it stays valid on cut lists.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize.problem import Problem
from planner.optimize.scale.data import Neighbours
from planner.optimize.scale.lagrangian import certified_bound, is_proven, within_target
from planner.optimize.scale.ufl_budget import BudgetRow, best_multiplier, select_sites
from planner.optimize.scale.ufl_lists import BoundLists, prefix_lists, reach_lists
from planner.optimize.timing import due, load_factor, stop_requested

#: Subgradient steps at most: this plus one per :data:`POINTS_PER_STEP` points, up to
#: :data:`MAX_STEPS_CAP` (a work limit: the same input gives the same bound).
MAX_STEPS = 600
POINTS_PER_STEP = 25
MAX_STEPS_CAP = 3000
#: First step size factor of the subgradient (Polyak steps towards the incumbent).
THETA_START = 1.0
#: Halve the step after this many steps without a better bound.
STALL_STEPS = 40
#: Dual-ascent passes over the points at most, and per call of the kernel.
ASCENT_PASSES = 200
ASCENT_CHUNK = 10
#: Share of the time limit the dual ascent may use at most.
ASCENT_SHARE = 0.2
#: The bound's lists (:func:`~planner.optimize.scale.ufl_lists.reach_lists`) hold every
#: site within this factor times the plan's second-nearest open site of each point.
REACH_FACTOR = 1.2
#: The reach lists are built (not interruptible: a KD-tree query per point) only while
#: this share of the time limit is left; otherwise the bound keeps the search's lists.
REACH_MIN_LEFT = 0.3
#: Seconds the first descent may run at least, past the time limit if need be.
FIRST_DESCENT_S = 0.3
#: Share of the time left after the dual ascent for the search (the rest: the bound).
SEARCH_SHARE = 0.4
#: Every this many subgradient steps, search from the relaxed solution when it is new.
SEARCH_EVERY = 25
#: Largest ``extra`` table (slots x sites) the search may hold; beyond it adds stop.
MAX_EXTRA_CELLS = 60_000_000


@dataclass(frozen=True)
class UflOutcome:
    """A plan on local indices, its exact objective (without the constant) and a bound."""

    open_local: np.ndarray
    objective: float
    bound: float | None
    proven: bool
    details: dict[str, Any] = field(default_factory=dict)


class UflSearch:
    """Add / drop / swap search state for one neighbour list (see the kernels); with a
    budget every move keeps the plan within it."""

    _STATE = ("is_open", "olist", "oidx", "slot_of", "free_slots", "a1", "d1", "a2", "d2",
              "off", "gain", "loss", "extra", "pinned")  # fmt: skip

    def __init__(
        self, data: Neighbours, fc: np.ndarray, *, p: int | None, max_sites: int | None,
        budget: BudgetRow | None = None,
    ) -> None:  # fmt: skip
        n, m = data.n, data.n_sites
        self.data = data
        self.fc = fc
        self.bcost = np.zeros(m) if budget is None else budget.bcost
        self.limit = np.inf if budget is None else budget.tolerance
        self.p = p
        self.most = p if p is not None else (max_sites if max_sites is not None else m)
        self.is_open = np.zeros(m, dtype=bool)
        self.olist = np.zeros(m, dtype=np.int64)
        self.oidx = np.full(m, -1, dtype=np.int64)
        self.slot_of = np.full(m, -1, dtype=np.int64)
        self.a1 = np.empty(n, dtype=np.int64)
        self.d1 = np.empty(n)
        self.a2 = np.empty(n, dtype=np.int64)
        self.d2 = np.empty(n)
        self.off = np.zeros(n, dtype=bool)
        self.gain = np.empty(m)
        self.loss = np.empty(m)
        self.pinned = np.zeros(m, dtype=np.int64)
        self.stamp = np.zeros(n, dtype=np.int64)
        self.mark = np.zeros(1, dtype=np.int64)
        self.affected = np.empty(n, dtype=np.int64)
        self.args = data.oracle_args()
        self.n_open = 0
        self.service = np.inf
        self._slots(16)

    def _slots(self, k: int) -> None:
        k = int(min(max(k, 1), self.data.n_sites))
        self.extra = np.zeros((k, self.data.n_sites))
        self.free_slots = np.zeros(k + 1, dtype=np.int64)

    @property
    def objective(self) -> float:
        return float(self.service + self.fc[self.is_open].sum())

    def load(self, mask: np.ndarray) -> float:
        """Make ``mask`` the current plan; returns its objective."""
        from planner.optimize.scale import ufl_kernels as uk

        count = int(mask.sum())
        if count > self.extra.shape[0]:
            self._slots(max(2 * count, 16))
        d = self.data
        np.copyto(self.is_open, mask)
        service, n_open = uk.ufl_init(  # type: ignore[call-arg]
            d.indptr, d.site, d.cost, d.far, d.w, self.is_open, self.olist, self.oidx,
            self.slot_of, self.free_slots, *self.args, self.a1, self.d1, self.a2, self.d2,
            self.off, self.gain, self.loss, self.extra, self.pinned,
        )  # fmt: skip
        self.service, self.n_open = float(service), int(n_open)
        return self.objective

    def move(self, f_out: int, j_in: int) -> None:
        from planner.optimize.scale import ufl_kernels as uk

        d = self.data
        t_indptr, t_row, t_pos = d.transposed
        delta, n_open = uk.ufl_move(  # type: ignore[call-arg]
            f_out, j_in, self.n_open, d.indptr, d.site, d.cost, d.far, d.w, self.is_open,
            self.olist, self.oidx, self.slot_of, self.free_slots, t_indptr, t_row, t_pos,
            *self.args, self.a1, self.d1, self.a2, self.d2, self.off, self.gain, self.loss,
            self.extra, self.pinned, self.stamp, self.mark, self.affected,
        )  # fmt: skip
        self.service += float(delta)
        self.n_open = int(n_open)

    def _room_to_add(self) -> bool:
        """A free slot for one more open site (grows the table while it may)."""
        if self.n_open >= self.most:
            return False
        if self.n_open < self.extra.shape[0]:
            return True
        k = min(2 * self.extra.shape[0], self.data.n_sites)
        if k * self.data.n_sites > MAX_EXTRA_CELLS or k <= self.n_open:
            return False
        mask = self.is_open.copy()
        self._slots(k)
        self.load(mask)
        return True

    def descend(self, deadline: float, max_moves: int = 1_000_000) -> int:
        """Best-improvement add / drop / swap moves to a local optimum; returns moves made."""
        from planner.optimize.scale import kernels as kern
        from planner.optimize.scale import ufl_kernels as uk

        moves = 0
        fixed_count = self.p is not None
        while moves < max_moves and not due(deadline):
            can_add = not fixed_count and self._room_to_add()
            profit, f_out, j_in = uk.ufl_best_move(
                self.is_open, self.data.forced, self.olist, self.n_open, self.slot_of, self.fc,
                self.gain, self.loss, self.extra, self.pinned,
                can_add, not fixed_count, True, self.bcost, self.limit - self.used,
            )  # fmt: skip
            if (f_out < 0 and j_in < 0) or profit <= 1e-12 * max(abs(self.objective), 1.0):
                if self.p == 1 and self.n_open == 1 and self._swap_alone():
                    moves += 1
                    continue
                break
            self.move(int(f_out), int(j_in))
            moves += 1
        self.service = float(kern.weighted_sum(self.data.w, self.d1))
        return moves

    @property
    def fits(self) -> bool:
        """The plan is within the budget (always True without one)."""
        return self.used <= self.limit

    def _replace_pinned(self) -> bool:
        """Over the budget with only pinned sites to give up (a site some point has as
        its only open one): open the cheaper closed site that saves most service, then
        close the dearest pinned one. False when no closed site is cheaper."""
        open_sites = self.olist[: self.n_open]
        free = open_sites[~self.data.forced[open_sites] & (self.bcost[open_sites] > 0)]
        if free.size == 0 or self.n_open >= self.extra.shape[0]:
            return False
        f = int(free[int(np.argmax(self.bcost[free]))])
        room = self.limit - self.used + self.bcost[f]
        cheaper = np.flatnonzero(~self.is_open & (self.bcost <= room))
        if cheaper.size == 0:
            return False
        self.move(-1, int(cheaper[int(np.argmax(self.gain[cheaper] - self.fc[cheaper]))]))
        self.move(f, -1)
        return True

    def _swap_alone(self, tries: int = 8) -> bool:
        """``p = 1``: the kernel's swap terms need a second open site (a lone site's loss
        is infinite), so the closed sites that gain most are tried as an add then a drop,
        scored exactly; True when one lowered the objective (and stays)."""
        f = int(self.olist[0])
        if self.data.forced[f]:
            return False
        before = self.objective
        room = self.limit - self.used + self.bcost[f]
        value = np.where(~self.is_open & (self.bcost <= room), self.gain - self.fc, -np.inf)
        for j in np.argsort(-value, kind="stable")[:tries]:
            if not np.isfinite(value[j]):
                break
            self.move(-1, int(j))
            self.move(f, -1)
            if self.objective < before - 1e-12 * max(abs(before), 1.0):
                return True
            self.move(-1, f)
            self.move(int(j), -1)
        return False

    def trim(self) -> None:
        """Drop the sites whose closing costs least until at most ``most`` are open."""
        while self.n_open > self.most:
            open_sites = self.olist[: self.n_open]
            ok = ~self.data.forced[open_sites] & (self.pinned[open_sites] == 0)
            if not ok.any():
                return
            value = np.where(ok, self.fc[open_sites] - self.loss[open_sites], -np.inf)
            self.move(int(open_sites[int(np.argmax(value))]), -1)

    @property
    def used(self) -> float:
        """Opening cost of the open sites that counts against the budget."""
        return float(self.bcost[self.is_open].sum()) if np.isfinite(self.limit) else 0.0

    def repair(self) -> None:
        """Bring the plan within the budget: drop the site whose closing costs least per
        unit of budget it frees; with ``p`` (the count fixed) swap the dearest open site
        for the cheaper closed one that saves most service instead."""
        while self.used > self.limit:
            open_sites = self.olist[: self.n_open]
            b = self.bcost[open_sites]
            ok = ~self.data.forced[open_sites] & (self.pinned[open_sites] == 0) & (b > 0)
            if not ok.any():
                if not self._replace_pinned():
                    return
                continue
            if self.p is None:
                value = (self.fc[open_sites] - self.loss[open_sites]) / np.where(ok, b, 1.0)
                self.move(int(open_sites[int(np.argmax(np.where(ok, value, -np.inf)))]), -1)
                continue
            f = int(open_sites[int(np.argmax(np.where(ok, b, -np.inf)))])
            cheaper = np.flatnonzero(~self.is_open & (self.bcost < self.bcost[f]))
            if cheaper.size == 0:
                return
            j = int(cheaper[int(np.argmax(self.gain[cheaper] - self.fc[cheaper]))])
            self.move(f, j)

    def snapshot(self) -> dict[str, Any]:
        snap: dict[str, Any] = {k: getattr(self, k).copy() for k in self._STATE}
        snap["n_open"], snap["service"] = self.n_open, self.service
        return snap

    def restore(self, snap: dict[str, Any]) -> None:
        for k in self._STATE:
            if getattr(self, k).shape != snap[k].shape:
                setattr(self, k, snap[k].copy())
            else:
                np.copyto(getattr(self, k), snap[k])
        self.n_open, self.service = snap["n_open"], snap["service"]


def site_costs(fc: np.ndarray, forced: np.ndarray) -> np.ndarray:
    """Each site's slack for the dual ascent: its keeping cost, 0 when open anyway."""
    return np.where(forced | (fc <= 0.0), 0.0, fc)


def lagrangian(
    data: BoundLists, fc: np.ndarray, lam: np.ndarray, p: int | None, most: int | None,
    rho: np.ndarray, budget: BudgetRow | None = None,
) -> tuple[float, np.ndarray, float]:  # fmt: skip
    """``L(lam)`` of the relaxed assignment rows (and budget row: at its best multiplier
    ``mu``), the relaxed solution's open sites and ``mu`` (0 without a budget)."""
    from planner.optimize.scale import ufl_kernels as uk

    uk.reduced_costs(data.indptr, data.site, data.cost, data.far, data.w, lam, rho)
    g = fc + rho
    if budget is not None:
        value, mu, sel = best_multiplier(g, budget, data.forced, p, most)
        return float(lam.sum() + value), sel, mu
    sel = select_sites(g, data.forced, p, most)
    return float(lam.sum() + g[sel].sum()), sel, 0.0


def _short_of_time(t0: float, end: float, share: float) -> bool:
    """Less than ``share`` of the time limit is left (False without a limit)."""
    return bool(np.isfinite(end) and end - time.perf_counter() < share * (end - t0))


def serve_all(search: UflSearch) -> None:
    """Open the cheapest listed site of every point that no open site can serve (lists
    of sparse costs are complete: such a point has no open site at all)."""
    data = search.data
    for _ in range(data.n_sites):
        bad = np.flatnonzero(~np.isfinite(search.d1) & (np.diff(data.indptr) > 0))
        if bad.size == 0:
            return
        mask = search.is_open.copy()
        mask[np.unique(data.site[data.indptr[bad]])] = True
        search.load(mask)


def solve_ufl(
    data: Neighbours,
    fc: np.ndarray,
    *,
    p: int | None = None,
    max_sites: int | None = None,
    start: np.ndarray | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    bound: bool = True,
    restarts: int | None = None,
    integral: bool = False,
    constant: float = 0.0,
    budget: BudgetRow | None = None,
) -> UflOutcome:
    """Plan and Lagrangian bound of an uncapacitated facility location on ``data``.

    Parameters
    ----------
    data
        Neighbour lists (zero-weight points and excluded sites already left out);
        ``data.forced`` marks the sites that must open.
    fc
        Cost of keeping each local site open (objective unit: weight x cost).
    p, max_sites
        Exactly ``p`` open, or at most ``max_sites`` (neither: the costs decide).
    start
        Extra open mask to search from (e.g. today's halls).
    time_limit
        Seconds (a backstop: every stage also stops at its work limit).
    seed
        Seed of the perturbation restarts.
    bound
        Compute the Lagrangian bound (else only the plan).
    restarts
        Perturbation restarts after the first local optimum (default from the size).
    integral, constant
        Whether every plan's total (``objective + constant``) is a whole number, and
        the constant added to the objective and the bound for the proof test.
    budget
        At most ``budget.limit`` of opening cost ``budget.bcost`` (local sites): every
        plan searched stays within it; the bound relaxes it too (``docs/scale.md``).
    """
    from planner.optimize.scale import ufl_kernels as uk

    t0 = time.perf_counter()
    end = np.inf if time_limit is None else t0 + float(time_limit)
    rng = np.random.default_rng(seed)
    n, m = data.n, data.n_sites
    most = p if p is not None else max_sites
    details: dict[str, Any] = {"neighbours_per_point": int(np.max(np.diff(data.indptr))) if n else 0,
                               "lists_complete": data.complete}  # fmt: skip
    # 1. dual ascent: multipliers and a first plan (with a budget, a second ascent at
    # the multiplier mu the first one's relaxation finds: sites cost fc + mu b there)
    short = prefix_lists(data, np.diff(data.indptr))
    ascent_end = t0 + ASCENT_SHARE * (end - t0) if np.isfinite(end) else np.inf
    rho = np.empty(m)
    best_l, best_lam, sel, mu, passes = -np.inf, np.zeros(n), np.zeros(m, dtype=bool), 0.0, 0
    cut = False
    for pass_mu in (0.0, None) if budget is not None else (0.0,):
        if pass_mu is None:  # the second ascent, at the first one's mu
            if mu <= 0.0 or due(ascent_end):
                break
            pass_mu = mu
        keep = fc if budget is None else fc + pass_mu * budget.bcost
        lam, done, cut = _ascent(short, site_costs(keep, data.forced), ascent_end)
        passes += done
        value, sel_a, mu_a = lagrangian(short, fc, lam, p, most, rho, budget)
        if value > best_l:
            best_l, best_lam, sel, mu = value, lam, sel_a, mu_a
    details["ascent_passes"] = passes
    details["ascent_s"] = round(time.perf_counter() - t0, 3)
    # Half of what is left after the ascent (which includes loading the kernels) for
    # the search; the first descent runs to its local optimum unless the end comes.
    now = time.perf_counter()
    search_end = now + SEARCH_SHARE * (end - now) if np.isfinite(end) else np.inf
    details["ascent_bound"] = best_l + constant
    # 2. search from the relaxed plan and from the given start
    search = UflSearch(data, fc, p=p, max_sites=max_sites, budget=budget)
    starts = [sel]
    if start is not None:
        starts.append(start | data.forced)
    best_obj = np.inf
    best_mask = np.zeros(m, dtype=bool)
    moves = 0
    for k, s in enumerate(starts):
        # The first descent gets at least FIRST_DESCENT_S: under a short limit on a cold
        # process, loading the kernels can take the whole share, and the undescended
        # start is poor (22 % above the optimum on 2,000 x 200 against 0.6 %).
        first_end = max(end, time.perf_counter() + FIRST_DESCENT_S)
        moves += _settle(search, s, mu, first_end if k == 0 else search_end)
        if search.fits and search.objective < best_obj:
            best_obj, best_mask = search.objective, search.is_open.copy()
    cut |= due(search_end)
    # 3. perturbation restarts (iterated local search) around the best plan
    if restarts is None:
        work = data.cost.size / 20 + max(search.n_open, 1) * m
        restarts = int(np.clip(1e8 / max(work, 1.0), 4, 60))
    search.load(best_mask)
    state = search.snapshot()
    done = 0
    for _ in range(restarts):
        if due(search_end):
            cut = True
            break
        perturb(search, data, rng, p)
        search.repair()
        moves += search.descend(search_end)
        done += 1
        if search.fits and search.objective < best_obj - 1e-12 * max(abs(best_obj), 1.0):
            best_obj = search.objective
            state = search.snapshot()
        else:
            search.restore(state)
    best_mask = state["is_open"].copy()
    details["search_s"] = round(time.perf_counter() - t0, 3)
    if bound and not data.complete and not _short_of_time(t0, end, REACH_MIN_LEFT):
        # Lists for the bound that reach past each point's second-nearest open site (the
        # search's state is the best plan's: restored after every failed restart).
        d2 = np.where(np.isfinite(search.d2), search.d2, search.d1)
        # Listing them cannot be interrupted: at most half the time left (the steps get
        # the rest), else the search's lists stay (a valid, weaker bound).
        left = 0.5 * (end - time.perf_counter()) if np.isfinite(end) else None
        reached = reach_lists(data, REACH_FACTOR * d2, seconds=left, slowdown=load_factor())
        if reached is None:
            cut = True
            details["bound_lists"] = "search lists (time)"
        else:
            short = reached
            value, _, mu_r = lagrangian(short, fc, best_lam, p, most, rho, budget)
            if value > best_l:
                best_l, mu = value, mu_r
        details["bound_entries"] = int(short.site.size)
    details["restarts"] = done
    details["moves"] = moves
    if not bound:
        cut = cut and not stop_requested()
        return UflOutcome(np.flatnonzero(best_mask), best_obj, None, False,
                          {**details, "time_limit_reached": cut})  # fmt: skip
    # 4. subgradient from the ascent's multipliers
    lam = best_lam.copy()
    theta = THETA_START
    stall = 0
    steps = 0
    seen: set[bytes] = {sel.tobytes()}
    grad = np.empty(n)
    total = lambda v: v + constant  # noqa: E731
    max_steps = int(min(MAX_STEPS + n // POINTS_PER_STEP, MAX_STEPS_CAP))
    while steps < max_steps:
        if is_proven(total(best_obj), total(certified_bound(best_l, best_obj, False)), integral):
            break
        if due(end):
            cut = True
            break
        value, sel, mu_s = lagrangian(short, fc, lam, p, most, rho, budget)
        steps += 1
        if value > best_l + 1e-12 * max(abs(best_l), 1.0):
            best_l, best_lam, mu, stall = value, lam.copy(), mu_s, 0
        else:
            stall += 1
            if stall >= STALL_STEPS:
                theta *= 0.5
                stall = 0
                if theta < 1e-4:
                    break
        if steps % SEARCH_EVERY == 0:
            key = sel.tobytes()
            if key not in seen:
                seen.add(key)
                moves += _settle(search, sel, mu_s, end)
                if search.fits and search.objective < best_obj:
                    best_obj, best_mask = search.objective, search.is_open.copy()
        uk.subgradient(short.indptr, short.site, short.cost, short.far, short.w, lam, sel,
                       int(sel.sum()), grad)  # fmt: skip
        norm = float(grad @ grad)
        if norm == 0.0:
            best_l = max(best_l, value)
            break
        target = best_obj if np.isfinite(best_obj) else value + abs(value) * 0.1 + 1.0
        lam += theta * max(target - value, 1e-9 * max(abs(value), 1.0)) / norm * grad
        np.maximum(lam, 0.0, out=lam)
    raw = best_l + constant
    certified = certified_bound(raw, total(best_obj), integral) - constant
    proven = is_proven(total(best_obj), total(certified), integral)
    cut = cut and not proven and not stop_requested()  # a stop is not the time limit
    details.update(subgradient_steps=steps, moves=moves, time_limit_reached=cut,
                   seconds=round(time.perf_counter() - t0, 3))  # fmt: skip
    if budget is not None:
        details.update(budget_multiplier=mu, budget_used=float(budget.bcost[best_mask].sum()))
    if within_target(total(best_obj), total(certified), 0.0):
        proven = True
    return UflOutcome(np.flatnonzero(best_mask), best_obj, certified, proven, details)


def _ascent(
    short: BoundLists, slack: np.ndarray, ascent_end: float
) -> tuple[np.ndarray, int, bool]:
    """Erlenkotter's dual ascent from each point's cheapest weighted cost, with
    ``slack`` each site's cost of being open: ``(lam, passes, cut by the time)``."""
    from planner.optimize.scale import ufl_kernels as uk

    lam = (short.cost[short.indptr[:-1]] * short.w).copy() if short.w.size else np.zeros(0)
    passes = 0
    while passes < ASCENT_PASSES:
        # In chunks, so that the time limit is read between them.
        done = int(uk.dual_ascent(short.indptr, short.site, short.cost, short.far, short.w,
                                  slack, lam, ASCENT_CHUNK))  # fmt: skip
        passes += done
        if done < ASCENT_CHUNK:
            break
        if due(ascent_end):
            return lam, passes, True
    return lam, passes, False


def _settle(search: UflSearch, mask: np.ndarray, mu: float, deadline: float) -> int:
    """Load ``mask`` as a feasible plan (every point served, count and budget kept) and
    descend; with a budget multiplier ``mu > 0`` first on the costs ``fc + mu b`` (which
    weigh what a site takes of the budget), then on the true ones. Returns moves made."""
    search.load(start_mask(search.data, mask, search.p))
    serve_all(search)
    search.trim()
    search.repair()
    moves = 0
    if mu > 0.0:
        fc = search.fc
        search.fc = fc + mu * search.bcost
        moves += search.descend(deadline)
        search.fc = fc
    return moves + search.descend(deadline)


def start_mask(data: Neighbours, mask: np.ndarray, p: int | None) -> np.ndarray:
    """A start of the right size: padded by the p-median greedy when ``p`` asks for more,
    with the forced sites in; a start beyond ``max_sites`` is trimmed by the search."""
    from planner.optimize.scale.local_search import greedy

    mask = mask | data.forced
    if not mask.any():
        mask = greedy(data, max(int(data.forced.sum()), 1))
    if p is not None and int(mask.sum()) < p:
        mask = greedy(data, p, start=mask)
    return mask


def perturb(search: UflSearch, data: Neighbours, rng: np.random.Generator, p: int | None) -> None:
    """One to three random moves: a swap with a site near the closed one, an add or a drop."""
    t_indptr, t_row, _ = data.transposed
    free = ~data.forced
    for _k in range(int(rng.integers(1, 4))):
        open_free = np.flatnonzero(search.is_open & free & (search.pinned == 0))
        closed = np.flatnonzero(~search.is_open)
        kind = rng.random()
        if p is None and (kind < 0.25 or open_free.size == 0) and closed.size:
            if search._room_to_add():
                search.move(-1, int(closed[rng.integers(closed.size)]))
            continue
        if open_free.size == 0:
            return
        f_out = int(open_free[rng.integers(open_free.size)])
        if p is None and kind < 0.5 and search.n_open > 1:
            search.move(f_out, -1)
            continue
        j_in = -1
        if t_indptr[f_out + 1] > t_indptr[f_out]:
            i = int(t_row[rng.integers(t_indptr[f_out], t_indptr[f_out + 1])])
            lo, hi = int(data.indptr[i]), int(data.indptr[i + 1])
            cand = data.site[lo : min(hi, lo + 16)]
            cand = cand[~search.is_open[cand]]
            if cand.size:
                j_in = int(cand[rng.integers(cand.size)])
        if j_in < 0 and closed.size:
            j_in = int(closed[rng.integers(closed.size)])
        if j_in >= 0:
            search.move(f_out, j_in)


# --------------------------------------------------------------------------- problem level

#: A service radius on a dense cost is applied by keeping the pairs within it as a
#: sparse matrix, up to this many (demand x site) pairs.
RADIUS_DENSE_MAX_PAIRS = 50_000_000


def ufl_declines(
    problem: Problem, radius: float | None, *, counted: bool = False, budget: float | None = None
) -> str | None:
    """Why the scale method does not take this facility location, or None.

    ``counted``: ``p`` or ``max_sites`` is set. With a service radius or sparse costs a
    count limit or a ``budget`` can conflict with serving every point (the exact method
    diagnoses it), so those combinations are declined.
    """
    if problem.capacity is not None:
        return "the scale method does not cover capacitated facility_location"
    if counted and (radius is not None or problem.is_sparse):
        return "`p` or `max_sites` with a service radius or sparse costs is solved exactly"
    if budget is not None and (radius is not None or problem.is_sparse):
        return "a `budget` with a service radius or sparse costs is solved exactly"
    if not (problem.weight > 0).any():
        return "no demand point has weight"
    if radius is not None and (
        problem.is_points or problem.n_demand * problem.n_sites > RADIUS_DENSE_MAX_PAIRS
    ):
        return "a service radius on costs from coordinates is solved exactly"
    served = _served_problem(problem, radius)
    if served.is_sparse:
        csr = sp.csr_array(served.stored_cost()[:, np.flatnonzero(~served.excluded)])
        if ((np.diff(csr.indptr) == 0) & (served.weight > 0)).any():
            return "some demand point has no site within reach (diagnosed by the exact method)"
    return None


def _served_problem(problem: Problem, radius: float | None) -> Problem:
    """The problem with the pairs beyond ``radius`` left out (sparse: absent = not allowed)."""
    if radius is None:
        return problem
    cost = problem.stored_cost()
    if sp.issparse(cost):
        csr = sp.csr_array(cost, copy=True)
        keep = csr.data <= radius
        rows = np.repeat(np.arange(csr.shape[0]), np.diff(csr.indptr))[keep]
        cut = sp.csr_array((csr.data[keep], (rows, csr.indices[keep])), shape=csr.shape)
    else:
        dense = np.asarray(cost)
        rows, cols = np.nonzero(dense <= radius)
        cut = sp.csr_array((dense[rows, cols], (rows, cols)), shape=dense.shape)
    return Problem(cut, problem.weight, required=problem.required, excluded=problem.excluded)


def keeping_costs(problem: Problem) -> tuple[np.ndarray, float]:
    """Each site's cost of being open (opening cost; closing saving for an existing
    site) and the constant ``-sum(saving of every existing site)``."""
    f = problem.opening_cost if problem.opening_cost is not None else np.zeros(problem.n_sites)
    s = problem.closing_saving if problem.closing_saving is not None else np.zeros(problem.n_sites)
    return np.where(problem.existing, s, f), -float(s[problem.existing].sum())


def ufl_plan(
    problem: Problem,
    *,
    p: int | None = None,
    max_sites: int | None = None,
    radius: float | None = None,
    time_limit: float | None = None,
    seed: int = 0,
    bound: bool = True,
    neighbours: int | None = None,
    budget: float | None = None,
) -> tuple[np.ndarray, float, float | None, bool, dict[str, Any]]:
    """Plan (open site indices), total objective, certified bound (or None), proof and
    details of an uncapacitated facility location; :func:`ufl_declines` said yes (and,
    with a ``budget``, some plan fits it: ``diagnose.budget_findings`` found nothing).

    The objective is recomputed from ``problem`` (nearest open site within ``radius``);
    the bound is on the same total. ``budget`` limits the opening cost of the new sites.
    """
    from planner.optimize.check import nearest_open
    from planner.optimize.scale import data as scale_data

    t0 = time.perf_counter()
    served = _served_problem(problem, radius)
    b_all = np.where(problem.existing, 0.0, keeping_costs(problem)[0])
    guess = p if p is not None else (max_sites if max_sites is not None else 32)
    k = neighbours
    if k is None and problem.n_demand * problem.n_sites > scale_data.FULL_LIST_PAIRS:
        k = int(min(problem.n_sites, UFL_NEIGHBOURS))
    data = scale_data.from_problem(served, guess, neighbours=k)
    fc_all, constant = keeping_costs(problem)
    fc = np.ascontiguousarray(fc_all[data.site_index], dtype=np.float64)
    integral = bool(
        data.integral and np.all(fc == np.round(fc)) and float(constant) == round(constant)
    )
    start = np.ascontiguousarray(problem.existing[data.site_index])
    out = solve_ufl(
        data, fc, p=p, max_sites=max_sites, start=start if start.any() else None,
        time_limit=None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05),
        seed=seed, bound=bound, integral=integral, constant=constant,
        budget=None if budget is None else BudgetRow(b_all[data.site_index], float(budget), data.forced),
    )  # fmt: skip
    open_sites = np.sort(data.site_index[out.open_local])
    _, best = nearest_open(problem, open_sites, max_cost=radius)
    w = problem.weight
    pos = w > 0
    service = float(np.dot(w[pos], best[pos]))
    objective = service + float(fc_all[open_sites].sum()) + constant
    lb = None if out.bound is None else min(out.bound + constant, objective)
    proven = out.proven and lb is not None and is_proven(objective, lb, integral)
    return open_sites, objective, lb, proven, dict(out.details)


#: Sites kept per demand point when the lists are cut (facility location opens an
#: unknown number of sites: a fixed length, about 1.2 GB per million points).
UFL_NEIGHBOURS = 100
