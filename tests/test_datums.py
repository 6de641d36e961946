"""Tests of planner.inputs.datums against published coordinate pairs and by round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from planner.errors import InputError
from planner.inputs import datums

EARTH_RADIUS_M = 6_371_008.8


def _distance_m(lon1: np.ndarray, lat1: np.ndarray, lon2: np.ndarray, lat2: np.ndarray) -> float:
    """Largest haversine distance in metres between paired points."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(np.max(2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(h))))


# WGS 84 -> GCJ-02 pairs from googollee/eviltransform, python/test.py and
# go/transform_test.go (`TESTS`, given there as wgsLat, wgsLng, gcjLat, gcjLng;
# reordered here to lon, lat).
EVILTRANSFORM_PAIRS = [
    # wgs_lon, wgs_lat, gcj_lon, gcj_lat
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),  # Shanghai
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),  # Shenzhen
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),  # Beijing
]

# wandergis/coordtransform, test/app.js: every conversion applied to (116.404, 39.915)
# with the printed results.
WANDERGIS_INPUT = (116.404, 39.915)
WANDERGIS_WGS84_TO_GCJ02 = (116.41024449916938, 39.91640428150164)
WANDERGIS_GCJ02_TO_BD09 = (116.41036949371029, 39.92133699351021)
WANDERGIS_BD09_TO_GCJ02 = (116.39762729119315, 39.90865673957631)

# Alibaba Cloud address-purification API docs, "coordinate-system-conversion"
# (help.aliyun.com/zh/address-purification/.../coordinate-system-conversion):
# GCJ02 120.026268,30.279164 -> BD09 120.032768,30.285238 (six decimals).
ALIYUN_GCJ02 = (120.026268, 30.279164)
ALIYUN_BD09 = (120.032768, 30.285238)


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), EVILTRANSFORM_PAIRS)
def test_wgs84_to_gcj02_matches_eviltransform(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    lon, lat = datums.wgs84_to_gcj02(wgs_lon, wgs_lat)
    assert float(lon) == pytest.approx(gcj_lon, abs=1e-7)
    assert float(lat) == pytest.approx(gcj_lat, abs=1e-7)


@pytest.mark.parametrize(("wgs_lon", "wgs_lat", "gcj_lon", "gcj_lat"), EVILTRANSFORM_PAIRS)
def test_gcj02_to_wgs84_is_exact_on_eviltransform_pairs(
    wgs_lon: float, wgs_lat: float, gcj_lon: float, gcj_lat: float
) -> None:
    # eviltransform's own "exact" inverse promises < 0.5 m; we ask for < 1 cm.
    lon, lat = datums.gcj02_to_wgs84(gcj_lon, gcj_lat)
    assert _distance_m(lon, lat, np.array(wgs_lon), np.array(wgs_lat)) < 0.01


def test_gcj02_to_wgs84_beats_the_one_step_approximation() -> None:
    # The one-step inverse (wgs = gcj - offset(gcj)) is 1-2 m off; ours is not.
    gcj_lon, gcj_lat = 121.531541859215, 31.17530398364597
    wgs_lon, wgs_lat = 121.5272106, 31.1774276
    one_step_lon = 2 * gcj_lon - float(datums.wgs84_to_gcj02(gcj_lon, gcj_lat)[0])
    one_step_lat = 2 * gcj_lat - float(datums.wgs84_to_gcj02(gcj_lon, gcj_lat)[1])
    one_step_err = _distance_m(
        np.array(one_step_lon), np.array(one_step_lat), np.array(wgs_lon), np.array(wgs_lat)
    )
    lon, lat = datums.gcj02_to_wgs84(gcj_lon, gcj_lat)
    exact_err = _distance_m(lon, lat, np.array(wgs_lon), np.array(wgs_lat))
    assert one_step_err > 0.5
    assert exact_err < 0.01


def test_wandergis_pairs() -> None:
    lon, lat = datums.wgs84_to_gcj02(*WANDERGIS_INPUT)
    assert (float(lon), float(lat)) == pytest.approx(WANDERGIS_WGS84_TO_GCJ02, abs=1e-9)
    lon, lat = datums.gcj02_to_bd09(*WANDERGIS_INPUT)
    assert (float(lon), float(lat)) == pytest.approx(WANDERGIS_GCJ02_TO_BD09, abs=1e-9)
    # The published BD-09 -> GCJ-02 formula is itself a one-step approximation
    # (up to ~0.2 m off); ours is refined by iteration, so compare in metres.
    lon, lat = datums.bd09_to_gcj02(*WANDERGIS_INPUT)
    ref_lon, ref_lat = WANDERGIS_BD09_TO_GCJ02
    assert _distance_m(lon, lat, np.array(ref_lon), np.array(ref_lat)) < 0.25


def test_aliyun_gcj02_to_bd09_pair() -> None:
    lon, lat = datums.gcj02_to_bd09(*ALIYUN_GCJ02)
    assert float(lon) == pytest.approx(ALIYUN_BD09[0], abs=1.5e-6)
    assert float(lat) == pytest.approx(ALIYUN_BD09[1], abs=1.5e-6)
    # ... and back, through every route to WGS 84 (within the 6-decimal rounding).
    w1 = datums.bd09_to_wgs84(*ALIYUN_BD09)
    w2 = datums.gcj02_to_wgs84(*ALIYUN_GCJ02)
    assert _distance_m(w1[0], w1[1], w2[0], w2[1]) < 0.3


def test_arrays_in_arrays_out_and_broadcasting() -> None:
    lons = np.array([[114.3, 114.31], [114.32, 114.33]])
    lon, lat = datums.wgs84_to_gcj02(lons, 30.6)
    assert lon.shape == lat.shape == (2, 2)
    assert lon.dtype == np.float64
    for i in range(2):
        for j in range(2):
            one_lon, one_lat = datums.wgs84_to_gcj02(lons[i, j], 30.6)
            assert lon[i, j] == one_lon
            assert lat[i, j] == one_lat
    empty = datums.gcj02_to_wgs84(np.array([]), np.array([]))
    assert empty[0].shape == (0,)


def test_input_is_not_modified() -> None:
    lon = np.array([114.3, 114.4])
    lat = np.array([30.5, 30.6])
    datums.gcj02_to_wgs84(lon, lat)
    datums.bd09_to_wgs84(lon, lat)
    np.testing.assert_array_equal(lon, [114.3, 114.4])
    np.testing.assert_array_equal(lat, [30.5, 30.6])


def test_offset_in_wuhan_is_a_few_hundred_metres() -> None:
    # GCJ-02 moves central Wuhan about 0.5 km (south-east); BD-09 adds about 1 km more.
    lon, lat = datums.wgs84_to_gcj02(114.3, 30.58)
    d_gcj = _distance_m(lon, lat, np.array(114.3), np.array(30.58))
    assert 300 < d_gcj < 800
    b_lon, b_lat = datums.wgs84_to_bd09(114.3, 30.58)
    d_bd = _distance_m(b_lon, b_lat, np.array(114.3), np.array(30.58))
    assert d_bd > d_gcj + 500


OUTSIDE_CHINA = [
    (-0.1276, 51.5072),  # London
    (139.6917, 35.6895),  # Tokyo (east of 135.05 E)
    (100.5018, 2.0),  # south of 3.86 N
    (-74.006, 40.7128),  # New York
]


@pytest.mark.parametrize(("lon", "lat"), OUTSIDE_CHINA)
@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_identity_outside_china(lon: float, lat: float, datum: str) -> None:
    assert datums.out_of_china(lon, lat)
    to = datums.to_wgs84(lon, lat, datum)
    back = datums.from_wgs84(lon, lat, datum)
    assert (float(to[0]), float(to[1])) == (lon, lat)
    assert (float(back[0]), float(back[1])) == (lon, lat)


def test_mixed_inside_and_outside_china() -> None:
    lon = np.array([114.3, -0.1276])
    lat = np.array([30.58, 51.5072])
    g_lon, g_lat = datums.wgs84_to_gcj02(lon, lat)
    assert g_lon[0] != lon[0]
    assert (g_lon[1], g_lat[1]) == (lon[1], lat[1])


@pytest.mark.parametrize("datum", ["wgs84", "gcj02", "bd09", "GCJ02", " BD09 "])
def test_to_and_from_wgs84_dispatch(datum: str) -> None:
    lon, lat = 114.3, 30.58
    f_lon, f_lat = datums.from_wgs84(lon, lat, datum)
    name = datum.strip().lower()
    expected: dict[str, tuple[object, object]] = {
        "wgs84": (lon, lat),
        "gcj02": datums.wgs84_to_gcj02(lon, lat),
        "bd09": datums.wgs84_to_bd09(lon, lat),
    }
    e_lon, e_lat = np.asarray(expected[name][0]), np.asarray(expected[name][1])
    assert (float(f_lon), float(f_lat)) == (float(e_lon), float(e_lat))
    b_lon, b_lat = datums.to_wgs84(f_lon, f_lat, datum)
    assert _distance_m(b_lon, b_lat, np.array(lon), np.array(lat)) < 0.01


@pytest.mark.parametrize("bad", ["wgs-84", "cgcs2000", "", None, 4326])
def test_unknown_datum_names_the_argument(bad: object) -> None:
    with pytest.raises(InputError, match="`datum`"):
        datums.to_wgs84(114.3, 30.58, bad)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="`datum`"):
        datums.from_wgs84(114.3, 30.58, bad)  # type: ignore[arg-type]


def test_bad_coordinates_raise_input_error() -> None:
    with pytest.raises(InputError, match="`lon` and `lat`"):
        datums.wgs84_to_gcj02(np.zeros(3), np.zeros(2))
    with pytest.raises(InputError, match="`lon` and `lat`"):
        datums.gcj02_to_wgs84("east", 30.0)


# China's extent, kept 0.05 degrees inside the out_of_china rectangle so that a
# shifted point cannot cross its edge (where the conversions are discontinuous).
china_lon = arrays(np.float64, 64, elements=st.floats(73.71, 135.0))
china_lat = arrays(np.float64, 64, elements=st.floats(3.91, 53.5))


@settings(max_examples=60, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_gcj02_under_half_a_metre(lon: np.ndarray, lat: np.ndarray) -> None:
    g_lon, g_lat = datums.wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = datums.gcj02_to_wgs84(g_lon, g_lat)
    assert _distance_m(w_lon, w_lat, lon, lat) < 0.5
    # and the other way round: GCJ-02 -> WGS 84 -> GCJ-02
    w_lon, w_lat = datums.gcj02_to_wgs84(lon, lat)
    g_lon, g_lat = datums.wgs84_to_gcj02(w_lon, w_lat)
    assert _distance_m(g_lon, g_lat, lon, lat) < 0.5


@settings(max_examples=60, deadline=None)
@given(lon=china_lon, lat=china_lat)
def test_round_trip_bd09_under_half_a_metre(lon: np.ndarray, lat: np.ndarray) -> None:
    b_lon, b_lat = datums.wgs84_to_bd09(lon, lat)
    w_lon, w_lat = datums.bd09_to_wgs84(b_lon, b_lat)
    assert _distance_m(w_lon, w_lat, lon, lat) < 0.5
    g_lon, g_lat = datums.bd09_to_gcj02(*datums.gcj02_to_bd09(lon, lat))
    assert _distance_m(g_lon, g_lat, lon, lat) < 0.5
