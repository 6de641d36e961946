"""Step 3: candidate sites by category, excluded by clicking the map; today's halls kept or closable."""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner.app import checks, state
from planner.app import maps as app_maps
from planner.app.views.common import (
    cached_site_choices,
    labels,
    multiselect,
    show_error,
    show_notes,
    ss,
    tr,
)
from planner.errors import PlannerError
from planner.runs.config import ScenarioConfig


def sites_notes(config: ScenarioConfig | None) -> dict[str, list[checks.FieldNote]]:
    """Notes per Sites-step field: ``exclude_ids`` is an error when the chosen categories
    minus the excluded sites leave no candidate (the run could not place a new hall)."""
    if config is None:
        return {}
    try:
        candidates, _ = cached_site_choices(state.site_choices_key(config), config)
    except PlannerError:  # the Data step shows why the layers cannot be read
        return {}
    if candidates is None or candidates.empty:
        return {}
    options = set(candidates["category"])
    chosen = set(ss.get("categories") or options)
    excluded = set(ss.get("exclude_ids") or [])
    in_categories = candidates["category"].isin(chosen)
    left = in_categories & ~candidates["site_id"].isin(excluded)
    if left.any():
        return {}
    text = tr(
        "app_check_no_sites_left",
        n=len(candidates),
        excluded=int(candidates["site_id"].isin(excluded).sum()),
    )
    return {"exclude_ids": [checks.FieldNote("error", text)]}


def step_sites(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_sites"))
    if config is None:
        return
    try:
        candidates, existing = cached_site_choices(state.site_choices_key(config), config)
    except PlannerError as exc:
        show_error(exc)
        return
    lang = ss["lang"]
    name_col = "name_zh" if lang == "zh" else "name_en"
    if candidates is None:
        st.info(tr("app_generated_sites"))
    else:
        cat_col = "category_zh" if lang == "zh" else "category_en"
        cat_labels = dict(zip(candidates["category"], candidates[cat_col], strict=True))
        options = sorted(cat_labels)
        if ss.pop("_categories_pending", False):
            ss["categories"] = options
        multiselect(
            "categories",
            tr("app_categories"),
            options,
            format_func=lambda c: f"{cat_labels.get(c, c)}",
            help=tr("app_categories_help"),
        )
        chosen = set(ss.get("categories") or options)
        shown = candidates[candidates["category"].isin(chosen)]
        site_map_with_clicks(shown, existing)
        names = dict(zip(candidates["site_id"], candidates[name_col], strict=True))
        multiselect(
            "exclude_ids",
            tr("app_exclude"),
            list(candidates["site_id"]),
            format_func=lambda s: f"{s} {names.get(s, '')}",
            help=tr("app_exclude_help"),
        )
        st.caption(
            tr(
                "app_sites_count",
                n=len(shown) - len(set(ss.get("exclude_ids") or []) & set(shown["site_id"])),
            )
        )
        show_notes(sites_notes(config).get("exclude_ids", []))
    if existing is not None:
        st.subheader(tr("app_existing"))
        st.radio(
            tr("app_existing_policy"),
            ["keep", "may_close"],
            key="existing_policy",
            format_func=labels("app_policy_"),
            horizontal=True,
        )
        if ss.get("existing_policy") == "keep":
            enames = dict(zip(existing["site_id"], existing[name_col], strict=True))
            multiselect(
                "closable_ids",
                tr("app_closable"),
                list(existing["site_id"]),
                format_func=lambda s: f"{s} {enames.get(s, '')}",
            )


def site_map_with_clicks(candidates: Any, existing: Any) -> None:
    """The candidate map: a click on a site puts it on (or takes it off) the exclusion list."""
    from streamlit_folium import st_folium

    from planner.present.maps import inline_assets

    if candidates.empty:
        return
    st.caption(tr("app_click_to_exclude"))
    m = app_maps.sites_map(
        candidates,
        ss.get("exclude_ids") or [],
        ss["lang"],
        existing=existing,
        basemap=ss.get("basemap", "osm"),
    )
    inline_assets(m)  # Leaflet in the map itself (vendored copy): no CDN, no file server
    n = int(ss.get("_sites_map_n", 0))
    out = st_folium(
        m,
        key=f"sites_map_{n}",
        height=460,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
    )
    clicked = (out or {}).get("last_object_clicked")
    if clicked:
        site = app_maps.nearest_site(
            float(clicked["lat"]),
            float(clicked["lng"]),
            candidates,
            basemap=ss.get("basemap", "osm"),
        )
        # A new map (new key) after every click: the old one would keep reporting this click,
        # so a second click on the same site (to bring it back) would change nothing.
        ss["_sites_map_n"] = n + 1
        if site is not None:
            ss["exclude_ids"] = state.toggled(list(ss.get("exclude_ids") or []), site)
        st.rerun()
