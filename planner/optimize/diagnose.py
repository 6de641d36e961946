"""Why a model has no plan, in numbers and plain words.

A model found infeasible (before solving, by cheap counting, or by the solver) gets a
``diagnosis`` dict in ``Solution.details`` and a ``message`` a planner can act on:
which demand points no candidate can reach, the smallest radius that would reach them
all, the capacity shortfall, the largest share a percentile standard can reach, how
many sites the hotspot promises need.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner.optimize.models import Pairs
from planner.optimize.problem import Problem

_LIST_MAX = 50


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def unreachable_rows(pairs: Pairs, rows: np.ndarray) -> np.ndarray:
    """Listed demand rows with no allowed pair."""
    return rows[pairs.counts[rows] == 0]


def precheck(
    problem: Problem,
    *,
    model: str,
    p: int | None,
    radius: float | None,
    pairs_all: Pairs,
    pairs_service: Pairs,
    must_serve: np.ndarray,
    hotspot_rows: np.ndarray | None,
    hotspot_max_cost: np.ndarray | None,
    standards: tuple[tuple[float, float], ...],
    budget: float | None,
    capacitated: bool,
    single_source: bool = False,
) -> dict[str, Any] | None:
    """Counting checks that prove infeasibility without a solver; None when none fires.

    ``pairs_all`` are the allowed pairs without any radius cut, ``pairs_service`` the
    pairs a demand point may be served (or, for ``lscp``, covered) through.
    """
    diag: dict[str, Any] = {}
    messages: list[str] = []
    w = problem.weight
    rows = np.flatnonzero(must_serve)
    if model != "mclp":
        bad = unreachable_rows(pairs_service, rows)
        if bad.size:
            row_min = pairs_all.row_min()
            diag["unreachable_demand"] = bad[:_LIST_MAX].tolist()
            diag["n_unreachable_demand"] = int(bad.size)
            diag["unreachable_weight"] = float(w[bad].sum())
            never = bad[~np.isfinite(row_min[bad])]
            if never.size:
                diag["no_candidate_at_all"] = never[:_LIST_MAX].tolist()
                messages.append(
                    f"{bad.size} demand point(s) (e.g. {bad[:5].tolist()}) have no candidate site "
                    "that can serve them at all; add candidates near them or drop them"
                )
            elif radius is not None:
                need = float(row_min[rows].max())
                diag["min_feasible_radius"] = need
                messages.append(
                    f"{bad.size} demand point(s) (e.g. {bad[:5].tolist()}) have no candidate site within "
                    f"radius {_fmt(radius)}; the smallest radius that reaches every demand point is {_fmt(need)}"
                )
    if hotspot_rows is not None and hotspot_max_cost is not None and hotspot_rows.size:
        row_min = pairs_all.row_min()
        bad = hotspot_rows[row_min[hotspot_rows] > hotspot_max_cost]
        if bad.size:
            diag["unreachable_hotspots"] = bad[:_LIST_MAX].tolist()
            diag["n_unreachable_hotspots"] = int(bad.size)
            messages.append(
                f"{bad.size} hotspot(s) (e.g. {bad[:5].tolist()}) have no candidate site within their "
                "response limit; add candidates near them or relax the limit"
            )
    if standards:
        row_min = pairs_all.row_min()
        total_weight = float(w.sum())
        reach = []
        for d, share in standards:
            best = float(w[row_min <= d].sum()) / total_weight if total_weight > 0 else 1.0
            reach.append({"cost": float(d), "required_share": float(share), "max_share": best})
            if best < share - 1e-12:
                messages.append(
                    f"even with every site open only {100 * best:.2f} % of demand weight is within "
                    f"{_fmt(d)}, below the standard's {100 * share:.2f} %"
                )
        if any(r["max_share"] < r["required_share"] - 1e-12 for r in reach):
            diag["standards"] = reach
    if capacitated and problem.capacity is not None:
        load = problem.demand_load
        total = float(load[must_serve].sum())
        cap = problem.capacity[pairs_all.sites]
        if p is not None:
            req = problem.required[pairs_all.sites]
            others = np.sort(cap[~req])[::-1]
            best_cap = float(cap[req].sum() + others[: max(p - int(req.sum()), 0)].sum())
        else:
            best_cap = float(cap.sum())
        if total > best_cap * (1 + 1e-12):
            diag["capacity_shortfall"] = total - best_cap
            diag["total_load"] = total
            diag["max_capacity"] = best_cap
            messages.append(
                f"demand load {_fmt(total)} exceeds the largest capacity the allowed sites can offer "
                f"({_fmt(best_cap)}{'' if p is None else f' with p = {p}'}): short by {_fmt(total - best_cap)}"
            )
    if capacitated and single_source and problem.capacity is not None:
        load = problem.demand_load
        cap_pair = problem.capacity[pairs_service.sites][pairs_service.cols]
        row_cap = np.zeros(problem.n_demand)
        np.maximum.at(row_cap, pairs_service.rows, cap_pair)
        big = rows[(load[rows] > row_cap[rows] * (1 + 1e-12)) & (pairs_service.counts[rows] > 0)]
        if big.size:
            diag["oversized_demand"] = big[:_LIST_MAX].tolist()
            diag["n_oversized_demand"] = int(big.size)
            messages.append(
                f"{big.size} demand point(s) (e.g. {big[:5].tolist()}, load {_fmt(float(load[big[0]]))}) "
                "need more than the capacity of any site that can serve them; allow split "
                "assignment (split=True) or raise capacities"
            )
    if budget is not None and problem.opening_cost is not None:
        req = problem.required & ~problem.existing
        need = float(problem.opening_cost[req].sum())
        if need > budget * (1 + 1e-12):
            diag["budget_shortfall"] = need - budget
            messages.append(
                f"the required new sites alone cost {_fmt(need)} to open, above the budget {_fmt(budget)}"
            )
    if not messages:
        return None
    diag["message"] = "; ".join(messages) + "."
    return diag


def solver_infeasible(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Diagnosis when each constraint alone can be met but not all together."""
    diag: dict[str, Any] = {"cause": "combination"}
    msg = (
        "no plan meets all the constraints together, although each can be met on its own "
        "(p, capacities, budget, required sites, hotspot limits and standards conflict)"
    )
    if extra:
        diag.update(extra)
        if "min_sites_for_hotspots" in extra:
            msg += (
                f"; the hotspot response limits alone need at least {extra['min_sites_for_hotspots']} "
                "open sites"
            )
    diag["message"] = msg + "."
    return diag
