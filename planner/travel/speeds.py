"""Speed tables and OpenStreetMap tag parsing for :mod:`planner.travel.road_network` (private).

The tables are the planner's documented assumptions, not measurements: free-flow
urban speeds in km/h per OSM ``highway`` class and travel mode, chosen for Chinese
cities (urban speed limits of 30-60 km/h on ordinary roads, e-bikes capped at
25 km/h by GB 17761-2018, pedestrians and e-bikes barred from expressways that
OSM China tags ``motorway`` or ``trunk``). ``None`` means the class is closed to
the mode. Override any entry with ``read_road_network(..., speeds=...)``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

import numpy as np

#: Travel modes the road network can serve.
MODES: Final = ("drive", "walk", "ebike")

#: Modes that obey one-way streets. Walkers use both directions. E-bikes are
#: non-motor vehicles under the PRC Road Traffic Safety Law and are bound by
#: one-way signs unless a sign exempts them (rarely mapped in OSM).
ONEWAY_MODES: Final = frozenset({"drive", "ebike"})

#: Class used for a road whose ``highway`` value is missing or not in the table.
OTHER: Final = "other"

_DRIVE: dict[str, float | None] = {
    "motorway": 80.0,
    "motorway_link": 40.0,
    "trunk": 60.0,
    "trunk_link": 35.0,
    "primary": 45.0,
    "primary_link": 30.0,
    "secondary": 40.0,
    "secondary_link": 30.0,
    "tertiary": 30.0,
    "tertiary_link": 25.0,
    "unclassified": 25.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "road": 25.0,
    "track": 10.0,
    "busway": None,
    "footway": None,
    "pedestrian": None,
    "path": None,
    "steps": None,
    "cycleway": None,
    "bridleway": None,
    "corridor": None,
    "elevator": None,
    "platform": None,
    "construction": None,
    "proposed": None,
    OTHER: 20.0,
}

_WALK: dict[str, float | None] = {
    "motorway": None,
    "motorway_link": None,
    "trunk": None,
    "trunk_link": None,
    "steps": 3.0,
    "construction": None,
    "proposed": None,
    OTHER: 5.0,
}
for _cls in _DRIVE:
    _WALK.setdefault(_cls, 5.0)

_EBIKE: dict[str, float | None] = {
    "motorway": None,
    "motorway_link": None,
    "trunk": None,
    "trunk_link": None,
    "primary": 18.0,
    "primary_link": 18.0,
    "secondary": 18.0,
    "secondary_link": 18.0,
    "tertiary": 18.0,
    "tertiary_link": 18.0,
    "unclassified": 15.0,
    "residential": 15.0,
    "road": 15.0,
    "cycleway": 18.0,
    "busway": None,
    "living_street": 10.0,
    "service": 12.0,
    "track": 10.0,
    "path": 10.0,
    "bridleway": 10.0,
    "footway": 6.0,
    "pedestrian": 6.0,
    "corridor": 6.0,
    "platform": None,
    "elevator": None,
    "steps": None,
    "construction": None,
    "proposed": None,
    OTHER: 12.0,
}

#: Default speed in km/h per travel mode and OSM ``highway`` class; ``None`` = closed
#: to that mode. ``"other"`` applies to classes not listed. For ``drive`` a numeric
#: ``maxspeed`` tag replaces the class speed; for ``ebike`` it caps it; ``walk``
#: ignores it.
DEFAULT_SPEEDS_KMH: Final[Mapping[str, Mapping[str, float | None]]] = MappingProxyType(
    {
        "drive": MappingProxyType(_DRIVE),
        "walk": MappingProxyType(_WALK),
        "ebike": MappingProxyType(_EBIKE),
    }
)

#: Speed in km/h of the access leg: the straight line from a demand point or site
#: to the road node it is snapped to (parking, compound lanes, unmapped alleys).
ACCESS_SPEED_KMH: Final[Mapping[str, float]] = MappingProxyType(
    {"drive": 15.0, "walk": 5.0, "ebike": 12.0}
)

#: Door-to-door speed in km/h of the straight-line fallback for points that
#: cannot be snapped (``unsnapped="straight_line"``).
FALLBACK_SPEED_KMH: Final[Mapping[str, float]] = MappingProxyType(
    {"drive": 25.0, "walk": 5.0, "ebike": 15.0}
)

_LIST_SPLIT = re.compile(r"[;,|]")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$", re.IGNORECASE)
_TRUE = frozenset({"yes", "true", "1", "f", "forward"})
_REVERSE = frozenset({"-1", "reverse", "t", "backward"})


def merge_speeds(
    overrides: Mapping[str, Mapping[str, float | None]] | None,
) -> dict[str, dict[str, float | None]]:
    """Copy :data:`DEFAULT_SPEEDS_KMH` and apply the user's ``overrides`` (validated by caller)."""
    table = {mode: dict(classes) for mode, classes in DEFAULT_SPEEDS_KMH.items()}
    if overrides:
        for mode, classes in overrides.items():
            table[mode].update(classes)
    return table


def split_classes(value: object) -> tuple[str, ...]:
    """OSM ``highway`` value(s) as a tuple of lowercase classes.

    OSMnx stores merged edges as ``"['steps', 'footway']"``; OSM itself may use
    ``"primary;secondary"``. Geofabrik's ``fclass`` uses ``track_grade1`` etc.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return (OTHER,)
    if isinstance(value, list | tuple):
        parts = [str(v) for v in value]
    else:
        text = str(value).strip().strip("[]")
        parts = _LIST_SPLIT.split(text)
    out = []
    for part in parts:
        cls = part.strip().strip("'\"").lower()
        if cls.startswith("track_grade"):
            cls = "track"
        if cls and cls not in out:
            out.append(cls)
    return tuple(out) or (OTHER,)


def class_speed(classes: tuple[str, ...], table: Mapping[str, float | None]) -> float:
    """Speed of an edge made of ``classes`` (NaN = closed): closed if any part is closed, else
    the slowest part's speed (a merged OSMnx edge is only as fast as its slowest piece)."""
    speed = math.inf
    for cls in classes:
        value = table.get(cls, table.get(OTHER))
        if value is None:
            return math.nan
        speed = min(speed, float(value))
    return speed if math.isfinite(speed) else math.nan


def parse_maxspeed(value: object) -> float:
    """Numeric ``maxspeed`` in km/h, NaN when absent or symbolic (``"CN:urban"``, ``"none"``).

    Lists (``"['30', '40']"``, ``"30;40"``) give the lowest value; ``mph`` is converted.
    """
    if value is None:
        return math.nan
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else math.nan
    best = math.nan
    for part in _LIST_SPLIT.split(str(value).strip().strip("[]")):
        match = _NUMBER.match(part.strip().strip("'\""))
        if not match:
            continue
        v = float(match.group(1)) * (1.609344 if (match.group(2) or "").lower() == "mph" else 1.0)
        if v > 0 and not (v >= best):
            best = v
    return best


def parse_oneway(value: object) -> int:
    """Direction of travel allowed by a ``oneway`` value: 0 both, 1 forward, -1 backward.

    Understands OSM (``yes``/``no``/``-1``/``reverse``), OSMnx (``True``/``False``) and
    Geofabrik shapefiles (``F`` forward, ``T`` backward, ``B`` both).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return 0
    if isinstance(value, bool | np.bool_):
        return 1 if value else 0
    if isinstance(value, int | np.integer):
        return int(np.sign(value))
    text = str(value).strip().lower()
    if text in _TRUE:
        return 1
    if text in _REVERSE:
        return -1
    return 0


def edge_speeds(
    highway: np.ndarray,
    maxspeed_kmh: np.ndarray,
    table: Mapping[str, Mapping[str, float | None]],
) -> dict[str, np.ndarray]:
    """Speed in km/h of every edge for every mode (NaN = closed to that mode).

    ``highway`` holds ``;``-joined class strings; the table is looked up once per
    distinct string, so this is fast for any number of edges.
    """
    uniq, inverse = np.unique(highway.astype(str), return_inverse=True)
    out: dict[str, np.ndarray] = {}
    for mode in MODES:
        per_class = np.array(
            [class_speed(tuple(u.split(";")), table[mode]) for u in uniq], dtype=np.float64
        )
        speed = per_class[inverse] if len(uniq) else np.empty(0)
        has_max = np.isfinite(maxspeed_kmh) & np.isfinite(speed)
        if mode == "drive":
            speed = np.where(has_max, maxspeed_kmh, speed)
        elif mode == "ebike":
            speed = np.where(has_max, np.minimum(maxspeed_kmh, speed), speed)
        out[mode] = speed
    return out
