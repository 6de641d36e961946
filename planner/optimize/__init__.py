"""Location models for service-centre planning: exact MILP models behind one ``solve``.

>>> import numpy as np
>>> from planner.optimize import Problem, solve
>>> cost = np.array([[0.0, 5.0], [5.0, 0.0], [1.0, 4.0]])
>>> plan = solve(Problem(cost, np.ones(3)), "p_median", p=1)
>>> plan.open_sites.tolist(), plan.objective, str(plan.status)
([0], 6.0, 'optimal')
>>> from planner.optimize import SolverOptions
>>> solve(Problem(cost, np.ones(3)), "p_median", p=1,
...       options=SolverOptions(method="exact", time_limit=10.0)).objective
6.0

Models: ``p_median``, ``mclp``, ``lscp``, ``p_center``, ``capacitated_p_median``,
``facility_location``; formulations in ``docs/models.md``.
"""

from __future__ import annotations

from planner.optimize.check import check_solution, nearest_open, recompute_objective
from planner.optimize.dispatch import AUTO_EXACT_MAX_PAIRS, solve
from planner.optimize.exact.milp import SOLVERS
from planner.optimize.model_table import MODEL_TABLE, MODELS, ModelSpec, model_spec
from planner.optimize.options import METHODS, SolverOptions
from planner.optimize.problem import Problem
from planner.optimize.solution import Solution, Status

__all__ = [
    "AUTO_EXACT_MAX_PAIRS",
    "METHODS",
    "MODELS",
    "MODEL_TABLE",
    "SOLVERS",
    "ModelSpec",
    "Problem",
    "Solution",
    "SolverOptions",
    "Status",
    "check_solution",
    "model_spec",
    "nearest_open",
    "recompute_objective",
    "solve",
]
