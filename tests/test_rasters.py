"""Population rasters: windowed reading, nodata, aggregation to metric cells, 65+ layer,
and raster population through a whole scenario. Every raster is written here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.errors import DataError
from planner.inputs import rasters
from planner.inputs.rasters import native_cell_size_m, read_population_raster

rasterio = pytest.importorskip("rasterio")


def from_origin(west: float, north: float, xsize: float, ysize: float):  # type: ignore[no-untyped-def]
    """The north-up transform (rasterio's own helper multiplies affines, which warns)."""
    from affine import Affine

    return Affine(xsize, 0.0, west, 0.0, -ysize, north)


def _write(path: Path, values: np.ndarray, *, crs: str | None, transform, nodata=None) -> Path:
    with rasterio.open(
        path, "w", driver="GTiff", height=values.shape[0], width=values.shape[1], count=1,
        dtype="float32", crs=crs, transform=transform, nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values.astype(np.float32), 1)
    return path


def _geographic(tmp_path: Path, name: str = "pop.tif", seed: int = 0) -> tuple[Path, np.ndarray]:
    """A 30 x 40 WGS 84 raster of 0.001-degree pixels near Wuhan with nodata, NaN and 0."""
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 50, (30, 40))
    values[rng.random(values.shape) < 0.2] = -99999.0  # nodata
    values[0, 0] = np.nan
    values[1, :5] = 0.0
    path = _write(tmp_path / name, values, crs="EPSG:4326",
                  transform=from_origin(114.2, 30.6, 0.001, 0.001), nodata=-99999.0)  # fmt: skip
    return path, values


def _people(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values) & (values > 0), values, 0.0)


def test_native_cells_keep_every_populated_pixel_and_drop_nodata(tmp_path: Path) -> None:
    path, values = _geographic(tmp_path)
    cells = read_population_raster(path)
    people = _people(values)
    assert len(cells) == int((people > 0).sum())
    assert cells["pop_20plus"].sum() == pytest.approx(people.sum(), rel=1e-6)
    assert cells.crs.equals("EPSG:4326")
    assert cells["cell_id"].is_unique
    # Pixel (row 2, col 3) is the polygon from its corner coordinates.
    row = cells.loc[cells["cell_id"] == "R2_3"].iloc[0]
    assert row["pop_20plus"] == pytest.approx(people[2, 3], rel=1e-6)
    minx, miny, maxx, maxy = row.geometry.bounds
    assert (minx, maxy) == pytest.approx((114.203, 30.598))
    assert (maxx, miny) == pytest.approx((114.204, 30.597))


def test_cells_aggregate_to_the_cell_size_in_metres_from_a_projected_raster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100 m UTM pixels summed into 300 m cells: people kept, one cell per occupied
    300 m square (computed independently), read in strips smaller than the raster."""
    monkeypatch.setattr(rasters, "STRIP_ROWS", 7)
    rng = np.random.default_rng(3)
    values = rng.uniform(0, 10, (25, 31))
    values[rng.random(values.shape) < 0.4] = 0.0
    x0, y0 = 230_000.0, 3_380_000.0  # corner on the 300 m grid
    path = _write(tmp_path / "utm.tif", values, crs="EPSG:32650",
                  transform=from_origin(x0, y0, 100.0, 100.0))  # fmt: skip
    assert native_cell_size_m(path) == pytest.approx(100.0)
    cells = read_population_raster(path, cell_size_m=300.0)
    rr, cc = np.nonzero(values > 0)
    gx = np.floor((x0 + (cc + 0.5) * 100.0) / 300.0)
    gy = np.floor((y0 - (rr + 0.5) * 100.0) / 300.0)
    assert len(cells) == len(set(zip(gx.tolist(), gy.tolist(), strict=True)))
    assert cells["pop_20plus"].sum() == pytest.approx(values.sum(), rel=1e-9)
    area = cells.to_crs("EPSG:32650").area
    assert area.to_numpy() == pytest.approx(np.full(len(cells), 90_000.0), rel=1e-6)


def test_pop65_raster_is_summed_into_the_same_cells(tmp_path: Path) -> None:
    path, values = _geographic(tmp_path)
    older = np.where(np.isfinite(values) & (values > 0), values * 0.25, -99999.0)
    p65 = _write(tmp_path / "p65.tif", older, crs="EPSG:4326",
                 transform=from_origin(114.2, 30.6, 0.001, 0.001), nodata=-99999.0)  # fmt: skip
    for size in (None, 250.0):
        cells = read_population_raster(path, pop65_path=p65, cell_size_m=size)
        assert cells["pop_65plus"].to_numpy() == pytest.approx(
            cells["pop_20plus"].to_numpy() * 0.25
        )
        assert cells.attrs["pop65_outside_cells"] == 0.0
    shifted = _write(tmp_path / "shifted.tif", older, crs="EPSG:4326",
                     transform=from_origin(114.25, 30.6, 0.001, 0.001), nodata=-99999.0)  # fmt: skip
    with pytest.raises(DataError, match="not on the population raster's grid"):
        read_population_raster(path, pop65_path=shifted)


def test_cell_size_finer_than_the_raster_is_an_error(tmp_path: Path) -> None:
    path, _ = _geographic(tmp_path)
    pixel = native_cell_size_m(path)
    assert 90 < pixel < 105  # 0.001 degrees at 30.6 N
    with pytest.raises(DataError, match=r"cell_size_m = 50 is finer than .* raster"):
        read_population_raster(path, cell_size_m=50.0)


def test_bad_rasters_are_named(tmp_path: Path) -> None:
    values = np.ones((4, 4))
    values[1, 1] = -3.0
    neg = _write(tmp_path / "neg.tif", values, crs="EPSG:4326",
                 transform=from_origin(114.2, 30.6, 0.001, 0.001))  # fmt: skip
    with pytest.raises(DataError, match=r"neg\.tif has 1 negative cell"):
        read_population_raster(neg)
    nocrs = _write(tmp_path / "nocrs.tif", np.ones((3, 3)), crs=None,
                   transform=from_origin(114.2, 30.6, 0.001, 0.001))  # fmt: skip
    with pytest.raises(DataError, match="no coordinate system; set `crs`"):
        read_population_raster(nocrs)
    assert len(read_population_raster(nocrs, crs="wgs84")) == 9
    empty = _write(tmp_path / "empty.tif", np.zeros((3, 3)), crs="EPSG:4326",
                   transform=from_origin(114.2, 30.6, 0.001, 0.001))  # fmt: skip
    with pytest.raises(DataError, match="holds no people"):
        read_population_raster(empty)
    junk = tmp_path / "junk.tif"
    junk.write_bytes(b"not a tiff at all")
    with pytest.raises(DataError, match="not a readable GeoTIFF"):
        read_population_raster(junk)


def test_a_scenario_with_raster_population_runs(tmp_path: Path) -> None:
    """A GeoTIFF population with its 65+ raster, aggregated to 250 m, through the
    whole pipeline: the demand holds every person, stages are reported in order."""
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs, run_scenario

    _path, values = _geographic(tmp_path)
    older = np.where(np.isfinite(values) & (values > 0), values * 0.2, 0.0)
    _write(tmp_path / "p65.tif", older, crs="EPSG:4326",
           transform=from_origin(114.2, 30.6, 0.001, 0.001))  # fmt: skip
    (tmp_path / "sites.csv").write_text(
        "site_id,name_zh,name_en,category,lon,lat\n"
        + "".join(
            f"S{i},站{i},Site {i},mall,{114.202 + 0.005 * i},{30.585 - 0.002 * i}\n"
            for i in range(8)
        ),
        encoding="utf-8",
    )
    (tmp_path / "r.toml").write_text(
        """
name = "raster"
[data.population]
path = "pop.tif"
pop65_path = "p65.tif"
[data.candidates]
path = "sites.csv"
[demand]
population = 1.0
residential = 0.0
faults = 0.0
cell_size_m = 250
[model]
name = "p_median"
p = 3
[outputs]
map = false
report = false
""",
        encoding="utf-8",
    )
    config = load_scenario(tmp_path / "r.toml")
    stages: list[str] = []
    inputs = load_inputs(config, progress=lambda stage, _msg, _share: stages.append(stage))
    assert inputs.demand["population"].sum() == pytest.approx(_people(values).sum(), rel=1e-6)
    assert inputs.demand["pop_65plus"].sum() == pytest.approx(older.sum(), rel=1e-6)
    assert stages[0] == "reading"
    assert "travel" in stages
    result = run_scenario(config, out_dir=tmp_path / "out", inputs=inputs)
    assert result.solution.has_plan
    assert (tmp_path / "out" / "kpis.json").exists()


def test_vector_cell_size_finer_than_its_cells_is_an_error(tmp_path: Path) -> None:
    from scenario_fixtures import write_tiny_data, write_tiny_scenario

    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs

    write_tiny_data(tmp_path)
    scenario = write_tiny_scenario(tmp_path)
    text = scenario.read_text(encoding="utf-8").replace(
        "[demand]\n", "[demand]\ncell_size_m = 200\n", 1
    )
    scenario.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=r"cell_size_m = 200 is finer than the population layer"):
        load_inputs(load_scenario(scenario))
