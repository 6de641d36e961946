"""Solutions: immutable values returned by :func:`planner.optimize.solve`."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

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
        ``|objective - bound| / max(|objective|, 1e-9)``, so the optimum lies within
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
        if self.status is Status.OPTIMAL:
            return "proven optimal"
        if self.status is Status.FEASIBLE:
            if self.gap is None:
                return "feasible, no bound known"
            why = {
                "target_gap": "; target gap reached",
                "time_limit": "; stopped at the time limit",
            }.get(str((self.details or {}).get("stop_reason")), "")
            return f"within {100.0 * self.gap:.2f} % of optimal (certified{why})"
        if self.status is Status.INFEASIBLE:
            return "infeasible"
        return "no solution found"

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
