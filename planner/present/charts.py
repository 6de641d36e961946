"""Charts of the HTML outputs, drawn as inline SVG (no plotting library, no script):
the report's trade-off over the number of centres (:func:`tradeoff_svg`) and a sweep's
KPIs against its swept parameter (:func:`sweep_svg`). (The app draws its own
interactive curve with Vega-Lite.)"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from planner.errors import InputError
from planner.present.i18n import check_language, t

__all__ = ["sweep_svg", "tradeoff_svg"]

# --------------------------------------------------------------------------------------
# trade-off chart


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


def _nice_ticks(vmax: float, n: int = 5) -> list[float]:
    if not math.isfinite(vmax) or vmax <= 0:
        return [0.0, 1.0]
    raw = vmax / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(s * mag for s in (1, 2, 2.5, 5, 10) if s * mag >= raw)
    count = math.ceil(vmax / step - 1e-9)
    return [i * step for i in range(count + 1)]


def _esc(value: Any) -> str:
    import html

    return html.escape(str(value), quote=True)


def tradeoff_svg(
    tradeoff: pd.DataFrame | Sequence[Sequence[float]],
    *,
    chosen_p: int | None = None,
    standard_minutes: float = 15.0,
    language: str = "zh",
    width: int = 640,
    height: int = 260,
) -> str:
    """The trade-off over ``p`` as an inline SVG chart.

    Parameters
    ----------
    tradeoff
        :func:`planner.evaluate.tradeoff.tradeoff_curve` output (mean travel and coverage per
        ``p``), or ``(p, objective, coverage_share)`` triples.
    chosen_p
        The plan's ``p``, marked on the chart.
    standard_minutes
        The service circle the coverage refers to (for the legend).
    language
        ``"zh"`` or ``"en"``.
    width, height
        Size in CSS pixels (the chart scales with the page).

    Returns
    -------
    str
        An ``<svg>`` element: left axis mean travel (or objective), right axis coverage in %.
    """
    lang = check_language(language)
    df = _tradeoff_frame(tradeoff)
    left, right, top, bottom = 56, 56, 28, 40
    pw, ph = width - left - right, height - top - bottom
    ps = df["p"].to_numpy()
    vals = df["value"].to_numpy()
    cov = df["coverage_share"].to_numpy()
    p_lo, p_hi = int(ps.min()), int(ps.max())
    span = max(p_hi - p_lo, 1)

    def x(p: float) -> float:
        return left + (p - p_lo) / span * pw if p_hi > p_lo else left + pw / 2

    finite_vals = vals[np.isfinite(vals)]
    ticks = _nice_ticks(float(finite_vals.max()) if finite_vals.size else 1.0)
    vmax = ticks[-1] if ticks[-1] > 0 else 1.0

    def y_left(v: float) -> float:
        return top + ph - v / vmax * ph

    def y_right(share: float) -> float:
        return top + ph - share * ph

    value_label = (
        t("tradeoff_objective", lang)
        if df.attrs.get("value_is_minutes")
        else t("kpi_objective", lang)
    )
    cov_label = t("tradeoff_coverage", lang, minutes=f"{standard_minutes:g}")
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="tradeoff" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{_esc(t("report_tradeoff", lang))}">',
        f"<title>{_esc(t('report_tradeoff', lang))}</title>",
        "<style>.ax{stroke:#333;stroke-width:1}.grid{stroke:#ddd;stroke-width:1}"
        ".lbl{font:11px sans-serif;fill:#333}.obj{stroke:#1f4e9c;stroke-width:2;fill:none}"
        ".cov{stroke:#e67e22;stroke-width:2;fill:none;stroke-dasharray:5 3}"
        ".chosen{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:3 3}</style>",
    ]
    for tv in ticks:
        yy = y_left(tv)
        out.append(f'<line class="grid" x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        out.append(
            f'<text class="lbl" x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{tv:g}</text>'
        )
    for share in (0.0, 0.25, 0.5, 0.75, 1.0):
        yy = y_right(share)
        out.append(
            f'<text class="lbl" x="{left + pw + 6}" y="{yy + 4:.1f}">{100 * share:.0f}%</text>'
        )
    out.append(f'<line class="ax" x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}"/>')
    out.append(f'<line class="ax" x1="{left + pw}" x2="{left + pw}" y1="{top}" y2="{top + ph}"/>')
    out.append(f'<line class="ax" x1="{left}" x2="{left + pw}" y1="{top + ph}" y2="{top + ph}"/>')
    step = max(1, math.ceil(len(ps) / 15))
    for p in ps[::step]:
        out.append(
            f'<text class="lbl" x="{x(p):.1f}" y="{top + ph + 15}" text-anchor="middle">{int(p)}</text>'
        )
    out.append(
        f'<text class="lbl" x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{_esc(t('tradeoff_p', lang))}</text>"
    )
    if chosen_p is not None and p_lo <= chosen_p <= p_hi:
        cx = x(chosen_p)
        out.append(f'<line class="chosen" x1="{cx:.1f}" x2="{cx:.1f}" y1="{top}" y2="{top + ph}"/>')
        out.append(
            f'<text class="lbl" x="{cx + 4:.1f}" y="{top + 12}" fill="#c0392b">'
            f"{_esc(t('tradeoff_chosen', lang))} (p = {chosen_p})</text>"
        )

    def _polyline(ys: np.ndarray, cls: str, fy: Any) -> None:
        pts = [(x(p), fy(v)) for p, v in zip(ps, ys, strict=True) if math.isfinite(v)]
        if not pts:
            return
        coords = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
        out.append(f'<polyline class="{cls}" points="{coords}"/>')
        colour = "#1f4e9c" if cls == "obj" else "#e67e22"
        for a, b in pts:
            out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>')

    _polyline(vals, "obj", y_left)
    _polyline(cov, "cov", y_right)
    # legend
    out.append(f'<line class="obj" x1="{left}" x2="{left + 22}" y1="12" y2="12"/>')
    out.append(f'<text class="lbl" x="{left + 27}" y="16">{_esc(value_label)}</text>')
    lx = left + pw / 2 + 10
    out.append(f'<line class="cov" x1="{lx:.1f}" x2="{lx + 22:.1f}" y1="12" y2="12"/>')
    out.append(f'<text class="lbl" x="{lx + 27:.1f}" y="16">{_esc(cov_label)}</text>')
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------------------
# the trade-off chart (a dependency-free SVG: opens in any browser, embeds in reports)

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2")


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


def sweep_svg(table: pd.DataFrame, param_keys: list[str], *, language: str = "zh") -> str:
    """An SVG chart of a sweep: mean travel time and coverage against the first numeric parameter.

    One line per combination of the other parameters; a failed point (no plan)
    leaves a gap. Labels in ``language`` (``"zh"`` or ``"en"``).
    """
    zh = language == "zh"
    x_key = _numeric_param(table, param_keys)
    others = [k for k in param_keys if k != x_key]
    cov = _coverage_column(table)
    panels: list[tuple[str, str]] = []
    if "mean_minutes" in table:
        panels.append(
            (
                "mean_minutes",
                "平均出行时间（分钟）/ mean travel (min)" if zh else "Mean travel time (min)",
            )
        )
    if cov is not None:
        minutes = str(cov)[7:-9]
        panels.append(
            (
                cov,
                f"{minutes} 分钟内人口占比 / share within {minutes} min"
                if zh
                else f"Share within {minutes} min",
            )
        )
    if not panels:
        panels.append(("objective", "目标函数 / objective" if zh else "Objective"))
    x_values = (
        table[x_key].to_numpy(dtype=float) if x_key else np.arange(1, len(table) + 1, dtype=float)
    )
    x_label = x_key or ("方案序号 / run" if zh else "Run")
    combos = [tuple(row) for row in table[others].itertuples(index=False, name=None)]
    groups = [
        (combo, [i for i, c in enumerate(combos) if c == combo]) for combo in dict.fromkeys(combos)
    ]

    width, panel_h, left, right, top, gap = 720, 240, 70, 170, 64, 70
    height = top + len(panels) * (panel_h + gap)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        f"{escape('方案权衡 / Sweep trade-off' if zh else 'Sweep trade-off')}</text>",
    ]
    x_lo, x_hi = float(np.nanmin(x_values)), float(np.nanmax(x_values))
    if x_hi == x_lo:
        x_lo, x_hi = x_lo - 1, x_hi + 1
    plot_w = width - left - right

    def sx(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    for k, (col, title) in enumerate(panels):
        y0 = top + k * (panel_h + gap)
        values = table[col].to_numpy(dtype=float) if col in table else np.full(len(table), np.nan)
        finite = values[np.isfinite(values)]
        y_lo, y_hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        pad = (y_hi - y_lo) * 0.08 or max(abs(y_hi) * 0.05, 0.05)
        y_lo, y_hi = y_lo - pad, y_hi + pad

        def sy(y: float, y0: float = y0, y_lo: float = y_lo, y_hi: float = y_hi) -> float:
            return y0 + panel_h - (y - y_lo) / (y_hi - y_lo) * panel_h

        out.append(f'<text x="{left}" y="{y0 - 8}" font-weight="bold">{escape(title)}</text>')
        out.append(
            f'<rect x="{left}" y="{y0}" width="{plot_w}" height="{panel_h}" fill="none" stroke="#999"/>'
        )
        share = str(col).endswith("share")
        for tick in _nice_ticks_between(y_lo, y_hi) if finite.size else []:
            y = sy(tick)
            label = f"{100 * tick:g} %" if share else f"{tick:g}"
            out.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
            )
            out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
        for tick in _x_ticks(x_values, x_lo, x_hi):
            x = sx(tick)
            out.append(
                f'<text x="{x:.1f}" y="{y0 + panel_h + 16}" text-anchor="middle">{tick:g}</text>'
            )
        out.append(
            f'<text x="{left + plot_w / 2}" y="{y0 + panel_h + 34}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
        for g, (name, idx) in enumerate(groups):
            colour = _COLOURS[g % len(_COLOURS)]
            rows = np.asarray(idx, dtype=np.int64)
            order = rows[np.argsort(x_values[rows], kind="stable")]
            segment: list[str] = []
            segments: list[list[str]] = []
            for r in order:
                if np.isfinite(values[r]):
                    segment.append(f"{sx(x_values[r]):.1f},{sy(values[r]):.1f}")
                    out.append(
                        f'<circle cx="{sx(x_values[r]):.1f}" cy="{sy(values[r]):.1f}" r="2.5" fill="{colour}"/>'
                    )
                elif segment:
                    segments.append(segment)
                    segment = []
            if segment:
                segments.append(segment)
            for seg in segments:
                out.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{colour}" stroke-width="1.8"/>'
                )
            if others and k == 0:
                label = ", ".join(
                    f"{key.rsplit('.', 1)[-1]}={v}"
                    for key, v in zip(
                        others, name if isinstance(name, tuple) else (name,), strict=True
                    )
                )
                ly = top + 14 * g + 6
                out.append(
                    f'<rect x="{left + plot_w + 12}" y="{ly - 8}" width="10" height="10" fill="{colour}"/>'
                )
                out.append(f'<text x="{left + plot_w + 26}" y="{ly + 1}">{escape(label)}</text>')
    out.append("</svg>")
    return "\n".join(out)


def _nice_ticks_between(lo: float, hi: float, n: int = 7) -> list[float]:
    """About ``n`` round tick values (1, 2 or 5 times a power of ten apart) within [lo, hi]."""
    raw = (hi - lo) / max(n - 1, 1)
    if not math.isfinite(raw) or raw <= 0:
        return [lo]
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1.0, 2.0, 5.0, 10.0) if m * power >= raw)
    first = math.ceil(lo / step) * step
    count = math.floor((hi - first) / step + 1e-9) + 1
    return [round(first + k * step, 12) for k in range(count)]


def _x_ticks(x_values: np.ndarray, x_lo: float, x_hi: float) -> list[float]:
    unique = np.unique(x_values[np.isfinite(x_values)])
    if unique.size <= 12:
        return [float(v) for v in unique]
    return [float(v) for v in np.linspace(x_lo, x_hi, 7)]
