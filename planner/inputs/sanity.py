"""Plausibility checks of layers that read without error but are probably wrong.

A layer can be perfectly readable and still put the plan on the wrong continent:
degrees labelled as a UTM CRS, a few population points at (0, 0), candidates
from another city, GCJ-02 set on points outside China. These checks find such
layers and say so in one line each (the pipeline warns, or fails under the
scenario's ``strict = true``). They never change the data, except that fault
records outside the study area are dropped (with a count): they cannot be
served and would only flatten the fault heat map.

The *study area* is where the population is: the box around the population
points that lie within ``max(50 km, 3 x the 90th-percentile distance)`` of
their median point, widened by ``max(10 km, 10 %`` of its diagonal``)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pyproj
from numpy.typing import NDArray

__all__ = [
    "StudyArea",
    "china_findings",
    "crs_findings",
    "outside_area",
    "point_lonlat",
    "study_area",
]

_EARTH_RADIUS_KM: Final = 6371.0088
#: A point is an outlier of the population beyond this distance (km) or 3x the 90th percentile.
MIN_OUTLIER_KM: Final = 50.0
#: The study area reaches this far (km, or 10 % of its diagonal) beyond the population.
MIN_MARGIN_KM: Final = 10.0
_CHINESE_DATUMS: Final = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def _km(
    lon1: NDArray[np.float64], lat1: NDArray[np.float64], lon2: float, lat2: float
) -> NDArray[np.float64]:
    """Great-circle distance (km) from each (lon1, lat1) to (lon2, lat2)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2 - lon1)
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def point_lonlat(gdf: gpd.GeoDataFrame) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Longitude and latitude of each feature (its bounding box centre), in degrees."""
    b = gdf.geometry.bounds.to_numpy(dtype=float)
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


@dataclass(frozen=True)
class StudyArea:
    """The box the population occupies (degrees, WGS 84), with its margin.

    Attributes
    ----------
    west, south, east, north
        The box's edges in degrees.
    centre_lon, centre_lat
        The population's median point.
    """

    west: float
    south: float
    east: float
    north: float
    centre_lon: float
    centre_lat: float

    def contains(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.bool_]:
        """True for each point inside the box."""
        return (lon >= self.west) & (lon <= self.east) & (lat >= self.south) & (lat <= self.north)

    def distance_km(
        self, lon: NDArray[np.float64], lat: NDArray[np.float64]
    ) -> NDArray[np.float64]:
        """Distance (km) of each point from the population's median point."""
        return _km(lon, lat, self.centre_lon, self.centre_lat)

    def describe(self) -> str:
        return f"lon {self.west:.3f}..{self.east:.3f}, lat {self.south:.3f}..{self.north:.3f}"


def study_area(
    lon: NDArray[np.float64], lat: NDArray[np.float64]
) -> tuple[StudyArea, NDArray[np.bool_]]:
    """The study area of the population points and which points lie far outside it.

    Returns
    -------
    (StudyArea, numpy.ndarray)
        The area, and a boolean mask of the points that are outliers (far from
        the others; they are not used to draw the area).
    """
    c_lon, c_lat = float(np.median(lon)), float(np.median(lat))
    dist = _km(lon, lat, c_lon, c_lat)
    limit = max(MIN_OUTLIER_KM, 3.0 * float(np.quantile(dist, 0.9)))
    outliers = dist > limit
    inner_lon, inner_lat = lon[~outliers], lat[~outliers]
    west, east = float(inner_lon.min()), float(inner_lon.max())
    south, north = float(inner_lat.min()), float(inner_lat.max())
    diag_km = float(_km(np.array([west]), np.array([south]), east, north)[0])
    margin_km = max(MIN_MARGIN_KM, 0.1 * diag_km)
    dlat = margin_km / 111.32
    dlon = margin_km / (111.32 * max(np.cos(np.radians(max(abs(south), abs(north)))), 0.05))
    area = StudyArea(
        west=west - dlon,
        south=south - dlat,
        east=east + dlon,
        north=north + dlat,
        centre_lon=c_lon,
        centre_lat=c_lat,
    )
    return area, outliers


def _example(
    ids: NDArray[np.object_] | None,
    lon: NDArray[np.float64],
    lat: NDArray[np.float64],
    mask: NDArray[np.bool_],
) -> str:
    i = int(np.flatnonzero(mask)[0])
    name = f"{ids[i]} " if ids is not None else ""
    return f"{name}at ({lon[i]:.4f}, {lat[i]:.4f})"


def outside_area(
    area: StudyArea,
    gdf: gpd.GeoDataFrame,
    *,
    what: str,
    where: str,
    id_col: str | None = None,
) -> tuple[NDArray[np.bool_], str | None]:
    """Which features of a layer lie outside the study area, and the one-line finding.

    Returns the mask and the message (``None`` when every feature lies inside).
    When none lies inside, the message says the extents do not overlap.
    """
    lon, lat = point_lonlat(gdf)
    outside = ~area.contains(lon, lat)
    n, k = len(gdf), int(outside.sum())
    if k == 0:
        return outside, None
    ids = gdf[id_col].astype(str).to_numpy() if id_col and id_col in gdf.columns else None
    nearest = float(area.distance_km(lon, lat).min())
    if k == n:
        message = (
            f"{where}: none of the {n} {what} lies within the study area of the population "
            f"({area.describe()}); the nearest is {nearest:,.0f} km from the population's centre: "
            "the layers' extents do not overlap (check each layer's CRS, datum and coordinates)."
        )
    else:
        far = float(area.distance_km(lon[outside], lat[outside]).max())
        message = (
            f"{where}: {k} of {n} {what} lie outside the study area of the population "
            f"({area.describe()}), up to {far:,.0f} km from its centre (e.g. "
            f"{_example(ids, lon, lat, outside)}); check their coordinates."
        )
    return outside, message


def crs_findings(gdf: gpd.GeoDataFrame, *, source_crs: pyproj.CRS | None, where: str) -> list[str]:
    """A projected CRS (metres) whose coordinates all fit in -180..180 / -90..90.

    ``gdf`` is the layer in its own CRS, as read: such coordinates are almost
    surely degrees labelled with the wrong CRS (they would land thousands of km away).
    """
    if source_crs is None or gdf.empty or not source_crs.is_projected:
        return []
    minx, miny, maxx, maxy = (float(v) for v in gdf.total_bounds)
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        return []
    return [
        f"{where}: the coordinates look like degrees (x {minx:.4g}..{maxx:.4g}, "
        f"y {miny:.4g}..{maxy:.4g}) but the layer's CRS is {source_crs.to_string()} "
        f'({source_crs.name}, in metres); set `crs = "wgs84"` (or the right CRS) '
        "or fix the file's .prj."
    ]


def china_findings(
    gdf: gpd.GeoDataFrame, *, source_crs: pyproj.CRS | None, datum: str | None, where: str
) -> list[str]:
    """Points outside China in a Chinese coordinate system (GCJ-02, BD-09, CGCS2000).

    ``gdf`` is the layer converted to WGS 84 (degrees).
    """
    label = _CHINESE_DATUMS.get(datum or "")
    crs_datum = None if source_crs is None else source_crs.datum
    if label is None and crs_datum is not None and "China 2000" in (crs_datum.name or ""):
        label = "CGCS2000"
    if label is None or gdf.empty:
        return []
    from planner.inputs.datums import out_of_china

    lon, lat = point_lonlat(gdf)
    outside = out_of_china(lon, lat)
    if not outside.any():
        return []
    return [
        f"{where}: {int(outside.sum())} of {len(gdf)} points lie outside China (e.g. at "
        f"({lon[outside][0]:.4f}, {lat[outside][0]:.4f})) although the layer is in "
        f"{label}, a Chinese coordinate system; check `datum`/`crs` and the coordinates."
    ]
