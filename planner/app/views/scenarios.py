"""The Scenarios step: save a run in the library, reopen one, apply its settings, compare runs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import streamlit as st

from planner.app import downloads, state, tables
from planner.app import run as app_run
from planner.app.views.common import (
    cached_demo,
    cached_result_map,
    multiselect,
    select,
    show_error,
    show_text_table,
    ss,
    tr,
)
from planner.app.views.login import ROOT_KEY, USER_KEY
from planner.errors import PlannerError
from planner.languages import LANGUAGES
from planner.sanitize import markdown_text as md

if TYPE_CHECKING:
    from planner.runs.library import SavedScenario


def _team_safe(message: str) -> str:
    """In team use a message names the library, never the server's folders."""
    root = ss.get(ROOT_KEY)
    if not ss.get(USER_KEY) or not root:
        return message
    for text in {str(Path(root).expanduser().resolve()), str(Path(root).expanduser()), root}:
        message = message.replace(text, "<library root>")
    return message


def open_library() -> Any:
    """The chosen library: a name under the configured root, the user's own once users log in."""
    from planner.runs import access
    from planner.runs.library import ScenarioLibrary

    root = ss.get(ROOT_KEY) or str(access.library_root())
    try:
        folder = access.library_folder(
            Path(root),
            ss.get("library_name") or access.DEFAULT_LIBRARY,
            user=ss.get(USER_KEY),
        )
        return ScenarioLibrary(folder)
    except PlannerError as exc:
        show_error(type(exc)(_team_safe(str(exc))))
        return None


def apply_saved(name: str) -> None:
    lib = open_library()
    if lib is None:
        return
    try:
        path = state.demo_scenario_path()
        demo = cached_demo(str(path), path.stat().st_mtime_ns)
        values = downloads.settings_from_saved(lib.load(name), demo=demo)
    except PlannerError as exc:
        ss["_apply_error"] = _team_safe(str(exc))
        return
    for key, value in values.items():
        if key.startswith("upload_") and value is None:
            ss.pop(key, None)
        else:
            ss[key] = value
    ss.pop("_sites_token", None)  # the layers changed on purpose: keep the saved site choices
    ss["_applied"] = name


def delete_saved(name: str) -> None:
    lib = open_library()
    if lib is None:
        return
    try:
        lib.delete(name)
        ss["_deleted"] = name
    except PlannerError as exc:
        ss["_apply_error"] = _team_safe(str(exc))


def step_scenarios() -> None:
    st.header(tr("app_step_scenarios"))
    lib = open_library()
    if lib is None:
        return
    # In team use the server's folders are nobody's business: the library's name only.
    shown = ss.get("library_name") if ss.get(USER_KEY) else str(lib.path)
    st.caption(tr("app_library_at", path=md(str(shown))))
    lang = ss["lang"]
    for flag, key in (("_applied", "app_applied"), ("_deleted", "app_deleted")):
        if flag in ss:
            st.success(tr(key, name=md(ss.pop(flag))))
    if "_apply_error" in ss:
        st.error(tr("app_error_input", message=md(ss.pop("_apply_error"))))

    st.subheader(tr("app_save"))
    run: app_run.AppRun | None = ss.get("run")
    if run is None or not run.solution.has_plan:
        st.info(tr("app_save_needs_run"))
    else:
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.text_input(tr("app_save_name"), key="save_name", max_chars=80)
        c2.checkbox(tr("app_save_with_map"), key="save_with_map")
        c3.checkbox(tr("app_save_overwrite"), key="save_overwrite")
        if st.button(tr("app_save_button"), key="save_button"):
            try:
                pages: dict[str, str] = {}
                if ss.get("save_with_map"):  # in every language: shown in the page's own
                    pages = {
                        code: cached_result_map(run.key, code, ss.get("basemap", "osm"), run)
                        for code in LANGUAGES
                    }
                kept = downloads.save_run(
                    lib,
                    str(ss.get("save_name") or ""),
                    run,
                    lang,
                    map_page=pages.get(lang),
                    maps=pages,
                    overwrite=bool(ss.get("save_overwrite")),
                )
                st.success(tr("app_saved", name=md(kept.name)))
            except PlannerError as exc:
                show_error(exc)

    st.subheader(tr("app_saved_list"))
    try:
        table = lib.table()
        names = lib.names()
    except PlannerError as exc:
        show_error(exc)
        return
    if table.empty:
        st.info(tr("app_library_empty"))
        return
    show_text_table(library_view(table))

    st.subheader(tr("app_open"))
    select("open_name", tr("app_open_name"), names)
    name = ss.get("open_name")
    if name:
        try:
            saved: SavedScenario | None = lib.load(name)
        except PlannerError as exc:
            show_error(exc)
            saved = None
        if saved is not None:
            show_saved(saved)
            b1, b2 = st.columns(2)
            b1.button(
                tr("app_apply"),
                key="apply_button",
                on_click=apply_saved,
                args=(name,),
                help=tr("app_apply_help"),
            )
            b2.button(tr("app_delete"), key="delete_button", on_click=delete_saved, args=(name,))

    st.subheader(tr("app_compare"))
    multiselect("compare_names", tr("app_compare_names"), names)
    chosen = list(ss.get("compare_names") or [])
    if len(chosen) < 2:
        st.caption(tr("app_compare_hint"))
        return
    try:
        comparison = lib.compare(chosen)
        saved_runs = [lib.load(n) for n in chosen]
    except PlannerError as exc:
        show_error(exc)
        return
    kpis, sites = tables.comparison_tables(comparison, saved_runs, lang)
    show_text_table(kpis, hide_index=False)
    st.caption(tr("app_compare_reference", name=md(chosen[0])))
    show_text_table(sites, hide_index=False)
    for col, s in zip(st.columns(len(saved_runs)), saved_runs, strict=True):
        with col:
            st.markdown(f"**{md(s.name)}**")
            if s.map_in(lang):
                st.iframe(s.map_in(lang), height=420, alt=tr("app_plan_map") + " " + s.name)
            else:
                st.caption(tr("app_no_saved_map"))


def library_view(table: Any) -> Any:
    return tables.library_table(table, ss["lang"])


def show_saved(saved: Any) -> None:
    from planner.present.labels import kpi_label

    lang = ss["lang"]
    doc = saved.kpis
    solution = doc.get("solution") or {}
    st.markdown(
        tr(
            "app_saved_header",
            name=md(saved.name),
            created=tables.fmt_when(saved.created_at),
            quality=tables.saved_quality(solution, lang),
        )
    )
    c1, c2 = st.columns([1, 2])
    with c1:
        rows = []
        for key, value in saved.summary.items():
            try:
                label = kpi_label(key, lang)
            except KeyError:
                continue
            rows.append((label, tables.fmt_value(key, value)))
        import pandas as pd

        show_text_table(pd.DataFrame(rows, columns=[tr("kpi_metric"), tr("kpi_plan")]))
        name_key = "name_zh" if lang == "zh" else "name_en"
        show_text_table(
            pd.DataFrame(
                [(s["site_id"], s.get(name_key, "")) for s in saved.sites],
                columns=[tr("site_id"), tr("name")],
            )
        )
    with c2:
        if saved.map_in(lang):
            st.iframe(saved.map_in(lang), height=480, alt=tr("app_plan_map") + " " + saved.name)
        else:
            st.caption(tr("app_no_saved_map"))
