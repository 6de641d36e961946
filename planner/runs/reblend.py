"""Inputs for another blend: a scenario point that changes only the demand weights
reuses the loaded layers and re-blends the stored components (sweeps and
robustness runs), instead of reading everything again."""

from __future__ import annotations

import json
from dataclasses import replace

from planner.inputs.demand import DemandWeights, reweight_demand
from planner.runs.config import ScenarioConfig
from planner.runs.grid import MODEL_SECTIONS, WEIGHT_KEYS
from planner.runs.results import PlanInputs

# --------------------------------------------------------------------------------------
# demand weights


def _weights_of(config: ScenarioConfig) -> tuple[float, float, float]:
    d = config.demand
    return (d.population, d.residential, d.faults)


def inputs_for(inputs: PlanInputs, config: ScenarioConfig) -> PlanInputs:
    """``inputs`` made to match ``config``'s demand weights (re-blended only when they differ).

    ``config`` must share the data settings of ``inputs.config`` (see :func:`inputs_key`).
    """
    demand = inputs.demand
    if _weights_of(config) != _weights_of(inputs.config):
        d = config.demand
        demand = reweight_demand(demand, DemandWeights(d.population, d.residential, d.faults))
    return replace(inputs, demand=demand, config=config)


def inputs_key(config: ScenarioConfig) -> str:
    """The settings that decide the loaded inputs; configs with equal keys share inputs."""
    data = config.model_dump(mode="json")
    for section in MODEL_SECTIONS:
        data.pop(section, None)
    if config.data.generated_candidates is None:
        # Generated candidates are placed by weight; otherwise the weights only re-blend.
        for key in WEIGHT_KEYS:
            data["demand"].pop(key, None)
    data["base_dir"] = str(config.base_dir)
    return json.dumps(data, sort_keys=True, default=str)
