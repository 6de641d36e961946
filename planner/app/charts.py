"""The app's charts as Vega-Lite specifications (drawn natively by ``st.vega_lite_chart``).

A specification is a plain dictionary (data inlined), so it is tested without a browser and
draws offline: Streamlit ships Vega-Lite.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from planner.present.i18n import check_language, t

__all__ = ["tradeoff_spec"]


def _number(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def tradeoff_spec(
    curve: pd.DataFrame, *, chosen_p: int, standard_minutes: float, lang: str
) -> dict[str, Any]:
    """The trade-off over the number of centres: mean travel and the share within the standard.

    Parameters
    ----------
    curve
        :func:`planner.app.run.sweep_curve`: ``p``, ``mean_minutes`` (minutes),
        ``coverage_share`` (0-1) and ``status``.
    chosen_p
        The plan's number of centres (marked by a vertical rule).
    standard_minutes
        The first service standard (minutes), named in the second panel's title.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict
        A Vega-Lite v5 specification: two panels sharing the x axis (number of centres);
        points without a plan are left out.
    """
    check_language(lang)
    share_title = t("app_chart_share", lang, minutes=f"{standard_minutes:g}")
    minutes_title = t("app_chart_mean", lang)
    p_title = t("app_chart_p", lang)
    rows = []
    for rec in curve.to_dict("records"):
        mean = _number(rec.get("mean_minutes"))
        share = _number(rec.get("coverage_share"))
        if mean is None and share is None:
            continue
        rows.append(
            {
                "p": int(rec["p"]),
                "mean": None if mean is None else round(mean, 2),
                "share": None if share is None else round(100.0 * share, 1),
                "chosen": int(rec["p"]) == int(chosen_p),
            }
        )
    x = {
        "field": "p",
        "type": "quantitative",
        "title": p_title,
        "axis": {"tickMinStep": 1, "format": "d"},
        "scale": {"zero": False, "nice": False},
    }

    def panel(field: str, title: str, colour: str, fmt: str) -> dict[str, Any]:
        y = {"field": field, "type": "quantitative", "title": title, "scale": {"zero": False}}
        tooltip = [
            {"field": "p", "type": "quantitative", "title": p_title},
            {"field": field, "type": "quantitative", "title": title, "format": fmt},
        ]
        return {
            "height": 180,
            "layer": [
                {
                    "mark": {"type": "line", "color": colour, "point": {"size": 50}},
                    "encoding": {"x": x, "y": y, "tooltip": tooltip},
                },
                {
                    "transform": [{"filter": "datum.chosen"}],
                    "mark": {"type": "point", "size": 160, "filled": True, "color": "#d62728"},
                    "encoding": {"x": x, "y": y, "tooltip": tooltip},
                },
                {
                    "transform": [{"filter": "datum.chosen"}],
                    "mark": {"type": "rule", "color": "#d62728", "strokeDash": [4, 3]},
                    "encoding": {"x": x},
                },
            ],
        }

    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": t("report_tradeoff", lang),
        "data": {"values": rows},
        "vconcat": [
            panel("mean", minutes_title, "#1f77b4", ".1f"),
            panel("share", share_title, "#2ca02c", ".1f"),
        ],
        "resolve": {"scale": {"x": "shared"}},
    }
