"""Travel costs: straight-line matrices and road-network travel times along real roads.

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
>>> from planner.travel.road_matrix import network_matrix
>>> from planner.travel.road_network import read_road_network
>>> net = read_road_network("data/geo/shenzhen/futian_drive.graphml")  # doctest: +SKIP
>>> tm = network_matrix(net, demand_lonlat, site_lonlat, cutoff_minutes=20)  # doctest: +SKIP
>>> tm.minutes  # scipy.sparse.csr_array; absent = beyond 20 min  # doctest: +SKIP

One idea per module: :mod:`~planner.travel.straight_line` (straight-line matrices),
:mod:`~planner.travel.road_network` (reading, ``RoadNetwork``),
:mod:`~planner.travel.road_matrix` (snapping, Dijkstra, cache, ``network_matrix``),
:mod:`~planner.travel.road_areas` (components, service areas), with the private
helpers ``network_io`` (readers), ``speeds`` (speed tables), ``routing`` and ``kernels``
(shortest paths), ``road_blocks`` (cluster tasks).
"""
