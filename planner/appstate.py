"""The app's logic without Streamlit: widget values <-> scenario, cache keys, tables, maps, downloads.

``app.py`` is thin: it draws widgets, keeps their values in
``st.session_state`` and calls the functions here, which take and return plain
values and are tested without a browser.

* :func:`state_from_config` / :func:`config_from_state`: the flat dictionary of
  widget values and the :class:`~planner.config.ScenarioConfig` it stands for
  (validated by :func:`planner.config.scenario_from_dict`, so every bad value is
  one :class:`~planner.errors.ConfigError` naming the setting).
* :func:`inputs_key` / :func:`run_key`: content keys (settings plus SHA-256 of
  every input file) for the app's caches; equal keys mean equal results, so a
  cache shared by all sessions never shows one session another's data.
* :func:`solve_run`: solve, measure and (optionally) sweep over ``p`` with
  :func:`planner.sweep.sweep`; :class:`AppRun` holds the result.
* Tables (:func:`kpi_table`, :func:`site_table`, :func:`worst_table`,
  :func:`data_summary`), the solver's status in plain words
  (:func:`quality_text`, :func:`infeasible_text`), the maps of the inputs and of
  the candidate sites (:func:`inputs_map`, :func:`sites_map`) and the plan
  (:func:`result_map_html`), and the downloads (:func:`download_files`).

No module-level mutable state: Streamlit sessions share one process.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import math
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from planner.config import ScenarioConfig, load_scenario, scenario_from_dict
from planner.errors import ConfigError, InputError
from planner.i18n import check_language, t

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from planner.compare import Comparison
    from planner.library import SavedScenario, ScenarioLibrary
    from planner.optimize import Solution
    from planner.scenario import PlanInputs, RunResult

__all__ = [
    "BASEMAP_CHOICES",
    "CRS_CHOICES",
    "LAYER_SLOTS",
    "MODEL_CHOICES",
    "NONE",
    "STEPS",
    "AppRun",
    "comparison_tables",
    "config_from_state",
    "data_summary",
    "default_library_dir",
    "demo_scenario_path",
    "download_files",
    "file_fingerprint",
    "flagged_rows",
    "headline_metrics",
    "infeasible_text",
    "inputs_key",
    "inputs_map",
    "kpi_table",
    "method_text",
    "nearest_site",
    "quality_text",
    "result_map",
    "result_map_html",
    "run_key",
    "save_run",
    "scenario_bundle",
    "scenario_toml",
    "site_table",
    "sites_map",
    "solve_run",
    "state_from_config",
    "sweep_curve",
    "worst_table",
]

#: The workflow's steps, in order (keys of ``app_step_<name>`` labels).
STEPS: Final = ("data", "demand", "sites", "travel", "model", "results", "scenarios")
#: Layers a planner can upload, in the order the Data step shows them.
LAYER_SLOTS: Final = ("population", "residential", "faults", "candidates", "existing")
#: Coordinate-system choices of an uploaded layer ("auto": as the file says; "epsg": a code).
CRS_CHOICES: Final = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000", "epsg")
#: The location models the app offers (see docs/models.md).
MODEL_CHOICES: Final = (
    "p_median",
    "mclp",
    "lscp",
    "p_center",
    "capacitated_p_median",
    "facility_location",
)
#: Models with a number of centres ``p``.
P_MODELS: Final = ("p_median", "mclp", "p_center", "capacitated_p_median")
#: Base maps of the results map.
BASEMAP_CHOICES: Final = ("osm", "gaode", "none")
#: The "no column" choice of optional column pickers.
NONE: Final = ""

_WEIGHT_KEYS: Final = ("population", "residential", "faults")
_ROOT: Final = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------------------
# settings


def demo_scenario_path() -> Path:
    """The demo scenario: ``PLANNER_DEMO_SCENARIO`` if set, else ``scenarios/wuhan_demo.toml``."""
    env = os.environ.get("PLANNER_DEMO_SCENARIO", "").strip()
    if env:
        return Path(env)
    for candidate in (
        _ROOT / "scenarios" / "wuhan_demo.toml",
        Path.cwd() / "scenarios" / "wuhan_demo.toml",
    ):
        if candidate.exists():
            return candidate
    raise InputError(
        "the demo scenario scenarios/wuhan_demo.toml was not found; start the app from the "
        "project folder or set PLANNER_DEMO_SCENARIO to a scenario file."
    )


def default_library_dir() -> Path:
    """Where saved scenarios live by default: ``PLANNER_LIBRARY_DIR``, else ``~/.service-centre-planner/library``."""
    env = os.environ.get("PLANNER_LIBRARY_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    return Path.home() / ".service-centre-planner" / "library"


# --------------------------------------------------------------------------------------
# widget values <-> scenario


def _opt(value: Any) -> str:
    return NONE if value is None else str(value)


def state_from_config(config: ScenarioConfig) -> dict[str, Any]:
    """The widget values that stand for a scenario (the app's defaults come from the demo).

    Parameters
    ----------
    config
        A validated scenario.

    Returns
    -------
    dict
        Flat ``{widget key: value}``; optional columns are :data:`NONE` when unset.
    """
    d, m, s = config.data, config.model, config.standards
    service = list(s.service_minutes)
    state: dict[str, Any] = {
        "lang": config.outputs.language,
        "basemap": config.outputs.basemap if config.outputs.basemap in BASEMAP_CHOICES else "osm",
        # demand
        "w_population": float(config.demand.population),
        "w_residential": float(config.demand.residential),
        "w_faults": float(config.demand.faults),
        "half_life_days": float(config.demand.fault_half_life_days or 0.0),
        "hotspot_quantile": float(config.demand.hotspot_quantile),
        "cell_size_m": float(config.demand.cell_size_m or 0.0),
        # travel
        "travel_method": config.travel.method,
        "detour_factor": float(config.travel.detour_factor),
        "speed_kmh": float(config.travel.speed_kmh),
        "road_mode": config.travel.mode,
        "cutoff_minutes": float(config.travel.cutoff_minutes),
        # model and standards
        "model_name": m.name,
        "p": int(m.p) if m.p is not None else 8,
        "service_minutes": float(
            m.radius if m.radius is not None and m.cost == "minutes" else service[0]
        ),
        "service_minutes_2": float(service[1]) if len(service) > 1 else 0.0,
        "response_urban": float(s.response_minutes_urban),
        "response_rural": float(s.response_minutes_rural),
        "response_remote": float(s.response_minutes_remote),
        "enforce_hotspots": bool(m.enforce_hotspot_response),
        "capacity": float(m.capacity or 0.0),
        "opening_cost": float(m.opening_cost if m.opening_cost is not None else 2_000_000.0),
        "budget": float(m.budget or 0.0),
        "solver_method": config.solver.method,
        "time_limit_s": float(config.solver.time_limit_s or 120.0),
        "sweep_p": False,
        "sweep_from": max(1, (int(m.p) if m.p else 8) - 4),
        "sweep_to": (int(m.p) if m.p else 8) + 4,
        # sites
        "categories": list(d.candidates.categories or []) if d.candidates else [],
        "exclude_ids": list(d.candidates.exclude) if d.candidates else [],
        "existing_policy": d.existing.policy if d.existing else "keep",
        "closable_ids": list(d.existing.closable) if d.existing else [],
        "generate_candidates": d.candidates is None,
        "n_generated": int(d.generated_candidates.n_sites) if d.generated_candidates else 100,
        # columns of the layers
        "population_col": d.population.population_col,
        "pop65_col": _opt(d.population.pop65_col),
        "population_id_col": _opt(d.population.id_col),
        "residential_col": d.residential.column if d.residential else NONE,
        "faults_time_col": _opt(d.faults.timestamp_col) if d.faults else NONE,
        "candidates_id_col": _opt(d.candidates.id_col) if d.candidates else NONE,
        "candidates_name_col": _opt(d.candidates.name_col) if d.candidates else NONE,
        "candidates_name_en_col": _opt(d.candidates.name_en_col) if d.candidates else NONE,
        "candidates_category_col": _opt(d.candidates.category_col) if d.candidates else NONE,
        "existing_id_col": _opt(d.existing.id_col) if d.existing else NONE,
        "existing_name_col": _opt(d.existing.name_col) if d.existing else NONE,
        "existing_name_en_col": _opt(d.existing.name_en_col) if d.existing else NONE,
    }
    return state


#: Keys of :func:`state_from_config` that are settings, not data: what "apply the settings
#: of a saved scenario" restores.
SETTING_KEYS: Final = (
    "w_population",
    "w_residential",
    "w_faults",
    "half_life_days",
    "hotspot_quantile",
    "cell_size_m",
    "travel_method",
    "detour_factor",
    "speed_kmh",
    "road_mode",
    "cutoff_minutes",
    "model_name",
    "p",
    "service_minutes",
    "service_minutes_2",
    "response_urban",
    "response_rural",
    "response_remote",
    "enforce_hotspots",
    "capacity",
    "opening_cost",
    "budget",
    "solver_method",
    "time_limit_s",
    "categories",
    "exclude_ids",
    "existing_policy",
    "closable_ids",
)


def _none(value: Any) -> Any:
    return None if value in (None, NONE) else value


def _crs_setting(state: Mapping[str, Any], slot: str) -> str | None:
    choice = state.get(f"{slot}_crs", "auto")
    if choice in (None, "auto"):
        return None
    if choice == "epsg":
        code = str(state.get(f"{slot}_epsg", "")).strip()
        if not code:
            raise ConfigError(
                f"{slot}: coordinate system 'EPSG code' chosen but no code given; type one such as 4547."
            )
        return code if code.upper().startswith("EPSG:") else f"EPSG:{code}"
    return str(choice)


def _upload_source(state: Mapping[str, Any], slot: str) -> dict[str, Any] | None:
    """The layer source of an uploaded file, or None when the slot has no upload."""
    saved = state.get(f"upload_{slot}")
    if not saved:
        return None
    src: dict[str, Any] = {"path": str(saved["path"])}
    layer = _none(state.get(f"{slot}_layer"))
    if layer is not None:
        src["layer"] = str(layer)
    crs = _crs_setting(state, slot)
    if crs is not None:
        src["crs"] = crs
    for key, name in (("lon", "lon_col"), ("lat", "lat_col")):
        value = _none(state.get(f"{slot}_{key}"))
        if value is not None:
            src[name] = str(value)
    return src


def _weights_and_demand(state: Mapping[str, Any]) -> dict[str, Any]:
    half_life = float(state.get("half_life_days", 0.0) or 0.0)
    return {
        "population": float(state["w_population"]),
        "residential": float(state["w_residential"]),
        "faults": float(state["w_faults"]),
        "fault_half_life_days": half_life if half_life > 0 else None,
        "hotspot_quantile": float(state.get("hotspot_quantile", 0.9)),
        "cell_size_m": float(state.get("cell_size_m", 0.0) or 0.0) or None,
    }


def config_from_state(
    state: Mapping[str, Any],
    *,
    demo: ScenarioConfig,
    session_dir: Path | None = None,
) -> ScenarioConfig:
    """The scenario the widget values stand for.

    Parameters
    ----------
    state
        Widget values (``st.session_state`` or a dict): the keys of
        :func:`state_from_config` plus ``data_source`` (``"demo"`` or ``"upload"``),
        ``upload_<slot>`` (saved uploads, see :func:`planner.uploads.save_upload`)
        and ``<slot>_layer``/``<slot>_crs``/``<slot>_epsg``/``<slot>_lon``/``<slot>_lat``.
    demo
        The demo scenario (its data are used when ``data_source`` is ``"demo"``).
    session_dir
        The session's private folder (road-network cache); default: the demo's folder.

    Returns
    -------
    ScenarioConfig
        With absolute paths, so the scenario file it writes runs from any folder.

    Raises
    ------
    ConfigError
        A missing layer or a bad value, naming the setting.
    """
    source = state.get("data_source", "demo")
    data: dict[str, Any]
    if source == "demo":
        data = json.loads(demo.data.model_dump_json(exclude_none=True))
        for section in data.values():
            if isinstance(section, dict) and "path" in section:
                section["path"] = str(demo.resolve(Path(section["path"])))
        title = demo.title
        name = demo.name
    else:
        population = _upload_source(state, "population")
        if population is None:
            raise ConfigError(
                "data: upload a population layer (step 1, Data) or use the demo data."
            )
        population["population_col"] = str(state.get("population_col") or "")
        if not population["population_col"]:
            raise ConfigError("data.population: choose the column holding the population.")
        population["pop65_col"] = _none(state.get("pop65_col"))
        population["id_col"] = _none(state.get("population_id_col"))
        data = {"population": population}
        residential = _upload_source(state, "residential")
        if residential is not None:
            column = _none(state.get("residential_col"))
            if column is None:
                raise ConfigError(
                    "data.residential: choose the column holding the residential density."
                )
            data["residential"] = {**residential, "column": column}
        faults = _upload_source(state, "faults")
        if faults is not None:
            data["faults"] = {**faults, "timestamp_col": _none(state.get("faults_time_col"))}
        candidates = _upload_source(state, "candidates")
        if candidates is not None:
            data["candidates"] = {
                **candidates,
                "id_col": _none(state.get("candidates_id_col")),
                "name_col": _none(state.get("candidates_name_col")),
                "name_en_col": _none(state.get("candidates_name_en_col")),
                "category_col": _none(state.get("candidates_category_col")),
            }
        elif state.get("generate_candidates"):
            data["generated_candidates"] = {"n_sites": int(state.get("n_generated", 100))}
        else:
            raise ConfigError(
                "data.candidates: upload candidate sites, or tick 'generate candidates at the densest cells'."
            )
        existing = _upload_source(state, "existing")
        if existing is not None:
            data["existing"] = {
                **existing,
                "id_col": _none(state.get("existing_id_col")),
                "name_col": _none(state.get("existing_name_col")),
                "name_en_col": _none(state.get("existing_name_en_col")),
            }
        title = None
        name = "my_scenario"
    # site choices apply to either source
    if "candidates" in data:
        categories = list(state.get("categories") or [])
        if data["candidates"].get("category_col") is None:
            categories = []
        data["candidates"]["categories"] = categories or None
        data["candidates"]["exclude"] = [str(x) for x in state.get("exclude_ids") or []]
    if "existing" in data:
        data["existing"]["policy"] = state.get("existing_policy", "keep")
        data["existing"]["closable"] = (
            [str(x) for x in state.get("closable_ids") or []]
            if state.get("existing_policy", "keep") == "keep"
            else []
        )
    data = {
        k: ({kk: vv for kk, vv in v.items() if vv is not None} if isinstance(v, dict) else v)
        for k, v in data.items()
    }

    travel: dict[str, Any] = {
        "method": state.get("travel_method", "straight_line"),
        "detour_factor": float(state.get("detour_factor", 1.3)),
        "speed_kmh": float(state.get("speed_kmh", 25.0)),
        "mode": state.get("road_mode", "drive"),
        "cutoff_minutes": float(state.get("cutoff_minutes", 60.0)),
    }
    if travel["method"] == "network":
        roads = state.get("upload_roads")
        if not roads:
            raise ConfigError(
                "travel.network: upload a road network (step 4, Travel) or use straight lines."
            )
        travel["network"] = {"path": str(roads["path"])}
        road_layer = _none(state.get("roads_layer"))
        if road_layer is not None:
            travel["network"]["layer"] = str(road_layer)

    model_name = str(state.get("model_name", "p_median"))
    primary = float(state.get("service_minutes", 15.0))
    second = float(state.get("service_minutes_2", 0.0) or 0.0)
    service = sorted({primary, second} - {0.0}) if second > 0 else [primary]
    model: dict[str, Any] = {
        "name": model_name,
        "p": int(state.get("p", 8)) if model_name in P_MODELS else None,
        "cost": "minutes",
        "enforce_hotspot_response": bool(state.get("enforce_hotspots", False)),
    }
    if model_name in ("mclp", "lscp"):
        model["radius"] = primary
    if model_name == "capacitated_p_median":
        capacity = float(state.get("capacity", 0.0) or 0.0)
        if capacity <= 0:
            raise ConfigError(
                "model.capacity: the capacitated model needs a capacity per centre > 0."
            )
        model["capacity"] = capacity
    if model_name == "facility_location":
        model["opening_cost"] = float(state.get("opening_cost", 0.0) or 0.0)
        budget = float(state.get("budget", 0.0) or 0.0)
        if budget > 0:
            model["budget"] = budget

    doc: dict[str, Any] = {
        "name": name,
        "title": title,
        "data": data,
        "demand": _weights_and_demand(state),
        "travel": travel,
        "model": {k: v for k, v in model.items() if v is not None},
        "standards": {
            "service_minutes": service,
            "response_minutes_urban": float(state.get("response_urban", 45.0)),
            "response_minutes_rural": float(state.get("response_rural", 90.0)),
            "response_minutes_remote": float(state.get("response_remote", 120.0)),
        },
        "solver": {
            "method": state.get("solver_method", "auto"),
            "solver": "highs",
            "time_limit_s": float(state.get("time_limit_s", 120.0)),
            "seed": 0,
        },
        "outputs": {
            "language": check_language(state.get("lang", "zh")),
            "basemap": state.get("basemap", "osm"),
        },
    }
    doc["demand"] = {k: v for k, v in doc["demand"].items() if v is not None}
    if doc["title"] is None:
        doc.pop("title")
    base = session_dir if session_dir is not None else demo.base_dir
    return scenario_from_dict(doc, base_dir=Path(base), source="settings")


# --------------------------------------------------------------------------------------
# cache keys


@lru_cache(maxsize=64)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_fingerprint(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (memoised by path, modification time and size)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return "missing"
    return _sha256(str(p.resolve()), st.st_mtime_ns, st.st_size)


def _input_paths(config: ScenarioConfig) -> list[Path]:
    d = config.data
    sources = [
        d.population,
        d.residential,
        d.faults,
        d.candidates,
        d.existing,
        config.travel.network,
    ]
    return [config.resolve(s.path) for s in sources if s is not None]


def inputs_key(config: ScenarioConfig) -> str:
    """A key of everything :func:`planner.scenario.load_inputs` reads: data, demand and travel
    settings (demand weights excluded: they only re-blend) and the SHA-256 of each input file."""
    doc = config.model_dump(mode="json", include={"data", "demand", "travel"})
    if config.data.generated_candidates is None:
        for key in _WEIGHT_KEYS:
            doc["demand"].pop(key, None)
    doc["_files"] = {str(p): file_fingerprint(p) for p in _input_paths(config)}
    doc["_base_dir"] = str(config.base_dir)
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_key(config: ScenarioConfig) -> str:
    """A key of a whole run: :func:`inputs_key` plus every other setting."""
    doc = config.model_dump(mode="json", exclude={"outputs"})
    doc.pop("data", None)
    doc["_inputs"] = inputs_key(config)
    text = json.dumps(doc, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def site_choices_key(config: ScenarioConfig) -> str:
    """A key of :func:`site_choices`: the candidate and existing layers and their columns."""
    doc = config.model_dump(
        mode="json",
        include={"data": {"candidates", "existing"}},
        exclude={
            "data": {"candidates": {"categories", "exclude"}, "existing": {"policy", "closable"}}
        },
    )
    d = config.data
    doc["_files"] = {
        str(config.resolve(s.path)): file_fingerprint(config.resolve(s.path))
        for s in (d.candidates, d.existing)
        if s is not None
    }
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def site_choices(
    config: ScenarioConfig,
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """Every candidate site (before filtering by category or exclusion) and every existing centre.

    What the Sites step offers to choose from; ``None`` for a layer the scenario does not have.
    """
    from planner.scenario import read_source
    from planner.sites import candidate_sites, existing_centres

    d = config.data
    candidates = None
    if d.candidates is not None:
        c = d.candidates
        candidates = candidate_sites(
            read_source(config, c, "candidate sites"),
            categories=None,
            id_col=c.id_col,
            name_col=c.name_col,
            name_en_col=c.name_en_col,
            category_col=c.category_col,
        )
    existing = None
    if d.existing is not None:
        e = d.existing
        existing = existing_centres(
            read_source(config, e, "existing centres"),
            policy="may_close",
            id_col=e.id_col,
            name_col=e.name_col,
            name_en_col=e.name_en_col,
        )
    return candidates, existing


# --------------------------------------------------------------------------------------
# running


@dataclass(frozen=True, eq=False)
class AppRun:
    """One solved run in the app.

    Attributes
    ----------
    key
        :func:`run_key` of the run (cache key of its maps and downloads).
    result
        The :class:`~planner.scenario.RunResult` (config, inputs, problem, solution, KPIs).
    curve
        The trade-off over ``p`` (``p``, ``status``, ``objective``, ``mean_minutes``,
        ``coverage_share``), when a sweep over ``p`` was asked for.
    timings
        Seconds per stage (``inputs``, ``solve``, ``sweep``).
    """

    key: str
    result: RunResult
    curve: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def config(self) -> ScenarioConfig:
        """The scenario of the run."""
        return self.result.config

    @property
    def solution(self) -> Solution:
        """The solver's answer."""
        return self.result.solution


def solve_run(inputs: PlanInputs, config: ScenarioConfig, *, key: str) -> AppRun:
    """Solve a scenario on loaded inputs (re-blended to its demand weights) and measure the plan.

    Parameters
    ----------
    inputs
        Inputs from :func:`planner.scenario.load_inputs` with the same :func:`inputs_key`.
    config
        The scenario.
    key
        Its :func:`run_key`.
    """
    import time

    from planner.scenario import run_scenario
    from planner.sweep import inputs_for

    t0 = time.perf_counter()
    result = run_scenario(config, inputs=inputs_for(inputs, config))
    return AppRun(key=key, result=result, timings={"solve": time.perf_counter() - t0})


def sweep_curve(
    run: AppRun,
    sweep_p: tuple[int, int],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame | None:
    """The trade-off over ``p``: every other ``p`` in ``sweep_p`` solved with :func:`planner.sweep.sweep`.

    Parameters
    ----------
    run
        The run (its plan is the curve's point at its own ``p``).
    sweep_p
        ``(low, high)``, clipped to the kept centres and the number of sites.
    progress
        ``progress(done, total)`` after each point.

    Returns
    -------
    pandas.DataFrame or None
        ``p``, ``status``, ``objective``, ``mean_minutes``, ``coverage_share`` (within the
        first service standard), ``improvement``; None for models without ``p`` or without a plan.
    """
    from planner.sweep import sweep

    result = run.result
    config = result.config
    if config.model.name not in P_MODELS or not result.solution.has_plan:
        return None
    inputs = result.inputs
    low, high = sorted((int(sweep_p[0]), int(sweep_p[1])))
    n_kept = int(inputs.sites["keep"].sum())
    low = max(low, n_kept, 1)
    high = min(high, len(inputs.sites))
    current = int(config.model.p or result.solution.p)
    values = [p for p in range(low, high + 1) if p != current]
    std = float(config.standards.service_minutes[0])
    cov_key = f"within_{std:g}min_share"
    summary = result.kpis.summary() if result.kpis is not None else {}
    rows = [
        {
            "p": current,
            "status": result.solution.status.value,
            "objective": float(result.solution.objective),
            "mean_minutes": summary.get("mean_minutes"),
            "coverage_share": summary.get(cov_key),
        }
    ]
    if values:
        done = sweep(
            config,
            {"model.p": values},
            parallel=False,
            inputs=inputs,
            run_folders=False,
            progress=progress,
        )
        for _, row in done.table.iterrows():
            rows.append(
                {
                    "p": int(row["model.p"]),
                    "status": row["status"],
                    "objective": row["objective"],
                    "mean_minutes": row.get("mean_minutes", math.nan),
                    "coverage_share": row.get(cov_key, math.nan),
                }
            )
    curve = pd.DataFrame(rows).astype({"mean_minutes": float, "coverage_share": float})
    curve = curve.sort_values("p", kind="stable").reset_index(drop=True)
    curve["improvement"] = -curve["mean_minutes"].diff()
    return curve


# --------------------------------------------------------------------------------------
# the solver's status in plain words


def quality_text(solution: Solution, lang: str) -> str:
    """How good the plan is, in plain words: "proven optimal", "within 0.40 % of optimal (certified)"."""
    check_language(lang)
    status = solution.status.value
    if status == "optimal":
        return t("app_quality_optimal", lang)
    if status == "feasible":
        if solution.gap is None:
            return t("app_quality_no_bound", lang)
        return t("app_quality_gap", lang, gap=f"{100.0 * solution.gap:.2f}")
    if status == "infeasible":
        return t("app_quality_infeasible", lang)
    return t("app_quality_none", lang)


def method_text(method: str, lang: str) -> str:
    """How a plan was found (``Solution.method``, e.g. ``"lagrangian+branch_and_bound"``) in
    ``lang``; parts without a label stay as they are."""
    from planner.i18n import LABELS

    check_language(lang)
    parts = [
        t(f"method_part_{part}", lang) if f"method_part_{part}" in LABELS else part
        for part in method.split("+")
    ]
    return " + ".join(parts)


def infeasible_text(run: AppRun, lang: str) -> str:
    """Why there is no plan, in plain words and ``lang`` (the optimiser's diagnosis, with
    the demand points' ids), and what to try."""
    check_language(lang)
    solution = run.solution
    why = run.result.why_no_plan(lang)
    if solution.status.value == "infeasible":
        lead = t("app_infeasible_lead", lang)
    else:
        lead = t("app_no_solution_lead", lang)
    text = f"{lead} {why}" if why else lead
    return f"{text} {t('app_infeasible_hint', lang)}"


# --------------------------------------------------------------------------------------
# tables


def _fmt(key: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        return f"{100.0 * value:.1f} %"
    if key == "n_centres":
        return f"{value:.0f}"
    return f"{value:,.1f}"


def _fmt_change(key: str, value: float | None, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        return f"{100.0 * value:+.1f}{t('percentage_points', lang)}"
    if key == "n_centres":
        return f"{value:+.0f}"
    return f"{value:+,.1f}"


def kpi_table(run: AppRun, lang: str) -> pd.DataFrame:
    """The plan's KPIs beside today's centres, with the change, labelled in ``lang``."""
    from planner.kpis import compare_kpis, kpi_label

    kpis, base = run.result.kpis, run.result.baseline_kpis
    if kpis is None:
        return pd.DataFrame()
    if base is None:
        summary = kpis.summary()
        return pd.DataFrame(
            {
                t("kpi_metric", lang): [kpi_label(k, lang) for k in summary],
                t("kpi_plan", lang): [_fmt(k, v) for k, v in summary.items()],
            }
        )
    df = compare_kpis(kpis, base)
    return pd.DataFrame(
        {
            t("kpi_metric", lang): [kpi_label(str(k), lang) for k in df.index],
            t("kpi_plan", lang): [_fmt(str(k), v) for k, v in df["plan"].items()],
            t("kpi_baseline", lang): [_fmt(str(k), v) for k, v in df["baseline"].items()],
            t("kpi_change", lang): [_fmt_change(str(k), v, lang) for k, v in df["change"].items()],
        }
    )


#: KPI keys shown as headline metrics (those present).
_HEADLINE: Final = (
    "n_centres",
    "mean_minutes",
    "within_{std}min_share",
    "zone_standard_share",
    "hotspots_within_response_share",
)


def headline_metrics(run: AppRun, lang: str) -> list[tuple[str, str, str | None, str]]:
    """``(label, value, change, colour)`` of the headline KPIs for ``st.metric``.

    ``colour`` is ``"normal"`` when a larger value is better, ``"inverse"`` when smaller is
    (travel minutes), ``"off"`` for counts.
    """
    from planner.kpis import kpi_label

    kpis, base = run.result.kpis, run.result.baseline_kpis
    if kpis is None:
        return []
    std = f"{run.config.standards.service_minutes[0]:g}"
    a = kpis.summary()
    b = base.summary() if base is not None else {}
    out = []
    for pattern in _HEADLINE:
        key = pattern.format(std=std)
        if key not in a or a[key] is None:
            continue
        value = a[key]
        change = None
        if key in b and b[key] is not None and value is not None:
            change = _fmt_change(key, float(value) - float(b[key]), lang)
        colour = "off" if key == "n_centres" else ("inverse" if "minutes" in key else "normal")
        out.append((kpi_label(key, lang), _fmt(key, value), change, colour))
    return out


def _name_col(lang: str) -> str:
    return "name_zh" if lang == "zh" else "name_en"


def site_table(run: AppRun, lang: str) -> pd.DataFrame:
    """The open sites: number, id, name, category, new or kept, population served, mean travel, fault load."""
    result = run.result
    sites = result.inputs.sites
    open_idx = result.solution.open_sites
    kpis = result.kpis
    cat_col = "category_zh" if lang == "zh" else "category_en"
    rows = sites.iloc[open_idx]
    df = pd.DataFrame(
        {
            t("rank", lang): np.arange(1, len(open_idx) + 1),
            t("site_id", lang): rows["site_id"].to_numpy(),
            t("name", lang): rows[_name_col(lang)].to_numpy(),
            t("category", lang): rows[cat_col].to_numpy(),
            t("status", lang): [
                t("status_kept" if bool(e) else "status_new", lang) for e in rows["existing"]
            ],
        }
    )
    if kpis is not None:
        pc = kpis.per_centre.reindex(open_idx)
        df[t("population_served", lang)] = pc["population"].round(0).to_numpy()
        df[t("travel_minutes", lang)] = pc["mean_minutes"].round(1).to_numpy()
        if kpis.faults_within_response_share is not None:
            df[t("fault_load", lang)] = pc["fault_load"].round(1).to_numpy()
        if pc["capacity_used_share"].notna().any():
            df[t("capacity_used", lang)] = (100.0 * pc["capacity_used_share"]).round(1).to_numpy()
    return df


def worst_table(run: AppRun, lang: str, *, n: int = 10) -> pd.DataFrame:
    """The worst-served demand points: id, zone, population, travel minutes, serving centre."""
    kpis = run.result.kpis
    if kpis is None or kpis.worst_served.empty:
        return pd.DataFrame()
    sites = run.result.inputs.sites
    w = kpis.worst_served.head(n)
    names = []
    for s in w["site"].to_numpy():
        s = int(s)
        names.append(sites[_name_col(lang)].iloc[s] if s >= 0 else t("unserved", lang))
    out = pd.DataFrame(
        {
            t("demand_id", lang): w["demand_id"].astype(str).to_numpy(),
            t("population", lang): w["population"].round(0).to_numpy(),
            t("travel_minutes", lang): w["travel_minutes"].round(1).to_numpy(),
            t("served_by", lang): names,
        }
    )
    if "zone" in w.columns:
        out.insert(
            1,
            t("zone", lang),
            [
                t(f"zone_{z}", lang) if z in ("urban", "rural", "remote") else str(z)
                for z in w["zone"]
            ],
        )
    return out


def data_summary(inputs: PlanInputs, lang: str) -> tuple[pd.DataFrame, list[str]]:
    """What was read: one row per layer (count, note), and the problems found, in ``lang``."""
    d = inputs.demand
    sites = inputs.sites
    minx, miny, maxx, maxy = d.total_bounds
    n_existing = int(sites["existing"].sum())
    rows = [
        (
            t("app_layer_population", lang),
            len(d),
            t("app_total_population", lang, n=f"{d['population'].sum():,.0f}"),
        ),
        (t("app_layer_candidates", lang), len(sites) - n_existing, ""),
        (t("app_layer_existing", lang), n_existing, ""),
        (
            t("app_layer_faults", lang),
            0 if inputs.faults is None else len(inputs.faults),
            t("app_hotspots", lang, n=int(d["is_hotspot"].sum())),
        ),
    ]
    table = pd.DataFrame(
        rows, columns=[t("app_layer", lang), t("app_count", lang), t("app_note", lang)]
    )
    table.attrs["bbox"] = (float(minx), float(miny), float(maxx), float(maxy))
    problems: list[str] = []
    outside = int(d.attrs.get("faults_outside_cells", 0) or 0)
    if outside:
        problems.append(t("app_problem_faults_outside", lang, n=outside))
    zero = int((d["population"] <= 0).sum())
    if zero:
        problems.append(t("app_problem_zero_population", lang, n=zero))
    pad = 0.05
    sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
    far = int(((sx < minx - pad) | (sx > maxx + pad) | (sy < miny - pad) | (sy > maxy + pad)).sum())
    if far:
        problems.append(t("app_problem_sites_outside", lang, n=far))
    travel = inputs.travel
    if len(travel.unroutable_demand):
        problems.append(t("app_problem_unroutable_demand", lang, n=len(travel.unroutable_demand)))
    if len(travel.unroutable_sites):
        problems.append(t("app_problem_unroutable_sites", lang, n=len(travel.unroutable_sites)))
    for layer in inputs.simulated_layers:
        problems.append(t("app_problem_simulated", lang, layer=layer))
    return table, problems


def comparison_tables(
    comparison: Comparison, saved: Sequence[SavedScenario], lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs side by side, and each run's sites added, dropped and kept (with names) against the first."""
    from planner.kpis import kpi_label

    kpis = comparison.kpis.copy()
    labels = []
    for key in kpis.index:
        if key == "objective":
            labels.append(t("kpi_objective", lang))
        elif key == "gap":
            labels.append(t("app_gap", lang))
        else:
            try:
                labels.append(kpi_label(str(key), lang))
            except KeyError:
                labels.append(str(key))
    shown = pd.DataFrame(
        {
            col: [
                _fmt(str(k), v) if k != "gap" else _fmt("gap_share", v)
                for k, v in kpis[col].items()
            ]
            for col in kpis.columns
        },
        index=pd.Index(labels, name=t("kpi_metric", lang)),
    )
    names: dict[str, str] = {}
    name_key = _name_col(lang)
    for s in saved:
        for row in s.sites:
            names.setdefault(
                str(row.get("site_id")), str(row.get(name_key) or row.get("name_zh") or "")
            )

    def _named(ids: str) -> str:
        return ", ".join(f"{i} {names.get(i, '')}".strip() for i in ids.split(";") if i)

    sites = comparison.sites
    table = pd.DataFrame(
        {
            t("app_n_open", lang): sites["n_open"].to_numpy(),
            t("app_kept", lang): sites["kept"].to_numpy(),
            t("app_added", lang): [_named(x) for x in sites["added_ids"]],
            t("app_dropped", lang): [_named(x) for x in sites["dropped_ids"]],
        },
        index=pd.Index(sites.index, name=t("app_scenario", lang)),
    )
    return shown, table


# --------------------------------------------------------------------------------------
# maps


def _tiles(m: folium.Map, basemap: str) -> None:
    import folium

    from planner.maps import BASEMAPS

    if basemap == "none":
        return
    base = BASEMAPS.get(basemap, BASEMAPS["osm"])
    kwargs: dict[str, Any] = {"max_zoom": base.max_zoom}
    if base.subdomains:
        kwargs["subdomains"] = base.subdomains
    folium.TileLayer(
        tiles=base.url, attr=base.attribution, name=base.name, control=False, **kwargs
    ).add_to(m)


def _new_map(bounds: Sequence[float], height: str, *, canvas: bool = True) -> folium.Map:
    import folium

    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        prefer_canvas=canvas,
        control_scale=True,
        height=height,
    )
    # Only Leaflet (vendored in planner/static): no jQuery/Bootstrap from a CDN.
    from planner.maps import LEAFLET_VERSION

    m.default_js = [
        ("leaflet", f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js")
    ]
    m.default_css = [
        ("leaflet_css", f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css")
    ]
    m.fit_bounds([[miny, minx], [maxy, maxx]])
    return m


def _rounded_geojson(geoms: Any, props: list[dict[str, Any]]) -> dict[str, Any]:
    import shapely

    arr = np.asarray(geoms)
    rounded = shapely.transform(arr, lambda xy: np.round(xy, 5))
    parts = shapely.to_geojson(rounded)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": p}
            for g, p in zip(parts, props, strict=True)
        ],
    }


_WEIGHT_COLOURS: Final = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")


def flagged_rows(run: AppRun) -> list[int]:
    """Demand rows a run without a plan is stuck on: those its diagnosis names (points or
    hotspots out of reach, loads above every capacity), sorted; empty for a plan."""
    from planner.optimize.diagnose import findings_of

    return sorted({int(r) for f in findings_of(run.solution.details) for r in f.get("rows", [])})


def inputs_map(
    inputs: PlanInputs,
    lang: str,
    *,
    basemap: str = "osm",
    height: str = "520px",
    flagged: Sequence[int] = (),
) -> folium.Map:
    """The inputs on one map: demand weight per cell (hotspots outlined red), candidate sites, existing centres.

    One GeoJSON layer per kind of feature (demand, candidates, existing), drawn on a canvas.
    ``flagged`` demand rows (e.g. :func:`flagged_rows` of a run without a plan) get a
    layer of their own on top: magenta rings on their centres, visible at any zoom.
    """
    import folium

    check_language(lang)
    d = inputs.demand
    sites = inputs.sites
    m = _new_map(d.total_bounds, height)
    _tiles(m, basemap)
    weight = d["weight"].to_numpy(dtype=float)
    positive = weight[weight > 0]
    edges = np.quantile(positive, [0.2, 0.4, 0.6, 0.8]) if positive.size else np.array([0, 0, 0, 0])
    cls = np.searchsorted(edges, weight, side="right")
    hot = d["is_hotspot"].to_numpy(dtype=bool)
    geoms = d["cell"].to_numpy() if "cell" in d.columns else d.geometry.to_numpy()
    props = [
        {
            "c": _WEIGHT_COLOURS[int(c)],
            "h": int(h),
            "t": html.escape(
                f"{i}: {t('app_demand_weight', lang)} {w:,.0f}, {t('population', lang)} {p:,.0f}"
            ),
        }
        for i, c, h, w, p in zip(d["demand_id"], cls, hot, weight, d["population"], strict=True)
    ]
    is_point = "cell" not in d.columns
    style = lambda f: {  # noqa: E731 - folium wants a callable
        "fillColor": f["properties"]["c"],
        "color": "#d62728" if f["properties"]["h"] else f["properties"]["c"],
        "weight": 2 if f["properties"]["h"] else 0.3,
        "fillOpacity": 0.6,
    }
    folium.GeoJson(
        _rounded_geojson(geoms, props),
        name=t("app_demand_weight", lang),
        style_function=style,
        marker=folium.CircleMarker(radius=4, fill=True) if is_point else None,
        tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
    ).add_to(m)
    name_col = _name_col(lang)
    for existing, label, colour in (
        (False, "layer_candidates", "#ff7f0e"),
        (True, "layer_existing", "#1f4e9c"),
    ):
        part = sites[sites["existing"].to_numpy(dtype=bool) == existing]
        if part.empty:
            continue
        sprops = [
            {"t": html.escape(f"{i} {n}")}
            for i, n in zip(part["site_id"], part[name_col], strict=True)
        ]
        folium.GeoJson(
            _rounded_geojson(part.geometry.to_numpy(), sprops),
            name=t(label, lang),
            marker=folium.CircleMarker(radius=7 if existing else 4, fill=True),
            style_function=lambda f, c=colour: {
                "color": c,
                "fillColor": c,
                "fillOpacity": 0.8,
                "weight": 1.5,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    if len(flagged):
        import shapely

        rows = np.asarray(flagged, dtype=np.int64)
        fprops = [{"t": html.escape(f"{d['demand_id'].iloc[r]}")} for r in rows]
        # Rings on the cells' centres: a few 500-m cells would vanish at city zoom.
        folium.GeoJson(
            _rounded_geojson(shapely.centroid(geoms[rows]), fprops),
            name=t("app_flagged_layer", lang),
            marker=folium.CircleMarker(radius=12, fill=True),
            style_function=lambda f: {
                "color": _FLAGGED,
                "weight": 3,
                "fillOpacity": 0.25,
                "fillColor": _FLAGGED,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    folium.LayerControl(collapsed=True).add_to(m)
    return m


#: Colour of the rings on the demand points a run without a plan is stuck on.
_FLAGGED = "#e7298a"


def sites_map(
    candidates: gpd.GeoDataFrame,
    excluded: Sequence[str],
    lang: str,
    *,
    existing: gpd.GeoDataFrame | None = None,
    basemap: str = "osm",
    height: str = "480px",
) -> folium.Map:
    """Candidate sites to click: included in orange, excluded in grey; existing centres in blue.

    For ``streamlit_folium.st_folium``: each candidate is a circle marker whose
    tooltip starts with its site id.
    """
    import folium

    check_language(lang)
    both = candidates if existing is None or existing.empty else pd.concat([candidates, existing])
    m = _new_map(both.total_bounds, height, canvas=False)  # SVG markers: each one clickable
    _tiles(m, basemap)
    out = set(map(str, excluded))
    name_col = _name_col(lang)
    props = [
        {
            "t": html.escape(
                f"{i} {n}" + (f" ({t('app_excluded', lang)})" if str(i) in out else "")
            ),
            "x": int(str(i) in out),
        }
        for i, n in zip(candidates["site_id"], candidates[name_col], strict=True)
    ]
    folium.GeoJson(
        _rounded_geojson(candidates.geometry.to_numpy(), props),
        name=t("layer_candidates", lang),
        marker=folium.CircleMarker(radius=6, fill=True),
        style_function=lambda f: {
            "color": "#7f7f7f" if f["properties"]["x"] else "#e6550d",
            "fillColor": "#bdbdbd" if f["properties"]["x"] else "#fd8d3c",
            "fillOpacity": 0.85,
            "weight": 1.5,
        },
        tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
    ).add_to(m)
    if existing is not None and not existing.empty:
        eprops = [
            {"t": html.escape(f"{i} {n}")}
            for i, n in zip(existing["site_id"], existing[name_col], strict=True)
        ]
        folium.GeoJson(
            _rounded_geojson(existing.geometry.to_numpy(), eprops),
            name=t("layer_existing", lang),
            marker=folium.CircleMarker(radius=8, fill=True),
            style_function=lambda f: {
                "color": "#1f4e9c",
                "fillColor": "#1f4e9c",
                "fillOpacity": 0.6,
                "weight": 2,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    return m


def nearest_site(
    lat: float, lng: float, sites: gpd.GeoDataFrame, *, max_m: float = 300.0
) -> str | None:
    """The id of the site nearest a clicked point, if within ``max_m`` metres."""
    if sites.empty or not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    x = sites.geometry.x.to_numpy()
    y = sites.geometry.y.to_numpy()
    kx = 111_320.0 * math.cos(math.radians(lat))
    dist = np.hypot((x - lng) * kx, (y - lat) * 110_574.0)
    i = int(np.argmin(dist))
    return str(sites["site_id"].iloc[i]) if dist[i] <= max_m else None


def _map_arguments(result: RunResult, lang: str, basemap: str) -> dict[str, Any]:
    """The keyword arguments of :func:`planner.maps.plan_map`, as the output files use them."""
    from planner.outputs import map_arguments

    return map_arguments(result, language=lang, basemap=basemap)


def result_map(
    run: AppRun,
    lang: str,
    *,
    basemap: str = "osm",
    show_candidates: bool = False,
    show_allocation: bool = False,
    height: str = "640px",
    kpi_panel: bool = True,
) -> folium.Map:
    """The plan's map (:func:`planner.maps.plan_map`) with the app's display options."""
    from planner.maps import plan_map

    result = run.result
    hidden = [
        k for k, on in (("candidates", show_candidates), ("allocation", show_allocation)) if not on
    ]
    args = _map_arguments(result, lang, basemap)
    return plan_map(
        result.inputs.demand,
        result.inputs.sites,
        result.solution,
        **args,
        hidden_layers=hidden,
        height=height,
        kpi_panel=kpi_panel,
    )


def result_map_html(run: AppRun, lang: str, **options: Any) -> str:
    """:func:`result_map` as one standalone page (Leaflet inlined: draws offline)."""
    from planner.maps import map_html

    return map_html(result_map(run, lang, **options))


# --------------------------------------------------------------------------------------
# downloads


def _toml_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _toml_safe(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_toml_safe(v) for v in value if v is not None]
    return value


def scenario_toml(config: ScenarioConfig, *, paths: Mapping[str, str] | None = None) -> str:
    """The scenario file that reproduces the run with ``planner run`` (absolute paths, or ``paths``)."""
    import tomli_w

    doc = json.loads(config.model_dump_json(exclude_none=True))
    for section in (*doc.get("data", {}).values(), doc.get("travel", {}).get("network")):
        if isinstance(section, dict) and "path" in section:
            absolute = str(config.resolve(Path(section["path"])))
            section["path"] = paths.get(absolute, absolute) if paths else absolute
    header = (
        "# Written by the Service-Centre Planner app. Reproduce the run with:\n"
        "#   planner run scenario.toml --out out/run\n"
    )
    return header + tomli_w.dumps(_toml_safe(doc))


def scenario_bundle(config: ScenarioConfig) -> bytes:
    """A zip with ``scenario.toml`` and a copy of every input file under ``data/`` (relative paths)."""
    buf = io.BytesIO()
    mapping: dict[str, str] = {}
    files: list[tuple[Path, str]] = []
    used: set[str] = set()
    for path in _input_paths(config):
        key = str(path)
        if key in mapping:
            continue
        name = path.name
        stem, suffix = path.stem, path.suffix
        i = 1
        while name in used:
            name = f"{stem}_{i}{suffix}"
            i += 1
        used.add(name)
        mapping[key] = f"data/{name}"
        files.append((path, f"data/{name}"))
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("scenario.toml", scenario_toml(config, paths=mapping))
        for path, arc in files:
            zf.write(path, arc)
        sources = config.resolve(config.data.population.path).parent / "sources.json"
        if sources.exists() and "data/sources.json" not in mapping.values():
            zf.write(sources, "data/sources.json")
    return buf.getvalue()


def kpis_document(run: AppRun) -> dict[str, Any]:
    """The run's ``kpis.json`` document (as :func:`planner.outputs.write_outputs` writes it)."""
    from planner.kpis import compare_kpis

    result = run.result
    sol = result.solution
    doc: dict[str, Any] = {
        "scenario": result.config.name,
        "title": result.config.title,
        "solution": sol.to_dict(),
        "plan": None if result.kpis is None else result.kpis.to_dict(),
        "baseline": None if result.baseline_kpis is None else result.baseline_kpis.to_dict(),
        "comparison": None,
        "tradeoff": None if run.curve is None else run.curve.to_dict("records"),
        "open_site_ids": result.chosen_sites["site_id"].tolist(),
        "travel": result.inputs.travel.note,
        "simulated_layers": result.inputs.simulated_layers,
        "attribution": result.inputs.attribution,
    }
    if result.kpis is not None and result.baseline_kpis is not None:
        doc["comparison"] = (
            compare_kpis(result.kpis, result.baseline_kpis).reset_index().to_dict("records")
        )
    return doc


def _json_safe(value: Any) -> Any:
    """NaN and infinity become None (JSON has neither); numpy scalars become Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(_json_safe(doc), ensure_ascii=False, indent=2).encode("utf-8")


def report_page(run: AppRun, lang: str, *, basemap: str = "osm") -> str:
    """The proposal (``report.html``) of the run in ``lang``, with the trade-off curve if swept."""
    from planner.maps import map_html
    from planner.outputs import report_arguments
    from planner.report import report_html

    result = run.result
    if result.kpis is None:
        raise InputError(
            "the run has no plan, so there is no report; change the settings and run again."
        )
    small = result_map(run, lang, basemap=basemap, kpi_panel=False, height="100%")
    return report_html(
        **report_arguments(result, language=lang, tradeoff=run.curve, map_page=map_html(small))
    )


def geopackage_bytes(run: AppRun, lang: str) -> bytes:
    """The plan as a GeoPackage (:func:`planner.export.export_plan_gpkg`)."""
    from planner.export import export_plan_gpkg

    result = run.result
    with tempfile.TemporaryDirectory(prefix="planner-gpkg-") as tmp:
        path = Path(tmp) / "plan.gpkg"
        export_plan_gpkg(
            path,
            demand=result.inputs.demand,
            sites=result.inputs.sites,
            open_sites=result.solution,
            kpis=result.kpis,
            language=lang,
        )
        return path.read_bytes()


def download_files(
    run: AppRun, lang: str, *, basemap: str = "osm"
) -> dict[str, tuple[str, str, Callable[[], bytes]]]:
    """The run's downloads: ``{key: (file name, MIME type, make bytes)}`` (made only when asked).

    Keys: ``map`` (map.html), ``report`` (report.html), ``geopackage`` (plan.gpkg),
    ``assignment`` (assignment.csv), ``sites`` (chosen_sites.csv), ``kpis``
    (kpis.json), ``scenario`` (scenario.toml), ``bundle`` (scenario + data, zip).
    Without a plan only the scenario files are offered.
    """
    from planner.outputs import assignment_table

    config = run.config
    out: dict[str, tuple[str, str, Callable[[], bytes]]] = {}
    if run.result.kpis is not None:
        out["map"] = (
            "map.html",
            "text/html",
            lambda: result_map_html(run, lang, basemap=basemap, height="100%").encode("utf-8"),
        )
        out["report"] = (
            "report.html",
            "text/html",
            lambda: report_page(run, lang, basemap=basemap).encode("utf-8"),
        )
        out["geopackage"] = (
            "plan.gpkg",
            "application/geopackage+sqlite3",
            lambda: geopackage_bytes(run, lang),
        )
        out["assignment"] = (
            "assignment.csv",
            "text/csv",
            lambda: assignment_table(run.result).to_csv(index=False).encode("utf-8-sig"),
        )
        out["sites"] = (
            "chosen_sites.csv",
            "text/csv",
            lambda: site_table(run, lang).to_csv(index=False).encode("utf-8-sig"),
        )
        out["kpis"] = ("kpis.json", "application/json", lambda: _json_bytes(kpis_document(run)))
    out["scenario"] = (
        "scenario.toml",
        "application/toml",
        lambda: scenario_toml(config).encode("utf-8"),
    )
    out["bundle"] = ("scenario_bundle.zip", "application/zip", lambda: scenario_bundle(config))
    return out


# --------------------------------------------------------------------------------------
# the library


def save_run(
    library: ScenarioLibrary,
    name: str,
    run: AppRun,
    lang: str,
    *,
    map_page: str | None = None,
    overwrite: bool = False,
) -> SavedScenario:
    """Save a run in the scenario library (scenario file, lock file, KPIs, open sites, map)."""
    import tomli_w

    from planner.scenario import lock_document

    result = run.result
    if not result.solution.has_plan:
        raise InputError("the run has no plan to save; change the settings and run again.")
    chosen = result.chosen_sites
    sites = [
        {
            "site_id": str(r.site_id),
            "name_zh": str(r.name_zh),
            "name_en": str(r.name_en),
            "category": str(r.category),
            "existing": bool(r.existing),
            "longitude": round(float(r.geometry.x), 6),
            "latitude": round(float(r.geometry.y), 6),
        }
        for r in chosen.itertuples()
    ]
    return library.save(
        name,
        scenario_toml=scenario_toml(result.config),
        lock_toml=tomli_w.dumps(_toml_safe(_json_safe(lock_document(result)))),
        kpis=kpis_document(run),
        open_site_ids=[str(s["site_id"]) for s in sites],
        sites=sites,
        map_html=map_page,
        overwrite=overwrite,
    )


def settings_from_saved(saved: SavedScenario) -> dict[str, Any]:
    """The setting widget values (:data:`SETTING_KEYS`) of a saved scenario."""
    import tomllib

    try:
        doc = tomllib.loads(saved.scenario_toml)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"saved scenario {saved.name!r}: its scenario file is damaged ({exc})."
        ) from None
    config = scenario_from_dict(doc, source=f"saved scenario {saved.name!r}")
    state = state_from_config(config)
    return {k: state[k] for k in SETTING_KEYS}


def load_demo() -> ScenarioConfig:
    """The demo scenario (:func:`demo_scenario_path`), validated."""
    return load_scenario(demo_scenario_path())
