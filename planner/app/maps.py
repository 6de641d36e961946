"""The app's maps: the inputs, the candidate sites to click, and the plan (:func:`planner.present.maps.plan_map`)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from planner.app.run import AppRun
from planner.app.tables import name_column
from planner.present.i18n import check_language, t
from planner.sanitize import html_text

if TYPE_CHECKING:
    import folium
    import geopandas as gpd

    from planner.runs.results import PlanInputs, RunResult


# --------------------------------------------------------------------------------------
# maps


def _new_map(
    bounds: Sequence[float], basemap: str, height: str, *, canvas: bool = True
) -> tuple[folium.Map, Any, list[list[float]]]:
    """The shared builder (:func:`planner.present.maps.base_map`): the same tiles and the same
    GCJ-02 display shift as the plan's map, so the app's maps sit on the streets too."""
    from planner.present.maps import base_map

    return base_map(bounds, basemap, height=height, canvas=canvas)


def _legend(m: folium.Map, fitted: list[list[float]], lang: str, rows: list[str]) -> None:
    """A legend box (folds; folded on small maps) and the view fitted around it."""
    from planner.present.maps.decor import decor_js
    from planner.present.maps.elements import MAP_CSS, DecorElement

    legend = f"<h4>{html_text(t('legend', lang))}</h4>" + "".join(rows)
    m.add_child(DecorElement(MAP_CSS, decor_js("", legend, "", [], fitted, None, lang=lang)))


def _swatch(colour: str, label: str, *, ring: str | None = None, round_: bool = False) -> str:
    border = ring or colour
    radius = "border-radius:50%;" if round_ else ""
    return (
        f'<div><span class="planner-swatch" style="background:{colour};border:2px solid '
        f'{border};{radius}"></span>{html_text(label)}</div>'
    )


def _rounded_geojson(geoms: Any, props: list[dict[str, Any]]) -> dict[str, Any]:
    import shapely

    arr = np.asarray(geoms)
    rounded = shapely.transform(arr, lambda xy: np.round(xy, 5))
    parts = shapely.to_geojson(rounded)
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": json.loads(g), "properties": p}
            for g, p in zip(parts, props, strict=True)
        ],
    }


_WEIGHT_COLOURS: Final = ("#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b")


def _weight_image(m: folium.Map, geoms: Any, cls: np.ndarray, *, name: str, points: bool) -> None:
    """The demand's weight classes as one PNG overlay (:func:`planner.present.maps.raster.class_image`)."""
    import folium

    from planner.present.maps.raster import class_image, display_bounds

    alpha = round(0.6 * 255)
    palette = [(0, 0, 0, 0)] + [
        (int(c[1:3], 16), int(c[3:5], 16), int(c[5:7], 16), alpha) for c in _WEIGHT_COLOURS
    ]
    image = class_image(display_bounds(geoms, points=points), np.asarray(cls) + 1, palette)
    folium.raster_layers.ImageOverlay(
        image.data_url(),
        [list(b) for b in image.bounds],
        name=name,
        interactive=False,
        className="planner-raster",
    ).add_to(m)


def flagged_rows(run: AppRun) -> list[int]:
    """Demand rows a run without a plan is stuck on: those its diagnosis names (points or
    hotspots out of reach, loads above every capacity), sorted; empty for a plan."""
    from planner.optimize.diagnose import findings_of

    return sorted({int(r) for f in findings_of(run.solution.details) for r in f.get("rows", [])})


def inputs_map(
    inputs: PlanInputs,
    lang: str,
    *,
    basemap: str = "osm",
    height: str = "520px",
    flagged: Sequence[int] = (),
) -> folium.Map:
    """The inputs on one map: demand weight per cell (hotspots outlined red), candidate sites, existing centres.

    One GeoJSON layer per kind of feature (demand, candidates, existing), drawn on a canvas.
    ``flagged`` demand rows (e.g. :func:`flagged_rows` of a run without a plan) get a
    layer of their own on top: magenta rings on their centres, visible at any zoom.
    """
    import folium

    check_language(lang)
    d = inputs.demand
    sites = inputs.sites
    m, shift, fitted = _new_map(d.total_bounds, basemap, height)
    weight = d["weight"].to_numpy(dtype=float)
    positive = weight[weight > 0]
    edges = np.quantile(positive, [0.2, 0.4, 0.6, 0.8]) if positive.size else np.array([0, 0, 0, 0])
    cls = np.searchsorted(edges, weight, side="right")
    hot = d["is_hotspot"].to_numpy(dtype=bool)
    geoms = shift(d["cell"].to_numpy() if "cell" in d.columns else d.geometry.to_numpy())
    is_point = "cell" not in d.columns
    style = lambda f: {  # noqa: E731 - folium wants a callable
        "fillColor": f["properties"]["c"],
        "color": "#d62728" if f["properties"]["h"] else f["properties"]["c"],
        "weight": 2 if f["properties"]["h"] else 0.3,
        "fillOpacity": 0.6,
    }
    from planner.present.maps.raster import POLYGON_MAX_CELLS

    if len(d) > POLYGON_MAX_CELLS:
        # Big maps: the weight classes as one PNG (as the plan's map does), the hotspots
        # outlined on top while few enough to draw one by one.
        _weight_image(m, geoms, cls, name=t("app_demand_weight", lang), points=is_point)
        drawn = np.flatnonzero(hot) if hot.sum() <= POLYGON_MAX_CELLS else np.array([], int)
    else:
        drawn = np.arange(len(d))
    if drawn.size:
        ids, pops = d["demand_id"].to_numpy(), d["population"].to_numpy(dtype=float)
        props = [
            {
                "c": _WEIGHT_COLOURS[int(cls[i])],
                "h": int(hot[i]),
                "t": html_text(
                    f"{ids[i]}: {t('app_demand_weight', lang)} {weight[i]:,.0f}, "
                    f"{t('population', lang)} {pops[i]:,.0f}"
                ),
            }
            for i in drawn
        ]
        folium.GeoJson(
            _rounded_geojson(geoms[drawn], props),
            name=t("app_demand_weight", lang)
            if drawn.size == len(d)
            else t("app_legend_hotspot", lang),
            style_function=style,
            marker=folium.CircleMarker(radius=4, fill=True) if is_point else None,
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    name_col = name_column(lang)
    for existing, label, colour in (
        (False, "layer_candidates", "#ff7f0e"),
        (True, "layer_existing", "#1f4e9c"),
    ):
        part = sites[sites["existing"].to_numpy(dtype=bool) == existing]
        if part.empty:
            continue
        sprops = [
            {"t": html_text(f"{i} {n}")}
            for i, n in zip(part["site_id"], part[name_col], strict=True)
        ]
        folium.GeoJson(
            _rounded_geojson(shift(part.geometry.to_numpy()), sprops),
            name=t(label, lang),
            marker=folium.CircleMarker(radius=7 if existing else 4, fill=True),
            style_function=lambda f, c=colour: {
                "color": c,
                "fillColor": c,
                "fillOpacity": 0.8,
                "weight": 1.5,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    if len(flagged):
        import shapely

        rows = np.asarray(flagged, dtype=np.int64)
        fprops = [{"t": html_text(f"{d['demand_id'].iloc[r]}")} for r in rows]
        # Rings on the cells' centres: a few 500-m cells would vanish at city zoom.
        folium.GeoJson(
            _rounded_geojson(shapely.centroid(geoms[rows]), fprops),
            name=t("app_flagged_layer", lang),
            marker=folium.CircleMarker(radius=12, fill=True),
            style_function=lambda f: {
                "color": _FLAGGED,
                "weight": 3,
                "fillOpacity": 0.25,
                "fillColor": _FLAGGED,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    keys = [
        f"<div><b>{html_text(t('app_demand_weight', lang))}</b></div>",
        *(
            _swatch(c, f"{lo:,.0f} – {hi:,.0f}")
            for c, lo, hi in zip(
                _WEIGHT_COLOURS,
                [0.0, *edges.tolist()],
                [*edges.tolist(), float(weight.max()) if weight.size else 0.0],
                strict=True,
            )
        ),
    ]
    if hot.any():
        keys.append(_swatch("#ffffff", t("app_legend_hotspot", lang), ring="#d62728"))
    if (~sites["existing"].to_numpy(dtype=bool)).any():
        keys.append(_swatch("#ff7f0e", t("layer_candidates", lang), round_=True))
    if sites["existing"].to_numpy(dtype=bool).any():
        keys.append(_swatch("#1f4e9c", t("app_legend_existing", lang), round_=True))
    if len(flagged):
        keys.append(_swatch("#f7c6e0", t("app_flagged_layer", lang), ring=_FLAGGED, round_=True))
    _legend(m, fitted, lang, keys)
    from planner.present.maps.elements import PlainLayerControl

    PlainLayerControl(collapsed=True).add_to(m)
    return m


#: Colour of the rings on the demand points a run without a plan is stuck on.
_FLAGGED = "#e7298a"


def sites_map(
    candidates: gpd.GeoDataFrame,
    excluded: Sequence[str],
    lang: str,
    *,
    existing: gpd.GeoDataFrame | None = None,
    basemap: str = "osm",
    height: str = "480px",
) -> folium.Map:
    """Candidate sites to click: included in orange, excluded in grey; existing centres in blue.

    For ``streamlit_folium.st_folium``: each candidate is a circle marker whose
    tooltip starts with its site id.
    """
    import folium

    check_language(lang)
    both = candidates if existing is None or existing.empty else pd.concat([candidates, existing])
    # SVG markers: each one clickable
    m, shift, fitted = _new_map(both.total_bounds, basemap, height, canvas=False)
    out = set(map(str, excluded))
    name_col = name_column(lang)
    props = [
        {
            "t": html_text(f"{i} {n}" + (f" ({t('app_excluded', lang)})" if str(i) in out else "")),
            "x": int(str(i) in out),
        }
        for i, n in zip(candidates["site_id"], candidates[name_col], strict=True)
    ]
    folium.GeoJson(
        _rounded_geojson(shift(candidates.geometry.to_numpy()), props),
        name=t("layer_candidates", lang),
        marker=folium.CircleMarker(radius=6, fill=True),
        style_function=lambda f: {
            "color": "#7f7f7f" if f["properties"]["x"] else "#e6550d",
            "fillColor": "#bdbdbd" if f["properties"]["x"] else "#fd8d3c",
            "fillOpacity": 0.85,
            "weight": 1.5,
        },
        tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
    ).add_to(m)
    if existing is not None and not existing.empty:
        eprops = [
            {"t": html_text(f"{i} {n}")}
            for i, n in zip(existing["site_id"], existing[name_col], strict=True)
        ]
        folium.GeoJson(
            _rounded_geojson(shift(existing.geometry.to_numpy()), eprops),
            name=t("layer_existing", lang),
            marker=folium.CircleMarker(radius=8, fill=True),
            style_function=lambda f: {
                "color": "#1f4e9c",
                "fillColor": "#1f4e9c",
                "fillOpacity": 0.6,
                "weight": 2,
            },
            tooltip=folium.GeoJsonTooltip(fields=["t"], labels=False),
        ).add_to(m)
    rows = [
        _swatch("#fd8d3c", t("app_legend_included", lang), ring="#e6550d", round_=True),
        _swatch("#bdbdbd", t("app_legend_excluded", lang), ring="#7f7f7f", round_=True),
    ]
    if existing is not None and not existing.empty:
        rows.append(_swatch("#1f4e9c", t("app_legend_existing", lang), round_=True))
    _legend(m, fitted, lang, rows)
    return m


def nearest_site(
    lat: float,
    lng: float,
    sites: gpd.GeoDataFrame,
    *,
    max_m: float = 300.0,
    basemap: str = "osm",
) -> str | None:
    """The id of the site nearest a clicked point, if within ``max_m`` metres.

    The click is where the site is drawn: in the base map's datum (GCJ-02 on AutoNavi
    tiles), so the sites are shifted the same way before measuring.
    """
    import shapely

    from planner.present.maps.basemaps import display_shifter, resolve_basemap

    if sites.empty or not (math.isfinite(lat) and math.isfinite(lng)):
        return None
    base = resolve_basemap(basemap)
    shift = display_shifter(base.datum if base is not None else "wgs84")
    xy = shapely.get_coordinates(shift(sites.geometry.to_numpy()))
    x, y = xy[:, 0], xy[:, 1]
    kx = 111_320.0 * math.cos(math.radians(lat))
    dist = np.hypot((x - lng) * kx, (y - lat) * 110_574.0)
    i = int(np.argmin(dist))
    return str(sites["site_id"].iloc[i]) if dist[i] <= max_m else None


def _map_arguments(result: RunResult, lang: str, basemap: str) -> dict[str, Any]:
    """The keyword arguments of :func:`planner.present.maps.plan_map`, as the output files use them."""
    from planner.runs.outputs import map_arguments

    return map_arguments(result, language=lang, basemap=basemap)


def result_map(
    run: AppRun,
    lang: str,
    *,
    basemap: str = "osm",
    show_candidates: bool = False,
    show_allocation: bool = False,
    height: str = "640px",
    kpi_panel: bool = True,
) -> folium.Map:
    """The plan's map (:func:`planner.present.maps.plan_map`) with the app's display options."""
    from planner.present.maps import plan_map

    result = run.result
    hidden = [
        k for k, on in (("candidates", show_candidates), ("allocation", show_allocation)) if not on
    ]
    args = _map_arguments(result, lang, basemap)
    return plan_map(
        result.inputs.demand,
        result.inputs.sites,
        result.solution,
        **args,
        hidden_layers=hidden,
        height=height,
        kpi_panel=kpi_panel,
        collapsed_layer_control=True,  # an open list covers the plan's upper right
    )


def result_map_html(run: AppRun, lang: str, **options: Any) -> str:
    """:func:`result_map` as one standalone page (Leaflet inlined: draws offline)."""
    from planner.present.maps import map_html

    return map_html(result_map(run, lang, **options))
