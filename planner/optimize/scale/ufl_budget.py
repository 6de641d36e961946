"""The relaxed sites of facility location, with an opening budget (private).

Facility location with a budget adds one knapsack row to the model of
:mod:`planner.optimize.scale.ufl`: the opening costs ``b_j`` of the new sites that open
sum to at most ``B`` (existing sites have ``b_j = 0``). The Lagrangian bound relaxes it
beside the assignment rows, with a multiplier ``mu >= 0``:

    L(lam, mu) = sum_i lam_i + sum_{j in S} (g_j + mu b_j) - mu B,
    g_j        = fc_j + sum_i min(0, w_i c_ij - lam_i),

``S`` the relaxed problem's open sites (the required ones, then by ``g_j + mu b_j``
as in the model without a budget). ``L`` is a lower bound for every ``lam`` and every
``mu >= 0`` (a plan within the budget has ``mu (b(x) - B) <= 0``), and for a fixed
``lam`` it is concave and piecewise linear in ``mu``: :func:`best_multiplier` finds its
maximum (exactly from the sorted break points without a count limit, by bisection on
the supergradient ``b(S) - B`` with one). The bound's subgradient steps on ``lam`` then
climb ``max_mu L(lam, mu)``, itself concave in ``lam``, with the subgradient of the
assignment rows at the best ``mu``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["BudgetRow", "best_multiplier", "select_sites"]

#: Bisection steps on ``mu`` when a count limit (``p`` or ``max_sites``) applies.
BISECTION_STEPS = 40


@dataclass(frozen=True, eq=False)
class BudgetRow:
    """``sum(bcost[open]) <= limit``: the opening cost of each (local) site that counts
    against the budget (0 for existing sites) and the budget, in the opening costs' unit.

    ``forced`` (the sites that must open) gives :attr:`never`: the sites dearer than what
    the budget leaves beside them, which no plan opens (the search's moves never fit them
    in; the relaxation leaves them out, a valid tightening)."""

    bcost: np.ndarray
    limit: float
    forced: np.ndarray | None = None

    @property
    def never(self) -> np.ndarray:
        """Sites that cannot open within the budget."""
        forced = np.zeros(self.bcost.size, dtype=bool) if self.forced is None else self.forced
        room = self.tolerance - float(self.bcost[forced].sum())
        return (self.bcost > room) & ~forced

    @property
    def tolerance(self) -> float:
        """The limit with a rounding margin (what a plan may use)."""
        return float(self.limit + 1e-9 * max(abs(self.limit), 1.0))


def select_sites(g: np.ndarray, forced: np.ndarray, p: int | None, most: int | None) -> np.ndarray:
    """The relaxed problem's open sites: forced ones, then by reduced cost ``g`` (the
    ``p`` smallest with ``p``; otherwise the negative ones, at most ``most`` in all)."""
    sel = forced.copy()
    free = np.flatnonzero(~forced)
    order = free[np.argsort(g[free], kind="stable")]
    n_forced = int(forced.sum())
    if p is not None:
        sel[order[: max(p - n_forced, 0)]] = True
        return sel
    neg = order[g[order] < 0.0]
    if most is not None:
        neg = neg[: max(most - n_forced, 0)]
    sel[neg] = True
    return sel


def _value(
    g: np.ndarray, row: BudgetRow, mu: float, forced: np.ndarray, p: int | None, most: int | None
) -> tuple[float, np.ndarray]:
    """``sum_{S(mu)} (g + mu b) - mu B`` and ``S(mu)``."""
    h = g + mu * row.bcost
    sel = select_sites(h, forced, p, most)
    return float(h[sel].sum() - mu * row.limit), sel


def best_multiplier(
    g: np.ndarray, row: BudgetRow, forced: np.ndarray, p: int | None, most: int | None
) -> tuple[float, float, np.ndarray]:
    """The best budget multiplier for fixed site values ``g``: ``(value, mu, S)`` with
    ``value = max_{mu >= 0} sum_{S(mu)} (g + mu b) - mu B`` (add ``sum(lam)`` for ``L``).

    Every returned value is the relaxation's value at the returned ``mu``, so a bound
    built from it is valid even where the maximum is only approached (count limits).
    """
    b = row.bcost
    never = row.never
    if never.any():
        g = np.where(never, np.inf, g)
    if p is None and most is None:
        # S(mu) = forced + free sites with g + mu b < 0. The slope in mu is
        # b(forced) - B + sum of b over the free sites with b > 0 still in S: it falls
        # by b_j where mu passes t_j = -g_j / b_j. The maximum is at the first break
        # point (from mu = 0 upwards) where the slope turns <= 0.
        free = ~forced
        used0 = float(b[forced].sum() + b[free & (b > 0) & (g < 0)].sum())
        if used0 <= row.limit:
            value, sel = _value(g, row, 0.0, forced, p, most)
            return value, 0.0, sel
        cand = np.flatnonzero(free & (b > 0) & (g < 0))
        t = -g[cand] / b[cand]
        order = np.argsort(-t, kind="stable")
        room = row.limit - float(b[forced].sum())
        fits = np.cumsum(b[cand][order]) <= room
        k = int(fits.sum()) if fits.all() else int(np.argmin(fits))
        mu = float(t[order][min(k, t.size - 1)])
        value, sel = _value(g, row, mu, forced, p, most)
        return value, mu, sel
    # With a count limit: bisection on the sign of the supergradient b(S(mu)) - B,
    # keeping the best value met.
    best = _value(g, row, 0.0, forced, p, most)
    best_mu = 0.0
    if float(b[best[1]].sum()) <= row.limit:
        return best[0], 0.0, best[1]
    pos = b[(b > 0) & ~never]
    finite = g[np.isfinite(g)]
    spread = float(np.ptp(finite)) if finite.size else 0.0
    lo, hi = 0.0, (spread + 1.0) / float(pos.min()) * 2.0 if pos.size else 0.0
    for _ in range(BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        value, sel = _value(g, row, mid, forced, p, most)
        if value > best[0]:
            best, best_mu = (value, sel), mid
        if float(b[sel].sum()) > row.limit:
            lo = mid
        else:
            hi = mid
    value, sel = _value(g, row, hi, forced, p, most)
    if value > best[0]:
        best, best_mu = (value, sel), hi
    return best[0], best_mu, best[1]
