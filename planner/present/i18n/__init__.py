"""Chinese and English labels for maps, reports, messages and the app.

One table, :data:`LABELS`, maps a key to its Chinese (``"zh"``, the default for
the Wuhan demo) and English (``"en"``) text; :func:`t` looks a key up. Labels
may hold ``str.format`` fields (``{minutes}``), filled from keyword arguments.

The catalogue is kept by area, one module each: :mod:`~planner.present.i18n.outputs` (map,
KPIs, report, robustness), :mod:`~planner.present.i18n.app` (the Streamlit app's frame and
steps), :mod:`~planner.present.i18n.app_results` (run, results, scenarios, login) and
:mod:`~planner.present.i18n.app_checks` (the checks beside the app's fields). The
few words the layers below must say themselves live beside their code and are merged in
here: why there is no plan (:mod:`planner.optimize.diagnosis_text`) and the KPIs'
assumption notes (:mod:`planner.evaluate.notes_text`). A key lives in exactly one
catalogue. Languages and the lookup itself are :mod:`planner.languages`.

The package belongs to :mod:`planner.present`: nothing below it imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from planner.evaluate.notes_text import NOTE_LABELS
from planner.languages import DEFAULT_LANGUAGE, LANGUAGES, check_language, say
from planner.optimize.diagnosis_text import DIAGNOSIS_LABELS
from planner.present.i18n.app import APP_LABELS
from planner.present.i18n.app_checks import APP_CHECK_LABELS
from planner.present.i18n.app_results import APP_RESULT_LABELS
from planner.present.i18n.outputs import OUTPUT_LABELS

__all__ = ["DEFAULT_LANGUAGE", "LABELS", "LANGUAGES", "check_language", "t"]


def _merged(*catalogues: Mapping[str, Mapping[str, str]]) -> dict[str, Mapping[str, str]]:
    """The catalogues as one read-only table; a key in two of them is a programming error."""
    out: dict[str, Mapping[str, str]] = {}
    for catalogue in catalogues:
        twice = sorted(set(out) & set(catalogue))
        if twice:
            raise KeyError(f"labels defined in two i18n catalogues: {', '.join(twice)}")
        out.update({k: MappingProxyType(dict(v)) for k, v in catalogue.items()})
    return out


#: Every label, read-only: ``LABELS[key][lang]``.
LABELS: Final = MappingProxyType(
    _merged(
        OUTPUT_LABELS,
        NOTE_LABELS,
        DIAGNOSIS_LABELS,
        APP_LABELS,
        APP_RESULT_LABELS,
        APP_CHECK_LABELS,
    )
)


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
        If ``key`` is not a known label (a programming error: add it to the catalogue of its area).
    planner.errors.ConfigError
        If ``lang`` is not a supported language.
    """
    if key not in LABELS:
        raise KeyError(
            f"no label {key!r} in planner.present.i18n.LABELS; add it with 'zh' and 'en' text to the catalogue of its area (planner/present/i18n/)"
        )
    return say(LABELS, key, lang, **fields)
