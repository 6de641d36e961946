"""Solutions of the scale methods: a plan with its certified bound, or no plan.

One place builds the :class:`~planner.optimize.Solution` of every method in
``planner.optimize.scale`` (``solver="planner"``), so the gap, the status and the
JSON-safe details are computed the same way for each.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from planner.optimize.solution import (
    SCALE_GAP_FLOOR,
    Solution,
    Status,
    no_plan,
    relative_gap,
)


def scale_solution(
    *,
    open_sites: np.ndarray,
    assignment: np.ndarray,
    objective: float,
    bound: float | None,
    proven: bool,
    t0: float,
    model: str,
    method: str,
    sense: str = "min",
    details: dict[str, Any] | None = None,
) -> Solution:
    gap = 0.0 if proven else relative_gap(objective, bound, sense=sense, floor=SCALE_GAP_FLOOR)
    return Solution(
        open_sites=open_sites,
        assignment=assignment,
        objective=float(objective),
        bound=None if bound is None or not np.isfinite(bound) else float(bound),
        gap=gap,
        status=Status.OPTIMAL if proven else Status.FEASIBLE,
        runtime_s=time.perf_counter() - t0,
        model=model,
        method=method,
        solver="planner",
        sense=sense,
        details=_jsonable(details or {}),
    )


def _jsonable(d: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, (np.floating, np.integer)):
            v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            v = None
        out[k] = v
    return out


def no_plan_solution(
    model: str, t0: float, found: list[dict[str, Any]], sense: str = "min", n: int = 0
) -> Solution:
    """No plan: ``found`` are the diagnosis findings (:mod:`planner.optimize.diagnose`)."""
    from planner.optimize.diagnose import diagnosis, no_plan_details

    return no_plan(
        n,
        status=Status.INFEASIBLE,
        runtime_s=time.perf_counter() - t0,
        model=model,
        method="heuristic",
        solver="planner",
        sense=sense,
        details=no_plan_details(diagnosis(found)),
    )
