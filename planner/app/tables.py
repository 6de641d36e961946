"""The app's tables (KPIs, sites, worst served, data summary, comparisons), formatted for the planner."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

import numpy as np
import pandas as pd

from planner.app.run import AppRun
from planner.i18n import t

if TYPE_CHECKING:
    from planner.compare import Comparison
    from planner.library import SavedScenario
    from planner.scenario import PlanInputs


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


def fmt_change(key: str, value: float | None, lang: str) -> str:
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
                t("kpi_plan", lang): [fmt_value(k, v) for k, v in summary.items()],
            }
        )
    df = compare_kpis(kpis, base)
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
            change = fmt_change(key, float(value) - float(b[key]), lang)
        colour = "off" if key == "n_centres" else ("inverse" if "minutes" in key else "normal")
        out.append((kpi_label(key, lang), fmt_value(key, value), change, colour))
    return out


def name_column(lang: str) -> str:
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
            t("name", lang): rows[name_column(lang)].to_numpy(),
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
                fmt_value(str(k), v) if k != "gap" else fmt_value("gap_share", v)
                for k, v in kpis[col].items()
            ]
            for col in kpis.columns
        },
        index=pd.Index(labels, name=t("kpi_metric", lang)),
    )
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
