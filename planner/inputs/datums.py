"""Conversions between WGS 84, GCJ-02 and BD-09 longitude/latitude.

Chinese web maps do not publish WGS 84 coordinates:

* **GCJ-02** (国测局坐标, "Mars coordinates") is WGS 84 shifted by a
  deliberately obscure, non-linear offset of a few hundred metres. AutoNavi
  (高德), Tencent and Google Maps in mainland China use it, and so do most
  Chinese POI data sets.
* **BD-09** (百度坐标) is Baidu's extra shift on top of GCJ-02.

The forward formulas (WGS 84 -> GCJ-02, GCJ-02 <-> BD-09) are the widely
published ones (e.g. wandergis/coordtransform, googollee/eviltransform) with the
Krasovsky semi-major axis 6,378,245 m. GCJ-02 -> WGS 84 has no closed form; the
one-step approximation ``wgs = gcj - offset(gcj)`` is off by 1-2 m, so
:func:`gcj02_to_wgs84` refines it by fixed-point iteration to well under 1 cm
(the offset varies slowly, so the iteration contracts by a factor of about
1,000 per step). BD-09 -> GCJ-02 is refined the same way.

Outside China (the usual rectangle 73.66-135.05 E, 3.86-53.55 N) the maps use
WGS 84 itself, so every conversion here is the identity there.

All functions take scalars or arrays of longitudes and latitudes in degrees
(broadcast against each other) and return a pair of float64 arrays of the
broadcast shape. There are no Python loops over points.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from planner.errors import InputError

__all__ = [
    "DATUMS",
    "Datum",
    "DatumFit",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "datum_fit",
    "datum_warning",
    "from_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "out_of_china",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

Datum = Literal["wgs84", "gcj02", "bd09"]
#: The datum names accepted by :func:`to_wgs84` and :func:`from_wgs84`.
DATUMS: Final[tuple[str, ...]] = ("wgs84", "gcj02", "bd09")

FloatArray = NDArray[np.float64]
_Converter = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

# Constants of the published GCJ-02 / BD-09 formulas (not to be "corrected":
# the point is to reproduce what the Chinese map services do).
_A: Final = 6378245.0  # Krasovsky 1940 semi-major axis, m
_EE: Final = 0.00669342162296594323  # Krasovsky first eccentricity squared
_X_PI: Final = np.pi * 3000.0 / 180.0
_BD_DLON: Final = 0.0065
_BD_DLAT: Final = 0.006

# Iteration settings of the inverse conversions. 1e-10 degrees is about 0.01 mm.
_TOL_DEG: Final = 1e-10
_MAX_ITER: Final = 20


def _as_pair(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Broadcast ``lon`` and ``lat`` to float64 arrays of one shape (copies)."""
    try:
        lon_arr = np.asarray(lon, dtype=np.float64)
        lat_arr = np.asarray(lat, dtype=np.float64)
        lon_b, lat_b = np.broadcast_arrays(lon_arr, lat_arr)
    except (TypeError, ValueError) as exc:
        raise InputError(
            "`lon` and `lat` must be numbers or arrays of numbers of broadcastable shapes "
            f"(degrees): {exc}"
        ) from None
    return np.array(lon_b, dtype=np.float64), np.array(lat_b, dtype=np.float64)


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """Return True where a point lies outside the rectangle where GCJ-02 applies.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray of bool
        True outside 73.66-135.05 E, 3.86-53.55 N (the usual ``out_of_china``
        rule of the published converters).
    """
    lon_a, lat_a = _as_pair(lon, lat)
    inside = (lon_a > 73.66) & (lon_a < 135.05) & (lat_a > 3.86) & (lat_a < 53.55)
    return np.asarray(~inside)


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS 84 in degrees (dlon, dlat) at WGS 84 point ``(lon, lat)``."""
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat_m = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * sqrt_abs_x
        + common
        + (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    )
    dlon_m = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * sqrt_abs_x
        + common
        + (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = (dlat_m * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * np.pi)
    dlon = (dlon_m * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs_to_gcj(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Forward GCJ-02 on float64 arrays of one shape (identity outside China)."""
    dlon, dlat = _gcj_offset(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def _gcj_to_bd(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Forward BD-09 on float64 arrays of one shape (identity outside China)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    outside = out_of_china(lon, lat)
    bd_lon = z * np.cos(theta) + _BD_DLON
    bd_lat = z * np.sin(theta) + _BD_DLAT
    return np.where(outside, lon, bd_lon), np.where(outside, lat, bd_lat)


def _bd_to_gcj_one_step(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published closed-form BD-09 -> GCJ-02 approximation (no out-of-China rule)."""
    x = lon - _BD_DLON
    y = lat - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: _Converter,
    target_lon: FloatArray,
    target_lat: FloatArray,
    start_lon: FloatArray,
    start_lat: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from ``start``.

    The offsets vary slowly with position (their derivatives are of order
    1e-3), so ``x <- x - (forward(x) - target)`` contracts quickly; a few
    iterations reach the tolerance. Points already converged are left alone.
    """
    lon = start_lon.copy()
    lat = start_lat.copy()
    for _ in range(_MAX_ITER):
        f_lon, f_lat = forward(lon, lat)
        err_lon = f_lon - target_lon
        err_lat = f_lat - target_lat
        lon -= err_lon
        lat -= err_lat
        if lon.size == 0 or max(np.max(np.abs(err_lon)), np.max(np.abs(err_lat))) < _TOL_DEG:
            break
    return lon, lat


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS 84 longitude/latitude to GCJ-02 (AutoNavi/Gaode, Tencent).

    Parameters
    ----------
    lon, lat
        WGS 84 longitude and latitude in degrees, scalars or arrays
        (broadcast against each other).

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)`` in degrees, float64 arrays of the broadcast
        shape. Points outside China are returned unchanged.
    """
    lon_a, lat_a = _as_pair(lon, lat)
    return _wgs_to_gcj(lon_a, lat_a)


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to WGS 84 by iterative inversion.

    Starts from the usual one-step approximation (1-2 m off) and iterates
    until the forward conversion of the result matches the input to 1e-10
    degrees (about 0.01 mm), far inside the 0.5 m the planner needs.

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees, scalars or arrays.

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 ``(lon, lat)`` in degrees. Points outside China are returned
        unchanged.
    """
    lon_a, lat_a = _as_pair(lon, lat)
    dlon, dlat = _gcj_offset(lon_a, lat_a)
    w_lon, w_lat = _invert(_wgs_to_gcj, lon_a, lat_a, lon_a - dlon, lat_a - dlat)
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, w_lon), np.where(outside, lat_a, w_lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert GCJ-02 longitude/latitude to BD-09 (Baidu).

    Parameters
    ----------
    lon, lat
        GCJ-02 longitude and latitude in degrees, scalars or arrays.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 ``(lon, lat)`` in degrees; unchanged outside China.
    """
    lon_a, lat_a = _as_pair(lon, lat)
    return _gcj_to_bd(lon_a, lat_a)


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 (Baidu) longitude/latitude to GCJ-02.

    Starts from the published closed-form inverse and refines it by iteration
    so that :func:`gcj02_to_bd09` of the result reproduces the input.

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees, scalars or arrays.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 ``(lon, lat)`` in degrees; unchanged outside China.
    """
    lon_a, lat_a = _as_pair(lon, lat)
    s_lon, s_lat = _bd_to_gcj_one_step(lon_a, lat_a)
    g_lon, g_lat = _invert(_gcj_to_bd, lon_a, lat_a, s_lon, s_lat)
    outside = out_of_china(lon_a, lat_a)
    return np.where(outside, lon_a, g_lon), np.where(outside, lat_a, g_lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert WGS 84 longitude/latitude to BD-09 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        WGS 84 longitude and latitude in degrees, scalars or arrays.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 ``(lon, lat)`` in degrees; unchanged outside China.
    """
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    return _gcj_to_bd(g_lon, g_lat)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Convert BD-09 (Baidu) longitude/latitude to WGS 84 (via GCJ-02).

    Parameters
    ----------
    lon, lat
        BD-09 longitude and latitude in degrees, scalars or arrays.

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 ``(lon, lat)`` in degrees; unchanged outside China.
    """
    g_lon, g_lat = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(g_lon, g_lat)


def _check_datum(datum: object) -> str:
    if not isinstance(datum, str) or datum.strip().lower() not in DATUMS:
        raise InputError(
            f"`datum` must be one of {', '.join(DATUMS)}; got {datum!r}. "
            "Use 'gcj02' for AutoNavi/Gaode or Tencent coordinates, 'bd09' for Baidu, "
            "'wgs84' for GPS."
        )
    return datum.strip().lower()


def to_wgs84(lon: ArrayLike, lat: ArrayLike, datum: Datum | str) -> tuple[FloatArray, FloatArray]:
    """Convert longitude/latitude in ``datum`` to WGS 84.

    Parameters
    ----------
    lon, lat
        Longitude and latitude in degrees in ``datum``, scalars or arrays.
    datum
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (case-insensitive).

    Returns
    -------
    tuple of numpy.ndarray
        WGS 84 ``(lon, lat)`` in degrees.

    Raises
    ------
    planner.errors.InputError
        If ``datum`` is not one of the three names.
    """
    name = _check_datum(datum)
    if name == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if name == "bd09":
        return bd09_to_wgs84(lon, lat)
    return _as_pair(lon, lat)


def from_wgs84(lon: ArrayLike, lat: ArrayLike, datum: Datum | str) -> tuple[FloatArray, FloatArray]:
    """Convert WGS 84 longitude/latitude to ``datum``.

    Parameters
    ----------
    lon, lat
        WGS 84 longitude and latitude in degrees, scalars or arrays.
    datum
        Target: ``"wgs84"``, ``"gcj02"`` or ``"bd09"`` (case-insensitive).

    Returns
    -------
    tuple of numpy.ndarray
        ``(lon, lat)`` in degrees in ``datum``.

    Raises
    ------
    planner.errors.InputError
        If ``datum`` is not one of the three names.
    """
    name = _check_datum(datum)
    if name == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if name == "bd09":
        return wgs84_to_bd09(lon, lat)
    return _as_pair(lon, lat)


@dataclass(frozen=True)
class DatumFit:
    """How well points fit where people live, read as each datum (:func:`datum_fit`).

    Attributes
    ----------
    scores
        Per datum (``"wgs84"``: as given; ``"gcj02"``, ``"bd09"``: shifted back to WGS 84),
        the mean of ``log(1 + population)`` of the populated place nearest each point.
    empty
        Per datum, the share of points with no populated place within ``radius_m``.
    best
        The datum with the highest score.
    shift_m
        Mean distance (metres) between the points as given and read as ``best``.
    spacing_m
        Typical distance between neighbouring populated places: on a grid as coarse as the
        shift itself (~500 m) the evidence says nothing.
    gcj02_shift_m
        Mean distance (metres) between the points as given and read as GCJ-02 (the smaller
        of the two web-map shifts).
    """

    scores: dict[str, float]
    empty: dict[str, float]
    best: str
    shift_m: float
    spacing_m: float
    gcj02_shift_m: float = 0.0

    @property
    def undecided(self) -> bool:
        """True when the populated places are too far apart to tell WGS 84 from GCJ-02 (and
        no web-map datum fits clearly better): the points may be ~500 m off unseen."""
        return not self.looks_shifted and self.spacing_m > 0.6 * self.gcj02_shift_m

    @property
    def looks_shifted(self) -> bool:
        """True when a web-map datum fits clearly better than the coordinates as given: a
        higher score and fewer points on empty land (the test the demo build applies to its
        places)."""
        return (
            self.best != "wgs84"
            and self.spacing_m <= 0.6 * self.shift_m  # finer than the shift, else no evidence
            and self.scores[self.best] > self.scores["wgs84"] + 0.1
            and self.empty[self.best] < self.empty["wgs84"]
        )


def datum_warning(section: str, n: int, fit: DatumFit) -> str | None:
    """The warning for ``n`` points of scenario section ``section`` (e.g. ``data.candidates``)
    with no ``datum`` set: they look shifted, or the populated places are too coarse to tell
    WGS 84 from GCJ-02; None when the evidence says WGS 84."""
    if fit.looks_shifted:
        name = {"gcj02": "GCJ-02", "bd09": "BD-09"}.get(fit.best, fit.best)
        return (
            f"{section}: no `datum` is set, but its {n} points fit where people live clearly "
            f"better read as {name} (web-map coordinates, about {fit.shift_m:,.0f} m off WGS "
            f"84); if they come from AutoNavi/Tencent (gcj02) or Baidu (bd09), set datum = "
            f'"{fit.best}" in [{section}]; if they are true WGS 84, set datum = "wgs84" to say so.'
        )
    if fit.undecided:
        return (
            f"{section}: no `datum` is set, and the populated places ({fit.spacing_m:,.0f} m "
            f"apart) are too coarse to tell whether its {n} points are WGS 84 or web-map "
            f"coordinates (GCJ-02 would put them about {fit.gcj02_shift_m:,.0f} m off); if "
            f'they come from AutoNavi/Tencent, set datum = "gcj02" in [{section}], from Baidu '
            'datum = "bd09"; if they are true WGS 84, set datum = "wgs84" to say so.'
        )
    return None


def datum_fit(
    lon: ArrayLike,
    lat: ArrayLike,
    ref_lon: ArrayLike,
    ref_lat: ArrayLike,
    ref_population: ArrayLike,
    *,
    radius_m: float = 250.0,
) -> DatumFit:
    """Which datum the points' coordinates are in, judged by where people live.

    Points of interest (shops, offices, halls) lie where people are. Read as the right
    datum they land on populated places; read as the wrong one, ~500 m off (GCJ-02) or
    more (BD-09), on average on emptier ones. The same evidence the demo build uses to
    decide its places' datum, with population points instead of a raster.

    Parameters
    ----------
    lon, lat
        The points as given, degrees.
    ref_lon, ref_lat, ref_population
        Populated places in WGS 84 (e.g. the demand cells' centres) and their people.
    radius_m
        A point farther than this (or three quarters of the places' spacing, if more)
        from every populated place counts as empty.
    """
    from scipy.spatial import cKDTree

    x, y = _as_pair(lon, lat)
    rx, ry = _as_pair(ref_lon, ref_lat)
    pop = np.asarray(ref_population, dtype=np.float64)
    if x.size == 0 or rx.size == 0:
        raise ValueError("datum_fit needs at least one point and one populated place")
    lat0 = float(np.mean(ry))
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    tree = cKDTree(np.column_stack([rx * kx, ry * ky]))
    spacing = float(np.median(tree.query(tree.data, k=2)[0][:, 1])) if rx.size > 1 else float("inf")
    radius_m = max(radius_m, 0.75 * spacing)
    reads = {
        "wgs84": (x, y),
        "gcj02": gcj02_to_wgs84(x, y),
        "bd09": bd09_to_wgs84(x, y),
    }
    scores: dict[str, float] = {}
    empty: dict[str, float] = {}
    for name, (px, py) in reads.items():
        dist, idx = tree.query(np.column_stack([px * kx, py * ky]))
        near = dist <= radius_m
        got = np.where(near, pop[idx], 0.0)
        scores[name] = float(np.mean(np.log1p(got)))
        empty[name] = float(np.mean(~near | (got <= 0)))
    best = max(scores, key=lambda k: scores[k])

    def shift(name: str) -> float:
        bx, by = reads[name]
        return float(np.mean(np.hypot((bx - x) * kx, (by - y) * ky)))

    return DatumFit(
        scores=scores,
        empty=empty,
        best=best,
        shift_m=shift(best),
        spacing_m=spacing,
        gcj02_shift_m=shift("gcj02"),
    )
