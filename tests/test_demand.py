"""Demand building and sites: hand-computed small cases and every bad input."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from planner.errors import DataError, InputError
from planner.inputs.demand import DemandWeights, build_demand, fault_intensity
from planner.inputs.sites import (
    candidate_sites,
    combine_sites,
    existing_centres,
    sites_from_densest_cells,
)

# Three 0.01-degree cells side by side near Wuhan (about 1 km x 1.1 km each).
CELLS = [box(114.30 + 0.01 * k, 30.50, 114.31 + 0.01 * k, 30.51) for k in range(3)]


@pytest.fixture
def population() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "cell_id": ["a", "b", "c"],
            "pop_20plus": [1000.0, 3000.0, 0.0],
            "pop_65plus": [100.0, 600.0, 0.0],
        },
        geometry=CELLS,
        crs="EPSG:4326",
    )


@pytest.fixture
def faults() -> gpd.GeoDataFrame:
    # Two faults in cell c, one in cell a; dated so that a 30-day half-life halves the older one.
    return gpd.GeoDataFrame(
        {
            "reported_at": [
                "2024-06-01T00:00:00+08:00",
                "2024-07-01T00:00:00+08:00",
                "2024-07-01T00:00:00+08:00",
            ]
        },
        geometry=[Point(114.305, 30.505), Point(114.325, 30.505), Point(114.326, 30.506)],
        crs="EPSG:4326",
    )


def test_population_only_weight_is_population(population: gpd.GeoDataFrame) -> None:
    d = build_demand(population, weights=DemandWeights(1, 0, 0))
    np.testing.assert_allclose(d["weight"], [1000, 3000, 0])
    assert d["weight"].sum() == pytest.approx(4000)
    assert d.crs.equals("EPSG:4326")
    assert (d.geom_type == "Point").all()
    assert d["demand_id"].tolist() == ["a", "b", "c"]


def test_blend_is_population_equivalent(
    population: gpd.GeoDataFrame, faults: gpd.GeoDataFrame
) -> None:
    d = build_demand(
        population,
        faults=faults,
        weights=DemandWeights(population=0.5, residential=0.0, faults=0.5),
    )
    # Faults: a=1, b=0, c=2 of 3; population shares 0.25, 0.75, 0.
    expected = 4000 * (0.5 * np.array([0.25, 0.75, 0.0]) + 0.5 * np.array([1, 0, 2]) / 3)
    np.testing.assert_allclose(d["weight"], expected)
    np.testing.assert_allclose(
        d["weight_population"] + d["weight_residential"] + d["weight_faults"], d["weight"]
    )
    assert d["weight"].sum() == pytest.approx(4000)
    np.testing.assert_allclose(d["fault_intensity"], [1, 0, 2])
    assert d["is_hotspot"].tolist() == [False, False, True]


def test_recency_decay_halves_at_half_life(faults: gpd.GeoDataFrame) -> None:
    w = fault_intensity(faults, half_life_days=30.0, as_of="2024-07-01T00:00:00+08:00")
    np.testing.assert_allclose(w, [0.5 ** (30 / 30), 1.0, 1.0])


def test_residential_joined_by_id(population: gpd.GeoDataFrame) -> None:
    res = population[["cell_id", "geometry"]].assign(residential_density=[0.0, 1.0, 3.0])
    d = build_demand(population, residential=res, weights=DemandWeights(0, 1, 0))
    np.testing.assert_allclose(d["weight"], 4000 * np.array([0, 0.25, 0.75]))


def test_zones_by_density(population: gpd.GeoDataFrame) -> None:
    d = build_demand(
        population,
        weights=DemandWeights(1, 0, 0),
        urban_density_per_km2=2000,
        rural_density_per_km2=1,
    )
    # 0.01° of longitude at 30.5°N is 111.32 km x cos(30.5°) x 0.01 = 0.959 km, of latitude 1.109 km:
    # cells of 1.064 km², so a ~940/km², b ~2820/km², c 0.
    assert d["zone"].tolist() == ["rural", "urban", "remote"]
    assert d["area_km2"].iloc[0] == pytest.approx(0.959 * 1.109, rel=0.005)


def test_negative_or_missing_population(population: gpd.GeoDataFrame) -> None:
    bad = population.assign(pop_20plus=[1.0, -5.0, 2.0])
    with pytest.raises(
        DataError, match=r"column 'pop_20plus' has negative values in row\(s\) \[1\]"
    ):
        build_demand(bad)
    missing = population.assign(pop_20plus=[1.0, np.nan, 2.0])
    with pytest.raises(DataError, match="missing or non-numeric"):
        build_demand(missing)
    with pytest.raises(DataError, match="column 'people' not found"):
        build_demand(population, population_col="people")
    with pytest.raises(DataError, match="sums to 0"):
        build_demand(population.assign(pop_20plus=0.0))


def test_bad_weights() -> None:
    with pytest.raises(InputError, match="`faults` must be a number >= 0"):
        DemandWeights(1, 0, -1)
    with pytest.raises(InputError, match="all 0"):
        DemandWeights(0, 0, 0)


@pytest.fixture
def places() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "site_id": ["S1", "S2", "S3"],
            "name_zh": ["商场一", "医院二", "图书馆三"],
            "name_en": ["Mall 1", "Hospital 2", "Library 3"],
            "category": ["mall", "hospital", "library"],
        },
        geometry=[Point(114.30, 30.50), Point(114.31, 30.51), Point(114.32, 30.52)],
        crs="EPSG:4326",
    )


def test_candidates_filtered_and_excluded(places: gpd.GeoDataFrame) -> None:
    c = candidate_sites(places, categories=["mall", "library"], exclude=["S3"])
    assert c["site_id"].tolist() == ["S1"]
    assert not c["existing"].any()
    with pytest.raises(InputError, match=r"categories \['bank'\] do not occur"):
        candidate_sites(places, categories=["bank"])
    with pytest.raises(InputError, match="excluded site ids"):
        candidate_sites(places, exclude=["S9"])


def test_existing_keep_and_closable(places: gpd.GeoDataFrame) -> None:
    e = existing_centres(
        places.rename(columns={"site_id": "centre_id"}), policy="keep", closable=["S2"]
    )
    assert e["keep"].tolist() == [True, False, True]
    assert e["existing"].all()
    sites = combine_sites(candidate_sites(places.assign(site_id=["C1", "C2", "C3"])), e)
    assert sites["site_id"].tolist()[:3] == ["S1", "S2", "S3"]
    with pytest.raises(DataError, match="occur both among existing centres and candidates"):
        combine_sites(candidate_sites(places), e)


def test_generated_sites_respect_spacing(population: gpd.GeoDataFrame) -> None:
    d = build_demand(population, weights=DemandWeights(1, 0, 0))
    g = sites_from_densest_cells(d, 3, min_spacing_m=1500)
    # b is heaviest; a and c are ~1 km from b, so both are blocked.
    assert len(g) == 1
    assert g["name_en"].iloc[0] == "dense cell b"
    g2 = sites_from_densest_cells(d, 2, min_spacing_m=0)
    assert g2["name_en"].tolist() == ["dense cell b", "dense cell a"]


def test_faults_outside_cells_are_counted(
    population: gpd.GeoDataFrame, faults: gpd.GeoDataFrame
) -> None:
    far = pd.concat(
        [
            faults,
            gpd.GeoDataFrame({"reported_at": ["2024-07-01"]}, geometry=[Point(115, 31)], crs=4326),
        ]
    )
    d = build_demand(population, faults=gpd.GeoDataFrame(far, crs="EPSG:4326"))
    assert d.attrs["faults_outside_cells"] == 1
    assert d["fault_intensity"].sum() == pytest.approx(3)


def test_coarser_cells_keep_totals(population: gpd.GeoDataFrame, faults: gpd.GeoDataFrame) -> None:
    fine = build_demand(population, faults=faults, weights=DemandWeights(0.5, 0.0, 0.5))
    coarse = build_demand(
        population, faults=faults, weights=DemandWeights(0.5, 0.0, 0.5), cell_size_m=50_000
    )
    # All three cells fall in one 50 km square: one demand point holding every count.
    assert len(coarse) == 1
    assert coarse["population"].iloc[0] == pytest.approx(4000)
    assert coarse["pop_65plus"].iloc[0] == pytest.approx(700)
    assert coarse["fault_intensity"].iloc[0] == pytest.approx(3)
    assert coarse["area_km2"].iloc[0] == pytest.approx(fine["area_km2"].sum())
    assert coarse["weight"].iloc[0] == pytest.approx(4000)
    # The point sits at the population-weighted centre: between cells a (1000) and b (3000).
    assert coarse.geometry.x.iloc[0] == pytest.approx(fine.geometry.x.iloc[1] - 0.0025, abs=2e-4)
    assert coarse["cell"].iloc[0].area == pytest.approx(sum(c.area for c in CELLS), rel=1e-6)


def test_cell_size_must_be_positive(population: gpd.GeoDataFrame) -> None:
    with pytest.raises(InputError, match="`cell_size_m` must be a positive size"):
        build_demand(population, cell_size_m=0)
