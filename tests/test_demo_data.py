"""Checks on the committed demo GeoPackage ``data/geo/wuhan_demo.gpkg`` and its sources.json.

Rebuild with ``.venv/bin/python scripts/build_demo_data.py --shared ../shared/data
--out data/geo`` (see data/geo/README.md) if these fail after a change of the
build script.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

GEO = Path(__file__).resolve().parents[1] / "data" / "geo"
GPKG = GEO / "wuhan_demo.gpkg"
SOURCES = GEO / "sources.json"

LAYER_COLUMNS = {
    "study_area": {"name"},
    "population": {
        "cell_id",
        "pop_20plus",
        "pop_65plus",
        "area_km2",
        "density_20plus_per_km2",
    },
    "residential": {"cell_id", "residential_density"},
    "residential_compounds": {"name_zh", "name_en", "checkins"},
    "candidate_sites": {
        "site_id",
        "name_zh",
        "name_en",
        "category",
        "category_zh",
        "category_en",
        "checkins",
    },
    "existing_centres": {"centre_id", "name_zh", "name_en", "category", "simulated", "note"},
    "fault_records": {
        "fault_id",
        "reported_at",
        "cause_zh",
        "cause_en",
        "customers_affected",
        "repair_minutes",
        "simulated",
    },
}
SITE_SLUGS = {
    "mall",
    "office",
    "hospital",
    "library",
    "metro_station",
    "rail_station",
    "supermarket",
}
POINT_LAYERS = ["residential_compounds", "candidate_sites", "existing_centres", "fault_records"]
UTM50N = "EPSG:32650"


@pytest.fixture(scope="module")
def layers() -> dict[str, gpd.GeoDataFrame]:
    names = [str(n) for n in pyogrio.list_layers(GPKG)[:, 0]]
    return {name: gpd.read_file(GPKG, layer=name, engine="pyogrio") for name in names}


@pytest.fixture(scope="module")
def area(layers: dict[str, gpd.GeoDataFrame]) -> shapely.Geometry:
    return shapely.union_all(layers["study_area"].geometry.to_numpy())


def _utm_xy(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pts = gdf.geometry.to_crs(UTM50N)
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def test_file_is_small() -> None:
    assert GPKG.stat().st_size < 5_000_000


def test_layers_crs_and_columns(layers: dict[str, gpd.GeoDataFrame]) -> None:
    assert set(layers) == set(LAYER_COLUMNS)
    for name, gdf in layers.items():
        assert gdf.crs is not None, name
        assert gdf.crs.to_epsg() == 4326, name
        missing = LAYER_COLUMNS[name] - set(gdf.columns)
        assert not missing, f"{name} lacks {missing}"
        assert len(gdf) > 0, name
        assert gdf.geometry.notna().all(), name
        assert gdf.geometry.is_valid.all(), name


def test_geometry_types(layers: dict[str, gpd.GeoDataFrame]) -> None:
    for name in ("study_area", "population", "residential"):
        assert set(layers[name].geom_type) <= {"Polygon", "MultiPolygon"}, name
    for name in POINT_LAYERS:
        assert set(layers[name].geom_type) == {"Point"}, name


def test_study_area_is_the_demo_bbox(area: shapely.Geometry) -> None:
    lon0, lat0, lon1, lat1 = shapely.bounds(area)
    assert (lon0, lat0, lon1, lat1) == pytest.approx((114.13, 30.45, 114.45, 30.70), abs=1e-6)


def test_population_values(layers: dict[str, gpd.GeoDataFrame]) -> None:
    pop = layers["population"]
    for col in ("pop_20plus", "pop_65plus", "area_km2", "density_20plus_per_km2"):
        values = pop[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), col
        assert (values >= 0).all(), col
    assert (pop["pop_20plus"] > 0).all()
    # 65+ is part of 20+ (same WorldPop source, summed age bands)
    assert (pop["pop_65plus"] <= pop["pop_20plus"] + 0.05).all()
    assert pop["cell_id"].is_unique
    assert pop["cell_id"].str.fullmatch(r"WH\d{4,}").all()
    # true 500 m squares (0.25 km2), smaller only where cut by the study-area edge
    assert (pop["area_km2"] > 0).all()
    assert (pop["area_km2"] <= 0.2501).all()
    assert (pop["area_km2"] > 0.2499).mean() > 0.9
    # a 500 m cell holds at most ~42 WorldPop 100 m cells; Wuhan's densest hold < 200 adults
    assert pop["density_20plus_per_km2"].max() < 40_000


def test_population_totals(layers: dict[str, gpd.GeoDataFrame]) -> None:
    pop = layers["population"]
    total = float(pop["pop_20plus"].sum())
    # the shared data README: the demo area holds about 5.3 M adults
    assert 5.0e6 < total < 5.6e6
    totals = json.loads(SOURCES.read_text(encoding="utf-8"))["population_totals"]
    assert total == pytest.approx(totals["raster_20plus_study_area"], abs=200)
    assert float(pop["pop_65plus"].sum()) == pytest.approx(
        totals["raster_65plus_study_area"], abs=200
    )


def test_residential_density(layers: dict[str, gpd.GeoDataFrame]) -> None:
    pop = layers["population"].set_index("cell_id")
    res = layers["residential"].set_index("cell_id")
    assert list(res.index) == list(pop.index)
    density = pop["density_20plus_per_km2"]
    index = res["residential_density"]
    assert np.isfinite(index).all()
    # index = adult density x a compound factor between 1 and 2
    assert (index >= density - 0.1).all()
    assert (index <= 2 * density + 0.1).all()
    assert (index > density * 1.2).sum() > 100  # compounds lift a real share of cells


def test_residential_compounds_near_people(layers: dict[str, gpd.GeoDataFrame]) -> None:
    compounds = layers["residential_compounds"]
    assert 100 <= len(compounds) <= 136
    assert (compounds["checkins"] > 0).all()
    # after the GCJ-02 correction, every compound lies in a populated 500 m cell
    joined = gpd.sjoin(compounds, layers["population"], predicate="within", how="left")
    assert joined["cell_id"].notna().mean() > 0.97


def test_candidate_sites(layers: dict[str, gpd.GeoDataFrame]) -> None:
    sites = layers["candidate_sites"]
    assert sites["site_id"].is_unique
    assert sites["site_id"].str.fullmatch(r"S\d{3}").all()
    assert set(sites["category"]) <= SITE_SLUGS
    assert set(sites["category"]) >= {"mall", "office", "hospital"}
    for col in ("name_zh", "name_en", "category_zh", "category_en"):
        assert (sites[col].str.len() > 0).all(), col
        assert (sites[col] == sites[col].str.strip()).all(), col
    # one label per slug
    assert (sites.groupby("category")["category_en"].nunique() == 1).all()
    assert (sites["checkins"] > 0).all()
    assert not sites.duplicated(["name_zh"]).any()
    # no two places at the same spot (50 m)
    xy = _utm_xy(sites)
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    assert d.min() >= 50.0


def test_existing_centres_are_flagged_and_separate(layers: dict[str, gpd.GeoDataFrame]) -> None:
    existing = layers["existing_centres"]
    sites = layers["candidate_sites"]
    assert 5 <= len(existing) <= 12
    assert existing["centre_id"].is_unique
    assert existing["centre_id"].str.fullmatch(r"E\d{2}").all()
    assert existing["simulated"].astype(bool).all()
    assert existing["note"].str.contains("not real", case=False).all()
    assert set(existing["category"]) <= SITE_SLUGS
    assert not set(existing["name_zh"]) & set(sites["name_zh"])
    e_xy, s_xy = _utm_xy(existing), _utm_xy(sites)
    d = np.hypot(*(e_xy[:, None, :] - s_xy[None, :, :]).transpose(2, 0, 1))
    assert d.min() >= 50.0  # not a candidate in disguise


def test_fault_records(layers: dict[str, gpd.GeoDataFrame]) -> None:
    faults = layers["fault_records"]
    assert 3_000 <= len(faults) <= 8_000
    assert faults["simulated"].astype(bool).all()
    assert faults["fault_id"].is_unique
    stamps = faults["reported_at"]
    assert stamps.str.fullmatch(r"2024-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00").all()
    parsed = pd.to_datetime(stamps, format="ISO8601")
    assert parsed.min() >= pd.Timestamp("2024-01-01T00:00:00+08:00")
    assert parsed.max() <= pd.Timestamp("2024-12-31T23:59:59+08:00")
    assert (faults["customers_affected"] >= 1).all()
    assert faults["customers_affected"].dtype.kind == "i"
    assert (faults["repair_minutes"] > 0).all()
    # heavy tail: the largest outages dwarf the typical one
    assert faults["customers_affected"].max() > 10 * faults["customers_affected"].median()
    # one English label per Chinese cause
    assert (faults.groupby("cause_zh")["cause_en"].nunique() == 1).all()
    assert {"过载", "设备老化", "外力破坏", "恶劣天气"} <= set(faults["cause_zh"])
    # summer peak (July-August) above spring (March-April)
    month = parsed.dt.month
    assert month.isin([7, 8]).sum() > 1.5 * month.isin([3, 4]).sum()


def test_points_inside_study_area(
    layers: dict[str, gpd.GeoDataFrame], area: shapely.Geometry
) -> None:
    for name in POINT_LAYERS:
        pts = layers[name].geometry
        assert shapely.covers(area, pts.to_numpy()).all(), name


def test_sources_json(layers: dict[str, gpd.GeoDataFrame]) -> None:
    doc = json.loads(SOURCES.read_text(encoding="utf-8"))
    assert set(doc["layers"]) == set(layers)
    for name, meta in doc["layers"].items():
        assert meta["licence"], name
        assert meta["attribution"], name
        assert meta["rows"] == len(layers[name]), name
        assert meta["simulated"] is (name in {"fault_records", "existing_centres"}), name
    text = doc["attribution_text"]
    for needle in ("WorldPop", "CC BY 4.0", "OpenStreetMap", "ODbL", "Worobey"):
        assert needle in text, needle
    assert re.search(r"simulated", doc["simulated_notice"], re.IGNORECASE)
    assert doc["places_datum"]["applied"] == "gcj02"
