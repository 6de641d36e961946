"""What the app hands out and keeps: downloads of a run, and saving it in the scenario library."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from planner.app.run import AppRun
from planner.app.state import (
    CRS_CHOICES,
    LAYER_SLOTS,
    NONE,
    SETTING_KEYS,
    encoding_choice,
    file_fingerprint,
    input_paths,
    state_from_config,
)
from planner.app.tables import site_table
from planner.errors import ConfigError, InputError
from planner.files import json_safe, toml_safe
from planner.runs.config import ScenarioConfig, scenario_from_dict
from planner.sanitize import csv_bytes

if TYPE_CHECKING:
    from planner.runs.library import SavedScenario, ScenarioLibrary


# --------------------------------------------------------------------------------------
# downloads


def scenario_toml(config: ScenarioConfig, *, paths: Mapping[str, str] | None = None) -> str:
    """The scenario file that reproduces the run with ``planner run`` (absolute paths, or ``paths``)."""
    import tomli_w

    # Only what was set: a default written out would read back as an explicit choice
    # (an explicit column must exist; a default one may be missing).
    doc = json.loads(config.model_dump_json(exclude_none=True, exclude_unset=True))
    for section in (*doc.get("data", {}).values(), doc.get("travel", {}).get("network")):
        if isinstance(section, dict) and "path" in section:
            absolute = str(config.resolve(Path(section["path"])))
            section["path"] = paths.get(absolute, absolute) if paths else absolute
    header = (
        "# Written by the Service-Centre Planner app. Reproduce the run with:\n"
        "#   planner run scenario.toml --out out/run\n"
    )
    return header + tomli_w.dumps(toml_safe(doc))


def scenario_bundle(config: ScenarioConfig) -> bytes:
    """A zip with ``scenario.toml`` and a copy of every input file under ``data/`` (relative paths)."""
    buf = io.BytesIO()
    mapping: dict[str, str] = {}
    files: list[tuple[Path, str]] = []
    used: set[str] = set()
    for path in input_paths(config):
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


#: The run's files the app offers, in button order: keys of
#: :func:`planner.runs.outputs.output_files` (``sites`` and ``bundle`` are the app's own).
RUN_DOWNLOADS: Final = (
    "map",
    "report",
    "geopackage",
    "assignment",
    "sites",
    "chosen_sites",
    "kpis",
    "diagnosis",
    "bundle",
)


def download_files(
    run: AppRun, lang: str, *, basemap: str = "osm"
) -> dict[str, tuple[str, str, Callable[[], bytes]]]:
    """The run's downloads: ``{key: (file name, MIME type, make bytes)}`` (made only when asked).

    The run's files come from :func:`planner.runs.outputs.output_files`, the builder
    ``planner run`` writes its folder with, so a download and the file in a run folder
    are the same bytes (for the same language, base map and trade-off curve): ``map``
    (map.html), ``report`` (report.html), ``geopackage`` (plan.gpkg), ``assignment``
    (assignment.csv), ``chosen_sites`` (chosen_sites.geojson), ``kpis`` (kpis.json);
    without a plan ``diagnosis`` (diagnosis.json, why). The app adds ``sites`` (the
    open-centres table of the page, chosen_sites.csv) and ``bundle`` (scenario.toml with
    paths relative to it and a copy of every layer under ``data/``, zip: a scenario file
    alone would name this session's private upload folder, which works nowhere else).
    """
    from planner.runs.outputs import output_files

    files = {
        key: (f.name, f.mime, f.make)
        for key, f in output_files(
            run.result, curve=run.curve, language=lang, basemap=basemap
        ).items()
    }
    if run.result.kpis is not None:
        files["sites"] = (
            "chosen_sites.csv",
            "text/csv",
            lambda: csv_bytes(site_table(run, lang)),
        )
    files["bundle"] = (
        "scenario_bundle.zip",
        "application/zip",
        lambda: scenario_bundle(run.config),
    )
    return {key: files[key] for key in RUN_DOWNLOADS if key in files}


# --------------------------------------------------------------------------------------
# the library


def save_run(
    library: ScenarioLibrary,
    name: str,
    run: AppRun,
    lang: str,
    *,
    map_page: str | None = None,
    maps: Mapping[str, str] | None = None,
    overwrite: bool = False,
) -> SavedScenario:
    """Save a run in the scenario library (scenario file, lock file, KPIs, open sites, map)
    with a copy of each of its layers (:func:`library_copy`), which its scenario file names."""
    import tomli_w

    from planner.runs.outputs import kpis_document, lock_document

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
    # Copies of the layers in the library: a run saved from uploads reopens after the
    # session (and its private upload folder) is gone.
    kept = {str(p): str(library_copy(library.folder, p)) for p in input_paths(result.config)}
    return library.save(
        name,
        scenario_toml=scenario_toml(result.config, paths=kept),
        lock_toml=tomli_w.dumps(toml_safe(json_safe(lock_document(result)))),
        kpis=kpis_document(result, run.curve),
        open_site_ids=[str(s["site_id"]) for s in sites],
        sites=sites,
        map_html=map_page,
        maps=maps,
        overwrite=overwrite,
    )


def library_copy(library_dir: Path, path: Path) -> Path:
    """A copy of an input file in the library's ``layers/`` folder, named by its SHA-256 (one
    copy per content, however many saved runs use it); written atomically."""
    import os
    import shutil

    digest = file_fingerprint(path)
    dest = library_dir / "layers" / digest[:24] / path.name
    if dest.exists() and file_fingerprint(dest) == digest:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(path, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return dest


def _data_key(config: ScenarioConfig) -> str:
    """The data of a scenario by content (files by SHA-256; site choices left out: settings)."""
    doc = config.data.model_dump(
        mode="json",
        exclude={
            "candidates": {"categories", "exclude"},
            "existing": {"policy", "closable"},
        },
    )
    for section in doc.values():
        if isinstance(section, dict) and "path" in section:
            section["path"] = file_fingerprint(config.resolve(Path(section["path"])))
    return json.dumps(doc, sort_keys=True, default=str)


def _crs_widgets(src: Any, slot: str) -> dict[str, Any]:
    crs = src.crs if src.crs is not None else src.datum
    if crs is None:
        return {f"{slot}_crs": "auto"}
    if str(crs).lower() in CRS_CHOICES:
        return {f"{slot}_crs": str(crs).lower()}
    code = str(crs).upper().removeprefix("EPSG:")
    return {f"{slot}_crs": "epsg", f"{slot}_epsg": code}


def _upload_state(config: ScenarioConfig) -> dict[str, Any]:
    """Widget values that stand for a scenario's own layers, as if uploaded (its files)."""
    from planner.inputs.uploads import layer_names

    out: dict[str, Any] = {"data_source": "upload"}
    whole = state_from_config(config)
    out.update({k: v for k, v in whole.items() if k.endswith("_col") or k in _DATA_KEYS})
    for key, (slot, name) in _COLUMN_FIELDS.items():
        src = getattr(config.data, slot)
        if src is not None and name not in src.model_fields_set:
            out[key] = NONE  # a default column, not a choice: it may be missing from the layer
    sources: dict[str, Any] = {slot: getattr(config.data, slot) for slot in LAYER_SLOTS}
    if config.travel.network is not None:
        sources["roads"] = config.travel.network
    for slot, src in sources.items():
        if src is None:
            out[f"upload_{slot}"] = None
            continue
        path = config.resolve(src.path)
        out[f"upload_{slot}"] = {
            "path": str(path),
            "name": path.name,
            "size": path.stat().st_size,
            "layers": list(layer_names(path)),
        }
        if slot == "roads":
            out["roads_layer"] = src.layer or NONE
            continue
        out[f"{slot}_layer"] = src.layer or NONE
        out[f"{slot}_lon"] = src.lon_col or NONE
        out[f"{slot}_lat"] = src.lat_col or NONE
        out[f"{slot}_encoding"] = encoding_choice(src.encoding)
        out.update(_crs_widgets(src, slot))
    return out


#: Column pickers of optional columns: widget key -> (layer, setting).
_COLUMN_FIELDS: Final = {
    "pop65_col": ("population", "pop65_col"),
    "population_id_col": ("population", "id_col"),
    "faults_time_col": ("faults", "timestamp_col"),
    "candidates_id_col": ("candidates", "id_col"),
    "candidates_name_col": ("candidates", "name_col"),
    "candidates_name_en_col": ("candidates", "name_en_col"),
    "candidates_category_col": ("candidates", "category_col"),
    "candidates_capacity_col": ("candidates", "capacity_col"),
    "existing_id_col": ("existing", "id_col"),
    "existing_name_col": ("existing", "name_col"),
    "existing_name_en_col": ("existing", "name_en_col"),
    "existing_capacity_col": ("existing", "capacity_col"),
}
#: Widget values of the data (besides columns and uploads) a saved run brings back.
_DATA_KEYS: Final = ("generate_candidates", "n_generated")


def settings_from_saved(saved: SavedScenario, *, demo: ScenarioConfig) -> dict[str, Any]:
    """The widget values of a saved scenario: its settings (:data:`SETTING_KEYS`) and its data.

    The data are the demo's when its layers are the demo's files (by content); otherwise the
    saved run's own layers, kept in the library (:func:`library_copy`), as if uploaded.

    Raises
    ------
    InputError
        A layer of the saved run is no longer on disk (a run saved before layers were kept
        in the library): nothing is changed, so the planner never solves other data unaware.
    """
    import tomllib

    try:
        doc = tomllib.loads(saved.scenario_toml)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"saved scenario {saved.name!r}: its scenario file is damaged ({exc})."
        ) from None
    config = scenario_from_dict(doc, source=f"saved scenario {saved.name!r}")
    missing = [p for p in input_paths(config) if not p.exists()]
    if missing:
        raise InputError(
            f"saved scenario {saved.name!r} was made from layers that are no longer on disk "
            f"({', '.join(p.name for p in missing)}): its settings are not applied, so the "
            "current data are not solved by mistake. Upload those layers again (step 1) and "
            "set the steps by hand, or save the run again."
        )
    state = state_from_config(config)
    values = {k: state[k] for k in SETTING_KEYS}
    if _data_key(config) == _data_key(demo) and config.travel.network is None:
        values["data_source"] = "demo"
    else:
        values.update(_upload_state(config))
    return values
