"""What a road network can reach: its connected components (:func:`components_report`)
and the area each open centre serves within a time (:func:`service_areas`)."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd
from planner.travel.road_matrix import index_list, snap_points
from planner.travel.road_network import (
    Component,
    Mode,
    RoadNetwork,
    RoutingWarning,
    as_lonlat,
    check_mode_served,
    check_network,
    check_positive,
    check_snapping,
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
    network = check_network(network)
    graph = check_mode_served(network, mode)
    max_snap_m = check_positive(max_snap_m, "max_snap_m", "metres")
    node_comp = np.where(graph.has_arc, graph.component, -1)

    def locate(points: Any, name: str) -> np.ndarray:
        if points is None:
            return np.empty(0, dtype=np.int64)
        snapped = snap_points(
            network, graph, as_lonlat(points, name), max_snap_m=max_snap_m, component="all"
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

    network = check_network(network)
    graph = check_mode_served(network, mode)
    sites = as_lonlat(site_lonlat, "site_lonlat")
    budgets = np.atleast_1d(np.asarray(minutes, dtype=np.float64))
    if budgets.ndim != 1 or budgets.size == 0 or not (np.isfinite(budgets) & (budgets > 0)).all():
        raise InputError(
            f"`minutes` must be one or more positive numbers of minutes; got {minutes!r}."
        )
    buffer_m = check_positive(buffer_m, "buffer_m", "metres")
    max_snap_m, access = check_snapping(mode, max_snap_m, component, access_speed_kmh)
    snapped = snap_points(network, graph, sites, max_snap_m=max_snap_m, component=component)
    access_min = snapped.snap_m / (access * 1000.0 / 60.0)
    ok = np.flatnonzero(snapped.node >= 0)
    if ok.size < sites.shape[0]:
        bad = np.flatnonzero(snapped.node < 0)
        warnings.warn(
            f"{bad.size} of {sites.shape[0]} sites (indices {index_list(bad)}) lie more than "
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
