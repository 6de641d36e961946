"""``docs/scenario.md``: every scenario key with its type, default, unit and an example,
written from the pydantic model (:class:`~planner.runs.config.ScenarioConfig`).

Types and defaults come from the model itself; the meaning, unit and example of each key
are in :data:`KEY_DOCS` here. ``scripts/gen_scenario_docs.py`` writes the file and a test
fails when the file differs from :func:`render` or a key of the model has no entry, so the
page cannot drift from the code.
"""

from __future__ import annotations

import types
import typing
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel

from planner.runs.config import LayerSource, ScenarioConfig

__all__ = ["KEY_DOCS", "LAYER_KEY_DOCS", "keys", "render"]

#: Keys every layer source has (``[data.population]``, ``[data.candidates]``, ...,
#: ``[travel.network]``): key -> (unit, example, meaning).
LAYER_KEY_DOCS: Final[dict[str, tuple[str, str, str]]] = {
    "path": (
        "",
        '"data/places.csv"',
        "the file, relative to the scenario file (GeoJSON, GeoPackage, Shapefile or zipped Shapefile, GeoParquet, CSV; GeoTIFF for population)",
    ),
    "layer": (
        "",
        '"candidate_sites"',
        "the layer inside a GeoPackage (or a zipped file's member); default: the first",
    ),
    "crs": (
        "",
        '"EPSG:4547"',
        "coordinate system when the file does not say: wgs84, gcj02, bd09, cgcs2000 or an EPSG code",
    ),
    "datum": (
        "",
        '"gcj02"',
        "the web-map datum of WGS 84-like coordinates: gcj02 (AutoNavi, Tencent POIs) or bd09 (Baidu) are shifted back to WGS 84; leave out for true WGS 84 (`planner validate` warns when Chinese POIs look shifted)",
    ),
    "lon_col": (
        "degrees",
        '"经度"',
        "CSV: the longitude column (guessed from lon/lng/longitude/经度)",
    ),
    "lat_col": ("degrees", '"纬度"', "CSV: the latitude column (guessed from lat/latitude/纬度)"),
    "encoding": (
        "",
        '"gbk"',
        "text encoding of a CSV or a Shapefile's attributes (detected when left out; GBK/GB18030 files are common)",
    ),
    "attribution": (
        "",
        '"WorldPop (CC BY 4.0)"',
        "source and licence shown on maps and reports (else from sources.json beside the file)",
    ),
}

#: Every other key: dotted key -> (unit, example, meaning).
KEY_DOCS: Final[dict[str, tuple[str, str, str]]] = {
    "name": ("", '"wuhan_2026"', "short name of the scenario (run folders, the library)"),
    "title": ("", '"武汉中心城区营业厅布局"', "title on the map and the report"),
    "description": ("", '"Add halls to today\'s 8"', "one line on what the scenario asks"),
    "data.population.population_col": (
        "people",
        '"人口"',
        "the column of residents per cell or point",
    ),
    "data.population.pop65_col": (
        "people",
        '"老年人口"',
        "residents aged 65+ (a KPI); must exist when set explicitly",
    ),
    "data.population.id_col": ("", '"格网编号"', "id of each cell (named in messages and tables)"),
    "data.population.pop65_path": (
        "",
        '"pop65.tif"',
        "GeoTIFF of residents 65+ when `path` is a population GeoTIFF",
    ),
    "data.population.band": ("", "1", "band of a population GeoTIFF"),
    "data.residential.column": ("per km²", '"density"', "residential density of each polygon"),
    "data.faults.timestamp_col": (
        "",
        '"报修时间"',
        "when each fault was reported (recent faults weigh more with a half-life)",
    ),
    "data.candidates.id_col": ("", '"编号"', "id of each candidate site"),
    "data.candidates.name_col": ("", '"名称"', "Chinese name"),
    "data.candidates.name_en_col": ("", '"name_en"', "English name"),
    "data.candidates.capacity_col": (
        "column name",
        '"capacity"',
        "column of each site's capacity (demand-weight units); empty cells: model.capacity "
        "(capacitated models)",
    ),
    "data.candidates.category_col": (
        "",
        '"类别"',
        "category (mall, office, ...), for choosing categories",
    ),
    "data.candidates.categories": (
        "",
        '["mall", "office"]',
        "only candidates of these categories (default: all)",
    ),
    "data.candidates.exclude": ("", '["S12", "S40"]', "candidate ids never to open"),
    "data.generated_candidates.n_sites": (
        "sites",
        "100",
        "without a candidate layer: this many candidates at the densest cells",
    ),
    "data.generated_candidates.min_spacing_m": (
        "m",
        "1000",
        "least distance between generated candidates",
    ),
    "data.existing.id_col": ("", '"centre_id"', "id of each existing centre"),
    "data.existing.name_col": ("", '"名称"', "Chinese name"),
    "data.existing.name_en_col": ("", '"name_en"', "English name"),
    "data.existing.capacity_col": (
        "column name",
        '"capacity"',
        "column of each centre's capacity (demand-weight units); empty cells: model.capacity "
        "(capacitated models)",
    ),
    "data.existing.policy": (
        "",
        '"may_close"',
        "keep: today's centres stay open and count in p; may_close: the model may close them",
    ),
    "data.existing.closable": ("", '["E3"]', "with policy keep: these may close all the same"),
    "demand.population": ("weight", "0.6", "share of the demand weight from population"),
    "demand.residential": ("weight", "0.2", "share from residential density"),
    "demand.faults": ("weight", "0.2", "share from fault records"),
    "demand.fault_half_life_days": (
        "days",
        "180",
        "a fault this old counts half (default: all count the same)",
    ),
    "demand.hotspot_quantile": (
        "share (0-1)",
        "0.9",
        "cells above this quantile of fault intensity are hotspots",
    ),
    "demand.urban_density_per_km2": (
        "people per km²",
        "1500",
        "cells at least this dense are urban (response standard)",
    ),
    "demand.rural_density_per_km2": (
        "people per km²",
        "100",
        "cells at least this dense (and not urban) are rural; sparser ones remote",
    ),
    "demand.cell_size_m": (
        "m",
        "1000",
        "aggregate population cells into squares of this size (faster on large areas)",
    ),
    "travel.method": (
        "",
        '"network"',
        "straight_line (distance × detour ÷ speed) or network (a road graph)",
    ),
    "travel.detour_factor": ("×", "1.3", "straight-line distance × this = road distance"),
    "travel.speed_kmh": ("km/h", "25", "travel speed for straight lines"),
    "travel.mode": ("", '"ebike"', "on a road network: drive, ebike or walk"),
    "travel.cutoff_minutes": ("min", "60", "trips longer than this count as unreachable"),
    "travel.max_snap_m": ("m", "500", "a point farther than this from a road is not snapped to it"),
    "travel.unsnapped": (
        "",
        '"drop"',
        "points too far from roads: straight_line (travel as the crow flies) or drop",
    ),
    "model.name": (
        "",
        '"mclp"',
        "p_median, mclp, lscp, p_center, capacitated_p_median or facility_location (see docs/models.md)",
    ),
    "model.p": (
        "centres",
        "12",
        "number of centres, today's kept ones included (models with p; facility_location: exactly this many)",
    ),
    "model.max_sites": (
        "centres",
        "15",
        "facility_location: at most this many centres (today's included)",
    ),
    "model.cost": (
        "",
        '"minutes"',
        "what the model minimises or covers: travel minutes or distance",
    ),
    "model.percentile_standards": (
        "[min (or m), share]",
        "[[15, 0.8]]",
        "hard standards: at least `share` of the demand weight served within the cost",
    ),
    "model.radius": (
        "min (or m with cost distance)",
        "15",
        "coverage radius (mclp, lscp); default: the first service standard",
    ),
    "model.enforce_hotspot_response": (
        "",
        "true",
        "every fault hotspot must be within its zone's response standard",
    ),
    "model.capacity": (
        "demand weight",
        "250000",
        "capacity of every centre without a value in its layer's capacity_col "
        "(capacitated_p_median; facility_location: each centre then serves at most this)",
    ),
    "model.opening_cost": (
        "demand weight × min",
        "2000000",
        "cost of opening a new centre (facility_location); today's cost nothing",
    ),
    "model.budget": (
        "demand weight × min",
        "6000000",
        "total opening cost allowed (facility_location)",
    ),
    "standards.service_minutes": (
        "min",
        "[15, 30]",
        "service standards: the share of people within each is a KPI",
    ),
    "standards.response_minutes_urban": ("min", "45", "repair response standard in urban cells"),
    "standards.response_minutes_rural": ("min", "90", "in rural cells"),
    "standards.response_minutes_remote": ("min", "120", "in remote cells"),
    "solver.method": (
        "",
        '"exact"',
        "auto (exact when it fits, else the scale methods), exact or heuristic",
    ),
    "solver.solver": ("", '"highs"', "MILP solver: highs or cbc"),
    "solver.time_limit_s": (
        "s",
        "300",
        "stop after this long with the best plan and its certified gap",
    ),
    "solver.seed": ("", "0", "seed of the randomised parts (same seed, same answer)"),
    "solver.target_gap": (
        "share (0-1)",
        "0.001",
        "method auto stops once the certified gap is within this share; 0 works on to the proof or the time limit",
    ),
    "outputs.language": ("", '"en"', "zh or en: labels of maps, reports and tables"),
    "outputs.basemap": (
        "",
        '"gaode"',
        "osm, gaode (AutoNavi, GCJ-02: layers shifted for display), tianditu (with a key) or none",
    ),
    "outputs.map": ("", "true", "write map.html"),
    "outputs.report": ("", "true", "write report.html"),
    "outputs.geopackage": ("", "true", "write plan.gpkg"),
    "outputs.tradeoff_max_p": (
        "centres",
        "20",
        "the trade-off curve goes up to this p (default: a few more than the plan)",
    ),
    "outputs.tradeoff_max_points": (
        "demand points",
        "200000",
        "above this many demand points the curve is skipped",
    ),
    "strict": (
        "",
        "true",
        "plausibility warnings (layers far apart, points far outside the study area, degrees "
        "under a projected CRS) stop the run as errors",
    ),
    "sweep": (
        "",
        '{"model.p" = [8, 10, 12]}',
        "`planner sweep`: settings to vary, dotted key -> list of values",
    ),
}

_SECTIONS: Final = {
    "": "Top level",
    "data.population": "[data.population] (required)",
    "data.residential": "[data.residential]",
    "data.faults": "[data.faults]",
    "data.candidates": "[data.candidates]",
    "data.generated_candidates": "[data.generated_candidates]",
    "data.existing": "[data.existing]",
    "demand": "[demand]",
    "travel": "[travel]",
    "travel.network": "[travel.network]",
    "model": "[model]",
    "standards": "[standards]",
    "solver": "[solver]",
    "outputs": "[outputs]",
}


def _type_name(ann: Any) -> str:
    args = typing.get_args(ann)
    origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return " \\| ".join(f'"{a}"' for a in args)
    if origin in (typing.Union, types.UnionType):
        parts = [_type_name(a) for a in args if a is not type(None)]
        return " \\| ".join(parts) + (" (optional)" if type(None) in args else "")
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return "table"
    if ann is Path:
        return "path"
    return {str: "text", int: "integer", float: "number", bool: "true/false"}.get(ann, str(ann))


def _submodel(ann: Any) -> type[BaseModel] | None:
    for a in typing.get_args(ann) or (ann,):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def keys(model: type[BaseModel] = ScenarioConfig, prefix: str = "") -> list[tuple[str, Any]]:
    """Every scenario key of ``model``: ``(dotted key, pydantic FieldInfo)``, in model order."""
    out: list[tuple[str, Any]] = []
    for name, info in model.model_fields.items():
        if info.exclude:
            continue
        sub = _submodel(info.annotation)
        if sub is not None:
            out.extend(keys(sub, f"{prefix}{name}."))
        else:
            out.append((f"{prefix}{name}", info))
    return out


def _default(info: Any) -> str:
    if info.is_required():
        return "required"
    value = info.default_factory() if info.default_factory is not None else info.default
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value.is_integer():
        return f"{value:.0f}"
    return str(value).replace("'", '"')


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "–"


def _doc(key: str) -> tuple[str, str, str]:
    if key in KEY_DOCS:
        return KEY_DOCS[key]
    leaf = key.rsplit(".", 1)[-1]
    if leaf in LAYER_KEY_DOCS and leaf in LayerSource.model_fields:
        return LAYER_KEY_DOCS[leaf]
    raise KeyError(f"scenario key {key!r} has no entry in planner.runs.scenario_docs.KEY_DOCS")


def render() -> str:
    """The text of ``docs/scenario.md``."""
    rows: dict[str, list[str]] = {s: [] for s in _SECTIONS}
    layer_keys = set(LayerSource.model_fields)
    for key, info in keys():
        section, _, leaf = key.rpartition(".")
        if section not in rows:
            section = ""
        if section.startswith(("data.", "travel.network")) and leaf in layer_keys:
            continue  # in the table of layer keys
        unit, example, meaning = _doc(key)
        rows[section].append(
            f"| `{leaf if section else key}` | {_type_name(info.annotation)} | "
            f"{_cell(_default(info))} | {_cell(unit)} | `{example}` | {_cell(meaning)} |"
        )
    head = "| key | type | default | unit | example | meaning |\n|---|---|---|---|---|---|"
    out = [
        "# Scenario files: every key",
        "",
        "<!-- Generated by scripts/gen_scenario_docs.py from planner/runs/config.py and",
        "     planner/runs/scenario_docs.py; edit those, not this file (a test checks it). -->",
        "",
        "A scenario is a TOML file; paths in it are relative to it. Unknown keys are refused",
        "with their name. `planner validate scenario.toml` checks one without solving.",
        "",
        "## Keys of every layer",
        "",
        "Each of `[data.population]`, `[data.residential]`, `[data.faults]`,",
        "`[data.candidates]`, `[data.existing]` and `[travel.network]` reads one file with these keys",
        "(own data: a CSV of Chinese POIs usually needs `lon_col`, `lat_col`, `encoding` and `datum`):",
        "",
        head,
    ]
    for leaf, info in LayerSource.model_fields.items():
        unit, example, meaning = LAYER_KEY_DOCS[leaf]
        out.append(
            f"| `{leaf}` | {_type_name(info.annotation)} | {_cell(_default(info))} | "
            f"{_cell(unit)} | `{example}` | {_cell(meaning)} |"
        )
    for section, title in _SECTIONS.items():
        if not rows[section]:
            continue
        out += ["", f"## {title}", "", head, *rows[section]]
    out += [
        "",
        "## Example: own layers",
        "",
        "```toml",
        'name = "my_city"',
        "",
        "[data.population]",
        'path = "data/population_cells.geojson"',
        'population_col = "人口"',
        "",
        "[data.candidates]",
        'path = "data/poi.csv"',
        'lon_col = "经度"',
        'lat_col = "纬度"',
        'encoding = "gbk"',
        'datum = "gcj02"   # AutoNavi/Tencent POIs; "bd09" for Baidu',
        'id_col = "编号"',
        'name_col = "名称"',
        'category_col = "类别"',
        "",
        "[model]",
        'name = "p_median"',
        "p = 12",
        "```",
        "",
    ]
    return "\n".join(out)
