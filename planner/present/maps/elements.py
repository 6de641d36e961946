"""Building blocks of the plan maps: layer keys and colours, escaping and number
formats, GeoJSON feature collections, and the folium elements the maps draw with
(one template pass, so user text is never compiled as a template)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.map import ElementAddToElement, Layer
from folium.map import LayerControl as _FoliumLayerControl
from folium.template import Template

from planner.present.i18n import t
from planner.present.maps.offline import HEAT_JS_URL
from planner.sanitize import html_text

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
LAYER_LABELS: Final[Mapping[str, str]] = {
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

DENSITY_COLOURS: Final = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
CATCHMENT_COLOURS: Final = (
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
FREQUENCY_COLOURS: Final = ("#9ebcda", "#8c96c6", "#8c6bb1", "#88419d", "#6e016b")
FREQUENCY_LABELS: Final = ("< 20%", "20–40%", "40–60%", "60–80%", "≥ 80%")
NEW_COLOUR: Final = "#c0392b"
KEPT_COLOUR: Final = "#1f4e9c"
CLOSED_COLOUR: Final = "#222222"  # dark and dashed: never read as a (grey) candidate
COORD_DECIMALS: Final = 5  # about 1 m: plenty for display, keeps map.html small


# --------------------------------------------------------------------------------------
# JSON / HTML helpers


def js_literal(value: Any) -> str:
    """JSON for embedding inside <script>: no '<', '>' or '&' can end the script."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def esc(value: Any) -> str:
    """HTML text (braces as character references too: see :func:`planner.sanitize.html_text`)."""
    return html_text(value)


def fmt_int(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.0f}"


def fmt_number(value: float | None, digits: int = 1) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.{digits}f}"


def fmt_share(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{100.0 * value:.1f}%"


def feature_collection(geoms: np.ndarray, props: Sequence[Mapping[str, Any]] | None) -> str:
    """A GeoJSON FeatureCollection string, coordinates rounded for display."""
    if geoms.size == 0:
        return '{"type":"FeatureCollection","features":[]}'
    rounded = shapely.transform(geoms, lambda xy: np.round(xy, COORD_DECIMALS))
    parts = shapely.to_geojson(rounded)
    if props is None:
        body = ",".join(f'{{"type":"Feature","geometry":{g},"properties":{{}}}}' for g in parts)
    else:
        body = ",".join(
            f'{{"type":"Feature","geometry":{g},"properties":{js_literal(dict(p))}}}'
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


class JsLayer(Layer):
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


class HeatLayer(JSCSSMixin, JsLayer):
    """Leaflet.heat layer (plugin loaded from its CDN URL, inlined by :func:`map_html`)."""

    default_js = [("leaflet_heat", HEAT_JS_URL)]  # noqa: RUF012 (folium's class attribute)


class DecorElement(MacroElement):
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


class PlainLayerControl(_FoliumLayerControl):
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


MAP_CSS = """
.planner-title { position: absolute; top: 10px; left: 54px; z-index: 1000; background: rgba(255,255,255,0.92); padding: 6px 14px; border-radius: 4px;
  font: bold 17px/1.3 "Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); pointer-events: none; max-width: 45%; }
.planner-box { background: rgba(255,255,255,0.94); padding: 8px 10px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 "Noto Sans CJK SC","Microsoft YaHei",
  "PingFang SC",sans-serif; max-width: 320px; }
.planner-box h4 { margin: 0 0 4px 0; font-size: 13px; }
.planner-fold { float: right; margin: -4px -6px 0 6px; border: 1px solid #bbb; border-radius: 3px;
  background: #fff; cursor: pointer; font: 12px/1.2 sans-serif; padding: 1px 6px; }
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
.planner-attribution-short { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.planner-attribution-short:hover { white-space: normal; }
@media print { .leaflet-control-zoom, .leaflet-control-layers, .planner-fold { display: none; } }
@media (max-height: 560px) {
  .planner-box { font-size: 10px; line-height: 1.2; padding: 4px 6px; max-width: 230px; }
  .planner-box h4 { font-size: 11px; margin-bottom: 2px; }
  .planner-title { font-size: 14px; padding: 3px 10px; }
}
"""


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


def site_names(sites: gpd.GeoDataFrame, lang: str) -> list[str]:
    other = "en" if lang == "zh" else "zh"
    ids = (
        [str(v) for v in sites["site_id"].tolist()]
        if "site_id" in sites.columns
        else [str(i) for i in range(len(sites))]
    )
    return _text_column(sites, [f"name_{lang}", "name", f"name_{other}"], ids)


def site_categories(sites: gpd.GeoDataFrame, lang: str) -> list[str]:
    """Each site's category in ``lang``; today's centres without one are "existing centre"."""
    other = "en" if lang == "zh" else "zh"
    existing = bool_column(sites, "existing")
    none = [t("category_existing", lang) if e else "" for e in existing]
    return _text_column(sites, [f"category_{lang}", "category", f"category_{other}"], none)


def bool_column(df: pd.DataFrame, name: str) -> np.ndarray:
    if name not in df.columns:
        return np.zeros(len(df), dtype=bool)
    return df[name].fillna(False).astype(bool).to_numpy()
