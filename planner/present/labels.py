"""Words for numbers: the Chinese and English label of every KPI key, the terminal
table of a run comparison, and the one reading of a cell as a shown number."""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from planner.evaluate.compare import Comparison
from planner.present.i18n import t

__all__ = ["comparison_text", "finite_or_none", "kpi_label", "model_label", "quality_label"]


def finite_or_none(value: object) -> float | None:
    """``value`` as a float to show, or None when it is missing, not a number or not
    finite (a table prints a dash, a chart leaves the point out)."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def quality_label(status: str | None, gap: float | None, lang: str = "zh") -> str:
    """How good a plan is, in plain words and ``lang``: "proven optimal" only for a proven
    optimum, "within 0.40 % of optimal (certified)" for a certified gap (a fraction, 0-1).

    ``status`` is a :class:`~planner.optimize.solution.Status` value (``"optimal"``,
    ``"feasible"``, ``"infeasible"``, ...), e.g. from ``Solution.to_dict()``.
    """
    if status == "optimal":
        return t("app_quality_optimal", lang)
    if status == "feasible":
        g = finite_or_none(gap)
        if g is None:
            return t("app_quality_no_bound", lang)
        return t("app_quality_gap", lang, gap=f"{100.0 * g:.2f}")
    if status == "infeasible":
        return t("app_quality_infeasible", lang)
    return t("app_quality_none", lang)


def model_label(model: str, lang: str = "zh") -> str:
    """The name of a location model (``"p_median"``, ``"mclp"``, ...) in ``lang``; an
    unknown name as it is."""
    try:
        return t(f"app_model_{model}", lang)
    except KeyError:
        return model


#: The label key of each fixed :meth:`~planner.evaluate.kpis.PlanKPIs.summary` key.
KEY_LABELS: dict[str, str] = {
    "n_centres": "kpi_n_centres",
    "mean_minutes": "kpi_mean_minutes",
    "median_minutes": "kpi_median_minutes",
    "p90_minutes": "kpi_p90_minutes",
    "max_minutes": "kpi_max_minutes",
    "mean_km": "kpi_mean_km",
    "median_km": "kpi_median_km",
    "p90_km": "kpi_p90_km",
    "max_km": "kpi_max_km",
    "zone_standard_share": "kpi_zone_standard",
    "zone_standard_share_65plus": "kpi_zone_standard_65",
    "faults_within_response_share": "kpi_faults_within_response",
    "hotspots_within_response_share": "kpi_hotspots_within_response",
    "unserved_share": "kpi_unserved_share",
}
#: Coverage keys carry their threshold: ``within_15min_share``, ``within_2000m_share``.
WITHIN_MIN = re.compile(r"^within_([0-9.e+-]+)min_share(_65plus)?$")
WITHIN_M = re.compile(r"^within_([0-9.e+-]+)m_share(_65plus)?$")


def kpi_label(key: str, lang: str = "zh") -> str:
    """The human label of a :meth:`PlanKPIs.summary` key in ``lang``.

    Raises
    ------
    KeyError
        For a key that :meth:`PlanKPIs.summary` never produces.
    """
    if key in KEY_LABELS:
        return t(KEY_LABELS[key], lang)
    m = WITHIN_MIN.match(key)
    if m:
        label = "kpi_within_minutes_65" if m.group(2) else "kpi_within_minutes"
        return t(label, lang, minutes=m.group(1))
    m = WITHIN_M.match(key)
    if m:
        km = float(m.group(1)) / 1000.0
        text = t("kpi_within_km", lang, km=f"{km:g}")
        return text + (" (65+)" if m.group(2) else "")
    raise KeyError(f"no KPI named {key!r}")


def comparison_text(comparison: Comparison, *, language: str = "en") -> str:
    """A plain-text side-by-side table of ``comparison`` for the terminal, KPI names
    in ``language`` (``"zh"`` or ``"en"``)."""

    names = [r.name for r in comparison.runs]
    lines: list[list[str]] = [["", *names], ["status", *(r.status or "-" for r in comparison.runs)]]
    for key, row in comparison.kpis.iterrows():
        try:
            label = kpi_label(str(key), language)
        except KeyError:
            label = str(key)
        lines.append([label, *(_fmt(str(key), row[n]) for n in names)])
    lines.append(["", *([""] * len(names))])
    for col, label in (
        ("n_open", "open sites"),
        ("kept", f"kept (vs {names[0]})"),
        ("added", "added"),
        ("dropped", "dropped"),
    ):
        lines.append([label, *(str(comparison.sites.loc[n, col]) for n in names)])
    widths = [max(_width(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = [
        "  ".join(
            cell + " " * (widths[i] - _width(cell))
            if i == 0
            else " " * (widths[i] - _width(cell)) + cell
            for i, cell in enumerate(line)
        ).rstrip()
        for line in lines
    ]
    for n in names[1:]:
        added = str(comparison.sites.loc[n, "added_ids"])
        dropped = str(comparison.sites.loc[n, "dropped_ids"])
        if added or dropped:
            text.append(
                f"{n}: added {added.replace(';', ', ') or '-'}; "
                f"dropped {dropped.replace(';', ', ') or '-'}"
            )
    if not comparison.settings.empty:
        text.append("")
        text.append("settings that differ:")
        for key, row in comparison.settings.iterrows():
            text.append(f"  {key}: " + " | ".join(f"{n}={row[n]!s}" for n in names))
    return "\n".join(text)


def _width(text: str) -> int:
    """Terminal columns of ``text``: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fmt(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "-"
    v = float(value)
    if key.endswith("share") or key.endswith("_65plus") or key == "gap":
        return f"{100 * v:.1f} %"
    if key == "n_centres":
        return f"{v:.0f}"
    if abs(v) >= 1e5:
        return f"{v:,.0f}"
    return f"{v:.2f}"
