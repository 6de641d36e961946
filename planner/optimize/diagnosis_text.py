"""The words for why there is no plan (:func:`planner.optimize.diagnose.explain`), in
Chinese (``zh``) and English (``en``).

They live with the optimiser that finds the causes, so that a plan-less
:class:`~planner.optimize.Solution` can say why in ``details["message"]`` without the
optimiser importing anything above it; :mod:`planner.present.i18n` merges them into its
one label table."""

from __future__ import annotations

from typing import Final

from planner.languages import say

DIAGNOSIS_LABELS: Final[dict[str, dict[str, str]]] = {
    # --- why there is no plan (planner.optimize.diagnose.explain) ---------------------
    "diag_examples_rows": {"zh": "如第 {items} 行", "en": "e.g. rows {items}"},
    "diag_examples_named": {"zh": "如 {items}", "en": "e.g. {items}"},
    "diag_no_candidate": {
        "zh": "{n} 个需求点（{examples}）没有任何可到达的候选站址（无路可达或超出出行截断），请在附近增加候选站址、放宽截断或删除这些点",
        "en": "{n} demand point(s) ({examples}) have no candidate site that can serve them at all (none reachable, or all beyond the travel cut-off); add candidates near them, raise the cut-off or drop them",
    },
    "diag_outside_radius": {
        "zh": "{n} 个需求点（{examples}）在 {radius}{unit}内没有候选站址；覆盖全部需求点的最小半径为 {min_radius}{unit}",
        "en": "{n} demand point(s) ({examples}) have no candidate site within {radius}{unit}; the smallest radius that reaches every demand point is {min_radius}{unit}",
    },
    "diag_hotspots_out_of_reach": {
        "zh": "{n} 个故障热点（{examples}）在其抢修响应时限内没有候选站址，请在附近增加候选站址或放宽时限",
        "en": "{n} fault hotspot(s) ({examples}) have no candidate site within their response limit; add candidates near them or relax the limit",
    },
    "diag_standard_unreachable": {
        "zh": "即使开放全部站址，{cost}{unit}内的需求权重也只有 {max_share}%，低于标准要求的 {required_share}%",
        "en": "even with every site open only {max_share} % of demand weight is within {cost}{unit}, below the standard's {required_share} %",
    },
    "diag_standard_needs_sites": {
        "zh": "p = {p} 个营业厅最多只能让 {max_share}% 的需求权重在 {cost}{unit}内，低于标准要求的 {required_share}%；满足该标准至少需要 {need} 个营业厅：请把 p 提高到至少 {need}，或放宽该百分位标准",
        "en": "with p = {p} centres at most {max_share} % of demand weight can be within {cost}{unit}, below the standard's {required_share} %; meeting it needs at least {need} centres: raise p to at least {need} or relax the percentile standard",
    },
    "diag_capacity_short": {
        "zh": "需求负荷 {load} 超过可用站址的最大总容量 {capacity}，缺口 {shortfall}",
        "en": "demand load {load} exceeds the largest capacity the allowed sites can offer ({capacity}): short by {shortfall}",
    },
    "diag_capacity_packing": {
        "zh": "p = {p} 个站址的最大总容量 {capacity} 虽够需求负荷 {load}，但每个需求点须整体由一个营业厅服务，整点装不进各站址的容量：约缺 {shortfall} 的容量（按由大到小装箱估算）；请提高容量、增加 p 或拆分负荷大的需求点",
        "en": "the largest capacity of p = {p} sites ({capacity}) covers the demand load {load}, but whole demand points (each served by one hall) do not fit into the sites' capacities: about {shortfall} of capacity is missing (first-fit-decreasing estimate); raise capacities or p, or split heavy demand points",
    },
    "diag_capacity_short_p": {
        "zh": "需求负荷 {load} 超过 p = {p} 个站址所能提供的最大总容量 {capacity}，缺口 {shortfall}",
        "en": "demand load {load} exceeds the largest capacity the allowed sites can offer ({capacity} with p = {p}): short by {shortfall}",
    },
    "diag_oversized_demand": {
        "zh": "{n} 个需求点（{examples}，负荷 {load}）超过任何可服务站址的容量；请允许拆分分配（split=True）或提高容量",
        "en": "{n} demand point(s) ({examples}, load {load}) need more than the capacity of any site that can serve them; allow split assignment (split=True) or raise capacities",
    },
    "diag_oversized_demand_settings": {
        "zh": "{n} 个需求点（{examples}，负荷 {load}）超过任何可服务站址的容量（每个需求点整体由一个营业厅服务）；请提高这些站址的容量（model.capacity 或站址图层的容量列），或在合并了格网时减小 demand.cell_size_m",
        "en": "{n} demand point(s) ({examples}, load {load}) need more than the capacity of any site that can serve them (a point is served by one centre as a whole); raise those sites' capacities (model.capacity or the site layers' capacity column), or a smaller demand.cell_size_m where cells were merged",
    },
    "diag_budget_short": {
        "zh": "必须新建的站址仅开办费用就达 {cost}，超过预算 {budget}",
        "en": "the required new sites alone cost {cost} to open, above the budget {budget}",
    },
    "diag_budget_below_cheapest": {
        "zh": "任何方案都至少要新建开办费用合计 {cost} 的站址（必选站址和最便宜的可用站址），超过预算 {budget}；请提高预算、保留现有营业厅或增加更便宜的候选站址",
        "en": "every plan must open new sites that cost at least {cost} in all (the required ones and the cheapest allowed ones), above the budget {budget}; raise the budget, keep an existing hall or add cheaper candidate sites",
    },
    "diag_too_few_sites": {
        "zh": "满足{what}至少需要 {need} 个营业厅（已找到用 {found} 个营业厅满足的方案），而 p = {p}；请把 p 提高到至少 {need}，或放宽这些时限",
        "en": "meeting {what} needs at least {need} open centres (a plan with {found} was found), but p = {p}; raise p to at least {need} or relax the limits",
    },
    "diag_limits_unsettled": {
        "zh": "满足{what}需要 {need} 到 {found} 个营业厅（时限内未能确定），而 p = {p}；请提高 p 或放宽这些时限",
        "en": "meeting {what} needs between {need} and {found} open centres (not settled in the time given), but p = {p}; raise p or relax the limits",
    },
    "diag_limits_radius": {
        "zh": "每个需求点 {radius}{unit}内须有营业厅的要求",
        "en": "the service radius of {radius}{unit} for every demand point",
    },
    "diag_limits_reach": {
        "zh": "每个需求点在出行截断范围内须有营业厅的要求",
        "en": "reaching every demand point within the travel cut-off",
    },
    "diag_limits_reach_hotspots": {
        "zh": "每个需求点在出行截断范围内须有营业厅的要求和故障热点的抢修响应时限",
        "en": "reaching every demand point within the travel cut-off and the fault-hotspot response limits",
    },
    "diag_other": {"zh": "其他原因（{code}）", "en": "another cause ({code})"},
    "diag_limits_hotspots": {
        "zh": "故障热点的抢修响应时限",
        "en": "the fault-hotspot response limits",
    },
    "diag_limits_radius_hotspots": {
        "zh": "每个需求点 {radius}{unit}的服务半径和故障热点的抢修响应时限",
        "en": "the service radius of {radius}{unit} and the fault-hotspot response limits",
    },
    "diag_combination": {
        "zh": "每项约束单独都能满足，但没有方案能同时满足全部约束（p、容量、预算、必选站址、热点时限和服务标准相互冲突）",
        "en": "no plan meets all the constraints together, although each can be met on its own (p, capacities, budget, required sites, hotspot limits and standards conflict)",
    },
    "diag_cutoff": {
        "zh": "在成本截断范围（稀疏成本矩阵）内找不到能服务全部需求点的方案；请放宽截断或增加营业厅数量",
        "en": "no plan found that serves every demand point within the cost cut-off of the sparse cost matrix; raise the cut-off or allow more centres",
    },
    "diag_stopped": {
        "zh": "求解器在找到任何方案之前停止（可能达到时间上限）",
        "en": "the solver stopped (time limit?) before finding any plan",
    },
    "diag_stopped_by_user": {
        "zh": "求解在找到任何方案之前被用户停止；这并不说明不存在方案",
        "en": "the run was stopped by the user before any plan was found; this does not mean that no plan exists",
    },
}


def diagnosis_say(key: str, lang: str, /, **fields: object) -> str:
    """The ``lang`` text of the diagnosis label ``key`` (see :func:`planner.languages.say`)."""
    return say(DIAGNOSIS_LABELS, key, lang, **fields)
