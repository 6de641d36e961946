"""A one-page proposal, ``report.html``, that prints on one A4 page from a browser.

On paper (``@page`` A4 portrait, ``@media print``) it holds what a board reads: the title,
the model and how good the plan is ("proven optimal" only when proven), the simulated-data
flag, the map with its legend open beside the plan, the headline KPIs against today, the
trade-off curve, the :data:`PRINT_SITE_ROWS` centres serving the most people (with how
many are left out and where they are) and the sources. On screen it holds everything:
the map (the standalone map page embedded in an ``<iframe srcdoc>``, so
the report is one self-contained file), the KPI table against today's centres,
the chosen centres with names and categories, the trade-off chart over the
number of centres (inline SVG from :mod:`planner.present.charts`), the robustness of the plan
under perturbed demand (when :func:`planner.runs.robustness.robustness` was run: how
often each site is chosen and how much the headline KPIs spread), the
scenario's parameters and the data attribution. Chinese or English, one setting.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.evaluate.kpi_types import PlanKPIs
from planner.evaluate.kpis import compare_kpis
from planner.optimize.solution import Solution
from planner.present.charts import tradeoff_svg
from planner.present.i18n import check_language, t
from planner.present.labels import kpi_label, model_label, quality_label


class RobustnessLike(Protocol):
    """What the report reads of a robustness run: its JSON form
    (:class:`planner.runs.results.RobustnessResult` has it)."""

    def to_dict(self) -> dict[str, Any]: ...


__all__ = ["PRINT_SITE_ROWS", "ROBUSTNESS_MIN_FREQUENCY", "report_html", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"

#: The printed page lists at most this many centres (those serving the most people); the
#: screen shows them all.
PRINT_SITE_ROWS = 10
#: The printed page names at most this many closed centres (then how many in all).
PRINT_CLOSED_NAMES = 6
#: KPI rows shown on screen only: the printed page keeps the headline rows.
_SCREEN_ONLY_KPIS = frozenset({"median_minutes", "mean_km", "median_km", "p90_km", "max_km"})
#: Height of each panel of the report's trade-off chart (pixels): two panels fit beside
#: the KPI table on the printed page.
_CHART_PANEL_HEIGHT = 72

#: Sites outside the plan are listed in the robustness table from this selection frequency up.
ROBUSTNESS_MIN_FREQUENCY = 0.2


# --------------------------------------------------------------------------------------
# tables


def _fmt_value(key: str, value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        return f"{100.0 * value:.1f}%"
    if key == "n_centres":
        return f"{value:.0f}"
    return f"{value:,.1f}"


def _fmt_change(key: str, value: float, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        if abs(value) < 0.0005:
            return "0"
        return f"{100.0 * value:+.1f}{t('percentage_points', lang)}"
    if key == "n_centres":
        return f"{value:+.0f}"
    return f"{value:+,.1f}"


def _served_by(site: int, label: str, sites: pd.DataFrame | None, lang: str) -> str:
    if site < 0:
        return t("unserved", lang)
    if sites is not None and site < len(sites):
        other = "en" if lang == "zh" else "zh"
        return _text(sites, [f"name_{lang}", "name", f"name_{other}"], site, label)
    return label


def _zone_label(zone: str, lang: str) -> str:
    try:
        return t(f"zone_{zone}", lang)
    except KeyError:
        return zone


def _fmt_minutes(value: Any) -> str:
    v = float(value)
    return f"{v:.1f}" if math.isfinite(v) else "–"


def _kpi_rows(kpis: PlanKPIs, baseline: PlanKPIs | None, lang: str) -> list[dict[str, Any]]:
    rows = []
    if baseline is not None:
        cmp = compare_kpis(kpis, baseline)
        for key, r in cmp.iterrows():
            k = str(key)
            if not (math.isfinite(r["plan"]) or math.isfinite(r["baseline"])):
                continue
            change = float(r["change"])
            if not math.isfinite(change) or abs(change) < 1e-12 or k == "n_centres":
                tone = ""
            else:
                tone = "better" if (change > 0) == bool(r["higher_is_better"]) else "worse"
            rows.append(
                {
                    "label": kpi_label(k, lang),
                    "plan": _fmt_value(k, float(r["plan"])),
                    "baseline": _fmt_value(k, float(r["baseline"])),
                    "change": _fmt_change(k, change, lang),
                    "tone": tone,
                    "screen_only": k in _SCREEN_ONLY_KPIS,
                }
            )
    else:
        for k, v in kpis.summary().items():
            if v is None:
                continue
            rows.append(
                {
                    "label": kpi_label(k, lang),
                    "plan": _fmt_value(k, v),
                    "screen_only": k in _SCREEN_ONLY_KPIS,
                }
            )
    return rows


def _text(df: pd.DataFrame, cols: Sequence[str], i: int, default: str) -> str:
    for c in cols:
        if c in df.columns:
            v = df[c].iloc[i]
            if v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v).strip():
                return str(v)
    return default


def _site_rows(
    kpis: PlanKPIs, sites: pd.DataFrame | None, lang: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """The chosen centres in the plan's order (the map's numbers), each marked
    ``screen_only`` unless it is among the :data:`PRINT_SITE_ROWS` serving the most people;
    and the names of the existing centres closed."""
    other = "en" if lang == "zh" else "zh"
    per = kpis.per_centre
    # Most people first; ties in the plan's order (a stable sort), so the same plan
    # prints the same rows.
    by_people = np.argsort(-per["population"].to_numpy(dtype=float), kind="stable")
    printed = set(by_people[:PRINT_SITE_ROWS].tolist())
    rows = []
    for n, (site, r) in enumerate(per.iterrows(), start=1):
        s = int(site)  # type: ignore[call-overload]
        if sites is not None:
            if s >= len(sites):
                raise InputError(f"`sites` has {len(sites)} rows but the plan opens site {s}.")
            default_id = _text(sites, ["site_id"], s, str(s))
            name = _text(sites, [f"name_{lang}", "name", f"name_{other}"], s, default_id)
            category = _text(sites, [f"category_{lang}", "category", f"category_{other}"], s, "")
            existing = bool(sites["existing"].iloc[s]) if "existing" in sites.columns else False
        else:
            name, category, existing = str(r["label"]), "", False
        rows.append(
            {
                "n": str(n),
                "screen_only": (n - 1) not in printed,
                "name": name,
                "category": category,
                "status": t("status_kept" if existing else "status_new", lang),
                "population": f"{r['population']:,.0f}",
                "fault_load": "–"
                if not math.isfinite(r["fault_load"])
                else f"{r['fault_load']:,.1f}",
                "capacity": (
                    "–"
                    if not math.isfinite(r["capacity_used_share"])
                    else f"{100 * r['capacity_used_share']:.0f}%"
                ),
                "marginal": (
                    "∞"
                    if math.isinf(r["marginal_mean_minutes"])
                    else f"{r['marginal_mean_minutes']:+.2f}"
                ),
            }
        )
    closed: list[str] = []
    if sites is not None and "existing" in sites.columns:
        open_set = set(kpis.open_sites.tolist())
        for s in np.flatnonzero(sites["existing"].fillna(False).astype(bool).to_numpy()).tolist():
            if s not in open_set:
                closed.append(_text(sites, [f"name_{lang}", "name", f"name_{other}"], s, str(s)))
    return rows, closed


def _parameter_rows(parameters: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []

    def _walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping):
            for k, v in value.items():
                _walk(f"{prefix}.{k}" if prefix else str(k), v)
            return
        if isinstance(value, (list, tuple)):
            text = ", ".join(str(v) for v in value)
        elif isinstance(value, float):
            text = f"{value:g}"
        elif isinstance(value, (str, int, bool)) or value is None:
            text = str(value)
        else:
            text = json.dumps(value, default=str, ensure_ascii=False)
        rows.append((prefix, text))

    _walk("", dict(parameters or {}))
    return rows


# --------------------------------------------------------------------------------------
# robustness


def _robustness_dict(robustness: Mapping[str, Any] | RobustnessLike) -> Mapping[str, Any]:
    """The ``RobustnessResult.to_dict()`` form of ``robustness``, checked for the keys used."""
    if not isinstance(robustness, Mapping):
        if not callable(getattr(robustness, "to_dict", None)):
            raise InputError(
                "`robustness` must be a RobustnessResult (planner.runs.robustness.robustness) or its "
                f"to_dict(); got {type(robustness).__name__}."
            )
        robustness = robustness.to_dict()
    needed = ("site_frequency", "kpi_spread", "n_draws", "relative_error", "distribution")
    missing = [k for k in needed if k not in robustness]
    if missing:
        raise InputError(
            f"`robustness` has no {', '.join(repr(k) for k in missing)}; pass "
            "RobustnessResult.to_dict() (or the RobustnessResult itself)."
        )
    return robustness


def _share_text(value: float) -> str:
    return f"{100.0 * value:.3g}%"


def _num_or_nan(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v


def _robustness_context(
    robustness: Mapping[str, Any] | RobustnessLike,
    kpis: PlanKPIs,
    sites: pd.DataFrame | None,
    lang: str,
) -> dict[str, Any]:
    """Rows and sentences of the report's robustness section."""
    rob = _robustness_dict(robustness)
    other = "en" if lang == "zh" else "zh"
    n_draws = int(rob["n_draws"])
    n_ok = int(rob.get("n_with_plan", n_draws))
    errors = dict(rob["relative_error"])
    parts = []
    for comp, err in errors.items():
        try:
            label = t(f"robustness_component_{comp}", lang)
        except KeyError:
            label = str(comp)
        parts.append(f"{label} {_share_text(float(err))}")
    try:
        dist = t(f"robustness_distribution_{rob['distribution']}", lang)
    except KeyError:
        dist = str(rob["distribution"])
    sentence = t(
        "robustness_sentence",
        lang,
        n=n_draws,
        ok=n_ok,
        distribution=dist,
        errors=("、" if lang == "zh" else ", ").join(parts),
        seed=rob.get("seed", "–"),
    )

    # the sites: the plan's, and any other chosen often ---------------------------------------
    plan_sites = [int(s) for s in kpis.open_sites.tolist()]
    has_ids = sites is not None and "site_id" in sites.columns
    base_ids = rob.get("base_open_site_ids")
    if has_ids and base_ids is not None:
        assert sites is not None
        plan_ids = sorted(str(sites["site_id"].iloc[s]) for s in plan_sites if s < len(sites))
        if sorted(str(i) for i in base_ids) != plan_ids:
            raise InputError(
                "`robustness` belongs to another plan: its unperturbed plan opens "
                f"{sorted(str(i) for i in base_ids)}, this report's plan opens {plan_ids}."
            )
    records = [dict(r) for r in rob["site_frequency"]]
    site_rows: list[dict[str, str]] = []
    keyed = []
    for r in records:
        freq = _num_or_nan(r.get("frequency"))
        index = r.get("site_index")
        in_plan = (index is not None and int(index) in plan_sites) or bool(r.get("in_base_plan"))
        if not (in_plan or (math.isfinite(freq) and freq >= ROBUSTNESS_MIN_FREQUENCY)):
            continue
        keyed.append((-freq if math.isfinite(freq) else 1.0, int(index or 0), r, freq, in_plan))
    keyed.sort(key=lambda k: (k[0], k[1]))
    for _, _, r, freq, in_plan in keyed:
        index = r.get("site_index")
        sid = str(r.get("site_id", index))
        name = next(
            (
                str(r[c])
                for c in (f"name_{lang}", "name", f"name_{other}")
                if r.get(c) is not None and str(r[c]).strip()
            ),
            sid,
        )
        category = str(r.get("category") or "")
        if sites is not None and index is not None and int(index) < len(sites):
            i = int(index)
            if not has_ids or str(sites["site_id"].iloc[i]) == sid:
                cols = [f"category_{lang}", "category", f"category_{other}"]
                category = _text(sites, cols, i, category)
        number = "–"
        if index is not None and int(index) in plan_sites:
            number = str(plan_sites.index(int(index)) + 1)
        elif in_plan:
            number = "✓"
        times = r.get("times_chosen")
        site_rows.append(
            {
                "number": number,
                "name": name,
                "category": category,
                "times": "–" if times is None else f"{int(times)} / {n_ok}",
                "frequency": "–" if not math.isfinite(freq) else f"{100.0 * freq:.0f}%",
                "bar": "0" if not math.isfinite(freq) else f"{100.0 * freq:.0f}",
                "plan": "plan" if in_plan else "",
            }
        )

    # the spread of the headline KPIs -------------------------------------------------------------
    spread = {str(r.get("kpi")): r for r in rob["kpi_spread"]}
    first = kpis.standards.service_minutes[0] if kpis.standards.service_minutes else None
    within = f"within_{first:g}min_share" if first is not None else None
    if within not in spread:
        within = next(
            (k for k in spread if k.startswith("within_") and k.endswith("min_share")), None
        )
    keys = ["mean_minutes", "p90_minutes", within, "faults_within_response_share"]
    kpi_rows: list[dict[str, str]] = []
    for key in keys:
        if key is None or key not in spread:
            continue
        values = {c: _num_or_nan(spread[key].get(c)) for c in ("base", "p5", "p50", "p95")}
        if not any(math.isfinite(v) for v in values.values()):
            continue
        kpi_rows.append(
            {"label": kpi_label(key, lang), **{c: _fmt_value(key, v) for c, v in values.items()}}
        )
    return {
        "sentence": sentence,
        "no_plan": n_ok == 0,
        "site_rows": site_rows,
        "kpi_rows": kpi_rows,
        "sites_caption": t(
            "robustness_sites_caption", lang, share=_share_text(ROBUSTNESS_MIN_FREQUENCY)
        ),
    }


# --------------------------------------------------------------------------------------
# the report


def report_html(
    *,
    kpis: PlanKPIs,
    baseline: PlanKPIs | None = None,
    sites: pd.DataFrame | None = None,
    tradeoff: pd.DataFrame | Sequence[Sequence[float]] | None = None,
    parameters: Mapping[str, Any] | None = None,
    attribution: Sequence[str] = (),
    notes: Sequence[str] = (),
    map_html: str | None = None,
    title: str | None = None,
    language: str = "zh",
    travel_note: str | None = None,
    simulated_faults: bool | None = None,
    show_worst: bool = True,
    generated: str | None = None,
    robustness: Mapping[str, Any] | RobustnessLike | None = None,
    solution: Solution | Mapping[str, Any] | None = None,
) -> str:
    """The proposal as one standalone HTML page, printing on one A4 page.

    Parameters
    ----------
    kpis
        KPIs of the plan (:func:`planner.evaluate.kpis.plan_kpis`).
    baseline
        KPIs of today's centres; the KPI table then shows plan, today and change.
    sites
        The sites table (names, categories, ``existing``), row ``i`` = site ``i``.
    tradeoff
        :func:`planner.evaluate.tradeoff.tradeoff_curve` output or ``(p, objective, coverage)`` rows.
    parameters
        The scenario's settings (nested mappings are flattened as ``a.b``).
    attribution
        Data sources with their licences, one string each.
    notes
        Further plain-words notes.
    map_html
        The standalone map page (:func:`planner.present.maps.map_html`), embedded as an
        ``<iframe srcdoc>``; None leaves the map out.
    title
        Report title (default: a generic one in ``language``).
    language
        ``"zh"`` (default) or ``"en"``.
    travel_note
        How travel was measured (e.g. :func:`planner.present.maps.travel_note_text`).
    simulated_faults
        Whether the fault data are simulated. None (default) flags them as
        simulated whenever the KPIs include faults; pass False for real records.
    show_worst
        List the five worst-served demand points and fault hotspots.
    generated
        Timestamp text (default: now, UTC).
    robustness
        The plan's robustness under perturbed demand
        (:func:`planner.runs.robustness.robustness`, or its ``to_dict()``): adds a
        section with the plan's sites and any other site chosen in at least 20 %
        of the draws (:data:`ROBUSTNESS_MIN_FREQUENCY`) with their selection
        frequency, the 5th/50th/95th percentiles of the headline KPIs over the
        draws, and the number of draws and relative errors used. Shown on
        screen only; the printed page says where it is.
    solution
        The plan's :class:`~planner.optimize.solution.Solution` (or its ``to_dict()``):
        the header names the model and how good the plan is ("proven optimal" only for
        a proven optimum, else the certified gap or "no bound known"). None leaves
        both out.

    Returns
    -------
    str
        The HTML page.
    """
    lang = check_language(language)
    if not isinstance(kpis, PlanKPIs):
        raise InputError(
            "`kpis` must be the PlanKPIs of the plan (planner.evaluate.kpis.plan_kpis)."
        )
    import jinja2
    from markupsafe import Markup

    site_rows, closed = _site_rows(kpis, sites, lang)
    rob = None if robustness is None else _robustness_context(robustness, kpis, sites, lang)
    has_faults = kpis.faults_within_response_share is not None
    flag_sim = has_faults if simulated_faults is None else bool(simulated_faults and has_faults)
    warnings = [t("simulated_faults_note", lang)] if flag_sim else []
    chart = None
    if tradeoff is not None:
        std = kpis.standards.service_minutes[0] if kpis.standards.service_minutes else 15.0
        chart = Markup(
            tradeoff_svg(
                tradeoff,
                chosen_p=kpis.n_centres,
                standard_minutes=std,
                language=lang,
                height=_CHART_PANEL_HEIGHT,
            )
        )
    worst_rows: list[dict[str, str]] = []
    hot_rows: list[dict[str, str]] = []
    if show_worst:
        for w in kpis.worst_served.head(5).to_dict(orient="records"):
            worst_rows.append(
                {
                    "id": str(w["demand_id"]),
                    "population": f"{w['population']:,.0f}",
                    "minutes": _fmt_minutes(w["travel_minutes"]),
                    "site": _served_by(int(w["site"]), str(w["site_label"]), sites, lang),
                }
            )
        for h in kpis.worst_hotspots.head(5).to_dict(orient="records"):
            hot_rows.append(
                {
                    "id": str(h["demand_id"]),
                    "zone": _zone_label(str(h["zone"]), lang),
                    "minutes": _fmt_minutes(h["travel_minutes"]),
                    "standard": f"{h['response_minutes']:g}",
                }
            )
    model, quality = _model_and_quality(solution, lang)
    not_printed = [
        t(key, lang)
        for key, present in (
            ("report_robustness", rob is not None),
            ("report_worst_served", bool(worst_rows)),
            ("report_hotspots", bool(hot_rows)),
            ("report_parameters", bool(parameters)),
        )
        if present
    ]
    sep = "、" if lang == "zh" else ", "
    closed_printed = sep.join(closed[:PRINT_CLOSED_NAMES])
    if len(closed) > PRINT_CLOSED_NAMES:
        closed_printed += " " + t("report_closed_more", lang, n=len(closed))
    n_printed = sum(1 for r in site_rows if not r["screen_only"])
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("report.html")
    return template.render(
        lang=lang,
        html_lang="zh-CN" if lang == "zh" else "en",
        L=lambda key, **kw: t(key, lang, **kw),
        title=title if title is not None else t("report_title_default", lang),
        generated=generated
        if generated is not None
        else dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        map_html=map_html,
        kpi_rows=_kpi_rows(kpis, baseline, lang),
        has_baseline=baseline is not None,
        site_rows=site_rows,
        closed=closed,
        closed_printed=closed_printed,
        sites_printed_note=(
            t(
                "report_sites_printed",
                lang,
                shown=n_printed,
                rest=len(site_rows) - n_printed,
                total=len(site_rows),
            )
            if n_printed < len(site_rows)
            else None
        ),
        not_printed_note=(
            t("report_not_printed", lang, sections=sep.join(not_printed)) if not_printed else None
        ),
        model=model,
        quality=quality,
        rob=rob,
        has_faults=has_faults,
        has_capacity=bool(kpis.per_centre["capacity_used_share"].notna().any()),
        chart=chart,
        parameters=_parameter_rows(parameters),
        attribution=[str(a) for a in attribution if str(a).strip()],
        notes=[*(str(n) for n in notes), *kpis.notes_text(lang)],
        travel_note=travel_note,
        warnings=warnings,
        worst_rows=worst_rows,
        hot_rows=hot_rows,
        hotspots_line=(
            t(
                "hotspots_within",
                lang,
                within=kpis.n_hotspots_within_response,
                total=kpis.n_hotspots,
            )
            if kpis.n_hotspots
            else None
        ),
    )


def _model_and_quality(
    solution: Solution | Mapping[str, Any] | None, lang: str
) -> tuple[str | None, str | None]:
    """The model's name and how good the plan is, in ``lang`` (None, None without a solution)."""
    if solution is None:
        return None, None
    if isinstance(solution, Solution):
        status: Any = solution.status.value
        gap: Any = solution.gap
        model: Any = solution.model
    elif isinstance(solution, Mapping):
        status, gap, model = solution.get("status"), solution.get("gap"), solution.get("model")
    else:
        raise InputError(
            "`solution` must be the plan's Solution or its to_dict(); "
            f"got {type(solution).__name__}."
        )
    return (
        None if not model else model_label(str(model), lang),
        quality_label(None if status is None else str(status), gap, lang),
    )


def write_report(path: str | os.PathLike[str], **kwargs: Any) -> Path:
    """Write ``report.html`` atomically (temporary file in the same folder, then rename).

    Parameters
    ----------
    path
        Output file; its folder must exist.
    **kwargs
        The keyword arguments of :func:`report_html`.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    from planner.files import atomic_write_text

    page = report_html(**kwargs)
    out = Path(path)
    atomic_write_text(out, page)
    return out
