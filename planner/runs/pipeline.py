"""Scenario runs: load the inputs once, build the problem, solve, measure, write outputs.

The pipeline flows one way::

    layers -> demand + sites -> travel matrix -> Problem -> solve -> Solution
           -> KPIs (plan and today's baseline) -> map, report, GeoPackage, CSV, JSON

:func:`load_inputs` does the expensive, shareable part (reading layers, building
demand, the travel matrix) so that sweeps reuse it; :func:`plan` solves one
configuration on loaded inputs; :func:`run_scenario` does both and writes the
output folder atomically (a temporary folder renamed into place, so an
interrupted run never leaves half an output).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import ConfigError, DataError, DataWarning, RunStoppedError
from planner.evaluate.kpi_types import PlanKPIs, ServiceStandards
from planner.evaluate.kpis import baseline_kpis, plan_kpis
from planner.inputs.demand import DemandWeights, build_demand
from planner.inputs.layers import metric_crs_for, projected_xy, read_layer
from planner.inputs.rasters import is_raster, read_population_raster
from planner.inputs.sanity import StudyArea, outside_area, point_lonlat, study_area
from planner.inputs.sites import (
    candidate_sites,
    combine_sites,
    existing_centres,
    sites_from_densest_cells,
)
from planner.optimize import Problem, Solution, model_spec
from planner.optimize.timing import StopToken, check_stop_token
from planner.runs.config import LayerSource, ScenarioConfig, load_scenario
from planner.runs.options import solve_options
from planner.runs.outdir import claim_out_dir, input_paths
from planner.runs.outputs import write_outputs
from planner.runs.results import PlanInputs, RunResult
from planner.travel.straight_line import straight_line_matrix

__all__ = [
    "baseline_sites",
    "build_problem",
    "kpi_arguments",
    "load_inputs",
    "measure",
    "plan",
    "read_source",
    "run_scenario",
    "service_standards",
    "site_capacity",
]

#: ``progress(stage, message, share_done)``: stage is one of ``reading``,
#: ``aggregation``, ``travel``, ``solve``, ``kpis``, ``outputs``; share in 0..1.
Progress = Callable[[str, str, float], None]


def read_source(cfg: ScenarioConfig, src: LayerSource, what: str) -> gpd.GeoDataFrame:
    """Read one layer of a scenario, its path relative to the scenario file.

    A column the scenario names explicitly (``id_col = "sid"``, ...) must exist:
    the readers fall back to defaults only for columns left unset.
    """
    gdf = read_layer(
        cfg.resolve(src.path),
        layer=src.layer,
        lon_col=src.lon_col,
        lat_col=src.lat_col,
        crs=src.crs,
        datum=src.datum,
        encoding=src.encoding,
        what=what,
    )
    for key in sorted(src.model_fields_set):
        value = getattr(src, key)
        named = (key.endswith("_col") or key == "column") and key not in ("lon_col", "lat_col")
        if named and isinstance(value, str) and value not in gdf.columns:
            shown = ", ".join(str(c) for c in gdf.columns if c != "geometry")
            raise DataError(
                f"{src.path}: the {what} layer has no column {value!r} (setting `{key}`); "
                f"columns are {shown}.",
                reason="column_missing",
                path=str(cfg.resolve(src.path)),
                column=value,
                columns=shown,
                setting=key,
            )
    return gdf


def _attribution(cfg: ScenarioConfig) -> list[str]:
    """Attribution of every layer used: the scenario's own, or the ``sources.json`` beside the data."""
    d = cfg.data
    layers: list[LayerSource] = [
        x
        for x in (
            d.population,
            d.residential,
            d.faults,
            d.candidates,
            d.existing,
            cfg.travel.network,
        )
        if x is not None
    ]
    out: list[str] = []
    for src in layers:
        texts: list[str] = []
        if src.attribution:
            texts = [src.attribution]
        else:
            catalogue = cfg.resolve(src.path).parent / "sources.json"
            if catalogue.exists():
                try:
                    data = json.loads(catalogue.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise DataError(f"{catalogue}: not valid JSON ({exc}).") from None
                entry = data.get("layers", {}).get(src.layer or "", {})
                if entry.get("attribution"):
                    texts = [p.strip() for p in str(entry["attribution"]).split(";")]
        out.extend(t for t in texts if t and t not in out)
    return out


def load_inputs(
    config: ScenarioConfig,
    *,
    progress: Progress | None = None,
    warn: bool = True,
    executor: Executor | None = None,
) -> PlanInputs:
    """Read every layer, build demand and sites, compute the travel matrix.

    ``progress(stage, message, share_done)`` is told of each stage (``"reading"``,
    ``"aggregation"``, ``"travel"``) as it goes. Plausibility findings are in
    ``data_warnings``; ``warn=True`` also issues each as a :class:`DataWarning` (the
    app shows them itself and passes False). Under ``strict = true`` they are errors.
    ``executor`` (e.g. a Dask client's, :meth:`planner.runs.province.Cluster.executor`)
    computes road-network travel costs by blocks of sites, each task carrying only the
    roads its sites can reach (:func:`planner.travel.road_matrix.network_matrix`); the
    matrix is the same as without it. Straight-line travel does not use it.
    """
    d = config.data
    files: dict[str, Path] = {}
    w = config.demand
    cell_size_m = w.cell_size_m
    pop_src = d.population
    if progress is not None:
        progress("reading", Path(pop_src.path).name, 0.0)
    if is_raster(pop_src.path):
        population = read_population_raster(
            config.resolve(pop_src.path),
            population_col=pop_src.population_col,
            pop65_path=None if pop_src.pop65_path is None else config.resolve(pop_src.pop65_path),
            pop65_col=pop_src.pop65_col or "pop_65plus",
            cell_size_m=cell_size_m,
            crs=pop_src.crs,
            band=pop_src.band,
            progress=None if progress is None else (lambda msg, f: progress("reading", msg, f)),
        )
        cell_size_m = None  # aggregated while reading
        if pop_src.pop65_path is not None:
            files["pop65"] = config.resolve(pop_src.pop65_path)
    else:
        if pop_src.pop65_path is not None:
            raise ConfigError(
                "data.population.pop65_path is for a population GeoTIFF; with a vector layer "
                "name the 65+ column in `pop65_col`."
            )
        population = read_source(config, pop_src, "population")
    files["population"] = config.resolve(pop_src.path)
    notes: list[str] = list(population.attrs.get("sanity", ()))
    area = _population_area(population, pop_src, notes)
    residential = None
    if d.residential is not None:
        residential = read_source(config, d.residential, "residential density")
        notes += residential.attrs.get("sanity", ())
        files["residential"] = config.resolve(d.residential.path)
    faults = None
    if d.faults is not None:
        faults = read_source(config, d.faults, "fault records")
        notes += faults.attrs.get("sanity", ())
        faults = _faults_in_area(faults, area, d.faults, notes)
        files["faults"] = config.resolve(d.faults.path)
    if progress is not None:
        progress("aggregation", f"{len(population):,} population cells", 0.0)
    demand = build_demand(
        population,
        population_col=pop_src.population_col,
        pop65_col=pop_src.pop65_col,
        id_col="cell_id" if is_raster(pop_src.path) else pop_src.id_col,
        residential=residential,
        residential_col=d.residential.column if d.residential else "residential_density",
        faults=faults,
        fault_timestamp_col=d.faults.timestamp_col if d.faults else None,
        fault_half_life_days=w.fault_half_life_days,
        weights=DemandWeights(w.population, w.residential, w.faults),
        hotspot_quantile=w.hotspot_quantile,
        urban_density_per_km2=w.urban_density_per_km2,
        rural_density_per_km2=w.rural_density_per_km2,
        cell_size_m=cell_size_m,
    )

    parts = []
    if d.candidates is not None:
        c = d.candidates
        layer = read_source(config, c, "candidate sites")
        notes += layer.attrs.get("sanity", ())
        notes += _sites_in_area(layer, area, c, "candidate sites")
        parts.append(
            candidate_sites(
                layer,
                categories=c.categories,
                id_col=c.id_col,
                name_col=c.name_col,
                name_en_col=c.name_en_col,
                category_col=c.category_col,
                exclude=c.exclude or None,
                capacity_col=c.capacity_col,
            )
        )
        files["candidates"] = config.resolve(c.path)
    if d.generated_candidates is not None:
        g = d.generated_candidates
        parts.append(sites_from_densest_cells(demand, g.n_sites, min_spacing_m=g.min_spacing_m))
    candidates = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")
    existing = None
    if d.existing is not None:
        e = d.existing
        layer = read_source(config, e, "existing centres")
        notes += layer.attrs.get("sanity", ())
        notes += _sites_in_area(layer, area, e, "existing centres")
        existing = existing_centres(
            layer,
            policy=e.policy,
            id_col=e.id_col,
            name_col=e.name_col,
            name_en_col=e.name_en_col,
            closable=e.closable or None,
            capacity_col=e.capacity_col,
        )
        files["existing"] = config.resolve(e.path)
    sites = combine_sites(candidates, existing)
    _report_findings(config, notes, warn=warn)  # before the (possibly long) travel times

    t = config.travel
    if progress is not None:
        progress("travel", f"{len(demand):,} demand points x {len(sites):,} sites", 0.0)
    if t.method == "straight_line":
        metric = metric_crs_for(demand)
        travel = straight_line_matrix(
            projected_xy(demand, metric),
            projected_xy(sites, metric),
            detour_factor=t.detour_factor,
            speed_kmh=t.speed_kmh,
        )
    else:
        from planner.travel.road_matrix import network_matrix
        from planner.travel.road_network import read_road_network

        assert t.network is not None  # checked by the config
        network = read_road_network(
            config.resolve(t.network.path), layer=t.network.layer, crs=t.network.crs
        )
        files["network"] = config.resolve(t.network.path)
        travel = network_matrix(
            network,
            np.column_stack([demand.geometry.x, demand.geometry.y]),
            np.column_stack([sites.geometry.x, sites.geometry.y]),
            mode=t.mode,
            cutoff_minutes=t.cutoff_minutes,
            max_snap_m=t.max_snap_m,
            unsnapped=t.unsnapped,
            detour_factor=t.detour_factor,
            cache_dir=config.base_dir / ".planner-cache",
            executor=executor,
            progress=None if progress is None else (lambda msg, f: progress("travel", msg, f)),
        )
    return PlanInputs(
        config=config,
        demand=demand,
        sites=sites,
        faults=faults,
        travel=travel,
        input_files=files,
        attribution=_attribution(config),
        population_simulated=bool(
            "simulated" in population.columns and population["simulated"].astype(bool).any()
        ),
        data_warnings=tuple(notes),
    )


# --------------------------------------------------------------------------------------
# plausibility (planner.inputs.sanity): warned, or errors under `strict = true`


def _population_area(population: gpd.GeoDataFrame, src: LayerSource, notes: list[str]) -> StudyArea:
    """The study area of the population; population points far outside it are a finding."""
    lon, lat = point_lonlat(population)
    area, outliers = study_area(lon, lat)
    if outliers.any():
        i = int(np.flatnonzero(outliers)[0])
        far = float(area.distance_km(lon[outliers], lat[outliers]).max())
        notes.append(
            f"{src.path}: {int(outliers.sum())} of {len(population)} population points lie far "
            f"outside the study area ({area.describe()}), up to {far:,.0f} km from the others "
            f"(e.g. row {i} at ({lon[i]:.4f}, {lat[i]:.4f})); check their coordinates."
        )
    return area


def _faults_in_area(
    faults: gpd.GeoDataFrame, area: StudyArea, src: LayerSource, notes: list[str]
) -> gpd.GeoDataFrame:
    """Fault records outside the study area are dropped, with a count in the findings."""
    lon, lat = point_lonlat(faults)
    outside = ~area.contains(lon, lat)
    if not outside.any():
        return faults
    i = int(np.flatnonzero(outside)[0])
    notes.append(
        f"{src.path}: {int(outside.sum())} of {len(faults)} fault records lie outside the study "
        f"area ({area.describe()}) and were dropped (e.g. row {i} at ({lon[i]:.4f}, "
        f"{lat[i]:.4f})); the other records keep their weights."
    )
    kept = faults[~outside].reset_index(drop=True)
    kept.attrs = {}
    return kept


def _sites_in_area(layer: gpd.GeoDataFrame, area: Any, src: LayerSource, what: str) -> list[str]:
    _, message = outside_area(
        area, layer, what=what, where=str(src.path), id_col=getattr(src, "id_col", None)
    )
    return [] if message is None else [message]


def _report_findings(config: ScenarioConfig, notes: list[str], *, warn: bool) -> None:
    """Warn of each finding (:class:`DataWarning`), or fail on the first under ``strict``."""
    if notes and config.strict:
        more = f" (+{len(notes) - 1} more)" if len(notes) > 1 else ""
        raise DataError(f"{notes[0]}{more} [an error because the scenario sets `strict = true`]")
    for note in notes if warn else ():
        warnings.warn(note, DataWarning, stacklevel=3)


def site_capacity(inputs: PlanInputs, config: ScenarioConfig | None = None) -> np.ndarray | None:
    """Each site's capacity: its layer's ``capacity_col`` where given, else ``model.capacity``.

    None when no site has one. Raises :class:`ConfigError` when the capacitated model
    lacks a capacity for some site.
    """
    cfg = config or inputs.config
    sites = inputs.sites
    n = len(sites)
    cap = (
        sites["capacity"].to_numpy(dtype=np.float64)
        if "capacity" in sites.columns
        else np.full(n, np.nan)
    )
    if cfg.model.capacity is not None:
        cap = np.where(np.isnan(cap), float(cfg.model.capacity), cap)
    missing = np.isnan(cap)
    need = model_spec(cfg.model.name).capacity
    if need == "required" and missing.any():
        ids = sites["site_id"].to_numpy()[missing][:5].tolist()
        raise ConfigError(
            f"model {cfg.model.name!r} needs a capacity for every site; {int(missing.sum())} "
            f"have none (e.g. {ids}). Set model.capacity (one value for all, in demand-weight "
            "units) or capacity_col in [data.candidates] / [data.existing] for a column."
        )
    if missing.all() or (missing.any() and need != "optional"):
        return None  # models without capacities: KPIs only where every site has one
    if missing.any():
        ids = sites["site_id"].to_numpy()[missing][:5].tolist()
        raise ConfigError(
            f"{int(missing.sum())} site(s) have no capacity (e.g. {ids}) while others do; fill "
            "the capacity column or set model.capacity as the default."
        )
    return cap


def build_problem(inputs: PlanInputs, config: ScenarioConfig | None = None) -> Problem:
    """The optimisation problem of a scenario on loaded inputs."""
    cfg = config or inputs.config
    m = cfg.model
    cost = inputs.travel.minutes if m.cost == "minutes" else inputs.travel.distance_m
    sites = inputs.sites
    return Problem(
        cost,
        inputs.demand["weight"].to_numpy(),
        capacity=site_capacity(inputs, cfg),
        opening_cost=None
        if m.opening_cost is None
        else np.where(sites["existing"], 0.0, m.opening_cost),
        required=sites["keep"].to_numpy(dtype=bool),
        existing=sites["existing"].to_numpy(dtype=bool),
    )


def baseline_sites(inputs: PlanInputs) -> np.ndarray:
    """Indices of today's centres (the baseline network), empty when none are given."""
    return np.flatnonzero(inputs.sites["existing"].to_numpy(dtype=bool))


def plan(
    inputs: PlanInputs, config: ScenarioConfig | None = None, *, stop: StopToken | None = None
) -> tuple[Problem, Solution]:
    """Build and solve the scenario's model on loaded inputs (``stop``: see
    :func:`planner.optimize.solve`)."""
    cfg = config or inputs.config
    from planner.optimize import solve

    problem = build_problem(inputs, cfg)
    args = solve_options(inputs, cfg)
    if stop is not None:
        args["options"] = replace(args["options"], stop=stop)
    return problem, solve(problem, **args)


def service_standards(config: ScenarioConfig) -> ServiceStandards:
    """The scenario's standards as :class:`planner.evaluate.kpis.ServiceStandards`."""
    s = config.standards
    return ServiceStandards(
        service_minutes=tuple(s.service_minutes),
        response_minutes={
            "urban": s.response_minutes_urban,
            "rural": s.response_minutes_rural,
            "remote": s.response_minutes_remote,
        },
    )


def kpi_arguments(inputs: PlanInputs, config: ScenarioConfig | None = None) -> dict[str, Any]:
    """The keyword arguments of :func:`planner.evaluate.kpis.plan_kpis` for loaded inputs."""
    cfg = config or inputs.config
    d = inputs.demand
    capacity = site_capacity(inputs, cfg)
    return {
        "distance_m": inputs.travel.distance_m,
        "minutes": inputs.travel.minutes,
        "population": d["population"].to_numpy(),
        "pop_65plus": d["pop_65plus"].to_numpy(),
        "demand_weight": d["weight"].to_numpy(),
        "fault_intensity": d["fault_intensity"].to_numpy(),
        "is_hotspot": d["is_hotspot"].to_numpy(),
        "zone": d["zone"].to_numpy(),
        "capacity": capacity,
        "standards": service_standards(cfg),
        "site_labels": _site_labels(inputs.sites, cfg.outputs.language),
        "demand_ids": d["demand_id"].tolist(),
    }


def measure(
    inputs: PlanInputs, solution: Solution, config: ScenarioConfig | None = None
) -> tuple[PlanKPIs, PlanKPIs | None]:
    """KPIs of the plan and of today's baseline (``None`` without existing centres)."""
    common = kpi_arguments(inputs, config)
    kpis = plan_kpis(solution, **common)
    base = baseline_sites(inputs)
    baseline = baseline_kpis(base, **common) if base.size else None
    return kpis, baseline


def _site_labels(sites: gpd.GeoDataFrame, language: str) -> list[str]:
    col = "name_zh" if language == "zh" else "name_en"
    return [f"{sid} {name}".strip() for sid, name in zip(sites["site_id"], sites[col], strict=True)]


def run_scenario(
    scenario: str | Path | ScenarioConfig,
    *,
    out_dir: str | Path | None = None,
    force: bool = False,
    inputs: PlanInputs | None = None,
    progress: Progress | None = None,
    stop: StopToken | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run a scenario file (or validated config) end to end.

    Parameters
    ----------
    scenario
        Path of a scenario TOML file, or a :class:`~planner.runs.config.ScenarioConfig`.
    out_dir
        Folder for the outputs (map.html, report.html, plan.gpkg, kpis.json,
        assignment.csv, chosen_sites.geojson, scenario.lock.toml). ``None``: write nothing.
    force
        Replace an existing ``out_dir``.
    inputs
        Already loaded inputs to reuse (sweeps); must come from the same data settings.
    progress
        ``progress(stage, message, share_done)``, told of each stage as it starts
        (``reading``, ``aggregation``, ``travel``, ``solve``, ``kpis``, ``outputs``).
    stop
        A stop token (anything with ``is_set()``, e.g. :class:`threading.Event`): checked
        before every stage and every progress step of the inputs, and handed to the
        solve (:func:`planner.optimize.solve`), which ends at its next check. A run whose
        token is set before it finished raises :class:`~planner.errors.RunStoppedError` and
        leaves nothing: no ``out_dir`` (the outputs are written to a temporary folder
        that is only renamed into place when the run was not stopped), and the plan of a
        stopped solve is not returned (call :func:`planner.optimize.solve` with ``stop``
        for the best plan found before a stop).
    executor
        Where road-network travel costs are computed, by blocks of sites (see
        :func:`load_inputs`); ``None``: here. ``planner run --scheduler/--workers``
        passes a Dask cluster's.

    Returns
    -------
    RunResult

    Raises
    ------
    RunStoppedError
        When ``stop`` was set before the run finished.
    """
    config = scenario if isinstance(scenario, ScenarioConfig) else load_scenario(scenario)
    stop = check_stop_token(stop)
    if out_dir is None:
        return _run(config, inputs, progress, stop, executor)

    # Claimed before the (possibly long) load and solve: every --out problem is found first,
    # and a second run into the same folder stops at once.
    with claim_out_dir(out_dir, force=force, protect=input_paths(config)) as claim:
        result = _run(config, inputs, progress, stop, executor)
        staged = _stoppable(progress, stop)
        staged("outputs", str(out_dir), 0.0)
        with claim.writing() as tmp:
            written = write_outputs(result, tmp)
            _check_stop(stop, "outputs")  # the temporary folder is removed, never renamed
    final = Path(out_dir)
    outputs = {name: final / path.relative_to(tmp) for name, path in written.items()}
    return replace(result, out_dir=final, outputs=outputs)


def _check_stop(stop: StopToken | None, stage: str) -> None:
    if stop is not None and stop.is_set():
        raise RunStoppedError(stage)


def _stoppable(progress: Progress | None, stop: StopToken | None) -> Progress:
    """``progress`` that first checks the stop token (every stage start and step)."""

    def report(stage: str, message: str, share: float) -> None:
        _check_stop(stop, stage)
        if progress is not None:
            progress(stage, message, share)

    return report


def _run(
    config: ScenarioConfig,
    inputs: PlanInputs | None,
    progress: Progress | None = None,
    stop: StopToken | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Load (unless given), solve and measure one scenario (see :func:`run_scenario`)."""
    staged = _stoppable(progress, stop)
    inputs = inputs or load_inputs(config, progress=staged, executor=executor)
    staged("solve", f"{config.model.name}, {len(inputs.demand):,} demand points", 0.0)
    problem, solution = plan(inputs, config, stop=stop)
    _check_stop(stop, "solve")
    staged("kpis", solution.quality(), 0.0)
    kpis, baseline = measure(inputs, solution, config) if solution.has_plan else (None, None)
    result = RunResult(
        config=config,
        inputs=inputs,
        problem=problem,
        solution=solution,
        baseline_open_sites=baseline_sites(inputs),
        kpis=kpis,
        baseline_kpis=baseline,
    )
    return result
