"""The files a run writes: map, report, GeoPackage, KPIs, assignment, lock file.

:func:`output_files` is the one builder of them (by key: name, MIME type, bytes made
when asked): :func:`write_outputs` writes its files and the app's download buttons
hand out the same ones, so a downloaded file and the run folder's never differ.
:func:`write_outputs` writes into a folder it is given; :func:`planner.runs.pipeline.run_scenario`
gives it a temporary folder and renames it into place afterwards, so that a
failure anywhere here leaves no half-written output.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import tomli_w

from planner.files import atomic_write_bytes, file_sha256, json_safe, toml_safe
from planner.runs.options import SolveArgs, solve_options
from planner.sanitize import csv_bytes

if TYPE_CHECKING:
    from planner.runs.results import RunResult


def tradeoff(
    result: RunResult,
    *,
    p_range: tuple[int, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame | None:
    """Objective and coverage for p from the number of kept centres up to ``outputs.tradeoff_max_p``.

    Only for models with a ``p``, and left out above ``outputs.tradeoff_max_points``
    demand points. A plain p-median (no hotspot limits, no service cut) is solved as
    one warm-started run over ``p`` (:func:`planner.optimize.curve.p_median_curve`,
    each point certified within its target gap, both cores, the scenario's time limit
    for the whole curve); other models solve each ``p`` with the scenario's settings.
    The plan's own ``p`` keeps the plan.

    Parameters
    ----------
    result
        The run.
    p_range
        ``(low, high)`` asked for (the app's curve): replaces ``outputs.tradeoff_max_p``
        and ``outputs.tradeoff_max_points``, clipped to the kept centres and the number
        of sites; the plan's own ``p`` is always a point.
    progress
        ``progress(done, total)``: once before any work (``done = 0``), then after each
        ``p`` solved (``total`` = the points other than the plan's own), in the caller's
        thread, for the warm-started curve as for points solved alone.
    """
    from planner.evaluate.tradeoff import tradeoff_curve
    from planner.optimize import solve
    from planner.optimize.model_table import model_spec

    cfg = result.config
    if not model_spec(cfg.model.name).tradeoff:
        return None
    sites = result.inputs.sites
    current = result.solution.p
    low = max(1, int(sites["keep"].sum()))
    if p_range is None:
        max_p = cfg.outputs.tradeoff_max_p
        if max_p is None:
            return None
        max_points = cfg.outputs.tradeoff_max_points
        if max_points is not None and len(result.inputs.demand) > max_points:
            return None
        high = min(max_p, len(sites))
        if high <= low:
            return None
        p_values: Sequence[int] = range(low, high + 1)
    else:
        lo, hi = sorted((int(p_range[0]), int(p_range[1])))
        wanted = range(max(lo, low), min(hi, len(sites)) + 1)
        p_values = sorted({*wanted, int(current)})
    options = solve_options(result.inputs, cfg)
    how = options["options"]
    others = [p for p in p_values if p != current]
    total = len(others)
    plain = (
        options["model"] == "p_median"
        and how.method in ("auto", "heuristic")
        and how.solver == "highs"
        and "hotspot_rows" not in options
        and "radius" not in options
    )
    if plain:
        from planner.optimize.curve import p_median_curve

        if not others and progress is not None:
            progress(0, 0)
        curve = (
            p_median_curve(
                result.problem,
                others,
                time_limit=how.time_limit,
                target_gap=cfg.solver.target_gap or 0.0,
                seed=how.seed,
                workers=min(2, os.cpu_count() or 1),
                progress=progress,
            )
            if others
            else ()
        )
        solved = {s.p: s for s in curve}
        solved[current] = result.solution
        sols: Any = [solved[p] for p in p_values]
    else:
        done = 0
        if progress is not None:
            progress(0, total)

        def options_p(p: int) -> SolveArgs:
            with_p = options.copy()
            with_p["p"] = p
            return with_p

        def sols(p: int) -> Any:
            nonlocal done
            if p == current:
                return result.solution
            solution = solve(result.problem, **options_p(p))
            done += 1
            if progress is not None:
                progress(done, total)
            return solution

    return tradeoff_curve(
        sols,
        minutes=result.inputs.travel.minutes,
        population=result.inputs.demand["population"].to_numpy(),
        standard_minutes=cfg.standards.service_minutes[0],
        p_values=p_values,
    )


def assignment_table(result: RunResult) -> pd.DataFrame:
    """One row per demand point: who serves it and how far it travels."""
    d = result.inputs.demand
    sites = result.inputs.sites
    kpis = result.require_kpis()
    served_by = np.asarray(kpis.assignment)
    ok = served_by >= 0
    ids = np.where(ok, sites["site_id"].to_numpy()[np.where(ok, served_by, 0)], "")
    names = np.where(ok, sites["name_zh"].to_numpy()[np.where(ok, served_by, 0)], "")
    return pd.DataFrame(
        {
            "demand_id": d["demand_id"].to_numpy(),
            "longitude": d.geometry.x.round(6).to_numpy(),
            "latitude": d.geometry.y.round(6).to_numpy(),
            "population": d["population"].round(1).to_numpy(),
            "pop_65plus": d["pop_65plus"].round(1).to_numpy(),
            "fault_intensity": d["fault_intensity"].round(3).to_numpy(),
            "weight": d["weight"].round(2).to_numpy(),
            "zone": d["zone"].to_numpy(),
            "is_hotspot": d["is_hotspot"].to_numpy(),
            "served_by_site_id": ids,
            "served_by_name": names,
            "travel_minutes": np.round(np.asarray(kpis.travel_minutes, dtype=float), 2),
            "travel_distance_m": np.round(np.asarray(kpis.travel_distance_m, dtype=float), 0),
        }
    )


def map_arguments(result: RunResult, *, language: str, basemap: str) -> dict[str, Any]:
    """Keyword arguments of :func:`planner.present.maps.plan_map` for a run (shared by files and the app)."""
    from planner.present.maps import travel_note_text

    inputs = result.inputs
    flags = {"fault_records": "faults", "existing_centres": "existing", "population": "population"}
    args: dict[str, Any] = {
        "kpis": result.kpis,
        "baseline": result.baseline_kpis,
        "faults": inputs.faults,
        "language": language,
        "basemap": basemap,
        "title": result.config.title,
        "attribution": inputs.attribution,
        "simulated_layers": [flags[k] for k in inputs.simulated_layers if k in flags],
        "travel_note": travel_note_text(inputs.travel, language),
        "seed": result.config.solver.seed,
    }
    if result.robustness is not None:
        # The robustness run's selection frequency: a map layer and a report section.
        args["site_frequency"] = result.robustness.frequency_by_site_id()
    return args


def report_map_arguments(map_args: dict[str, Any]) -> dict[str, Any]:
    """The map arguments for the small map inside the report."""
    return {
        **map_args,
        "kpi_panel": False,
        "collapsed_layer_control": True,
        # Paper cannot unfold a box: the legend starts open and the view is fitted beside it.
        "open_boxes": True,
        # The report lists the data sources under the map; the map keeps the base map's.
        "attribution": (),
        # At report size the robustness circles crowd the plan; the report's table
        # gives the frequencies, and the layer stays one click away.
        "hidden_layers": ("candidates", "allocation", "robustness"),
    }


def report_arguments(
    result: RunResult, *, language: str, tradeoff: pd.DataFrame | None, map_page: str | None
) -> dict[str, Any]:
    """Keyword arguments of :func:`planner.present.report.report_html` for a run."""
    from planner.present.maps import travel_note_text

    cfg = result.config
    sol = result.solution
    inputs = result.inputs
    parameters = json.loads(cfg.model_dump_json(exclude_none=True, exclude={"data"}))
    parameters["solution"] = {"status": sol.status.value, "quality": sol.quality(), "gap": sol.gap}
    return {
        "kpis": result.kpis,
        "baseline": result.baseline_kpis,
        "sites": inputs.sites,
        "tradeoff": tradeoff,
        "parameters": parameters,
        "attribution": inputs.attribution,
        "map_html": map_page,
        "title": cfg.title,
        "language": language,
        "travel_note": travel_note_text(inputs.travel, language),
        "simulated_faults": ("fault_records" in inputs.simulated_layers)
        if inputs.faults is not None
        else None,
        "robustness": result.robustness,
        "solution": sol,
    }


def diagnosis_document(result: RunResult) -> dict[str, Any]:
    """``diagnosis.json`` of a run without a plan: the solution, why (in Chinese and
    English) and, beside each finding's demand row numbers, the demand points' ids."""
    from planner.optimize.diagnose import findings_of
    from planner.present.i18n import LANGUAGES

    doc = copy.deepcopy(result.solution.to_dict())  # the solution itself stays as it is
    ids = result.inputs.demand["demand_id"].astype(str).tolist()
    for f in findings_of(doc.get("details")):
        if "rows" in f:
            f["demand_ids"] = [ids[r] for r in f["rows"]]
    doc["explanation"] = {lang: result.why_no_plan(lang) for lang in LANGUAGES}
    return doc


def kpis_document(result: RunResult, curve: pd.DataFrame | None = None) -> dict[str, Any]:
    """The ``kpis.json`` document of a run: the solution, the plan's and the baseline's
    KPIs and their comparison, the trade-off ``curve`` (if given), travel note, flags.

    ``kpis.json`` of :func:`output_files` (the run folder and the app's download); the
    app's scenario library keeps it too. Without a plan ``plan`` and ``comparison`` are ``None``.
    """
    from planner.evaluate.kpis import compare_kpis

    doc: dict[str, Any] = {
        "scenario": result.config.name,
        "title": result.config.title,
        "solution": result.solution.to_dict(),
        "plan": None if result.kpis is None else result.kpis.to_dict(),
        "baseline": None if result.baseline_kpis is None else result.baseline_kpis.to_dict(),
        "comparison": None,
        "tradeoff": None if curve is None else curve.to_dict("records"),
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


@dataclass(frozen=True)
class OutputFile:
    """One output of a run: its file name, MIME type and how to make its bytes.

    Attributes
    ----------
    name
        The file's name in a run folder, e.g. ``"map.html"``.
    mime
        Its MIME type (for a download).
    make
        Makes the file's bytes; called only when the file is wanted (written or downloaded).
    """

    name: str
    mime: str
    make: Callable[[], bytes]


def _json_bytes(doc: Any) -> bytes:
    return json.dumps(json_safe(doc), ensure_ascii=False, indent=2).encode("utf-8")


def _written_by_gdal(name: str, write: Callable[[Path], object]) -> bytes:
    """The bytes of a file a GDAL writer makes (it needs a path): written in a private
    temporary folder under its own ``name`` (GeoJSON keeps it as the layer name)."""
    with tempfile.TemporaryDirectory(prefix="planner-output-") as tmp:
        path = Path(tmp) / name
        write(path)
        return path.read_bytes()


def output_files(
    result: RunResult,
    *,
    curve: pd.DataFrame | None = None,
    language: str | None = None,
    basemap: str | None = None,
) -> dict[str, OutputFile]:
    """Every output of a run, by key: the one builder of the run folder and the app's downloads.

    :func:`write_outputs` writes these files and the app's download buttons hand them
    out, so the same run, ``curve``, ``language`` and ``basemap`` give the same bytes:
    the report's time and the GeoPackage's ``last_change`` are when the run was solved
    (``result.solved_at``), map element ids are numbered. Only ``scenario.lock.toml``
    says when it was written (``written_at``); the app does not offer it.

    Parameters
    ----------
    result
        The run.
    curve
        The trade-off over ``p`` (:func:`tradeoff`) for ``kpis.json`` and the report;
        None leaves it out.
    language
        ``"zh"`` or ``"en"`` for the map, report and GeoPackage; default the scenario's
        ``outputs.language``.
    basemap
        Base map of the maps; default the scenario's ``outputs.basemap``.

    Returns
    -------
    dict of str to OutputFile
        With a plan: ``lock`` (scenario.lock.toml), ``kpis`` (kpis.json), ``assignment``
        (assignment.csv, spreadsheet-safe), ``chosen_sites`` (chosen_sites.geojson),
        ``geopackage`` (plan.gpkg), ``map`` (map.html, standalone and offline-safe) and
        ``report`` (report.html). Without a plan: ``lock`` and ``diagnosis``
        (diagnosis.json, why), nothing that pretends to be a plan.
    """
    from planner.present.i18n import check_language

    cfg = result.config
    lang = check_language(cfg.outputs.language if language is None else language)
    base = cfg.outputs.basemap if basemap is None else basemap

    def lock() -> bytes:
        return tomli_w.dumps(toml_safe(lock_document(result))).encode("utf-8")

    files = {"lock": OutputFile("scenario.lock.toml", "application/toml", lock)}
    if not result.solution.has_plan:
        files["diagnosis"] = OutputFile(
            "diagnosis.json", "application/json", lambda: _json_bytes(diagnosis_document(result))
        )
        return files

    def chosen_sites() -> bytes:
        chosen = result.chosen_sites.copy()
        chosen["order"] = np.arange(1, len(chosen) + 1)
        return _written_by_gdal(
            "chosen_sites.geojson", lambda path: chosen.to_file(path, driver="GeoJSON")
        )

    def geopackage() -> bytes:
        from planner.present.export import export_plan_gpkg

        inputs = result.inputs
        return _written_by_gdal(
            "plan.gpkg",
            lambda path: export_plan_gpkg(
                path,
                demand=inputs.demand,
                sites=inputs.sites,
                open_sites=result.solution,
                kpis=result.kpis,
                language=lang,
                last_change=result.solved_at,
            ),
        )

    def map_page() -> bytes:
        from planner.present.maps import map_html, plan_map

        args = map_arguments(result, language=lang, basemap=base)
        m = plan_map(result.inputs.demand, result.inputs.sites, result.solution, **args)
        return map_html(m).encode("utf-8")

    def report_page() -> bytes:
        from planner.present.maps import map_html, plan_map
        from planner.present.report import report_html

        args = report_map_arguments(map_arguments(result, language=lang, basemap=base))
        small = plan_map(result.inputs.demand, result.inputs.sites, result.solution, **args)
        page = report_html(
            **report_arguments(result, language=lang, tradeoff=curve, map_page=map_html(small)),
            generated=result.solved_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
        return page.encode("utf-8")

    files["kpis"] = OutputFile(
        "kpis.json", "application/json", lambda: _json_bytes(kpis_document(result, curve))
    )
    # utf-8-sig: Excel on Windows opens it with the Chinese names intact.
    files["assignment"] = OutputFile(
        "assignment.csv", "text/csv", lambda: csv_bytes(assignment_table(result))
    )
    files["chosen_sites"] = OutputFile("chosen_sites.geojson", "application/geo+json", chosen_sites)
    files["geopackage"] = OutputFile("plan.gpkg", "application/geopackage+sqlite3", geopackage)
    files["map"] = OutputFile("map.html", "text/html", map_page)
    files["report"] = OutputFile("report.html", "text/html", report_page)
    return files


def write_outputs(result: RunResult, folder: Path) -> dict[str, Path]:
    """Write every output of a solved run into ``folder``; return them by name.

    The files are :func:`output_files` (the app's downloads are the same builder), less
    those the scenario switches off (``outputs.map``, ``outputs.report``,
    ``outputs.geopackage``); the trade-off curve is computed for the report
    (:func:`tradeoff`). Each file is written atomically.
    """
    folder = Path(folder)
    cfg = result.config
    curve = tradeoff(result) if cfg.outputs.report and result.solution.has_plan else None
    off = {
        key
        for key, on in (
            ("geopackage", cfg.outputs.geopackage),
            ("map", cfg.outputs.map),
            ("report", cfg.outputs.report),
        )
        if not on
    }
    written: dict[str, Path] = {}
    for key, file in output_files(result, curve=curve).items():
        if key in off:
            continue
        path = folder / file.name
        atomic_write_bytes(path, file.make())
        written[key] = path
    return written


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "service-centre-planner",
        "numpy",
        "scipy",
        "geopandas",
        "shapely",
        "pyproj",
        "highspy",
        "pulp",
        "folium",
    ):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def lock_document(result: RunResult) -> dict[str, Any]:
    """The resolved settings, input hashes, versions and solver status: enough to reproduce and audit."""
    cfg = result.config
    settings = json.loads(cfg.model_dump_json(exclude_none=True))
    for key, path in result.inputs.input_files.items():
        settings.setdefault("_resolved_paths", {})[key] = str(path)
    return {
        "planner_lock": {
            "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.system()} {platform.machine()}",
        },
        "settings": settings,
        "inputs": {
            k: {"path": str(p), "sha256": file_sha256(p)}
            for k, p in result.inputs.input_files.items()
        },
        "versions": _versions(),
        "solution": {
            k: v for k, v in result.solution.to_dict().items() if v is not None and k != "details"
        },
        "open_site_ids": result.chosen_sites["site_id"].tolist(),
    }
