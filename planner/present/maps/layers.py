"""The folium layers of a plan map: population density, fault heat map, catchments,
service areas, allocation lines, robustness, candidate, existing and chosen centres."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from planner.errors import InputError
from planner.evaluate.catchments import (
    catchment_polygons,
    cell_polygons,
    check_gdf,
    numeric_column,
    utm_crs,
)
from planner.evaluate.kpi_types import PlanKPIs
from planner.present.i18n import t
from planner.present.maps.elements import (
    CATCHMENT_COLOURS,
    CLOSED_COLOUR,
    COORD_DECIMALS,
    DENSITY_COLOURS,
    FREQUENCY_COLOURS,
    KEPT_COLOUR,
    HeatLayer,
    JsLayer,
    bool_column,
    esc,
    feature_collection,
    fmt_int,
    fmt_number,
    fmt_share,
    js_literal,
)
from planner.present.maps.raster import (
    HEAT_MAX_POINTS,
    POLYGON_MAX_CELLS,
    class_image,
    display_bounds,
    group_image,
    heat_image,
)


def _quantile_classes(values: np.ndarray, n_classes: int = 5) -> tuple[np.ndarray, list[float]]:
    positive = values[values > 0]
    if positive.size == 0:
        return np.zeros(values.size, dtype=np.int64), []
    qs = np.quantile(positive, np.linspace(0, 1, n_classes + 1)[1:-1])
    breaks = sorted({float(_nice(q)) for q in qs if q > 0})
    classes = np.searchsorted(np.asarray(breaks), values, side="right")
    return classes.astype(np.int64), breaks


def _heat_scale(xy: np.ndarray, weight: np.ndarray) -> float:
    """The weight that Leaflet.heat should treat as ``max`` so that only the hottest spots saturate.

    Leaflet.heat adds up the weights falling in each screen cell (half the disc
    radius) and draws a blurred disc per cell with opacity ``sum / max``. The map
    sets the disc radius to 1/50 of the data's extent on screen (see the decor
    script), so the screen cells are 1/100 of the extent: the same grid is laid
    here. Each pixel then lies under the discs of about 40 cells, whose opacities
    pile up (1 - exp(-12 a) for opacity ``a`` per cell, with the discs' fall-off);
    ``max`` = 3 x the 99th percentile of the cell sums lets the densest 1 % of cells
    reach about 98 % and leaves the rest graded (checked by eye on the Wuhan demo).
    """
    cells_across = 100
    lo = xy.min(axis=0)
    span = float(max(np.ptp(xy[:, 0]), np.ptp(xy[:, 1]), 1e-9))
    ij = np.floor((xy - lo) / (span / cells_across)).astype(np.int64)
    key = ij[:, 0] * (cells_across + 2) + ij[:, 1]
    _, inverse = np.unique(key, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=weight)
    sums = sums[sums > 0]
    return 3.0 * float(np.quantile(sums, 0.99)) if sums.size else 1.0


def _nice(value: float) -> float:
    """Round to two significant figures for legend breaks."""
    if value <= 0:
        return value
    digits = 1 - math.floor(math.log10(value))
    return round(value, digits)


def _popup_table(rows: Sequence[tuple[str, str]], title: str | None = None) -> str:
    head = f"<b>{esc(title)}</b><br>" if title else ""
    body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'{head}<table class="planner-popup">{body}</table>'


def resolve_frequency(
    site_frequency: Mapping[str, float] | pd.Series, sites: gpd.GeoDataFrame
) -> np.ndarray:
    """Selection frequency (0-1) of every row of ``sites``; 0 for sites not named."""
    if isinstance(site_frequency, pd.Series | Mapping):
        items = list(site_frequency.items())
    else:
        raise InputError(
            "`site_frequency` must map site_id to the share of draws choosing the site (0-1), "
            "e.g. RobustnessResult.frequency_by_site_id(); got "
            f"{type(site_frequency).__name__}."
        )
    ids = (
        sites["site_id"].astype(str)
        if "site_id" in sites.columns
        else pd.Series([str(i) for i in range(len(sites))])
    )
    keys = [str(k) for k, _ in items]
    values = pd.to_numeric(pd.Series([v for _, v in items], dtype=object), errors="coerce")
    vals = values.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(vals) | (vals < 0) | (vals > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"`site_frequency[{keys[i]!r}]` must be a share between 0 and 1; got {items[i][1]!r}."
        )
    unknown = sorted(set(keys) - set(ids.tolist()))
    if unknown:
        raise InputError(
            f"`site_frequency` names site(s) {unknown[:5]} that are not in `sites` "
            "(column site_id); pass the frequencies of this run's sites."
        )
    mapped = ids.map(dict(zip(keys, vals.tolist(), strict=True)))
    return mapped.fillna(0.0).to_numpy(dtype=np.float64)


def _fmt_frequency(value: float) -> str:
    """A share of draws as a whole percentage; never 0% or 100% unless exactly so."""
    pct = round(100.0 * value)
    if 0.0 < value < 1.0:
        pct = min(max(pct, 1), 99)
    return f"{pct:d}%"


def _frequency_class(freq: np.ndarray) -> np.ndarray:
    return np.minimum(np.floor(freq * 5.0), 4).astype(np.int64)


def _frequency_radius(freq: np.ndarray) -> np.ndarray:
    """Circle radius in pixels, growing with the frequency (9 px near 0, 20 px at 1).

    At least 9 px so that a ring shows around a chosen centre's 24 px icon.
    """
    return np.round(9.0 + 11.0 * np.sqrt(freq), 1)


@dataclass(frozen=True)
class DrawContext:
    """What every layer of :func:`plan_map` needs: language, datum shift, flags, labels."""

    lang: str
    shift: Any  # shapely geometries (WGS 84) -> geometries in the base map's datum
    simulated: frozenset[str]
    hidden: frozenset[str]
    names: list[str]  # site names in ``lang``
    cats: list[str]  # site categories in ``lang``

    def layer_name(self, key: str, label_key: str) -> str:
        name = t(label_key, self.lang)
        if key in self.simulated and key != "faults":
            name += "（模拟数据）" if self.lang == "zh" else " (simulated)"
        return name

    def add(self, m: folium.Map, factory: str, key: str, label_key: str) -> None:
        """Add one overlay built by the JavaScript expression ``factory``."""
        m.add_child(
            JsLayer(factory, name=self.layer_name(key, label_key), show=key not in self.hidden)
        )


def population_layer(
    m: folium.Map,
    ctx: DrawContext,
    demand: gpd.GeoDataFrame,
    pop: np.ndarray,
    asg: np.ndarray,
    kpis: PlanKPIs | None,
) -> tuple[list[float], str]:
    """Density choropleth (or points without cells); returns the class breaks and unit."""
    lang = ctx.lang
    pop65 = numeric_column(demand, "pop_65plus")
    cells = cell_polygons(demand)
    if cells is not None:
        crs_metric = utm_crs(demand)
        area_km2 = gpd.GeoSeries(cells, crs=4326).to_crs(crs_metric).area.to_numpy() / 1e6
        density = np.divide(pop, area_km2, out=np.zeros_like(pop), where=area_km2 > 0)
        shapes = cells
        density_unit = t("legend_density_unit", lang)
    else:
        density = pop
        shapes = np.asarray(demand.geometry.values, dtype=object)
        density_unit = t("population", lang)
    classes, breaks = _quantile_classes(density)
    keep = np.flatnonzero(pop > 0)
    if keep.size > POLYGON_MAX_CELLS:
        _population_image(m, ctx, shapes[keep], classes[keep], points=cells is None)
        return breaks, density_unit
    minutes = kpis.travel_minutes if kpis is not None else None
    props: list[dict[str, Any]] = []
    for i in keep.tolist():
        p: dict[str, Any] = {
            "k": int(classes[i]),
            "p": round(float(pop[i])),
            "d": round(float(density[i])),
        }
        if pop65 is not None:
            p["o"] = round(float(pop65[i]))
        if asg[i] >= 0:
            p["s"] = int(asg[i])
        if minutes is not None and math.isfinite(minutes[i]):
            p["m"] = round(float(minutes[i]), 1)
        props.append(p)
    pop_data = feature_collection(ctx.shift(shapes[keep]), props)
    name_list = js_literal([esc(n) for n in ctx.names])
    tip_labels = js_literal(
        {
            "p": esc(t("population", lang)),
            "o": esc(t("pop_65plus", lang)),
            "d": esc(t("density", lang)) + " (" + esc(density_unit) + ")",
            "s": esc(t("served_by", lang)),
            "m": esc(t("travel_minutes", lang)),
        }
    )
    is_point_layer = cells is None
    pop_factory = (
        "(function(){var C="
        + js_literal(list(DENSITY_COLOURS))
        + ",N="
        + name_list
        + ",T="
        + tip_labels
        + ";"
        "var r=L.canvas({padding:0.5});"
        "return L.geoJSON("
        + pop_data
        + ",{renderer:r,"
        + (
            "pointToLayer:function(f,ll){return L.circleMarker(ll,{renderer:r,radius:4});},"
            if is_point_layer
            else ""
        )
        + "style:function(f){return {fillColor:C[Math.min(f.properties.k,C.length-1)],"
        "fillOpacity:0.55,color:'#888',weight:0.2,opacity:0.5};},"
        "onEachFeature:function(f,l){l.bindTooltip(function(){var p=f.properties,"
        "h=T.p+': '+p.p.toLocaleString();"
        "if(p.o!==undefined){h+='<br>'+T.o+': '+p.o.toLocaleString();}"
        "h+='<br>'+T.d+': '+p.d.toLocaleString();"
        "if(p.s!==undefined){h+='<br>'+T.s+': '+N[p.s];}"
        "if(p.m!==undefined){h+='<br>'+T.m+': '+p.m;}"
        "return h;},{sticky:true});}});})()"
    )
    ctx.add(m, pop_factory, "population", "layer_population")
    return breaks, density_unit


def _display_bounds(ctx: DrawContext, shapes: np.ndarray, *, points: bool) -> np.ndarray:
    """:func:`~planner.present.maps.raster.display_bounds` of the cells shifted to the base map's datum."""
    return display_bounds(ctx.shift(shapes), points=points)


def _image_factory(image: Any, options: str) -> str:
    return (
        f"L.imageOverlay({js_literal(image.data_url())},"
        f"{js_literal([list(b) for b in image.bounds])},{options})"
    )


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _population_image(
    m: folium.Map, ctx: DrawContext, shapes: np.ndarray, classes: np.ndarray, *, points: bool
) -> None:
    """The density classes as one PNG (big maps)."""
    alpha = round(0.55 * 255)
    palette = [(0, 0, 0, 0)] + [(*_rgb(c), alpha) for c in DENSITY_COLOURS]
    index = np.minimum(classes, len(DENSITY_COLOURS) - 1) + 1
    image = class_image(_display_bounds(ctx, shapes, points=points), index, palette)
    factory = _image_factory(image, "{interactive:false,className:'planner-raster'}")
    ctx.add(m, factory, "population", "layer_population")


def fault_layer(
    m: folium.Map,
    ctx: DrawContext,
    faults: gpd.GeoDataFrame | None,
    fault_weight_column: str | None,
    fault_int: np.ndarray | None,
    xy: np.ndarray,
    faults_simulated: bool,
) -> tuple[str | None, bool]:
    """Fault heat map from the records (or the demand's fault intensity).

    Returns the layer's JavaScript name (``None``: no heat map; ``""``: drawn as an
    image, above :data:`~planner.present.maps.raster.HEAT_MAX_POINTS` points) and
    whether the fault data are simulated (said by the caller or by a ``simulated`` column).
    """
    heat_points: np.ndarray | None = None
    if faults is not None:
        faults = check_gdf(faults, "faults")
        if "simulated" in faults.columns and bool_column(faults, "simulated").any():
            faults_simulated = True
        fpts = faults.geometry.values
        if not all(g.geom_type == "Point" for g in fpts):
            raise InputError("`faults` must hold Point geometries (one per fault record).")
        if fault_weight_column is not None:
            w = numeric_column(faults, fault_weight_column)
            if w is None:
                raise InputError(
                    f"`faults` has no column `{fault_weight_column}` (fault_weight_column)."
                )
        else:
            w = np.ones(len(faults))
        heat_points = np.column_stack(
            [shapely.get_coordinates(ctx.shift(np.asarray(fpts, dtype=object))), w]
        )
    elif fault_int is not None and (fault_int > 0).any():
        sel = fault_int > 0
        heat_points = np.column_stack([xy[sel], fault_int[sel]])
    if heat_points is None or heat_points.shape[0] == 0:
        return None, faults_simulated
    heat_name = t("layer_faults_simulated" if faults_simulated else "layer_faults", ctx.lang)
    if heat_points.shape[0] > HEAT_MAX_POINTS:
        # Many points: one kernel-density image instead of Leaflet.heat's per-point work.
        image = heat_image(heat_points[:, 0], heat_points[:, 1], heat_points[:, 2])
        factory = _image_factory(image, "{interactive:false,opacity:0.85}")
        m.add_child(JsLayer(factory, name=heat_name, show="faults" not in ctx.hidden))
        return "", faults_simulated
    scale = _heat_scale(heat_points[:, :2], heat_points[:, 2])
    data = np.column_stack(
        [
            np.round(heat_points[:, 1], COORD_DECIMALS),
            np.round(heat_points[:, 0], COORD_DECIMALS),
            np.round(heat_points[:, 2] / scale, 3),
        ]
    )
    # Wrapped in a layer group: the layer control greys out layers whose own
    # ``maxZoom`` is below the current zoom, and Leaflet.heat uses ``maxZoom`` for
    # its intensity scale. The decor script sets it to the fitted zoom.
    heat_factory = (
        f"(function(){{var h=L.heatLayer({js_literal(data.tolist())},"
        "{radius:18,blur:15,maxZoom:11,minOpacity:0.05});"
        "var g=L.layerGroup([h]);g.heat=h;return g;})()"
    )
    heat_layer = HeatLayer(heat_factory, name=heat_name, show="faults" not in ctx.hidden)
    m.add_child(heat_layer)
    return heat_layer.get_name(), faults_simulated


def catchment_layer(
    m: folium.Map, ctx: DrawContext, demand: gpd.GeoDataFrame, open_idx: np.ndarray, asg: np.ndarray
) -> None:
    lang = ctx.lang
    if len(demand) > POLYGON_MAX_CELLS:
        # Big maps: the catchments as one image (fill and outlines); a polygon per
        # catchment carries every cell edge of its border (4.3 MB for 60 halls on
        # 494,676 cells of 100 m). The centres' popups give each one's load.
        cells = cell_polygons(demand)
        shapes = cells if cells is not None else np.asarray(demand.geometry.values, dtype=object)
        served = asg >= 0
        order = np.where(served, np.searchsorted(open_idx, np.where(served, asg, 0)), -1)
        image = group_image(
            _display_bounds(ctx, shapes, points=cells is None), order,
            [_rgb(c) for c in CATCHMENT_COLOURS],
        )  # fmt: skip
        factory = _image_factory(image, "{interactive:false,className:'planner-raster'}")
        ctx.add(m, factory, "catchments", "layer_catchments")
        return
    catch = catchment_polygons(demand, open_idx, asg)
    c_props = []
    for row in catch.itertuples(index=False):
        s = int(row.site)
        j = int(np.searchsorted(open_idx, s))
        c_props.append(
            {
                "c": CATCHMENT_COLOURS[j % len(CATCHMENT_COLOURS)],
                "h": _popup_table(
                    [
                        (t("population_served", lang), fmt_int(float(row.population))),
                        (t("demand_points", lang), str(int(row.n_demand))),
                    ],
                    title=f"{j + 1}. {ctx.names[s]}",
                ),
            }
        )
    catch_factory = (
        "L.geoJSON("
        + feature_collection(ctx.shift(np.asarray(catch.geometry.values, dtype=object)), c_props)
        + ",{style:function(f){return {color:f.properties.c,weight:2,fillColor:f.properties.c,"
        "fillOpacity:0.18,className:'planner-catchment'};},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);}})"
    )
    ctx.add(m, catch_factory, "catchments", "layer_catchments")


def service_layer(
    m: folium.Map,
    ctx: DrawContext,
    sites: gpd.GeoDataFrame,
    open_idx: np.ndarray,
    service_areas: gpd.GeoDataFrame | None,
    service_radius_m: float | None,
) -> None:
    """Network service areas of the open centres, else a circle of the service radius."""
    if service_areas is not None:
        sa = check_gdf(service_areas, "service_areas")
        if "site" not in sa.columns:
            raise InputError(
                "`service_areas` needs a `site` column with the site index of each area."
            )
        sa = sa[sa["site"].isin(open_idx.tolist())]
        sa_factory = (
            "L.geoJSON("
            + feature_collection(ctx.shift(np.asarray(sa.geometry.values, dtype=object)), None)
            + ",{style:function(){return {color:'#555',weight:1.5,dashArray:'4 4',fill:false,"
            "className:'planner-service'};}})"
        )
        ctx.add(m, sa_factory, "service", "layer_service_areas")
    elif service_radius_m is not None:
        centres_pts = ctx.shift(np.asarray(sites.geometry.values[open_idx], dtype=object))
        radius_factory = (
            "L.geoJSON("
            + feature_collection(centres_pts, None)
            + ",{pointToLayer:function(f,ll){return L.circle(ll,{radius:"
            + js_literal(float(service_radius_m))
            + ",color:'#555',weight:1.5,dashArray:'4 4',fill:false,className:'planner-service'});}})"
        )
        name = (
            ctx.layer_name("service", "layer_service_radius") + f" ({service_radius_m / 1000:g} km)"
        )
        m.add_child(JsLayer(radius_factory, name=name, show="service" not in ctx.hidden))


def allocation_layer(
    m: folium.Map,
    ctx: DrawContext,
    sites: gpd.GeoDataFrame,
    asg: np.ndarray,
    xy: np.ndarray,
    max_lines: int,
    seed: int,
) -> None:
    """Lines from demand points to their centres: a seeded sample of at most ``max_lines``."""
    if max_lines <= 0:
        return
    rows = np.flatnonzero(asg >= 0)
    if rows.size > max_lines:
        rng = np.random.default_rng(seed)
        rows = np.sort(rng.choice(rows, size=max_lines, replace=False))
    if not rows.size:
        return
    site_xy = shapely.get_coordinates(ctx.shift(np.asarray(sites.geometry.values, dtype=object)))
    lines = shapely.linestrings(np.stack([xy[rows], site_xy[asg[rows]]], axis=1))
    line_factory = (
        "L.geoJSON("
        + feature_collection(np.asarray(lines, dtype=object), None)
        + ",{renderer:L.canvas(),style:function(){return {color:'#444',weight:0.7,opacity:0.6};}})"
    )
    ctx.add(m, line_factory, "allocation", "layer_allocation")


def robustness_layer(
    m: folium.Map,
    ctx: DrawContext,
    site_pts: np.ndarray,
    frequency: np.ndarray,
    is_open: np.ndarray,
) -> None:
    """One circle per site chosen in any perturbed draw, growing with its frequency."""
    lang = ctx.lang
    chosen_any = np.flatnonzero(frequency > 0)
    # Most frequent first, so that the small circles are drawn on top of the big ones.
    chosen_any = chosen_any[np.argsort(-frequency[chosen_any], kind="stable")]
    f_sel = frequency[chosen_any]
    f_class = _frequency_class(f_sel)
    f_radius = _frequency_radius(f_sel)
    not_in_plan = f"<br><i>{esc(t('robustness_not_in_plan', lang))}</i>"
    rob_props = [
        {
            "r": float(f_radius[n]),
            "c": FREQUENCY_COLOURS[int(f_class[n])],
            "t": f"<b>{esc(ctx.names[s])}</b><br>"
            + esc(t("robustness_chosen_in", lang, share=_fmt_frequency(float(f_sel[n]))))
            + ("" if is_open[s] else not_in_plan),
        }
        for n, s in enumerate(chosen_any.tolist())
    ]
    rob_factory = (
        "L.geoJSON("
        + feature_collection(site_pts[chosen_any], rob_props)
        + ",{pointToLayer:function(f,ll){var p=f.properties;return L.circleMarker(ll,"
        "{radius:p.r,color:'#2d004b',weight:1.5,opacity:0.9,fillColor:p.c,fillOpacity:0.85,"
        "className:'planner-robustness'});},"
        "onEachFeature:function(f,l){l.bindTooltip(f.properties.t);}})"
    )
    ctx.add(m, rob_factory, "robustness", "layer_robustness")


def candidate_layer(
    m: folium.Map, ctx: DrawContext, site_pts: np.ndarray, cand_idx: np.ndarray
) -> None:
    cand_props = [
        {"h": _popup_table([(t("category", ctx.lang), ctx.cats[i])], title=ctx.names[i])}
        for i in cand_idx.tolist()
    ]
    cand_factory = (
        "L.geoJSON("
        + feature_collection(site_pts[cand_idx], cand_props)
        + ",{pointToLayer:function(f,ll){return L.circleMarker(ll,{radius:3,color:'#666',weight:1,"
        "fillColor:'#fff',fillOpacity:0.9,className:'planner-candidate'});},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);}})"
    )
    ctx.add(m, cand_factory, "candidates", "layer_candidates")


def existing_layer(
    m: folium.Map, ctx: DrawContext, site_pts: np.ndarray, ex_idx: np.ndarray, is_open: np.ndarray
) -> None:
    """Today's centres: kept (ring) or closed (dashed, filled)."""
    lang = ctx.lang
    ex_props = []
    for i in ex_idx.tolist():
        kept = bool(is_open[i])
        ex_props.append(
            {
                "k": 1 if kept else 0,
                "h": _popup_table(
                    [
                        (t("category", lang), ctx.cats[i]),
                        (
                            t("status", lang),
                            t("status_kept" if kept else "status_closed", lang),
                        ),
                    ],
                    title=ctx.names[i],
                ),
            }
        )
    ex_factory = (
        "L.geoJSON("
        + feature_collection(site_pts[ex_idx], ex_props)
        + ",{pointToLayer:function(f,ll){var k=f.properties.k;return L.circleMarker(ll,{radius:k?13:9,"
        f"color:k?'{KEPT_COLOUR}':'{CLOSED_COLOUR}',weight:k?2.5:2,dashArray:k?null:'3 2',"
        f"fillColor:'{CLOSED_COLOUR}',fillOpacity:k?0:0.35,"
        "className:k?'planner-existing-kept':'planner-existing-closed'});},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);}})"
    )
    ctx.add(m, ex_factory, "existing", "layer_existing")


@dataclass(frozen=True)
class _Loads:
    """Per open centre (in ``open_idx`` order): people served, fault load, capacity used."""

    population: np.ndarray
    faults: np.ndarray | None
    capacity_used: np.ndarray | None


def centre_loads(
    open_idx: np.ndarray,
    asg: np.ndarray,
    pop: np.ndarray,
    fault_int: np.ndarray | None,
    kpis: PlanKPIs | None,
) -> _Loads:
    """From the KPIs when given (they know capacities), else from the assignment."""
    served = asg >= 0
    pos = np.searchsorted(open_idx, np.where(served, asg, open_idx[0]))
    k = open_idx.size
    load_pop = np.bincount(pos[served], weights=pop[served], minlength=k)
    load_faults = (
        np.bincount(pos[served], weights=fault_int[served], minlength=k)
        if fault_int is not None
        else None
    )
    cap_used: np.ndarray | None = None
    if kpis is not None:
        per = kpis.per_centre
        load_pop = per["population"].to_numpy(dtype=float)
        if per["fault_load"].notna().any():
            load_faults = per["fault_load"].to_numpy(dtype=float)
        if per["capacity_used_share"].notna().any():
            cap_used = per["capacity_used_share"].to_numpy(dtype=float)
    return _Loads(load_pop, load_faults, cap_used)


def centre_layer(
    m: folium.Map,
    ctx: DrawContext,
    sites: gpd.GeoDataFrame,
    site_pts: np.ndarray,
    open_idx: np.ndarray,
    existing: np.ndarray,
    loads: _Loads,
    frequency: np.ndarray | None,
) -> None:
    """The chosen centres, numbered, with their loads in the popups."""
    lang = ctx.lang
    ch_props = []
    for j, s in enumerate(open_idx.tolist()):
        kept = bool(existing[s])
        rows_ = [
            (t("category", lang), ctx.cats[s]),
            (t("status", lang), t("status_kept" if kept else "status_new", lang)),
            (t("population_served", lang), fmt_int(float(loads.population[j]))),
        ]
        if loads.faults is not None:
            rows_.append((t("fault_load", lang), fmt_number(float(loads.faults[j]))))
        if loads.capacity_used is not None and math.isfinite(loads.capacity_used[j]):
            rows_.append((t("capacity_used", lang), fmt_share(float(loads.capacity_used[j]))))
        if frequency is not None:
            rows_.append(
                (
                    t("layer_robustness", lang),
                    t("robustness_chosen_in", lang, share=_fmt_frequency(float(frequency[s]))),
                )
            )
        if "site_id" in sites.columns:
            rows_.append((t("site_id", lang), str(sites["site_id"].iloc[s])))
        ch_props.append(
            {
                "n": j + 1,
                "k": 1 if kept else 0,
                "t": esc(f"{j + 1}. {ctx.names[s]}"),
                "h": _popup_table(rows_, title=f"{j + 1}. {ctx.names[s]}"),
            }
        )
    ch_factory = (
        "L.geoJSON("
        + feature_collection(site_pts[open_idx], ch_props)
        + ",{pointToLayer:function(f,ll){var p=f.properties;return L.marker(ll,{icon:L.divIcon({"
        "className:'planner-centre '+(p.k?'planner-centre-kept':'planner-centre-new'),"
        "html:'<div>'+p.n+'</div>',iconSize:[24,24],iconAnchor:[12,12],popupAnchor:[0,-12]}),"
        "riseOnHover:true,zIndexOffset:1000});},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);l.bindTooltip(f.properties.t);}})"
    )
    ctx.add(m, ch_factory, "centres", "layer_chosen")
