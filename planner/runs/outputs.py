"""The files a run writes: map, report, GeoPackage, KPIs, assignment, lock file.

:func:`write_outputs` writes into a folder it is given; :func:`planner.runs.pipeline.run_scenario`
gives it a temporary folder and renames it into place afterwards, so that a
failure anywhere here leaves no half-written output.
"""

from __future__ import annotations

import copy
import json
import os
import platform
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import tomli_w

from planner.files import file_sha256, json_safe, toml_safe
from planner.runs.options import SolveArgs, solve_options
from planner.sanitize import write_csv

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

    One builder for :func:`write_outputs` and the app's download, so both files are the
    same document. Without a plan ``plan`` and ``comparison`` are ``None``.
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


def write_outputs(result: RunResult, folder: Path) -> dict[str, Path]:
    """Write every output of a solved run into ``folder``; return them by name."""
    folder = Path(folder)
    written: dict[str, Path] = {}
    cfg = result.config
    sol = result.solution

    lock = folder / "scenario.lock.toml"
    lock.write_text(tomli_w.dumps(toml_safe(lock_document(result))), encoding="utf-8")
    written["lock"] = lock

    if not sol.has_plan:
        # No plan: say why (the diagnosis), write nothing that pretends to be a plan.
        (folder / "diagnosis.json").write_text(
            json.dumps(json_safe(diagnosis_document(result)), ensure_ascii=False, indent=2),
            encoding="utf-8",
        )
        written["diagnosis"] = folder / "diagnosis.json"
        return written

    from planner.present.export import export_plan_gpkg
    from planner.present.maps import map_html, plan_map, save_map_html
    from planner.present.report import write_report

    inputs = result.inputs
    lang = cfg.outputs.language
    curve = tradeoff(result) if cfg.outputs.report else None

    doc = kpis_document(result, curve)
    kpis_path = folder / "kpis.json"
    kpis_path.write_text(json.dumps(json_safe(doc), ensure_ascii=False, indent=2), encoding="utf-8")
    written["kpis"] = kpis_path

    assignment_path = folder / "assignment.csv"
    # utf-8-sig: Excel on Windows opens it with the Chinese names intact.
    write_csv(assignment_table(result), assignment_path)
    written["assignment"] = assignment_path

    chosen = result.chosen_sites.copy()
    chosen["order"] = np.arange(1, len(chosen) + 1)
    chosen_path = folder / "chosen_sites.geojson"
    chosen.to_file(chosen_path, driver="GeoJSON")
    written["chosen_sites"] = chosen_path

    if cfg.outputs.geopackage:
        gpkg = folder / "plan.gpkg"
        export_plan_gpkg(
            gpkg,
            demand=inputs.demand,
            sites=inputs.sites,
            open_sites=sol,
            kpis=result.kpis,
            language=lang,
        )
        written["geopackage"] = gpkg

    map_args = map_arguments(result, language=lang, basemap=cfg.outputs.basemap)
    if cfg.outputs.map:
        m = plan_map(inputs.demand, inputs.sites, sol, **map_args)
        save_map_html(m, folder / "map.html")
        written["map"] = folder / "map.html"
    if cfg.outputs.report:
        small = plan_map(inputs.demand, inputs.sites, sol, **report_map_arguments(map_args))
        write_report(
            folder / "report.html",
            **report_arguments(result, language=lang, tradeoff=curve, map_page=map_html(small)),
        )
        written["report"] = folder / "report.html"
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
