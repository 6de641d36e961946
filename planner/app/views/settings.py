"""Steps 4 and 5: how travel is measured, and the location model with its standards."""

from __future__ import annotations

import streamlit as st

from planner.app import state
from planner.app.checks import FieldNote
from planner.app.views.common import labels, select, ss, tr
from planner.app.views.data import upload_widget
from planner.inputs.uploads import (
    ROAD_SUFFIXES,
)


def step_travel() -> None:
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
        min_value=1.0,
        max_value=2.5,
        step=0.05,
        key="detour_factor",
        help=tr("app_detour_help"),
    )
    if ss["travel_method"] == "straight_line":
        c2.number_input(tr("app_speed"), min_value=1.0, max_value=120.0, step=1.0, key="speed_kmh")
        st.caption(tr("app_straight_note"))
        return
    st.caption(tr("app_network_intro"))
    info = upload_widget("roads", ROAD_SUFFIXES)
    if info and len(info["layers"]) > 1:
        select("roads_layer", tr("app_layer_in_file"), list(info["layers"]))
    a, b = st.columns(2)
    with a:
        select(
            "road_mode",
            tr("app_road_mode"),
            ["drive", "ebike", "walk"],
            format_func=labels("app_mode_"),
        )
    b.number_input(tr("app_cutoff"), min_value=5.0, max_value=600.0, step=5.0, key="cutoff_minutes")


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
        if name in state.P_MODELS:
            st.number_input(tr("app_p"), min_value=1, max_value=1000, step=1, key="p")
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
                max_value=10000,
                step=1,
                key="max_sites",
                help=tr("app_max_sites_help"),
            )
            show_notes(notes.get("max_sites", []))
        select(
            "solver_method",
            tr("app_solver_method"),
            ["auto", "exact", "heuristic"],
            format_func=labels("app_method_"),
        )
    with c2:
        st.subheader(tr("app_standards"))
        st.number_input(
            tr("app_service_minutes"),
            min_value=1.0,
            max_value=600.0,
            step=5.0,
            key="service_minutes",
            help=tr("app_service_help"),
        )
        st.number_input(
            tr("app_service_minutes_2"),
            min_value=0.0,
            max_value=600.0,
            step=5.0,
            key="service_minutes_2",
        )
        st.caption(tr("app_response_intro"))
        a, b, c = st.columns(3)
        a.number_input(
            tr("zone_urban"), min_value=1.0, max_value=1440.0, step=5.0, key="response_urban"
        )
        b.number_input(
            tr("zone_rural"), min_value=1.0, max_value=1440.0, step=5.0, key="response_rural"
        )
        c.number_input(
            tr("zone_remote"), min_value=1.0, max_value=1440.0, step=5.0, key="response_remote"
        )
        st.checkbox(tr("app_enforce_hotspots"), key="enforce_hotspots", help=tr("app_enforce_help"))
        a, b = st.columns(2)
        a.number_input(
            tr("app_percentile_minutes"),
            min_value=0.0,
            max_value=1440.0,
            step=5.0,
            key="percentile_minutes",
            help=tr("app_percentile_help"),
        )
        b.number_input(
            tr("app_percentile_share"), min_value=0.0, max_value=100.0, step=5.0,
            key="percentile_share",
        )  # fmt: skip


def show_notes(notes: list[FieldNote]) -> None:
    """The notes of one field, right under it: errors red, warnings amber, meanings grey."""
    for n in notes:
        if n.level == "error":
            st.error(n.text)
        elif n.level == "warning":
            st.warning(n.text)
        else:
            st.caption(n.text)
