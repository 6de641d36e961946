"""Plausible-looking wrong inputs are named loudly (and fail under `strict = true`)."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from scenario_fixtures import SCENARIO, write_tiny_data

from planner.errors import DataError, DataWarning
from planner.inputs.sanity import study_area
from planner.runs.config import load_scenario
from planner.runs.pipeline import load_inputs


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    write_tiny_data(folder)
    return folder / "tiny.gpkg"


def _scenario(
    folder: Path,
    data: Path,
    layer: str,
    change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
    *,
    strict: bool = False,
    extra: str = "",
) -> Path:
    gdf = gpd.read_file(data, layer=layer)
    change(gdf).to_file(folder / "bad.gpkg", layer=layer, driver="GPKG")
    text = SCENARIO.replace(
        f'path = "tiny.gpkg"\nlayer = "{layer}"', f'path = "bad.gpkg"\nlayer = "{layer}"{extra}'
    ).replace('path = "tiny.gpkg"', f'path = "{data}"')
    if "datum" in extra:  # in place of the datum the tiny scenario says
        text = text.replace(
            f'layer = "{layer}"{extra}\ndatum = "wgs84"', f'layer = "{layer}"{extra}'
        )
    path = folder / "s.toml"
    path.write_text(("strict = true\n" if strict else "") + text, encoding="utf-8")
    return path


def _moved(
    dx: float, dy: float = 0.0, rows: slice = slice(None)
) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = gdf.copy()
        geom = out.geometry.to_numpy()
        geom[rows] = shapely.transform(geom[rows], lambda c: c + np.array([dx, dy]))
        out.geometry = geom
        return out

    return change


def _at_origin(n: int) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = gdf.copy()
        geom = out.geometry.to_numpy()
        x = shapely.get_coordinates(geom[:n])
        geom[:n] = shapely.transform(geom[:n], lambda c: c - x.min(axis=0))
        out.geometry = geom
        return out

    return change


CASES = [
    # (id, layer, change, extra scenario keys, words the message must hold)
    (
        "candidates-1000-km-away",
        "candidate_sites",
        _moved(10.0),
        "",
        ["none of the 12 candidate sites", "do not overlap"],
    ),
    (
        "population-at-origin",
        "population",
        _at_origin(3),
        "",
        ["3 of 64 population points", "far outside"],
    ),
    (
        "existing-far-away",
        "existing_centres",
        _moved(0.0, 5.0, slice(0, 1)),
        "",
        ["1 of 2 existing centres", "outside the study area"],
    ),
    ("faults-outside", "fault_records", _at_origin(5), "", ["5 of 40 fault records", "dropped"]),
    (
        "degrees-labelled-utm",
        "candidate_sites",
        lambda g: g.set_crs(32650, allow_override=True),
        "",
        ["look like degrees", "EPSG:32650"],
    ),
    (
        "gcj02-outside-china",
        "candidate_sites",
        _moved(-120.0),  # near (-6, 30): West Africa
        '\ndatum = "gcj02"',
        ["outside China", "GCJ-02"],
    ),
]


@pytest.mark.parametrize(
    ("case", "layer", "change", "extra", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_warned_then_an_error_under_strict(
    data: Path,
    tmp_path: Path,
    case: str,
    layer: str,
    change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
    extra: str,
    words: list[str],
) -> None:
    path = _scenario(tmp_path, data, layer, change, extra=extra)
    with pytest.warns(DataWarning) as record:
        inputs = load_inputs(load_scenario(path))
    messages = [str(w.message) for w in record if w.category is DataWarning]
    assert any(all(word in m for word in words) for m in messages), messages
    assert all("\n" not in m for m in messages)
    assert list(inputs.data_warnings) == messages
    strict = _scenario(tmp_path, data, layer, change, strict=True, extra=extra)
    with pytest.raises(DataError, match="strict = true") as info:
        load_inputs(load_scenario(strict))
    assert all(word in str(info.value) for word in words) or "more" in str(info.value)


def test_clean_inputs_say_nothing(data: Path, tmp_path: Path) -> None:
    path = _scenario(tmp_path, data, "population", lambda g: g, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inputs = load_inputs(load_scenario(path))
    assert inputs.data_warnings == ()


def test_faults_outside_are_dropped_and_the_others_keep_their_weights(
    data: Path, tmp_path: Path
) -> None:
    clean = load_inputs(load_scenario(_scenario(tmp_path, data, "fault_records", lambda g: g)))

    def add_far_records(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        far = gdf.iloc[:7].copy()
        far.geometry = shapely.points(np.linspace(0, 1, 7), np.zeros(7))  # Gulf of Guinea
        return gpd.GeoDataFrame(pd.concat([gdf, far], ignore_index=True), crs=gdf.crs)

    path = _scenario(tmp_path, data, "fault_records", add_far_records)
    with pytest.warns(DataWarning, match="7 of 47 fault records .* dropped"):
        dirty = load_inputs(load_scenario(path))
    assert dirty.faults is not None
    assert clean.faults is not None
    assert len(dirty.faults) == len(clean.faults)
    np.testing.assert_allclose(
        dirty.demand["fault_intensity"].to_numpy(), clean.demand["fault_intensity"].to_numpy()
    )
    np.testing.assert_allclose(dirty.demand["weight"].to_numpy(), clean.demand["weight"].to_numpy())


def test_study_area_ignores_a_few_far_points() -> None:
    rng = np.random.default_rng(0)
    lon = np.r_[114.3 + rng.normal(0, 0.05, 200), [0.0, 0.0, 0.0]]
    lat = np.r_[30.6 + rng.normal(0, 0.05, 200), [0.0, 0.0, 0.0]]
    area, outliers = study_area(lon, lat)
    assert outliers.tolist() == [False] * 200 + [True] * 3
    assert 113.5 < area.west < 114.3 < area.east < 115.0
    assert area.contains(np.array([114.3]), np.array([30.6])).all()


def test_the_app_shows_the_findings(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    path = _scenario(tmp_path, data, "candidate_sites", _moved(10.0))
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(path))
    monkeypatch.setenv("PLANNER_LIBRARY_ROOT", str(tmp_path / "library"))
    monkeypatch.delenv("PLANNER_TEAM", raising=False)
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(w.value) for w in at.warning)
    assert "do not overlap" in shown
