"""Steps 4 and 5: how travel is measured, and the location model with its standards."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import streamlit as st

from planner.app import checks, state
from planner.app.checks import FieldNote
from planner.app.views.common import holding, inputs_now, labels, select, show_notes, ss, tr
from planner.app.views.data import upload_widget
from planner.errors import PlannerError
from planner.inputs.uploads import (
    ROAD_SUFFIXES,
)
from planner.optimize.model_table import model_spec
from planner.runs.config import ScenarioConfig
from planner.sanitize import markdown_text as md


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_network(path: str, fingerprint: str, layer: str) -> Any:
    from planner.travel.road_network import read_road_network

    return read_road_network(path, layer=layer or None)


def travel_notes(config: ScenarioConfig | None, slot: Any = None) -> dict[str, list[FieldNote]]:
    """Notes beside the Travel step's network fields (``roads``, ``max_snap_m``): how far the
    demand points and sites lie from the uploaded network's roads, before Run (the points
    come from the straight-line reading of the same layers, read as :func:`inputs_now` does
    with its wait shown in ``slot``; the travel times are not computed for this)."""
    roads = config.travel.network if config is not None else None
    if config is None or config.travel.method != "network" or roads is None:
        return {}
    from planner.travel.road_matrix import snap_points
    from planner.travel.road_network import check_mode_served

    t = config.travel
    info = ss.get("upload_roads") or {}
    try:
        network = cached_network(
            str(roads.path), state.file_fingerprint(str(roads.path)), str(roads.layer or "")
        )
        graph = check_mode_served(network, t.mode)
    except PlannerError as exc:
        text = md(str(exc).replace(str(roads.path), str(info.get("name", ""))))
        return {"roads": [FieldNote("error", state.in_planner_words(text))]}
    straight = config.model_copy(
        update={"travel": t.model_copy(update={"method": "straight_line", "network": None})}
    )
    try:
        inputs = inputs_now(straight, slot)
    except Exception:  # the layers' own error is shown in the Data step
        return {}
    if inputs is None:  # reading stopped
        return {}

    def metres(frame: Any) -> Any:
        lonlat = np.column_stack([frame.geometry.x, frame.geometry.y])
        return snap_points(
            network, graph, lonlat, max_snap_m=float(t.max_snap_m), component="largest"
        ).snap_m

    return checks.snap_notes(
        metres(inputs.demand),
        metres(inputs.sites),
        max_snap_m=float(t.max_snap_m),
        unsnapped=t.unsnapped,
        lang=ss["lang"],
    )


def step_travel(notes: dict[str, list[FieldNote]] | None = None) -> None:
    notes = notes or {}
    st.header(tr("app_step_travel"))
    st.radio(
        tr("app_travel_method"),
        ["straight_line", "network"],
        key="travel_method",
        format_func=labels("app_travel_"),
        horizontal=True,
    )
    c1, c2 = st.columns(2)
    c1.slider(
        tr("app_detour"),
        **holding("detour_factor", 1.0, 2.5),
        step=0.05,
        key="detour_factor",
        help=tr("app_detour_help"),
    )
    if ss["travel_method"] == "straight_line":
        c2.number_input(tr("app_speed"), **holding("speed_kmh", 1.0), step=1.0, key="speed_kmh")
        st.caption(tr("app_straight_note"))
        return
    st.caption(tr("app_network_intro"))
    info = upload_widget("roads", ROAD_SUFFIXES)
    if info and len(info["layers"]) > 1:
        select("roads_layer", tr("app_layer_in_file"), list(info["layers"]))
    show_notes(notes.get("roads", []))
    a, b = st.columns(2)
    with a:
        select(
            "road_mode",
            tr("app_road_mode"),
            ["drive", "ebike", "walk"],
            format_func=labels("app_mode_"),
        )
    b.number_input(
        tr("app_cutoff"), **holding("cutoff_minutes", 5.0), step=5.0, key="cutoff_minutes"
    )
    a, b = st.columns(2)
    with a:
        st.number_input(
            tr("app_max_snap"),
            **holding("max_snap_m", 1.0),
            step=50.0,
            key="max_snap_m",
            help=tr("app_max_snap_help"),
        )
        show_notes(notes.get("max_snap_m", []))
    b.radio(
        tr("app_unsnapped"),
        ["straight_line", "drop"],
        key="unsnapped",
        format_func=labels("app_unsnapped_"),
    )


def kept_items(kept: dict[str, object]) -> str:
    """The scenario settings the page keeps without a field, as scenario keys (``model.p = 4``)."""
    names = {"more_standards": "percentile_standards[1:]", "standards": "percentile_standards"}
    return "; ".join(
        f"model.{names.get(key, key)} = {json.dumps(value, ensure_ascii=False)}"
        for key, value in kept.items()
    )


def step_model(notes: dict[str, list[FieldNote]] | None = None) -> None:
    """Step 5: the model, its numbers (each with what it means and, before Run, what is wrong
    with it: ``notes`` from :func:`planner.app.checks.model_notes`) and the standards."""
    notes = notes or {}
    st.header(tr("app_step_model"))
    c1, c2 = st.columns([1, 1])
    with c1:
        select(
            "model_name",
            tr("app_model"),
            list(state.MODEL_CHOICES),
            format_func=labels("app_model_"),
        )
        name = ss["model_name"]
        st.caption(tr(f"app_model_{name}_help"))
        kept = dict(ss.get("model_kept") or {})
        if kept.pop("model", None) != name:
            kept = {}
        if kept:
            st.info(tr("app_note_model_kept", items=kept_items(kept)))
        # a scenario's radius and standards in metres replace the fields in minutes: shown
        # but not editable while they apply (an edit there would change nothing)
        in_metres = kept.get("cost") == "distance"
        if name in state.P_MODELS:
            # no upper end: a bound would replace a scenario's larger p (a province's)
            st.number_input(tr("app_p"), min_value=1, step=1, key="p")
            show_notes(notes.get("p", []))
        if name == "capacitated_p_median":
            st.number_input(
                tr("app_capacity"),
                min_value=0.0,
                step=10000.0,
                key="capacity",
                help=tr("app_capacity_help"),
            )
            show_notes(notes.get("capacity", []))
        if name == "facility_location":
            st.number_input(
                tr("app_opening_cost"),
                min_value=0.0,
                step=100000.0,
                key="opening_cost",
                help=tr("app_opening_cost_help"),
            )
            show_notes(notes.get("opening_cost", []))
            st.number_input(
                tr("app_budget"),
                min_value=0.0,
                step=100000.0,
                key="budget",
                help=tr("app_budget_help"),
            )
            show_notes(notes.get("budget", []))
            st.number_input(
                tr("app_max_sites"),
                min_value=0,
                step=1,
                key="max_sites",
                help=tr("app_max_sites_help"),
            )
            show_notes(notes.get("max_sites", []))
        select(
            "solver_method",
            tr("app_solver_method"),
            ["auto", *model_spec(name).methods],  # only what the model has
            format_func=labels("app_method_"),
        )
        show_notes(notes.get("solver_method", []))
    with c2:
        st.subheader(tr("app_standards"))
        st.number_input(
            tr("app_service_minutes"),
            disabled=in_metres,
            **holding("service_minutes", 1.0),
            step=5.0,
            key="service_minutes",
            help=tr("app_service_help"),
        )
        show_notes(notes.get("service_minutes", []))
        st.number_input(
            tr("app_service_minutes_2"),
            disabled=in_metres,
            **holding("service_minutes_2", 0.0),
            step=5.0,
            key="service_minutes_2",
        )
        st.caption(tr("app_response_intro"))
        a, b, c = st.columns(3)
        a.number_input(
            tr("zone_urban"), **holding("response_urban", 1.0), step=5.0, key="response_urban"
        )
        b.number_input(
            tr("zone_rural"), **holding("response_rural", 1.0), step=5.0, key="response_rural"
        )
        c.number_input(
            tr("zone_remote"), **holding("response_remote", 1.0), step=5.0, key="response_remote"
        )
        st.checkbox(tr("app_enforce_hotspots"), key="enforce_hotspots", help=tr("app_enforce_help"))
        a, b = st.columns(2)
        a.number_input(
            tr("app_percentile_minutes"),
            disabled=in_metres,
            **holding("percentile_minutes", 0.0),
            step=5.0,
            key="percentile_minutes",
            help=tr("app_percentile_help"),
        )
        b.number_input(
            tr("app_percentile_share"), min_value=0.0, max_value=100.0, step=5.0,
            key="percentile_share", disabled=in_metres,
        )  # fmt: skip
        show_notes(notes.get("percentile_minutes", []))
