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

The package keeps one idea per module: :mod:`~planner.travel.road_network` (reading,
:class:`RoadNetwork`), :mod:`~planner.travel.road_matrix` (snapping, Dijkstra, cache,
:func:`network_matrix`), :mod:`~planner.travel.road_areas` (components, service
areas); this module gathers their public names.
"""

from __future__ import annotations

from planner.travel.network_io import metric_crs_for_lonlat
from planner.travel.road_areas import ComponentsReport, components_report, service_areas
from planner.travel.road_matrix import assemble_matrix, network_matrix, prepare_routing
from planner.travel.road_network import RoadNetwork, RoutingWarning, read_road_network
from planner.travel.routing import ChunkResult, RoutingJob, route_chunk
from planner.travel.speeds import ACCESS_SPEED_KMH, DEFAULT_SPEEDS_KMH, FALLBACK_SPEED_KMH, MODES

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
