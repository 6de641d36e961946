"""The app's tables (KPIs, sites, worst served, data summary, comparisons), formatted for the planner."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from planner.app.run import AppRun
from planner.present.i18n import t
from planner.present.labels import finite_or_none, kpi_label, quality_label
from planner.present.maps.elements import site_categories
from planner.sanitize import markdown_text

if TYPE_CHECKING:
    from planner.evaluate.compare import Comparison
    from planner.runs.config import ScenarioConfig
    from planner.runs.library import SavedScenario
    from planner.runs.results import PlanInputs


# --------------------------------------------------------------------------------------
# tables


def fmt_value(key: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        return f"{100.0 * value:.1f} %"
    if key == "n_centres":
        return f"{value:.0f}"
    return f"{value:,.1f}"


def _diff(a: object, b: object) -> float | None:
    try:
        x, y = float(a), float(b)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x - y if math.isfinite(x) and math.isfinite(y) else None


def fmt_when(iso: str | None) -> str:
    """A saved time (ISO 8601, UTC) as ``2026-12-04 20:31`` (the column title says UTC)."""
    from datetime import datetime

    if not iso:
        return "–"
    try:
        return datetime.fromisoformat(str(iso)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(iso)


def saved_quality(solution: Mapping[str, Any], lang: str) -> str:
    """How good a saved run's plan was, in words (from its ``Solution.to_dict``)."""
    status = solution.get("status")
    return quality_label(None if status is None else str(status), solution.get("gap"), lang)


#: Columns of the library table shown, in order (``{std}``: the first service standard).
LIBRARY_COLUMNS: Final = ("name", "created_at", "model", "n_open", "quality", "mean_minutes")


def library_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The saved runs, formatted: times without seconds, model and quality in words, shares
    in per cent, minutes with one decimal, no ``None``; columns titled in ``lang``."""

    if table.empty:
        return table
    out: dict[str, list[str]] = {}
    for col in LIBRARY_COLUMNS:
        if col not in table.columns:
            continue
        title = kpi_label(col, lang) if col == "mean_minutes" else t(f"app_libcol_{col}", lang)
        values = table[col].tolist()
        if col == "created_at":
            out[title] = [fmt_when(v) for v in values]
        elif col == "model":
            out[title] = [t(f"app_model_{v}", lang) if v else "–" for v in values]
        elif col == "quality":
            out[title] = [
                saved_quality({"status": s, "gap": g}, lang)
                for s, g in zip(
                    table["status"].tolist(),
                    table["gap"].tolist() if "gap" in table else [None] * len(table),
                    strict=True,
                )
            ]
        elif col == "n_open":
            out[title] = [f"{int(v)}" for v in values]
        elif col == "name":
            out[title] = [str(v) for v in values]
        else:
            out[title] = [fmt_value(col, finite_or_none(v)) for v in values]
    shares = [c for c in table.columns if str(c).endswith("_share") and "65plus" not in str(c)]
    for col in shares[:2]:
        try:
            title = kpi_label(str(col), lang)
        except KeyError:
            continue
        out[title] = [fmt_value(str(col), finite_or_none(v)) for v in table[col].tolist()]
    return pd.DataFrame(out)


def fmt_change(key: str, value: float | None, lang: str) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    if "share" in key:
        pp = round(100.0 * value, 1)
        return (
            f"{pp:+.1f}{t('percentage_points', lang)}"
            if pp
            else f"0.0{t('percentage_points', lang)}"
        )
    if key == "n_centres":
        return f"{value:+.0f}" if round(value) else "0"
    return f"{value:+,.1f}" if round(value, 1) else "0.0"  # never "-0.0"


def blend_shares(
    demand: pd.DataFrame, config: ScenarioConfig
) -> tuple[float, float, float, list[str]]:
    """The demand blend as it is: shares (0-1) of population, residential density and
    faults, and notes to say (``"residential"``: no residential layer, population density
    stands in for it; ``"faults"``: a fault weight with no fault records behind it, which the
    blend gives to the population, :func:`planner.inputs.demand.reweight_demand`)."""
    d = config.demand
    total = d.population + d.residential + d.faults
    pop, res, faults = d.population / total, d.residential / total, d.faults / total
    notes = []
    if res > 0 and config.data.residential is None:
        notes.append("residential")
    values = (
        demand["fault_intensity"].to_numpy(dtype=float) if "fault_intensity" in demand else None
    )
    if faults > 0 and (values is None or not float(np.nansum(values)) > 0):
        notes.append("faults")
        pop, faults = pop + faults, 0.0
    return pop, res, faults, notes


def kpi_table(run: AppRun, lang: str) -> pd.DataFrame:
    """The plan's KPIs beside today's centres, with the change, labelled in ``lang``."""
    from planner.evaluate.kpis import compare_kpis

    kpis, base = run.result.kpis, run.result.baseline_kpis
    if kpis is None:
        return pd.DataFrame()
    if base is None:
        # a KPI the data cannot give (residents 65+ without their column, faults without
        # records) is left out rather than shown as a row of dashes
        summary = {k: v for k, v in kpis.summary().items() if finite_or_none(v) is not None}
        return pd.DataFrame(
            {
                t("kpi_metric", lang): [kpi_label(k, lang) for k in summary],
                t("kpi_plan", lang): [fmt_value(k, v) for k, v in summary.items()],
            }
        )
    df = compare_kpis(kpis, base)
    df = df[df["plan"].notna() | df["baseline"].notna()]
    return pd.DataFrame(
        {
            t("kpi_metric", lang): [kpi_label(str(k), lang) for k in df.index],
            t("kpi_plan", lang): [fmt_value(str(k), v) for k, v in df["plan"].items()],
            t("kpi_baseline", lang): [fmt_value(str(k), v) for k, v in df["baseline"].items()],
            t("kpi_change", lang): [fmt_change(str(k), v, lang) for k, v in df["change"].items()],
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

    kpis, base = run.result.kpis, run.result.baseline_kpis
    if kpis is None:
        return []
    std = f"{run.config.standards.service_minutes[0]:g}"
    a = kpis.summary()
    b = base.summary() if base is not None else {}
    out = []
    patterns = list(_HEADLINE)
    if run.config.model.name == "p_center":  # its objective: the longest trip
        patterns.insert(1, "max_minutes")
    for pattern in patterns:
        key = pattern.format(std=std)
        if key not in a or a[key] is None:
            continue
        value = a[key]
        change = None
        before = b.get(key)
        if before is not None and value is not None:
            change = fmt_change(key, float(value) - float(before), lang)
        colour = "off" if key == "n_centres" else ("inverse" if "minutes" in key else "normal")
        if change is not None and not change.startswith(("+", "-")):
            colour = "off"  # no change: grey, no arrow pointing either way
        out.append((kpi_label(key, lang), fmt_value(key, value), change, colour))
    return out


def centre_counts(run: AppRun) -> dict[str, int]:
    """How the plan changes today's network: ``new``, ``kept`` and ``closed`` centres and
    ``today`` (existing centres before the plan)."""
    sites = run.result.inputs.sites
    existing = sites["existing"].to_numpy(dtype=bool)
    is_open = np.zeros(len(sites), dtype=bool)
    is_open[np.asarray(run.solution.open_sites, dtype=np.int64)] = True
    return {
        "new": int((is_open & ~existing).sum()),
        "kept": int((is_open & existing).sum()),
        "closed": int((~is_open & existing).sum()),
        "today": int(existing.sum()),
    }


def centres_text(run: AppRun, lang: str) -> str:
    """One line of Markdown under the headline: new, kept and closed centres (a net "+2"
    can hide closures), naming the closed ones (their ids and names escaped: they are the
    user's text, shown as written)."""
    counts = centre_counts(run)
    if not counts["today"]:  # no existing centres given: nothing kept or closed to count
        return t("app_centres_line_none_today", lang, new=counts["new"])
    text = t("app_centres_line", lang, **counts)
    if counts["closed"]:
        sites = run.result.inputs.sites
        is_open = np.zeros(len(sites), dtype=bool)
        is_open[np.asarray(run.solution.open_sites, dtype=np.int64)] = True
        closed = sites[sites["existing"].to_numpy(dtype=bool) & ~is_open]
        names = [
            markdown_text(f"{i} {n}")
            for i, n in zip(closed["site_id"], closed[name_column(lang)], strict=True)
        ]
        sep = "、" if lang == "zh" else ", "
        text += " " + t("app_closed_list", lang, names=sep.join(names))
    return text + _costs_text(run, counts["new"], lang)


def _costs_text(run: AppRun, new: int, lang: str) -> str:
    """Facility location: what its objective is made of (opening costs of the new centres
    plus weighted travel, in demand weight x minutes); empty for the other models."""
    m = run.config.model
    objective = finite_or_none(run.solution.objective)
    if m.name != "facility_location" or objective is None:
        return ""
    cost = float(m.opening_cost or 0.0)
    opening = new * cost
    return " " + t(
        "app_costs_line",
        lang,
        opening=f"{opening:,.0f}",
        new=new,
        cost=f"{cost:,.0f}",
        travel=f"{objective - opening:,.0f}",
        total=f"{objective:,.0f}",
    )


def name_column(lang: str) -> str:
    return "name_zh" if lang == "zh" else "name_en"


def site_table(run: AppRun, lang: str) -> pd.DataFrame:
    """The open sites: number, id, name, category, new or kept, population served, mean travel, fault load."""
    result = run.result
    sites = result.inputs.sites
    open_idx = result.solution.open_sites
    kpis = result.kpis
    rows = sites.iloc[open_idx]
    df = pd.DataFrame(
        {
            t("rank", lang): np.arange(1, len(open_idx) + 1),
            t("site_id", lang): rows["site_id"].to_numpy(),
            t("name", lang): rows[name_column(lang)].to_numpy(),
            t("category", lang): site_categories(rows, lang),
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
            df[t("app_col_fault_load", lang)] = pc["fault_load"].round(1).to_numpy()
        if pc["capacity_used_share"].notna().any():
            df[t("app_col_capacity_used", lang)] = (
                (100.0 * pc["capacity_used_share"]).round(1).to_numpy()
            )
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
        names.append(sites[name_column(lang)].iloc[s] if s >= 0 else t("unserved", lang))
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
    # Plausibility findings of the layers (planner.inputs.sanity): layers far apart, points
    # far away, a CRS or datum that does not fit; shown with the other problems.
    problems.extend(inputs.data_warnings)
    return table, problems


def comparison_tables(
    comparison: Comparison, saved: Sequence[SavedScenario], lang: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """KPIs side by side, and each run's sites added, dropped and kept (with names) against the first."""

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
    columns: dict[str, list[str]] = {}
    models = {r.name: r.settings.get("model.name") for r in comparison.runs}
    first = kpis.columns[0] if len(kpis.columns) else None
    base = {} if first is None else dict(kpis[first].items())
    for col in kpis.columns:
        columns[str(col)] = [
            fmt_value(str(k), v) if k != "gap" else fmt_value("gap_share", v)
            for k, v in kpis[col].items()
        ]
        if first is not None and col != first:
            # objectives of two models are different quantities (covered demand, total
            # travel, the longest trip, costs): no difference between them
            same_model = models.get(str(col)) == models.get(str(first))
            columns[t("app_diff_vs", lang, name=str(first), other=str(col))] = [
                t("app_diff_other_model", lang)
                if k == "objective" and not same_model
                else fmt_change(str(k) if k != "gap" else "gap_share", _diff(v, base[k]), lang)
                for k, v in kpis[col].items()
            ]
    shown = pd.DataFrame(columns, index=pd.Index(labels, name=t("kpi_metric", lang)))
    names: dict[str, str] = {}
    name_key = name_column(lang)
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
