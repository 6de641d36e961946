"""Steps 1 and 2: the layers (demo or uploads, coordinate systems, columns) and the demand blend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from planner.app import checks, state, tables
from planner.app.checks import FieldNote
from planner.app.views.common import (
    cached_inputs_map,
    cached_layer,
    column_picker,
    error_text,
    holding,
    labels,
    load_or_report,
    select,
    session_dir,
    show_error,
    show_notes,
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
from planner.present.i18n import t
from planner.runs.config import ScenarioConfig
from planner.runs.results import PlanInputs
from planner.sanitize import markdown_text as md

_COLUMN_HINTS: dict[str, tuple[str, ...]] = {
    "population_col": ("pop_20plus", "population", "pop", "人口", "total"),
    "pop65_col": ("pop_65plus", "pop65", "65", "老年", "elderly"),
    "population_id_col": ("cell_id", "id", "编号", "格网", "网格", "code"),
    "residential_col": ("residential_density", "density", "密度"),
    "faults_time_col": ("reported_at", "timestamp", "time", "date", "时间", "日期"),
    "candidates_id_col": ("site_id", "id", "编号"),
    "candidates_name_col": ("name_zh", "name", "名称"),
    "candidates_name_en_col": ("name_en", "english"),
    "candidates_category_col": ("category", "type", "类别", "类型"),
    "candidates_capacity_col": ("capacity", "容量"),
    "existing_id_col": ("centre_id", "center_id", "id", "编号"),
    "existing_name_col": ("name_zh", "name", "名称"),
    "existing_name_en_col": ("name_en", "english"),
    "existing_capacity_col": ("capacity", "容量"),
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
        ("candidates_capacity_col", True, True),
    ),
    "existing": (
        ("existing_id_col", False, True),
        ("existing_name_col", False, True),
        ("existing_name_en_col", False, True),
        ("existing_capacity_col", True, True),
    ),
}


def remove_upload(slot: str) -> None:
    ss.pop(f"upload_{slot}", None)
    ss.pop(f"{slot}_file_id", None)
    ss[f"{slot}_uploader_n"] = ss.get(f"{slot}_uploader_n", 0) + 1


def _css_text(text: str) -> str:
    """``text`` as a CSS string (quoted, with backslashes, quotes and line ends escaped)."""
    escaped = "".join(
        ch if ch.isalnum() or ch in " .,:·•()-" else f"\\{ord(ch):06x}" for ch in text
    )
    return f'"{escaped}"'


def uploader_words(key: str, types: list[str], mb: int, lang: str) -> str:
    """A ``<style>`` that puts the page's language on the uploader ``key``: Streamlit writes
    its button ("Upload") and its limit line ("100MB per file • CSV") in English only and
    takes no words for them (streamlit/streamlit#13500); empty for English pages."""
    if lang == "en":
        return ""
    box = f".st-key-{key} [data-testid='stFileUploaderDropzone']"
    limit = t("app_upload_limit", lang, mb=mb) + (" • " + ", ".join(types).upper() if types else "")
    return (
        "<style>"
        f"{box} button [data-testid='stMarkdownContainer'] p {{display: none;}}"
        f"{box} button [data-testid='stMarkdownContainer']::after "
        f"{{content: {_css_text(t('app_upload_button', lang))};}}"
        f"{box} [data-testid='stFileUploaderDropzoneInstructions'] span {{display: none;}}"
        f"{box} [data-testid='stFileUploaderDropzoneInstructions'] > div::after "
        f"{{content: {_css_text(limit)}; font-size: 0.875rem;}}"
        "</style>"
    )


def upload_widget(slot: str, suffixes: tuple[str, ...]) -> dict[str, Any] | None:
    """The uploader of one slot; the saved file stays after the uploader is cleared."""
    n = ss.get(f"{slot}_uploader_n", 0)
    limit = max_upload_bytes()
    types = sorted({s.rsplit(".", 1)[-1] for s in suffixes})
    style = uploader_words(f"up_{slot}_{n}", types, max(1, int(limit / 1e6)), ss["lang"])
    if style:
        st.html(style)
    upload = st.file_uploader(
        tr("app_upload_file"),
        type=types,
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
            show_error(exc, slot=slot, file=upload.name)
            return None
        ss[f"upload_{slot}"] = {
            "path": str(saved.path),
            "name": saved.original_name,
            "size": saved.size_bytes,
            "layers": list(saved.layers),
        }
        ss[f"{slot}_layer"] = saved.layers[0] if saved.layers else state.NONE
        ss[f"{slot}_crs"] = "auto"
        ss[f"{slot}_encoding"] = "auto"
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


@st.cache_resource(show_spinner=False, max_entries=16)
def cached_csv(path: str, fingerprint: str, encoding: str) -> tuple[Any, str]:
    """The table of an uploaded CSV and the encoding it was read with (``"auto"``: UTF-8,
    then GB18030); raises UnicodeDecodeError when it cannot be decoded so."""
    import pandas as pd

    from planner.limits import current_limits

    tries = ["utf-8-sig", "gb18030"] if encoding == "auto" else [encoding]
    error: UnicodeDecodeError | None = None
    for enc in tries:
        try:
            frame = pd.read_csv(path, encoding=enc, nrows=current_limits().max_rows + 1)
        except UnicodeDecodeError as exc:
            error = exc
            continue
        except (pd.errors.ParserError, pd.errors.EmptyDataError):
            return pd.DataFrame(), enc
        return frame, enc
    assert error is not None
    raise error


@dataclass
class SlotRead:
    """What the checks of one uploaded layer found, before Run: its table (``gdf``, None
    when it could not be read), its columns, and the notes beside each of its fields."""

    gdf: Any = None
    csv_columns: list[str] = field(default_factory=list)
    numeric: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    notes: dict[str, list[FieldNote]] = field(default_factory=dict)
    error: PlannerError | None = None
    slot: str | None = None
    file: str | None = None

    def add(self, name: str, note: FieldNote) -> None:
        self.notes.setdefault(name, []).append(note)

    def errors(self) -> list[str]:
        out = [n.text for notes in self.notes.values() for n in notes if n.level == "error"]
        if self.error is not None:
            out.append(error_text(self.error, slot=self.slot, file=self.file))
        return out


_ENCODING_NAMES = {"utf-8-sig": "UTF-8", "utf-8": "UTF-8", "gb18030": "GBK (GB18030)"}


def read_slot(slot: str) -> SlotRead | None:
    """Read and check one uploaded layer with the current choices (cached by content);
    None when the slot has no upload. Fresh uploads get their columns guessed here."""
    info = ss.get(f"upload_{slot}")
    if not info:
        return None
    lang = ss["lang"]
    out = SlotRead(slot=slot, file=str(info["name"]))
    crs = ss.get(f"{slot}_crs", "auto")
    encoding = str(ss.get(f"{slot}_encoding") or "auto")
    if crs == "epsg":
        code = str(ss.get(f"{slot}_epsg", "")).strip()
        if not code:
            out.add("epsg", FieldNote("error", tr("app_epsg_needed")))
            return out
        crs = code if code.upper().startswith("EPSG:") else f"EPSG:{code}"
    fingerprint = state.file_fingerprint(info["path"])
    if info["path"].lower().endswith(".csv"):
        shown = _ENCODING_NAMES.get(encoding, encoding)
        try:
            frame, used = cached_csv(info["path"], fingerprint, encoding)
        except UnicodeDecodeError:
            out.add("encoding", FieldNote("error", tr("app_check_encoding_fails", enc=shown)))
            return out
        out.csv_columns = [str(c) for c in frame.columns]
        if encoding == "auto":
            enc = _ENCODING_NAMES.get(used, used)
            out.add("encoding", FieldNote("info", tr("app_note_encoding_read", enc=enc)))
        coords = checks.coordinate_notes(
            frame,
            lon=str(ss.get(f"{slot}_lon") or "") or None,
            lat=str(ss.get(f"{slot}_lat") or "") or None,
            crs=str(ss.get(f"{slot}_crs", "auto")),
            lang=lang,
        )
        for name, notes in coords.items():
            for note in notes:
                out.add(name, note)
        if out.errors():
            return out
    try:
        gdf = cached_layer(
            info["path"],
            info["name"],
            fingerprint,
            str(ss.get(f"{slot}_layer") or ""),
            str(crs),
            str(ss.get(f"{slot}_lon") or ""),
            str(ss.get(f"{slot}_lat") or ""),
            tr(f"app_slot_{slot}"),
            "" if encoding == "auto" else encoding,
        )
    except PlannerError as exc:
        out.error = exc
        return out
    out.gdf = gdf
    out.numeric = numeric_columns(gdf)
    out.text = text_columns(gdf)
    needs_number = [k for k, is_num, optional in _SLOT_COLUMNS[slot] if is_num and not optional]
    if needs_number and not out.numeric:
        out.error = DataError(
            f"{tr(f'app_slot_{slot}')} file {info['name']}: no column holds numbers "
            "(no usable rows); upload a layer with a numeric column of counts.",
            reason="no_numeric_column",
            path=str(info["path"]),
        )
        return out
    if ss.pop(f"_{slot}_fresh", False):
        for key, is_numeric, _ in _SLOT_COLUMNS[slot]:
            ss[key] = (
                guess_column(out.numeric if is_numeric else out.text, _COLUMN_HINTS[key])
                or state.NONE
            )
    chosen = {key: str(ss.get(key) or "") or None for key, _, _ in _SLOT_COLUMNS[slot]}
    half_life = float(ss.get("half_life_days", 0.0) or 0.0) if ss.get("w_faults") else 0.0
    for name, notes in checks.column_notes(gdf, chosen, lang, half_life_days=half_life).items():
        for note in notes:
            out.add(name, note)
    return out


def read_slots() -> dict[str, SlotRead]:
    """:func:`read_slot` of every uploaded layer (none with the demo data)."""
    if ss.get("data_source") != "upload":
        return {}
    reads = {slot: read_slot(slot) for slot in state.LAYER_SLOTS}
    return {slot: r for slot, r in reads.items() if r is not None}


def add_datum_notes(reads: dict[str, SlotRead], inputs: PlanInputs | None) -> None:
    """Beside the coordinate system of uploaded point layers read "as the file says": a
    warning when they fit where people live clearly better as GCJ-02 or BD-09."""
    if inputs is None:
        return
    demand = inputs.demand
    for slot in ("candidates", "existing"):
        read = reads.get(slot)
        if read is None or read.gdf is None or ss.get(f"{slot}_crs", "auto") != "auto":
            continue
        points = read.gdf.geometry.representative_point()
        note = checks.datum_note(
            points.x.to_numpy(),
            points.y.to_numpy(),
            demand.geometry.x.to_numpy(),
            demand.geometry.y.to_numpy(),
            demand["population"].to_numpy(),
            ss["lang"],
        )
        if note is not None:
            read.add("crs", note)


def notes_under(read: SlotRead | None, name: str) -> None:
    if read is not None:
        show_notes(read.notes.get(name, []))


def layer_slot(slot: str, read: SlotRead | None) -> None:
    """Upload, coordinate system, encoding, columns and a one-line summary of one layer,
    each with what the checks found right under it."""
    required = slot == "population"
    title = tr(f"app_slot_{slot}") + (" *" if required else f" ({tr('app_optional')})")
    with st.expander(title, expanded=required or bool(ss.get(f"upload_{slot}"))):
        st.caption(tr(f"app_slot_{slot}_help"))
        info = upload_widget(slot, LAYER_SUFFIXES)
        if not info or read is None:
            return
        c1, c2, c3 = st.columns(3)
        with c1:
            select(
                f"{slot}_crs",
                tr("app_crs"),
                list(state.CRS_CHOICES),
                format_func=labels("app_crs_"),
                help=tr("app_crs_help"),
            )
            notes_under(read, "crs")
        if ss.get(f"{slot}_crs") == "epsg":
            with c2:
                st.text_input(tr("app_epsg"), key=f"{slot}_epsg", placeholder="4547")
                notes_under(read, "epsg")
        if info["path"].lower().endswith((".csv", ".zip", ".shp")):
            with c3:
                select(
                    f"{slot}_encoding",
                    tr("app_encoding"),
                    list(state.ENCODING_CHOICES),
                    format_func=labels("app_encoding_"),
                    help=tr("app_encoding_help"),
                )
                notes_under(read, "encoding")
        if info["path"].lower().endswith(".csv"):
            a, b = st.columns(2)
            with a:
                column_picker(f"{slot}_lon", tr("app_lon_col"), read.csv_columns, optional=True)
                notes_under(read, "lon")
            with b:
                column_picker(f"{slot}_lat", tr("app_lat_col"), read.csv_columns, optional=True)
                notes_under(read, "lat")
        if read.error is not None:
            show_error(read.error, slot=slot, file=read.file)
        if read.gdf is None:
            return
        columns = st.columns(len(_SLOT_COLUMNS[slot]))
        for col, (key, is_numeric, optional) in zip(columns, _SLOT_COLUMNS[slot], strict=True):
            with col:
                column_picker(
                    key,
                    tr(f"app_col_{key}"),
                    read.numeric if is_numeric else read.text,
                    optional=optional,
                )
                notes_under(read, key)
        minx, miny, maxx, maxy = read.gdf.total_bounds
        st.caption(
            tr(
                "app_layer_read",
                n=len(read.gdf),
                bbox=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}",
            )
        )


def step_data(config: ScenarioConfig | None, reads: dict[str, SlotRead] | None = None) -> None:
    reads = reads or {}
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
            layer_slot(slot, reads.get(slot))
        if not ss.get("upload_candidates"):
            st.checkbox(tr("app_generate_candidates"), key="generate_candidates")
            if ss.get("generate_candidates"):
                st.number_input(
                    tr("app_n_generated"),
                    **holding("n_generated", 1, 2000),
                    step=10,
                    key="n_generated",
                )
    st.subheader(tr("app_summary"))
    if any(read.errors() for read in reads.values()):
        # said beside the fields above, in the page's words; the reader's own message
        # would say it again in the scenario file's
        st.info(tr("app_summary_after_fix"))
        return
    if config is None:
        return
    inputs = load_or_report(config)
    if inputs is None:
        return
    table, problems = tables.data_summary(inputs, ss["lang"])
    minx, miny, maxx, maxy = table.attrs["bbox"]
    # The table at the page's width (beside the map its notes were cut off), the map below.
    show_table(table, hide_index=True, width="stretch")
    st.caption(tr("app_bbox", bbox=f"{minx:.4f}, {miny:.4f} – {maxx:.4f}, {maxy:.4f}"))
    if problems:
        st.warning(tr("app_problems") + "\n\n" + "\n".join(f"- {md(p)}" for p in problems))
    else:
        st.success(tr("app_no_problems"))
    if inputs.attribution:
        st.caption(tr("app_sources") + " " + "; ".join(md(a) for a in inputs.attribution))
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
            st.slider(tr(f"app_{key}"), **holding(key, 0.0, 1.0), step=0.05, key=key)
        st.number_input(
            tr("app_half_life"),
            **holding("half_life_days", 0.0),
            step=30.0,
            key="half_life_days",
            help=tr("app_half_life_help"),
        )
        st.slider(
            tr("app_hotspot_quantile"),
            **holding("hotspot_quantile", 0.5, 0.99),
            step=0.01,
            key="hotspot_quantile",
        )
        st.number_input(
            tr("app_cell_size"),
            **holding("cell_size_m", 0.0),
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
        pop, res, faults, missing = tables.blend_shares(inputs.demand, config)
        st.caption(
            tr(
                "app_weights_now",
                pop=f"{100 * pop:.0f}",
                res=f"{100 * res:.0f}",
                faults=f"{100 * faults:.0f}",
                hot=int(inputs.demand["is_hotspot"].sum()),
            )
        )
        for part in missing:  # a weight with no layer behind it follows the population
            st.caption(tr(f"app_weights_no_{part}"))
        show_inputs_map(inputs, config)
