"""The result types of whole runs: loaded inputs, one solved scenario, a robustness run.

They sit below the modules that make them (pipeline, robustness) and the ones that
read them (outputs, the app), so every one of those can name the types without
importing each other.
"""

from __future__ import annotations

import json
import typing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.evaluate.kpi_types import PlanKPIs
from planner.optimize import Problem, Solution
from planner.runs.config import ScenarioConfig
from planner.travel.straight_line import TravelMatrix

__all__ = ["PlanInputs", "RobustnessResult", "RunResult", "json_records"]


@dataclass(frozen=True, eq=False)
class PlanInputs:
    """Everything a run needs before the model: demand, sites, faults and travel costs."""

    config: ScenarioConfig
    demand: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    faults: gpd.GeoDataFrame | None
    travel: TravelMatrix
    input_files: dict[str, Path]
    attribution: list[str] = field(default_factory=list)
    population_simulated: bool = False
    #: Plausibility findings (planner.inputs.sanity), each one line; warned when loaded.
    data_warnings: tuple[str, ...] = ()

    @property
    def simulated_layers(self) -> list[str]:
        """Names of the layers whose data are simulated (flagged on every map and report)."""
        names = ["population"] if self.population_simulated else []
        if (
            self.faults is not None
            and "simulated" in self.faults
            and self.faults["simulated"].astype(bool).any()
        ):
            names.append("fault_records")
        if bool(self.sites.loc[self.sites["existing"], "simulated"].any()):
            names.append("existing_centres")
        return names


@dataclass(frozen=True, eq=False)
class RunResult:
    """One solved scenario: the plan, the baseline and their KPIs, and what was written."""

    config: ScenarioConfig
    inputs: PlanInputs
    problem: Problem
    solution: Solution
    baseline_open_sites: np.ndarray
    kpis: PlanKPIs | None
    baseline_kpis: PlanKPIs | None
    out_dir: Path | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    #: How robust the plan is under perturbed demand, when that was run.
    robustness: RobustnessResult | None = None
    #: When the run was solved and measured (UTC): the time its files carry (report,
    #: GeoPackage), so the same run gives the same files whenever they are made.
    solved_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def require_kpis(self) -> PlanKPIs:
        """The plan's KPIs; :class:`~planner.errors.InputError` when the run has no plan."""
        if self.kpis is None:
            raise InputError(
                f"the run has no plan (status {self.solution.status.value!r}), so it has no KPIs; "
                "see why_no_plan()."
            )
        return self.kpis

    @property
    def chosen_sites(self) -> gpd.GeoDataFrame:
        """The open sites as rows of the sites table."""
        return self.inputs.sites.iloc[self.solution.open_sites].reset_index(drop=True)

    def why_no_plan(self, lang: str | None = None) -> str | None:
        """Why the run has no plan, in plain words; ``None`` when it has one.

        The optimiser's diagnosis (:func:`planner.optimize.diagnose.explain`) in
        ``lang`` (default: the scenario's ``outputs.language``), naming demand points by
        their ``demand_id`` and limits in the scenario's cost unit.
        """
        from planner.optimize.diagnose import explain, findings_of
        from planner.present.i18n import t

        sol = self.solution
        if sol.has_plan:
            return None
        lang = lang or self.config.outputs.language
        findings = findings_of(sol.details)
        if not findings:  # a solution made elsewhere: its English message is all there is
            return str((sol.details or {}).get("message") or t("app_quality_none", lang))
        unit = t("minutes_unit" if self.config.model.cost == "minutes" else "metres_unit", lang)
        names = self.inputs.demand["demand_id"].astype(str).tolist()
        return explain(findings, lang, demand_names=names, cost_unit=unit, settings=True)


@dataclass(frozen=True, eq=False)
class RobustnessResult:
    """How often each site is chosen under perturbed demand, and how much the KPIs spread.

    Attributes
    ----------
    site_frequency
        One row per site, in the sites table's order: ``site_index``, ``site_id``,
        ``name_zh``, ``name_en``, ``category``, ``existing``, ``keep``, ``lon``,
        ``lat``, ``in_base_plan`` (chosen by the unperturbed plan),
        ``times_chosen`` and ``frequency`` (share of the draws with a plan that
        open the site, 0-1).
    kpi_spread
        One row per KPI (index: the :meth:`~planner.evaluate.kpis.PlanKPIs.summary` key,
        plus ``objective``): ``base`` (unperturbed plan), ``mean``, ``std``,
        ``p5``, ``p50``, ``p95``, ``min``, ``max`` over the draws.
    draws
        One row per draw: ``draw``, ``status``, ``objective``, ``gap``,
        ``solve_s``, ``open_site_ids`` (``;``-separated), the KPI headline numbers.
    base_open_sites
        Site indices of the unperturbed plan.
    relative_error, distribution, n_draws, seed
        The perturbation settings.
    scheduler, n_workers, wall_s
        Where it ran and how long it took (seconds).
    """

    site_frequency: pd.DataFrame
    kpi_spread: pd.DataFrame
    draws: pd.DataFrame
    base_open_sites: np.ndarray
    relative_error: dict[str, float]
    distribution: str
    n_draws: int
    seed: int
    scheduler: str
    n_workers: int
    wall_s: float

    @property
    def n_with_plan(self) -> int:
        """Draws that produced a plan (frequencies are shares of these)."""
        return int(self.draws["status"].isin(["optimal", "feasible"]).sum())

    def frequency_by_site_id(self) -> dict[str, float]:
        """``{site_id: frequency}`` of every site chosen at least once (for a map layer)."""
        chosen = self.site_frequency[self.site_frequency["times_chosen"] > 0]
        return dict(
            zip(chosen["site_id"].astype(str), chosen["frequency"].astype(float), strict=True)
        )

    def robust_sites(self, threshold: float = 0.9) -> pd.DataFrame:
        """Sites of the unperturbed plan chosen in at least ``threshold`` of the draws."""
        f = self.site_frequency
        return f[f["in_base_plan"] & (f["frequency"] >= threshold)].reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (sites chosen at least once or in the base plan)."""
        f = self.site_frequency
        shown = f[(f["times_chosen"] > 0) | f["in_base_plan"]].sort_values(
            ["frequency", "site_index"], ascending=[False, True]
        )
        spread = self.kpi_spread.reset_index().rename(columns={"index": "kpi"})
        return {
            "relative_error": dict(self.relative_error),
            "distribution": self.distribution,
            "n_draws": self.n_draws,
            "n_with_plan": self.n_with_plan,
            "seed": self.seed,
            "scheduler": self.scheduler,
            "n_workers": self.n_workers,
            "wall_s": round(self.wall_s, 3),
            "base_open_site_ids": f.loc[f["in_base_plan"], "site_id"].astype(str).tolist(),
            "site_frequency": json_records(shown),
            "kpi_spread": json_records(spread),
        }


def json_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return typing.cast(
        list[dict[str, Any]],
        json.loads(df.to_json(orient="records", force_ascii=False, double_precision=15)),
    )
