"""A file the app cannot read, said in the page's language and the planner's words.

The readers (:mod:`planner.inputs.layers`, :mod:`planner.inputs.file_checks`,
:mod:`planner.inputs.uploads`, :func:`planner.runs.pipeline.read_source`) raise a
:class:`~planner.errors.DataError` whose message is written for the scenario file
(``name it with `lon_col=```, ``setting `id_col```); its ``reason`` and ``details`` say the
same as data. Here they become the app's sentence: which upload, which file (by the name
it was uploaded with), which field of the Data step and what to do there, in Chinese or
English (``app_read_<reason>`` labels).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from planner.errors import DataError
from planner.present.i18n import LABELS, check_language, t

#: The Data step's column pickers (``app_col_<field>`` labels) of a layer setting, by slot.
_FIELDS: Final = {
    ("population", "population_col"): "population_col",
    ("population", "pop65_col"): "pop65_col",
    ("population", "id_col"): "population_id_col",
    ("residential", "column"): "residential_col",
    ("faults", "timestamp_col"): "faults_time_col",
}


def _field(slot: str | None, setting: str | None, lang: str) -> str:
    """The label of the field holding ``setting`` of ``slot``'s layer (the setting's own
    name when the app has no field for it)."""
    if not setting:
        return ""
    field = _FIELDS.get((slot or "", setting), f"{slot}_{setting}")
    key = f"app_col_{field}"
    return t(key, lang) if key in LABELS else setting


def reader_text(
    exc: DataError, lang: str, *, slot: str | None = None, file: str | None = None
) -> str | None:
    """The reading error ``exc`` in ``lang`` and the app's words, or None when the app has
    no words for its reason (the caller shows the message itself).

    Parameters
    ----------
    exc
        The reader's error (its ``reason`` and ``details``).
    lang
        ``"zh"`` or ``"en"``.
    slot
        The upload it is about (``"population"``, ..., ``"roads"``), when known: the
        sentence starts with that upload's name.
    file
        The file's name as the planner uploaded it (default: the name in ``details``).

    Returns
    -------
    str or None
        Plain text (not Markdown).
    """
    check_language(lang)
    key = f"app_read_{exc.reason}"
    if not exc.reason or key not in LABELS:
        return None
    fields = {k: str(v) for k, v in exc.details.items()}
    fields["file"] = file or Path(fields.get("path", "")).name or "?"
    if exc.reason == "coordinate_column_missing":
        fields["axis"] = t(
            "app_lon_col" if fields.get("axis") == "longitude" else "app_lat_col", lang
        )
    if exc.reason == "column_missing":
        fields["field"] = _field(slot, fields.get("setting"), lang) or t("app_column", lang)
    try:
        text = t(key, lang, **fields)
    except KeyError:  # a reader that gave fewer details than the words need
        return None
    if slot is None:
        return text
    what = t(f"app_slot_{slot}", lang)
    return f"{what}：{text}" if lang == "zh" else f"{what}: {text}"
