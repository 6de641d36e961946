"""Base maps (tile services with their datum) and the display shift that puts WGS 84
points on GCJ-02 base maps."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import shapely

from planner.errors import ConfigError
from planner.inputs.datums import wgs84_to_gcj02
from planner.present.i18n import check_language

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


def resolve_basemap(basemap: str | BaseMap | Mapping[str, Any] | None) -> BaseMap | None:
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
# the map


def display_shifter(datum: str) -> Any:
    if datum == "gcj02":

        def shift(geoms: np.ndarray) -> np.ndarray:
            def _xy(xy: np.ndarray) -> np.ndarray:
                lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
                return np.column_stack([lon, lat])

            return np.asarray(shapely.transform(geoms, _xy), dtype=object)

        return shift
    return lambda geoms: np.asarray(geoms, dtype=object)
