"""Checks of the Model step's fields against the loaded data, in the planner's words, before Run.

:func:`model_notes` says beside each field what its number means (units, what it counts)
and what is wrong with it (an ``error`` keeps Run disabled): the same limits
:func:`planner.runs.pipeline.solve_options` enforces after Run, but named as the planner sees
them ("Number of centres p", "today's centres"), not as ``model.p = ...``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from planner.app.state import P_MODELS
from planner.i18n import check_language, t

if TYPE_CHECKING:
    from planner.runs.config import ScenarioConfig
    from planner.runs.pipeline import PlanInputs

__all__ = ["FieldNote", "model_notes"]


@dataclass(frozen=True)
class FieldNote:
    """One note beside a field: ``level`` is ``"error"`` (Run stays off), ``"warning"`` or
    ``"info"`` (what the number means)."""

    level: Literal["error", "warning", "info"]
    text: str


def _n(x: float) -> str:
    return f"{x:,.0f}"


def model_notes(
    config: ScenarioConfig, inputs: PlanInputs, lang: str
) -> dict[str, list[FieldNote]]:
    """Notes per Model-step field (``p``, ``capacity``, ``opening_cost``, ``budget``,
    ``max_sites``) for ``config`` on ``inputs`` (re-blended to its demand weights).

    Parameters
    ----------
    config
        The scenario the widgets stand for.
    inputs
        Its loaded inputs (:func:`planner.runs.sweep.inputs_for` applied).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict
        ``{field: [FieldNote, ...]}``; fields without notes are absent.
    """
    check_language(lang)
    m = config.model
    sites = inputs.sites
    n_sites = len(sites)
    n_kept = int(sites["keep"].sum())
    n_today = int(sites["existing"].sum())
    total = float(inputs.demand["weight"].sum())
    out: dict[str, list[FieldNote]] = {}

    def note(
        field: str, level: Literal["error", "warning", "info"], key: str, **kw: object
    ) -> None:
        out.setdefault(field, []).append(FieldNote(level, t(key, lang, **kw)))

    if m.name in P_MODELS and m.p is not None:
        p = int(m.p)
        note("p", "info", "app_note_p", kept=n_kept, today=n_today, sites=n_sites)
        if p < n_kept:
            note("p", "error", "app_check_p_below_kept", p=p, kept=n_kept)
        if p > n_sites:
            note("p", "error", "app_check_p_above_sites", p=p, sites=n_sites)
    if m.name == "capacitated_p_median":
        cap = float(m.capacity or 0.0)
        p = int(m.p or 0)
        note(
            "capacity",
            "info",
            "app_note_capacity",
            total=_n(total),
            each=_n(total / max(p, 1)),
            p=p,
        )
        if cap > 0 and p > 0 and cap * p < total * (1 - 1e-9):
            note(
                "capacity",
                "error",
                "app_check_capacity_short",
                p=p,
                cap=_n(cap),
                room=_n(cap * p),
                total=_n(total),
            )
    if m.name == "facility_location":
        cost = float(m.opening_cost or 0.0)
        note("opening_cost", "info", "app_note_opening_cost")
        note("budget", "info", "app_note_budget")
        if m.budget is not None and cost > 0:
            can = math.floor(float(m.budget) / cost)
            level: Literal["warning", "info"] = "warning" if can == 0 else "info"
            note("budget", level, "app_check_budget_opens", n=can)
        if m.max_sites is not None and m.max_sites < n_kept:
            note("max_sites", "error", "app_check_max_sites_below_kept", n=m.max_sites, kept=n_kept)
    return out


def errors(notes: dict[str, list[FieldNote]]) -> list[str]:
    """The error texts among ``notes`` (what keeps Run off)."""
    return [n.text for field in notes.values() for n in field if n.level == "error"]
