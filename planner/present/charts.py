"""Charts as Vega-Lite specifications: one definition per chart, drawn natively by the app
(``st.vega_lite_chart``) and rendered to inline SVG for the standalone report and the
sweep outputs (:func:`chart_svg`).

The SVG is rendered by vl-convert, which bundles the Vega and Vega-Lite JavaScript
libraries in its own runtime: no browser, no network, no script in the output, and the
same specification the app draws, so the page and the report cannot drift apart.

* :func:`tradeoff_spec` -- mean travel and the share within the service standard over the
  number of centres, the plan's ``p`` marked;
* :func:`sweep_spec` -- a sweep's KPIs against its first numeric parameter, one line per
  combination of the others.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.present.i18n import check_language, t
from planner.present.labels import finite_or_none

__all__ = ["chart_svg", "sweep_spec", "sweep_svg", "tradeoff_spec", "tradeoff_svg"]

_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"
_CHOSEN = "#d62728"


@lru_cache(maxsize=1)
def _converter() -> Any:
    import vl_convert

    return vl_convert


def chart_svg(spec: dict[str, Any]) -> str:
    """A Vega-Lite specification rendered to an ``<svg>`` element (text kept as text, so
    Chinese labels use the reader's fonts). User text in the specification is data: the
    renderer escapes it for SVG."""
    svg = str(_converter().vegalite_to_svg(spec))
    return svg[svg.index("<svg") :]


# --------------------------------------------------------------------------------------
# trade-off over the number of centres


def _tradeoff_frame(tradeoff: pd.DataFrame | Sequence[Sequence[float]]) -> pd.DataFrame:
    """Normalise a trade-off curve to columns ``p``, ``value``, ``coverage_share``."""
    if isinstance(tradeoff, pd.DataFrame):
        if "p" not in tradeoff.columns:
            raise InputError(
                "`tradeoff` needs a `p` column (see planner.evaluate.tradeoff.tradeoff_curve)."
            )
        value_col = "mean_minutes" if "mean_minutes" in tradeoff.columns else "objective"
        if value_col not in tradeoff.columns:
            raise InputError("`tradeoff` needs a `mean_minutes` or `objective` column.")
        df = pd.DataFrame(
            {
                "p": tradeoff["p"].to_numpy(dtype=np.int64),
                "value": tradeoff[value_col].to_numpy(dtype=float),
                "coverage_share": (
                    tradeoff["coverage_share"].to_numpy(dtype=float)
                    if "coverage_share" in tradeoff.columns
                    else np.full(len(tradeoff), np.nan)
                ),
            }
        )
        df.attrs["value_is_minutes"] = value_col == "mean_minutes"
    else:
        rows = [tuple(r) for r in tradeoff]
        if any(len(r) != 3 for r in rows):
            raise InputError("`tradeoff` rows must be (p, objective, coverage_share) triples.")
        df = pd.DataFrame(rows, columns=["p", "value", "coverage_share"]).astype(
            {"p": np.int64, "value": float, "coverage_share": float}
        )
        df.attrs["value_is_minutes"] = False
    if df.empty:
        raise InputError("`tradeoff` is empty: give at least one (p, objective, coverage) row.")
    return df.sort_values("p", kind="stable").reset_index(drop=True)


def tradeoff_spec(
    curve: pd.DataFrame | Sequence[Sequence[float]],
    *,
    chosen_p: int | None,
    standard_minutes: float,
    lang: str,
    width: int | None = None,
    height: int = 180,
) -> dict[str, Any]:
    """The trade-off over the number of centres: mean travel and the share within the standard.

    Parameters
    ----------
    curve
        :func:`planner.runs.outputs.tradeoff` / :func:`planner.evaluate.tradeoff.tradeoff_curve`
        output (``p``, ``mean_minutes`` in minutes or ``objective``, ``coverage_share``
        0-1), or ``(p, objective, coverage_share)`` triples.
    chosen_p
        The plan's number of centres (marked by a point and a vertical rule); None: no mark.
    standard_minutes
        The first service standard (minutes), named in the second panel's title.
    lang
        ``"zh"`` or ``"en"``.
    width
        Width of each panel in pixels; None: the viewer's width (the app) or 300.
    height
        Height of each panel's plotting area in pixels.

    Returns
    -------
    dict
        A Vega-Lite v5 specification: two panels sharing the x axis; points without a plan
        are left out.

    Raises
    ------
    InputError
        A curve without ``p`` or a value column, or with no rows.
    """
    check_language(lang)
    df = _tradeoff_frame(curve)
    minutes = bool(df.attrs.get("value_is_minutes"))
    value_title = t("tradeoff_objective", lang) if minutes else t("kpi_objective", lang)
    share_title = t("app_chart_share", lang, minutes=f"{standard_minutes:g}")
    p_title = t("tradeoff_p", lang)
    rows = []
    for p, value, share in df[["p", "value", "coverage_share"]].itertuples(index=False):
        v, s = finite_or_none(value), finite_or_none(share)
        if v is None and s is None:
            continue
        rows.append(
            {
                "p": int(p),
                "value": None if v is None else round(v, 2),
                "share": None if s is None else round(100.0 * s, 1),
                "chosen": chosen_p is not None and int(p) == int(chosen_p),
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
        # "~": no trailing zeros (a flat 100 % reads "100", not "100.000000")
        y = {
            "field": field,
            "type": "quantitative",
            "title": title,
            "scale": {"zero": False},
            "axis": {"format": ".2~f"},
        }
        tooltip = [
            {"field": "p", "type": "quantitative", "title": p_title},
            {"field": field, "type": "quantitative", "title": title, "format": fmt},
        ]
        size: dict[str, Any] = {"height": height}
        if width is not None:
            size["width"] = width
        return {
            **size,
            "layer": [
                {
                    "mark": {"type": "line", "color": colour, "point": {"size": 50}},
                    "encoding": {"x": x, "y": y, "tooltip": tooltip},
                },
                {
                    "transform": [{"filter": "datum.chosen"}],
                    "mark": {"type": "point", "size": 160, "filled": True, "color": _CHOSEN},
                    "encoding": {"x": x, "y": y, "tooltip": tooltip},
                },
                {
                    "transform": [{"filter": "datum.chosen"}],
                    "mark": {"type": "rule", "color": _CHOSEN, "strokeDash": [4, 3]},
                    "encoding": {"x": x},
                },
            ],
        }

    panels = [panel("value", value_title, "#1f77b4", ".1f")]
    if chosen_p is not None and any(r["chosen"] for r in rows):
        panels[0]["layer"].append(
            {
                "transform": [{"filter": "datum.chosen"}],
                "mark": {"type": "text", "align": "left", "dx": 5, "dy": -6, "color": _CHOSEN},
                "encoding": {
                    "x": x,
                    "y": {"value": 0},
                    "text": {"value": f"{t('tradeoff_chosen', lang)} (p = {int(chosen_p)})"},
                },
            }
        )
    if any(r["share"] is not None for r in rows):
        panels.append(panel("share", share_title, "#2ca02c", ".1f"))
    spec: dict[str, Any] = {
        "$schema": _SCHEMA,
        "description": t("report_tradeoff", lang),
        "data": {"values": rows},
        "vconcat": panels,
        "resolve": {"scale": {"x": "shared"}},
    }
    if width is None:
        # The viewer gives each panel its own width; without this the axes and titles come
        # on top of it and the right end of the curve (the largest p) is cut off.
        spec["autosize"] = {"type": "fit-x", "contains": "padding"}
    return spec


def tradeoff_svg(
    tradeoff: pd.DataFrame | Sequence[Sequence[float]],
    *,
    chosen_p: int | None = None,
    standard_minutes: float = 15.0,
    language: str = "zh",
    width: int = 300,
    height: int = 180,
) -> str:
    """:func:`tradeoff_spec` as an inline ``<svg>`` (the report's chart): the same two
    panels the app draws, each ``width`` x ``height`` pixels, scaled to the page's column."""
    spec = tradeoff_spec(
        tradeoff,
        chosen_p=chosen_p,
        standard_minutes=standard_minutes,
        lang=language,
        width=width,
        height=height,
    )
    svg = chart_svg(spec)
    # Scale with the page's column (the viewBox keeps the drawing's proportions).
    head = svg[: svg.index(">") + 1]
    fluid = re.sub(r'\swidth="[0-9.]+" height="[0-9.]+"', ' width="100%"', head, count=1)
    return fluid + svg[len(head) :]


# --------------------------------------------------------------------------------------
# sweep


def _coverage_column(table: pd.DataFrame) -> str | None:
    cols = [c for c in table.columns if re.fullmatch(r"within_[0-9.e+-]+min_share", str(c))]
    if not cols:
        return None
    return min(cols, key=lambda c: float(str(c)[7:-9]))


def _numeric_param(table: pd.DataFrame, keys: list[str]) -> str | None:
    for key in keys:
        col = table[key]
        if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
            return key
    return None


def sweep_spec(
    table: pd.DataFrame, param_keys: list[str], *, language: str = "zh"
) -> dict[str, Any]:
    """A sweep's mean travel time and coverage against its first numeric parameter.

    One line per combination of the other parameters (the colour legend names them); a
    failed point (no plan) leaves a gap. Without a numeric parameter the x axis is the
    run's number. Labels in ``language`` (``"zh"`` or ``"en"``).
    """
    lang = check_language(language)
    zh = lang == "zh"
    x_key = _numeric_param(table, param_keys)
    others = [k for k in param_keys if k != x_key]
    cov = _coverage_column(table)
    panels: list[tuple[str, str, str]] = []
    if "mean_minutes" in table:
        title = "平均出行时间（分钟）/ mean travel (min)" if zh else "Mean travel time (min)"
        panels.append(("mean_minutes", title, ".1f"))
    if cov is not None:
        minutes = str(cov)[7:-9]
        title = (
            f"{minutes} 分钟内人口占比 / share within {minutes} min"
            if zh
            else f"Share within {minutes} min"
        )
        panels.append((cov, title, ".0%"))
    if not panels:
        panels.append(("objective", "目标函数 / objective" if zh else "Objective", ",.0f"))
    x_values = (
        table[x_key].to_numpy(dtype=float) if x_key else np.arange(1, len(table) + 1, dtype=float)
    )
    x_title = x_key or ("方案序号 / run" if zh else "Run")
    rows = []
    for i, rec in enumerate(table.to_dict("records")):
        series = ", ".join(f"{k.rsplit('.', 1)[-1]}={rec[k]}" for k in others)
        row: dict[str, Any] = {"x": finite_or_none(x_values[i]), "series": series or "-"}
        for col, _, _ in panels:
            row[col] = finite_or_none(rec.get(col))
        rows.append(row)
    x = {"field": "x", "type": "quantitative", "title": x_title, "scale": {"zero": False}}
    colour: dict[str, Any] = (
        {
            "field": "series",
            "type": "nominal",
            "title": ", ".join(k.rsplit(".", 1)[-1] for k in others),
        }
        if others
        else {"value": "#1f77b4"}
    )
    return {
        "$schema": _SCHEMA,
        "title": "方案权衡 / Sweep trade-off" if zh else "Sweep trade-off",
        "data": {"values": rows},
        "vconcat": [
            {
                "width": 480,
                "height": 220,
                "mark": {"type": "line", "point": True},
                "encoding": {
                    "x": x,
                    "y": {
                        "field": col,
                        "type": "quantitative",
                        "title": title,
                        "scale": {"zero": False},
                        "axis": {"format": fmt},
                    },
                    "color": colour,
                },
            }
            for col, title, fmt in panels
        ],
        "resolve": {"scale": {"x": "shared"}},
    }


def sweep_svg(table: pd.DataFrame, param_keys: list[str], *, language: str = "zh") -> str:
    """:func:`sweep_spec` as a standalone SVG (the sweep's ``tradeoff.svg``)."""
    return chart_svg(sweep_spec(table, param_keys, language=language))
