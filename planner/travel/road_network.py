"""A road network in memory: reading GraphML, OSM extracts and line layers into
:class:`RoadNetwork` (nodes, directed arcs, speeds per mode), with the checks every
routing call makes on its arguments."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from planner.errors import ConfigError, DataError, InputError, OptionalDependencyError
from planner.travel.network_io import (
    RawGraph,
    metric_crs_for_lonlat,
    read_graphml,
    read_lines,
    read_osm,
)
from planner.travel.routing import ModeGraph, build_mode_graph
from planner.travel.speeds import (
    ACCESS_SPEED_KMH,
    MODES,
    ONEWAY_MODES,
    edge_speeds,
    merge_speeds,
)

if TYPE_CHECKING:
    import networkx as nx


Mode = Literal["drive", "walk", "ebike"]
Unsnapped = Literal["straight_line", "drop"]
Component = Literal["largest", "all"]
_LINE_SUFFIXES = frozenset({".gpkg", ".shp", ".geojson", ".json", ".fgb", ".gml", ".kml", ".zip"})


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
    from planner.inputs.file_checks import (
        SUFFIX_KINDS,
        check_content,
        check_regular_file,
        check_zip,
    )
    from planner.sanitize import check_plain_path

    p = check_plain_path(path, what="road network")
    table = _check_speeds(speeds)
    if not p.exists():
        raise DataError(f"Road network file {p} does not exist; check the `network` path.")
    check_regular_file(p, what="road network")
    name = p.name.lower()
    if p.is_file():  # GDAL picks drivers by content: check it is what the name says
        kind = SUFFIX_KINDS.get(p.suffix.lower())
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
    return build_network(raw, p, table)


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


def build_network(
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


def check_network(network: object) -> RoadNetwork:
    if not isinstance(network, RoadNetwork):
        raise InputError(
            f"`network` must be a RoadNetwork from read_road_network(); got {type(network).__name__}."
        )
    return network


def check_mode_served(network: RoadNetwork, mode: str) -> ModeGraph:
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


def as_lonlat(points: Any, name: str) -> np.ndarray:
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


def check_positive(value: float, name: str, unit: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"`{name}` must be a positive number of {unit}; got {value!r}.")
    return float(value)


def check_snapping(
    mode: Mode, max_snap_m: float, component: object, access_speed_kmh: float | None
) -> tuple[float, float]:
    """The snapping options every routing call takes, checked: ``max_snap_m`` (metres)
    and the walking speed to and from the network (km/h; the mode's default when None)."""
    max_snap_m = check_positive(max_snap_m, "max_snap_m", "metres")
    if component not in ("largest", "all"):
        raise InputError(f"`component` must be 'largest' or 'all'; got {component!r}.")
    access = (
        ACCESS_SPEED_KMH[mode]
        if access_speed_kmh is None
        else check_positive(access_speed_kmh, "access_speed_kmh", "km/h")
    )
    return max_snap_m, access
