"""The page: the session's defaults, the sidebar (language, time limit, Run, library) and the steps."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import streamlit as st

from planner.app import checks, memory, state
from planner.app import run as app_run
from planner.app.views.common import (
    SessionFolder,
    cached_demo,
    error_text,
    inputs_now,
    labels,
    numbered,
    session_dir,
    show_error,
    ss,
    tr,
)
from planner.app.views.data import add_datum_notes, read_slots, step_data, step_demand
from planner.app.views.login import ROOT_KEY, USER_KEY, gate, logout_button
from planner.app.views.results import (
    after_stop,
    do_run,
    finish_run,
    load_stopped_note,
    step_results,
)
from planner.app.views.scenarios import step_scenarios
from planner.app.views.settings import step_model, step_travel, travel_notes
from planner.app.views.sites import sites_notes, step_sites
from planner.errors import PlannerError
from planner.runs import access
from planner.runs.config import ScenarioConfig
from planner.runs.results import PlanInputs
from planner.sanitize import markdown_text as md

#: Widget keys that are not settings of the scenario (kept across steps too).
_UI_KEYS = (
    "data_source",
    "library_name",
    "roads_layer",
    "save_name",
    "save_with_map",
    "save_overwrite",
    "open_name",
    "compare_names",
    "n_worst",
)


_SLOT_KEYS = ("layer", "crs", "epsg", "encoding", "lon", "lat")


def start_session() -> ScenarioConfig | None:
    """Defaults on the first run; widget values kept while their step is not shown."""
    if "session_folder" not in ss:
        ss["session_folder"] = SessionFolder()
    try:
        path = state.demo_scenario_path()
        demo = cached_demo(str(path), path.stat().st_mtime_ns)
    except PlannerError as exc:
        show_error(exc)
        return None
    except OSError as exc:
        st.error(tr("app_error_input", message=md(str(exc))))
        return None
    if "_defaults_set" not in ss:
        ss["_defaults_set"] = True
        # Language, step and library: the address first (a reload, a shared link), then the
        # settings file (a restart), then the defaults.
        remembered = memory.load(memory.settings_path(), ss.get(USER_KEY))
        remembered.update(memory.from_query(st.query_params.to_dict()))
        ss.update(remembered)
        for key, value in state.state_from_config(demo).items():
            ss.setdefault(key, value)
        ss.setdefault("data_source", "demo")
        ss.setdefault("step", "data")
        ss.setdefault("library_name", access.DEFAULT_LIBRARY)
        ss.setdefault("save_with_map", True)
        ss.setdefault("save_overwrite", False)
        ss.setdefault("n_worst", 10)
        ss["_demo_sites"] = {
            k: ss[k] for k in ("categories", "exclude_ids", "closable_ids", "existing_policy")
        }
    # Streamlit forgets the value of a widget that is not drawn in a run; the steps are
    # drawn one at a time, so every value is re-stored here (Streamlit's documented way).
    keys = [*state.state_from_config(demo), *_UI_KEYS, "step"]
    keys += [f"{s}_{k}" for s in (*state.LAYER_SLOTS, "roads") for k in _SLOT_KEYS]
    for key in keys:
        if key in ss:
            ss[key] = ss[key]
    return demo


def sync_site_choices() -> None:
    """When the candidate or existing layer changes, reset the site choices made for the old one."""
    token = (
        ss.get("data_source"),
        str((ss.get("upload_candidates") or {}).get("path")),
        ss.get("candidates_file_id"),
        ss.get("candidates_id_col"),
        ss.get("candidates_category_col"),
        ss.get("existing_file_id"),
        ss.get("existing_id_col"),
    )
    if ss.get("_sites_token") == token:
        return
    first = "_sites_token" not in ss
    ss["_sites_token"] = token
    if first:
        return
    if ss.get("data_source") == "demo":
        ss.update(ss["_demo_sites"])
    else:
        ss.update({"categories": [], "exclude_ids": [], "closable_ids": []})
        ss["_categories_pending"] = True


def request_run() -> None:
    ss["_run_requested"] = True
    ss["step"] = "results"


def loaded_inputs(config: ScenarioConfig | None, slot: Any) -> tuple[PlanInputs | None, str | None]:
    """The scenario's inputs (read on a thread the Stop button reaches, the wait shown in
    ``slot``), or None and why they cannot be read (the Data step shows that error in full;
    Run stays off with it). None and no reason when reading was stopped."""
    if config is None:
        return None, None
    try:
        return inputs_now(config, slot), None
    except PlannerError as exc:
        return None, error_text(exc)
    except Exception:  # a bug: the Data step shows and logs it
        return None, None


def field_notes(
    config: ScenarioConfig | None, inputs: PlanInputs | None
) -> dict[str, list[checks.FieldNote]]:
    """The Model step's notes for the current settings (empty without inputs)."""
    if config is None or inputs is None:
        return {}
    from planner.runs.reblend import inputs_for

    return checks.model_notes(config, inputs_for(inputs, config), ss["lang"])


def step_label(step: str) -> str:
    return numbered(labels("app_step_"))(step)


def sidebar(config: ScenarioConfig | None, blocked: list[str] | None = None) -> None:
    with st.sidebar:
        st.title(tr("app_title"))
        st.radio(
            "Language / 语言",
            ["zh", "en"],
            key="lang",
            format_func=lambda x: "中文" if x == "zh" else "English",
            horizontal=True,
        )
        st.caption(tr("app_intro"))
        st.number_input(
            # any limit a scenario may hold (> 0 s, no upper end): bounds would replace it
            tr("app_time_limit"),
            min_value=0.1,
            step=5.0,
            key="time_limit_s",
        )
        st.button(
            tr("app_run"),
            key="run_button",
            type="primary",
            on_click=request_run,
            disabled=config is None or bool(blocked),
            width="stretch",
            help=tr("app_run_help"),
        )
        if blocked:
            st.error(tr("app_run_blocked") + "\n\n" + "\n".join(f"- {b}" for b in blocked))
        run = ss.get("run")
        if run is not None:
            st.caption(tr("app_last_run", quality=app_run.quality_text(run.solution, ss["lang"])))
            if config is not None and state.run_key(config) != run.key:
                st.caption(tr("app_settings_changed"))
        st.divider()
        library_chooser()
        st.caption(tr("app_privacy_note"))
        logout_button()


def library_chooser() -> None:
    """The library by name, under the configured root (never a server path)."""
    root = ss.get(ROOT_KEY)
    user = ss.get(USER_KEY)
    per_user = tr("app_library_per_user") if user else ""
    st.text_input(
        tr("app_library_name"),
        key="library_name",
        max_chars=64,
        help=tr("app_library_name_help", per_user=per_user),
    )
    if root:
        names = access.library_names(Path(root), user=user)
        st.caption(" · ".join(md(n) for n in names))


def main() -> None:
    if gate() is None:  # not logged in, or served to others without a login: nothing else
        return
    demo = start_session()
    if demo is None:
        return
    reads = read_slots()  # before the scenario: a fresh upload's columns are guessed here
    sync_site_choices()
    config: ScenarioConfig | None = None
    config_error: PlannerError | None = None
    try:
        config = state.config_from_state(
            cast("Mapping[str, Any]", ss), demo=demo, session_dir=session_dir()
        )
    except PlannerError as exc:
        config_error = exc
    # Fixed slots: the page keeps the same layout whether or not a reading, a run or an error
    # is shown, so a display-only rerun never remounts (and reloads) the maps below.
    load_slot = st.container()
    status_slot = st.container()
    ss["_page_inputs_key"] = None if config is None else state.inputs_key(config)
    network_notes = travel_notes(config, load_slot)
    inputs, load_error = loaded_inputs(config, load_slot)
    notes = field_notes(config, inputs)
    add_datum_notes(reads, inputs)
    at = "{e}（{where}）" if ss.get("lang") == "zh" else "{e} ({where})"
    blocked = [at.format(e=e, where=step_label("model")) for e in checks.errors(notes)]
    blocked += [at.format(e=e, where=step_label("travel")) for e in checks.errors(network_notes)]
    blocked += [
        at.format(e=e, where=step_label("sites")) for e in checks.errors(sites_notes(config))
    ]
    for slot, read in reads.items():
        where = f"{step_label('data')} · {tr(f'app_slot_{slot}')}"
        blocked += [at.format(e=e, where=where) for e in read.errors()]
    if load_error and not blocked:  # e.g. every candidate excluded: it would fail after Run
        blocked.append(at.format(e=load_error, where=step_label("data")))
    if blocked:
        ss.pop("_run_requested", None)
    with status_slot:
        if ss.get("_stopped"):
            after_stop()
        if ss.pop("_run_requested", False) and config is not None:
            do_run(config)
        job = ss.get("_job")
        if job is not None and job.kind == "run" and not job.done and not job.stop.is_set():
            finish_run(job)  # a click elsewhere ended the Run click's wait: wait again
        if (
            ss.get("_load_stopped") is not None
            and ss.get("_load_stopped") == ss.get("_page_inputs_key")
            and inputs is None
        ):
            load_stopped_note()
    sidebar(config, blocked)  # after the run: its status and "settings changed" are about this run
    st.radio(
        tr("app_step"),
        list(state.STEPS),
        key="step",
        format_func=numbered(labels("app_step_")),
        horizontal=True,
        label_visibility="collapsed",
    )
    message_slot = st.container()
    if config_error is not None:
        with message_slot:
            if isinstance(config_error, state.MissingInputError):  # a to-do, in the page's words
                st.error(tr(f"app_missing_{config_error.key}"))
            else:
                show_error(config_error)
    step = ss["step"]
    if step == "data":
        step_data(config, reads)
    elif step == "demand":
        step_demand(config)
    elif step == "sites":
        step_sites(config)
    elif step == "travel":
        step_travel(network_notes)
    elif step == "model":
        step_model(notes)
    elif step == "results":
        step_results(config)
    else:
        step_scenarios()
    remember()


def remember() -> None:
    """Keep language, step and library in the address and the settings file (when changed)."""
    now = {k: ss.get(k) for k in memory.QUERY_KEYS}
    want = memory.to_query(now)
    if {k: st.query_params.get(k) for k in want} != want:
        st.query_params.update(want)
    key = tuple(sorted(want.items()))
    if ss.get("_remembered") != key:
        ss["_remembered"] = key
        memory.save(memory.settings_path(), ss.get(USER_KEY), now)
