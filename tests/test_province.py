"""Province-size inputs by blocks: raster sums and k-nearest distances, serial and on Dask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from planner.errors import DataError, InputError
from planner.inputs.raster_blocks import aggregate_raster, raster_blocks
from planner.inputs.rasters import read_population_raster
from planner.runs.province import aggregate_population, cluster, worker_peak_rss_mb
from planner.travel.blocks import nearest_sites
from planner.travel.road_matrix import network_matrix
from planner.travel.road_network import read_road_network


def _raster(path: Path, values: np.ndarray, *, nodata: float | None = -1.0) -> Path:
    import rasterio
    from affine import Affine

    h, w = values.shape
    with rasterio.open(
        path, "w", driver="GTiff", height=h, width=w, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.001, 0.0, 114.0, 0.0, -0.001, 30.6), nodata=nodata,
    ) as dst:  # fmt: skip
        dst.write(values.astype(np.float32), 1)
    return path


@pytest.fixture
def pop_tif(tmp_path: Path) -> Path:
    rng = np.random.default_rng(4)
    values = np.where(rng.random((70, 90)) < 0.3, 0.0, rng.gamma(2.0, 20.0, (70, 90)))
    values[5:9, 10:20] = -1.0  # nodata
    values[40, 40] = np.nan
    return _raster(tmp_path / "pop.tif", values)


@pytest.mark.parametrize("block_pixels", [16, 33, 4096])
def test_block_sums_equal_the_strip_reader(pop_tif: Path, block_pixels: int) -> None:
    ref = read_population_raster(pop_tif, cell_size_m=500)
    got = aggregate_raster(pop_tif, cell_size_m=500, block_pixels=block_pixels)
    assert got.keys.size == len(ref)
    assert got.population.sum() == pytest.approx(ref["pop_20plus"].sum(), rel=1e-12)
    ref_ids = sorted(ref["cell_id"])
    gx0, gy0 = got.squares()
    ids = sorted(f"G{int(y // 500)}_{int(x // 500)}" for x, y in zip(gx0, gy0, strict=True))
    assert ids == ref_ids
    by_id = dict(zip(ref["cell_id"], ref["pop_20plus"], strict=True))
    for x, y, v in zip(gx0[:20], gy0[:20], got.population[:20], strict=True):
        assert v == pytest.approx(by_id[f"G{int(y // 500)}_{int(x // 500)}"])


def test_blocks_cover_the_raster_once(pop_tif: Path) -> None:
    blocks, metric = raster_blocks(pop_tif, cell_size_m=200, block_pixels=32)
    assert metric.to_epsg() == 32650  # UTM 50N at 114.0 E
    covered = np.zeros((70, 90), dtype=int)
    for b in blocks:
        covered[b.row0 : b.row0 + b.rows, b.col0 : b.col0 + b.cols] += 1
    assert (covered == 1).all()


def test_bad_rasters_and_settings_are_named(pop_tif: Path, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="finer than"):
        aggregate_raster(pop_tif, cell_size_m=20)
    with pytest.raises(DataError, match="band"):
        aggregate_raster(pop_tif, cell_size_m=500, band=2)
    empty = _raster(tmp_path / "empty.tif", np.zeros((20, 20)))
    with pytest.raises(DataError, match="holds no people"):
        aggregate_raster(empty, cell_size_m=500)
    negative = _raster(tmp_path / "neg.tif", np.full((20, 20), -5.0), nodata=None)
    with pytest.raises(DataError, match="negative"):
        aggregate_raster(negative, cell_size_m=500)
    with pytest.raises(DataError, match="does not exist"):
        aggregate_raster(tmp_path / "missing.tif", cell_size_m=500)


def test_nearest_sites_match_the_dense_distances() -> None:
    rng = np.random.default_rng(2)
    d = rng.random((1000, 2)) * 5000
    s = rng.random((40, 2)) * 5000
    d[0] = s[3]  # a point on a site: distance 0 is kept, not dropped
    got = nearest_sites(d, s, k=5, block_rows=77)
    dense = np.sqrt(((d[:, None, :] - s[None, :, :]) ** 2).sum(axis=2))
    order = np.sort(dense, axis=1)[:, :5]
    rows = got.toarray()
    assert (np.count_nonzero(rows, axis=1) == 5).all()
    np.testing.assert_allclose(np.sort(rows[rows > 0].reshape(1000, 5), axis=1), order, atol=1e-2)
    assert rows[0, 3] > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"k": 0}, "`k`"), ({"k": 41}, "`k`"), ({"k": 2, "block_rows": 0}, "block_rows")],
)
def test_nearest_sites_refuses_bad_settings(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        nearest_sites(np.zeros((3, 2)), np.ones((40, 2)), **kwargs)


def test_serial_cluster_runs_here(pop_tif: Path) -> None:
    out = aggregate_population(pop_tif, cell_size_m=500, parallel=False, block_pixels=32)
    assert out.execution.scheduler == "serial"
    assert out.worker_peak_mb == ()


@pytest.mark.timeout(300)
@pytest.mark.slow  # over 10 s on a loaded 2-core machine
def test_a_local_cluster_of_two_workers_gives_the_serial_sums(pop_tif: Path) -> None:
    serial = aggregate_raster(pop_tif, cell_size_m=500, block_pixels=32)
    rng = np.random.default_rng(0)
    d, s = rng.random((500, 2)) * 1e4, rng.random((30, 2)) * 1e4
    with cluster(n_workers=2) as where:
        assert where.info.scheduler == "local"
        assert where.info.n_workers == 2
        cells = aggregate_raster(pop_tif, cell_size_m=500, block_pixels=32, map_fn=where.map)
        travel = nearest_sites(d, s, k=3, block_rows=100, map_fn=where.map)
        # network travel by chunks of sites through the cluster's executor
        net = read_road_network(Path(__file__).parent / "data" / "futian_drive.graphml")
        b = net.bounds_lonlat
        pts = np.column_stack([rng.uniform(b[0], b[2], 30), rng.uniform(b[1], b[3], 30)])
        opts = {"max_snap_m": 5000.0, "cutoff_minutes": 8.0, "chunk_size": 2}
        routed = network_matrix(net, pts, pts[:6], executor=where.executor(), **opts)
        peaks = where.worker_peak_mb()
    alone = network_matrix(net, pts, pts[:6], **opts)
    assert (routed.minutes != alone.minutes).nnz == 0
    assert routed.minutes.nnz > 0
    np.testing.assert_array_equal(cells.keys, serial.keys)
    np.testing.assert_allclose(cells.population, serial.population, rtol=1e-12)
    assert (travel != nearest_sites(d, s, k=3)).nnz == 0
    assert len(peaks) == 2
    assert all(p > 0 for p in peaks)


def test_an_unreachable_scheduler_is_a_clear_error(pop_tif: Path) -> None:
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        aggregate_population(pop_tif, cell_size_m=500, scheduler="tcp://127.0.0.1:1")


def test_planner_cells_writes_the_population_layer(pop_tif: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    import geopandas as gpd

    from planner.cli import main

    out = tmp_path / "cells.parquet"
    args = ["cells", str(pop_tif), "--out", str(out), "--cell-size", "500", "--serial"]
    assert main([*args, "--block", "32"]) == 0
    got = gpd.read_parquet(out)
    ref = read_population_raster(pop_tif, cell_size_m=500)
    assert sorted(got["cell_id"]) == sorted(ref["cell_id"])
    merged = got.merge(ref, on="cell_id", suffixes=("", "_ref"))
    np.testing.assert_allclose(merged["pop_20plus"], merged["pop_20plus_ref"], rtol=1e-12)
    assert got.crs.to_epsg() == 4326
    assert "cells of 500 m" in capsys.readouterr().out
    # an existing file is kept unless --force; bad settings exit 2 and name the fix
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*args, "--force"]) == 0
    assert main(["cells", str(pop_tif), "--out", str(tmp_path / "c.csv"), "--serial"]) == 2
    assert main(["cells", str(pop_tif), "--out", str(tmp_path / "d.parquet"), "--serial",
                 "--cell-size", "10"]) == 2  # fmt: skip
    assert "finer than" in capsys.readouterr().err
    assert not (tmp_path / "d.parquet").exists()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="Linux /proc only")
def test_a_spawned_worker_reports_its_own_peak_not_its_parents() -> None:
    # Linux keeps ru_maxrss across exec: a worker spawned by a client holding 600 MB
    # reported 600 MB as its own peak (the province benchmark's worker column did).
    import subprocess
    import sys

    held = np.ones(600_000_000 // 8)
    code = "from planner.runs.province import worker_peak_rss_mb as f; print(f())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert held.sum() > 0
    assert worker_peak_rss_mb() >= 600
    assert float(out.stdout) < 400
