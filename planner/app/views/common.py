"""Shared pieces of the app's pages: the session state, labels in the session's language,
errors as one line, widgets whose value is always among their options, and the caches
(keyed by content: equal keys mean equal results, whichever session asks).
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import streamlit as st

from planner.app import jobs, state
from planner.app import maps as app_maps
from planner.app import run as app_run
from planner.app.checks import FieldNote
from planner.app.messages import reader_text
from planner.errors import DataError, PlannerError
from planner.inputs.uploads import (
    new_session_folder,
    read_upload,
    remove_session_folder,
)
from planner.present.i18n import t
from planner.runs.config import ScenarioConfig, load_scenario
from planner.runs.results import PlanInputs
from planner.sanitize import markdown_text as md

_LOG = logging.getLogger("planner.app")


ss = st.session_state


def tr(key: str, **fields: Any) -> str:
    """A label in the session's language."""
    return t(key, ss.get("lang", "zh"), **fields)


def labels(prefix: str) -> Callable[[Any], str]:
    """A ``format_func`` showing option ``x`` as the label ``<prefix>x`` in the current language.

    The language is bound now: AppTest (and Streamlit) may call it outside the script run.
    """
    lang = ss.get("lang", "zh")
    return lambda value: t(f"{prefix}{value}", lang)


def holding(key: str, low: float, high: float | None = None) -> dict[str, Any]:
    """``min_value``/``max_value`` of field ``key``: its usual range, widened to hold the
    value it has (of the type of ``low``). A scenario may hold values outside a field's
    usual range (any ``travel.detour_factor >= 1``, a 900-minute standard); Streamlit
    would replace such a value by a bound without a word, and the app would plan another
    problem than ``planner run``. ``high=None``: no upper end."""
    kind = type(low)
    value = ss.get(key)
    held = [kind(value)] if isinstance(value, (int, float)) else []
    bounds: dict[str, Any] = {"min_value": min([low, *held])}
    if high is not None:
        bounds["max_value"] = max([kind(high), *held])
    return bounds


def numbered(label: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda step: f"{state.STEPS.index(step) + 1}. {label(step)}"


def _user_names(text: str) -> str:
    """Messages name the user's uploaded files, not the private folder they are kept in."""
    for slot in (*state.LAYER_SLOTS, "roads"):
        info = ss.get(f"upload_{slot}")
        if info:
            text = text.replace(str(info["path"]), str(info["name"]))
    return state.in_planner_words(text)


def show_table(frame: Any, **kwargs: Any) -> None:
    """``st.dataframe`` of a table holding user text, spreadsheet-safe.

    The table's toolbar offers a CSV download that Streamlit writes in the browser
    without neutralising formulas, so text cells starting ``=``, ``+``, ``-``, ``@``
    are shown (and downloaded) with a leading ``'``, as in the planner's CSV files
    (:func:`planner.sanitize.csv_safe_frame`).
    """
    if "column_config" not in kwargs:
        kwargs["column_config"] = grouped_numbers(frame)
    st.dataframe(table_safe_frame(frame), **kwargs)


def grouped_numbers(frame: Any) -> dict[str, Any]:
    """Column settings for numbers as a table prints them: whole numbers of 1,000 and more
    with thousands separators (``694,721``, not ``694721``, in the reader's locale), and
    columns rounded to one decimal with it on every row (``9.0``, not ``9`` under ``6.7``)."""
    import numpy as np
    import pandas as pd

    out: dict[str, Any] = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_bool_dtype(column) or not pd.api.types.is_numeric_dtype(column):
            continue
        values = column.to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        if values.size == 0:
            continue
        whole = bool(np.all(values == np.round(values)))
        tenths = bool(np.all(np.isclose(values * 10, np.round(values * 10))))
        if whole and np.abs(values).max() >= 1000:
            out[str(name)] = st.column_config.NumberColumn(format="localized")
        elif tenths and not whole:
            out[str(name)] = st.column_config.NumberColumn(format="%.1f")
    return out


#: A signed quantity as the app's tables print it (``+0.8 pp``, ``-2.5 min``, ``+3 %``):
#: no formula (no function, reference or operator after the number), shown as it is.
SIGNED_QUANTITY = re.compile(r"[+-][\d.,]+([eE][+-]?\d+)?( ?[^\W\d]{1,6}| ?%)?")


def table_safe_frame(frame: Any) -> Any:
    """``frame`` with formula-leading text cells prefixed by ``'`` (see :func:`show_table`),
    except the signed quantities (:data:`SIGNED_QUANTITY`) of the app's own comparisons."""
    import pandas as pd

    from planner.sanitize import FORMULA_PREFIXES, csv_safe_frame

    def risky(value: Any) -> bool:
        return (
            isinstance(value, str)
            and value.startswith(FORMULA_PREFIXES)
            and not SIGNED_QUANTITY.fullmatch(value)
        )

    out = frame.copy()
    for pos in range(frame.shape[1]):
        column = frame.iloc[:, pos]
        if pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column):
            out.isetitem(pos, [("'" + v) if risky(v) else v for v in column.to_numpy(dtype=object)])
    kept = csv_safe_frame(out.iloc[:0])  # column names and index as in the CSV files
    out.columns = kept.columns
    if any(risky(v) for v in frame.index):
        out.index = csv_safe_frame(frame.iloc[:, :0]).index
    return out


#: Characters after which a long word may wrap in a table cell (names like ``plan_2026_v2``).
_WRAP_AFTER = re.compile(r"([_/\\.\-])(?=\S)")
#: Longest run of characters without a wrap opportunity in a table cell.
_LONGEST_RUN = 14
#: Chinese, Japanese and Korean text wraps between any two characters by itself.
_CJK = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")


def breakable(text: str) -> str:
    """``text`` with invisible wrap opportunities (zero-width spaces) in words longer than
    :data:`_LONGEST_RUN` characters (after ``_ / \\ . -``, else every so many characters),
    so that a long name wraps in its table cell instead of widening the table past the
    page. Shorter words and Chinese text are left as they are."""

    def word(w: str) -> str:
        if len(w) <= _LONGEST_RUN or _CJK.search(w):
            return w
        parts = _WRAP_AFTER.sub("\\1\u200b", w).split("\u200b")
        return "\u200b".join(
            "\u200b".join(p[i : i + _LONGEST_RUN] for i in range(0, len(p), _LONGEST_RUN))
            for p in parts
        )

    return " ".join(word(w) for w in text.split(" "))


def show_text_table(frame: Any, *, hide_index: bool = True) -> None:
    """A small table of text as wide as the page and never wider: headers and cells wrap
    (``st.table``; ``st.dataframe`` sizes each column to its longest text and scrolls
    sideways, cutting it off). Cells are Markdown there, so text is escaped, and long
    words get wrap opportunities (:func:`breakable`)."""

    def cell(value: Any) -> Any:
        return md(breakable(value)) if isinstance(value, str) else value

    shown = frame.map(cell)
    shown.columns = [md(breakable(str(c))) for c in frame.columns]
    shown.index = frame.index.map(lambda v: md(breakable(str(v))))
    if frame.index.name is not None:
        shown.index.name = md(str(frame.index.name))
    st.table(shown, hide_index=hide_index)


def _upload_of(path: object) -> tuple[str | None, str | None]:
    """The upload slot and the uploaded file's name of a saved upload's ``path``."""
    for slot in (*state.LAYER_SLOTS, "roads"):
        info = ss.get(f"upload_{slot}")
        if info and str(info["path"]) == str(path):
            return slot, str(info["name"])
    return None, None


def error_text(exc: BaseException, *, slot: str | None = None, file: str | None = None) -> str:
    """An input error as Markdown in the page's language and words: a file that cannot be
    read in the app's own sentence (:func:`planner.app.messages.reader_text`: which upload,
    which field, what to do), else the message with the uploads' names and the app's names
    of settings (:func:`planner.app.state.in_planner_words`)."""
    if isinstance(exc, DataError) and exc.reason:
        found_slot, found_file = _upload_of(exc.details.get("path"))
        words = reader_text(
            exc, ss.get("lang", "zh"), slot=slot or found_slot, file=file or found_file
        )
        if words is not None:
            return md(words)
    return md(_user_names(str(exc)))


def show_error(exc: BaseException, *, slot: str | None = None, file: str | None = None) -> None:
    """An error as one clear line in the page, never a traceback (``slot``, ``file``: the
    upload it is about, when the caller knows; see :func:`error_text`)."""
    if isinstance(exc, PlannerError):
        st.error(tr("app_error_input", message=error_text(exc, slot=slot, file=file)))
    else:  # a bug: log it for the developers, tell the user plainly
        _LOG.exception("unexpected error in the app")
        first = _user_names(str(exc).splitlines()[0]) if str(exc) else ""
        st.error(tr("app_error_unexpected", kind=type(exc).__name__, message=md(first)))


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_demo(path: str, mtime_ns: int) -> ScenarioConfig:
    return load_scenario(path)


@st.cache_resource(show_spinner=False)
def inputs_store() -> dict[str, Any]:
    """Loaded inputs (or the error reading them) by :func:`~planner.app.state.inputs_key`
    (content: equal keys, equal inputs), shared by the sessions; filled by the threads of
    :mod:`planner.app.jobs` (at most :data:`planner.app.jobs.MAX_INPUTS`)."""
    return {}


#: Seconds the page waits, after a Stop click, for the stopped work to end (it ends at its
#: next check, well within a second, except inside a step that takes no check).
STOP_WAIT_S = 5.0


def stop_job() -> None:
    """The Stop button: set the current job's stop token (the work ends at its next check)
    and rerun the script, which ends the page's wait (:func:`wait_for`)."""
    job: jobs.Job | None = ss.get("_job")
    if job is None:
        return
    job.stop.set()
    ss["_stopped"] = job.kind
    if job.kind == "load":  # not read again for these settings until asked
        ss["_load_stopped"] = ss.get("_page_inputs_key")
    else:
        # The Run click's rerun was cut short before the step radio showed "results": the
        # page's own value would send the planner back to where Run was pressed.
        ss["step"] = "results"


def wait_for(
    job: jobs.Job, label: str, *, until: Callable[[], bool] | None = None, keep: bool = False
) -> Any:
    """Wait for ``job`` (or ``until()``) with its stage, the time so far and a Stop button.

    The clock is redrawn every half second; a click on Stop (:func:`stop_job`) or any other
    widget reruns the script, which ends this wait at once (the work goes on, or ends at
    its next check once stopped). Returns the status box when ``keep`` (the caller labels
    it with the outcome), else removes it.
    """
    holder = st.empty()
    with holder.container(), st.status(label, expanded=True) as status:
        clock = st.empty()
        st.button(
            tr("app_stop"),
            # one per reading: the straight-line reading and the road-network one can both
            # be waited for in one script run
            key={"run": "stop_button", "sweep": "stop_sweep"}.get(
                job.kind, f"stop_{job.kind}_{job.key[:16]}"
            ),
            on_click=stop_job,
        )
        while not job.done and not (until is not None and until()):
            stage = tr(f"app_stage_name_{job.stage}")
            clock.caption(
                tr(
                    "app_elapsed",
                    stage=f"{stage} {job.detail}" if job.detail else stage,
                    seconds=f"{job.seconds():.0f}",
                )
            )
            time.sleep(0.5)
        clock.empty()
    if keep:
        return status
    holder.empty()
    return None


def inputs_now(config: ScenarioConfig, slot: Any = None) -> PlanInputs | None:
    """The scenario's inputs: from the store, or read now on a thread the Stop button
    reaches (the wait shown in ``slot``, default here).

    Returns None when reading was stopped for the page's settings (the page says so);
    raises the reading's error (a :class:`~planner.errors.PlannerError` naming the file).
    """
    key = state.inputs_key(config)
    store = inputs_store()
    got = store.get(key)
    if got is None:
        if ss.get("_load_stopped") is not None and ss.get("_load_stopped") == ss.get(
            "_page_inputs_key"
        ):
            return None
        job: jobs.Job | None = ss.get("_job")
        if job is None or job.done or job.inputs_key != key:
            if job is not None and not job.done and job.kind == "load":
                job.stop.set()  # a reading for settings no longer shown (a run goes on)
            job = jobs.start("load", key, jobs.load_work(config, key, store), inputs_key=key)
            ss["_job"] = job
        with slot if slot is not None else st.container():
            wait_for(job, tr("app_reading"), until=lambda: key in store)
        got = store.get(key)
        if got is None:
            return None
    if isinstance(got, BaseException):
        raise got
    return got


@st.cache_resource(show_spinner=False)
def run_store() -> dict[str, app_run.AppRun]:
    """Solved runs by :func:`~planner.app.state.run_key` (content: equal keys, equal runs),
    shared by the sessions; filled by the solving thread of :func:`planner.app.views.results.do_run`."""
    return {}


def keep_run(key: str, run: app_run.AppRun, *, most: int = 16) -> None:
    """Keep a solved run in :func:`run_store` (the oldest ones go beyond ``most``)."""
    store = run_store()
    store[key] = run
    for old in list(store)[: max(0, len(store) - most)]:
        store.pop(old, None)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_site_choices(key: str, _config: ScenarioConfig) -> tuple[Any, Any]:
    return state.site_choices(_config)


@st.cache_resource(show_spinner=False, max_entries=24)
def cached_result_map(key: str, lang: str, basemap: str, _run: app_run.AppRun) -> str:
    return app_maps.result_map_html(_run, lang, basemap=basemap, height="100%")


@st.cache_resource(show_spinner=False, max_entries=12)
def cached_inputs_map(
    key: str,
    weights: tuple[float, ...],
    lang: str,
    basemap: str,
    _inputs: PlanInputs,
    flagged: tuple[int, ...] = (),
) -> str:
    from planner.present.maps import map_html

    return map_html(
        app_maps.inputs_map(_inputs, lang, basemap=basemap, height="100%", flagged=flagged)
    )


@st.cache_resource(show_spinner=False, max_entries=32)
def cached_layer(
    path: str,
    name: str,
    fingerprint: str,
    layer: str,
    crs: str,
    lon: str,
    lat: str,
    what: str,
    encoding: str = "",
) -> Any:
    from planner.inputs.uploads import SavedUpload, layer_names

    saved = SavedUpload(Path(path), name, 0, tuple(layer_names(path)))
    return read_upload(
        saved,
        layer=layer or None,
        crs=None if crs == "auto" else crs,
        lon_col=lon or None,
        lat_col=lat or None,
        encoding=encoding or None,
        what=what,
    )


class SessionFolder:
    """The session's private upload folder, deleted when the session's state is dropped."""

    def __init__(self) -> None:
        self.path = new_session_folder()
        weakref.finalize(self, remove_session_folder, self.path)


def session_dir() -> Path:
    return Path(ss["session_folder"].path)


def select(key: str, label: str, options: list[Any], **kwargs: Any) -> Any:
    """A selectbox whose stored value is always one of its options."""
    if ss.get(key) not in options and options:
        ss[key] = options[0]
    kwargs.setdefault("placeholder", tr("app_choose_one"))  # Streamlit's own is English
    return st.selectbox(label, options, key=key, **kwargs)


def multiselect(key: str, label: str, options: list[Any], **kwargs: Any) -> list[Any]:
    """A multiselect whose stored values are always among its options."""
    current = ss.get(key) or []
    kept = [v for v in current if v in options]
    if kept != current:
        ss[key] = kept
    kwargs.setdefault("placeholder", tr("app_choose_some"))  # Streamlit's own is English
    return st.multiselect(label, options, key=key, **kwargs)


def column_picker(key: str, label: str, columns: list[str], *, optional: bool) -> None:
    options = [state.NONE, *columns] if optional else list(columns)
    none = tr("app_none")
    select(key, label, options, format_func=lambda c: none if c == state.NONE else str(c))


def load_or_report(config: ScenarioConfig) -> PlanInputs | None:
    """The scenario's inputs (:func:`inputs_now`), or None after showing why they cannot be read."""
    try:
        return inputs_now(config)
    except PlannerError as exc:
        show_error(exc)
    except Exception as exc:  # a library error the planner did not turn into its own
        show_error(exc)
    return None


def show_notes(notes: list[FieldNote]) -> None:
    """The notes of one field, right under it: errors red, warnings amber, meanings grey."""
    for n in notes:
        if n.level == "error":
            st.error(n.text)
        elif n.level == "warning":
            st.warning(n.text)
        else:
            st.caption(n.text)
