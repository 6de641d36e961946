"""Widget values <-> scenario, and the content keys of the app's caches.

* :func:`state_from_config` / :func:`config_from_state`: the flat dictionary of
  widget values and the :class:`~planner.runs.config.ScenarioConfig` it stands for
  (validated by :func:`planner.runs.config.scenario_from_dict`, so every bad value is
  one :class:`~planner.errors.ConfigError` naming the setting).
* :func:`inputs_key` / :func:`run_key`: content keys (settings plus SHA-256 of
  every input file) for the app's caches; equal keys mean equal results, so a
  cache shared by all sessions never shows one session another's data.

No module-level mutable state: Streamlit sessions share one process.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from planner.errors import ConfigError
from planner.optimize.model_table import models_where
from planner.present.i18n import check_language
from planner.runs.config import ScenarioConfig, SolverConfig, scenario_from_dict
from planner.runs.config import demo_scenario_path as config_demo_path

if TYPE_CHECKING:
    import geopandas as gpd


#: The workflow's steps, in order (keys of ``app_step_<name>`` labels).
STEPS: Final = ("data", "demand", "sites", "travel", "model", "results", "scenarios")
#: Layers a planner can upload, in the order the Data step shows them.
LAYER_SLOTS: Final = ("population", "residential", "faults", "candidates", "existing")
#: Coordinate-system choices of an uploaded layer ("auto": as the file says; "epsg": a code).
CRS_CHOICES: Final = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000", "epsg")
#: Text-encoding choices of an uploaded layer ("auto": UTF-8, then GBK/GB18030).
ENCODING_CHOICES: Final = ("auto", "utf-8", "gb18030")
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
P_MODELS: Final = models_where(p="required")
#: Base maps of the results map.
BASEMAP_CHOICES: Final = ("osm", "gaode", "none")
#: The "no column" choice of optional column pickers.
NONE: Final = ""

_WEIGHT_KEYS: Final = ("population", "residential", "faults")


# --------------------------------------------------------------------------------------
# settings


def demo_scenario_path() -> Path:
    """The demo scenario: ``PLANNER_DEMO_SCENARIO`` if set, else ``scenarios/wuhan_demo.toml``."""
    return config_demo_path(
        hint="start the app from the project folder or set PLANNER_DEMO_SCENARIO to a scenario file"
    )


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
    sweep = sweep_range(int(m.p) if m.p else 8)
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
        "max_snap_m": float(config.travel.max_snap_m),
        "unsnapped": config.travel.unsnapped,
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
        # the app edits one percentile standard (the first of the scenario's)
        "percentile_minutes": float(m.percentile_standards[0][0])
        if m.percentile_standards and m.cost == "minutes"
        else 0.0,
        "percentile_share": 100.0 * float(m.percentile_standards[0][1])
        if m.percentile_standards and m.cost == "minutes"
        else 0.0,
        "capacity": float(m.capacity or 0.0),
        "model_kept": model_kept(config),
        "opening_cost": float(m.opening_cost if m.opening_cost is not None else 2_000_000.0),
        "budget": float(m.budget or 0.0),
        "max_sites": int(m.max_sites or 0),
        "solver_method": config.solver.method,
        "time_limit_s": max(float(config.solver.time_limit_s or 120.0), 0.1),
        # solver settings the page does not show travel with the scenario unchanged
        "target_gap": float(config.solver.target_gap),
        "seed": int(config.solver.seed),
        "sweep_from": sweep[0],
        "sweep_to": sweep[1],
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
        "candidates_capacity_col": _opt(d.candidates.capacity_col) if d.candidates else NONE,
        "existing_id_col": _opt(d.existing.id_col) if d.existing else NONE,
        "existing_name_col": _opt(d.existing.name_col) if d.existing else NONE,
        "existing_name_en_col": _opt(d.existing.name_en_col) if d.existing else NONE,
        "existing_capacity_col": _opt(d.existing.capacity_col) if d.existing else NONE,
    }
    return state


def model_kept(config: ScenarioConfig) -> dict[str, Any]:
    """The model settings of a scenario that the Model step has no field for, kept so that Run
    solves the scenario as ``planner run`` does (they apply while its model stays chosen).

    ``model`` names the model they belong to; then, where set: ``more_standards`` (the
    percentile standards after the first, which the page edits), ``p`` and ``capacity`` of
    facility location (exactly p centres; the capacity of sites without a column value),
    and with ``cost = "distance"`` the ``cost``, ``radius`` (m) and every percentile
    standard (m), which the page's fields in minutes cannot show. Empty when nothing is
    kept.
    """
    m = config.model
    kept: dict[str, Any] = {}
    if m.cost == "distance":
        kept["cost"] = "distance"
        if m.radius is not None:
            kept["radius"] = float(m.radius)
        if m.percentile_standards:
            kept["standards"] = [[float(d), float(s)] for d, s in m.percentile_standards]
    elif m.percentile_standards and len(m.percentile_standards) > 1:
        kept["more_standards"] = [[float(d), float(s)] for d, s in m.percentile_standards[1:]]
    if m.name == "facility_location":
        if m.p is not None:
            kept["p"] = int(m.p)
        if m.capacity is not None:
            kept["capacity"] = float(m.capacity)
    return {"model": m.name, **kept} if kept else {}


def sweep_range(p: int, n_sites: int | None = None) -> tuple[int, int]:
    """The trade-off curve's default range of p: four either side of ``p``, within 1 and
    the number of sites (when known)."""
    hi = p + 4 if n_sites is None else max(1, min(p + 4, n_sites))
    return max(1, min(p - 4, hi)), hi


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
    "max_snap_m",
    "unsnapped",
    "model_name",
    "p",
    "service_minutes",
    "service_minutes_2",
    "response_urban",
    "response_rural",
    "response_remote",
    "enforce_hotspots",
    "percentile_minutes",
    "percentile_share",
    "capacity",
    "model_kept",
    "opening_cost",
    "budget",
    "max_sites",
    "solver_method",
    "time_limit_s",
    "target_gap",
    "seed",
    "categories",
    "exclude_ids",
    "existing_policy",
    "closable_ids",
)


class MissingInputError(ConfigError):
    """Something a step needs is not given yet (a layer, a column, a code); ``key`` names
    it, so the page can say it in its language (the ``app_missing_<key>`` label)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _none(value: Any) -> Any:
    return None if value in (None, NONE) else value


def _crs_setting(state: Mapping[str, Any], slot: str) -> str | None:
    choice = state.get(f"{slot}_crs", "auto")
    if choice in (None, "auto"):
        return None
    if choice == "epsg":
        code = str(state.get(f"{slot}_epsg", "")).strip()
        if not code:
            raise MissingInputError(
                "epsg",
                f"{slot}: coordinate system 'EPSG code' chosen but no code given; type one such as 4547.",
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
    encoding = state.get(f"{slot}_encoding", "auto")
    if encoding not in (None, NONE, "auto"):
        src["encoding"] = str(encoding)
    return src


def encoding_choice(encoding: str | None) -> str:
    """The encoding picker's choice for a scenario's ``encoding`` (GBK and its relatives
    are read as their superset GB18030)."""
    import codecs

    if not encoding:
        return "auto"
    name = codecs.lookup(encoding).name
    if name in ("gbk", "gb2312", "gb18030", "cp936"):
        return "gb18030"
    if name.startswith("utf"):
        return "utf-8"
    return "auto"


def _weights_and_demand(state: Mapping[str, Any]) -> dict[str, Any]:
    if all(float(state.get(f"w_{k}", 0.0) or 0.0) <= 0 for k in _WEIGHT_KEYS):
        raise MissingInputError(
            "weights",
            "demand: population, residential and faults weights are all 0; set at least one > 0",
        )
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
        ``upload_<slot>`` (saved uploads, see :func:`planner.inputs.uploads.save_upload`)
        and ``<slot>_layer``/``<slot>_crs``/``<slot>_epsg``/``<slot>_lon``/``<slot>_lat``/
        ``<slot>_encoding``.
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
        # Only what the scenario file says: a default written out would read back as an
        # explicit column name, which must then exist (pop_65plus in a layer without it).
        data = json.loads(demo.data.model_dump_json(exclude_none=True, exclude_unset=True))
        for section in data.values():
            if not isinstance(section, dict):
                continue
            for key in ("path", "pop65_path"):  # every file a data section names
                if section.get(key):
                    section[key] = str(demo.resolve(Path(section[key])))
        title = demo.title
        name = demo.name
    else:
        population = _upload_source(state, "population")
        if population is None:
            raise MissingInputError(
                "population", "data: upload a population layer (step 1, Data) or use the demo data."
            )
        population["population_col"] = str(state.get("population_col") or "")
        if not population["population_col"]:
            raise MissingInputError(
                "population_col", "data.population: choose the column holding the population."
            )
        population["pop65_col"] = _none(state.get("pop65_col"))
        population["id_col"] = _none(state.get("population_id_col"))
        data = {"population": population}
        residential = _upload_source(state, "residential")
        if residential is not None:
            column = _none(state.get("residential_col"))
            if column is None:
                raise MissingInputError(
                    "residential_col",
                    "data.residential: choose the column holding the residential density.",
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
                "capacity_col": _none(state.get("candidates_capacity_col")),
            }
        elif state.get("generate_candidates"):
            data["generated_candidates"] = {"n_sites": int(state.get("n_generated", 100))}
        else:
            raise MissingInputError(
                "candidates",
                "data.candidates: upload candidate sites, or tick 'generate candidates at the "
                "densest cells'.",
            )
        existing = _upload_source(state, "existing")
        if existing is not None:
            data["existing"] = {
                **existing,
                "id_col": _none(state.get("existing_id_col")),
                "name_col": _none(state.get("existing_name_col")),
                "name_en_col": _none(state.get("existing_name_en_col")),
                "capacity_col": _none(state.get("existing_capacity_col")),
            }
        title = None
        name = "my_scenario"
    # site choices apply to either source
    if "candidates" in data:
        categories = list(state.get("categories") or [])
        category_col = (
            demo.data.candidates.category_col
            if source == "demo" and demo.data.candidates is not None
            else data["candidates"].get("category_col")
        )
        if category_col is None:
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
        "max_snap_m": float(state.get("max_snap_m", 500.0)),
        "unsnapped": state.get("unsnapped", "straight_line"),
    }
    if travel["method"] == "network":
        roads = state.get("upload_roads")
        if not roads:
            raise MissingInputError(
                "roads",
                "travel.network: upload a road network (step 4, Travel) or use straight lines.",
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
    within = float(state.get("percentile_minutes", 0.0) or 0.0)
    share = float(state.get("percentile_share", 0.0) or 0.0) / 100.0
    if within > 0 and share > 0:
        model["percentile_standards"] = [[within, min(share, 1.0)]]
    if model_name in ("mclp", "lscp"):
        model["radius"] = primary
    if model_name == "capacitated_p_median":
        capacity = float(state.get("capacity", 0.0) or 0.0)
        # 0 = not given yet: the Model step asks for it beside the field (Run stays off)
        model["capacity"] = capacity if capacity > 0 else None
    if model_name == "facility_location":
        model["opening_cost"] = float(state.get("opening_cost", 0.0) or 0.0)
        budget = float(state.get("budget", 0.0) or 0.0)
        if budget > 0:
            model["budget"] = budget
        max_sites = int(state.get("max_sites", 0) or 0)
        if max_sites > 0:
            model["max_sites"] = max_sites
    kept = dict(state.get("model_kept") or {})
    if kept.pop("model", None) == model_name:  # the scenario's settings the page cannot show
        if "more_standards" in kept and "percentile_standards" in model:
            model["percentile_standards"] += kept["more_standards"]
        if kept.get("cost") == "distance":
            model["cost"] = "distance"
            model["percentile_standards"] = kept.get("standards")
            if "radius" in model:
                model["radius"] = kept.get("radius")
        for key in ("p", "capacity"):
            if key in kept:
                model[key] = kept[key]

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
            "seed": int(state.get("seed", SolverConfig().seed)),
            "target_gap": float(state.get("target_gap", SolverConfig().target_gap)),
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


def input_paths(config: ScenarioConfig) -> list[Path]:
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
    """A key of everything :func:`planner.runs.pipeline.load_inputs` reads: data, demand and travel
    settings (demand weights excluded: they only re-blend) and the SHA-256 of each input file."""
    doc = config.model_dump(mode="json", include={"data", "demand", "travel"})
    if config.data.generated_candidates is None:
        for key in _WEIGHT_KEYS:
            doc["demand"].pop(key, None)
    doc["_files"] = {str(p): file_fingerprint(p) for p in input_paths(config)}
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
    from planner.inputs.sites import candidate_sites, existing_centres
    from planner.runs.pipeline import read_source

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


def toggled(excluded: Sequence[str], site: str) -> list[str]:
    """The exclusion list after a click on ``site``: taken off if it was on, put on if not."""
    return [s for s in excluded if s != site] if site in excluded else [*excluded, site]


#: Names of the library's arguments and scenario keys in messages, as the app's steps call them.
_PLANNER_WORDS: Final = (
    ("`demand_lonlat`", "the demand points (step 1, population layer)"),
    ("`site_lonlat`", "the sites (step 3)"),
    ("max_snap_m=", "the snapping distance (travel.max_snap_m) = "),
    ("model.p = ", "the number of centres p = "),
    ("model.capacity", "the capacity per centre (step 5)"),
    ("data.existing.policy = 'may_close'", "let today's centres close (step 3)"),
)


def in_planner_words(message: str) -> str:
    """A library message with argument and setting names replaced by what the app calls them."""
    for name, words in _PLANNER_WORDS:
        message = message.replace(name, words)
    return message
