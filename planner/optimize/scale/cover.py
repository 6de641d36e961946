"""Covering models at scale: maximal covering, set covering, p-center (private).

* ``mclp``: maximising covered weight with ``p`` sites is minimising the weight left
  uncovered, a p-median on 0/1 costs (0 when the site covers the point). Points that
  share a coverage set are merged first. The p-median machinery (local search,
  Lagrangian bound, fixing, branch and bound) then applies unchanged; its lower bound
  on uncovered weight is an upper bound on covered weight. Up to ``LP_MAX_ENTRIES``
  coverage entries the LP relaxation (interior point) tightens the bound; beyond, the
  duals of a loose first-order LP solve (HiGHS's PDLP) start the subgradient, close to
  the LP bound in a fraction of the interior-point time.
* ``lscp``: merged and dominated coverage rows are dropped (a row containing another
  row's sites is implied by it); a row-weighting local search (``_cover_search``)
  improves the greedy cover, then HiGHS solves the small set-covering MILP from it
  while the search goes on beside it.
* ``p_center``: the optimum is one of the costs; binary search over the sorted
  distinct costs, each step a set-covering question "can ``p`` sites cover every point
  within ``r``?" answered by the greedy cover (yes) or the MILP (yes/no).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final, Literal

import numpy as np
import scipy.sparse as sp

from planner.errors import ProblemError
from planner.optimize.exact.milp import new_highs, run_watched
from planner.optimize.problem import Problem
from planner.optimize.scale.outcome import no_plan_solution, scale_solution
from planner.optimize.scale.set_cover import Coverage, coverage, merge_rows, min_cover, reduced_rows
from planner.optimize.solution import Solution
from planner.optimize.timing import due, load_factor, stop_requested

_EMPTY_F = np.zeros((1, 1))
_EMPTY_XY = np.zeros((1, 2))


def _finish(
    problem: Problem,
    model: str,
    open_sites: np.ndarray,
    radius: float | None,
    objective: float,
    bound: float | None,
    proven: bool,
    t0: float,
    method: str,
    sense: str,
    details: dict,
) -> Solution:
    from planner.optimize.check import nearest_open

    assignment, _ = nearest_open(problem, open_sites, max_cost=radius)
    return scale_solution(
        open_sites=np.sort(open_sites), assignment=assignment, objective=objective, bound=bound,
        proven=proven, t0=t0, model=model, method=method, sense=sense, details=details,
    )  # fmt: skip


# --------------------------------------------------------------------------- mclp


def solve_mclp(
    problem: Problem,
    p: int,
    radius: float,
    *,
    time_limit: float | None,
    seed: int,
    exact: bool,
    method_name: str,
    deterministic: bool = False,
) -> Solution:
    """Maximal covering as a p-median on 0/1 costs over merged coverage rows."""
    from planner.optimize.scale.data import Neighbours
    from planner.optimize.scale.pmedian import solve_p_median

    t0 = time.perf_counter()
    w = problem.weight
    cov = coverage(problem, radius)
    lengths = np.diff(cov.indptr)
    coverable = lengths > 0
    sub = Coverage(
        indptr=np.concatenate([[0], np.cumsum(lengths[coverable])]).astype(np.int64),
        col=cov.col,
        rows=cov.rows[coverable],
        sites=cov.sites,
    )
    # cov.col already only holds entries of coverable rows (empty rows have none).
    total = float(w[cov.rows[coverable]].sum())
    m = cov.sites.size
    if sub.rows.size == 0:
        open_sites = np.concatenate(
            [
                np.flatnonzero(problem.required),
                np.flatnonzero(~problem.required & ~problem.excluded),
            ]
        )[:p]
        return _finish(problem, "mclp", open_sites, radius, 0.0, 0.0, True, t0, method_name, "max",
                       {"covered_weight": 0.0, "covered_share": 0.0})  # fmt: skip
    indptr, col, wsum, _ = merge_rows(sub, w[sub.rows])
    n = wsum.size
    integral = bool(np.all(wsum == np.round(wsum)))
    ident = np.arange(max(n, m), dtype=np.int64)
    data = Neighbours(
        indptr=indptr,
        site=col.astype(np.int32),
        cost=np.zeros(col.size),
        far=np.ones(n),
        w=wsum,
        n_sites=m,
        demand_index=np.arange(n, dtype=np.int64),
        site_index=cov.sites,
        forced=np.ascontiguousarray(problem.required[cov.sites]),
        integral=integral,
        mode=1,
        rmap=ident[:n],
        cmap=ident[:m],
        dense=_EMPTY_F,
        o_indptr=indptr,
        o_indices=col,
        o_data=np.zeros(col.size),
        penalty=1.0,
        dxy=_EMPTY_XY,
        sxy=_EMPTY_XY,
        scale=1.0,
        coverage=True,
    )
    remaining = None if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05)
    use_lp = exact and col.size <= LP_MAX_ENTRIES
    ls_time = remaining if remaining is None or not use_lp else 0.75 * remaining
    # Too big for the interior-point LP: the subgradient starts from the duals of a
    # first-order LP solve (far closer to the LP bound than the subgradient gets alone).
    start = None
    if exact and not use_lp:

        def start(deadline: float) -> np.ndarray | None:
            return mclp_lp_multipliers(indptr, col, wsum, m, p, data.forced, deadline=deadline)

    out = solve_p_median(
        data, p, time_limit=ls_time, seed=seed, bound=True, exact=exact,
        multiplier_start=0.0, deflection=COVER_DEFLECTION, start_multipliers=start,
        deterministic=deterministic,
    )  # fmt: skip
    open_sites = cov.sites[out.open_local]
    from planner.optimize.check import nearest_open

    _, dist = nearest_open(problem, open_sites)
    covered = float(w[(dist <= radius) & (w > 0)].sum())
    upper = total - out.bound  # uncovered >= bound  =>  covered <= total - bound
    lp_bound = None
    lp_note: str | None = None
    lp_cut = False  # the clock (not the model) left the LP bound out
    if use_lp and not out.proven:
        left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
        # Building the LP and HiGHS's set-up are not interruptible: 0.2 s on an idle
        # core for 20,000 x 1,000 (radius 800 m), longer under load.
        if left is None or left > 0.2 * load_factor():
            lp_bound, lp_status = _mclp_lp_bound(
                indptr, col, wsum, m, p, data.forced, time_limit=left
            )
            if lp_bound is not None:
                upper = min(upper, lp_bound)
            else:
                lp_note = lp_status
                lp_cut = left is not None and lp_status.startswith("stopped")
        else:
            lp_cut = True
    details = {
        "covered_weight": covered,
        "covered_share": covered / float(w.sum()) if w.sum() > 0 else 1.0,
        "merged_rows": int(n),
        "uncoverable_weight": float(w.sum() - total),
        **{k: v for k, v in out.details.items() if k != "heuristic_objective"},
    }
    if lp_note is not None:
        details["lp_bound_status"] = lp_note  # the LP gave no bound: why (HiGHS's words)
    if lp_cut and not stop_requested():  # the bound (and label) may differ from run to run
        details["time_limit_reached"] = True
    if "start_multipliers_bound" in details:
        # In covered weight: the upper bound the first-order LP duals alone give.
        details["lp_start_upper_bound"] = total - details.pop("start_multipliers_bound")
    proven = out.proven or (
        upper - covered <= (1e-9 * max(abs(covered), 1.0) if not data.integral else 1.0 - 1e-6)
    )
    if lp_bound is not None:
        details["lp_bound"] = lp_bound
    return _finish(problem, "mclp", open_sites, radius, covered, max(upper, covered), proven, t0,
                   "heuristic" if method_name == "heuristic" else out.method, "max", details)  # fmt: skip


#: Subgradient deflection for maximal covering on huge problems. Measured on goal 5
#: (100,000 x 5,000, p = 100, 60 s): certified gap 1.47 % without deflection, 1.40 %
#: at 1.5, 1.31 % at 3, 1.28 % at 6.
COVER_DEFLECTION = 3.0

#: The LP bound of maximal covering is computed (interior point) up to this many
#: (merged point, site) coverage entries.
LP_MAX_ENTRIES = 3_000_000


def _mclp_lp(  # type: ignore[no-untyped-def]
    indptr: np.ndarray, col: np.ndarray, weight: np.ndarray, m: int, p: int, forced: np.ndarray
):
    """The LP relaxation of maximal covering on merged rows, as a HiGHS model.

    Columns: ``y`` (the ``m`` sites), then ``z`` (one per row); rows: ``z_i - sum_{j
    covers i} y_j <= 0`` for each row ``i``, then ``sum_j y_j = p``; minimise
    ``-sum_i w_i z_i``.
    """
    import highspy

    n = weight.size
    rows = np.repeat(np.arange(n), np.diff(indptr))
    r = np.concatenate([rows, np.arange(n), np.full(m, n)])
    c = np.concatenate([col, m + np.arange(n), np.arange(m)])
    v = np.concatenate([-np.ones(col.size), np.ones(n), np.ones(m)])
    order = np.lexsort((c, r))
    r, c, v = r[order], c[order], v[order]
    lp = highspy.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = n + 1
    lp.col_cost_ = np.concatenate([np.zeros(m), -weight])
    lo = np.zeros(m + n)
    lo[:m][forced] = 1.0
    lp.col_lower_ = lo
    lp.col_upper_ = np.ones(m + n)
    lp.row_lower_ = np.concatenate([np.full(n, -np.inf), [float(p)]])
    lp.row_upper_ = np.concatenate([np.zeros(n), [float(p)]])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.searchsorted(r, np.arange(n + 2)).astype(np.int32)
    lp.a_matrix_.index_ = c.astype(np.int32)
    lp.a_matrix_.value_ = v
    lp.a_matrix_.num_col_ = m + n
    lp.a_matrix_.num_row_ = n + 1
    return lp


#: What HiGHS's model status (every member of ``highspy.HighsModelStatus``, by name)
#: means for the maximal-covering LP relaxations solved here, which are feasible and
#: bounded by construction (``sum y = p`` with p <= sites, ``0 <= z, y <= 1``):
#: ``"bound"``: a proven LP optimum, whose objective bounds the MILP;
#: ``"stopped"``: a limit or an interrupt ended it, or HiGHS could not conclude
#: (PDLP's usual answer at loose tolerances): no proven bound, but duals it returns
#: still give valid Lagrangian multipliers (the caller evaluates their bound exactly);
#: ``"failed"``: HiGHS failed, or answered what cannot be (infeasible, unbounded,
#: empty, no status): nothing it returns is used, and the solution's details say so.
HIGHS_LP_STATUS: Final[Mapping[str, Literal["bound", "stopped", "failed"]]] = {
    "kOptimal": "bound",
    "kTimeLimit": "stopped",
    "kIterationLimit": "stopped",
    "kSolutionLimit": "stopped",
    "kInterrupt": "stopped",
    "kHighsInterrupt": "stopped",
    "kObjectiveBound": "stopped",
    "kObjectiveTarget": "stopped",
    "kMemoryLimit": "stopped",
    "kUnknown": "stopped",
    "kInfeasible": "failed",
    "kUnboundedOrInfeasible": "failed",
    "kUnbounded": "failed",
    "kModelEmpty": "failed",
    "kNotset": "failed",
    "kLoadError": "failed",
    "kModelError": "failed",
    "kPresolveError": "failed",
    "kSolveError": "failed",
    "kPostsolveError": "failed",
}


def lp_verdict(model_status: Any) -> Literal["bound", "stopped", "failed"]:
    """:data:`HIGHS_LP_STATUS` of a ``highspy.HighsModelStatus`` (unknown ones: failed)."""
    return HIGHS_LP_STATUS.get(str(getattr(model_status, "name", model_status)), "failed")


def _mclp_lp_bound(
    indptr: np.ndarray,
    col: np.ndarray,
    weight: np.ndarray,
    m: int,
    p: int,
    forced: np.ndarray,
    *,
    time_limit: float | None,
) -> tuple[float | None, str]:
    """LP relaxation of maximal covering on the merged rows (an upper bound), or None,
    and what HiGHS said (``"bound"``, else the :data:`HIGHS_LP_STATUS` verdict and status).

    ``max sum_i w_i z_i`` s.t. ``z_i <= sum_{j covers i} y_j``, ``0 <= z, y <= 1``,
    ``sum_j y_j = p``. HiGHS's interior point method with crossover; only an optimal
    status is used, with a relative safety margin of 1e-7 for its tolerances.
    """
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "ipm")
    if time_limit is not None:
        h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
    h.passModel(_mclp_lp(indptr, col, weight, m, p, forced))
    if not run_watched(h, time_limit=time_limit):
        return None, "stopped (time limit or stop while HiGHS was in a phase without callbacks)"
    status = h.getModelStatus()
    verdict = lp_verdict(status)
    if verdict != "bound":
        return None, f"{verdict} ({h.modelStatusToString(status)})"
    value = -float(h.getInfo().objective_function_value)
    return value * (1.0 + 1e-7) + 1e-9, "bound"


#: First-order LP (HiGHS's PDLP) tolerances for the maximal-covering multipliers on
#: huge problems, loosest last: (optimality, feasibility, PDLP steps it took on goal 5,
#: 100,000 x 5,000, p = 100, 11 million coverage entries). The duals only seed the
#: bound, which is evaluated exactly, so loose tolerances cost bound, never validity.
#: Measured there: 42 s for an upper bound 0.06 % above the LP optimum (IPM: 868 s),
#: 30 s for 0.10 %, 21 s for 0.17 %, 17 s for 0.36 %.
PDLP_TOLERANCES = ((1e-3, 1e-2, 900), (1e-3, 3e-2, 650), (3e-3, 3e-2, 400), (1e-2, 1e-1, 250))
#: Seconds per PDLP step and coverage entry on the 2-core benchmark machine (two
#: sparse products a step); the tolerance is picked so its steps fit the time left.
PDLP_STEP_S_PER_ENTRY = 4.5e-9
#: Beyond this many coverage entries the first-order LP is skipped: its model and
#: HiGHS's copies took 1.6 GB at 11 million entries on goal 5 (about 140 bytes an
#: entry), so this keeps it near 4 GB.
PDLP_MAX_ENTRIES = 30_000_000


def mclp_lp_multipliers(
    indptr: np.ndarray,
    col: np.ndarray,
    weight: np.ndarray,
    m: int,
    p: int,
    forced: np.ndarray,
    *,
    deadline: float,
) -> np.ndarray | None:
    """Multipliers of the coverage rows from an approximate LP solve, or None.

    HiGHS's first-order LP solver (PDLP) on the maximal-covering LP with loose
    tolerances, the loosest that is expected to finish by ``deadline`` (perf_counter).
    Its row duals, clipped to ``[0, w_i]``, are Lagrangian multipliers of the p-median
    form (uncovered weight): every such vector gives a valid bound, evaluated exactly
    by the caller, so an inaccurate LP solution weakens the bound but never breaks it.
    None when the problem is too big for it (``PDLP_MAX_ENTRIES``), no tolerance fits
    the time, or the solver returns no duals in time.
    """
    if col.size > PDLP_MAX_ENTRIES:
        return None
    left = deadline - time.perf_counter()
    step_s = PDLP_STEP_S_PER_ENTRY * (col.size + 2 * weight.size + m)
    choice = next((t for t in PDLP_TOLERANCES if t[2] * step_s <= 0.8 * left), None)
    if choice is None:
        return None
    opt_tol, feas_tol, _ = choice
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("solver", "pdlp")
    h.setOptionValue("pdlp_optimality_tolerance", opt_tol)
    h.setOptionValue("primal_feasibility_tolerance", feas_tol)
    h.setOptionValue("dual_feasibility_tolerance", feas_tol)
    h.setOptionValue("time_limit", float(max(left, 0.05)))
    h.passModel(_mclp_lp(indptr, col, weight, m, p, forced))
    if not run_watched(h, time_limit=max(left, 0.05)):  # PDLP calls no interrupt callback
        return None
    # PDLP's answer to loose tolerances is usually "unknown" after HiGHS's own
    # (stricter) check: fine as long as duals came back (HIGHS_LP_STATUS "stopped").
    if lp_verdict(h.getModelStatus()) == "failed":
        return None
    sol = h.getSolution()
    if not sol.dual_valid:
        return None
    duals = np.asarray(sol.row_dual, dtype=np.float64)[: weight.size]
    if duals.size != weight.size or not np.all(np.isfinite(duals)):
        return None
    # Rows "z_i - sum y_j <= 0" of a minimisation carry duals <= 0.
    return np.clip(-duals, 0.0, weight)


def solve_lscp(
    problem: Problem, radius: float, *, time_limit: float | None, seed: int = 0
) -> Solution:
    """Set covering: fewest sites covering every weighted demand point within ``radius``."""

    t0 = time.perf_counter()
    cov = coverage(problem, radius)
    empty = np.diff(cov.indptr) == 0
    if empty.any():
        from planner.optimize.diagnose import cheapest_cost, finding, no_candidate

        bad = cov.rows[empty]
        reach = cheapest_cost(problem, bad)  # every other point is within the radius
        never, far = bad[~np.isfinite(reach)], bad[np.isfinite(reach)]
        why = [no_candidate(problem, never)] if never.size else []
        if far.size:
            why.append(finding("outside_radius", n=int(far.size), rows=far, weight=float(problem.weight[far].sum()),
                               radius=float(radius), min_radius=float(reach[np.isfinite(reach)].max())))  # fmt: skip
        return no_plan_solution("lscp", t0, why, n=problem.n_demand)
    forced = np.ascontiguousarray(problem.required[cov.sites])
    indptr, col, _ = reduced_rows(cov, forced)
    tl = 1e7 if time_limit is None else max(time_limit - (time.perf_counter() - t0), 0.05)
    out = min_cover(indptr, col, cov.sites.size, forced, time_limit=tl, search=True, seed=seed)
    assert out.open_local is not None
    open_sites = cov.sites[out.open_local]
    details = {"reduced_rows": int(out.rows), "demand_rows": int(cov.rows.size)}
    return _finish(problem, "lscp", open_sites, radius, float(out.count), out.bound, out.proven, t0,
                   "set_cover_reduction", "min", details)  # fmt: skip


# --------------------------------------------------------------------------- p-center


#: Largest (demand x site) pair count of the p-center binary search; above it
#: :func:`planner.optimize.solve` takes the exact method.
P_CENTER_MAX_PAIRS = 30_000_000
P_CENTER_TOO_LARGE = "p-center binary search is limited to 30 million pairs"


def solve_p_center(problem: Problem, p: int, *, time_limit: float | None, seed: int) -> Solution:
    """p-center by binary search over the sorted distinct costs with cover checks."""
    t0 = time.perf_counter()
    deadline = np.inf if time_limit is None else t0 + 0.95 * time_limit
    if problem.n_demand * problem.n_sites > P_CENTER_MAX_PAIRS:
        raise ProblemError(f"{P_CENTER_TOO_LARGE}; use method='exact'.")
    rows = np.flatnonzero(problem.weight > 0)
    sites = np.flatnonzero(~problem.excluded)
    cost = problem.stored_cost()
    if sp.issparse(cost):
        sub = sp.csr_array(cost[rows][:, sites])
        values = sub.data
        if (np.diff(sub.indptr) == 0).any():
            from planner.optimize.diagnose import no_candidate

            never = rows[np.diff(sub.indptr) == 0]
            return no_plan_solution(
                "p_center", t0, [no_candidate(problem, never)], n=problem.n_demand
            )
        row_min = np.minimum.reduceat(sub.data, sub.indptr[:-1])
    else:
        block = np.asarray(cost)[np.ix_(rows, sites)]
        values = block.ravel()
        row_min = block.min(axis=1)
    radii = np.unique(values)
    lo_r = float(row_min.max()) if row_min.size else 0.0
    lo = int(np.searchsorted(radii, lo_r))  # smallest radius that may be feasible
    forced = np.ascontiguousarray(problem.required[sites])
    # Feasible at the largest radius (any p >= 1 site covers everything reachable).
    hi = radii.size - 1
    best_open: np.ndarray | None = None
    steps = 0
    proven = True
    while lo < hi:
        if due(deadline):
            proven = False
            break
        mid = (lo + hi) // 2
        cov = coverage(problem, float(radii[mid]), rows)
        steps += 1
        if (np.diff(cov.indptr) == 0).any():
            lo = mid + 1
            continue
        indptr, col, _ = reduced_rows(cov, forced)
        out = min_cover(indptr, col, sites.size, forced, time_limit=max(deadline - time.perf_counter(), 0.05),
                        max_count=p)  # fmt: skip
        if out.count <= p:
            hi = mid
            best_open = out.open_local
        elif out.proven:
            lo = mid + 1
        else:  # undecided within the time left
            proven = False
            break
    if best_open is None or hi != lo:
        # Make sure we hold a plan for radii[hi].
        cov = coverage(problem, float(radii[hi]), rows)
        indptr, col, _ = reduced_rows(cov, forced)
        out = min_cover(indptr, col, sites.size, forced, time_limit=1.0, max_count=p)
        best_open = out.open_local
    assert best_open is not None
    # Fill up to p sites (extra sites never raise the max cost).
    is_open = np.zeros(sites.size, dtype=bool)
    is_open[best_open] = True
    is_open |= forced
    if is_open.sum() < p:
        extra = np.flatnonzero(~is_open)[: p - int(is_open.sum())]
        is_open[extra] = True
    open_sites = sites[np.flatnonzero(is_open)]
    from planner.optimize.check import nearest_open

    _, d = nearest_open(problem, open_sites)
    objective = float(d[rows].max()) if rows.size else 0.0
    bound = float(radii[lo]) if proven or lo < radii.size else None
    proven = proven and objective <= float(radii[lo])
    return _finish(problem, "p_center", open_sites, None, objective, bound, proven, t0,
                   "binary_search", "min", {"steps": steps, "radius_candidates": int(radii.size)})  # fmt: skip
