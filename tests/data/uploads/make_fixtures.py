"""Write the small upload fixtures of the app tests (``tests/test_app.py``) into this folder.

All SYNTHETIC (seeded), an 8 x 8 grid of 0.005-degree cells in central Wuhan, one
file per format the app accepts and one per kind of bad upload::

    .venv/bin/python tests/data/uploads/make_fixtures.py

Good files
    population_cells.geojson   GeoJSON polygons, Chinese column names (格网编号, 人口, 老年人口)
    residential.gpkg           GeoPackage with two layers (residential, boundary)
    faults.parquet             GeoParquet points with a timestamp (报修时间)
    candidates_gcj02.csv       CSV in GB18030, 经度/纬度 columns in GCJ-02, 类别 column
    existing_gbk.zip           zipped Shapefile, GBK attribute table, no .cpg

Bad files
    missing_dbf.zip            Shapefile without its .dbf
    traversal.zip              a member named ../evil.shp
    bomb.zip                   a member compressed 1000:1 (decompression bomb)
    empty.csv                  a header and no rows
    no_numbers.geojson         a population column with no numbers
    projected.csv              metre coordinates given as degrees
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
CELL_DEG = 0.005
X0, Y0 = 114.25, 30.55
N = 8
_DATE = (2024, 1, 1, 0, 0, 0)


def _cells() -> tuple[np.ndarray, list[str]]:
    ix, iy = np.meshgrid(np.arange(N), np.arange(N))
    minx = X0 + ix.ravel() * CELL_DEG
    miny = Y0 + iy.ravel() * CELL_DEG
    return shapely.box(minx, miny, minx + CELL_DEG, miny + CELL_DEG), [
        f"g{i:02d}" for i in range(N * N)
    ]


def _zip(path: Path, members: dict[str, bytes], *, level: int = 6) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)


def _shapefile_members(gdf: gpd.GeoDataFrame, stem: str, encoding: str) -> dict[str, bytes]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{stem}.shp"
        gdf.to_file(path, driver="ESRI Shapefile", encoding=encoding)
        return {
            p.name: p.read_bytes()
            for p in sorted(Path(tmp).iterdir())
            if p.suffix.lower() != ".cpg"  # no code page file: the reader must detect GBK
        }


def main(folder: Path = HERE) -> None:
    rng = np.random.default_rng(7)
    cells, ids = _cells()
    pop = rng.integers(100, 3000, N * N).astype(float)

    # GeoJSON population cells with Chinese column names
    gpd.GeoDataFrame(
        {"格网编号": ids, "人口": pop, "老年人口": np.round(pop * 0.14)}, geometry=cells, crs=4326
    ).to_file(folder / "population_cells.geojson", driver="GeoJSON")

    # GeoPackage with two layers
    gpkg = folder / "residential.gpkg"
    gpkg.unlink(missing_ok=True)
    gpd.GeoDataFrame(
        {"格网编号": ids, "density": rng.gamma(2.0, 1.0, N * N).round(3)}, geometry=cells, crs=4326
    ).to_file(gpkg, layer="residential", driver="GPKG")
    gpd.GeoDataFrame(
        {"name": ["demo area"]},
        geometry=[shapely.box(X0, Y0, X0 + N * CELL_DEG, Y0 + N * CELL_DEG)],
        crs=4326,
    ).to_file(gpkg, layer="boundary", driver="GPKG")

    # GeoParquet faults with a timestamp
    n_faults = 30
    gpd.GeoDataFrame(
        {
            "编号": [f"F{i:03d}" for i in range(n_faults)],
            "报修时间": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n_faults), unit="D"),
        },
        geometry=shapely.points(
            X0 + rng.random(n_faults) * N * CELL_DEG * 0.5, Y0 + rng.random(n_faults) * N * CELL_DEG
        ),
        crs=4326,
    ).to_parquet(folder / "faults.parquet", index=False)

    # CSV candidates in GB18030 with GCJ-02 coordinates
    from planner.inputs.datums import wgs84_to_gcj02

    m = 10
    lon = X0 + (0.5 + rng.random(m) * (N - 1)) * CELL_DEG
    lat = Y0 + (0.5 + rng.random(m) * (N - 1)) * CELL_DEG
    glon, glat = wgs84_to_gcj02(lon, lat)
    pd.DataFrame(
        {
            "编号": [f"S{j:02d}" for j in range(m)],
            "名称": [f"候选地点{j}号" for j in range(m)],
            "类别": ["商场", "写字楼"] * (m // 2),
            "经度": np.round(glon, 6),
            "纬度": np.round(glat, 6),
        }
    ).to_csv(folder / "candidates_gcj02.csv", index=False, encoding="gb18030")

    # zipped Shapefile with a GBK attribute table and no .cpg
    existing = gpd.GeoDataFrame(
        {"centre_id": ["E1", "E2"], "名称": ["江汉营业厅", "武昌营业厅"]},
        geometry=shapely.points(
            [X0 + 1.5 * CELL_DEG, X0 + 6.5 * CELL_DEG], [Y0 + 1.5 * CELL_DEG, Y0 + 6.5 * CELL_DEG]
        ),
        crs=4326,
    )
    _zip(folder / "existing_gbk.zip", _shapefile_members(existing, "existing", "GBK"))

    # --- bad files -----------------------------------------------------------------
    parts = _shapefile_members(existing, "existing", "GBK")
    _zip(folder / "missing_dbf.zip", {k: v for k, v in parts.items() if not k.endswith(".dbf")})
    _zip(folder / "traversal.zip", {"../evil.shp": parts["existing.shp"], "evil.dbf": b"x"})
    _zip(folder / "bomb.zip", {"bomb.shp": bytes(3_000_000)}, level=9)
    (folder / "empty.csv").write_text("经度,纬度,人口\n", encoding="utf-8")
    gpd.GeoDataFrame(
        {"格网编号": ids, "人口": ["n/a"] * len(ids)}, geometry=cells, crs=4326
    ).to_file(folder / "no_numbers.geojson", driver="GeoJSON")
    buf = io.StringIO()
    pd.DataFrame({"x": [500000.0, 501000.0], "y": [3380000.0, 3381000.0], "人口": [10, 20]}).to_csv(
        buf, index=False
    )
    (folder / "projected.csv").write_text(buf.getvalue(), encoding="utf-8")


if __name__ == "__main__":
    main()
    for p in sorted(HERE.iterdir()):
        if p.suffix != ".py":
            print(f"{p.stat().st_size:>8}  {p.name}")
