"""Maps of a plan: folium/Leaflet, bilingual, standalone and offline-safe.

:func:`plan_map` draws one plan as a :class:`folium.Map` with these layers, each
in the layer control:

* population density: one GeoJSON layer of the demand cells (canvas-rendered,
  with tooltips), coloured in five quantile classes;
* fault hotspots: a heat map (marked *simulated* when the faults are);
* candidate sites, chosen centres (numbered icons, popups with name, category and
  load), existing centres (kept / closed);
* catchments: the demand cells served by each centre, dissolved into one polygon
  per centre (:func:`catchment_polygons`);
* service radius circles or network service areas;
* allocation lines for a seeded sample of demand points (hidden by default);
* site robustness (with ``site_frequency``): every site chosen in at least one
  perturbed draw (:func:`planner.runs.robustness.robustness`), a circle sized and
  coloured by the share of draws that choose it.

A title, a legend, a KPI panel and the attribution of every data source are drawn
on the map. Base maps are OpenStreetMap by default, or any tile service with its
datum (:class:`BaseMap`, :func:`tianditu_basemap`, ``"gaode"``); with a GCJ-02
base map every layer is shifted to GCJ-02 for display so that points sit on the
streets.

:func:`map_html` / :func:`save_map_html` produce a standalone file in which Leaflet,
its CSS and the heat-map plugin are inlined from ``planner/present/static/`` (vendored from
npm, see ``planner/present/static/VENDORED.md``), so the map draws without internet; only
the background tiles need a tile server.

For the Streamlit app: ``streamlit.components.v1.html(map_html(m), height=650)``
shows the map fully offline (recommended). ``streamlit_folium.st_folium(m)`` also
works but loads Leaflet from the CDN URLs in ``m.default_js``, unless they are
pointed at locally served copies with :func:`point_assets_to`.
"""

from __future__ import annotations

import base64
import json
import math
import os
import re
import tempfile
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import ElementAddToElement, Layer
from folium.map import LayerControl as _FoliumLayerControl
from folium.template import Template
from numpy.typing import ArrayLike

from planner.errors import ConfigError, InputError
from planner.evaluate.kpis import PlanKPIs, kpi_label
from planner.i18n import check_language, t
from planner.inputs.datums import wgs84_to_gcj02
from planner.optimize.solution import Solution
from planner.sanitize import html_text
from planner.travel.straight_line import TravelMatrix

__all__ = [
    "BASEMAPS",
    "LAYER_KEYS",
    "LEAFLET_HEAT_VERSION",
    "LEAFLET_VERSION",
    "BaseMap",
    "asset_files",
    "catchment_polygons",
    "map_html",
    "plan_map",
    "point_assets_to",
    "save_map_html",
    "tianditu_basemap",
    "travel_note_text",
]

#: Vendored versions (see planner/present/static/VENDORED.md).
LEAFLET_VERSION: Final = "1.9.4"
LEAFLET_HEAT_VERSION: Final = "0.2.0"

_STATIC = Path(__file__).parent / "static"
_LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
_LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"
_HEAT_JS_URL = (
    f"https://cdn.jsdelivr.net/npm/leaflet.heat@{LEAFLET_HEAT_VERSION}/dist/leaflet-heat.js"
)

#: Known asset URLs (folium's or ours, any version) -> vendored file under planner/static.
_ASSET_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.js$"), "leaflet/leaflet.js"),
    (re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.css$"), "leaflet/leaflet.css"),
    (re.compile(r"leaflet[._-]heat(\.min)?\.js$"), "leaflet.heat/leaflet-heat.js"),
)

#: The layer keys used by ``simulated_layers`` and ``hidden_layers``.
LAYER_KEYS: Final[tuple[str, ...]] = (
    "population",
    "faults",
    "catchments",
    "service",
    "allocation",
    "robustness",
    "candidates",
    "existing",
    "centres",
)

#: Label of each layer key (for warnings about simulated layers).
_LAYER_LABELS: Final[Mapping[str, str]] = {
    "population": "layer_population",
    "faults": "layer_faults",
    "catchments": "layer_catchments",
    "service": "layer_service_radius",
    "allocation": "layer_allocation",
    "robustness": "layer_robustness",
    "candidates": "layer_candidates",
    "existing": "layer_existing",
    "centres": "layer_chosen",
}

_DENSITY_COLOURS: Final = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
_CATCHMENT_COLOURS: Final = (
    "#1f78b4",
    "#33a02c",
    "#e31a1c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#b2df8a",
    "#fb9a99",
    "#fdbf6f",
    "#cab2d6",
    "#8dd3c7",
)
#: Site robustness: five classes of selection frequency, [0, 0.2) ... [0.8, 1] (ColorBrewer BuPu).
_FREQUENCY_COLOURS: Final = ("#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#6e016b")
_FREQUENCY_LABELS: Final = ("< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%")
_NEW_COLOUR: Final = "#c0392b"
_KEPT_COLOUR: Final = "#1f4e9c"
_CLOSED_COLOUR: Final = "#7f7f7f"
_COORD_DECIMALS: Final = 5  # about 1 m: plenty for display, keeps map.html small


# --------------------------------------------------------------------------------------
# base maps


@dataclass(frozen=True)
class BaseMap:
    """A tile service and the datum it is drawn in.

    Parameters
    ----------
    name
        Label in the layer control.
    url
        Leaflet tile URL template (``{z}``, ``{x}``, ``{y}``, optional ``{s}``).
    attribution
        Attribution text (HTML allowed) shown on the map.
    datum
        ``"wgs84"`` (OpenStreetMap; Tianditu's CGCS2000 is WGS 84 within a metre)
        or ``"gcj02"`` (AutoNavi/Gaode, Tencent): with ``"gcj02"`` every layer is
        shifted to GCJ-02 for display.
    subdomains
        Values of ``{s}`` (e.g. ``"abc"``), or None.
    max_zoom
        Highest zoom level served.
    label_url
        Optional second tile layer drawn on top (e.g. Tianditu's annotation tiles).
    """

    name: str
    url: str
    attribution: str
    datum: str = "wgs84"
    subdomains: str | None = None
    max_zoom: int = 18
    label_url: str | None = None

    def __post_init__(self) -> None:
        if self.datum not in ("wgs84", "gcj02"):
            raise ConfigError(
                f"base map datum must be 'wgs84' or 'gcj02'; got {self.datum!r}. Baidu (BD-09) "
                "tiles use their own tile grid and are not supported; use Gaode (gcj02) instead."
            )
        if not self.url or "{z}" not in self.url:
            raise ConfigError(
                f"base map `url` must be a tile URL template with {{z}}, {{x}}, {{y}}; got {self.url!r}."
            )


#: Ready-made base maps. Tianditu needs the user's key: see :func:`tianditu_basemap`.
BASEMAPS: Final[Mapping[str, BaseMap]] = {
    "osm": BaseMap(
        name="OpenStreetMap",
        url="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        attribution='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
        "contributors",
        datum="wgs84",
        max_zoom=19,
    ),
    "gaode": BaseMap(
        name="高德地图 AutoNavi",
        url="https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
        "&x={x}&y={y}&z={z}",
        attribution="&copy; 高德地图 AutoNavi (GCJ-02)",
        datum="gcj02",
        subdomains="1234",
        max_zoom=18,
    ),
}


def tianditu_basemap(key: str, *, language: str = "zh") -> BaseMap:
    """Tianditu (天地图), China's national base map, with its annotation layer.

    Parameters
    ----------
    key
        The user's own Tianditu key (``tk``), from the Tianditu developer site.
    language
        ``"zh"`` for Chinese place names, ``"en"`` for English ones.

    Returns
    -------
    BaseMap
        Vector tiles in Web Mercator; the datum is CGCS2000, drawn as WGS 84
        (they differ by well under a metre).
    """
    check_language(language)
    if not isinstance(key, str) or not re.fullmatch(r"[0-9A-Za-z]{8,64}", key.strip()):
        raise ConfigError(
            "`key` must be your Tianditu key (tk), letters and digits; get one from the "
            "Tianditu developer console, or choose basemap='osm'."
        )
    tk = key.strip()
    labels = "cva" if language == "zh" else "eva"

    def _wmts(layer: str) -> str:
        return (
            f"https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile"
            f"&VERSION=1.0.0&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
            f"&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={tk}"
        )

    return BaseMap(
        name="天地图 Tianditu",
        url=_wmts("vec"),
        attribution="&copy; 天地图 Tianditu (CGCS2000)",
        datum="wgs84",
        subdomains="01234567",
        max_zoom=18,
        label_url=_wmts(labels),
    )


def _resolve_basemap(basemap: str | BaseMap | Mapping[str, Any] | None) -> BaseMap | None:
    if basemap is None or basemap == "none":
        return None
    if isinstance(basemap, BaseMap):
        return basemap
    if isinstance(basemap, str):
        if basemap == "tianditu":
            raise ConfigError(
                "basemap 'tianditu' needs your key: pass basemap=tianditu_basemap(key) "
                "(planner.present.maps), or choose 'osm'."
            )
        if basemap not in BASEMAPS:
            raise ConfigError(
                f"unknown `basemap` {basemap!r}; choose one of {', '.join([*BASEMAPS, 'none'])}, "
                "or give a BaseMap / {'url', 'attribution', 'datum'} mapping for your own tiles."
            )
        return BASEMAPS[basemap]
    if isinstance(basemap, Mapping):
        missing = {"url", "attribution"} - set(basemap)
        if missing:
            raise ConfigError(
                f"custom `basemap` needs keys {sorted(missing)} (and optionally 'datum')."
            )
        known = {"name", "url", "attribution", "datum", "subdomains", "max_zoom", "label_url"}
        extra = set(basemap) - known
        if extra:
            raise ConfigError(
                f"custom `basemap` has unknown keys {sorted(extra)}; known: {sorted(known)}."
            )
        return BaseMap(**{"name": "Base map", **dict(basemap)})
    raise ConfigError(
        f"`basemap` must be a name, a BaseMap or a mapping; got {type(basemap).__name__}."
    )


# --------------------------------------------------------------------------------------
# JSON / HTML helpers


def _js(value: Any) -> str:
    """JSON for embedding inside <script>: no '<', '>' or '&' can end the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _esc(value: Any) -> str:
    """HTML text (braces as character references too: see :func:`planner.sanitize.html_text`)."""
    return html_text(value)


def _fmt_int(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}"


def _fmt(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}"


def _fmt_share(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.1f}%"


def _feature_collection(geoms: np.ndarray, props: Sequence[Mapping[str, Any]] | None) -> str:
    """A GeoJSON FeatureCollection string, coordinates rounded for display."""
    if geoms.size == 0:
        return '{"type":"FeatureCollection","features":[]}'
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, _COORD_DECIMALS))
    parts = shapely.to_geojson(rounded)
    if props is None:
        body = ",".join(f'{{"type":"Feature","geometry":{g},"properties":{{}}}}' for g in parts)
    else:
        body = ",".join(
            f'{{"type":"Feature","geometry":{g},"properties":{_js(dict(p))}}}'
            for g, p in zip(parts, props, strict=True)
        )
    return '{"type":"FeatureCollection","features":[' + body + "]}"


class _Text(Element):
    """Finished text that goes into the page as it is: never compiled as a template."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self._text = text

    def render(self, **kwargs: Any) -> str:
        return self._text


def _render_once(element: MacroElement, kwargs: Mapping[str, Any]) -> None:
    """Put ``element``'s macros into the page, then render its children.

    This is branca's ``MacroElement.render`` minus its second template pass: branca
    wraps each macro's output in ``Element(output)``, which compiles that output --
    our GeoJSON with the users' site names, titles and layer names -- as a new Jinja
    template, so ``{{ 7*7 }}`` in a name showed as 49 and ``{#1 Mall`` crashed the
    run. Here the output goes in as :class:`_Text`.
    """
    figure = element.get_root()
    module = element._template.module.__dict__
    for slot in ("header", "html", "script"):
        macro = module.get(slot)
        if macro is not None:
            getattr(figure, slot).add_child(
                _Text(str(macro(element, kwargs))), name=element.get_name()
            )
    for child in element._children.values():
        child.render(**kwargs)


class _JsLayer(Layer):
    """A layer whose Leaflet object is built by a JavaScript expression we write.

    Rendered in one template pass (:func:`_render_once`): the expression carries
    user text.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.js_factory }};
        {% endmacro %}
        """
    )

    def __init__(
        self, js_factory: str, *, name: str, show: bool = True, overlay: bool = True
    ) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "PlannerLayer"
        self.js_factory = js_factory

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        parent = self._parent
        assert parent is not None, "a layer is rendered inside its map"
        if self.show:  # what folium's Layer.render adds: the layer starts on the map
            self.add_child(
                ElementAddToElement(
                    element_name=self.get_name(), element_parent_name=parent.get_name()
                ),
                name=self.get_name() + "_add",
            )
        _render_once(self, kwargs)


class _HeatLayer(JSCSSMixin, _JsLayer):
    """Leaflet.heat layer (plugin loaded from its CDN URL, inlined by :func:`map_html`)."""

    default_js = [("leaflet_heat", _HEAT_JS_URL)]  # noqa: RUF012 (folium's class attribute)


class _Decor(MacroElement):
    """CSS in the header and a script run after the map exists (title, legend, panels)."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
            <style>{{ this.css }}</style>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            (function(map) {
            {{ this.js }}
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, css: str, js: str) -> None:
        super().__init__()
        self._name = "PlannerDecor"
        self.css = css
        self.js = js

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        _render_once(self, kwargs)


class _LayerControl(_FoliumLayerControl):
    """folium's layer control rendered in one template pass (layer names are user text)."""

    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        parent = self._parent
        assert parent is not None, "the layer control is rendered inside its map"
        self.reset()
        for item in parent._children.values():
            if isinstance(item, Layer) and item.control:
                names = self.overlays if item.overlay else self.base_layers
                names[item.layer_name] = item.get_name()
        _render_once(self, kwargs)


_CSS = """
.planner-title { position: absolute; top: 10px; left: 54px; z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 14px; border-radius: 4px;
  font: bold 17px/1.3 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); pointer-events: none; max-width: 45%; }
.planner-box { background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 "Noto Sans CJK SC","Microsoft YaHei",
  "PingFang SC",sans-serif; max-width: 320px; }
.planner-box h4 { margin: 0 0 4px 0; font-size: 13px; }
.planner-box table { border-collapse: collapse; }
.planner-box td, .planner-box th { padding: 1px 4px; text-align: right; white-space: nowrap; }
.planner-box td:first-child, .planner-box th:first-child { text-align: left; white-space: normal; }
.planner-swatch { display: inline-block; width: 14px; height: 10px; margin-right: 5px;
  border: 1px solid #999; vertical-align: middle; }
.planner-dot { display: inline-block; border: 1px solid #3f007d; border-radius: 50%;
  vertical-align: middle; margin-right: 3px; opacity: 0.85; }
.planner-freq-item { display: inline-block; white-space: nowrap; margin-right: 5px; }
.planner-freq-title { margin-top: 2px; }
.planner-sym { display: inline-block; width: 14px; text-align: center; margin-right: 5px; }
.planner-warning { color: #b00020; font-weight: bold; margin-top: 4px; }
.planner-note { color: #444; margin-top: 4px; font-style: italic; }
.planner-centre div { width: 20px; height: 20px; border: 2px solid #fff; border-radius: 4px;
  color: #fff; font: bold 11px/20px sans-serif; text-align: center;
  box-shadow: 0 0 3px rgba(0,0,0,0.6); }
.planner-centre-new div { background: #c0392b; }
.planner-centre-kept div { background: #1f4e9c; }
.planner-popup td { padding: 1px 6px 1px 0; vertical-align: top; }
/* folium sets 1rem (16 px) on the whole map; Leaflet's own 11-12 px keeps the long list of
   data sources from covering the lower part of a small map. */
.leaflet-container .leaflet-control-attribution { font-size: 11px; line-height: 1.35; }
@media print { .leaflet-control-zoom, .leaflet-control-layers { display: none; } }
@media (max-height: 560px) {
  .planner-box { font-size: 10px; line-height: 1.2; padding: 4px 6px; max-width: 230px; }
  .planner-box h4 { font-size: 11px; margin-bottom: 2px; }
  .planner-title { font-size: 14px; padding: 3px 10px; }
}
"""


# --------------------------------------------------------------------------------------
# inputs


def _check_gdf(value: Any, name: str) -> gpd.GeoDataFrame:
    if not isinstance(value, gpd.GeoDataFrame):
        raise InputError(f"`{name}` must be a GeoDataFrame; got {type(value).__name__}.")
    if value.crs is None:
        raise InputError(f"`{name}` has no CRS; set it (e.g. `{name}.set_crs('EPSG:4326')`).")
    if len(value) == 0:
        raise InputError(f"`{name}` is empty.")
    if value.geometry.isna().any() or value.geometry.is_empty.any():
        raise InputError(f"`{name}` has rows without geometry; drop or fix them first.")
    out = value if value.crs.to_epsg() == 4326 else value.to_crs(4326)
    return out.reset_index(drop=True)


def _column(df: pd.DataFrame, name: str, default: float | None = None) -> np.ndarray | None:
    if name not in df.columns:
        return None if default is None else np.full(len(df), default)
    values = pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise InputError(f"column `{name}` must hold finite numbers >= 0 in every row.")
    return values


def _cells(demand: gpd.GeoDataFrame) -> np.ndarray | None:
    if "cell" not in demand.columns:
        return None
    cells = demand["cell"]
    if isinstance(cells, gpd.GeoSeries):
        if cells.crs is not None and cells.crs.to_epsg() != 4326:
            cells = cells.to_crs(4326)
        arr = np.asarray(cells.values, dtype=object)
    else:
        arr = np.asarray(cells, dtype=object)
    if not all(isinstance(g, shapely.Geometry) for g in arr):
        raise InputError("column `cell` of `demand` must hold polygons (shapely geometries).")
    return np.asarray(arr, dtype=object)


def _text_column(df: pd.DataFrame, names: Sequence[str], fallback: Sequence[str]) -> list[str]:
    """First non-empty value among ``names`` columns per row, else ``fallback``."""
    out = list(fallback)
    # Applied from the lowest priority up, so the first column with a value wins.
    for name in reversed(names):
        if name not in df.columns:
            continue
        col = df[name].tolist()
        for i, v in enumerate(col):
            if v is not None and not (isinstance(v, float) and math.isnan(v)) and str(v).strip():
                out[i] = str(v)
    return out


def _site_names(sites: gpd.GeoDataFrame, lang: str) -> list[str]:
    other = "en" if lang == "zh" else "zh"
    ids = (
        [str(v) for v in sites["site_id"].tolist()]
        if "site_id" in sites.columns
        else [str(i) for i in range(len(sites))]
    )
    return _text_column(sites, [f"name_{lang}", "name", f"name_{other}"], ids)


def _site_categories(sites: gpd.GeoDataFrame, lang: str) -> list[str]:
    other = "en" if lang == "zh" else "zh"
    return _text_column(
        sites, [f"category_{lang}", "category", f"category_{other}"], [""] * len(sites)
    )


def _bool_column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[name].fillna(False).astype(bool).to_numpy()


def _resolve_open(
    open_sites: Solution | ArrayLike, n_sites: int
) -> tuple[np.ndarray, np.ndarray | None]:
    assignment = None
    if isinstance(open_sites, Solution):
        if not open_sites.has_plan:
            raise InputError(
                f"the solution has no plan (status {open_sites.status.value!r}); there is nothing to map."
            )
        assignment = open_sites.assignment
        idx = open_sites.open_sites
    else:
        idx = np.asarray(open_sites)
        if idx.dtype == bool:
            idx = np.flatnonzero(idx)
    if idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise InputError("`open_sites` must be a non-empty list of integer site indices.")
    idx = np.unique(idx.astype(np.int64))
    if idx[0] < 0 or idx[-1] >= n_sites:
        raise InputError(f"`open_sites` holds indices outside 0..{n_sites - 1} (rows of `sites`).")
    return idx, assignment


def _metric_crs(gdf: gpd.GeoDataFrame) -> str:
    """The WGS 84 / UTM zone of the data's centre (cheaper than ``estimate_utm_crs``)."""
    minx, miny, maxx, maxy = gdf.total_bounds
    lon, lat = (minx + maxx) / 2.0, (miny + maxy) / 2.0
    zone = int(np.clip(np.floor((lon + 180.0) / 6.0) + 1, 1, 60))
    return f"EPSG:{(32600 if lat >= 0 else 32700) + zone}"


def _nearest_open(
    demand: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, open_idx: np.ndarray
) -> np.ndarray:
    """Nearest open site by straight line (fallback when no assignment is given)."""
    from scipy.spatial import cKDTree

    crs = _metric_crs(demand)
    d = demand.geometry.to_crs(crs)
    s = sites.geometry.iloc[open_idx].to_crs(crs)
    tree = cKDTree(np.column_stack([s.x.to_numpy(), s.y.to_numpy()]))
    _, pos = tree.query(np.column_stack([d.x.to_numpy(), d.y.to_numpy()]))
    return open_idx[np.asarray(pos, dtype=np.int64)]


def _resolve_assignment(
    demand: gpd.GeoDataFrame,
    sites: gpd.GeoDataFrame,
    open_idx: np.ndarray,
    assignment: ArrayLike | None,
    kpis: PlanKPIs | None,
    from_solution: np.ndarray | None,
) -> tuple[np.ndarray, str | None]:
    n = len(demand)
    note = None
    if assignment is not None:
        a = np.asarray(assignment)
    elif kpis is not None:
        a = np.asarray(kpis.assignment)
    elif from_solution is not None and from_solution.size == n:
        a = np.asarray(from_solution)
    else:
        a = None
    if a is not None:
        if a.shape != (n,) or not np.issubdtype(a.dtype, np.integer):
            raise InputError(
                f"`assignment` must be integer site indices, one per demand row ({n})."
            )
        a = a.astype(np.int64)
        bad = (a >= 0) & ~np.isin(a, open_idx)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"`assignment` sends demand row {i} to site {int(a[i])}, which is not open."
            )
        if kpis is None and assignment is None and (a < 0).any():
            nearest = _nearest_open(demand, sites, open_idx)
            a = np.where(a >= 0, a, nearest)
        return a, note
    note = "catchments by straight-line nearest centre (no assignment given)"
    return _nearest_open(demand, sites, open_idx), note


# --------------------------------------------------------------------------------------
# catchments


def catchment_polygons(
    demand: gpd.GeoDataFrame,
    open_sites: ArrayLike,
    assignment: ArrayLike,
    *,
    population_column: str = "population",
) -> gpd.GeoDataFrame:
    """The area each open centre serves: its demand cells dissolved into one polygon.

    Parameters
    ----------
    demand
        Demand table (EPSG:4326 points); its ``cell`` column (the polygon of each
        cell) is used when present, otherwise each point is buffered by 0.6 times the
        median spacing between neighbouring points and the buffers are merged.
    open_sites
        Indices of the open sites.
    assignment
        Serving site per demand row (``-1`` = none; such rows are left out).
    population_column
        Column summed into ``population`` (skipped if absent).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per open site that serves at least one demand row, EPSG:4326:
        ``site`` (site index), ``population``, ``n_demand`` and the polygon.
    """
    demand = _check_gdf(demand, "demand")
    a = np.asarray(assignment).astype(np.int64)
    if a.shape != (len(demand),):
        raise InputError(f"`assignment` must have one entry per demand row ({len(demand)}).")
    open_idx = np.unique(np.asarray(open_sites).astype(np.int64))
    pop = _column(demand, population_column, default=0.0)
    assert pop is not None
    cells = _cells(demand)
    served = np.flatnonzero(a >= 0)
    if served.size == 0:
        return gpd.GeoDataFrame(
            {"site": [], "population": [], "n_demand": []},
            geometry=gpd.GeoSeries([], crs=4326),
            crs=4326,
        )
    if cells is not None:
        # Rounded to 1e-7 degrees (1 cm) so that the shared edges of neighbouring cells,
        # computed separately in floating point, coincide and the fast coverage union works.
        shapes = np.asarray(shapely.transform(cells, lambda xy: np.round(xy, 7)), dtype=object)
        crs_metric = None
    else:
        crs_metric = _metric_crs(demand)
        pts = demand.geometry.to_crs(crs_metric)
        xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        radius = _buffer_radius(xy)
        shapes = np.asarray(shapely.buffer(shapely.points(xy), radius, quad_segs=4), dtype=object)
    order = served[np.argsort(a[served], kind="stable")]
    groups = a[order]
    cut = np.flatnonzero(np.diff(groups)) + 1
    site_ids: list[int] = []
    polys: list[shapely.Geometry] = []
    pops: list[float] = []
    counts: list[int] = []
    for chunk in np.split(order, cut):
        site = int(a[chunk[0]])
        if site not in set(open_idx.tolist()):
            continue
        geom = _dissolve(shapes[chunk], coverage=cells is not None)
        site_ids.append(site)
        polys.append(geom)
        pops.append(float(pop[chunk].sum()))
        counts.append(int(chunk.size))
    geoms = gpd.GeoSeries(polys, crs=crs_metric if crs_metric is not None else 4326)
    if crs_metric is not None:
        geoms = geoms.to_crs(4326)
    return gpd.GeoDataFrame(
        {"site": np.asarray(site_ids, dtype=np.int64), "population": pops, "n_demand": counts},
        geometry=geoms.values,
        crs=4326,
    )


def _buffer_radius(xy: np.ndarray) -> float:
    from scipy.spatial import cKDTree

    if xy.shape[0] < 2:
        return 250.0
    dist, _ = cKDTree(xy).query(xy, k=2)
    spacing = float(np.median(dist[:, 1]))
    return 0.6 * spacing if spacing > 0 else 250.0


def _dissolve(shapes: np.ndarray, *, coverage: bool) -> shapely.Geometry:
    """Union of one centre's cells; the fast coverage union when cells tile without overlap."""
    if coverage:
        merged = shapely.coverage_union_all(shapes)
        if shapely.is_valid(merged) and not merged.is_empty:
            return shapely.simplify(merged, 1e-7)
    merged = shapely.union_all(shapes)
    return shapely.simplify(merged, 1e-7)


# --------------------------------------------------------------------------------------
# the map


def _shifter(datum: str) -> Any:
    if datum == "gcj02":

        def shift(geoms: np.ndarray) -> np.ndarray:
            def _xy(xy: np.ndarray) -> np.ndarray:
                lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
                return np.column_stack([lon, lat])

            return np.asarray(shapely.transform(geoms, _xy), dtype=object)

        return shift
    return lambda geoms: np.asarray(geoms, dtype=object)


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
    head = f"<b>{_esc(title)}</b><br>" if title else ""
    body = "".join(f"<tr><td>{_esc(k)}</td><td>{_esc(v)}</td></tr>" for k, v in rows)
    return f'{head}<table class="planner-popup">{body}</table>'


def _resolve_frequency(
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

    Returns
    -------
    folium.Map
        Its ``default_js``/``default_css`` point at CDN copies of the vendored
        assets; :func:`map_html` inlines them for offline use.
    """
    lang = check_language(language)
    demand = _check_gdf(demand, "demand")
    sites = _check_gdf(sites, "sites")
    _check_map_arguments(
        demand, sites, simulated_layers, hidden_layers, max_allocation_lines, service_radius_m
    )
    base = _resolve_basemap(basemap)
    shift = _shifter(base.datum if base is not None else "wgs84")
    n_sites = len(sites)
    open_idx, sol_assignment = _resolve_open(open_sites, n_sites)
    if kpis is not None and (
        kpis.assignment.shape != (len(demand),) or not np.array_equal(kpis.open_sites, open_idx)
    ):
        raise InputError(
            "`kpis` belong to another plan or demand table (open sites or row count differ)."
        )
    asg, asg_note = _resolve_assignment(demand, sites, open_idx, assignment, kpis, sol_assignment)
    frequency = None if site_frequency is None else _resolve_frequency(site_frequency, sites)

    pop = _column(demand, "population")
    assert pop is not None
    fault_int = _column(demand, "fault_intensity")
    existing = _bool_column(sites, "existing")
    is_open = np.zeros(n_sites, dtype=bool)
    is_open[open_idx] = True
    simulated_site = _bool_column(sites, "simulated")
    sim = set(simulated_layers)
    if (simulated_site & existing).any():
        sim.add("existing")  # the data say so, even if the caller did not
    ctx = _Draw(
        lang=lang,
        shift=shift,
        simulated=frozenset(sim),
        hidden=frozenset(hidden_layers),
        names=_site_names(sites, lang),
        cats=_site_categories(sites, lang),
    )

    pts = shift(np.asarray(demand.geometry.values, dtype=object))
    xy = shapely.get_coordinates(pts)
    bounds = [
        [float(xy[:, 1].min()), float(xy[:, 0].min())],
        [float(xy[:, 1].max()), float(xy[:, 0].max())],
    ]
    m = _new_map(bounds, base, height)
    breaks, density_unit = _population_layer(m, ctx, demand, pop, asg, kpis)
    heat_var, faults_simulated = _fault_layer(
        m, ctx, faults, fault_weight_column, fault_int, xy, "faults" in sim
    )
    has_heat = heat_var is not None
    _catchment_layer(m, ctx, demand, open_idx, asg)
    _service_layer(m, ctx, sites, open_idx, service_areas, service_radius_m)
    _allocation_layer(m, ctx, sites, asg, xy, max_allocation_lines, seed)
    site_pts = shift(np.asarray(sites.geometry.values, dtype=object))
    if frequency is not None:
        _robustness_layer(m, ctx, site_pts, frequency, is_open)
    cand_idx = np.flatnonzero(~is_open & ~existing)
    if cand_idx.size:
        _candidate_layer(m, ctx, site_pts, cand_idx)
    ex_idx = np.flatnonzero(existing)
    if ex_idx.size:
        _existing_layer(m, ctx, site_pts, ex_idx, is_open)
    loads = _centre_loads(open_idx, asg, pop, fault_int, kpis)
    _centre_layer(m, ctx, sites, site_pts, open_idx, existing, loads, frequency)

    # title, legend, KPI panel, attribution
    sim_names = sorted(sim & _present_layers(has_heat, cand_idx.size > 0, ex_idx.size > 0))
    warnings_html: list[str] = []
    if has_heat and faults_simulated:
        warnings_html.append(t("simulated_faults_note", lang))
    other_sim = [t(_LAYER_LABELS[s], lang) for s in sim_names if s != "faults"]
    if other_sim:
        warnings_html.append(t("simulated_layer_note", lang, layers=", ".join(other_sim)))
    if (simulated_site & ~existing).any():
        # Simulated sites outside the existing-centres layer get their own warning.
        warnings_html.append(t("simulated_sites_note", lang))
    legend = _legend_html(
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
        panel = _kpi_panel_html(lang, kpis, baseline, travel_note, asg_note)
    else:
        panel = ""
        legend += "".join(
            f'<div class="planner-note">{_esc(n)}</div>' for n in (travel_note, asg_note) if n
        )
    attributions = [_esc(a) for a in attribution if str(a).strip()]
    if has_heat and faults_simulated:
        attributions.append(_esc(t("simulated_faults_note", lang)))
    the_title = title if title is not None else t("map_title_default", lang)
    m.add_child(_Decor(_CSS, _decor_js(the_title, legend, panel, attributions, bounds, heat_var)))
    _LayerControl(collapsed=collapsed_layer_control, position="topright").add_to(m)
    return m


@dataclass(frozen=True)
class _Draw:
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
            _JsLayer(factory, name=self.layer_name(key, label_key), show=key not in self.hidden)
        )


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
    if not all(g.geom_type == "Point" for g in sites.geometry):
        raise InputError("`sites` must hold Point geometries.")
    if not all(g.geom_type == "Point" for g in demand.geometry):
        raise InputError("`demand` must hold Point geometries (the cell polygons go in `cell`).")
    if "population" not in demand.columns:
        raise InputError("`demand` has no `population` column; add people per demand point.")


def _new_map(bounds: list[list[float]], base: BaseMap | None, height: str) -> folium.Map:
    centre = [(bounds[0][0] + bounds[1][0]) / 2.0, (bounds[0][1] + bounds[1][1]) / 2.0]
    m = folium.Map(location=centre, zoom_start=11, tiles=None, control_scale=True, height=height)
    # Only Leaflet itself: no jQuery, Bootstrap or awesome-markers (see VENDORED.md).
    m.default_js = [("leaflet", _LEAFLET_JS_URL)]
    m.default_css = [("leaflet_css", _LEAFLET_CSS_URL)]
    if base is not None:
        opts: dict[str, Any] = {"attribution": base.attribution, "maxZoom": base.max_zoom}
        if base.subdomains:
            opts["subdomains"] = base.subdomains
        factory = f"L.tileLayer({_js(base.url)},{_js(opts)})"
        if base.label_url:
            factory = (
                f"L.layerGroup([{factory},L.tileLayer({_js(base.label_url)},"
                f"{_js({k2: v for k2, v in opts.items() if k2 != 'attribution'})})])"
            )
        m.add_child(_JsLayer(factory, name=base.name, overlay=False))
    return m


def _population_layer(
    m: folium.Map,
    ctx: _Draw,
    demand: gpd.GeoDataFrame,
    pop: np.ndarray,
    asg: np.ndarray,
    kpis: PlanKPIs | None,
) -> tuple[list[float], str]:
    """Density choropleth (or points without cells); returns the class breaks and unit."""
    lang = ctx.lang
    pop65 = _column(demand, "pop_65plus")
    cells = _cells(demand)
    if cells is not None:
        crs_metric = _metric_crs(demand)
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
    pop_data = _feature_collection(ctx.shift(shapes[keep]), props)
    name_list = _js([_esc(n) for n in ctx.names])
    tip_labels = _js(
        {
            "p": _esc(t("population", lang)),
            "o": _esc(t("pop_65plus", lang)),
            "d": _esc(t("density", lang)) + " (" + _esc(density_unit) + ")",
            "s": _esc(t("served_by", lang)),
            "m": _esc(t("travel_minutes", lang)),
        }
    )
    is_point_layer = cells is None
    pop_factory = (
        "(function(){var C="
        + _js(list(_DENSITY_COLOURS))
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


def _fault_layer(
    m: folium.Map,
    ctx: _Draw,
    faults: gpd.GeoDataFrame | None,
    fault_weight_column: str | None,
    fault_int: np.ndarray | None,
    xy: np.ndarray,
    faults_simulated: bool,
) -> tuple[str | None, bool]:
    """Fault heat map from the records (or the demand's fault intensity).

    Returns the layer's JavaScript name (``None``: no heat map) and whether the fault
    data are simulated (said by the caller or by a ``simulated`` column).
    """
    heat_points: np.ndarray | None = None
    if faults is not None:
        faults = _check_gdf(faults, "faults")
        if "simulated" in faults.columns and _bool_column(faults, "simulated").any():
            faults_simulated = True
        fpts = faults.geometry.values
        if not all(g.geom_type == "Point" for g in fpts):
            raise InputError("`faults` must hold Point geometries (one per fault record).")
        if fault_weight_column is not None:
            w = _column(faults, fault_weight_column)
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
    scale = _heat_scale(heat_points[:, :2], heat_points[:, 2])
    data = np.column_stack(
        [
            np.round(heat_points[:, 1], _COORD_DECIMALS),
            np.round(heat_points[:, 0], _COORD_DECIMALS),
            np.round(heat_points[:, 2] / scale, 3),
        ]
    )
    heat_name = t("layer_faults_simulated" if faults_simulated else "layer_faults", ctx.lang)
    # Wrapped in a layer group: the layer control greys out layers whose own
    # ``maxZoom`` is below the current zoom, and Leaflet.heat uses ``maxZoom`` for
    # its intensity scale. The decor script sets it to the fitted zoom.
    heat_factory = (
        f"(function(){{var h=L.heatLayer({_js(data.tolist())},"
        "{radius:18,blur:15,maxZoom:11,minOpacity:0.05});"
        "var g=L.layerGroup([h]);g.heat=h;return g;})()"
    )
    heat_layer = _HeatLayer(heat_factory, name=heat_name, show="faults" not in ctx.hidden)
    m.add_child(heat_layer)
    return heat_layer.get_name(), faults_simulated


def _catchment_layer(
    m: folium.Map, ctx: _Draw, demand: gpd.GeoDataFrame, open_idx: np.ndarray, asg: np.ndarray
) -> None:
    lang = ctx.lang
    catch = catchment_polygons(demand, open_idx, asg)
    c_props = []
    for row in catch.itertuples(index=False):
        s = int(row.site)
        j = int(np.searchsorted(open_idx, s))
        c_props.append(
            {
                "c": _CATCHMENT_COLOURS[j % len(_CATCHMENT_COLOURS)],
                "h": _popup_table(
                    [
                        (t("population_served", lang), _fmt_int(float(row.population))),
                        (t("demand_points", lang), str(int(row.n_demand))),
                    ],
                    title=f"{j + 1}. {ctx.names[s]}",
                ),
            }
        )
    catch_factory = (
        "L.geoJSON("
        + _feature_collection(ctx.shift(np.asarray(catch.geometry.values, dtype=object)), c_props)
        + ",{style:function(f){return {color:f.properties.c,weight:2,fillColor:f.properties.c,"
        "fillOpacity:0.18,className:'planner-catchment'};},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);}})"
    )
    ctx.add(m, catch_factory, "catchments", "layer_catchments")


def _service_layer(
    m: folium.Map,
    ctx: _Draw,
    sites: gpd.GeoDataFrame,
    open_idx: np.ndarray,
    service_areas: gpd.GeoDataFrame | None,
    service_radius_m: float | None,
) -> None:
    """Network service areas of the open centres, else a circle of the service radius."""
    if service_areas is not None:
        sa = _check_gdf(service_areas, "service_areas")
        if "site" not in sa.columns:
            raise InputError(
                "`service_areas` needs a `site` column with the site index of each area."
            )
        sa = sa[sa["site"].isin(open_idx.tolist())]
        sa_factory = (
            "L.geoJSON("
            + _feature_collection(ctx.shift(np.asarray(sa.geometry.values, dtype=object)), None)
            + ",{style:function(){return {color:'#555',weight:1.5,dashArray:'4 4',fill:false,"
            "className:'planner-service'};}})"
        )
        ctx.add(m, sa_factory, "service", "layer_service_areas")
    elif service_radius_m is not None:
        centres_pts = ctx.shift(np.asarray(sites.geometry.values[open_idx], dtype=object))
        radius_factory = (
            "L.geoJSON("
            + _feature_collection(centres_pts, None)
            + ",{pointToLayer:function(f,ll){return L.circle(ll,{radius:"
            + _js(float(service_radius_m))
            + ",color:'#555',weight:1.5,dashArray:'4 4',fill:false,className:'planner-service'});}})"
        )
        name = (
            ctx.layer_name("service", "layer_service_radius") + f" ({service_radius_m / 1000:g} km)"
        )
        m.add_child(_JsLayer(radius_factory, name=name, show="service" not in ctx.hidden))


def _allocation_layer(
    m: folium.Map,
    ctx: _Draw,
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
        + _feature_collection(np.asarray(lines, dtype=object), None)
        + ",{renderer:L.canvas(),style:function(){return {color:'#444',weight:0.7,opacity:0.6};}})"
    )
    ctx.add(m, line_factory, "allocation", "layer_allocation")


def _robustness_layer(
    m: folium.Map, ctx: _Draw, site_pts: np.ndarray, frequency: np.ndarray, is_open: np.ndarray
) -> None:
    """One circle per site chosen in any perturbed draw, growing with its frequency."""
    lang = ctx.lang
    chosen_any = np.flatnonzero(frequency > 0)
    # Most frequent first, so that the small circles are drawn on top of the big ones.
    chosen_any = chosen_any[np.argsort(-frequency[chosen_any], kind="stable")]
    f_sel = frequency[chosen_any]
    f_class = _frequency_class(f_sel)
    f_radius = _frequency_radius(f_sel)
    not_in_plan = f"<br><i>{_esc(t('robustness_not_in_plan', lang))}</i>"
    rob_props = [
        {
            "r": float(f_radius[n]),
            "c": _FREQUENCY_COLOURS[int(f_class[n])],
            "t": f"<b>{_esc(ctx.names[s])}</b><br>"
            + _esc(t("robustness_chosen_in", lang, share=_fmt_frequency(float(f_sel[n]))))
            + ("" if is_open[s] else not_in_plan),
        }
        for n, s in enumerate(chosen_any.tolist())
    ]
    rob_factory = (
        "L.geoJSON("
        + _feature_collection(site_pts[chosen_any], rob_props)
        + ",{pointToLayer:function(f,ll){var p=f.properties;return L.circleMarker(ll,"
        "{radius:p.r,color:'#2d004b',weight:1.5,opacity:0.9,fillColor:p.c,fillOpacity:0.85,"
        "className:'planner-robustness'});},"
        "onEachFeature:function(f,l){l.bindTooltip(f.properties.t);}})"
    )
    ctx.add(m, rob_factory, "robustness", "layer_robustness")


def _candidate_layer(m: folium.Map, ctx: _Draw, site_pts: np.ndarray, cand_idx: np.ndarray) -> None:
    cand_props = [
        {"h": _popup_table([(t("category", ctx.lang), ctx.cats[i])], title=ctx.names[i])}
        for i in cand_idx.tolist()
    ]
    cand_factory = (
        "L.geoJSON("
        + _feature_collection(site_pts[cand_idx], cand_props)
        + ",{pointToLayer:function(f,ll){return L.circleMarker(ll,{radius:3,color:'#666',weight:1,"
        "fillColor:'#fff',fillOpacity:0.9,className:'planner-candidate'});},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);}})"
    )
    ctx.add(m, cand_factory, "candidates", "layer_candidates")


def _existing_layer(
    m: folium.Map, ctx: _Draw, site_pts: np.ndarray, ex_idx: np.ndarray, is_open: np.ndarray
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
        + _feature_collection(site_pts[ex_idx], ex_props)
        + ",{pointToLayer:function(f,ll){var k=f.properties.k;return L.circleMarker(ll,{radius:k?13:7,"
        f"color:k?'{_KEPT_COLOUR}':'{_CLOSED_COLOUR}',weight:k?2.5:2,dashArray:k?null:'3 2',"
        f"fillColor:'{_CLOSED_COLOUR}',fillOpacity:k?0:0.35,"
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


def _centre_loads(
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


def _centre_layer(
    m: folium.Map,
    ctx: _Draw,
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
            (t("population_served", lang), _fmt_int(float(loads.population[j]))),
        ]
        if loads.faults is not None:
            rows_.append((t("fault_load", lang), _fmt(float(loads.faults[j]))))
        if loads.capacity_used is not None and math.isfinite(loads.capacity_used[j]):
            rows_.append((t("capacity_used", lang), _fmt_share(float(loads.capacity_used[j]))))
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
                "t": _esc(f"{j + 1}. {ctx.names[s]}"),
                "h": _popup_table(rows_, title=f"{j + 1}. {ctx.names[s]}"),
            }
        )
    ch_factory = (
        "L.geoJSON("
        + _feature_collection(site_pts[open_idx], ch_props)
        + ",{pointToLayer:function(f,ll){var p=f.properties;return L.marker(ll,{icon:L.divIcon({"
        "className:'planner-centre '+(p.k?'planner-centre-kept':'planner-centre-new'),"
        "html:'<div>'+p.n+'</div>',iconSize:[24,24],iconAnchor:[12,12],popupAnchor:[0,-12]}),"
        "riseOnHover:true,zIndexOffset:1000});},"
        "onEachFeature:function(f,l){l.bindPopup(f.properties.h);l.bindTooltip(f.properties.t);}})"
    )
    ctx.add(m, ch_factory, "centres", "layer_chosen")


def _decor_js(
    title: str,
    legend: str,
    panel: str,
    attributions: list[str],
    bounds: list[list[float]],
    heat_var: str | None,
) -> str:
    """Title, legend and KPI boxes, attributions, the fitted view and the heat disc size."""
    return (
        "var d=L.DomUtil.create('div','planner-title',map.getContainer());d.innerHTML="
        + _js(_esc(title))
        + ";"
        "function box(pos,cls,h){var c=L.control({position:pos});c.onAdd=function(){"
        "var e=L.DomUtil.create('div','planner-box '+cls);e.innerHTML=h;"
        "L.DomEvent.disableClickPropagation(e);L.DomEvent.disableScrollPropagation(e);return e;};"
        "c.addTo(map);return c;}"
        "box('bottomright','planner-legend',"
        + _js(legend)
        + ");"
        + ("box('bottomleft','planner-kpi-panel'," + _js(panel) + ");" if panel else "")
        + "".join(f"map.attributionControl.addAttribution({_js(a)});" for a in attributions)
        + f"map.fitBounds({_js(bounds)},{{padding:[20,20],animate:false}});"
        + (
            # Disc size follows the data's size on screen, to match _heat_scale's grid.
            f"(function(h){{var b=L.latLngBounds({_js(bounds)}),"
            "a=map.latLngToContainerPoint(b.getSouthWest()),"
            "c=map.latLngToContainerPoint(b.getNorthEast()),"
            "r=Math.max(4,Math.min(40,Math.max(Math.abs(c.x-a.x),Math.abs(c.y-a.y))/50));"
            f"h.setOptions({{radius:r,blur:0.8*r,maxZoom:map.getZoom()}});}})({heat_var}.heat);"
            if heat_var
            else ""
        )
    )


def _present_layers(has_heat: bool, has_cand: bool, has_existing: bool) -> set[str]:
    present = {"population", "catchments", "centres", "allocation", "service"}
    if has_heat:
        present.add("faults")
    if has_cand:
        present.add("candidates")
    if has_existing:
        present.add("existing")
    return present


def _legend_html(
    lang: str,
    breaks: list[float],
    density_unit: str,
    has_heat: bool,
    has_cand: bool,
    has_existing: bool,
    warnings_html: list[str],
    *,
    has_frequency: bool = False,
) -> str:
    parts = [f"<h4>{_esc(t('legend', lang))}</h4>"]
    parts.append(f"<div><b>{_esc(t('layer_population', lang))}</b> ({_esc(density_unit)})</div>")
    edges = [0.0, *breaks]
    for i, lo in enumerate(edges):
        hi = edges[i + 1] if i + 1 < len(edges) else None
        label = f"{_fmt_int(lo)} – {_fmt_int(hi)}" if hi is not None else f"≥ {_fmt_int(lo)}"
        colour = _DENSITY_COLOURS[min(i, len(_DENSITY_COLOURS) - 1)]
        parts.append(
            f'<div><span class="planner-swatch" style="background:{colour}"></span>{_esc(label)}</div>'
        )
    parts.append(
        f'<div><span class="planner-sym" style="color:{_NEW_COLOUR}">&#9632;</span>'
        f"{_esc(t('legend_new_centre', lang))}</div>"
    )
    if has_existing:
        parts.append(
            f'<div><span class="planner-sym" style="color:{_KEPT_COLOUR}">&#9632;</span>'
            f"{_esc(t('legend_kept_centre', lang))}</div>"
            f'<div><span class="planner-sym" style="color:{_CLOSED_COLOUR}">&#9676;</span>'
            f"{_esc(t('legend_closed_centre', lang))}</div>"
        )
    if has_cand:
        parts.append(
            f'<div><span class="planner-sym" style="color:#666">&#9675;</span>'
            f"{_esc(t('legend_candidate', lang))}</div>"
        )
    parts.append(
        f'<div><span class="planner-swatch" style="background:rgba(31,120,180,0.25);'
        f'border-color:#1f78b4"></span>{_esc(t("layer_catchments", lang))}</div>'
    )
    if has_heat:
        parts.append(
            '<div><span class="planner-swatch" style="background:linear-gradient(90deg,blue,lime,'
            f'yellow,red)"></span>{_esc(t("legend_heat", lang))}</div>'
        )
    if has_frequency:
        parts.append(
            f'<div class="planner-freq-title"><b>{_esc(t("layer_robustness", lang))}</b> '
            f"({_esc(t('legend_robustness', lang))})</div>"
        )
        dots = []
        for k, (colour, label) in enumerate(
            zip(_FREQUENCY_COLOURS, _FREQUENCY_LABELS, strict=True)
        ):
            size = 8 + 2 * k  # grows like the circles on the map
            dots.append(
                f'<span class="planner-freq-item"><span class="planner-dot" style="width:{size}px;'
                f'height:{size}px;background:{colour}"></span>{_esc(label)}</span>'
            )
        parts.append(f'<div class="planner-freq">{"".join(dots)}</div>')
    for w in warnings_html:
        parts.append(f'<div class="planner-warning">&#9888; {_esc(w)}</div>')
    return "".join(parts)


def _kpi_panel_html(
    lang: str,
    kpis: PlanKPIs | None,
    baseline: PlanKPIs | None,
    travel_note: str | None,
    asg_note: str | None,
) -> str:
    if kpis is None and not travel_note:
        return ""
    parts = [f"<h4>{_esc(t('kpi_panel_title', lang))}</h4>"]
    if kpis is not None:
        a = kpis.summary()
        b = baseline.summary() if baseline is not None else None
        keys = ["n_centres", "mean_minutes", "p90_minutes", "max_minutes"]
        first = kpis.standards.service_minutes[0] if kpis.standards.service_minutes else None
        if first is not None:
            keys += [f"within_{first:g}min_share"]
            if a.get(f"within_{first:g}min_share_65plus") is not None:
                keys += [f"within_{first:g}min_share_65plus"]
        keys += ["zone_standard_share"]
        if a.get("faults_within_response_share") is not None:
            keys += ["faults_within_response_share"]
        if (a.get("unserved_share") or 0.0) > 0:
            keys += ["unserved_share"]
        head = f"<tr><th></th><th>{_esc(t('kpi_plan', lang))}</th>"
        if b is not None:
            head += f"<th>{_esc(t('kpi_baseline', lang))}</th>"
        head += "</tr>"
        rows = []
        for key in keys:
            cells = [_esc(kpi_label(key, lang)), _fmt_kpi(key, a.get(key))]
            if b is not None:
                cells.append(_fmt_kpi(key, b.get(key)))
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append(f"<table>{head}{''.join(rows)}</table>")
    if travel_note:
        parts.append(f'<div class="planner-note">{_esc(travel_note)}</div>')
    if asg_note:
        parts.append(f'<div class="planner-note">{_esc(asg_note)}</div>')
    return "".join(parts)


def _fmt_kpi(key: str, value: float | None) -> str:
    if value is None:
        return "–"
    if "share" in key:
        return _fmt_share(value)
    if key == "n_centres":
        return str(int(value))
    return _fmt(value, 1)


def travel_note_text(travel: TravelMatrix, language: str = "zh") -> str:
    """How travel was measured, in ``language``, for the map's KPI panel and reports.

    Straight-line travel gets the translated note (detour factor and speed, "no road
    network"); network travel keeps ``travel.note``.
    """
    lang = check_language(language)
    if travel.method == "straight_line" and travel.detour_factor is not None:
        return t(
            "note_straight_line",
            lang,
            detour=f"{travel.detour_factor:g}",
            speed=f"{(travel.speed_kmh or 0.0):g}",
        )
    return travel.note


# --------------------------------------------------------------------------------------
# standalone HTML


def asset_files() -> dict[str, Path]:
    """The vendored asset files, keyed by their path under ``planner/static``."""
    return {rel: _STATIC / rel for _, rel in _ASSET_RULES}


def _asset_for(url: str) -> str | None:
    for pattern, rel in _ASSET_RULES:
        if pattern.search(url):
            return rel
    return None


@lru_cache(maxsize=8)
def _inline_asset(rel: str) -> str:
    path = _STATIC / rel
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"^\s*//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    if rel.endswith(".css"):

        def _data_uri(match: re.Match[str]) -> str:
            ref = match.group(1).strip("'\"")
            img = path.parent / ref
            if not img.is_file():
                return match.group(0)
            encoded = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{encoded})"

        text = re.sub(r"url\(([^)#]+\.png)\)", _data_uri, text)
        return f"<style>/* {rel} (vendored, see VENDORED.md) */\n{text}</style>"
    # "</script" inside inlined JS would end the element early.
    text = text.replace("</script", "<\\/script")
    return f"<script>/* {rel} (vendored, see VENDORED.md) */\n{text}</script>"


_SCRIPT_TAG = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>', re.IGNORECASE)
_CSS_TAG = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>', re.IGNORECASE)
_EXTERNAL = re.compile(
    r'<(?:script|link)\b[^>]*(?:src|href)\s*=\s*["\']?(?:https?:)?//[^"\'\s>]+', re.IGNORECASE
)


def map_html(m: folium.Map) -> str:
    """The map as one standalone HTML page with every script and stylesheet inlined.

    Parameters
    ----------
    m
        A map from :func:`plan_map` (or any folium map using only Leaflet and
        Leaflet.heat).

    Returns
    -------
    str
        The HTML. It loads nothing from the internet except background tiles.

    Raises
    ------
    planner.errors.InputError
        If the map needs a script or stylesheet that is not vendored (it would be
        blank offline); the message names the URL.
    """
    page = m.get_root().render()

    def _replace(match: re.Match[str]) -> str:
        url = match.group(1)
        rel = _asset_for(url)
        if rel is None:
            raise InputError(
                f"the map loads {url!r}, which is not vendored in planner/static, so it would "
                "not work offline; remove that plugin or vendor it (see planner/present/static/VENDORED.md)."
            )
        return _inline_asset(rel)

    page = _SCRIPT_TAG.sub(_replace, page)
    page = _CSS_TAG.sub(_replace, page)
    leftover = _EXTERNAL.search(page)
    if leftover:
        raise InputError(
            f"the map still references an outside resource ({leftover.group(0)[:120]!r}); "
            "it would not work offline."
        )
    return page


def _atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder, then rename."""
    path = Path(path)
    if not path.parent.is_dir():
        raise InputError(f"cannot write {str(path)!r}: folder {str(path.parent)!r} does not exist.")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        # mkstemp makes the file private (0600); give it the usual mode of a document.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_map_html(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map as a standalone, offline-safe ``map.html`` (atomically).

    Parameters
    ----------
    m
        The map (see :func:`plan_map`).
    path
        Output file; its folder must exist. Written to a temporary file first, so a
        failure never leaves half a file.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    out = Path(path)
    page = map_html(m)
    _atomic_write_text(out, page)
    return out


def point_assets_to(m: folium.Map, base_url: str) -> folium.Map:
    """Point the map's script and stylesheet links at locally served copies.

    For ``streamlit_folium.st_folium``, which loads ``default_js``/``default_css`` by
    URL: serve ``planner/static`` (e.g. Streamlit static file serving, copied to
    ``./static``) and call ``point_assets_to(m, "app/static/")``.

    Parameters
    ----------
    m
        The map; changed in place and returned.
    base_url
        URL prefix under which the files of :func:`asset_files` are served.

    Returns
    -------
    folium.Map
        ``m``.
    """
    prefix = base_url if base_url.endswith("/") else base_url + "/"

    def _walk(element: Any) -> None:
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if links:
                new = []
                for name, url in links:
                    rel = _asset_for(url)
                    new.append((name, prefix + rel if rel else url))
                setattr(element, attr, new)
        for child in getattr(element, "_children", {}).values():
            _walk(child)

    _walk(m)
    return m
