"""Checks of the page's fields against the loaded data, in the planner's words, before Run.

:func:`model_notes` (Model step), :func:`coordinate_notes`, :func:`column_notes` and
:func:`datum_note` (Data step: an uploaded layer's coordinates, coordinate system, columns
and encoding) and :func:`snap_notes` (Travel step: the road network's snapping distance)
say beside each field what its value means (units, what it counts) and what is wrong with
it (an ``error`` keeps Run disabled): the same limits the readers and
:func:`planner.runs.pipeline.solve_options` enforce after Run, but named as the planner sees
them ("Number of centres p", "the longitude column"), not as ``model.p = ...``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal

import numpy as np

from planner.app.state import P_MODELS
from planner.present.i18n import check_language, t

if TYPE_CHECKING:
    import pandas as pd

    from planner.runs.config import ScenarioConfig
    from planner.runs.results import PlanInputs

__all__ = [
    "FieldNote",
    "column_notes",
    "coordinate_notes",
    "datum_note",
    "model_notes",
    "snap_notes",
]


@dataclass(frozen=True)
class FieldNote:
    """One note beside a field: ``level`` is ``"error"`` (Run stays off), ``"warning"`` or
    ``"info"`` (what the number means)."""

    level: Literal["error", "warning", "info"]
    text: str


def _n(x: float) -> str:
    return f"{x:,.0f}"


def model_notes(
    config: ScenarioConfig, inputs: PlanInputs, lang: str
) -> dict[str, list[FieldNote]]:
    """Notes per Model-step field (``p``, ``capacity``, ``opening_cost``, ``budget``,
    ``max_sites``) for ``config`` on ``inputs`` (re-blended to its demand weights).

    Parameters
    ----------
    config
        The scenario the widgets stand for.
    inputs
        Its loaded inputs (:func:`planner.runs.sweep.inputs_for` applied).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict
        ``{field: [FieldNote, ...]}``; fields without notes are absent.
    """
    check_language(lang)
    m = config.model
    sites = inputs.sites
    n_sites = len(sites)
    n_kept = int(sites["keep"].sum())
    n_today = int(sites["existing"].sum())
    total = float(inputs.demand["weight"].sum())
    out: dict[str, list[FieldNote]] = {}

    def note(
        field: str, level: Literal["error", "warning", "info"], key: str, **kw: object
    ) -> None:
        out.setdefault(field, []).append(FieldNote(level, t(key, lang, **kw)))

    if config.solver.method == "heuristic" and (
        m.enforce_hotspot_response or m.percentile_standards
    ):  # the heuristics keep no hard limits (planner run refuses the pair too)
        note("solver_method", "error", "app_check_heuristic_limits")
    if m.name in P_MODELS and m.p is not None:
        p = int(m.p)
        if n_today:
            note("p", "info", "app_note_p", kept=n_kept, today=n_today, sites=n_sites)
        else:
            note("p", "info", "app_note_p_none_today", sites=n_sites)
        if p < n_kept:
            note("p", "error", "app_check_p_below_kept", p=p, kept=n_kept)
        if p > n_sites:
            note("p", "error", "app_check_p_above_sites", p=p, sites=n_sites)
    if m.name == "lscp" and m.radius is not None:
        reach = nearest_minutes(inputs)
        if reach is not None:
            weight = inputs.demand["weight"].to_numpy(dtype=float)
            need = reach[(weight > 0) & np.isfinite(reach)]
            unreachable = int(((weight > 0) & ~np.isfinite(reach)).sum())
            if unreachable:
                note("service_minutes", "error", "app_check_lscp_unreachable", n=unreachable)
            elif need.size and float(m.radius) < float(need.max()):
                far = int((need > float(m.radius)).sum())
                least = math.ceil(float(need.max()) * 10 - 1e-9) / 10
                note("service_minutes", "error", "app_check_lscp_radius",
                     n=_n(far), radius=f"{float(m.radius):g}", least=f"{least:.1f}")  # fmt: skip
    for within, share in m.percentile_standards or []:
        reach = nearest_minutes(inputs)
        if reach is None or m.cost != "minutes":
            break
        weight = inputs.demand["weight"].to_numpy(dtype=float)
        got = float(weight[reach <= within].sum() / max(weight.sum(), 1e-300))
        if got < share - 1e-9:
            note("percentile_minutes", "error", "app_check_percentile_unreachable",
                 minutes=f"{within:g}", got=f"{100 * math.floor(1000 * got) / 1000:.1f}",
                 share=f"{100 * share:g}")  # fmt: skip
    if m.name == "capacitated_p_median":
        weight = inputs.demand["weight"].to_numpy(dtype=float)
        biggest = float(weight.max()) if weight.size else None
        _capacity_notes(note, m.capacity, int(m.p or 0), sites, total, biggest)
    if m.name == "facility_location":
        cost = float(m.opening_cost or 0.0)
        note("opening_cost", "info", "app_note_opening_cost")
        column = (
            sites["capacity"].to_numpy(dtype=np.float64)
            if "capacity" in sites.columns
            else np.full(n_sites, np.nan)
        )
        given = int(np.isfinite(column).sum())
        if given == n_sites:  # the capacity column (Data step) limits what each centre serves
            note("opening_cost", "info", "app_note_fl_capacity", n=given)
        elif given and m.capacity is None:  # the scenario's one value fills the gaps
            note("opening_cost", "error", "app_check_fl_capacity_partial",
                 n=n_sites - given)  # fmt: skip
        note("budget", "info", "app_note_budget")
        if m.budget is not None and cost > 0:
            can = math.floor(float(m.budget) / cost)
            level: Literal["warning", "info"] = "warning" if can == 0 else "info"
            note("budget", level, "app_check_budget_opens", n=can)
        if m.max_sites is not None and m.max_sites < n_kept:
            note("max_sites", "error", "app_check_max_sites_below_kept", n=m.max_sites, kept=n_kept)
    return out


def _capacity_notes(
    note: Callable[..., None],
    capacity: float | None,
    p: int,
    sites: pd.DataFrame,
    total: float,
    biggest: float | None = None,
) -> None:
    """The capacitated model's notes: what the capacity means, and whether the ``p`` centres
    with the most capacity (the kept ones first) can hold the total demand. A site's capacity
    is its layer's capacity column where given, else the one value of the Model step; one
    demand point (``biggest``, its weight) is served by one centre, so it must fit in one."""
    one = float(capacity or 0.0)
    column = (
        sites["capacity"].to_numpy(dtype=np.float64)
        if "capacity" in sites.columns
        else np.full(len(sites), np.nan)
    )
    from_column = int(np.isfinite(column).sum())
    each = _n(total / max(p, 1))
    note("capacity", "info", "app_note_capacity", total=_n(total), each=each, p=p)
    if from_column == len(column):
        note("capacity", "info", "app_note_capacity_col_all", n=from_column)
    elif from_column:
        note("capacity", "info", "app_note_capacity_col", n=from_column,
             empty=len(column) - from_column)  # fmt: skip
    missing = ~np.isfinite(column)
    if one <= 0 and missing.all():
        note("capacity", "error", "app_check_capacity_needed", each=each)
        return
    if one <= 0 and missing.any():
        note("capacity", "error", "app_check_capacity_some_missing", n=int(missing.sum()))
        return
    if p <= 0:
        return
    if not from_column:
        if one * p < total * (1 - 1e-9):
            note("capacity", "error", "app_check_capacity_short",
                 p=p, cap=_n(one), room=_n(one * p), total=_n(total),
                 short=_n(total - one * p))  # fmt: skip
        if biggest is not None and biggest > one * (1 + 1e-9):
            note("capacity", "error", "app_check_capacity_point", load=_n(biggest), cap=_n(one))
        return
    cap = np.where(missing, one, column)
    if biggest is not None and biggest > float(cap.max()) * (1 + 1e-9):
        note("capacity", "error", "app_check_capacity_point", load=_n(biggest),
             cap=_n(float(cap.max())))  # fmt: skip
    keep = sites["keep"].to_numpy(dtype=bool)
    others = np.sort(cap[~keep])[::-1][: max(p - int(keep.sum()), 0)]
    room = float(cap[keep].sum() + others.sum())
    if room < total * (1 - 1e-9):
        note("capacity", "error", "app_check_capacity_short_sites",
             p=p, room=_n(room), total=_n(total), short=_n(total - room))  # fmt: skip


def nearest_minutes(inputs: PlanInputs) -> np.ndarray | None:
    """Minutes from each demand point to its nearest site (inf: none within the travel
    cut-off), or None when travel times are computed from coordinates on demand (too many
    pairs to scan here)."""
    import scipy.sparse as sp

    minutes = inputs.travel.minutes
    if isinstance(minutes, np.ndarray):
        return minutes.min(axis=1) if minutes.shape[1] else np.full(minutes.shape[0], np.inf)
    if sp.issparse(minutes):
        csr = sp.csr_array(minutes)
        out = np.full(csr.shape[0], np.inf)
        filled = np.diff(csr.indptr) > 0
        if filled.any():
            out[filled] = np.minimum.reduceat(csr.data, csr.indptr[:-1][filled])
        return out
    return None


def errors(notes: dict[str, list[FieldNote]]) -> list[str]:
    """The error texts among ``notes`` (what keeps Run off)."""
    return [n.text for field in notes.values() for n in field if n.level == "error"]


# --------------------------------------------------------------------------------------
# the Data step: coordinates, coordinate system, encoding and the columns of an upload

#: Coordinate-system choices whose coordinates are degrees (longitude, latitude).
DEGREE_CHOICES: Final = ("auto", "wgs84", "gcj02", "bd09", "cgcs2000")
#: Column keys whose values are counts (people, density), by slot.
WEIGHT_KEYS: Final = ("population_col", "pop65_col", "residential_col")
#: Signs of text decoded with the wrong encoding (UTF-8 read as Latin-1, undecodable bytes).
_GARBLED: Final = ("\ufffd", "Ã", "â€", "Â")


class _Notes:
    """Notes being collected, by field."""

    def __init__(self, lang: str) -> None:
        check_language(lang)
        self.lang = lang
        self.out: dict[str, list[FieldNote]] = {}

    def add(
        self, field: str, level: Literal["error", "warning", "info"], key: str, **kw: object
    ) -> None:
        self.out.setdefault(field, []).append(FieldNote(level, t(key, self.lang, **kw)))


def find_coordinate_column(columns: Sequence[str], chosen: str | None, which: str) -> str | None:
    """The longitude (``which="lon"``) or latitude column: the chosen one, else the one the
    layer reader finds by its name (``lon``, ``经度``...), else None."""
    from planner.inputs.layers import LAT_NAMES, LON_NAMES

    if chosen:
        return chosen if chosen in columns else None
    lowered = {str(c).strip().lower(): str(c) for c in columns}
    for name in LON_NAMES if which == "lon" else LAT_NAMES:
        if name in lowered:
            return lowered[name]
    return None


def _lines(mask: np.ndarray) -> str:
    """Line numbers of a CSV (header is line 1) where ``mask`` holds, at most five."""
    rows = np.flatnonzero(mask)[:5] + 2
    more = " …" if mask.sum() > 5 else ""
    return ", ".join(str(int(r)) for r in rows) + more


def coordinate_notes(
    frame: pd.DataFrame, *, lon: str | None, lat: str | None, crs: str, lang: str
) -> dict[str, list[FieldNote]]:
    """Notes beside the longitude/latitude pickers (``lon``, ``lat``) and the coordinate
    system (``crs``) of an uploaded CSV, before it is read as a layer.

    Parameters
    ----------
    frame
        The CSV's table as read (text and numbers, no geometry).
    lon, lat
        The chosen columns, or None to let the reader find them by name.
    crs
        The coordinate-system choice (:data:`planner.app.state.CRS_CHOICES`).
    lang
        ``"zh"`` or ``"en"``.
    """
    import pandas as pd

    n = _Notes(lang)
    if frame.empty:
        return n.out  # no rows (or no table): the layer reader says so
    columns = [str(c) for c in frame.columns]
    x_col = find_coordinate_column(columns, lon, "lon")
    y_col = find_coordinate_column(columns, lat, "lat")
    if x_col is None:
        n.add("lon", "error", "app_check_lon_not_found")
    if y_col is None:
        n.add("lat", "error", "app_check_lat_not_found")
    if x_col is None or y_col is None:
        return n.out
    if x_col == y_col:
        n.add("lat", "error", "app_check_same_column", col=_md(x_col))
        return n.out
    x = pd.to_numeric(frame[x_col], errors="coerce").to_numpy(dtype=np.float64)
    y = pd.to_numeric(frame[y_col], errors="coerce").to_numpy(dtype=np.float64)
    for field, col, values in (("lon", x_col, x), ("lat", y_col, y)):
        bad = ~np.isfinite(values)
        if bad.any():
            n.add(field, "error", "app_check_not_numbers",
                  col=_md(col), n=int(bad.sum()), lines=_lines(bad))  # fmt: skip
    if any(level.level == "error" for notes in n.out.values() for level in notes):
        return n.out
    if crs not in DEGREE_CHOICES:
        return n.out  # an EPSG code: metres or degrees, as that system says
    big = float(max(np.abs(x).max(), np.abs(y).max()))
    if big > 1000:
        n.add("crs", "error", "app_check_crs_metres", big=_n(big))
    elif np.abs(x).max() <= 90 and np.abs(y).max() > 90 and np.abs(y).max() <= 180:
        n.add("lat", "error", "app_check_swapped", lon=_md(x_col), lat=_md(y_col))
    elif np.abs(x).max() > 180 or np.abs(y).max() > 90:
        n.add("lon", "error", "app_check_out_of_range")
    elif _in_china(y, x) and not _in_china(x, y):
        n.add("lat", "error", "app_check_swapped", lon=_md(x_col), lat=_md(y_col))
    else:
        for field, col, chosen, v in (("lon", x_col, lon, x), ("lat", y_col, lat, y)):
            if not chosen:  # "(none)" in the picker: say which column the reader takes
                n.add(field, "info", "app_note_found", col=_md(col))
            n.add(field, "info", "app_note_range", low=f"{v.min():.4f}", high=f"{v.max():.4f}")
    return n.out


def _in_china(lon: np.ndarray, lat: np.ndarray) -> bool:
    """Most points inside China's rough box (73-136 E, 18-54 N)."""
    inside = (lon >= 73) & (lon <= 136) & (lat >= 18) & (lat <= 54)
    return bool(inside.mean() > 0.5)


def column_notes(
    frame: pd.DataFrame,
    chosen: Mapping[str, str | None],
    lang: str,
    *,
    half_life_days: float = 0.0,
) -> dict[str, list[FieldNote]]:
    """Notes beside each column picker of an uploaded layer: what the chosen column holds,
    and what the reader would refuse after Run (missing or negative counts, a total of 0,
    repeated ids, unreadable timestamps), in the planner's words.

    Parameters
    ----------
    frame
        The layer as read (any CRS).
    chosen
        ``{column key: column name or None}`` for the slot's pickers (keys as in the app:
        ``population_col``, ``candidates_id_col``, ...).
    lang
        ``"zh"`` or ``"en"``.
    half_life_days
        The fault half-life (days; 0 = none): timestamps are needed only with one.

    Returns
    -------
    dict
        ``{column key: [FieldNote, ...]}``; an ``"encoding"`` entry when names look garbled.
    """
    import pandas as pd

    n = _Notes(lang)
    for key, col in chosen.items():
        if not col:
            continue
        if col not in frame.columns:
            n.add(key, "error", "app_check_column_gone", col=_md(col))
            continue
        series = frame[col]
        if key in WEIGHT_KEYS:
            values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
            bad = ~np.isfinite(values)
            if bad.any():
                n.add(key, "error", "app_check_missing_counts", n=int(bad.sum()),
                      rows=_rows(bad))  # fmt: skip
                continue
            if (values < 0).any():
                n.add(key, "error", "app_check_negative", n=int((values < 0).sum()),
                      rows=_rows(values < 0))  # fmt: skip
                continue
            if key == "population_col" and values.sum() <= 0:
                n.add(key, "error", "app_check_sum_zero")
                continue
            n.add(key, "info", f"app_note_{key}", total=_n(values.sum()), n=_n(len(values)),
                  most=_n(values.max()))  # fmt: skip
        elif key.endswith("_capacity_col"):
            _capacity_column_note(n, key, series)
        elif key.endswith("_id_col"):
            ids = series.astype(str)
            repeated = ids[ids.duplicated(keep=False)]
            if len(repeated):
                n.add(key, "error", "app_check_ids_repeat", n=int(repeated.nunique()),
                      example=_md(str(repeated.iloc[0])[:40]))  # fmt: skip
            else:
                n.add(key, "info", "app_note_example", example=_examples(series, lang=lang))
        elif key.endswith("_name_col") or key.endswith("_name_en_col"):
            empty = series.isna() | (series.astype(str).str.strip() == "")
            if empty.all():
                n.add(key, "error", "app_check_names_empty")
            elif empty.any():
                n.add(key, "warning", "app_check_names_missing", n=int(empty.sum()),
                      total=len(series))  # fmt: skip
            else:
                n.add(key, "info", "app_note_example", example=_examples(series, lang=lang))
            if _garbled(series):
                n.add(
                    "encoding",
                    "warning",
                    "app_check_garbled",
                    example=_examples(series, 1, lang=lang),
                )
        elif key.endswith("_category_col"):
            counts = series.astype(str).value_counts()
            shown = ", ".join(f"{_md(str(k)[:24])} ({v})" for k, v in counts.head(5).items())
            more = " …" if len(counts) > 5 else ""
            level: Literal["warning", "info"] = "warning" if len(counts) > 40 else "info"
            n.add(key, level, "app_note_categories", k=len(counts), shown=shown + more)
        elif key == "faults_time_col":
            times = pd.to_datetime(
                series,
                errors="coerce",
                utc=True,
                format=None if pd.api.types.is_datetime64_any_dtype(series) else "mixed",
            )
            bad = times.isna().to_numpy()
            if bad.any():
                level_t: Literal["error", "warning"] = "error" if half_life_days > 0 else "warning"
                n.add(key, level_t, "app_check_bad_times", n=int(bad.sum()), rows=_rows(bad))
            else:
                n.add(key, "info", "app_note_times", first=f"{times.min():%Y-%m-%d}",
                      last=f"{times.max():%Y-%m-%d}")  # fmt: skip
    return n.out


def _capacity_column_note(n: _Notes, key: str, series: pd.Series) -> None:
    """Beside a capacity column: its range and total, or the rows the reader would refuse
    (text, 0 or negative; empty cells take the Model step's one value)."""
    import pandas as pd

    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64)
    text = series.astype(str).str.strip().to_numpy()
    empty = series.isna().to_numpy() | (text == "")
    bad = ~empty & (~np.isfinite(values) | (values <= 0))
    if bad.any():
        n.add(key, "error", "app_check_capacity_values", n=int(bad.sum()), rows=_rows(bad))
        return
    given = values[~empty]
    if given.size == 0:
        n.add(key, "info", "app_note_capacity_values", low="–", high="–", total="0",
              empty=int(empty.sum()))  # fmt: skip
        return
    which = "app_note_capacity_values" if empty.any() else "app_note_capacity_values_all"
    n.add(key, "info", which, low=_n(given.min()), high=_n(given.max()), total=_n(given.sum()),
          empty=int(empty.sum()))  # fmt: skip


def _metres(m: float, lang: str) -> str:
    """A distance with its unit: metres below 10 km, else kilometres."""
    if m < 10_000:
        return f"{m:,.0f} 米" if lang == "zh" else f"{m:,.0f} m"
    return f"{m / 1000:,.0f} 公里" if lang == "zh" else f"{m / 1000:,.0f} km"


def _md(text: str) -> str:
    """User text (a column name, a value) inert in a Streamlit message."""
    from planner.sanitize import markdown_text

    return markdown_text(text)


def _rows(mask: np.ndarray) -> str:
    rows = np.flatnonzero(mask)[:5] + 1
    return ", ".join(str(int(r)) for r in rows) + (" …" if mask.sum() > 5 else "")


def _examples(series: pd.Series, k: int = 3, *, lang: str = "zh") -> str:
    from planner.sanitize import markdown_text

    values = [str(v) for v in series.dropna().astype(str).head(k)]
    return markdown_text(("、" if lang == "zh" else ", ").join(v[:24] for v in values))


def _garbled(series: pd.Series) -> bool:
    """Text that looks decoded with the wrong encoding: replacement or Latin-1 marks, or
    most non-ASCII values being UTF-8 bytes read as GBK/Latin-1 (they re-encode to valid,
    different UTF-8)."""
    text = [s for s in series.dropna().astype(str).head(200) if not s.isascii()]
    if not text:
        return False
    if any(g in s for s in text for g in _GARBLED):
        return True

    def misread(s: str) -> bool:
        for enc in ("gb18030", "latin-1"):
            try:
                if s.encode(enc).decode("utf-8") != s:
                    return True
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
        return False

    return sum(map(misread, text)) > len(text) / 2


def datum_note(
    lon: np.ndarray,
    lat: np.ndarray,
    demand_lon: np.ndarray,
    demand_lat: np.ndarray,
    people: np.ndarray,
    lang: str,
) -> FieldNote | None:
    """A warning beside the coordinate system of a point layer read "as the file says" in
    China whose points fit where people live clearly better as GCJ-02 or BD-09 (web-map
    coordinates), or where the demand cells are too coarse to tell WGS 84 from GCJ-02; None
    otherwise (the test of ``planner validate``)."""
    from planner.inputs.datums import datum_fit, out_of_china

    if len(lon) < 5 or len(demand_lon) == 0 or out_of_china(lon, lat).mean() > 0.5:
        return None
    fit = datum_fit(lon, lat, demand_lon, demand_lat, people)
    if fit.undecided:
        return FieldNote(
            "warning",
            t("app_check_datum_undecided", lang, spacing=_n(fit.spacing_m),
              m=_n(fit.gcj02_shift_m)),
        )  # fmt: skip
    if not fit.looks_shifted:
        return None
    return FieldNote(
        "warning",
        t("app_check_datum", lang, datum=t(f"app_crs_{fit.best}", lang), m=_n(fit.shift_m)),
    )


# --------------------------------------------------------------------------------------
# the Travel step: snapping to the road network


def snap_notes(
    demand_m: np.ndarray,
    sites_m: np.ndarray,
    *,
    max_snap_m: float,
    unsnapped: str,
    lang: str,
) -> dict[str, list[FieldNote]]:
    """Notes beside the snapping distance: how far demand points and sites lie from the
    network's roads (metres, the nearest node of its largest connected part, as the travel
    times use), and an error when none of either is within ``max_snap_m`` (no travel time
    could be computed).

    Parameters
    ----------
    demand_m, sites_m
        Distance of each demand point / site to its nearest road node, metres.
    max_snap_m
        The snapping distance, metres.
    unsnapped
        ``"straight_line"`` or ``"drop"``: what happens to points beyond it.
    lang
        ``"zh"`` or ``"en"``.
    """
    n = _Notes(lang)
    for what, dist in (("demand", demand_m), ("sites", sites_m)):
        if dist.size == 0:
            continue
        far = dist > max_snap_m
        label = t(f"app_snap_{what}", lang)
        if far.all():
            n.add("max_snap_m", "error", "app_check_snap_none", what=label, n=_n(dist.size),
                  m=_n(max_snap_m), nearest=_metres(dist.min(), lang))  # fmt: skip
        elif far.any():
            n.add("max_snap_m", "warning", f"app_check_snap_some_{unsnapped}", what=label,
                  k=_n(far.sum()), n=_n(dist.size), m=_n(max_snap_m),
                  most=_metres(dist.max(), lang))  # fmt: skip
        else:
            n.add("max_snap_m", "info", "app_note_snap", what=label,
                  median=_metres(float(np.median(dist)), lang),
                  most=_metres(dist.max(), lang))  # fmt: skip
    return n.out
