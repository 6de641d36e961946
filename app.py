"""Service-Centre Planner in the browser: from data to a proposal (``streamlit run app.py``).

The page walks through the planner's workflow: 1 Data, 2 Demand, 3 Sites,
4 Travel, 5 Model, then Run (the button in the sidebar; nothing is solved on a
widget change), Results (map, KPIs against today's centres, trade-off curve,
site table, worst-served areas, downloads) and Scenarios (save, reopen and
compare runs in a scenario library on disk).

This file only draws widgets and shows results: every computation is in
``planner/`` (``planner.appstate`` for the app's helpers, ``planner.uploads`` for
uploads, ``planner.library`` for saved scenarios). Each browser session keeps its
uploads in its own private temporary folder and its settings in
``st.session_state``; caches are keyed by content (settings plus SHA-256 of
every input file), so no session ever sees another's data.

Maps: the inputs map and the plan's map are standalone pages with Leaflet
inlined (``planner.maps.map_html``), shown with ``st.iframe``: they draw without
internet and panning never reruns the script. The candidate-site map of step 3
needs clicks, so it is an ``st_folium`` map whose Leaflet is served by Streamlit
from ``static/`` (``[server] enableStaticServing`` in ``.streamlit/config.toml``).
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import streamlit as st

from planner import appstate as ui
from planner.config import ScenarioConfig, load_scenario
from planner.errors import DataError, PlannerError
from planner.i18n import t
from planner.scenario import PlanInputs, load_inputs
from planner.uploads import (
    LAYER_SUFFIXES,
    ROAD_SUFFIXES,
    guess_column,
    max_upload_bytes,
    new_session_folder,
    numeric_columns,
    read_upload,
    remove_session_folder,
    save_upload,
    text_columns,
)

st.set_page_config(
    page_title="供电营业厅选址 · Service-Centre Planner", page_icon="⚡", layout="wide"
)
_LOG = logging.getLogger("planner.app")
ss = st.session_state

#: Widget keys that are not settings of the scenario (kept across steps too).
_UI_KEYS = (
    "data_source",
    "library_dir",
    "roads_layer",
    "save_name",
    "save_with_map",
    "save_overwrite",
    "open_name",
    "compare_names",
    "n_worst",
)
_SLOT_KEYS = ("layer", "crs", "epsg", "lon", "lat")


def tr(key: str, **fields: Any) -> str:
    """A label in the session's language."""
    return t(key, ss.get("lang", "zh"), **fields)


def labels(prefix: str) -> Callable[[Any], str]:
    """A ``format_func`` showing option ``x`` as the label ``<prefix>x`` in the current language.

    The language is bound now: AppTest (and Streamlit) may call it outside the script run.
    """
    lang = ss.get("lang", "zh")
    return lambda value: t(f"{prefix}{value}", lang)


def numbered(label: Callable[[Any], str]) -> Callable[[Any], str]:
    return lambda step: f"{ui.STEPS.index(step) + 1}. {label(step)}"


def _user_names(text: str) -> str:
    """Messages name the user's uploaded files, not the private folder they are kept in."""
    for slot in (*ui.LAYER_SLOTS, "roads"):
        info = ss.get(f"upload_{slot}")
        if info:
            text = text.replace(str(info["path"]), str(info["name"]))
    return text


def show_error(exc: BaseException) -> None:
    """An error as one clear line in the page, never a traceback."""
    if isinstance(exc, PlannerError):
        st.error(tr("app_error_input", message=_user_names(str(exc))))
    else:  # a bug: log it for the developers, tell the user plainly
        _LOG.exception("unexpected error in the app")
        first = _user_names(str(exc).splitlines()[0]) if str(exc) else ""
        st.error(tr("app_error_unexpected", kind=type(exc).__name__, message=first))


# --------------------------------------------------------------------------------------
# caches (keyed by content: equal keys mean equal results, whichever session asks)


@st.cache_resource(show_spinner=False, max_entries=4)
def cached_demo(path: str, mtime_ns: int) -> ScenarioConfig:
    return load_scenario(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_inputs(key: str, _config: ScenarioConfig) -> PlanInputs:
    return load_inputs(_config)


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_run(key: str, _inputs: PlanInputs, _config: ScenarioConfig) -> ui.AppRun:
    return ui.solve_run(_inputs, _config, key=key)


@st.cache_resource(show_spinner=False, max_entries=8)
def cached_site_choices(key: str, _config: ScenarioConfig) -> tuple[Any, Any]:
    return ui.site_choices(_config)


@st.cache_resource(show_spinner=False, max_entries=24)
def cached_result_map(key: str, lang: str, basemap: str, _run: ui.AppRun) -> str:
    return ui.result_map_html(_run, lang, basemap=basemap, height="100%")


@st.cache_resource(show_spinner=False, max_entries=12)
def cached_inputs_map(
    key: str,
    weights: tuple[float, ...],
    lang: str,
    basemap: str,
    _inputs: PlanInputs,
    flagged: tuple[int, ...] = (),
) -> str:
    from planner.maps import map_html

    return map_html(ui.inputs_map(_inputs, lang, basemap=basemap, height="100%", flagged=flagged))


@st.cache_resource(show_spinner=False, max_entries=32)
def cached_layer(
    path: str, name: str, fingerprint: str, layer: str, crs: str, lon: str, lat: str, what: str
) -> Any:
    from planner.uploads import SavedUpload, layer_names

    saved = SavedUpload(Path(path), name, 0, tuple(layer_names(path)))
    return read_upload(
        saved,
        layer=layer or None,
        crs=None if crs == "auto" else crs,
        lon_col=lon or None,
        lat_col=lat or None,
        what=what,
    )


# --------------------------------------------------------------------------------------
# session set-up


class _SessionFolder:
    """The session's private upload folder, deleted when the session's state is dropped."""

    def __init__(self) -> None:
        self.path = new_session_folder()
        weakref.finalize(self, remove_session_folder, self.path)


def start_session() -> ScenarioConfig | None:
    """Defaults on the first run; widget values kept while their step is not shown."""
    if "session_folder" not in ss:
        ss["session_folder"] = _SessionFolder()
    try:
        path = ui.demo_scenario_path()
        demo = cached_demo(str(path), path.stat().st_mtime_ns)
    except PlannerError as exc:
        show_error(exc)
        return None
    except OSError as exc:
        st.error(tr("app_error_input", message=str(exc)))
        return None
    if "_defaults_set" not in ss:
        ss["_defaults_set"] = True
        for key, value in ui.state_from_config(demo).items():
            ss.setdefault(key, value)
        ss.setdefault("data_source", "demo")
        ss.setdefault("step", "data")
        ss.setdefault("library_dir", str(ui.default_library_dir()))
        ss.setdefault("save_with_map", True)
        ss.setdefault("save_overwrite", False)
        ss.setdefault("n_worst", 10)
        ss["_demo_sites"] = {
            k: ss[k] for k in ("categories", "exclude_ids", "closable_ids", "existing_policy")
        }
    # Streamlit forgets the value of a widget that is not drawn in a run; the steps are
    # drawn one at a time, so every value is re-stored here (Streamlit's documented way).
    keys = [*ui.state_from_config(demo), *_UI_KEYS, "step"]
    keys += [f"{s}_{k}" for s in (*ui.LAYER_SLOTS, "roads") for k in _SLOT_KEYS]
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


def session_dir() -> Path:
    return Path(ss["session_folder"].path)


# --------------------------------------------------------------------------------------
# small widget helpers


def select(key: str, label: str, options: list[Any], **kwargs: Any) -> Any:
    """A selectbox whose stored value is always one of its options."""
    if ss.get(key) not in options and options:
        ss[key] = options[0]
    return st.selectbox(label, options, key=key, **kwargs)


def multiselect(key: str, label: str, options: list[Any], **kwargs: Any) -> list[Any]:
    """A multiselect whose stored values are always among its options."""
    current = ss.get(key) or []
    kept = [v for v in current if v in options]
    if kept != current:
        ss[key] = kept
    return st.multiselect(label, options, key=key, **kwargs)


def column_picker(key: str, label: str, columns: list[str], *, optional: bool) -> None:
    options = [ui.NONE, *columns] if optional else list(columns)
    none = tr("app_none")
    select(key, label, options, format_func=lambda c: none if c == ui.NONE else str(c))


# --------------------------------------------------------------------------------------
# sidebar


def request_run() -> None:
    ss["_run_requested"] = True
    ss["step"] = "results"


def sidebar(config: ScenarioConfig | None) -> None:
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
            tr("app_time_limit"), min_value=5.0, max_value=3600.0, step=5.0, key="time_limit_s"
        )
        st.button(
            tr("app_run"),
            key="run_button",
            type="primary",
            on_click=request_run,
            disabled=config is None,
            width="stretch",
            help=tr("app_run_help"),
        )
        run = ss.get("run")
        if run is not None:
            st.caption(tr("app_last_run", quality=ui.quality_text(run.solution, ss["lang"])))
            if config is not None and ui.run_key(config) != run.key:
                st.caption(tr("app_settings_changed"))
        st.divider()
        st.text_input(tr("app_library_dir"), key="library_dir", help=tr("app_library_help"))
        st.caption(tr("app_privacy_note"))


# --------------------------------------------------------------------------------------
# step 1: data

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
        ss[f"{slot}_layer"] = saved.layers[0] if saved.layers else ui.NONE
        ss[f"{slot}_crs"] = "auto"
        ss[f"{slot}_lon"] = ui.NONE
        ss[f"{slot}_lat"] = ui.NONE
        ss[f"_{slot}_fresh"] = True
        st.rerun()  # the settings were read before this upload: read them again with it
    info = ss.get(f"upload_{slot}")
    if info:
        left, right = st.columns([4, 1])
        left.caption(tr("app_uploaded", name=info["name"], size=f"{info['size'] / 1e6:.2f}"))
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
                list(ui.CRS_CHOICES),
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
                ui.file_fingerprint(info["path"]),
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
                    guess_column(numeric if is_numeric else text, _COLUMN_HINTS[key]) or ui.NONE
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
        for slot in ui.LAYER_SLOTS:
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
    table, problems = ui.data_summary(inputs, ss["lang"])
    minx, miny, maxx, maxy = table.attrs["bbox"]
    c1, c2 = st.columns([2, 3])
    with c1:
        st.dataframe(table, hide_index=True, width="stretch")
        st.caption(tr("app_bbox", bbox=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}"))
        if problems:
            st.warning(tr("app_problems") + "\n\n" + "\n".join(f"- {p}" for p in problems))
        else:
            st.success(tr("app_no_problems"))
        if inputs.attribution:
            st.caption(tr("app_sources") + " " + "; ".join(inputs.attribution))
    with c2:
        show_inputs_map(inputs, config)


def load_or_report(config: ScenarioConfig) -> PlanInputs | None:
    """The scenario's inputs (cached), or None after showing why they cannot be read."""
    try:
        with st.spinner(tr("app_reading")):
            return cached_inputs(ui.inputs_key(config), config)
    except PlannerError as exc:
        show_error(exc)
    except Exception as exc:  # a library error the planner did not turn into its own
        show_error(exc)
    return None


def show_inputs_map(inputs: PlanInputs, config: ScenarioConfig) -> None:
    from planner.sweep import inputs_for

    d = config.demand
    weights = (d.population, d.residential, d.faults)
    try:
        page = cached_inputs_map(
            ui.inputs_key(config),
            weights,
            ss["lang"],
            ss.get("basemap", "osm"),
            inputs_for(inputs, config),
        )
    except PlannerError as exc:
        show_error(exc)
        return
    st.iframe(page, height=520, alt=tr("app_inputs_map"))


# --------------------------------------------------------------------------------------
# step 2: demand


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


# --------------------------------------------------------------------------------------
# step 3: sites


def step_sites(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_sites"))
    if config is None:
        return
    try:
        candidates, existing = cached_site_choices(ui.site_choices_key(config), config)
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

    from planner.maps import point_assets_to

    if candidates.empty:
        return
    st.caption(tr("app_click_to_exclude"))
    m = ui.sites_map(
        candidates,
        ss.get("exclude_ids") or [],
        ss["lang"],
        existing=existing,
        basemap=ss.get("basemap", "osm"),
    )
    point_assets_to(m, "/app/static/")  # Leaflet from this server (static/), not a CDN
    out = st_folium(
        m,
        key="sites_map",
        height=460,
        use_container_width=True,
        returned_objects=["last_object_clicked"],
    )
    clicked = (out or {}).get("last_object_clicked")
    if clicked and clicked != ss.get("_last_click"):
        ss["_last_click"] = clicked
        site = ui.nearest_site(float(clicked["lat"]), float(clicked["lng"]), candidates)
        if site is not None:
            current = list(ss.get("exclude_ids") or [])
            ss["exclude_ids"] = (
                [s for s in current if s != site] if site in current else [*current, site]
            )
            st.rerun()


# --------------------------------------------------------------------------------------
# step 4: travel


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


# --------------------------------------------------------------------------------------
# step 5: model


def step_model() -> None:
    st.header(tr("app_step_model"))
    c1, c2 = st.columns([1, 1])
    with c1:
        select(
            "model_name",
            tr("app_model"),
            list(ui.MODEL_CHOICES),
            format_func=labels("app_model_"),
        )
        name = ss["model_name"]
        st.caption(tr(f"app_model_{name}_help"))
        if name in ui.P_MODELS:
            st.number_input(tr("app_p"), min_value=1, max_value=1000, step=1, key="p")
        if name == "capacitated_p_median":
            st.number_input(
                tr("app_capacity"),
                min_value=0.0,
                step=10000.0,
                key="capacity",
                help=tr("app_capacity_help"),
            )
        if name == "facility_location":
            st.number_input(
                tr("app_opening_cost"),
                min_value=0.0,
                step=100000.0,
                key="opening_cost",
                help=tr("app_opening_cost_help"),
            )
            st.number_input(
                tr("app_budget"),
                min_value=0.0,
                step=100000.0,
                key="budget",
                help=tr("app_budget_help"),
            )
        select(
            "solver_method",
            tr("app_solver_method"),
            ["auto", "exact", "heuristic"],
            format_func=labels("app_method_"),
        )
        if name in ui.P_MODELS:
            st.checkbox(tr("app_sweep_p"), key="sweep_p", help=tr("app_sweep_help"))
            if ss.get("sweep_p"):
                a, b = st.columns(2)
                a.number_input(
                    tr("app_sweep_from"), min_value=1, max_value=1000, step=1, key="sweep_from"
                )
                b.number_input(
                    tr("app_sweep_to"), min_value=1, max_value=1000, step=1, key="sweep_to"
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


# --------------------------------------------------------------------------------------
# run


def do_run(config: ScenarioConfig) -> None:
    """Load (cached), solve (cached by content), sweep over p if asked; keep the run in the session."""
    lang = ss["lang"]
    with st.status(tr("app_running"), expanded=True) as status:
        t0 = time.perf_counter()
        try:
            status.write(tr("app_stage_inputs"))
            inputs = cached_inputs(ui.inputs_key(config), config)
            status.write(
                tr(
                    "app_stage_solve",
                    model=tr(f"app_model_{config.model.name}"),
                    limit=f"{config.solver.time_limit_s:g}",
                )
            )
            run = cached_run(ui.run_key(config), inputs, config)
            if ss.get("sweep_p") and config.model.name in ui.P_MODELS and run.solution.has_plan:
                lo, hi = int(ss["sweep_from"]), int(ss["sweep_to"])
                bar = st.progress(0.0, text=tr("app_stage_sweep", done=0, total="…"))

                def progress(done: int, total: int) -> None:
                    bar.progress(
                        done / max(total, 1), text=tr("app_stage_sweep", done=done, total=total)
                    )

                curve = ui.sweep_curve(run, (lo, hi), progress=progress)
                run = replace(run, curve=curve)
        except Exception as exc:
            status.update(label=tr("app_run_failed"), state="error", expanded=True)
            show_error(exc)
            return
        seconds = time.perf_counter() - t0
        ok = run.solution.has_plan
        status.update(
            label=tr(
                "app_run_done",
                quality=ui.quality_text(run.solution, lang),
                seconds=f"{seconds:.1f}",
            ),
            state="complete" if ok else "error",
            expanded=False,
        )
    ss["run"] = run


# --------------------------------------------------------------------------------------
# results


def step_results(config: ScenarioConfig | None) -> None:
    st.header(tr("app_step_results"))
    run: ui.AppRun | None = ss.get("run")
    if run is None:
        st.info(tr("app_no_run"))
        return
    lang = ss["lang"]
    sol = run.solution
    if config is not None and ui.run_key(config) != run.key:
        st.info(tr("app_settings_changed"))
    st.markdown(
        tr(
            "app_status_line",
            model=tr(f"app_model_{sol.model}"),
            quality=ui.quality_text(sol, lang),
            seconds=f"{sol.runtime_s:.1f}",
            method=ui.method_text(sol.method, lang),
        )
    )
    if not sol.has_plan:
        st.error(ui.infeasible_text(run, lang))
        flagged = ui.flagged_rows(run)
        if flagged:
            st.caption(tr("app_flagged_hint", n=len(flagged)))
            d = run.config.demand
            page = cached_inputs_map(
                ui.inputs_key(run.config),
                (d.population, d.residential, d.faults),
                lang,
                ss.get("basemap", "osm"),
                run.result.inputs,
                tuple(flagged),
            )
            st.iframe(page, height=520, alt=tr("app_flagged_layer"))
        downloads(run)
        return
    metrics = ui.headline_metrics(run, lang)
    for col, (label, value, change, colour) in zip(st.columns(len(metrics)), metrics, strict=True):
        col.metric(label, value, change, delta_color=colour)  # type: ignore[arg-type]
    o1, o2 = st.columns([1, 2])
    with o1:
        select(
            "basemap",
            tr("app_basemap"),
            list(ui.BASEMAP_CHOICES),
            format_func=labels("app_basemap_"),
        )
    o2.caption(tr("app_layers_hint"))
    try:
        page = cached_result_map(run.key, lang, ss["basemap"], run)
        st.iframe(page, height=660, alt=tr("app_plan_map"))
    except PlannerError as exc:
        show_error(exc)
    c1, c2 = st.columns(2)
    with c1:
        st.subheader(tr("app_kpis"))
        st.dataframe(ui.kpi_table(run, lang), hide_index=True, width="stretch")
        notes = run.result.kpis.notes_text(lang) if run.result.kpis is not None else []
        for note in notes:
            st.caption(note)
    with c2:
        st.subheader(tr("app_sites_table"))
        st.dataframe(ui.site_table(run, lang), hide_index=True, width="stretch")
    st.subheader(tr("report_tradeoff"))
    if run.curve is not None:
        from planner.report import tradeoff_svg

        std = float(run.config.standards.service_minutes[0])
        st.html(tradeoff_svg(run.curve, chosen_p=sol.p, standard_minutes=std, language=lang))
    else:
        st.caption(tr("app_tradeoff_hint"))
    st.subheader(tr("app_worst"))
    st.slider(tr("app_n_worst"), min_value=1, max_value=10, key="n_worst")
    worst = ui.worst_table(run, lang, n=int(ss["n_worst"]))
    if worst.empty:
        st.caption("–")
    else:
        st.dataframe(worst, hide_index=True, width="stretch")
    downloads(run)


def downloads(run: ui.AppRun) -> None:
    st.subheader(tr("app_downloads"))
    files = ui.download_files(run, ss["lang"], basemap=ss.get("basemap", "osm"))
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


# --------------------------------------------------------------------------------------
# scenarios


def open_library() -> Any:
    from planner.library import ScenarioLibrary

    try:
        return ScenarioLibrary(ss.get("library_dir") or ui.default_library_dir())
    except PlannerError as exc:
        show_error(exc)
        return None


def apply_saved(name: str) -> None:
    lib = open_library()
    if lib is None:
        return
    try:
        ss.update(ui.settings_from_saved(lib.load(name)))
        ss["_applied"] = name
    except PlannerError as exc:
        ss["_apply_error"] = str(exc)


def delete_saved(name: str) -> None:
    lib = open_library()
    if lib is None:
        return
    try:
        lib.delete(name)
        ss["_deleted"] = name
    except PlannerError as exc:
        ss["_apply_error"] = str(exc)


def step_scenarios() -> None:
    st.header(tr("app_step_scenarios"))
    lib = open_library()
    if lib is None:
        return
    st.caption(tr("app_library_at", path=str(lib.path)))
    lang = ss["lang"]
    for flag, key in (("_applied", "app_applied"), ("_deleted", "app_deleted")):
        if flag in ss:
            st.success(tr(key, name=ss.pop(flag)))
    if "_apply_error" in ss:
        st.error(tr("app_error_input", message=ss.pop("_apply_error")))

    st.subheader(tr("app_save"))
    run: ui.AppRun | None = ss.get("run")
    if run is None or not run.solution.has_plan:
        st.info(tr("app_save_needs_run"))
    else:
        c1, c2, c3 = st.columns([3, 1, 1])
        c1.text_input(tr("app_save_name"), key="save_name", max_chars=80)
        c2.checkbox(tr("app_save_with_map"), key="save_with_map")
        c3.checkbox(tr("app_save_overwrite"), key="save_overwrite")
        if st.button(tr("app_save_button"), key="save_button"):
            try:
                page = None
                if ss.get("save_with_map"):
                    page = cached_result_map(run.key, lang, ss.get("basemap", "osm"), run)
                saved = ui.save_run(
                    lib,
                    str(ss.get("save_name") or ""),
                    run,
                    lang,
                    map_page=page,
                    overwrite=bool(ss.get("save_overwrite")),
                )
                st.success(tr("app_saved", name=saved.name))
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
    st.dataframe(library_view(table), hide_index=True, width="stretch")

    st.subheader(tr("app_open"))
    select("open_name", tr("app_open_name"), names)
    name = ss.get("open_name")
    if name:
        try:
            saved = lib.load(name)
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
    kpis, sites = ui.comparison_tables(comparison, saved_runs, lang)
    st.dataframe(kpis, width="stretch")
    st.caption(tr("app_compare_reference", name=chosen[0]))
    st.dataframe(sites, width="stretch")
    for col, s in zip(st.columns(len(saved_runs)), saved_runs, strict=True):
        with col:
            st.markdown(f"**{s.name}**")
            if s.map_html:
                st.iframe(s.map_html, height=420, alt=tr("app_plan_map") + " " + s.name)
            else:
                st.caption(tr("app_no_saved_map"))


def library_view(table: Any) -> Any:
    from planner.kpis import kpi_label

    renamed = {}
    for col in table.columns:
        try:
            renamed[col] = kpi_label(str(col), ss["lang"])
        except KeyError:
            renamed[col] = (
                tr(f"app_libcol_{col}")
                if col in ("name", "created_at", "model", "n_open", "status", "quality")
                else col
            )
    keep = [
        c
        for c in table.columns
        if c
        in (
            "name",
            "created_at",
            "model",
            "n_open",
            "quality",
            "mean_minutes",
            "within_15min_share",
            "zone_standard_share",
        )
    ]
    return table[keep].rename(columns=renamed)


def show_saved(saved: Any) -> None:
    from planner.kpis import kpi_label

    lang = ss["lang"]
    doc = saved.kpis
    solution = doc.get("solution") or {}
    st.markdown(
        tr(
            "app_saved_header",
            name=saved.name,
            created=saved.created_at,
            quality=solution.get("quality", ""),
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
            rows.append((label, ui._fmt(key, value)))
        import pandas as pd

        st.dataframe(
            pd.DataFrame(rows, columns=[tr("kpi_metric"), tr("kpi_plan")]),
            hide_index=True,
            width="stretch",
        )
        name_key = "name_zh" if lang == "zh" else "name_en"
        st.dataframe(
            pd.DataFrame(
                [(s["site_id"], s.get(name_key, "")) for s in saved.sites],
                columns=[tr("site_id"), tr("name")],
            ),
            hide_index=True,
            width="stretch",
        )
    with c2:
        if saved.map_html:
            st.iframe(saved.map_html, height=480, alt=tr("app_plan_map") + " " + saved.name)
        else:
            st.caption(tr("app_no_saved_map"))


# --------------------------------------------------------------------------------------
# the page


def main() -> None:
    demo = start_session()
    if demo is None:
        return
    sync_site_choices()
    config: ScenarioConfig | None = None
    config_error: PlannerError | None = None
    try:
        config = ui.config_from_state(ss, demo=demo, session_dir=session_dir())
    except PlannerError as exc:
        config_error = exc
    sidebar(config)
    # Fixed slots: the page keeps the same layout whether or not a run or an error is shown,
    # so a display-only rerun never remounts (and reloads) the maps below.
    status_slot = st.container()
    if ss.pop("_run_requested", False) and config is not None:
        with status_slot:
            do_run(config)
    st.radio(
        tr("app_step"),
        list(ui.STEPS),
        key="step",
        format_func=numbered(labels("app_step_")),
        horizontal=True,
        label_visibility="collapsed",
    )
    message_slot = st.container()
    if config_error is not None:
        with message_slot:
            show_error(config_error)
    step = ss["step"]
    if step == "data":
        step_data(config)
    elif step == "demand":
        step_demand(config)
    elif step == "sites":
        step_sites(config)
    elif step == "travel":
        step_travel()
    elif step == "model":
        step_model()
    elif step == "results":
        step_results(config)
    else:
        step_scenarios()


try:
    main()
except (
    Exception
) as exc:  # the last guard: a bug shows as one message (and in the log), never a traceback
    show_error(exc)
