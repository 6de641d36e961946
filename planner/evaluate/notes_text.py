"""The words for the assumptions a KPI computation made (:attr:`PlanKPIs.note_keys
<planner.evaluate.kpi_types.PlanKPIs.note_keys>`), in Chinese (``zh``) and English
(``en``): kept beside the KPIs so that their English notes in ``kpis.json`` need nothing
above them; :mod:`planner.present.i18n` merges them into its one label table."""

from __future__ import annotations

from typing import Final

from planner.languages import say

NOTE_LABELS: Final[dict[str, dict[str, str]]] = {
    "note_hotspots_default": {
        "zh": "未提供故障热点标记：所有有故障记录的需求点均视为热点",
        "en": "no hotspot flag given: every demand point with faults counts as a hotspot",
    },
    "note_zone_default": {
        "zh": "未提供分区：所有需求点按“{zone}”处理",
        "en": "no zone given: every demand point is treated as '{zone}'",
    },
}


def note_text(key: str, lang: str, /, **fields: object) -> str:
    """The ``lang`` text of the note ``key`` (see :func:`planner.languages.say`)."""
    return say(NOTE_LABELS, key, lang, **fields)
