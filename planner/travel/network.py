"""Road-network travel times: real trips along roads, not straight lines.

Read a road network (OSMnx GraphML, an OpenStreetMap ``.osm.pbf`` extract, or a
line layer), snap demand points and sites to it, and compute a sparse travel
matrix of fastest times (and the length of those fastest paths) within a
cut-off, for three modes:

* ``drive`` obeys one-way streets, speeds from ``maxspeed`` or the class table;
* ``walk`` at about 5 km/h in both directions of every footway and street
  (expressways excluded);
* ``ebike`` obeys one-way streets, about 15-18 km/h, no expressways or steps.

See ``docs/roads.md`` for the speed table, the snapping rule and a worked
comparison with straight-line costs.

Examples
--------
>>> from planner.travel.network import read_road_network, network_matrix
>>> net = read_road_network("data/geo/shenzhen/futian_drive.graphml")  # doctest: +SKIP
>>> tm = network_matrix(net, demand_lonlat, site_lonlat, cutoff_minutes=20)  # doctest: +SKIP
>>> tm.minutes  # scipy.sparse.csr_array; absent = beyond 20 min  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing
import os
import sys
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.sparse as sp

from planner.errors import ConfigError, DataError, InputError, OptionalDependencyError
from planner.files import atomic_path
from planner.travel import routing
from planner.travel.network_io import (
    RawGraph,
    metric_crs_for_lonlat,
    read_graphml,
    read_lines,
    read_osm,
)
from planner.travel.routing import ChunkResult, ModeGraph, RoutingJob, build_mode_graph
from planner.travel.speeds import (
    ACCESS_SPEED_KMH,
    DEFAULT_SPEEDS_KMH,
    FALLBACK_SPEED_KMH,
    MODES,
    ONEWAY_MODES,
    edge_speeds,
    merge_speeds,
)
from planner.travel.straight_line import TravelMatrix, straight_line_matrix

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "ACCESS_SPEED_KMH",
    "DEFAULT_SPEEDS_KMH",
    "FALLBACK_SPEED_KMH",
    "MODES",
    "ChunkResult",
    "ComponentsReport",
    "RoadNetwork",
    "RoutingJob",
    "RoutingWarning",
    "assemble_matrix",
    "components_report",
    "metric_crs_for_lonlat",
    "network_matrix",
    "prepare_routing",
    "read_road_network",
    "route_chunk",
    "service_areas",
]

Mode = Literal["drive", "walk", "ebike"]
Unsnapped = Literal["straight_line", "drop"]
Component = Literal["largest", "all"]

#: Bumped whenever the cached matrix format or the routing rules change.
_CACHE_VERSION = "roads-v1"
#: Below this many node visits (unique sources x nodes) worker processes cost more than they save.
_PARALLEL_MIN_WORK = 20_000_000
#: Target size (sources x nodes) of one chunk's Dijkstra arrays: about 100 MB of temporaries.
_CHUNK_CELLS = 4_000_000
_LINE_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip"})

#: Road file suffix -> the content check of :func:`planner.layers.check_content` (the
#: formats GDAL opens; GraphML and OSM extracts are parsed by our own readers).
_CONTENT_KINDS = {
    ".gml": "xml",
    ".kml": "xml",
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".shp": "shp",
    ".zip": "zip",
    ".fgb": "fgb",
}

route_chunk = routing.route_chunk


class RoutingWarning(UserWarning):
    """Some points could not be routed on the network (or sit on a small, cut-off part of it).

    The message says how many, which indices, and what was done with them.
    """


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A road network ready for routing: nodes, directed arcs, speeds per mode.

    A two-way road is two arcs (one each way); a one-way road is one arc in its
    legal direction. Walking uses every arc in both directions.

    Attributes
    ----------
    source
        File the network was read from.
    note
        One line naming the file and its format (for legends and reports).
    node_id
        Node identifiers from the file (OSM ids as strings), shape ``(n_nodes,)``.
    lon, lat
        Node coordinates in degrees, EPSG:4326.
    x_m, y_m
        Node coordinates in metres in :attr:`crs`.
    crs
        The metric CRS of ``x_m, y_m`` (the local WGS 84 / UTM zone).
    source_crs
        The CRS the file's coordinates were in.
    edge_from, edge_to
        Node indices of each arc, shape ``(n_edges,)``.
    length_m
        Arc length in metres.
    highway
        OSM ``highway`` class of each arc; a merged OSMnx edge lists its classes joined by ``;``.
    maxspeed_kmh
        Numeric ``maxspeed`` tag in km/h, NaN where absent.
    oneway
        True where the arc belongs to a one-way road.
    speed_kmh
        Speed of each arc per mode in km/h, NaN where the arc is closed to that mode.
    speeds
        The speed table used (:data:`DEFAULT_SPEEDS_KMH` with the user's overrides).
    """

    source: str
    note: str
    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    x_m: np.ndarray
    y_m: np.ndarray
    crs: str
    source_crs: str
    edge_from: np.ndarray
    edge_to: np.ndarray
    length_m: np.ndarray
    highway: np.ndarray
    maxspeed_kmh: np.ndarray
    oneway: np.ndarray
    speed_kmh: Mapping[str, np.ndarray]
    speeds: Mapping[str, Mapping[str, float | None]] = field(repr=False)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.lon.shape[0])

    @property
    def n_edges(self) -> int:
        """Number of directed arcs."""
        return int(self.edge_from.shape[0])

    @property
    def bounds_lonlat(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` of the nodes."""
        return (
            float(self.lon.min()),
            float(self.lat.min()),
            float(self.lon.max()),
            float(self.lat.max()),
        )

    @property
    def modes_served(self) -> tuple[str, ...]:
        """Modes for which at least one arc is open."""
        return tuple(m for m in MODES if np.isfinite(self.speed_kmh[m]).any())

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the nodes, arcs and per-mode speeds (the cache key's network part)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is None:
            h = hashlib.sha256()
            for arr in (self.lon, self.lat, self.edge_from, self.edge_to, self.length_m):
                h.update(np.ascontiguousarray(arr).tobytes())
            for mode in MODES:
                h.update(mode.encode())
                h.update(np.ascontiguousarray(self.speed_kmh[mode]).tobytes())
            cached = h.hexdigest()
            object.__setattr__(self, "_fingerprint", cached)
        return str(cached)

    def mode_graph(self, mode: str) -> ModeGraph:
        """Arcs open to ``mode`` with travel minutes and strong components (memoised)."""
        memo: dict[str, ModeGraph] = self.__dict__.setdefault("_mode_graphs", {})
        if mode not in memo:
            memo[mode] = build_mode_graph(
                self.n_nodes,
                self.edge_from,
                self.edge_to,
                self.length_m,
                self.speed_kmh[mode],
                oneway=mode in ONEWAY_MODES,
            )
        return memo[mode]

    def to_networkx(self, mode: Mode = "drive") -> nx.DiGraph:
        """A ``networkx.DiGraph`` of the arcs open to ``mode`` (edge attributes ``minutes``,
        ``length_m``; node attributes ``lon``, ``lat``), for checks and custom analyses."""
        try:
            import networkx as nx
        except ImportError:
            raise OptionalDependencyError(
                "RoadNetwork.to_networkx needs networkx; install it with "
                "`pip install 'service-centre-planner[networkx]'`."
            ) from None

        _check_mode(mode)
        g = self.mode_graph(mode)
        graph: nx.DiGraph = nx.DiGraph()
        graph.add_nodes_from(
            (i, {"lon": float(x), "lat": float(y)})
            for i, (x, y) in enumerate(zip(self.lon, self.lat, strict=True))
        )
        graph.add_edges_from(
            (int(a), int(b), {"minutes": float(t), "length_m": float(ln)})
            for a, b, t, ln in zip(g.arc_from, g.arc_to, g.arc_minutes, g.arc_length_m, strict=True)
        )
        return graph


# --------------------------------------------------------------------------- reading


def read_road_network(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    crs: str | None = None,
    speeds: Mapping[str, Mapping[str, float | None]] | None = None,
) -> RoadNetwork:
    """Read a road network from GraphML, an OSM extract or a line layer.

    Parameters
    ----------
    path
        ``.graphml`` (as saved by ``osmnx.save_graphml``), ``.osm.pbf`` / ``.osm``
        (needs the optional package ``osmium``), or a line layer readable by
        pyogrio (``.gpkg``, ``.shp``, ``.geojson``, ...). A line layer's topology
        is built from line endpoints that coincide within 0.5 m; lines that cross
        without sharing an endpoint (bridges) do not connect. Its columns
        ``highway`` (or Geofabrik's ``fclass``), ``oneway`` and ``maxspeed`` are
        used when present.
    layer
        Layer name for multi-layer files (GeoPackage).
    crs
        CRS of the coordinates when the file does not state it (a GraphML
        without a ``crs`` graph attribute, a Shapefile without ``.prj``).
    speeds
        Overrides of :data:`DEFAULT_SPEEDS_KMH`: ``{mode: {highway_class: km/h or None}}``,
        ``None`` closing the class to the mode.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    DataError
        The file is missing, not a road network, empty, or its coordinates are not
        in the stated CRS.
    ConfigError
        ``speeds`` names an unknown mode or a non-positive speed.
    """
    from planner.inputs.layers import check_content, check_plain_path, check_zip

    p = check_plain_path(path, what="road network")
    table = _check_speeds(speeds)
    if not p.exists():
        raise DataError(f"Road network file {p} does not exist; check the `network` path.")
    name = p.name.lower()
    if p.is_file():  # GDAL picks drivers by content: check it is what the name says
        kind = _CONTENT_KINDS.get(p.suffix.lower())
        if kind is not None:
            check_content(p, kind, what="road network")
        if kind == "zip":
            check_zip(p).close()
    if name.endswith((".graphml", ".xml")):
        raw = read_graphml(p, crs)
    elif name.endswith((".osm.pbf", ".pbf", ".osm")):
        raw = read_osm(p)
    elif p.suffix.lower() in _LINE_SUFFIXES or p.is_dir():
        raw = read_lines(p, layer, crs)
    else:
        raise DataError(
            f"Road network file {p} has an unknown type {p.suffix!r}; use .graphml (OSMnx), "
            ".osm.pbf (OpenStreetMap extract) or a line layer (.gpkg, .shp, .geojson)."
        )
    return _build_network(raw, p, table)


def _check_speeds(
    speeds: Mapping[str, Mapping[str, float | None]] | None,
) -> dict[str, dict[str, float | None]]:
    if speeds is None:
        return merge_speeds(None)
    if not isinstance(speeds, Mapping):
        raise ConfigError(
            "`speeds` must map a mode to {highway_class: km/h}, e.g. {'drive': {'primary': 50}}."
        )
    for mode, classes in speeds.items():
        if mode not in MODES:
            raise ConfigError(
                f"`speeds` names unknown mode {mode!r}; modes are {', '.join(MODES)}."
            )
        if not isinstance(classes, Mapping):
            raise ConfigError(f"`speeds[{mode!r}]` must map highway classes to km/h.")
        for cls, kmh in classes.items():
            if kmh is not None and (
                not isinstance(kmh, int | float) or not math.isfinite(kmh) or kmh <= 0
            ):
                raise ConfigError(
                    f"`speeds[{mode!r}][{cls!r}]` must be a positive speed in km/h or None "
                    f"(closed); got {kmh!r}."
                )
    return merge_speeds(speeds)


def _build_network(
    raw: RawGraph, path: Path, table: dict[str, dict[str, float | None]]
) -> RoadNetwork:
    lon, lat = raw.lon, raw.lat
    bad = ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    if bad.any():
        raise DataError(
            f"Road network file {path}: {int(bad.sum())} node coordinates are not lon/lat degrees "
            f"(CRS read as {raw.source_crs!r}); pass crs= with the file's real CRS."
        )
    if raw.edge_from.size == 0:
        raise DataError(f"Road network file {path} has no road edges.")
    from pyproj import Transformer

    metric = metric_crs_for_lonlat(float(np.median(lon)), float(np.median(lat)))
    x, y = Transformer.from_crs("EPSG:4326", metric, always_xy=True).transform(lon, lat)
    speed = edge_speeds(raw.highway, raw.maxspeed_kmh, table)
    readonly = [
        lon,
        lat,
        np.asarray(x, dtype=np.float64),
        np.asarray(y, dtype=np.float64),
        raw.edge_from.astype(np.int64),
        raw.edge_to.astype(np.int64),
        raw.length_m.astype(np.float64),
        raw.highway,
        raw.maxspeed_kmh,
        raw.oneway,
    ]
    for arr in [*readonly, *speed.values()]:
        arr.setflags(write=False)
    return RoadNetwork(
        source=str(path),
        note=raw.note,
        node_id=raw.node_id,
        lon=readonly[0],
        lat=readonly[1],
        x_m=readonly[2],
        y_m=readonly[3],
        crs=metric,
        source_crs=raw.source_crs,
        edge_from=readonly[4],
        edge_to=readonly[5],
        length_m=readonly[6],
        highway=readonly[7],
        maxspeed_kmh=readonly[8],
        oneway=readonly[9],
        speed_kmh=speed,
        speeds=table,
    )


# --------------------------------------------------------------------------- validation


def _check_mode(mode: object) -> None:
    if mode not in MODES:
        raise InputError(f"`mode` must be one of {', '.join(MODES)}; got {mode!r}.")


def _check_network(network: object) -> RoadNetwork:
    if not isinstance(network, RoadNetwork):
        raise InputError(
            f"`network` must be a RoadNetwork from read_road_network(); got {type(network).__name__}."
        )
    return network


def _check_mode_served(network: RoadNetwork, mode: str) -> ModeGraph:
    _check_mode(mode)
    graph = network.mode_graph(mode)
    if graph.arc_key.size == 0:
        classes = ", ".join(sorted(set(np.unique(network.highway).tolist()))[:8])
        raise InputError(
            f"The road network {network.source} has no road open to mode {mode!r} (its highway "
            f"classes: {classes}); pick a mode it serves ({', '.join(network.modes_served) or 'none'}) "
            "or supply a network that includes such roads."
        )
    return graph


def _as_lonlat(points: Any, name: str) -> np.ndarray:
    """Points as an (n, 2) float array of lon/lat degrees; GeoSeries/GeoDataFrames are converted."""
    if hasattr(points, "geometry") and hasattr(points, "crs"):
        if points.crs is None:
            raise InputError(
                f"`{name}` has no CRS; set it (e.g. .set_crs(4326)) so it can be put in lon/lat."
            )
        geom = points.to_crs(4326).geometry
        if not (geom.geom_type == "Point").all():
            geom = geom.representative_point()
        xy = np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
    else:
        try:
            xy = np.asarray(points, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"`{name}` must be an (n, 2) array of lon, lat degrees.") from None
    if xy.ndim != 2 or xy.shape[1] != 2 or xy.shape[0] == 0:
        raise InputError(
            f"`{name}` must be a non-empty (n, 2) array of lon, lat degrees; got shape {xy.shape}."
        )
    if not np.isfinite(xy).all():
        raise InputError(f"`{name}` holds NaN or infinite coordinates; drop or fix those points.")
    if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise InputError(
            f"`{name}` is not lon/lat degrees (values up to {np.abs(xy).max():.4g}): the points "
            "look projected. Convert them to EPSG:4326 first, e.g. gdf.to_crs(4326)."
        )
    return xy


def _check_positive(value: float, name: str, unit: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"`{name}` must be a positive number of {unit}; got {value!r}.")
    return float(value)


# --------------------------------------------------------------------------- snapping


@dataclass(frozen=True, eq=False)
class _Snapped:
    node: np.ndarray  # -1 = not routable
    snap_m: np.ndarray


def _snap_points(
    network: RoadNetwork,
    graph: ModeGraph,
    lonlat: np.ndarray,
    *,
    max_snap_m: float,
    component: str,
) -> _Snapped:
    xy = _points_xy(network, lonlat)
    open_nodes = np.flatnonzero(graph.has_arc)
    coords = np.column_stack([network.x_m, network.y_m])
    candidates = open_nodes if component == "all" else open_nodes[graph.component[open_nodes] == 0]
    node, dist = routing.snap(coords[candidates], candidates, xy, max_snap_m)
    return _Snapped(node, dist)


def _points_xy(network: RoadNetwork, lonlat: np.ndarray) -> np.ndarray:
    from pyproj import Transformer

    x, y = Transformer.from_crs("EPSG:4326", network.crs, always_xy=True).transform(
        lonlat[:, 0], lonlat[:, 1]
    )
    return np.column_stack([x, y])


def _index_list(idx: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(i)) for i in idx[:limit])
    return shown + (f", ... ({idx.size - limit} more)" if idx.size > limit else "")


def _no_snap_error(
    network: RoadNetwork, lonlat: np.ndarray, name: str, max_snap_m: float, mode: str
) -> InputError:
    b = network.bounds_lonlat
    return InputError(
        f"None of the {lonlat.shape[0]} points in `{name}` lies within max_snap_m={max_snap_m:g} m "
        f"of a road open to {mode!r} in {network.source} (network covers lon {b[0]:.4f}-{b[2]:.4f}, "
        f"lat {b[1]:.4f}-{b[3]:.4f}; points cover lon {lonlat[:, 0].min():.4f}-"
        f"{lonlat[:, 0].max():.4f}, lat {lonlat[:, 1].min():.4f}-{lonlat[:, 1].max():.4f}). "
        "Use a network that covers the study area, and lon/lat points in EPSG:4326 (not GCJ-02)."
    )


# --------------------------------------------------------------------------- matrices


def prepare_routing(
    network: RoadNetwork,
    demand_lonlat: Any,
    site_lonlat: Any,
    *,
    mode: Mode = "drive",
    cutoff_minutes: float | None = 30.0,
    max_snap_m: float = 500.0,
    component: Component = "largest",
    access_speed_kmh: float | None = None,
    chunk_size: int | None = None,
    kernel: Literal["auto", "numba", "scipy"] = "auto",
    n_threads: int = 1,
) -> RoutingJob:
    """Snap points and build the picklable :class:`RoutingJob` behind :func:`network_matrix`.

    For a cluster: ``job = prepare_routing(...)``, then map :func:`route_chunk`
    over ``job.chunks()`` (e.g. ``client.map(route_chunk, [client.scatter(job)] * k,
    job.chunks())``) and combine with :func:`assemble_matrix`. Parameters as in
    :func:`network_matrix`, plus ``kernel`` (``"auto"`` takes the compiled numba
    kernel when numba is installed, else scipy's Dijkstra; both give the same
    times) and ``n_threads`` (threads of the numba kernel within one chunk).
    Raises :class:`InputError` when no demand point or no site can be snapped
    (the network does not cover the study area).
    """
    network = _check_network(network)
    graph = _check_mode_served(network, mode)
    demand = _as_lonlat(demand_lonlat, "demand_lonlat")
    sites = _as_lonlat(site_lonlat, "site_lonlat")
    cutoff = (
        math.inf
        if cutoff_minutes is None
        else _check_positive(cutoff_minutes, "cutoff_minutes", "minutes")
    )
    max_snap_m = _check_positive(max_snap_m, "max_snap_m", "metres")
    if component not in ("largest", "all"):
        raise InputError(f"`component` must be 'largest' or 'all'; got {component!r}.")
    access = (
        ACCESS_SPEED_KMH[mode]
        if access_speed_kmh is None
        else _check_positive(access_speed_kmh, "access_speed_kmh", "km/h")
    )
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise InputError(f"`chunk_size` must be a positive number of sites; got {chunk_size!r}.")
    d = _snap_points(network, graph, demand, max_snap_m=max_snap_m, component=component)
    s = _snap_points(network, graph, sites, max_snap_m=max_snap_m, component=component)
    if (d.node < 0).all():
        raise _no_snap_error(network, demand, "demand_lonlat", max_snap_m, mode)
    if (s.node < 0).all():
        raise _no_snap_error(network, sites, "site_lonlat", max_snap_m, mode)
    per_min = access * 1000.0 / 60.0
    if chunk_size is None:
        chunk_size = int(min(256, max(1, _CHUNK_CELLS // max(network.n_nodes, 1))))
    if kernel == "auto":
        kernel = "numba" if routing.numba_available() else "scipy"
    elif kernel not in ("numba", "scipy"):
        raise InputError(f"`kernel` must be 'auto', 'numba' or 'scipy'; got {kernel!r}.")
    if not isinstance(n_threads, int) or n_threads < 1:
        raise InputError(f"`n_threads` must be a positive number of threads; got {n_threads!r}.")
    rev, rev_length = routing.reversed_csr(graph)
    return RoutingJob(
        graph_reversed=rev,
        length_reversed_m=rev_length,
        demand_node=d.node,
        demand_access_min=np.where(d.node >= 0, d.snap_m / per_min, 0.0),
        demand_access_m=np.where(d.node >= 0, d.snap_m, 0.0),
        site_node=s.node,
        site_access_min=np.where(s.node >= 0, s.snap_m / per_min, 0.0),
        site_access_m=np.where(s.node >= 0, s.snap_m, 0.0),
        cutoff_minutes=cutoff,
        chunk_size=chunk_size,
        kernel=kernel,
        n_threads=n_threads,
    )


def assemble_matrix(
    job: RoutingJob, results: Sequence[ChunkResult], *, extra: Sequence[ChunkResult] = ()
) -> tuple[sp.csr_array, sp.csr_array]:
    """Sparse ``(minutes, distance_m)`` with one shared structure from chunk results.

    Chunks arrive grouped by site (column), so they already form a compressed-column
    matrix; it is transposed to rows once, on a matrix of positions, and both value
    arrays are gathered through it: no global sort and no second structure.
    """
    parts = [*results, *extra]
    n_d, n_s = job.demand_node.size, job.site_node.size
    index_dtype = np.int32 if max(n_d, n_s) < 2**31 else np.int64
    if not parts:
        empty = sp.csr_array((n_d, n_s), dtype=np.float64)
        return empty, empty.copy()
    one = parts[0] if len(parts) == 1 else _concat_results(parts)
    del parts
    rows: np.ndarray = one.demand_index.astype(index_dtype, copy=False)
    cols: np.ndarray = one.site_index.astype(index_dtype, copy=False)
    minutes, dist = one.minutes, one.distance_m
    del one
    if cols.size > 1 and (cols[1:] < cols[:-1]).any():
        order = np.argsort(cols, kind="stable")
        rows, cols, minutes, dist = rows[order], cols[order], minutes[order], dist[order]
        del order
    col_ptr = np.r_[0, np.cumsum(np.bincount(cols, minlength=n_s))].astype(np.int64)
    del cols
    # Positions are exact in float64 up to 2**53 entries.
    pos = sp.csc_array(
        (np.arange(rows.size, dtype=np.float64), rows, col_ptr), shape=(n_d, n_s)
    ).tocsr()
    del rows
    perm = pos.data.astype(np.int64)
    indices = pos.indices.astype(index_dtype, copy=False)
    indptr = pos.indptr.astype(index_dtype, copy=False)
    del pos
    m = sp.csr_array((minutes[perm], indices, indptr), shape=(n_d, n_s))
    dm = sp.csr_array((dist[perm], indices.copy(), indptr.copy()), shape=(n_d, n_s))
    return m, dm


def _concat_results(parts: Sequence[ChunkResult]) -> ChunkResult:
    """One :class:`ChunkResult` holding all pairs of ``parts``, in order."""
    return ChunkResult(
        np.concatenate([p.demand_index for p in parts]),
        np.concatenate([p.site_index for p in parts]),
        np.concatenate([p.minutes for p in parts]),
        np.concatenate([p.distance_m for p in parts]),
    )


def _fallback_pairs(
    network: RoadNetwork,
    demand: np.ndarray,
    sites: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
    *,
    detour_factor: float,
    speed_kmh: float,
    cutoff: float,
) -> ChunkResult:
    """Straight-line pairs for ``rows`` x all sites and all other demand x ``cols``."""
    dxy = _points_xy(network, demand)
    sxy = _points_xy(network, sites)
    out_r, out_c, out_t, out_d = [], [], [], []
    blocks = [(rows, np.arange(sites.shape[0]))]
    if cols.size:
        other = np.setdiff1d(np.arange(demand.shape[0]), rows)
        blocks.append((other, cols))
    for r, c in blocks:
        if r.size == 0 or c.size == 0:
            continue
        tm = straight_line_matrix(dxy[r], sxy[c], detour_factor=detour_factor, speed_kmh=speed_kmh)
        minutes = np.asarray(tm.minutes)
        ii, jj = np.nonzero(minutes <= cutoff)
        out_r.append(r[ii])
        out_c.append(c[jj])
        out_t.append(np.maximum(minutes[ii, jj], routing.MIN_ENTRY))
        out_d.append(np.maximum(np.asarray(tm.distance_m)[ii, jj], routing.MIN_ENTRY))
    if not out_r:
        e = np.empty(0, dtype=np.int64)
        return ChunkResult(e, e, np.empty(0), np.empty(0))
    return ChunkResult(
        np.concatenate(out_r).astype(np.int64),
        np.concatenate(out_c).astype(np.int64),
        np.concatenate(out_t),
        np.concatenate(out_d),
    )


def _cache_key(
    network: RoadNetwork, demand: np.ndarray, sites: np.ndarray, settings: dict[str, Any]
) -> str:
    h = hashlib.sha256(_CACHE_VERSION.encode())
    h.update(network.fingerprint.encode())
    h.update(json.dumps(settings, sort_keys=True, default=str).encode())
    h.update(np.ascontiguousarray(demand).tobytes())
    h.update(np.ascontiguousarray(sites).tobytes())
    return h.hexdigest()


def _save_cache(path: Path, tm: TravelMatrix) -> None:
    minutes = sp.csr_array(tm.minutes)
    dist = sp.csr_array(tm.distance_m)
    meta = json.dumps(
        {
            "note": tm.note,
            "mode": tm.mode,
            "cutoff_minutes": tm.cutoff_minutes,
            "detour_factor": tm.detour_factor,
            "speed_kmh": tm.speed_kmh,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written to a temporary file and renamed, so a crash never leaves half a cache entry.
    with atomic_path(path, suffix=".npz.tmp") as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(
            fh,
            indptr=minutes.indptr,
            indices=minutes.indices,
            minutes=minutes.data,
            distance_m=dist.data,
            shape=np.array(minutes.shape, dtype=np.int64),
            unroutable_demand=tm.unroutable_demand,
            unroutable_sites=tm.unroutable_sites,
            meta=np.array(meta),
        )


def _load_cache(path: Path) -> TravelMatrix | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            shape = tuple(int(v) for v in z["shape"])
            indptr, indices = z["indptr"], z["indices"]
            minutes = sp.csr_array((z["minutes"], indices, indptr), shape=shape)
            dist = sp.csr_array((z["distance_m"], indices.copy(), indptr.copy()), shape=shape)
            meta = json.loads(str(z["meta"]))
            ud, us = z["unroutable_demand"], z["unroutable_sites"]
    except (OSError, KeyError, ValueError):
        return None  # unreadable or from another version: recompute and overwrite
    return TravelMatrix(
        distance_m=dist,
        minutes=minutes,
        method="network",
        detour_factor=meta["detour_factor"],
        speed_kmh=meta["speed_kmh"],
        mode=meta["mode"],
        cutoff_minutes=meta["cutoff_minutes"],
        unroutable_demand=ud.astype(np.int64),
        unroutable_sites=us.astype(np.int64),
        note=meta["note"],
    )


def _run_chunks(job: RoutingJob, *, n_jobs: int, executor: Executor | None) -> list[ChunkResult]:
    chunks = job.chunks()
    if executor is not None:
        return list(executor.map(routing.route_chunk, [job] * len(chunks), chunks))
    if job.kernel == "numba":
        # The compiled kernel spreads each chunk's sites over job.n_threads threads.
        return [routing.route_chunk(job, c) for c in chunks]
    work = np.unique(job.site_node[job.site_node >= 0]).size * job.graph_reversed.shape[0]
    if n_jobs > 1 and len(chunks) > 1 and work >= _PARALLEL_MIN_WORK:
        # scipy's Dijkstra holds the GIL, so threads do not help: use processes. forkserver
        # (spawn on Windows/macOS) avoids forking a multi-threaded app such as Streamlit.
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        ctx = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=min(n_jobs, len(chunks)), mp_context=ctx) as pool:
            return list(pool.map(routing.route_chunk, [job] * len(chunks), chunks))
    return [routing.route_chunk(job, c) for c in chunks]


def network_matrix(
    network: RoadNetwork,
    demand_lonlat: Any,
    site_lonlat: Any,
    *,
    mode: Mode = "drive",
    cutoff_minutes: float | None = 30.0,
    max_snap_m: float = 500.0,
    unsnapped: Unsnapped = "straight_line",
    detour_factor: float = 1.3,
    component: Component = "largest",
    access_speed_kmh: float | None = None,
    fallback_speed_kmh: float | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    n_jobs: int = 2,
    chunk_size: int | None = None,
    executor: Executor | None = None,
) -> TravelMatrix:
    """Fastest road travel from each demand point to each site, sparse within a cut-off.

    Each point is snapped to the nearest road node open to ``mode`` (within
    ``max_snap_m``, straight line in the network's UTM metres) and the access
    leg is added at ``access_speed_kmh``. Times are Dijkstra shortest paths run
    from the sites on the reversed graph, so one-way streets are honoured in
    the demand -> site direction; ``distance_m`` is the length of that fastest
    path (plus both access legs), not the shortest length.

    Parameters
    ----------
    network
        From :func:`read_road_network`.
    demand_lonlat, site_lonlat
        ``(n, 2)`` and ``(m, 2)`` lon/lat degrees in EPSG:4326, or point
        GeoDataFrames/GeoSeries with a CRS (converted).
    mode
        ``"drive"``, ``"walk"`` or ``"ebike"``.
    cutoff_minutes
        Pairs slower than this are absent from the sparse matrices (the
        optimiser reads absent as "cannot serve"); ``None`` keeps every
        reachable pair.
    max_snap_m
        A point farther than this from the network is not routable.
    unsnapped
        What to do with not-routable points: ``"straight_line"`` gives their
        pairs straight-line metres x ``detour_factor`` at ``fallback_speed_kmh``;
        ``"drop"`` leaves their rows/columns empty. Either way they are listed in
        ``unroutable_demand`` / ``unroutable_sites``, named in ``note`` and a
        :class:`RoutingWarning` is issued.
    detour_factor
        Straight-line fallback detour factor, at least 1.
    component
        ``"largest"`` (default) snaps only to the largest strongly connected part
        of the network, so every snapped pair has a route; ``"all"`` snaps to any
        open road and warns about points that land on small, cut-off parts.
    access_speed_kmh, fallback_speed_kmh
        Defaults per mode: :data:`ACCESS_SPEED_KMH`, :data:`FALLBACK_SPEED_KMH`.
    cache_dir
        If given, the matrix is stored there as ``.npz`` keyed by a SHA-256 of the
        network, points and every setting above, and reused on the next call.
    n_jobs
        Parallel workers: threads of the compiled kernel when numba is installed,
        else worker processes for large matrices (small ones run in this process).
    chunk_size
        Sites per Dijkstra chunk; default keeps a chunk's arrays near 100 MB.
    executor
        A ``concurrent.futures.Executor`` (e.g. ``dask.distributed.Client.get_executor()``)
        to run the chunks on instead of local processes.

    Returns
    -------
    TravelMatrix
        ``method="network"``; ``minutes`` and ``distance_m`` are ``scipy.sparse.csr_array``
        with the same structure, every stored entry > 0.

    Raises
    ------
    InputError
        Unknown mode or a mode the network does not serve; points not in lon/lat;
        no demand point or no site within ``max_snap_m`` of the network.
    """
    network = _check_network(network)
    _check_mode_served(network, mode)
    demand = _as_lonlat(demand_lonlat, "demand_lonlat")
    sites = _as_lonlat(site_lonlat, "site_lonlat")
    if unsnapped not in ("straight_line", "drop"):
        raise InputError(f"`unsnapped` must be 'straight_line' or 'drop'; got {unsnapped!r}.")
    if (
        not isinstance(detour_factor, int | float)
        or not math.isfinite(detour_factor)
        or detour_factor < 1
    ):
        raise InputError(
            f"`detour_factor` must be at least 1 (roads are never shorter than the straight "
            f"line); got {detour_factor!r}."
        )
    fallback = (
        FALLBACK_SPEED_KMH[mode]
        if fallback_speed_kmh is None
        else _check_positive(fallback_speed_kmh, "fallback_speed_kmh", "km/h")
    )
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError(f"`n_jobs` must be a positive number of processes; got {n_jobs!r}.")
    settings = {
        "mode": mode,
        "cutoff_minutes": cutoff_minutes,
        "max_snap_m": max_snap_m,
        "unsnapped": unsnapped,
        "detour_factor": detour_factor,
        "component": component,
        "access_speed_kmh": access_speed_kmh,
        "fallback_speed_kmh": fallback,
    }
    cache_path = None
    if cache_dir is not None:
        cache_path = Path(cache_dir) / f"travel-{_cache_key(network, demand, sites, settings)}.npz"
        if cache_path.exists():
            hit = _load_cache(cache_path)
            if hit is not None:
                _warn_unroutable(hit, demand.shape[0], sites.shape[0], max_snap_m, mode, unsnapped)
                return hit

    job = prepare_routing(
        network,
        demand,
        sites,
        mode=mode,
        cutoff_minutes=cutoff_minutes,
        max_snap_m=max_snap_m,
        component=component,
        access_speed_kmh=access_speed_kmh,
        chunk_size=chunk_size,
        n_threads=n_jobs,
    )
    results = _run_chunks(job, n_jobs=n_jobs, executor=executor)
    # One array per field, and the chunks freed, before the matrix is assembled: at
    # 10 million pairs every copy counts (about 24 bytes a pair each).
    network_pairs = [_concat_results(results)] if len(results) > 1 else results
    del results
    un_d = np.flatnonzero(job.demand_node < 0)
    un_s = np.flatnonzero(job.site_node < 0)
    extra: list[ChunkResult] = []
    used_fallback = unsnapped == "straight_line" and (un_d.size or un_s.size)
    if used_fallback:
        extra.append(
            _fallback_pairs(
                network,
                demand,
                sites,
                un_d,
                un_s,
                detour_factor=float(detour_factor),
                speed_kmh=fallback,
                cutoff=job.cutoff_minutes,
            )
        )
    minutes, dist = assemble_matrix(job, network_pairs, extra=extra)
    del network_pairs
    note = _matrix_note(
        network,
        job,
        mode,
        cutoff_minutes,
        max_snap_m,
        unsnapped,
        detour_factor,
        fallback,
        component,
    )
    tm = TravelMatrix(
        distance_m=dist,
        minutes=minutes,
        method="network",
        detour_factor=float(detour_factor) if used_fallback else None,
        speed_kmh=fallback if used_fallback else None,
        mode=mode,
        cutoff_minutes=None if cutoff_minutes is None else float(cutoff_minutes),
        unroutable_demand=un_d.astype(np.int64),
        unroutable_sites=un_s.astype(np.int64),
        note=note,
    )
    if component == "all":
        _warn_small_components(network, job, mode)
    _warn_unroutable(tm, demand.shape[0], sites.shape[0], max_snap_m, mode, unsnapped)
    if cache_path is not None:
        _save_cache(cache_path, tm)
    return tm


def _matrix_note(
    network: RoadNetwork,
    job: RoutingJob,
    mode: str,
    cutoff_minutes: float | None,
    max_snap_m: float,
    unsnapped: str,
    detour_factor: float,
    fallback: float,
    component: str,
) -> str:
    cut = "no cut-off" if cutoff_minutes is None else f"cut-off {cutoff_minutes:g} min"
    parts = [f"Road network ({mode}, {network.note}): fastest times, {cut}"]
    if component == "largest":
        g = network.mode_graph(mode)
        if g.component_sizes.size > 1:
            parts.append(
                f"snapped to the largest connected part ({int(g.component_sizes[0])} of "
                f"{int(g.component_sizes.sum())} nodes)"
            )
    n_ud = int((job.demand_node < 0).sum())
    n_us = int((job.site_node < 0).sum())
    if n_ud or n_us:
        rule = (
            f"straight line x {detour_factor:g} at {fallback:g} km/h"
            if unsnapped == "straight_line"
            else "dropped (no travel times)"
        )
        parts.append(
            f"{n_ud} of {job.demand_node.size} demand points and {n_us} of {job.site_node.size} "
            f"sites farther than {max_snap_m:g} m from the network: {rule}"
        )
    return "; ".join(parts)


def _warn_unroutable(
    tm: TravelMatrix, n_demand: int, n_sites: int, max_snap_m: float, mode: str, unsnapped: str
) -> None:
    if tm.unroutable_demand.size == 0 and tm.unroutable_sites.size == 0:
        return
    rule = (
        "they use straight-line distance x detour factor instead"
        if unsnapped == "straight_line"
        else "they get no travel times (dropped); remove them from the problem or raise max_snap_m"
    )
    what = []
    if tm.unroutable_demand.size:
        what.append(
            f"{tm.unroutable_demand.size} of {n_demand} demand points "
            f"(indices {_index_list(tm.unroutable_demand)})"
        )
    if tm.unroutable_sites.size:
        what.append(
            f"{tm.unroutable_sites.size} of {n_sites} sites (indices {_index_list(tm.unroutable_sites)})"
        )
    warnings.warn(
        f"{' and '.join(what)} lie more than max_snap_m={max_snap_m:g} m from a road open to "
        f"{mode!r}: {rule}.",
        RoutingWarning,
        stacklevel=3,
    )


def _warn_small_components(network: RoadNetwork, job: RoutingJob, mode: str) -> None:
    comp = network.mode_graph(mode).component
    d = np.flatnonzero((job.demand_node >= 0) & (comp[np.maximum(job.demand_node, 0)] > 0))
    s = np.flatnonzero((job.site_node >= 0) & (comp[np.maximum(job.site_node, 0)] > 0))
    if d.size or s.size:
        warnings.warn(
            f"{d.size} demand points (indices {_index_list(d)}) and {s.size} sites (indices "
            f"{_index_list(s)}) are snapped to small parts of the {mode!r} network that are cut "
            "off from the rest; their trips may be missing. Use component='largest' or "
            "components_report() to inspect.",
            RoutingWarning,
            stacklevel=3,
        )


# --------------------------------------------------------------------------- components


@dataclass(frozen=True, eq=False)
class ComponentsReport:
    """Strongly connected parts of the network for one mode, and which points fall on small ones.

    Attributes
    ----------
    mode
        The travel mode.
    component_sizes
        Nodes per part, largest first (part 0 is the main network).
    node_component
        Part label of every node (``-1`` for nodes with no arc open to the mode).
    demand_component, site_component
        Part of each point's nearest open node within ``max_snap_m`` (``-1`` = beyond it).
    demand_on_small, sites_on_small
        Indices of points whose nearest node is on a part other than the main one.
    """

    mode: str
    component_sizes: np.ndarray
    node_component: np.ndarray
    demand_component: np.ndarray
    site_component: np.ndarray
    demand_on_small: np.ndarray
    sites_on_small: np.ndarray

    @property
    def n_components(self) -> int:
        """Number of parts with at least one open arc."""
        return int(self.component_sizes.size)

    @property
    def is_connected(self) -> bool:
        """True when every open node can reach every other."""
        return self.n_components <= 1

    def summary(self) -> str:
        """One line for logs and reports."""
        sizes = ", ".join(str(int(s)) for s in self.component_sizes[:5])
        more = ", ..." if self.n_components > 5 else ""
        return (
            f"{self.mode}: {self.n_components} strongly connected parts (nodes: {sizes}{more}); "
            f"{self.demand_on_small.size} demand points and {self.sites_on_small.size} sites "
            "nearest to a small part"
        )


def components_report(
    network: RoadNetwork,
    *,
    mode: Mode = "drive",
    demand_lonlat: Any = None,
    site_lonlat: Any = None,
    max_snap_m: float = 500.0,
) -> ComponentsReport:
    """Report the strongly connected parts of ``network`` for ``mode`` and the points on small ones.

    A one-way network often has small parts (a one-way loop out of a compound, a
    road cut by the extract's border) from which the rest cannot be reached.
    :func:`network_matrix` snaps only to the largest part by default; this
    report says which points would otherwise land on a small one.
    """
    network = _check_network(network)
    graph = _check_mode_served(network, mode)
    max_snap_m = _check_positive(max_snap_m, "max_snap_m", "metres")
    node_comp = np.where(graph.has_arc, graph.component, -1)

    def locate(points: Any, name: str) -> np.ndarray:
        if points is None:
            return np.empty(0, dtype=np.int64)
        snapped = _snap_points(
            network, graph, _as_lonlat(points, name), max_snap_m=max_snap_m, component="all"
        )
        return np.where(snapped.node >= 0, node_comp[np.maximum(snapped.node, 0)], -1).astype(
            np.int64
        )

    dc = locate(demand_lonlat, "demand_lonlat")
    sc = locate(site_lonlat, "site_lonlat")
    return ComponentsReport(
        mode=mode,
        component_sizes=graph.component_sizes,
        node_component=node_comp,
        demand_component=dc,
        site_component=sc,
        demand_on_small=np.flatnonzero(dc > 0),
        sites_on_small=np.flatnonzero(sc > 0),
    )


# --------------------------------------------------------------------------- service areas


def service_areas(
    network: RoadNetwork,
    site_lonlat: Any,
    minutes: float | Sequence[float],
    *,
    mode: Mode = "drive",
    max_snap_m: float = 500.0,
    buffer_m: float = 100.0,
    component: Component = "largest",
    access_speed_kmh: float | None = None,
) -> gpd.GeoDataFrame:
    """Isochrones: the area from which each site is reached within ``minutes``.

    The polygon is the union of the road stretches from which the site can be
    reached in time (a partly reachable road counts up to the point where the
    time runs out), buffered by ``buffer_m`` for the homes along them. Direction
    follows the travel matrix (trip from the customer to the site).

    Parameters
    ----------
    network, site_lonlat, mode, max_snap_m, component, access_speed_kmh
        As in :func:`network_matrix`.
    minutes
        One time budget or several (one ring per value), in minutes.
    buffer_m
        Half-width of the band around reachable roads, metres.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per (site, minutes) with columns ``site_index``, ``minutes``,
        ``area_km2`` and ``geometry`` (a Polygon/MultiPolygon; None for a site that
        could not be snapped, which also raises a :class:`RoutingWarning`).
    """
    import geopandas as gpd
    import shapely
    from scipy.sparse.csgraph import dijkstra

    network = _check_network(network)
    graph = _check_mode_served(network, mode)
    sites = _as_lonlat(site_lonlat, "site_lonlat")
    budgets = np.atleast_1d(np.asarray(minutes, dtype=np.float64))
    if budgets.ndim != 1 or budgets.size == 0 or not (np.isfinite(budgets) & (budgets > 0)).all():
        raise InputError(
            f"`minutes` must be one or more positive numbers of minutes; got {minutes!r}."
        )
    buffer_m = _check_positive(buffer_m, "buffer_m", "metres")
    max_snap_m = _check_positive(max_snap_m, "max_snap_m", "metres")
    if component not in ("largest", "all"):
        raise InputError(f"`component` must be 'largest' or 'all'; got {component!r}.")
    access = (
        ACCESS_SPEED_KMH[mode]
        if access_speed_kmh is None
        else _check_positive(access_speed_kmh, "access_speed_kmh", "km/h")
    )
    snapped = _snap_points(network, graph, sites, max_snap_m=max_snap_m, component=component)
    access_min = snapped.snap_m / (access * 1000.0 / 60.0)
    ok = np.flatnonzero(snapped.node >= 0)
    if ok.size < sites.shape[0]:
        bad = np.flatnonzero(snapped.node < 0)
        warnings.warn(
            f"{bad.size} of {sites.shape[0]} sites (indices {_index_list(bad)}) lie more than "
            f"max_snap_m={max_snap_m:g} m from a road open to {mode!r}: no service area drawn.",
            RoutingWarning,
            stacklevel=2,
        )
    a, b = graph.arc_from, graph.arc_to
    ax, ay = network.x_m[a], network.y_m[a]
    bx, by = network.x_m[b], network.y_m[b]
    dist = np.full((0, network.n_nodes), np.inf)
    src_inv = np.empty(0, dtype=np.int64)
    if ok.size:
        src, src_inv = np.unique(snapped.node[ok], return_inverse=True)
        dist = dijkstra(graph.csr(reverse=True), indices=src, limit=float(budgets.max()))
    rows = []
    geoms = []
    for budget in budgets:
        for k, site in enumerate(ok):
            left = budget - access_min[site]
            d = dist[src_inv[k]]
            # Fraction of road arc a->b, measured back from b, from which the site is reached in time.
            frac = np.clip((left - d[b]) / graph.arc_minutes, 0.0, 1.0)
            frac = np.where(np.isfinite(d[b]), frac, 0.0)
            use = frac > 0
            if not use.any():
                node = snapped.node[site]
                geom = shapely.Point(network.x_m[node], network.y_m[node]).buffer(buffer_m)
            else:
                f = frac[use]
                x0, y0 = bx[use], by[use]
                x1 = x0 + f * (ax[use] - x0)
                y1 = y0 + f * (ay[use] - y0)
                coords = np.stack([np.column_stack([x0, y0]), np.column_stack([x1, y1])], axis=1)
                lines = shapely.linestrings(coords)
                # Buffer each stretch, then union: far faster in GEOS than buffering the union.
                geom = shapely.union_all(shapely.buffer(lines, buffer_m, quad_segs=4))
            rows.append((int(site), float(budget), float(shapely.area(geom)) / 1e6))
            geoms.append(geom)
        for site in np.flatnonzero(snapped.node < 0):
            rows.append((int(site), float(budget), 0.0))
            geoms.append(None)
    frame = gpd.GeoDataFrame(
        {
            "site_index": np.array([r[0] for r in rows], dtype=np.int64),
            "minutes": np.array([r[1] for r in rows], dtype=np.float64),
            "area_km2": np.array([r[2] for r in rows], dtype=np.float64),
        },
        geometry=gpd.GeoSeries(geoms, crs=network.crs),
    )
    frame = frame.to_crs(4326)
    return frame.sort_values(["site_index", "minutes"], kind="stable").reset_index(drop=True)
