"""Why a model has no plan, in numbers and plain words.

A model found infeasible (before solving, by cheap counting, or by the solver) gets a
``diagnosis`` dict in ``Solution.details`` and a ``message`` a planner can act on:
which demand points no candidate can reach, the smallest radius that would reach them
all, the capacity shortfall, the largest share a percentile standard can reach, how
many sites the service radius and hotspot response limits need.

Each cause is also a *finding*, ``{"code": ..., <numbers>}`` in
``diagnosis["findings"]``, so that :func:`explain` can say it again in Chinese or
English, with the planner's own demand-point names in place of row numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from planner.optimize.diagnosis_text import diagnosis_say as say
from planner.optimize.exact.formulations import Pairs
from planner.optimize.model_table import COVERAGE_MODELS
from planner.optimize.problem import Problem

_LIST_MAX = 50
#: Demand rows a finding keeps (all of them up to this many): what a map rings.
ROWS_MAX = 100_000
_EXAMPLES = 5
#: Seconds the "how many sites do the limits need?" set cover may take at most.
LIMITS_COVER_SECONDS = 5.0

#: Finding codes and what each one carries (besides ``code``).
FINDINGS: Mapping[str, tuple[str, ...]] = {
    "no_candidate": ("n", "rows", "weight"),
    "outside_radius": ("n", "rows", "weight", "radius", "min_radius"),
    "hotspots_out_of_reach": ("n", "rows"),
    "standard_unreachable": ("cost", "required_share", "max_share"),
    "standard_needs_sites": ("cost", "required_share", "max_share", "p", "need"),
    "capacity_short": ("load", "capacity", "shortfall", "p"),
    "capacity_packing": ("load", "capacity", "shortfall", "p"),
    "oversized_demand": ("n", "rows", "load"),
    "budget_short": ("cost", "budget"),
    "budget_below_cheapest": ("cost", "budget"),
    "too_few_sites": ("need", "p", "found", "limits", "radius"),
    "limits_unsettled": ("need", "p", "found", "limits", "radius"),
    "combination": (),
    "cutoff": (),
    "stopped": (),
    "stopped_by_user": (),
}


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def finding(code: str, **values: Any) -> dict[str, Any]:
    """One finding; ``rows`` (demand row numbers) keeps at most :data:`ROWS_MAX` of them."""
    if code not in FINDINGS:
        raise KeyError(f"unknown diagnosis finding {code!r}; known: {', '.join(FINDINGS)}")
    missing = set(FINDINGS[code]) - set(values)
    if missing:
        raise KeyError(f"finding {code!r} needs {', '.join(sorted(missing))}")
    out: dict[str, Any] = {"code": code, **values}
    if "rows" in out:
        out["rows"] = [int(r) for r in np.asarray(out["rows"]).ravel()[:ROWS_MAX]]
    return out


def no_candidate(problem: Problem, rows: np.ndarray) -> dict[str, Any]:
    """The finding for demand rows that no allowed site can serve at all."""
    rows = np.asarray(rows, dtype=np.int64)
    return finding("no_candidate", n=int(rows.size), rows=rows,
                   weight=float(problem.weight[rows].sum()))  # fmt: skip


def diagnosis(findings: Sequence[Mapping[str, Any]], **extra: Any) -> dict[str, Any]:
    """A diagnosis dict: the findings and ``extra`` numbers."""
    return {**extra, "findings": [dict(f) for f in findings]}


def no_plan_details(diag: dict[str, Any]) -> dict[str, Any]:
    """``Solution.details`` of a result without a plan: the diagnosis and its English
    ``message``."""
    return {"diagnosis": diag, "message": explain(diag["findings"], "en")}


def findings_of(details: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The diagnosis findings in a solution's ``details`` (the same dicts; empty when
    there are none)."""
    diag = (details or {}).get("diagnosis")
    found = diag.get("findings") if isinstance(diag, Mapping) else None
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def explain(
    findings: Sequence[Mapping[str, Any]],
    lang: str = "en",
    *,
    demand_names: Sequence[str] | None = None,
    cost_unit: str | None = None,
    settings: bool = False,
) -> str:
    """The findings in plain words, in ``lang`` (``"zh"`` or ``"en"``).

    Parameters
    ----------
    findings
        ``diagnosis["findings"]`` of an infeasible :class:`~planner.optimize.Solution`.
    lang
        ``"zh"`` or ``"en"``.
    demand_names
        Name of every demand row (e.g. the demand layer's ids); without them the
        examples are row numbers.
    cost_unit
        Unit of the costs, written after radii and limits (e.g. ``"min"``).
    settings
        Name the fixes as scenario settings (``model.capacity``, ...) for a scenario's run,
        instead of :func:`~planner.optimize.solve` arguments (``split=True``).
    """
    unit = f" {cost_unit}" if cost_unit else ""

    def examples(rows: Sequence[int]) -> str:
        shown = [
            str(demand_names[r]) if demand_names is not None else str(r)
            for r in list(rows)[:_EXAMPLES]
        ]
        key = "diag_examples_named" if demand_names is not None else "diag_examples_rows"
        return say(key, lang, items=("、" if lang == "zh" else ", ").join(shown))

    parts: list[str] = []
    for f in findings:
        code = str(f["code"])
        fields: dict[str, object] = {}
        for name, value in f.items():
            if name == "rows":
                fields["examples"] = examples(value)
            elif name in ("required_share", "max_share"):
                fields[name] = f"{100.0 * float(value):.2f}"
            elif name == "min_radius":  # rounded up: the radius given must reach every point
                fields[name] = f"{math.ceil(float(value) * 10 - 1e-9) / 10:g}"
            elif isinstance(value, float):
                fields[name] = _fmt(value)
            elif value is not None:
                fields[name] = value
        key = f"diag_{code}" if code in FINDINGS else "diag_other"
        fields.setdefault("code", code)
        if code == "capacity_short" and f.get("p") is not None:
            key = "diag_capacity_short_p"
        if code == "oversized_demand" and settings:
            key = "diag_oversized_demand_settings"
        if code in ("too_few_sites", "limits_unsettled"):
            what = str(f["limits"])
            fields["what"] = say(
                f"diag_limits_{what}", lang, radius=fields.get("radius", ""), unit=unit
            )
        parts.append(say(key, lang, unit=unit, **fields))
    if not parts:
        parts.append(say("diag_combination", lang))
    end = "。" if lang == "zh" else "."
    return ("；" if lang == "zh" else "; ").join(parts) + end


def unreachable_rows(pairs: Pairs, rows: np.ndarray) -> np.ndarray:
    """Listed demand rows with no allowed pair."""
    return rows[pairs.counts[rows] == 0]


def cheapest_cost(problem: Problem, rows: np.ndarray) -> np.ndarray:
    """Cheapest cost from each listed demand row to an allowed site (inf where none)."""
    sites = np.flatnonzero(~problem.excluded)
    out = np.full(rows.size, np.inf)
    if rows.size == 0 or sites.size == 0:
        return out
    cost = problem.stored_cost()
    if sp.issparse(cost):
        sub = sp.csr_array(cost[rows][:, sites])
        has = np.diff(sub.indptr) > 0
        if sub.data.size:
            out[has] = np.minimum.reduceat(sub.data, sub.indptr[:-1][has])
        return out
    return np.asarray(cost)[np.ix_(rows, sites)].min(axis=1)


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
    exact_p: int | None = None,
) -> dict[str, Any] | None:
    """Counting checks that prove infeasibility without a solver; None when none fires.

    ``p`` is the most sites a plan may open, ``exact_p`` the count when it is exact
    (facility location: ``p`` exact, ``max_sites`` at most; the budget check reads it).

    ``pairs_all`` are the allowed pairs without any radius cut, ``pairs_service`` the
    pairs a demand point may be served through (the single-source capacity check uses
    them). Points out of reach are named once: with no allowed site at all, beyond the
    radius, or (hotspots) beyond their response limit, and the radius where the model
    serves hotspots through it.
    """
    diag: dict[str, Any] = {}
    found: list[dict[str, Any]] = []
    w = problem.weight
    rows = np.flatnonzero(must_serve)
    row_min = pairs_all.row_min()
    reported = np.zeros(0, dtype=np.int64)
    if model != "mclp":
        pairs_r = (
            pairs_all if radius is None else pairs_all.within(np.full(problem.n_demand, radius))
        )
        bad = unreachable_rows(pairs_r, rows)
        if bad.size:
            reported = bad
            diag["unreachable_demand"] = bad[:_LIST_MAX].tolist()
            diag["n_unreachable_demand"] = int(bad.size)
            diag["unreachable_weight"] = float(w[bad].sum())
            never = bad[~np.isfinite(row_min[bad])]
            far = bad[np.isfinite(row_min[bad])]
            if never.size:
                diag["no_candidate_at_all"] = never[:_LIST_MAX].tolist()
                found.append(no_candidate(problem, never))
            if far.size and radius is not None:
                need = float(row_min[rows][np.isfinite(row_min[rows])].max())
                diag["min_feasible_radius"] = need
                found.append(finding("outside_radius", n=int(far.size), rows=far,
                                     weight=float(w[far].sum()), radius=float(radius),
                                     min_radius=need))  # fmt: skip
    if hotspot_rows is not None and hotspot_max_cost is not None and hotspot_rows.size:
        limit = np.asarray(hotspot_max_cost, dtype=np.float64)
        if radius is not None and model not in COVERAGE_MODELS:
            limit = np.minimum(limit, radius)  # hotspots are served within the radius too
        bad = hotspot_rows[row_min[hotspot_rows] > limit]
        bad = np.setdiff1d(bad, reported)  # a point out of reach is named once
        if bad.size:
            diag["unreachable_hotspots"] = bad[:_LIST_MAX].tolist()
            diag["n_unreachable_hotspots"] = int(bad.size)
            found.append(finding("hotspots_out_of_reach", n=int(bad.size), rows=bad))
    if standards:
        total_weight = float(w.sum())
        reach = []
        for d, share in standards:
            best = float(w[row_min <= d].sum()) / total_weight if total_weight > 0 else 1.0
            reach.append({"cost": float(d), "required_share": float(share), "max_share": best})
            if best < share - 1e-12:
                found.append(finding("standard_unreachable", cost=float(d),
                                     required_share=float(share), max_share=best))  # fmt: skip
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
            found.append(finding("capacity_short", load=total, capacity=best_cap,
                                 shortfall=total - best_cap, p=p))  # fmt: skip
    if capacitated and single_source and problem.capacity is not None:
        load = problem.demand_load
        cap_pair = problem.capacity[pairs_service.sites][pairs_service.cols]
        row_cap = np.zeros(problem.n_demand)
        np.maximum.at(row_cap, pairs_service.rows, cap_pair)
        big = rows[(load[rows] > row_cap[rows] * (1 + 1e-12)) & (pairs_service.counts[rows] > 0)]
        if big.size:
            diag["oversized_demand"] = big[:_LIST_MAX].tolist()
            diag["n_oversized_demand"] = int(big.size)
            found.append(finding("oversized_demand", n=int(big.size), rows=big,
                                 load=float(load[big[0]])))  # fmt: skip
    if budget is not None:
        for f in budget_findings(problem, budget, p=exact_p, sites=pairs_all.sites):
            diag["budget_shortfall"] = f["cost"] - budget
            found.append(f)
    if not found:
        return None
    return diagnosis(found, **diag)


def budget_findings(
    problem: Problem, budget: float, *, p: int | None, sites: np.ndarray
) -> list[dict[str, Any]]:
    """Why no plan of facility location fits ``budget`` (empty when one may).

    The budget limits the opening cost of the new (not existing) sites that open. The
    required new sites must fit (``budget_short``); beside them every plan opens at
    least one site (``p`` in all when ``p`` is exact) among the allowed ``sites``, the
    cheapest of which must fit too (``budget_below_cheapest``; an existing site costs
    nothing to keep).
    """
    if problem.opening_cost is None:
        return []
    b = np.where(problem.existing, 0.0, problem.opening_cost)
    req = problem.required
    need = float(b[req].sum())
    if need > budget * (1 + 1e-12):
        return [finding("budget_short", cost=need, budget=float(budget))]
    n_req = int(req.sum())
    free = np.asarray(sites, dtype=np.int64)
    free = free[~req[free]]
    more = max((p if p is not None else 1) - n_req, 0)
    if more == 0 or free.size < more:
        return []  # the count itself is checked elsewhere
    need += float(np.sort(b[free])[:more].sum())
    if need > budget * (1 + 1e-12):
        return [finding("budget_below_cheapest", cost=need, budget=float(budget))]
    return []


def sites_for_limits(
    problem: Problem,
    pairs_all: Pairs,
    rows: np.ndarray,
    limits: np.ndarray,
    *,
    time_limit: float,
) -> tuple[int, int]:
    """How many open sites the per-row cost limits need: ``(proven minimum, cover found)``.

    Every listed demand row needs an open site among its allowed pairs with cost at most
    ``limits[row]`` (inf: any pair); required sites count as open. Solved as a set
    cover (reduced, then the MILP) for at most ``time_limit`` seconds; the first number
    is a proven lower bound, equal to the second when the cover is proven smallest.
    Rows with no such pair at all cannot be covered by any plan (:func:`precheck`
    reports them) and are left out here.
    """
    from planner.optimize.scale.cover_search import rows_to_csr
    from planner.optimize.scale.set_cover import Coverage, min_cover, reduced_rows

    within = pairs_all.within(limits)
    rows = rows[within.counts[rows] > 0]
    forced = np.ascontiguousarray(problem.required[pairs_all.sites])
    n_forced = int(forced.sum())
    if rows.size == 0:
        return n_forced, n_forced
    listed = np.zeros(problem.n_demand, dtype=bool)
    listed[rows] = True
    sub = within.keep(listed[within.rows])
    local = np.cumsum(listed) - 1  # demand row -> its place among the listed rows
    indptr, col = rows_to_csr(local[sub.rows], sub.cols.astype(np.int64), rows.size)
    cov = Coverage(indptr=indptr, col=col, rows=rows.astype(np.int64),
                   sites=pairs_all.sites.astype(np.int64))  # fmt: skip
    indptr, col, _ = reduced_rows(cov, forced)
    out = min_cover(indptr, col, pairs_all.n_sites, forced, time_limit=time_limit)
    bound = int(out.bound) if np.isfinite(out.bound) else n_forced
    return max(bound, n_forced), int(out.count)


def solver_infeasible(
    problem: Problem,
    *,
    p: int | None,
    pairs_all: Pairs,
    rows: np.ndarray,
    limits: np.ndarray,
    kinds: tuple[str, ...],
    radius: float | None = None,
    time_limit: float = LIMITS_COVER_SECONDS,
) -> dict[str, Any]:
    """Diagnosis when each constraint alone can be met but the solver finds no plan.

    ``rows`` need a site within ``limits`` (see :func:`sites_for_limits`); ``kinds``
    names what sets those limits (``"radius"``, ``"reach"`` for a cost cut-off,
    ``"hotspots"``). With ``p`` sites, a set cover tells how many sites the limits
    alone need: proven above ``p`` gives ``too_few_sites``; ``p`` between the cover's
    bound and the cover found when time ran out gives ``limits_unsettled``; otherwise
    the conflict lies in the combination of the constraints (``combination``).
    """
    if p is None or not kinds:
        return diagnosis([finding("combination")], cause="combination")
    t0 = time.perf_counter()
    need, cover = sites_for_limits(problem, pairs_all, rows, limits, time_limit=time_limit)
    extra = {"min_sites_for_limits": need, "cover_found": cover,
             "limits_seconds": round(time.perf_counter() - t0, 3)}  # fmt: skip
    if need > p or cover > p:
        code = "too_few_sites" if need > p else "limits_unsettled"
        why = finding(code, need=need, p=int(p), found=cover, limits="_".join(kinds),
                      radius=radius)  # fmt: skip
        return diagnosis([why], cause=code, **extra)
    return diagnosis([finding("combination")], cause="combination", **extra)


def standards_need_sites(
    problem: Problem,
    pairs_all: Pairs,
    standards: Sequence[tuple[float, float]],
    p: int,
    *,
    time_limit: float,
) -> list[dict[str, Any]]:
    """Percentile standards that ``p`` open sites cannot meet, each as a finding.

    For a standard ``(cost, share)`` the largest share of the demand weight that ``p``
    sites (the required ones among them) can have within ``cost`` is a maximal covering
    problem; its MILP's proven bound below ``share`` proves the standard needs more sites
    (in every model: a point served within ``cost`` has an open site within it). The
    finding carries that share (``max_share``, the proven upper bound) and ``need``, the
    fewest sites that can meet the standard (a partial set cover; its proven lower bound
    when time runs out). Each MILP gets at most ``time_limit`` seconds.
    """
    from planner.optimize.exact.milp import ArrayMilp, solve_milp

    w = np.asarray(problem.weight, dtype=np.float64)
    total = float(w.sum())
    m = pairs_all.n_sites
    forced = problem.required[pairs_all.sites].astype(np.float64)
    found: list[dict[str, Any]] = []
    if total <= 0 or m == 0:
        return found
    for d, share in standards:
        near = pairs_all.within(np.full(problem.n_demand, float(d)))
        keep = w[near.rows] > 0
        rows, cols = near.rows[keep], near.cols[keep]
        listed = np.unique(rows)
        k = listed.size
        local = np.searchsorted(listed, rows)
        # y_i - sum_{j near i} x_j <= 0 for each listed row; then one count row over x
        a = sp.csr_array(
            (
                np.concatenate([np.ones(k), -np.ones(rows.size)]),
                (np.concatenate([np.arange(k), local]), np.concatenate([m + np.arange(k), cols])),
            ),
            shape=(k, m + k),
        )
        count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(k)])[None, :])
        covered = np.concatenate([np.zeros(m), w[listed]])
        lower, upper = np.concatenate([forced, np.zeros(k)]), np.ones(m + k)
        integer = np.ones(m + k, dtype=bool)
        best = solve_milp(
            ArrayMilp(c=-covered, A=sp.csr_array(sp.vstack([a, count], format="csr")),
                      row_lower=np.full(k + 1, -np.inf),
                      row_upper=np.append(np.zeros(k), float(p)),
                      lower=lower, upper=upper, integer=integer),
            time_limit=time_limit, mip_gap=0.0,
        )  # fmt: skip
        if best.bound is None or not np.isfinite(best.bound):
            continue
        max_share = -float(best.bound) / total
        if max_share >= share - 1e-9:
            continue
        fewest = solve_milp(
            ArrayMilp(c=np.concatenate([np.ones(m), np.zeros(k)]),
                      A=sp.csr_array(sp.vstack([a, sp.csr_array(covered[None, :])], format="csr")),
                      row_lower=np.append(np.full(k, -np.inf), share * total * (1 - 1e-12)),
                      row_upper=np.append(np.zeros(k), np.inf),
                      lower=lower, upper=upper, integer=integer),
            time_limit=time_limit, mip_gap=0.0,
        )  # fmt: skip
        low = fewest.bound if fewest.bound is not None else p + 1
        need = max(math.ceil(float(low) - 1e-6), p + 1)
        found.append(finding("standard_needs_sites", cost=float(d), required_share=float(share),
                             max_share=max_share, p=int(p), need=need))  # fmt: skip
    return found
