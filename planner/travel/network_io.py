"""Readers of road networks for :mod:`planner.travel.road_network` (private).

Each reader returns a :class:`RawGraph`: node coordinates in EPSG:4326 and
directed arcs (a two-way road is two arcs, a one-way road one arc in its legal
direction) with length, ``highway`` class and numeric ``maxspeed``. The public
:func:`planner.travel.road_network.read_road_network` validates and projects it.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import NamedTuple

import numpy as np

from planner.errors import DataError, OptionalDependencyError
from planner.travel.speeds import parse_maxspeed, parse_oneway, split_classes

_GRAPHML_NS = "{http://graphml.graphdrawing.org/xmlns}"
_EARTH_RADIUS_M = 6_371_009.0  # as OSMnx
#: GraphML attributes the reader keeps (coordinates; what routing and speeds read): an
#: OSMnx file also carries names, OSM ids and geometry text, most of its size.
_NODE_ATTRIBUTES = frozenset({"x", "lon", "longitude", "y", "lat", "latitude"})
_EDGE_ATTRIBUTES = frozenset({"length", "highway", "maxspeed", "oneway"})


class RawGraph(NamedTuple):
    """A road graph as read from a file, before projection and speeds."""

    node_id: np.ndarray  # str
    lon: np.ndarray
    lat: np.ndarray
    edge_from: np.ndarray  # int64 node index
    edge_to: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray  # str, classes joined with ";"
    maxspeed_kmh: np.ndarray  # NaN where absent
    oneway: np.ndarray  # bool: this arc belongs to a one-way road
    source_crs: str
    note: str


def haversine_m(
    lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray
) -> np.ndarray:
    """Great-circle distance in metres between lon/lat degree arrays."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def metric_crs_for_lonlat(lon: float, lat: float) -> str:
    """The WGS 84 / UTM zone (``"EPSG:326zz"`` or ``"EPSG:327zz"``) containing ``lon, lat``."""
    zone = int(min(max(math.floor((lon + 180.0) / 6.0) + 1, 1), 60))
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _to_lonlat(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    from pyproj import CRS, Transformer

    from planner.inputs.file_checks import check_crs_files

    src = CRS.from_user_input(crs)
    check_crs_files(src, where="road network")
    if src.is_geographic and src.equals(CRS.from_epsg(4326), ignore_axis_order=True):
        return x, y
    tr = Transformer.from_crs(src, "EPSG:4326", always_xy=True)
    lon, lat = tr.transform(x, y)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _arcs_from_direction(
    u: np.ndarray, v: np.ndarray, direction: np.ndarray, *cols: np.ndarray
) -> tuple[np.ndarray, ...]:
    """Arcs for edges u-v: direction 0 gives u->v and v->u, 1 gives u->v, -1 gives v->u."""
    fwd = direction >= 0
    bwd = direction <= 0
    src = np.concatenate([u[fwd], v[bwd]])
    dst = np.concatenate([v[fwd], u[bwd]])
    rest = tuple(np.concatenate([c[fwd], c[bwd]]) for c in cols)
    return (src, dst, *rest)


# --------------------------------------------------------------------------- GraphML


def read_graphml(path: Path, crs: str | None) -> RawGraph:
    """Stream-parse an OSMnx-style GraphML file (nodes with ``x``/``y``, edges with ``length``).

    Each node and edge leaves the XML tree as soon as it is read, and only the attributes
    in ``_NODE_ATTRIBUTES`` / ``_EDGE_ATTRIBUTES`` are kept, in columns: memory grows with
    the network, not with the file's names and geometry text (``networkx.read_graphml``
    holds the whole XML tree and a dict per edge; see docs/architecture.md).
    """
    keys: dict[str, tuple[str, str]] = {}
    graph_data: dict[str, str] = {}
    node_ids: list[str] = []
    node_cols: dict[str, list[str | None]] = {name: [] for name in _NODE_ATTRIBUTES}
    edge_ends: tuple[list[str], list[str]] = ([], [])
    edge_cols: dict[str, list[str | None]] = {name: [] for name in _EDGE_ATTRIBUTES}
    edge_default = "directed"
    graph: ET.Element | None = None
    current: dict[str, str] | None = None
    try:
        for event, elem in ET.iterparse(path, events=("start", "end")):
            tag = elem.tag.removeprefix(_GRAPHML_NS)
            if event == "start":
                if tag == "graph" and graph is None:
                    graph = elem
                    edge_default = elem.get("edgedefault", "directed")
                elif tag in ("node", "edge"):
                    current = {}
                continue
            if tag == "key":
                keys[elem.get("id", "")] = (elem.get("for", ""), elem.get("attr.name", ""))
            elif tag == "data":
                name = keys.get(elem.get("key", ""), ("", elem.get("key", "")))[1]
                if current is None:
                    graph_data[name] = elem.text or ""
                else:
                    current[name] = elem.text or ""
            elif tag in ("node", "edge"):
                attrs = current or {}
                if tag == "node":
                    node_ids.append(elem.get("id", ""))
                    cols = node_cols
                else:
                    edge_ends[0].append(elem.get("source", ""))
                    edge_ends[1].append(elem.get("target", ""))
                    cols = edge_cols
                for name, col in cols.items():
                    col.append(attrs.get(name))
                current = None
                if graph is not None:
                    graph.clear()  # what was read leaves the tree
    except ET.ParseError as exc:
        raise DataError(
            f"Road network file {path} is not valid GraphML/XML ({exc}); save the graph with "
            "osmnx.save_graphml or pass a .osm.pbf extract or a line layer instead."
        ) from None
    if graph is None:
        raise DataError(
            f"Road network file {path} holds no <graph> element: it is XML but not GraphML. "
            "Save the graph with osmnx.save_graphml."
        )
    if not node_ids or not edge_ends[0]:
        raise DataError(
            f"Road network file {path} has {len(node_ids)} nodes and {len(edge_ends[0])} edges; "
            "a road network needs both. Check that the download covered the study area."
        )
    xs = _coord(node_cols, ("x", "lon", "longitude"), path)
    ys = _coord(node_cols, ("y", "lat", "latitude"), path)
    index = {nid: i for i, nid in enumerate(node_ids)}
    try:
        u, v = (np.array([index[n] for n in ends], dtype=np.int64) for ends in edge_ends)
    except KeyError as exc:
        raise DataError(
            f"Road network file {path} has an edge to node {exc.args[0]!r}, which is not "
            "declared as a <node>; the file is truncated or corrupt."
        ) from None
    del index, edge_ends
    source_crs = crs or graph_data.get("crs") or "EPSG:4326"
    lon, lat = _to_lonlat(xs, ys, source_crs)
    length = np.array([_float(t) for t in edge_cols["length"]], dtype=np.float64)
    missing = ~np.isfinite(length)
    if missing.any():
        length[missing] = haversine_m(
            lon[u[missing]], lat[u[missing]], lon[v[missing]], lat[v[missing]]
        )
    highway = np.array([";".join(split_classes(t)) for t in edge_cols["highway"]])
    maxspeed = np.array([parse_maxspeed(t) for t in edge_cols["maxspeed"]], dtype=np.float64)
    direction = np.array([parse_oneway(t) for t in edge_cols["oneway"]], dtype=np.int64)
    if edge_default == "undirected":
        u, v, length, highway, maxspeed, oneflag = _arcs_from_direction(
            u, v, direction, length, highway, maxspeed, direction != 0
        )
    else:
        # OSMnx stores a two-way road as two arcs and a one-way road as one arc in its legal
        # direction: the arcs are already what a vehicle may use.
        oneflag = direction != 0
    creator = graph_data.get("created_with", "GraphML")
    return RawGraph(
        np.array(node_ids),
        lon,
        lat,
        u,
        v,
        length,
        highway,
        maxspeed,
        oneflag.astype(bool),
        source_crs,
        f"{path.name} ({creator})",
    )


def _float(value: str | None) -> float:
    try:
        return float(value) if value is not None else np.nan
    except ValueError:
        return np.nan


def _coord(columns: dict[str, list[str | None]], names: tuple[str, ...], path: Path) -> np.ndarray:
    """The first of ``names`` the first node carries, as floats for every node."""
    name = next((n for n in names if columns[n][0] is not None), None)
    if name is None:
        raise DataError(
            f"Road network file {path}: nodes carry no coordinate attribute (looked for "
            f"{', '.join(names)}); save the graph with osmnx.save_graphml, which writes x/y."
        )
    values = np.array([_float(t) for t in columns[name]], dtype=np.float64)
    if not np.isfinite(values).all():
        raise DataError(
            f"Road network file {path}: {int((~np.isfinite(values)).sum())} nodes lack a numeric "
            f"{name!r} coordinate; the file is incomplete."
        )
    return values


# --------------------------------------------------------------------------- line layers


def read_lines(path: Path, layer: str | None, crs: str | None) -> RawGraph:
    """Read a line layer; nodes are line endpoints that coincide within 0.5 m."""
    import geopandas as gpd
    import pyogrio
    import shapely

    from planner.inputs.file_checks import ROAD_DRIVERS, gdal_local_only, gdal_open_options

    gdal_local_only()
    options = gdal_open_options(path)
    try:
        driver = str(pyogrio.read_info(path, layer=layer, **options).get("driver"))
        if driver not in ROAD_DRIVERS:
            raise DataError(
                f"Road network file {path}: GDAL reads it as {driver!r}, which is not a line "
                f"layer format the planner reads ({', '.join(sorted(ROAD_DRIVERS))})."
            )
        gdf = gpd.read_file(path, layer=layer, **options)
    except DataError:
        raise
    except Exception as exc:  # pyogrio raises several error types for unreadable data
        raise DataError(
            f"Road network file {path} (layer {layer!r}) could not be read as a line layer: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    if gdf.crs is None:
        if crs is None:
            raise DataError(
                f"Road network layer {path} has no CRS; pass crs= (e.g. crs='EPSG:4326' or "
                "crs='EPSG:4547' for CGCS2000 / 3-degree Gauss-Kruger 114E)."
            )
        gdf = gdf.set_crs(crs)
    from planner.inputs.file_checks import check_crs_files

    check_crs_files(gdf.crs, where=f"Road network layer {path}")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    gdf = gdf.explode(index_parts=False)
    kinds = set(gdf.geometry.geom_type.unique())
    if not kinds or kinds - {"LineString"}:
        raise DataError(
            f"Road network layer {path} must hold LineString/MultiLineString roads; it holds "
            f"{sorted(kinds) or 'no geometries'}. Pick the roads layer with layer=."
        )
    columns = {c.lower(): c for c in gdf.columns}
    class_col = columns.get("highway") or columns.get("fclass")
    note_extra = ""
    if class_col is None:
        highway = np.full(len(gdf), "road")
        note_extra = "; no highway/fclass column: every line treated as highway=road"
    else:
        highway = np.array([";".join(split_classes(h)) for h in gdf[class_col].to_numpy()])
    max_col = columns.get("maxspeed")
    maxspeed = (
        np.array([parse_maxspeed(m) for m in gdf[max_col].to_numpy()], dtype=np.float64)
        if max_col
        else np.full(len(gdf), np.nan)
    )
    one_col = columns.get("oneway")
    direction = (
        np.array([parse_oneway(o) for o in gdf[one_col].to_numpy()], dtype=np.int64)
        if one_col
        else np.zeros(len(gdf), dtype=np.int64)
    )
    lonlat = gdf.to_crs(4326)
    minx, miny, maxx, maxy = lonlat.total_bounds
    metric = metric_crs_for_lonlat((minx + maxx) / 2, (miny + maxy) / 2)
    geoms = gdf.to_crs(metric).geometry.to_numpy()
    # Great-circle length of the lon/lat polyline, as OSMnx computes edge lengths.
    ll, line_of = shapely.get_coordinates(lonlat.geometry.to_numpy(), return_index=True)
    seg = np.flatnonzero(line_of[1:] == line_of[:-1])
    seg_len = haversine_m(ll[seg, 0], ll[seg, 1], ll[seg + 1, 0], ll[seg + 1, 1])
    length = np.bincount(line_of[seg], weights=seg_len, minlength=len(gdf))
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    # Endpoints within the tolerance grid are the same junction; interior vertices never are
    # (two roads crossing on a bridge do not meet).
    ends = np.vstack([start, end])
    keys = np.round(ends / 0.5).astype(np.int64)
    uniq, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    n = len(gdf)
    u, v = inverse[:n], inverse[n:]
    node_xy = ends[first]  # a real endpoint, not the grid cell's centre
    lon, lat = _to_lonlat(node_xy[:, 0], node_xy[:, 1], metric)
    src, dst, length, highway, maxspeed, oneflag = _arcs_from_direction(
        u, v, direction, length, highway, maxspeed, direction != 0
    )
    return RawGraph(
        np.arange(len(uniq)).astype(str),
        lon,
        lat,
        src,
        dst,
        length,
        highway,
        maxspeed,
        oneflag.astype(bool),
        str(gdf.crs),
        f"{path.name} (line layer{note_extra})",
    )


# --------------------------------------------------------------------------- OSM PBF / XML

_OSM_HIGHWAY_EXCLUDE = frozenset({"proposed", "construction", "abandoned", "platform", "raceway"})


def read_osm(path: Path) -> RawGraph:
    """Read ways tagged ``highway`` from an ``.osm.pbf``/``.osm`` extract with pyosmium.

    A graph node is a way end or an OSM node shared by two or more highway ways; ways are
    split there. One-way rules follow OSM: ``oneway=yes/-1``, implied for ``motorway`` and
    ``junction=roundabout``.
    """
    try:
        import osmium
    except ImportError:
        raise OptionalDependencyError(
            f"Reading {path.name} needs the optional package 'osmium' (pyosmium): "
            "pip install osmium. Or convert the extract to GraphML with OSMnx first."
        ) from None

    refs: list[np.ndarray] = []
    lons: list[np.ndarray] = []
    lats: list[np.ndarray] = []
    highway: list[str] = []
    maxspeed: list[float] = []
    direction: list[int] = []
    try:
        fp = osmium.FileProcessor(str(path)).with_locations()
        for obj in fp:
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = obj.tags
            hw = tags.get("highway")
            if hw is None or hw in _OSM_HIGHWAY_EXCLUDE or tags.get("area") == "yes":
                continue
            way_nodes = list(obj.nodes)
            if len(way_nodes) < 2:
                continue
            try:
                lo = np.array([n.lon for n in way_nodes], dtype=np.float64)
                la = np.array([n.lat for n in way_nodes], dtype=np.float64)
            except osmium.InvalidLocationError:
                continue  # way clipped at the extract border: its missing nodes are outside
            refs.append(np.array([n.ref for n in way_nodes], dtype=np.int64))
            lons.append(lo)
            lats.append(la)
            highway.append(";".join(split_classes(hw)))
            maxspeed.append(parse_maxspeed(tags.get("maxspeed")))
            one = tags.get("oneway")
            if one is None and (
                hw in ("motorway", "motorway_link")
                or tags.get("junction")
                in (
                    "roundabout",
                    "circular",
                )
            ):
                one = "yes"
            direction.append(parse_oneway(one))
    except RuntimeError as exc:  # libosmium reports unreadable input as RuntimeError
        raise DataError(
            f"Road network file {path} could not be read as an OSM extract: {exc}"
        ) from None
    if not refs:
        raise DataError(
            f"Road network file {path} holds no ways tagged highway=*; it is not a road extract "
            "(or the extract is empty)."
        )
    way_len = np.array([len(r) for r in refs])
    all_refs = np.concatenate(refs)
    all_lon = np.concatenate(lons)
    all_lat = np.concatenate(lats)
    way_of = np.repeat(np.arange(len(refs)), way_len)
    first = np.r_[0, np.cumsum(way_len)[:-1]]
    last = first + way_len - 1
    uniq_ref, ref_inv, ref_count = np.unique(all_refs, return_inverse=True, return_counts=True)
    is_node = ref_count[ref_inv] >= 2
    is_node[first] = True
    is_node[last] = True
    # Segments between consecutive vertices of the same way, grouped into edges that run
    # from one graph node to the next.
    seg = np.flatnonzero(np.r_[way_of[1:] == way_of[:-1], False])
    seg_len = haversine_m(all_lon[seg], all_lat[seg], all_lon[seg + 1], all_lat[seg + 1])
    starts_edge = is_node[seg]
    edge_id = np.cumsum(starts_edge) - 1
    n_edges = int(edge_id[-1]) + 1
    length = np.bincount(edge_id, weights=seg_len, minlength=n_edges)
    edge_first_seg = seg[starts_edge]
    edge_last_seg = np.r_[seg[np.flatnonzero(starts_edge)[1:] - 1], seg[-1]]
    u_ref_pos = edge_first_seg
    v_ref_pos = edge_last_seg + 1
    node_pos = np.flatnonzero(is_node)
    node_refs, first_pos = np.unique(all_refs[node_pos], return_index=True)
    pos = node_pos[first_pos]
    u = np.searchsorted(node_refs, all_refs[u_ref_pos])
    v = np.searchsorted(node_refs, all_refs[v_ref_pos])
    way_edge = way_of[edge_first_seg]
    src, dst, length, hw_arr, ms_arr, oneflag = _arcs_from_direction(
        u,
        v,
        np.asarray(direction)[way_edge],
        length,
        np.asarray(highway)[way_edge],
        np.asarray(maxspeed, dtype=np.float64)[way_edge],
        np.asarray(direction)[way_edge] != 0,
    )
    del uniq_ref
    return RawGraph(
        node_refs.astype(str),
        all_lon[pos],
        all_lat[pos],
        src,
        dst,
        length,
        hw_arr,
        ms_arr,
        oneflag.astype(bool),
        "EPSG:4326",
        f"{path.name} (OSM extract)",
    )
