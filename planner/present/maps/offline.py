"""Standalone, offline-safe HTML for folium maps: Leaflet and its plugins inlined from
the vendored copies in ``planner/present/static/`` (see ``VENDORED.md``), in the page
(:func:`map_html`) or in the map's links as ``data:`` URLs (:func:`inline_assets`, for
``streamlit_folium``)."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import folium

from planner.errors import InputError
from planner.files import atomic_write_text

#: Vendored versions (see planner/present/static/VENDORED.md).
LEAFLET_VERSION: Final = "1.9.4"
LEAFLET_HEAT_VERSION: Final = "0.2.0"

_STATIC = Path(__file__).resolve().parent.parent / "static"
LEAFLET_JS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.js"
LEAFLET_CSS_URL = f"https://cdn.jsdelivr.net/npm/leaflet@{LEAFLET_VERSION}/dist/leaflet.css"
HEAT_JS_URL = (
    f"https://cdn.jsdelivr.net/npm/leaflet.heat@{LEAFLET_HEAT_VERSION}/dist/leaflet-heat.js"
)

#: Known asset URLs (folium's or ours, any version) -> vendored file under planner/present/static.
_ASSET_RULES: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.js$"), "leaflet/leaflet.js"),
    (re.compile(r"/leaflet(@[^/]+)?/dist/leaflet\.css$"), "leaflet/leaflet.css"),
    (re.compile(r"leaflet[._-]heat(\.min)?\.js$"), "leaflet.heat/leaflet-heat.js"),
)


# --------------------------------------------------------------------------------------
# standalone HTML


def asset_files() -> dict[str, Path]:
    """The vendored asset files, keyed by their path under ``planner/present/static``."""
    return {rel: _STATIC / rel for _, rel in _ASSET_RULES}


def _asset_for(url: str) -> str | None:
    for pattern, rel in _ASSET_RULES:
        if pattern.search(url):
            return rel
    return None


@lru_cache(maxsize=8)
def _asset_text(rel: str) -> str:
    """A vendored file's text, ready to inline: no source-map comment, CSS images as data URIs."""
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
    return f"/* {rel} (vendored, see VENDORED.md) */\n{text}"


def _inline_asset(rel: str) -> str:
    text = _asset_text(rel)
    if rel.endswith(".css"):
        return f"<style>{text}</style>"
    # "</script" inside inlined JS would end the element early.
    text = text.replace("</script", "<\\/script")
    return f"<script>{text}</script>"


@lru_cache(maxsize=8)
def _asset_data_url(rel: str) -> str:
    mime = "text/css" if rel.endswith(".css") else "text/javascript"
    encoded = base64.b64encode(_asset_text(rel).encode("utf-8")).decode("ascii")
    return f"data:{mime};charset=utf-8;base64,{encoded}"


def _not_vendored(url: str) -> InputError:
    return InputError(
        f"the map loads {url!r}, which is not vendored in planner/present/static, so it would "
        "not work offline; remove that plugin or vendor it (see planner/present/static/VENDORED.md)."
    )


_SCRIPT_TAG = re.compile(r'<script\s+src="([^"]+)"\s*>\s*</script>', re.IGNORECASE)
_CSS_TAG = re.compile(r'<link\s+rel="stylesheet"\s+href="([^"]+)"\s*/?>', re.IGNORECASE)
_EXTERNAL = re.compile(
    r'<(?:script|link)\b[^>]*(?:src|href)\s*=\s*["\']?(?:https?:)?//[^"\'\s>]+', re.IGNORECASE
)


def _elements(element: Any, seen: dict[int, Any]) -> Iterator[Any]:
    """Every element under ``element`` (the figure's header, body and script too), in tree order."""
    if id(element) in seen:
        return
    seen[id(element)] = element
    yield element
    for part in ("header", "html", "script"):
        sub = getattr(element, part, None)
        if sub is not None and hasattr(sub, "_children"):
            yield from _elements(sub, seen)
    for child in getattr(element, "_children", {}).values():
        yield from _elements(child, seen)


_ELEMENT_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(m: folium.Map, page: str) -> str:
    """``page`` (rendered from ``m``) with folium's random element ids numbered instead.

    folium names each element ``<kind>_<32 random hex digits>`` (``os.urandom``), so
    the same map rendered twice differed in every name. Each id of an element of the
    map's tree is replaced by one derived from its place in the tree: the same map
    gives the same bytes, whoever renders it (the run folder, the app's download).
    Call it after rendering: rendering adds elements.
    """
    renamed: dict[str, str] = {}
    for k, element in enumerate(_elements(m.get_root(), {})):
        old = getattr(element, "_id", None)
        if isinstance(old, str) and old not in renamed:
            renamed[old] = hashlib.sha256(f"planner-map-element-{k}".encode()).hexdigest()[:32]
    return _ELEMENT_ID.sub(lambda match: renamed.get(match.group(0), match.group(0)), page)


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
        The HTML. It loads nothing from the internet except background tiles. The same
        map gives the same page (element ids numbered, :func:`stable_ids`).

    Raises
    ------
    planner.errors.InputError
        If the map needs a script or stylesheet that is not vendored (it would be
        blank offline); the message names the URL.
    """
    page = stable_ids(m, m.get_root().render())

    def _replace(match: re.Match[str]) -> str:
        url = match.group(1)
        rel = _asset_for(url)
        if rel is None:
            raise _not_vendored(url)
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
    atomic_write_text(out, page)
    return out


def inline_assets(m: folium.Map) -> folium.Map:
    """Make the map's script and stylesheet links the vendored files themselves (``data:`` URLs).

    For ``streamlit_folium.st_folium``, which loads ``default_js``/``default_css`` by URL
    inside its component: with the files in the links, the map draws with no CDN and no
    file server (an intranet without internet), like :func:`map_html`'s pages.

    Parameters
    ----------
    m
        The map; changed in place and returned.

    Returns
    -------
    folium.Map
        ``m``.

    Raises
    ------
    planner.errors.InputError
        If the map needs a script or stylesheet that is not vendored; the message names
        the URL.
    """

    def _walk(element: Any) -> None:
        for attr in ("default_js", "default_css"):
            links = getattr(element, attr, None)
            if links:
                new = []
                for name, url in links:
                    rel = _asset_for(url)
                    if rel is None:
                        raise _not_vendored(url)
                    new.append((name, _asset_data_url(rel)))
                setattr(element, attr, new)
        for child in getattr(element, "_children", {}).values():
            _walk(child)

    _walk(m)
    return m
