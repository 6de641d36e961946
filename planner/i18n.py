"""Chinese and English labels for maps, reports and the app.

One table, :data:`LABELS`, maps a key to its Chinese (``"zh"``, the default for
the Wuhan demo) and English (``"en"``) text; :func:`t` looks a key up. Labels
may hold ``str.format`` fields (``{minutes}``), filled from keyword arguments.

There is no module-level "current language": every caller passes ``lang``,
because Streamlit sessions share one process.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

from planner.errors import ConfigError

__all__ = ["DEFAULT_LANGUAGE", "LABELS", "LANGUAGES", "check_language", "t"]

#: Languages every label has.
LANGUAGES: Final[tuple[str, ...]] = ("zh", "en")
#: The default language (the demo is Wuhan).
DEFAULT_LANGUAGE: Final[str] = "zh"

_LABELS: dict[str, dict[str, str]] = {
    # --- map layers ---------------------------------------------------------------
    "layer_population": {"zh": "人口密度", "en": "Population density"},
    "layer_faults": {"zh": "故障热点", "en": "Fault hotspots"},
    "layer_faults_simulated": {"zh": "故障热点（模拟数据）", "en": "Fault hotspots (simulated)"},
    "layer_candidates": {"zh": "候选站址", "en": "Candidate sites"},
    "layer_chosen": {"zh": "选定营业厅", "en": "Chosen centres"},
    "layer_existing": {"zh": "现有营业厅（保留/关闭）", "en": "Existing centres (kept / closed)"},
    "layer_catchments": {"zh": "服务范围", "en": "Catchments"},
    "layer_service_radius": {"zh": "服务半径", "en": "Service radius"},
    "layer_service_areas": {"zh": "路网服务区", "en": "Network service areas"},
    "layer_allocation": {"zh": "分配连线（抽样）", "en": "Allocation lines (sample)"},
    # --- legend -------------------------------------------------------------------
    "legend": {"zh": "图例", "en": "Legend"},
    "legend_density_unit": {"zh": "人/平方公里", "en": "people per km²"},
    "legend_new_centre": {"zh": "新设营业厅", "en": "New centre"},
    "legend_kept_centre": {"zh": "保留的现有营业厅", "en": "Existing centre, kept"},
    "legend_closed_centre": {"zh": "关闭的现有营业厅", "en": "Existing centre, closed"},
    "legend_candidate": {"zh": "候选站址", "en": "Candidate site"},
    "legend_heat": {"zh": "故障密度（热力图）", "en": "Fault density (heat map)"},
    "simulated_faults_note": {
        "zh": "故障记录为模拟数据",
        "en": "Fault records are SIMULATED",
    },
    "simulated_layer_note": {"zh": "模拟数据：{layers}", "en": "Simulated data: {layers}"},
    "simulated_sites_note": {
        "zh": "部分站址为模拟数据",
        "en": "Some sites are SIMULATED",
    },
    "note_straight_line": {
        "zh": "直线距离 × 绕行系数 {detour}，车速 {speed} 公里/小时，未使用路网",
        "en": "Straight-line distance x detour factor {detour} at {speed} km/h, no road network",
    },
    "data_sources": {"zh": "数据来源", "en": "Data sources"},
    "map_title_default": {"zh": "供电营业厅选址方案", "en": "Service-centre plan"},
    # --- popups and tooltips ----------------------------------------------------
    "name": {"zh": "名称", "en": "Name"},
    "category": {"zh": "类别", "en": "Category"},
    "site_id": {"zh": "站址编号", "en": "Site ID"},
    "status": {"zh": "状态", "en": "Status"},
    "status_new": {"zh": "新设", "en": "new"},
    "status_kept": {"zh": "保留", "en": "kept"},
    "status_closed": {"zh": "关闭", "en": "closed"},
    "status_candidate": {"zh": "候选", "en": "candidate"},
    "population": {"zh": "人口（20岁以上）", "en": "Population (20+)"},
    "pop_65plus": {"zh": "65岁以上人口", "en": "Residents 65+"},
    "density": {"zh": "人口密度", "en": "Density"},
    "served_by": {"zh": "服务营业厅", "en": "Served by"},
    "travel_minutes": {"zh": "出行时间（分钟）", "en": "Travel (min)"},
    "travel_km": {"zh": "出行距离（公里）", "en": "Travel (km)"},
    "population_served": {"zh": "服务人口", "en": "Population served"},
    "fault_load": {"zh": "故障负荷", "en": "Fault load"},
    "capacity_used": {"zh": "容量使用率", "en": "Capacity used"},
    "demand_points": {"zh": "需求点数", "en": "Demand points"},
    "unserved": {"zh": "无法到达", "en": "not reachable"},
    "minutes_unit": {"zh": "分钟", "en": "min"},
    "km_unit": {"zh": "公里", "en": "km"},
    # --- KPIs -----------------------------------------------------------------------
    "kpi_panel_title": {"zh": "方案指标", "en": "Plan KPIs"},
    "kpi_metric": {"zh": "指标", "en": "Indicator"},
    "kpi_plan": {"zh": "方案", "en": "Plan"},
    "kpi_baseline": {"zh": "现状", "en": "Today"},
    "kpi_change": {"zh": "变化", "en": "Change"},
    "kpi_n_centres": {"zh": "营业厅数量", "en": "Service centres"},
    "kpi_mean_minutes": {"zh": "平均出行时间（分钟）", "en": "Mean travel (min)"},
    "kpi_median_minutes": {"zh": "出行时间中位数（分钟）", "en": "Median travel (min)"},
    "kpi_p90_minutes": {"zh": "90%分位出行时间（分钟）", "en": "90th percentile travel (min)"},
    "kpi_max_minutes": {"zh": "最长出行时间（分钟）", "en": "Longest travel (min)"},
    "kpi_mean_km": {"zh": "平均出行距离（公里）", "en": "Mean travel (km)"},
    "kpi_median_km": {"zh": "出行距离中位数（公里）", "en": "Median travel (km)"},
    "kpi_p90_km": {"zh": "90%分位出行距离（公里）", "en": "90th percentile travel (km)"},
    "kpi_max_km": {"zh": "最长出行距离（公里）", "en": "Longest travel (km)"},
    "kpi_within_minutes": {
        "zh": "{minutes}分钟内可达人口比例",
        "en": "Population within {minutes} min",
    },
    "kpi_within_minutes_65": {
        "zh": "{minutes}分钟内可达65岁以上人口比例",
        "en": "Residents 65+ within {minutes} min",
    },
    "kpi_within_km": {"zh": "{km}公里内人口比例", "en": "Population within {km} km"},
    "kpi_zone_standard": {
        "zh": "达到分区服务标准的人口比例",
        "en": "Population within its zone's service standard",
    },
    "kpi_zone_standard_65": {
        "zh": "达到分区服务标准的65岁以上人口比例",
        "en": "Residents 65+ within their zone's service standard",
    },
    "kpi_faults_within_response": {
        "zh": "抢修响应标准内的故障比例",
        "en": "Faults within the repair response standard",
    },
    "kpi_hotspots_within_response": {
        "zh": "抢修响应标准内的故障热点比例",
        "en": "Fault hotspots within the repair response standard",
    },
    "kpi_unserved_share": {"zh": "无法到达的人口比例", "en": "Population with no reachable centre"},
    "kpi_population_total": {"zh": "总人口", "en": "Total population"},
    "kpi_objective": {"zh": "目标函数值", "en": "Objective"},
    "kpi_coverage": {"zh": "覆盖率", "en": "Coverage"},
    "kpi_marginal": {"zh": "边际价值（人·分钟）", "en": "Marginal value (person-minutes)"},
    "kpi_worst_served": {"zh": "出行最远的需求点", "en": "Worst-served demand points"},
    "kpi_worst_hotspots": {"zh": "响应最慢的故障热点", "en": "Worst-served fault hotspots"},
    "zone": {"zh": "分区", "en": "Zone"},
    "zone_urban": {"zh": "城区", "en": "urban"},
    "zone_rural": {"zh": "乡村", "en": "rural"},
    "zone_remote": {"zh": "偏远地区", "en": "remote"},
    "response_standard": {"zh": "响应标准（分钟）", "en": "Response standard (min)"},
    # --- report ---------------------------------------------------------------------
    "report_title_default": {"zh": "供电营业厅选址建议书", "en": "Service-centre proposal"},
    "report_map": {"zh": "方案地图", "en": "Map of the plan"},
    "report_kpis": {"zh": "方案与现状对比", "en": "The plan against today"},
    "report_sites": {"zh": "选定营业厅", "en": "Chosen centres"},
    "report_tradeoff": {"zh": "营业厅数量与服务水平", "en": "Number of centres and service"},
    "report_tradeoff_caption": {
        "zh": "每增加一个营业厅带来的改善；曲线变平处即再增设营业厅不再划算。",
        "en": "What each extra centre buys; where the curve flattens, "
        "one more centre stops paying.",
    },
    "report_parameters": {"zh": "情景参数", "en": "Scenario parameters"},
    "report_attribution": {"zh": "数据来源与说明", "en": "Data sources and notes"},
    "report_generated": {"zh": "生成时间", "en": "Generated"},
    "report_notes": {"zh": "说明", "en": "Notes"},
    "report_no_map": {"zh": "（无地图）", "en": "(no map)"},
    "report_no_baseline": {"zh": "无现状营业厅可比较", "en": "no existing centres to compare"},
    "tradeoff_p": {"zh": "营业厅数量 p", "en": "Number of centres p"},
    "tradeoff_objective": {"zh": "平均出行时间（分钟）", "en": "Mean travel (min)"},
    "tradeoff_coverage": {"zh": "{minutes}分钟覆盖率", "en": "Coverage within {minutes} min"},
    "tradeoff_chosen": {"zh": "本方案", "en": "this plan"},
    "parameter": {"zh": "参数", "en": "Parameter"},
    "value": {"zh": "数值", "en": "Value"},
    "rank": {"zh": "序号", "en": "#"},
    "kpi_marginal_mean": {
        "zh": "关闭后平均出行时间增加（分钟）",
        "en": "Mean travel added if closed (min)",
    },
    "note_hotspots_default": {
        "zh": "未提供故障热点标记：所有有故障记录的需求点均视为热点",
        "en": "no hotspot flag given: every demand point with faults counts as a hotspot",
    },
    "note_zone_default": {
        "zh": "未提供分区：所有需求点按“{zone}”处理",
        "en": "no zone given: every demand point is treated as '{zone}'",
    },
    "closed_centres": {"zh": "关闭的现有营业厅", "en": "Existing centres closed"},
    "percentage_points": {"zh": "个百分点", "en": " pp"},
    "report_worst_served": {"zh": "出行最远的需求点", "en": "Worst-served demand points"},
    "report_hotspots": {"zh": "故障热点抢修响应", "en": "Fault hotspots and repair response"},
    "hotspots_within": {
        "zh": "{within}/{total} 个故障热点在抢修响应标准内",
        "en": "{within} of {total} fault hotspots within the repair response standard",
    },
    "demand_id": {"zh": "需求点", "en": "Demand point"},
}

#: Every label, read-only: ``LABELS[key][lang]``.
LABELS: Final = MappingProxyType({k: MappingProxyType(v) for k, v in _LABELS.items()})


def check_language(lang: object) -> str:
    """Return ``lang`` if it is a supported language, else raise :class:`ConfigError`.

    Parameters
    ----------
    lang
        ``"zh"`` (Chinese) or ``"en"`` (English).

    Returns
    -------
    str
        The language code.
    """
    if lang not in LANGUAGES:
        raise ConfigError(
            f"`language` must be one of {', '.join(LANGUAGES)}; got {lang!r}. "
            "Use 'zh' for Chinese labels or 'en' for English."
        )
    return str(lang)


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **fields: object) -> str:
    """Look up the label ``key`` in ``lang`` and fill its format fields.

    Parameters
    ----------
    key
        A key of :data:`LABELS`, e.g. ``"layer_catchments"``.
    lang
        ``"zh"`` (default) or ``"en"``.
    **fields
        Values for the label's ``{field}`` placeholders (e.g. ``minutes=15``).

    Returns
    -------
    str
        The label.

    Raises
    ------
    KeyError
        If ``key`` is not a known label (a programming error: add it to ``LABELS``).
    planner.errors.ConfigError
        If ``lang`` is not a supported language.
    """
    check_language(lang)
    try:
        entry = LABELS[key]
    except KeyError:
        raise KeyError(
            f"no label {key!r} in planner.i18n.LABELS; add it with 'zh' and 'en' text"
        ) from None
    text = entry[lang]
    return text.format(**fields) if fields else text
