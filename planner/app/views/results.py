"""Run (with its stages) and the Results step: status, headline, map, tables, curve, downloads."""

from __future__ import annotations

import concurrent.futures
from dataclasses import replace

import streamlit as st

from planner.app import downloads, jobs, state, tables
from planner.app import maps as app_maps
from planner.app import run as app_run
from planner.app.views.common import (
    STOP_WAIT_S,
    cached_inputs_map,
    cached_result_map,
    inputs_store,
    keep_run,
    labels,
    run_store,
    select,
    show_error,
    show_table,
    ss,
    tr,
    wait_for,
)
from planner.errors import PlannerError, RunStoppedError
from planner.present import charts
from planner.runs.config import ScenarioConfig
from planner.sanitize import markdown_text as md


def after_stop() -> None:
    """After a Stop click: wait (at most :data:`STOP_WAIT_S`) for the stopped work to end,
    then say what happened. A stopped run leaves the previous run the session's run; a
    stopped reading leaves the inputs unread until the settings change or the planner asks."""
    kind = ss.pop("_stopped", None)
    job: jobs.Job | None = ss.get("_job")
    if job is None or job.kind != kind:
        return
    if not job.done:
        with st.spinner(tr("app_run_stopping")):
            concurrent.futures.wait([job.future], timeout=STOP_WAIT_S)
    what = {"run": "run", "sweep": "sweep"}.get(str(kind), "load")
    if not job.done:  # a step that takes no check: said as the step it is
        reading = kind == "load" or job.stage in ("reading", "aggregation", "travel")
        step = "load" if reading else "run"
        st.warning(tr(f"app_{step}_stopping_background", seconds=f"{STOP_WAIT_S:g}"))
        return
    ss.pop("_job", None)
    if not job.stopped():  # it had ended before the token reached it
        if job.future.exception() is None and kind == "run":
            keep_result(job.future.result())  # a complete run: kept
        if job.future.exception() is None and kind == "sweep":
            keep_curve(job)
        st.info(tr(f"app_{what}_finished_before_stop"))
        return
    st.warning(tr(f"app_{what}_stopped", seconds=f"{job.seconds():.1f}"))


def read_again() -> None:
    """The "Read the data" button after a stopped reading."""
    ss.pop("_load_stopped", None)


def load_stopped_note() -> None:
    """While reading is stopped for the page's settings: say so, with a button to read."""
    st.info(tr("app_load_stopped_note"))
    st.button(tr("app_load_again"), key="load_again", on_click=read_again)


def do_run(config: ScenarioConfig) -> None:
    """Start the run on its own thread (reading the inputs when not read yet, then solving;
    the Stop button reaches every stage) and wait for it (:func:`finish_run`)."""
    job: jobs.Job | None = ss.get("_job")
    if job is not None and not job.done:
        if job.kind == "run" and job.key == state.run_key(config):
            finish_run(job)  # the same run: a second click waits for it again
            return
        job.stop.set()  # a reading (or run) for other settings
    key = state.run_key(config)
    store = run_store()
    if key in store:  # solved before, by this or another session: shown at once
        run = store[key]
        keep_result(run)
        ss.pop("_job", None)
        st.status(
            tr(
                "app_run_done",
                quality=app_run.quality_text(run.solution, ss["lang"]),
                seconds=f"{run.solution.runtime_s:.1f}",
            ),
            state="complete" if run.solution.has_plan else "error",
            expanded=False,
        )
        return
    job = jobs.start(
        "run",
        key,
        jobs.run_work(
            config,
            inputs_key=state.inputs_key(config),
            run_key=key,
            store=inputs_store(),
            keep_run=keep_run,
        ),
        inputs_key=state.inputs_key(config),
    )
    job.stage = "reading" if state.inputs_key(config) not in inputs_store() else "solve"
    ss["_job"] = job
    finish_run(job)


def finish_run(job: jobs.Job) -> None:
    """Wait for a run with its stage, the time so far and Stop; then keep it (or say why not).

    A click on Stop sets the run's token and reruns the script, which ends this wait; the
    work ends at its next check and the rerun (:func:`after_stop`) says so. Any other click
    also ends this wait: the next script run waits for the same run again.
    """
    lang = ss["lang"]
    status = wait_for(job, tr("app_running"), keep=True)
    exc = job.future.exception()
    if isinstance(exc, RunStoppedError):
        status.update(label=tr("app_run_stopped_short"), state="error", expanded=False)
        st.warning(tr("app_run_stopped", seconds=f"{job.seconds():.1f}"))
        return
    if exc is not None:
        status.update(label=tr("app_run_failed"), state="error", expanded=True)
        show_error(exc)
        return
    run: app_run.AppRun = job.future.result()
    status.update(
        label=tr(
            "app_run_done",
            quality=app_run.quality_text(run.solution, lang),
            seconds=f"{job.seconds():.1f}",
        ),
        state="complete" if run.solution.has_plan else "error",
        expanded=False,
    )
    keep_result(run)


def keep_result(run: app_run.AppRun) -> None:
    """The run the Results step shows; the curve's range of p moves around its p (a range
    typed for the same p is kept)."""
    previous: app_run.AppRun | None = ss.get("run")
    p = run.solution.p if run.config.model.name in state.P_MODELS else None
    if p and (previous is None or previous.solution.p != p):
        n_sites = len(run.result.inputs.sites)
        ss["sweep_from"], ss["sweep_to"] = state.sweep_range(int(p), n_sites)
    ss["run"] = run


def step_results(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_results"))
    run: app_run.AppRun | None = ss.get("run")
    if run is None:
        st.info(tr("app_no_run"))
        return
    lang = ss["lang"]
    sol = run.solution
    if config is not None and state.run_key(config) != run.key:
        st.info(tr("app_settings_changed"))
    st.markdown(
        tr(
            "app_status_line",
            model=tr(f"app_model_{sol.model}"),
            quality=app_run.quality_text(sol, lang),
            seconds=f"{sol.runtime_s:.1f}",
            method=app_run.method_text(sol.method, lang),
        )
    )
    if not sol.has_plan:
        st.error(md(app_run.infeasible_text(run, lang)))
        flagged = app_maps.flagged_rows(run)
        if flagged:
            st.caption(tr("app_flagged_hint", n=len(flagged)))
            d = run.config.demand
            page = cached_inputs_map(
                state.inputs_key(run.config),
                (d.population, d.residential, d.faults),
                lang,
                ss.get("basemap", "osm"),
                run.result.inputs,
                tuple(flagged),
            )
            st.iframe(page, height=520, alt=tr("app_flagged_layer"))
        show_downloads(run)
        return
    metrics = tables.headline_metrics(run, lang)
    for col, (label, value, change, colour) in zip(st.columns(len(metrics)), metrics, strict=True):
        still = change is not None and not change.startswith(("+", "-"))  # "0.0": no arrow
        col.metric(
            label,
            value,
            change,
            delta_color=colour,  # type: ignore[arg-type]
            delta_arrow="off" if still else "auto",
            help=label,  # the whole label where a narrow column cuts it off
        )
    st.caption(tables.centres_text(run, lang))
    o1, o2 = st.columns([1, 2])
    with o1:
        select(
            "basemap",
            tr("app_basemap"),
            list(state.BASEMAP_CHOICES),
            format_func=labels("app_basemap_"),
        )
    o2.caption(tr("app_layers_hint"))
    try:
        page = cached_result_map(run.key, lang, ss["basemap"], run)
        st.iframe(page, height=660, alt=tr("app_plan_map"))
    except PlannerError as exc:
        show_error(exc)
    # One above the other, each the page's width: side by side they cut off their last columns.
    st.subheader(tr("app_kpis"))
    show_table(tables.kpi_table(run, lang), hide_index=True, width="stretch", height="content")
    notes = run.result.kpis.notes_text(lang) if run.result.kpis is not None else []
    for note in notes:
        st.caption(note)
    st.subheader(tr("app_sites_table"))
    sites = tables.site_table(run, lang)
    show_table(
        sites, hide_index=True, width="stretch", height="content" if len(sites) <= 25 else "auto"
    )
    show_tradeoff(run)
    st.subheader(tr("app_worst"))
    st.slider(tr("app_n_worst"), min_value=1, max_value=10, key="n_worst")
    worst = tables.worst_table(run, lang, n=int(ss["n_worst"]))
    if worst.empty:
        st.caption("–")
    else:
        show_table(worst, hide_index=True, width="stretch")
    show_downloads(run)


def show_downloads(run: app_run.AppRun) -> None:
    st.subheader(tr("app_downloads"))
    files = downloads.download_files(run, ss["lang"], basemap=ss.get("basemap", "osm"))
    columns = st.columns(4)
    for i, (key, (name, mime, make)) in enumerate(files.items()):
        columns[i % 4].download_button(
            tr(f"app_download_{key}"),
            data=make,
            file_name=name,
            mime=mime,
            key=f"download_{key}",
            on_click="ignore",
            width="stretch",
        )


def keep_curve(job: jobs.Job) -> app_run.AppRun:
    """The session's run with the curve a finished ``"sweep"`` job computed (for that run)."""
    run: app_run.AppRun = ss["run"]
    ss.pop("_job", None)
    curve = job.future.result()
    if curve is not None and run.key == job.key:
        run = replace(run, curve=curve)
        ss["run"] = run
    return run


def compute_curve() -> None:
    """Asked for: mark the trade-off curve to be computed in this run of the script."""
    ss["_curve_requested"] = True


def show_tradeoff(run: app_run.AppRun) -> None:
    """The trade-off over p: computed only when asked (its own button and progress), drawn as a
    Vega-Lite chart, with the number of centres of this plan marked."""
    st.subheader(tr("report_tradeoff"))
    if run.config.model.name not in state.P_MODELS:
        st.caption(tr("app_tradeoff_no_p"))
        return
    lang = ss["lang"]
    a, b, c = st.columns([1, 1, 2])
    a.number_input(tr("app_sweep_from"), min_value=1, step=1, key="sweep_from")
    b.number_input(tr("app_sweep_to"), min_value=1, step=1, key="sweep_to")
    c.button(
        tr("app_tradeoff_button"),
        key="tradeoff_button",
        on_click=compute_curve,
        help=tr("app_sweep_help"),
    )
    job: jobs.Job | None = ss.get("_job")
    asked = ss.pop("_curve_requested", False)
    if asked:
        lo, hi = int(ss["sweep_from"]), int(ss["sweep_to"])
        if job is not None and not job.done and job.kind == "sweep":
            job.stop.set()  # the curve asked for before: replaced by this one
        job = jobs.start("sweep", run.key, jobs.sweep_work(run, (lo, hi)), inputs_key="")
        ss["_job"] = job
    mine = job is not None and job.kind == "sweep" and job.key == run.key
    if job is not None and mine and (asked or not job.stop.is_set()):
        # computing now, or a click elsewhere ended the wait for it: wait (again)
        wait_for(job, tr("app_sweep_running"))
        exc = job.future.exception()
        if isinstance(exc, RunStoppedError):  # its token was set (the click's rerun says so)
            ss.pop("_job", None)
            st.warning(tr("app_sweep_stopped", seconds=f"{job.seconds():.1f}"))
        elif isinstance(exc, PlannerError):
            show_error(exc)
        elif exc is not None:
            raise exc
        elif exc is None:
            run = keep_curve(job)
    if run.curve is None:
        st.caption(tr("app_tradeoff_hint"))
        return
    std = float(run.config.standards.service_minutes[0])
    st.vega_lite_chart(
        charts.tradeoff_spec(run.curve, chosen_p=run.solution.p, standard_minutes=std, lang=lang),
        width="stretch",
    )
    st.caption(tr("report_tradeoff_caption"))
