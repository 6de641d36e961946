"""Service-Centre Planner: where should an electric-power utility open customer service centres?

The public API, in the order data flows::

    from planner import read_layer, build_demand, DemandWeights          # layers -> demand
    from planner import candidate_sites, existing_centres, combine_sites  # sites
    from planner import straight_line_matrix                              # travel costs
    from planner import Problem, SolverOptions, solve                     # the model
    from planner import plan_kpis, plan_map, run_scenario                 # KPIs, maps, whole runs
    from planner.runs.sweep import sweep; from planner.runs.robustness import robustness  # many runs

Each name comes from its one home module (listed in ``_EXPORTS``; no module re-exports
another's names). Names are imported lazily so that ``import planner`` stays fast and
the optimiser never pulls in the geospatial stack.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "read_layer": "planner.inputs.layers",
    "build_demand": "planner.inputs.demand",
    "DemandWeights": "planner.inputs.demand",
    "candidate_sites": "planner.inputs.sites",
    "existing_centres": "planner.inputs.sites",
    "combine_sites": "planner.inputs.sites",
    "straight_line_matrix": "planner.travel.straight_line",
    "TravelMatrix": "planner.travel.straight_line",
    "Problem": "planner.optimize",
    "Solution": "planner.optimize",
    "solve": "planner.optimize",
    "SolverOptions": "planner.optimize",
    "plan_kpis": "planner.evaluate.kpis",
    "ServiceStandards": "planner.evaluate.kpi_types",
    "plan_map": "planner.present.maps",
    "load_scenario": "planner.runs.config",
    "load_inputs": "planner.runs.pipeline",
    "run_scenario": "planner.runs.pipeline",
    "RunResult": "planner.runs.results",
    "SweepResult": "planner.runs.sweep",
    "RobustnessResult": "planner.runs.results",
    "compare_runs": "planner.evaluate.compare",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
