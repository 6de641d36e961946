"""Chinese and English labels for maps, reports, messages and the app.

One table, :data:`LABELS`, maps a key to its Chinese (``"zh"``, the default for
the Wuhan demo) and English (``"en"``) text; :func:`t` looks a key up. Labels
may hold ``str.format`` fields (``{minutes}``), filled from keyword arguments.

The catalogue is kept by area, one module each: :mod:`~planner.i18n.outputs` (map,
KPIs, report, robustness), :mod:`~planner.i18n.diagnosis` (why there is no plan) and
:mod:`~planner.i18n.app` (the Streamlit app). A key lives in exactly one of them.

The package sits at the bottom of the layers (beside ``errors``): the optimiser's
no-plan message and the KPI labels use it as well as the maps, report and app.

There is no module-level "current language": every caller passes ``lang``,
because Streamlit sessions share one process.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from planner.errors import ConfigError
from planner.i18n.app import APP_LABELS
from planner.i18n.diagnosis import DIAGNOSIS_LABELS
from planner.i18n.outputs import OUTPUT_LABELS

__all__ = ["DEFAULT_LANGUAGE", "LABELS", "LANGUAGES", "check_language", "t"]

#: Languages every label has.
LANGUAGES: Final[tuple[str, ...]] = ("zh", "en")
#: The default language (the demo is Wuhan).
DEFAULT_LANGUAGE: Final[str] = "zh"


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
LABELS: Final = MappingProxyType(_merged(OUTPUT_LABELS, DIAGNOSIS_LABELS, APP_LABELS))


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
        If ``key`` is not a known label (a programming error: add it to the catalogue of its area).
    planner.errors.ConfigError
        If ``lang`` is not a supported language.
    """
    check_language(lang)
    try:
        entry = LABELS[key]
    except KeyError:
        raise KeyError(
            f"no label {key!r} in planner.i18n.LABELS; add it with 'zh' and 'en' text to the catalogue of its area (planner/i18n/)"
        ) from None
    text = entry[lang]
    return text.format(**fields) if fields else text
