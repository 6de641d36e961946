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

For the Streamlit app: ``st.iframe(map_html(m))`` shows the map fully offline.
``streamlit_folium.st_folium(m)`` (a map that reports clicks) loads the scripts and
stylesheets named in ``m.default_js``/``default_css`` by URL, CDN copies by default;
:func:`inline_assets` puts the vendored files themselves in those links (``data:``
URLs), so it too draws with no internet and no file server.

The package, by idea: :mod:`~planner.present.maps.plan` (the map), ``layers`` (its
folium layers), ``decor`` (legend, KPI panel), ``elements`` (colours, escaping, folium
elements), ``basemaps`` (tile services, GCJ-02 display shift) and ``offline`` (the
inliner). Catchment geometry lives in :mod:`planner.evaluate.catchments`.
"""

from __future__ import annotations

from planner.evaluate.catchments import catchment_polygons
from planner.present.maps.basemaps import BASEMAPS, BaseMap, tianditu_basemap
from planner.present.maps.decor import travel_note_text
from planner.present.maps.elements import LAYER_KEYS
from planner.present.maps.offline import (
    LEAFLET_HEAT_VERSION,
    LEAFLET_VERSION,
    asset_files,
    inline_assets,
    map_html,
    save_map_html,
)
from planner.present.maps.plan import base_map, plan_map

__all__ = [
    "BASEMAPS",
    "LAYER_KEYS",
    "LEAFLET_HEAT_VERSION",
    "LEAFLET_VERSION",
    "BaseMap",
    "asset_files",
    "base_map",
    "catchment_polygons",
    "inline_assets",
    "map_html",
    "plan_map",
    "save_map_html",
    "tianditu_basemap",
    "travel_note_text",
]
