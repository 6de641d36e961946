"""The plan map: :func:`plan_map` draws one plan with every layer, a legend and a KPI panel."""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike

from planner.errors import ConfigError, InputError
from planner.evaluate.catchments import check_gdf, numeric_column, resolve_assignment, resolve_open
from planner.evaluate.kpi_types import PlanKPIs
from planner.optimize.solution import Solution
from planner.present.i18n import check_language, t
from planner.present.maps.basemaps import (
    BaseMap,
    display_shifter,
    resolve_basemap,
)
from planner.present.maps.decor import decor_js, kpi_panel_html, legend_html, present_layers
from planner.present.maps.elements import (
    LAYER_KEYS,
    LAYER_LABELS,
    MAP_CSS,
    DecorElement,
    JsLayer,
    PlainLayerControl,
    bool_column,
    esc,
    js_literal,
    site_categories,
    site_names,
)
from planner.present.maps.layers import (
    DrawContext,
    allocation_layer,
    candidate_layer,
    catchment_layer,
    centre_layer,
    centre_loads,
    existing_layer,
    fault_layer,
    population_layer,
    resolve_frequency,
    robustness_layer,
    service_layer,
)
from planner.present.maps.offline import LEAFLET_CSS_URL, LEAFLET_JS_URL


def plan_map(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    open_sites: Solution | ArrayLike,
    *,
    assignment: ArrayLike | None = None,
    kpis: PlanKPIs | None = None,
    baseline: PlanKPIs | None = None,
    faults: gpd.GeoDataFrame | None = None,
    fault_weight_column: str | None = None,
    service_areas: gpd.GeoDataFrame | None = None,
    service_radius_m: float | None = None,
    site_frequency: Mapping[str, float] | pd.Series | None = None,
    language: str = "zh",
    basemap: str | BaseMap | Mapping[str, Any] | None = "osm",
    title: str | None = None,
    attribution: Sequence[str] = (),
    simulated_layers: Collection[str] = ("faults",),
    hidden_layers: Collection[str] = ("candidates", "allocation"),
    travel_note: str | None = None,
    max_allocation_lines: int = 500,
    seed: int = 0,
    height: str = "100%",
    kpi_panel: bool = True,
    collapsed_layer_control: bool = False,
    open_boxes: bool | None = None,
) -> folium.Map:
    """Draw a plan on a Leaflet map.

    Parameters
    ----------
    demand
        Demand table (GeoDataFrame of points; reprojected to EPSG:4326 if needed)
        with ``population``; optional ``pop_65plus``, ``fault_intensity``,
        ``demand_id`` and ``cell`` (the polygon of each cell, for the density
        choropleth and the catchments).
    sites
        Sites table (points): optional ``site_id``, ``name_zh``/``name_en``,
        ``category_zh``/``category_en``, ``existing``, ``simulated``.
    open_sites
        A :class:`~planner.optimize.Solution` or the indices of the open sites.
    assignment
        Serving site per demand row; default: ``kpis.assignment``, else the
        solution's, else the nearest open site by straight line.
    kpis, baseline
        :class:`~planner.evaluate.kpis.PlanKPIs` of the plan (KPI panel, centre loads,
        tooltips) and of today's centres (shown beside them in the panel).
    faults
        Fault records (points) for the heat map; default: the demand points
        weighted by ``fault_intensity``. A ``simulated`` column that is true
        anywhere marks the layer as simulated.
    fault_weight_column
        Column of ``faults`` weighting each record (default: 1 per record).
    service_areas
        Network service areas (polygons) with a ``site`` column (site index);
        drawn for the open sites.
    service_radius_m
        Draw a circle of this radius (metres) around each open centre.
    site_frequency
        Share of perturbed draws (0-1) in which each site is chosen, by
        ``site_id`` (e.g. :meth:`planner.runs.robustness.RobustnessResult.frequency_by_site_id`,
        or a Series indexed by site_id). Adds the "site robustness" layer: one
        circle per site with a frequency above 0, its area and colour growing with
        the frequency, and the frequency in the chosen centres' popups. Sites not
        named count as never chosen.
    language
        ``"zh"`` (default) or ``"en"`` for every label.
    basemap
        ``"osm"`` (default), ``"gaode"`` (GCJ-02), ``"none"``, a :class:`BaseMap`
        (e.g. :func:`tianditu_basemap`) or a mapping ``{"url", "attribution",
        "datum"}``. With a GCJ-02 base map all layers are shifted to GCJ-02.
    title
        Map title (default: a generic title in ``language``).
    attribution
        Attribution strings of the data sources (WorldPop, OpenStreetMap, ...),
        plain text.
    simulated_layers
        Keys of layers drawn from simulated data (see :data:`LAYER_KEYS`); their
        names and the legend say so.
    hidden_layers
        Keys of layers that start switched off (still in the layer control).
    travel_note
        How travel was measured (e.g. ``TravelMatrix.note``), shown in the KPI panel.
    max_allocation_lines
        At most this many allocation lines, a seeded random sample of demand rows.
    seed
        Seed of that sample.
    height
        CSS height of the map (``"100%"`` for a full-page file).
    kpi_panel
        Draw the KPI panel (turn off when the KPIs sit beside the map, as in the report;
        the travel note then goes into the legend).
    collapsed_layer_control
        Fold the layer control into an icon (for small maps).
    open_boxes
        Start with the legend and KPI boxes unfolded (True: the printed report, where
        paper cannot unfold them), folded (False), or unfolded unless the map is under
        560 px high (None, the default). The view is fitted beside or above the open
        boxes, whichever shows the plan larger, so no box covers a hall.

    Returns
    -------
    folium.Map
        Its ``default_js``/``default_css`` point at CDN copies of the vendored
        assets; :func:`map_html` inlines them for offline use.
    """
    lang = check_language(language)
    demand = check_gdf(demand, "demand")
    sites = check_gdf(sites, "sites")
    _check_map_arguments(
        demand, sites, simulated_layers, hidden_layers, max_allocation_lines, service_radius_m
    )
    base = resolve_basemap(basemap)
    shift = display_shifter(base.datum if base is not None else "wgs84")
    n_sites = len(sites)
    open_idx, sol_assignment = resolve_open(open_sites, n_sites)
    if kpis is not None and (
        kpis.assignment.shape != (len(demand),) or not np.array_equal(kpis.open_sites, open_idx)
    ):
        raise InputError(
            "`kpis` belong to another plan or demand table (open sites or row count differ)."
        )
    asg, asg_note = resolve_assignment(demand, sites, open_idx, assignment, kpis, sol_assignment)
    frequency = None if site_frequency is None else resolve_frequency(site_frequency, sites)

    pop = numeric_column(demand, "population")
    assert pop is not None
    fault_int = numeric_column(demand, "fault_intensity")
    existing = bool_column(sites, "existing")
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[open_idx] = True
    simulated_site = bool_column(sites, "simulated")
    sim = set(simulated_layers)
    if (simulated_site & existing).any():
        sim.add("existing")  # the data say so, even if the caller did not
    ctx = DrawContext(
        lang=lang,
        shift=shift,
        simulated=frozenset(sim),
        hidden=frozenset(hidden_layers),
        names=site_names(sites, lang),
        cats=site_categories(sites, lang),
    )

    pts = shift(np.asarray(demand.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    site_pts = shift(np.asarray(sites.geometry.values, dtype=object))
    # The view holds the demand and every hall drawn (open or existing), so a hall on the
    # edge of the demand area is not cut off or left under a box.
    shown = shapely.get_coordinates(site_pts[is_open | existing])
    every = np.vstack([xy, shown]) if len(shown) else xy
    bounds = [
        [float(every[:, 1].min()), float(every[:, 0].min())],
        [float(every[:, 1].max()), float(every[:, 0].max())],
    ]
    m = _new_map(bounds, base, height)
    breaks, density_unit = population_layer(m, ctx, demand, pop, asg, kpis)
    heat_var, faults_simulated = fault_layer(
        m, ctx, faults, fault_weight_column, fault_int, xy, "faults" in sim
    )
    has_heat = heat_var is not None
    catchment_layer(m, ctx, demand, open_idx, asg)
    service_layer(m, ctx, sites, open_idx, service_areas, service_radius_m)
    allocation_layer(m, ctx, sites, asg, xy, max_allocation_lines, seed)
    if frequency is not None:
        robustness_layer(m, ctx, site_pts, frequency, is_open)
    cand_idx = np.flatnonzero(~is_open & ~existing)
    if cand_idx.size:
        candidate_layer(m, ctx, site_pts, cand_idx)
    ex_idx = np.flatnonzero(existing)
    if ex_idx.size:
        existing_layer(m, ctx, site_pts, ex_idx, is_open)
    loads = centre_loads(open_idx, asg, pop, fault_int, kpis)
    centre_layer(m, ctx, sites, site_pts, open_idx, existing, loads, frequency)

    # title, legend, KPI panel, attribution
    sim_names = sorted(sim & present_layers(has_heat, cand_idx.size > 0, ex_idx.size > 0))
    warnings_html: list[str] = []
    if has_heat and faults_simulated:
        warnings_html.append(t("simulated_faults_note", lang))
    other_sim = [t(LAYER_LABELS[s], lang) for s in sim_names if s != "faults"]
    if other_sim:
        warnings_html.append(t("simulated_layer_note", lang, layers=", ".join(other_sim)))
    if (simulated_site & ~existing).any():
        # Simulated sites outside the existing-centres layer get their own warning.
        warnings_html.append(t("simulated_sites_note", lang))
    legend = legend_html(
        lang,
        breaks,
        density_unit,
        has_heat,
        cand_idx.size > 0,
        ex_idx.size > 0,
        warnings_html,
        has_frequency=frequency is not None,
    )
    if kpi_panel:
        panel = kpi_panel_html(lang, kpis, baseline, travel_note, asg_note)
    else:
        panel = ""
        legend += "".join(
            f'<div class="planner-note">{esc(n)}</div>' for n in (travel_note, asg_note) if n
        )
    attributions = [esc(a) for a in attribution if str(a).strip()]
    if has_heat and faults_simulated:
        attributions.append(esc(t("simulated_faults_note", lang)))
    the_title = title if title is not None else t("map_title_default", lang)
    m.add_child(
        DecorElement(
            MAP_CSS,
            decor_js(
                the_title,
                legend,
                panel,
                attributions,
                bounds,
                heat_var,
                lang=lang,
                open_boxes=open_boxes,
            ),
        )
    )
    PlainLayerControl(collapsed=collapsed_layer_control, position="topright").add_to(m)
    return m


def _check_map_arguments(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    simulated_layers: Collection[str],
    hidden_layers: Collection[str],
    max_allocation_lines: int,
    service_radius_m: float | None,
) -> None:
    for key_set, arg in ((simulated_layers, "simulated_layers"), (hidden_layers, "hidden_layers")):
        unknown = set(key_set) - set(LAYER_KEYS)
        if unknown:
            raise ConfigError(
                f"`{arg}` has unknown layer keys {sorted(unknown)}; known: {list(LAYER_KEYS)}."
            )
    if not isinstance(max_allocation_lines, int) or max_allocation_lines < 0:
        raise ConfigError("`max_allocation_lines` must be a non-negative integer.")
    if service_radius_m is not None and not (
        math.isfinite(service_radius_m) and service_radius_m > 0
    ):
        raise ConfigError(
            f"`service_radius_m` must be a positive distance in metres; got {service_radius_m!r}."
        )
    if not (sites.geometry.geom_type == "Point").all():
        raise InputError("`sites` must hold Point geometries.")
    if not (demand.geometry.geom_type == "Point").all():
        raise InputError("`demand` must hold Point geometries (the cell polygons go in `cell`).")
    if "population" not in demand.columns:
        raise InputError("`demand` has no `population` column; add people per demand point.")


def base_map(
    bounds: Sequence[float],
    basemap: str | BaseMap | Mapping[str, Any] | None = "osm",
    *,
    height: str = "100%",
    canvas: bool = False,
) -> tuple[folium.Map, Any, list[list[float]]]:
    """An empty map on a base map, for any map of the planner (the plan's and the app's).

    Parameters
    ----------
    bounds
        ``(min lon, min lat, max lon, max lat)`` of what is drawn, WGS 84 degrees.
    basemap
        As :func:`plan_map`'s ``basemap``.
    height
        CSS height of the map.
    canvas
        Draw vector layers on a canvas (many polygons) instead of SVG (clickable markers).

    Returns
    -------
    tuple
        ``(map, shift, bounds)``: ``shift(geoms)`` moves WGS 84 geometries into the base
        map's datum for display (GCJ-02 for AutoNavi tiles, else unchanged): every layer
        drawn on the map must go through it; ``bounds`` are the shifted
        ``[[lat, lon], [lat, lon]]`` corners to fit the view to.
    """
    base = resolve_basemap(basemap)
    shift = display_shifter(base.datum if base is not None else "wgs84")
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    corners = shapely.get_coordinates(
        shift(np.asarray(shapely.points([[minx, miny], [maxx, maxy]]), dtype=object))
    )
    fitted = [
        [float(corners[0, 1]), float(corners[0, 0])],
        [float(corners[1, 1]), float(corners[1, 0])],
    ]
    m = _new_map(fitted, base, height)
    if canvas:
        m.options["prefer_canvas"] = True
    return m, shift, fitted


def _new_map(bounds: list[list[float]], base: BaseMap | None, height: str) -> folium.Map:
    centre = [(bounds[0][0] + bounds[1][0]) / 2.0, (bounds[0][1] + bounds[1][1]) / 2.0]
    m = folium.Map(location=centre, zoom_start=11, tiles=None, control_scale=True, height=height)
    # Quarter zoom steps: a fitted view fills the map (whole steps could leave it half empty).
    m.options["zoom_snap"] = 0.25
    # Only Leaflet itself: no jQuery, Bootstrap or awesome-markers (see VENDORED.md).
    m.default_js = [("leaflet", LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", LEAFLET_CSS_URL)]
    if base is not None:
        opts: dict[str, Any] = {"attribution": base.attribution, "maxZoom": base.max_zoom}
        if base.subdomains:
            opts["subdomains"] = base.subdomains
        factory = f"L.tileLayer({js_literal(base.url)},{js_literal(opts)})"
        if base.label_url:
            factory = (
                f"L.layerGroup([{factory},L.tileLayer({js_literal(base.label_url)},"
                f"{js_literal({k2: v for k2, v in opts.items() if k2 != 'attribution'})})])"
            )
        m.add_child(JsLayer(factory, name=base.name, overlay=False))
    return m
