"""Run (with its stages) and the Results step: status, headline, map, tables, curve, downloads."""

from __future__ import annotations

import time
from dataclasses import replace

import streamlit as st

from planner.app import downloads, state, tables
from planner.app import maps as app_maps
from planner.app import run as app_run
from planner.app.views.common import (
    cached_inputs,
    cached_inputs_map,
    cached_result_map,
    keep_run,
    labels,
    run_store,
    select,
    show_error,
    show_table,
    ss,
    tr,
)
from planner.errors import PlannerError
from planner.present import charts
from planner.runs.config import ScenarioConfig
from planner.sanitize import markdown_text as md

#: Seconds the page waits, after a Stop click, for the solve to end (it ends at its next
#: check, well within a second, except inside a HiGHS phase that takes no interrupt).
STOP_WAIT_S = 5.0


def stop_run() -> None:
    """The Stop button: set the run's stop token (the solve ends at its next check) and
    rerun the script, which ends the wait of :func:`do_run`."""
    token = ss.get("_run_stop")
    if token is not None:
        token.set()
    ss["_stopped"] = True
    # The Run click's rerun was cut short before the step radio showed "results": the
    # page's own value would send the planner back to where Run was pressed.
    ss["step"] = "results"


def after_stop() -> None:
    """After a Stop click: wait (at most :data:`STOP_WAIT_S`) for the stopped solve to
    end, then say what happened. The previous run stays the session's run."""
    import concurrent.futures

    future = ss.pop("_run_future", None)
    t0 = ss.pop("_run_started", None)
    if future is None:  # the click came after the run had ended (and was kept)
        st.info(tr("app_run_finished_before_stop"))
        return
    if not future.done():
        with st.spinner(tr("app_run_stopping")):
            concurrent.futures.wait([future], timeout=STOP_WAIT_S)
    if not future.done():
        st.warning(tr("app_run_stopping_background", seconds=f"{STOP_WAIT_S:g}"))
        return
    if future.exception() is None and future.result() is not None:
        # It finished before the token reached it: a complete run, kept.
        ss["run"] = future.result()
        st.info(tr("app_run_finished_before_stop"))
        return
    seconds = "?" if t0 is None else f"{time.perf_counter() - t0:.1f}"
    st.warning(tr("app_run_stopped", seconds=seconds))


def do_run(config: ScenarioConfig) -> None:
    """Load (cached) and solve (cached by content) with the stage and the time so far shown,
    and a Stop button; keep the run in the session.

    The solve runs in a thread; this script run waits for it, redrawing the clock every half
    second. A click on Stop sets the run's stop token and reruns the script, which ends the
    wait; the solve ends at its next check (:func:`planner.runs.pipeline.run_scenario`,
    ``stop``), and the rerun (:func:`after_stop`) waits for that and says so. The session
    keeps its previous run; nothing of the stopped one is kept.
    """
    import concurrent.futures
    import threading

    from planner.errors import RunStoppedError

    lang = ss["lang"]
    ss.pop("_stopped", None)
    stop = threading.Event()
    ss["_run_stop"] = stop
    with st.status(tr("app_running"), expanded=True) as status:
        t0 = time.perf_counter()
        ss["_run_started"] = t0
        try:
            status.write(tr("app_stage_inputs"))
            inputs = cached_inputs(state.inputs_key(config), config)
            key = state.run_key(config)
            status.write(
                tr(
                    "app_stage_solve",
                    model=tr(f"app_model_{config.model.name}"),
                    limit=f"{config.solver.time_limit_s:g}",
                )
            )
            store = run_store()
            if key in store:
                run = store[key]
            else:
                stage = {"now": "solve"}

                def progress(name: str, message: str, share: float) -> None:
                    stage["now"] = name

                def solve() -> app_run.AppRun | None:
                    try:
                        done = app_run.solve_run(
                            inputs, config, key=key, progress=progress, stop=stop
                        )
                    except RunStoppedError:
                        return None
                    keep_run(key, done)
                    return done

                pool = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="planner-run")
                future = pool.submit(solve)
                ss["_run_future"] = future
                pool.shutdown(wait=False)
                clock = st.empty()
                st.button(tr("app_stop"), key="stop_button", on_click=stop_run)
                while not future.done():
                    clock.caption(
                        tr(
                            "app_elapsed",
                            stage=tr(f"app_stage_name_{stage['now']}"),
                            seconds=f"{time.perf_counter() - t0:.0f}",
                        )
                    )
                    time.sleep(0.5)
                clock.empty()
                finished = future.result()
                if finished is None:  # stopped: the rerun of the click says so
                    status.update(label=tr("app_run_stopped_short"), state="error")
                    return
                run = finished
        except Exception as exc:
            status.update(label=tr("app_run_failed"), state="error", expanded=True)
            show_error(exc)
            return
        finally:
            if not stop.is_set():  # ended by itself: nothing for after_stop() to wait for
                ss.pop("_run_future", None)
                ss.pop("_run_started", None)
        seconds = time.perf_counter() - t0
        ok = run.solution.has_plan
        status.update(
            label=tr(
                "app_run_done",
                quality=app_run.quality_text(run.solution, lang),
                seconds=f"{seconds:.1f}",
            ),
            state="complete" if ok else "error",
            expanded=False,
        )
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
    a.number_input(tr("app_sweep_from"), min_value=1, max_value=1000, step=1, key="sweep_from")
    b.number_input(tr("app_sweep_to"), min_value=1, max_value=1000, step=1, key="sweep_to")
    c.button(
        tr("app_tradeoff_button"),
        key="tradeoff_button",
        on_click=compute_curve,
        help=tr("app_sweep_help"),
    )
    if ss.pop("_curve_requested", False):
        lo, hi = int(ss["sweep_from"]), int(ss["sweep_to"])
        bar = st.progress(0.0, text=tr("app_stage_sweep", done=0, total="…"))

        def progress(done: int, total: int) -> None:
            bar.progress(done / max(total, 1), text=tr("app_stage_sweep", done=done, total=total))

        try:
            curve = app_run.sweep_curve(run, (lo, hi), progress=progress)
        except PlannerError as exc:
            show_error(exc)
            curve = None
        bar.empty()
        if curve is not None:
            run = replace(run, curve=curve)
            ss["run"] = run
    if run.curve is None:
        st.caption(tr("app_tradeoff_hint"))
        return
    std = float(run.config.standards.service_minutes[0])
    st.vega_lite_chart(
        charts.tradeoff_spec(run.curve, chosen_p=run.solution.p, standard_minutes=std, lang=lang),
        width="stretch",
    )
    st.caption(tr("report_tradeoff_caption"))
