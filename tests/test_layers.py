"""Reading layers: every supported format, CRS handling, Chinese datums, and each bad input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
from shapely.geometry import Point, box

from planner.errors import DataError
from planner.inputs.layers import metric_crs_for, parse_crs, projected_xy, read_layer


@pytest.fixture
def points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["A", "B", "C"],
            "name_zh": ["汉口站", "武昌站", "光谷广场"],
            "pop": [1.0, 2.0, 3.0],
        },
        geometry=[Point(114.25, 30.62), Point(114.31, 30.53), Point(114.40, 30.51)],
        crs="EPSG:4326",
    )


def test_geojson_gpkg_parquet_roundtrip(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    points.to_file(tmp_path / "p.geojson", driver="GeoJSON")
    points.to_file(tmp_path / "p.gpkg", layer="sites", driver="GPKG")
    points.to_parquet(tmp_path / "p.parquet")
    for path, layer in (
        (tmp_path / "p.geojson", None),
        (tmp_path / "p.gpkg", "sites"),
        (tmp_path / "p.parquet", None),
    ):
        got = read_layer(path, layer=layer)
        assert got.crs.equals("EPSG:4326")
        assert got["name_zh"].tolist() == ["汉口站", "武昌站", "光谷广场"]
        np.testing.assert_allclose(got.geometry.x, points.geometry.x)


def test_projected_input_is_converted_to_wgs84(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    points.to_crs("EPSG:32650").to_file(tmp_path / "utm.gpkg", driver="GPKG")
    got = read_layer(tmp_path / "utm.gpkg")
    np.testing.assert_allclose(got.geometry.x, points.geometry.x, atol=1e-9)


def test_cgcs2000_is_practically_wgs84(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    points.set_crs("EPSG:4490", allow_override=True).to_file(tmp_path / "cgcs.gpkg", driver="GPKG")
    got = read_layer(tmp_path / "cgcs.gpkg")
    np.testing.assert_allclose(got.geometry.x, points.geometry.x, atol=1e-7)


def test_csv_detects_chinese_coordinate_columns(tmp_path: Path) -> None:
    df = pd.DataFrame({"名称": ["汉口站"], "经度": [114.25], "纬度": [30.62]})
    df.to_csv(tmp_path / "sites.csv", index=False, encoding="utf-8")
    got = read_layer(tmp_path / "sites.csv")
    assert got.geometry.x.iloc[0] == pytest.approx(114.25)
    assert got.crs.equals("EPSG:4326")


def test_csv_in_gbk_is_decoded(tmp_path: Path) -> None:
    df = pd.DataFrame({"名称": ["武昌站"], "lon": [114.31], "lat": [30.53]})
    df.to_csv(tmp_path / "gbk.csv", index=False, encoding="gbk")
    assert read_layer(tmp_path / "gbk.csv")["名称"].iloc[0] == "武昌站"


def test_csv_in_gcj02_is_shifted_back(tmp_path: Path) -> None:
    from planner.inputs.datums import wgs84_to_gcj02

    lon, lat = wgs84_to_gcj02(np.array([114.30]), np.array([30.60]))
    pd.DataFrame({"lng": lon, "lat": lat}).to_csv(tmp_path / "gcj.csv", index=False)
    got = read_layer(tmp_path / "gcj.csv", datum="gcj02")
    assert got.geometry.x.iloc[0] == pytest.approx(114.30, abs=1e-6)
    assert got.geometry.y.iloc[0] == pytest.approx(30.60, abs=1e-6)
    # The GCJ-02 offset in Wuhan is hundreds of metres: reading it as WGS 84 would be wrong.
    raw = read_layer(tmp_path / "gcj.csv")
    assert abs(raw.geometry.x.iloc[0] - 114.30) > 1e-3


def _write_shapefile_zip(
    tmp_path: Path, gdf: gpd.GeoDataFrame, *, encoding: str, drop: tuple[str, ...] = ()
) -> Path:
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    gdf.to_file(shp_dir / "sites.shp", encoding=encoding)
    zpath = tmp_path / "sites.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for f in sorted(shp_dir.iterdir()):
            if f.suffix.lower() not in drop:
                zf.write(f, arcname=f.name)
    return zpath


def test_zipped_gbk_shapefile_without_cpg(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    zpath = _write_shapefile_zip(tmp_path, points, encoding="gbk", drop=(".cpg",))
    got = read_layer(zpath)
    assert got["name_zh"].tolist() == ["汉口站", "武昌站", "光谷广场"]


def test_zip_missing_dbf_is_named(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    zpath = _write_shapefile_zip(tmp_path, points, encoding="utf-8", drop=(".dbf",))
    with pytest.raises(DataError, match=r"missing its \.dbf"):
        read_layer(zpath)


def test_zip_path_traversal_refused(tmp_path: Path) -> None:
    zpath = tmp_path / "evil.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("../../evil.shp", b"x")
    with pytest.raises(DataError, match="refuses member"):
        read_layer(zpath)


def test_zip_bomb_refused(tmp_path: Path) -> None:
    zpath = tmp_path / "bomb.zip"
    with zipfile.ZipFile(zpath, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * 5_000_000)
    with pytest.raises(DataError, match="zip bomb"):
        read_layer(zpath)


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"population file .*nope\.gpkg does not exist"):
        read_layer(tmp_path / "nope.gpkg", what="population")


def test_unknown_layer_lists_layers(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    points.to_file(tmp_path / "p.gpkg", layer="sites", driver="GPKG")
    points.to_file(tmp_path / "p.gpkg", layer="other", driver="GPKG")
    with pytest.raises(DataError, match=r"no layer 'nope'; layers are"):
        read_layer(tmp_path / "p.gpkg", layer="nope")
    with pytest.raises(DataError, match="choose one with `layer=`"):
        read_layer(tmp_path / "p.gpkg")


def test_csv_without_coordinates(tmp_path: Path) -> None:
    pd.DataFrame({"name": ["a"], "pop": [1]}).to_csv(tmp_path / "x.csv", index=False)
    with pytest.raises(DataError, match="no longitude column found"):
        read_layer(tmp_path / "x.csv")
    with pytest.raises(DataError, match="column 'east' for longitude not found"):
        read_layer(tmp_path / "x.csv", lon_col="east")


def test_csv_with_blank_coordinate_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("lon,lat\n114.2,30.5\n,30.6\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line\(s\) \[3\]"):
        read_layer(tmp_path / "x.csv")


def test_layer_without_crs(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    # A Shapefile without its .prj has no CRS at all.
    shp_dir = tmp_path / "s"
    shp_dir.mkdir()
    points.to_file(shp_dir / "a.shp")
    (shp_dir / "a.prj").unlink()
    with pytest.raises(DataError, match="has no coordinate system"):
        read_layer(shp_dir / "a.shp")
    got = read_layer(shp_dir / "a.shp", crs="wgs84")
    assert got.crs.equals("EPSG:4326")


def test_coordinates_out_of_range(tmp_path: Path) -> None:
    pd.DataFrame({"lon": [30.5], "lat": [114.2]}).to_csv(tmp_path / "swapped.csv", index=False)
    with pytest.raises(DataError, match="columns swapped"):
        read_layer(tmp_path / "swapped.csv")


def test_empty_layer(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("lon,lat\n", encoding="utf-8")
    with pytest.raises(DataError, match="has no rows"):
        read_layer(tmp_path / "empty.csv", what="fault records")


def test_unknown_format_and_crs(tmp_path: Path) -> None:
    (tmp_path / "a.xlsx").write_bytes(b"x")
    with pytest.raises(DataError, match="unknown format '.xlsx'"):
        read_layer(tmp_path / "a.xlsx")
    with pytest.raises(DataError, match="`crs` = 'mars' is not a coordinate system"):
        parse_crs("mars")


def test_not_a_geopackage(tmp_path: Path) -> None:
    (tmp_path / "bad.gpkg").write_bytes(b"this is not sqlite")
    with pytest.raises(DataError, match="bad.gpkg"):
        read_layer(tmp_path / "bad.gpkg")


def test_input_file_is_not_modified(tmp_path: Path, points: gpd.GeoDataFrame) -> None:
    path = tmp_path / "p.gpkg"
    points.to_file(path, driver="GPKG")
    before = path.read_bytes()
    read_layer(path)
    assert path.read_bytes() == before


def test_metric_crs_is_local_utm(points: gpd.GeoDataFrame) -> None:
    crs = metric_crs_for(points)
    assert crs.to_epsg() == 32650  # Wuhan lies in UTM zone 50N
    xy = projected_xy(points, crs)
    # Planar UTM distance agrees with the geodesic (ellipsoidal) distance within the zone's scale error.
    _, _, geodesic_m = pyproj.Geod(ellps="WGS84").inv(114.25, 30.62, 114.31, 30.53)
    assert np.hypot(*(xy[0] - xy[1])) == pytest.approx(geodesic_m, rel=1e-3)


def test_polygons_project_to_centroids() -> None:
    cells = gpd.GeoDataFrame(geometry=[box(114.0, 30.0, 114.01, 30.01)], crs="EPSG:4326")
    xy = projected_xy(cells, metric_crs_for(cells))
    assert xy.shape == (1, 2)
