"""`planner validate` warns when a Chinese POI layer looks like GCJ-02/BD-09 but no datum is set.

The evidence (:func:`planner.inputs.datums.datum_fit`) is the demo build's: points of
interest lie where people live, so read in the right datum they land on populated cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from planner.cli import main
from planner.inputs.datums import datum_fit, wgs84_to_bd09, wgs84_to_gcj02

X0, Y0, STEP = 114.25, 30.55, 0.001  # central Wuhan, ~100 m cells
N = 40


def _city(seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell centres and people: a few populated blocks in empty land (rivers, parks, fields)."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(N), np.arange(N))
    lon = X0 + (ix.ravel() + 0.5) * STEP
    lat = Y0 + (iy.ravel() + 0.5) * STEP
    pop = np.zeros(N * N)
    for _ in range(12):  # blocks of 3 x 3 cells
        cx, cy = rng.integers(2, N - 2, 2)
        block = (np.abs(ix.ravel() - cx) <= 1) & (np.abs(iy.ravel() - cy) <= 1)
        pop[block] = rng.integers(500, 3000, block.sum())
    return lon, lat, pop


def _pois(
    lon: np.ndarray, lat: np.ndarray, pop: np.ndarray, n: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(5)
    idx = rng.choice(np.flatnonzero(pop > 0), n, replace=False)
    return lon[idx] + rng.normal(0, 0.0001, n), lat[idx] + rng.normal(0, 0.0001, n)


def test_datum_fit_finds_the_shift() -> None:
    lon, lat, pop = _city()
    plon, plat = _pois(lon, lat, pop)
    true = datum_fit(plon, plat, lon, lat, pop)
    assert true.best == "wgs84"
    assert not true.looks_shifted
    glon, glat = wgs84_to_gcj02(plon, plat)
    gcj = datum_fit(glon, glat, lon, lat, pop)
    assert gcj.best == "gcj02"
    assert gcj.looks_shifted
    assert 300 < gcj.shift_m < 800
    blon, blat = wgs84_to_bd09(plon, plat)
    assert datum_fit(blon, blat, lon, lat, pop).best == "bd09"


def _scenario(tmp_path: Path, datum: str | None) -> Path:
    lon, lat, pop = _city()
    cells = shapely.box(lon - STEP / 2, lat - STEP / 2, lon + STEP / 2, lat + STEP / 2)
    gpd.GeoDataFrame({"人口": pop}, geometry=cells, crs=4326).to_file(
        tmp_path / "population.geojson", driver="GeoJSON"
    )
    plon, plat = _pois(lon, lat, pop)
    glon, glat = wgs84_to_gcj02(plon, plat)
    pd.DataFrame({"编号": [f"S{i}" for i in range(len(glon))], "经度": glon, "纬度": glat}).to_csv(
        tmp_path / "poi.csv", index=False
    )
    line = f'datum = "{datum}"\n' if datum else ""
    path = tmp_path / f"s_{datum}.toml"
    path.write_text(
        '[data.population]\npath = "population.geojson"\npopulation_col = "人口"\n\n'
        f'[data.candidates]\npath = "poi.csv"\nid_col = "编号"\n{line}\n'
        '[model]\nname = "p_median"\np = 3\n',
        encoding="utf-8",
    )
    return path


def test_validate_warns_of_gcj02_points_without_a_datum(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", str(_scenario(tmp_path, None))]) == 0
    err = capsys.readouterr().err
    assert "warning: data.candidates: no `datum` is set" in err
    assert 'set datum = "gcj02" in [data.candidates]' in err
    assert main(["validate", str(_scenario(tmp_path, None)), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["warnings"]
    for datum in ("gcj02", "wgs84"):  # said: no warning
        assert main(["validate", str(_scenario(tmp_path, datum))]) == 0
        assert "warning" not in capsys.readouterr().err


def _coarse(tmp_path: Path, datum: str | None) -> Path:
    """Population in 500 m cells (the demo's, WorldPop's aggregate) with GCJ-02 points: too
    coarse for the evidence, which then says so instead of nothing."""
    n, step = 12, 0.005
    ix, iy = np.meshgrid(np.arange(n), np.arange(n))
    lon = X0 + (ix.ravel() + 0.5) * step
    lat = Y0 + (iy.ravel() + 0.5) * step
    pop = np.random.default_rng(2).integers(500, 5000, lon.size).astype(float)
    cells = shapely.box(lon - step / 2, lat - step / 2, lon + step / 2, lat + step / 2)
    gpd.GeoDataFrame({"人口": pop}, geometry=cells, crs=4326).to_file(
        tmp_path / "coarse.geojson", driver="GeoJSON"
    )
    glon, glat = wgs84_to_gcj02(lon[::9], lat[::9])
    pd.DataFrame({"编号": [f"S{i}" for i in range(len(glon))], "经度": glon, "纬度": glat}).to_csv(
        tmp_path / "poi.csv", index=False
    )
    line = f'datum = "{datum}"\n' if datum else ""
    path = tmp_path / f"coarse_{datum}.toml"
    path.write_text(
        '[data.population]\npath = "coarse.geojson"\npopulation_col = "人口"\n\n'
        f'[data.candidates]\npath = "poi.csv"\nid_col = "编号"\n{line}\n'
        '[model]\nname = "p_median"\np = 3\n',
        encoding="utf-8",
    )
    return path


def test_validate_says_when_cells_are_too_coarse_to_tell_gcj02(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GCJ-02 places over 500 m cells validated without a word (the demo's grid: the shift is
    about one cell); now a warning names the spacing, the possible shift and the setting."""
    assert main(["validate", str(_coarse(tmp_path, None))]) == 0
    err = capsys.readouterr().err
    assert "too coarse to tell" in err
    assert " m apart) are too coarse" in err
    assert 'set datum = "gcj02" in [data.candidates]' in err
    for datum in ("gcj02", "wgs84"):  # said: no warning
        assert main(["validate", str(_coarse(tmp_path, datum))]) == 0
        assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_app_says_when_cells_are_too_coarse_to_tell_gcj02(lang: str) -> None:
    from planner.app.checks import datum_note

    n, step = 12, 0.005
    ix, iy = np.meshgrid(np.arange(n), np.arange(n))
    lon = X0 + (ix.ravel() + 0.5) * step
    lat = Y0 + (iy.ravel() + 0.5) * step
    pop = np.full(lon.size, 1000.0)
    glon, glat = wgs84_to_gcj02(lon[::9], lat[::9])
    note = datum_note(glon, glat, lon, lat, pop, lang)
    assert note is not None
    assert note.level == "warning"
    assert "GCJ-02" in note.text
    assert "WGS 84" in note.text
    fine_lon, fine_lat, fine_pop = _city()
    plon, plat = _pois(fine_lon, fine_lat, fine_pop)
    assert datum_note(plon, plat, fine_lon, fine_lat, fine_pop, lang) is None  # 100 m: decided
