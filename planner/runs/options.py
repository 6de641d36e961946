"""The solver options of a scenario: its model settings checked against the inputs and
turned into the arguments of :func:`planner.optimize.solve` (:class:`SolveArgs`).

Used by the pipeline, the trade-off curve, sweeps and robustness runs, so that every
solve of a scenario gets the same options and the same errors for bad settings.
"""

from __future__ import annotations

import warnings
from typing import TypedDict

import geopandas as gpd
import numpy as np

from planner.errors import ConfigError, SettingWarning
from planner.optimize.model_table import (
    COVERAGE_MODELS,
    MODEL_TABLE,
    MODELS,
    model_spec,
    models_where,
)
from planner.optimize.options import SolverOptions
from planner.runs.config import ScenarioConfig
from planner.runs.results import PlanInputs

__all__ = [
    "SETTING_MODELS",
    "SolveArgs",
    "response_limits",
    "solve_options",
    "solver_options",
    "warn_unused_settings",
]


class SolveArgs(TypedDict, total=False):
    """The arguments of :func:`planner.optimize.solve` for a scenario:
    ``solve(problem, **args)``. ``model`` and ``options`` are always present; the
    model parameters only when the model takes them (units as in ``solve``)."""

    model: str
    options: SolverOptions
    p: int
    max_sites: int
    radius: float
    budget: float
    standards: list[tuple[float, float]]
    hotspot_rows: np.ndarray
    hotspot_max_cost: np.ndarray


def response_limits(demand: gpd.GeoDataFrame, config: ScenarioConfig) -> np.ndarray:
    """The repair-response standard in minutes of each demand point, by its zone."""
    s = config.standards
    table = {
        "urban": s.response_minutes_urban,
        "rural": s.response_minutes_rural,
        "remote": s.response_minutes_remote,
    }
    return demand["zone"].map(table).fillna(s.response_minutes_urban).to_numpy(dtype=np.float64)


#: Model settings that only some models use (``model.p`` only when set in the file).
SETTING_MODELS: dict[str, tuple[str, ...]] = {
    "p": tuple(m for m in MODELS if MODEL_TABLE[m].p != "no"),
    "radius": COVERAGE_MODELS,
    "max_sites": models_where(facility_costs=True),
    "opening_cost": models_where(facility_costs=True),
    "budget": models_where(facility_costs=True),
}


def warn_unused_settings(config: ScenarioConfig) -> list[str]:
    """Warn (:class:`~planner.errors.SettingWarning`) of each model setting the chosen
    model ignores, e.g. ``radius`` with ``p_median``; returns the messages."""
    m = config.model
    messages = []
    for key, models in SETTING_MODELS.items():
        value = getattr(m, key)
        if value is None or m.name in models or key not in m.model_fields_set:
            continue
        messages.append(
            f"model.{key} = {value} is not used by model {m.name!r} (only by "
            f"{', '.join(models)}); it is ignored. Remove it, or choose one of those models."
        )
    for message in messages:
        warnings.warn(message, SettingWarning, stacklevel=2)
    return messages


def solver_options(config: ScenarioConfig) -> SolverOptions:
    """The :class:`~planner.optimize.SolverOptions` of a scenario's ``[solver]`` table."""
    s = config.solver
    return SolverOptions(
        method=s.method,
        solver=s.solver,
        time_limit=s.time_limit_s,
        seed=s.seed,
        target_gap=s.target_gap if s.method == "auto" else 0.0,
    )


def solve_options(inputs: PlanInputs, config: ScenarioConfig) -> SolveArgs:
    """The arguments of :func:`planner.optimize.solve` for a scenario (``**`` them)."""
    m = config.model
    warn_unused_settings(config)
    options: SolveArgs = {"model": m.name, "options": solver_options(config)}
    spec = model_spec(m.name)
    method = config.solver.method
    if method != "auto" and method not in spec.methods:
        raise ConfigError(
            f"solver.method = '{method}' is not available for model {m.name!r} (its methods: "
            f"{', '.join(spec.methods)}); set solver.method = 'auto' or 'exact'."
        )
    if method == "heuristic":  # the heuristics' search has no hard limits to keep
        limits = [
            f"model.{key}"
            for key, on in (
                ("enforce_hotspot_response", m.enforce_hotspot_response),
                ("percentile_standards", bool(m.percentile_standards)),
            )
            if on
        ]
        if limits:
            raise ConfigError(
                f"solver.method = 'heuristic' cannot keep {' and '.join(limits)} (hard limits "
                "need the exact method); set solver.method = 'auto' or 'exact', or drop them."
            )
    if spec.p == "required":
        if m.p is None:
            raise ConfigError(f"model.p is needed for model {m.name!r}; set `p` in [model].")
        n_sites = len(inputs.sites)
        if m.p > n_sites:
            raise ConfigError(
                f"model.p = {m.p} is more than the {n_sites} sites; lower `p` or add candidates."
            )
        n_kept = int(inputs.sites["keep"].sum())
        if m.p < n_kept:
            raise ConfigError(
                f"model.p = {m.p} is fewer than the {n_kept} existing centres that must stay open; raise `p` "
                "or set data.existing.policy = 'may_close'."
            )
        options["p"] = m.p
    elif spec.facility_costs:
        if m.p is not None and m.max_sites is not None:
            raise ConfigError(
                "model.p (exactly p centres) and model.max_sites (at most) are both set; "
                "keep one of them."
            )
        n_kept = int(inputs.sites["keep"].sum())
        for key, value in (("p", m.p), ("max_sites", m.max_sites)):
            if value is not None and value < n_kept:
                raise ConfigError(
                    f"model.{key} = {value} is fewer than the {n_kept} existing centres that must "
                    f"stay open; raise `{key}` or set data.existing.policy = 'may_close'."
                )
        if m.p is not None:
            options["p"] = m.p
        if m.max_sites is not None:
            options["max_sites"] = m.max_sites
    if spec.coverage:
        radius = m.radius if m.radius is not None else config.standards.service_minutes[0]
        if m.cost == "distance" and m.radius is None:
            raise ConfigError("model.radius is needed in metres when model.cost = 'distance'.")
        options["radius"] = radius
    if spec.facility_costs and m.budget is not None:
        options["budget"] = m.budget
    if m.percentile_standards:
        options["standards"] = [(float(c), float(share)) for c, share in m.percentile_standards]
    if m.enforce_hotspot_response:
        if m.cost != "minutes":
            raise ConfigError(
                "model.enforce_hotspot_response needs model.cost = 'minutes' (the standards are in minutes)."
            )
        rows = np.flatnonzero(inputs.demand["is_hotspot"].to_numpy())
        options["hotspot_rows"] = rows
        options["hotspot_max_cost"] = response_limits(inputs.demand, config)[rows]
    return options
