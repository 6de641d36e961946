"""Solutions: immutable values returned by :func:`planner.optimize.solve`."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

import numpy as np


class Status(StrEnum):
    """How a solve ended. One table per solver maps its own codes onto these."""

    #: The plan is proven optimal (gap within the solver's tolerance).
    OPTIMAL = "optimal"
    #: A feasible plan, not proven optimal (time limit, heuristic): see ``gap``.
    FEASIBLE = "feasible"
    #: Proven that no plan satisfies the constraints; see ``diagnosis``.
    INFEASIBLE = "infeasible"
    #: The solver stopped without any feasible plan and without proving infeasibility.
    NO_SOLUTION = "no_solution"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, eq=False)
class Solution:
    """The answer to a location model.

    Attributes
    ----------
    open_sites
        Sorted indices of the open sites (``int64``).
    assignment
        For each demand point, the index of the site serving it, ``-1`` where none
        (uncovered in a covering model, or no plan).
    objective
        The model's objective value (``nan`` without a plan).
    bound
        A proven bound on the optimum, on the side the model's ``sense`` says: a
        **lower** bound for minimisation models (``sense == "min"``: every model but
        ``mclp``), an **upper** bound for maximisation models (``sense == "max"``:
        ``mclp``, where it bounds the coverable weight from above); ``None`` when no
        bound is known. It never lies past the plan: ``bound <= objective`` for
        ``min``, ``bound >= objective`` for ``max``.
    gap
        Relative gap between ``objective`` and ``bound``:
        ``|objective - bound| / max(|objective|, floor)`` (:func:`relative_gap`; the
        floor is 1e-9, or 1e-12 for the scale methods), so the optimum lies within
        ``gap * |objective|`` of the plan; ``0`` when proven optimal, ``None``
        without a bound.
    status
        :class:`Status`.
    runtime_s
        Wall-clock seconds spent in :func:`solve` (model building plus solving).
    model, method, solver
        What was solved and how (``"p_median"``, ``"exact"``/``"heuristic"``, ``"highs"``).
    sense
        ``"min"`` or ``"max"``.
    details
        Model-specific extras (e.g. ``{"covered_weight": ...}``, ``{"radius": ...}``,
        ``{"diagnosis": {...}}`` for infeasible problems), JSON-serialisable.
    """

    open_sites: np.ndarray
    assignment: np.ndarray
    objective: float
    bound: float | None
    gap: float | None
    status: Status
    runtime_s: float
    model: str
    method: str
    solver: str
    sense: str = "min"
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        open_sites = np.sort(np.asarray(self.open_sites, dtype=np.int64).ravel())
        assignment = np.asarray(self.assignment, dtype=np.int64).ravel()
        open_sites.setflags(write=False)
        assignment.setflags(write=False)
        object.__setattr__(self, "open_sites", open_sites)
        object.__setattr__(self, "assignment", assignment)
        object.__setattr__(self, "status", Status(self.status))

    @property
    def lower_bound(self) -> float | None:
        """Deprecated alias of :attr:`bound` (an *upper* bound for ``mclp``)."""
        warnings.warn(
            "Solution.lower_bound is deprecated: use Solution.bound (a lower bound for "
            "minimisation models, an upper bound for maximisation models such as mclp).",
            DeprecationWarning,
            stacklevel=2,
        )
        return self.bound

    @property
    def is_optimal(self) -> bool:
        """True when the plan is proven optimal."""
        return self.status is Status.OPTIMAL

    @property
    def has_plan(self) -> bool:
        """True when there is a feasible plan (optimal or not)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @property
    def p(self) -> int:
        """Number of open sites."""
        return int(self.open_sites.size)

    def quality(self) -> str:
        """A plain-words statement of how good the plan is, for people."""
        stopped = bool((self.details or {}).get("stopped_by_user"))
        if self.status is Status.OPTIMAL:
            return "proven optimal"
        if self.status is Status.FEASIBLE:
            if self.gap is None:
                return "feasible, no bound known" + ("; stopped by the user" if stopped else "")
            why = {
                "target_gap": "; target gap reached",
                "time_limit": "; stopped at the time limit",
                "stopped": "; stopped by the user",
            }.get(str((self.details or {}).get("stop_reason")), "")
            return f"within {100.0 * self.gap:.2f} % of optimal (certified{why})"
        if self.status is Status.INFEASIBLE:
            return "infeasible"
        return "no solution found" + (" (stopped by the user)" if stopped else "")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary (without the per-demand assignment)."""
        return {
            "status": self.status.value,
            "quality": self.quality(),
            "model": self.model,
            "method": self.method,
            "solver": self.solver,
            "sense": self.sense,
            "objective": None if not np.isfinite(self.objective) else float(self.objective),
            "bound": self.bound,
            "gap": self.gap,
            "runtime_s": self.runtime_s,
            "open_sites": self.open_sites.tolist(),
            "details": self.details,
        }


#: Denominator floor of :func:`relative_gap` for the exact (MILP) methods and for
#: combining two solves: HiGHS bounds carry an absolute tolerance near 1e-9, so a
#: plan costing less than that is measured against the floor.
EXACT_GAP_FLOOR: Final = 1e-9
#: Denominator floor for the scale methods (``solver="planner"``): their bounds are
#: certified in plain float arithmetic, so the floor only guards against dividing
#: by zero. The two floors give the same gap whenever ``|objective| >= 1e-9``; they
#: are kept apart so that plans costing (almost) nothing report the same gap as
#: before the two gap functions were merged.
SCALE_GAP_FLOOR: Final = 1e-12


def relative_gap(
    objective: float,
    bound: float | None,
    *,
    sense: str | None = None,
    floor: float = EXACT_GAP_FLOOR,
) -> float | None:
    """The relative gap ``diff / max(|objective|, floor)``; None without a finite bound.

    Parameters
    ----------
    objective
        The plan's objective value (model units).
    bound
        A proven bound on the optimum (same units), or None.
    sense
        None: ``diff = |objective - bound|``. ``"min"``/``"max"``: the one-sided
        difference (``objective - bound`` or ``bound - objective``) clipped at 0,
        so a bound past the plan by rounding reads as gap 0.
    floor
        Smallest denominator: :data:`EXACT_GAP_FLOOR` or :data:`SCALE_GAP_FLOOR`.

    Returns
    -------
    float or None
        Dimensionless gap (0.01 = 1 %).
    """
    if bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    if sense is None:
        diff = abs(objective - bound)
    else:
        diff = max((objective - bound) if sense == "min" else (bound - objective), 0.0)
    return float(diff / max(abs(objective), floor))


def no_plan(
    n_demand: int,
    *,
    status: Status,
    runtime_s: float,
    model: str,
    method: str,
    solver: str,
    sense: str = "min",
    details: dict[str, Any] | None = None,
) -> Solution:
    """The :class:`Solution` of a solve that ended without a plan (every method).

    No open sites, every one of the ``n_demand`` points unassigned (``-1``), objective
    ``nan``, no bound and no gap; ``details`` say why (see
    :func:`planner.optimize.diagnose.no_plan_details`).
    """
    return Solution(
        open_sites=np.zeros(0, dtype=np.int64),
        assignment=np.full(n_demand, -1, dtype=np.int64),
        objective=float("nan"),
        bound=None,
        gap=None,
        status=status,
        runtime_s=runtime_s,
        model=model,
        method=method,
        solver=solver,
        sense=sense,
        details=dict(details or {}),
    )
