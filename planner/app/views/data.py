"""Steps 1 and 2: the layers (demo or uploads, coordinate systems, columns) and the demand blend."""

from __future__ import annotations

from typing import Any

import streamlit as st

from planner.app import state, tables
from planner.app.views.common import (
    cached_inputs_map,
    cached_layer,
    column_picker,
    labels,
    load_or_report,
    select,
    session_dir,
    show_error,
    show_table,
    ss,
    tr,
)
from planner.errors import DataError, PlannerError
from planner.inputs.uploads import (
    LAYER_SUFFIXES,
    guess_column,
    max_upload_bytes,
    numeric_columns,
    save_upload,
    text_columns,
)
from planner.runs.config import ScenarioConfig
from planner.runs.pipeline import PlanInputs
from planner.sanitize import markdown_text as md

_COLUMN_HINTS: dict[str, tuple[str, ...]] = {
    "population_col": ("pop_20plus", "population", "pop", "人口", "total"),
    "pop65_col": ("pop_65plus", "pop65", "65", "老年", "elderly"),
    "population_id_col": ("cell_id", "id", "编号", "code"),
    "residential_col": ("residential_density", "density", "密度"),
    "faults_time_col": ("reported_at", "timestamp", "time", "date", "时间", "日期"),
    "candidates_id_col": ("site_id", "id", "编号"),
    "candidates_name_col": ("name_zh", "name", "名称"),
    "candidates_name_en_col": ("name_en", "english"),
    "candidates_category_col": ("category", "type", "类别", "类型"),
    "existing_id_col": ("centre_id", "center_id", "id", "编号"),
    "existing_name_col": ("name_zh", "name", "名称"),
    "existing_name_en_col": ("name_en", "english"),
}


_SLOT_COLUMNS: dict[str, tuple[tuple[str, bool, bool], ...]] = {
    # (key, numeric, optional)
    "population": (
        ("population_col", True, False),
        ("pop65_col", True, True),
        ("population_id_col", False, True),
    ),
    "residential": (("residential_col", True, False),),
    "faults": (("faults_time_col", False, True),),
    "candidates": (
        ("candidates_id_col", False, True),
        ("candidates_name_col", False, True),
        ("candidates_name_en_col", False, True),
        ("candidates_category_col", False, True),
    ),
    "existing": (
        ("existing_id_col", False, True),
        ("existing_name_col", False, True),
        ("existing_name_en_col", False, True),
    ),
}


def remove_upload(slot: str) -> None:
    ss.pop(f"upload_{slot}", None)
    ss.pop(f"{slot}_file_id", None)
    ss[f"{slot}_uploader_n"] = ss.get(f"{slot}_uploader_n", 0) + 1


def upload_widget(slot: str, suffixes: tuple[str, ...]) -> dict[str, Any] | None:
    """The uploader of one slot; the saved file stays after the uploader is cleared."""
    n = ss.get(f"{slot}_uploader_n", 0)
    limit = max_upload_bytes()
    upload = st.file_uploader(
        tr("app_upload_file"),
        type=sorted({s.rsplit(".", 1)[-1] for s in suffixes}),
        key=f"up_{slot}_{n}",
        max_upload_size=max(1, int(limit / 1e6)),
        help=tr("app_upload_help", mb=f"{limit / 1e6:.0f}"),
    )
    if upload is not None and upload.file_id != ss.get(f"{slot}_file_id"):
        ss[f"{slot}_file_id"] = upload.file_id
        try:
            saved = save_upload(
                upload.getvalue(),
                upload.name,
                session_dir(),
                slot=slot,
                max_bytes=limit,
                allowed=suffixes,
                what=tr(f"app_slot_{slot}"),
            )
        except PlannerError as exc:
            ss.pop(f"upload_{slot}", None)
            show_error(exc)
            return None
        ss[f"upload_{slot}"] = {
            "path": str(saved.path),
            "name": saved.original_name,
            "size": saved.size_bytes,
            "layers": list(saved.layers),
        }
        ss[f"{slot}_layer"] = saved.layers[0] if saved.layers else state.NONE
        ss[f"{slot}_crs"] = "auto"
        ss[f"{slot}_lon"] = state.NONE
        ss[f"{slot}_lat"] = state.NONE
        ss[f"_{slot}_fresh"] = True
        st.rerun()  # the settings were read before this upload: read them again with it
    info = ss.get(f"upload_{slot}")
    if info:
        left, right = st.columns([4, 1])
        left.caption(tr("app_uploaded", name=md(info["name"]), size=f"{info['size'] / 1e6:.2f}"))
        right.button(tr("app_remove"), key=f"remove_{slot}", on_click=remove_upload, args=(slot,))
        if len(info["layers"]) > 1:
            select(f"{slot}_layer", tr("app_layer_in_file"), list(info["layers"]))
    return info


def csv_columns(path: str) -> list[str]:
    import pandas as pd

    for enc in ("utf-8-sig", "gb18030"):
        try:
            return [str(c) for c in pd.read_csv(path, nrows=0, encoding=enc).columns]
        except UnicodeDecodeError:
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            return []
    return []


def layer_slot(slot: str) -> None:
    """Upload, coordinate system, columns and a one-line summary of one layer."""
    required = slot == "population"
    title = tr(f"app_slot_{slot}") + (" *" if required else f" ({tr('app_optional')})")
    with st.expander(title, expanded=required or bool(ss.get(f"upload_{slot}"))):
        st.caption(tr(f"app_slot_{slot}_help"))
        info = upload_widget(slot, LAYER_SUFFIXES)
        if not info:
            return
        c1, c2 = st.columns(2)
        with c1:
            select(
                f"{slot}_crs",
                tr("app_crs"),
                list(state.CRS_CHOICES),
                format_func=labels("app_crs_"),
                help=tr("app_crs_help"),
            )
        if ss.get(f"{slot}_crs") == "epsg":
            c2.text_input(tr("app_epsg"), key=f"{slot}_epsg", placeholder="4547")
        if info["path"].lower().endswith(".csv"):
            cols = csv_columns(info["path"])
            a, b = st.columns(2)
            with a:
                column_picker(f"{slot}_lon", tr("app_lon_col"), cols, optional=True)
            with b:
                column_picker(f"{slot}_lat", tr("app_lat_col"), cols, optional=True)
        crs = ss.get(f"{slot}_crs", "auto")
        if crs == "epsg":
            code = str(ss.get(f"{slot}_epsg", "")).strip()
            if not code:
                st.info(tr("app_epsg_needed"))
                return
            crs = code if code.upper().startswith("EPSG:") else f"EPSG:{code}"
        try:
            gdf = cached_layer(
                info["path"],
                info["name"],
                state.file_fingerprint(info["path"]),
                str(ss.get(f"{slot}_layer") or ""),
                str(crs),
                str(ss.get(f"{slot}_lon") or ""),
                str(ss.get(f"{slot}_lat") or ""),
                tr(f"app_slot_{slot}"),
            )
        except PlannerError as exc:
            show_error(exc)
            return
        numeric = numeric_columns(gdf)
        text = text_columns(gdf)
        needs_number = [k for k, is_num, optional in _SLOT_COLUMNS[slot] if is_num and not optional]
        if needs_number and not numeric:
            show_error(
                DataError(
                    f"{tr(f'app_slot_{slot}')} file {info['name']}: no column holds numbers "
                    "(no usable rows); upload a layer with a numeric column of counts."
                )
            )
            return
        if ss.pop(f"_{slot}_fresh", False):
            for key, is_numeric, _ in _SLOT_COLUMNS[slot]:
                ss[key] = (
                    guess_column(numeric if is_numeric else text, _COLUMN_HINTS[key]) or state.NONE
                )
        columns = st.columns(len(_SLOT_COLUMNS[slot]))
        for col, (key, is_numeric, optional) in zip(columns, _SLOT_COLUMNS[slot], strict=True):
            with col:
                column_picker(
                    key, tr(f"app_col_{key}"), numeric if is_numeric else text, optional=optional
                )
        minx, miny, maxx, maxy = gdf.total_bounds
        st.caption(
            tr(
                "app_layer_read",
                n=len(gdf),
                bbox=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}",
            )
        )


def step_data(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_data"))
    st.radio(
        tr("app_data_source"),
        ["demo", "upload"],
        key="data_source",
        format_func=labels("app_source_"),
        horizontal=True,
    )
    if ss["data_source"] == "demo":
        st.markdown(tr("app_demo_about"))
    else:
        st.caption(tr("app_upload_intro"))
        for slot in state.LAYER_SLOTS:
            layer_slot(slot)
        if not ss.get("upload_candidates"):
            st.checkbox(tr("app_generate_candidates"), key="generate_candidates")
            if ss.get("generate_candidates"):
                st.number_input(
                    tr("app_n_generated"), min_value=1, max_value=2000, step=10, key="n_generated"
                )
    st.subheader(tr("app_summary"))
    if config is None:
        return
    inputs = load_or_report(config)
    if inputs is None:
        return
    table, problems = tables.data_summary(inputs, ss["lang"])
    minx, miny, maxx, maxy = table.attrs["bbox"]
    c1, c2 = st.columns([2, 3])
    with c1:
        show_table(table, hide_index=True, width="stretch")
        st.caption(tr("app_bbox", bbox=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}"))
        if problems:
            st.warning(tr("app_problems") + "\n\n" + "\n".join(f"- {md(p)}" for p in problems))
        else:
            st.success(tr("app_no_problems"))
        if inputs.attribution:
            st.caption(tr("app_sources") + " " + "; ".join(md(a) for a in inputs.attribution))
    with c2:
        show_inputs_map(inputs, config)


def show_inputs_map(inputs: PlanInputs, config: ScenarioConfig) -> None:
    from planner.runs.reblend import inputs_for

    d = config.demand
    weights = (d.population, d.residential, d.faults)
    try:
        page = cached_inputs_map(
            state.inputs_key(config),
            weights,
            ss["lang"],
            ss.get("basemap", "osm"),
            inputs_for(inputs, config),
        )
    except PlannerError as exc:
        show_error(exc)
        return
    st.iframe(page, height=520, alt=tr("app_inputs_map"))


def step_demand(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_demand"))
    st.caption(tr("app_demand_intro"))
    c1, c2 = st.columns([1, 2])
    with c1:
        for key in ("w_population", "w_residential", "w_faults"):
            st.slider(tr(f"app_{key}"), min_value=0.0, max_value=1.0, step=0.05, key=key)
        st.number_input(
            tr("app_half_life"),
            min_value=0.0,
            max_value=3650.0,
            step=30.0,
            key="half_life_days",
            help=tr("app_half_life_help"),
        )
        st.slider(
            tr("app_hotspot_quantile"),
            min_value=0.5,
            max_value=0.99,
            step=0.01,
            key="hotspot_quantile",
        )
        st.number_input(
            tr("app_cell_size"),
            min_value=0.0,
            max_value=20_000.0,
            step=250.0,
            key="cell_size_m",
            help=tr("app_cell_size_note"),
        )
    with c2:
        if config is None:
            return
        inputs = load_or_report(config)
        if inputs is None:
            return
        d = config.demand
        total = d.population + d.residential + d.faults
        st.caption(
            tr(
                "app_weights_now",
                pop=f"{100 * d.population / total:.0f}",
                res=f"{100 * d.residential / total:.0f}",
                faults=f"{100 * d.faults / total:.0f}",
                hot=int(inputs.demand["is_hotspot"].sum()),
            )
        )
        show_inputs_map(inputs, config)
