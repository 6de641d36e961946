"""The demo area at the rasters' native 100 m: a scenario folder for the scale benchmarks.

The bundled demo aggregates the WorldPop 100 m rasters to 500 m cells. This builds the
same area with one demand cell per populated 100 m raster cell (about 59,000), keeps
the demo's candidates, existing centres, fault records and residential layer, and
writes ``wuhan_demo_100m.toml`` beside a GeoPackage. Benchmarks only: needs rasterio
and the shared rasters (``--shared``).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

REPO = Path(__file__).resolve().parents[1]
DEMO_GPKG = REPO / "data" / "geo" / "wuhan_demo.gpkg"
DEMO_TOML = REPO / "scenarios" / "wuhan_demo.toml"
#: The shared data folder beside the repository (or beside the folder holding it).
DEFAULT_SHARED = next(
    (q / "shared" / "data" for q in REPO.parents if (q / "shared" / "data" / "wuhan").is_dir()),
    REPO.parent / "shared" / "data",
)


def population_100m(shared: Path, area: shapely.Geometry) -> gpd.GeoDataFrame:
    """One polygon per populated 100 m raster cell whose centre lies in ``area``."""
    import rasterio
    from rasterio.windows import Window, from_bounds

    out: dict[str, np.ndarray] = {}
    for col, name in (("pop_20plus", "wuhan_pop_20plus_100m.tif"),
                      ("pop_65plus", "wuhan_pop_65plus_100m.tif")):  # fmt: skip
        with rasterio.open(shared / "wuhan" / name) as src:
            w = from_bounds(*area.bounds, transform=src.transform).round_offsets().round_lengths()
            w = Window(w.col_off - 1, w.row_off - 1, w.width + 2, w.height + 2)
            vals = src.read(1, window=w, boundless=True, fill_value=0).astype(np.float64)
            tr = src.window_transform(w)
        out[col] = np.where(np.isfinite(vals) & (vals > 0), vals, 0.0)
    rows, cols = np.indices(out["pop_20plus"].shape)
    lon = tr.c + (cols + 0.5) * tr.a
    lat = tr.f + (rows + 0.5) * tr.e
    inside = shapely.contains_xy(area, lon, lat) & (out["pop_20plus"] > 0)
    hx, hy = abs(tr.a) / 2, abs(tr.e) / 2
    x, y = lon[inside], lat[inside]
    return gpd.GeoDataFrame(
        {
            "cell_id": [f"C{r}_{c}" for r, c in zip(rows[inside], cols[inside], strict=True)],
            "pop_20plus": out["pop_20plus"][inside],
            "pop_65plus": out["pop_65plus"][inside],
        },
        geometry=shapely.box(x - hx, y - hy, x + hx, y + hy),
        crs="EPSG:4326",
    )


def build(folder: Path, *, shared: Path = DEFAULT_SHARED, time_limit_s: float = 120) -> Path:
    """Write the 100 m demo scenario into ``folder``; return its TOML path (cached)."""
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "wuhan_demo_100m.gpkg"
    toml = folder / "wuhan_demo_100m.toml"
    if not gpkg.exists():
        area = shapely.union_all(gpd.read_file(DEMO_GPKG, layer="study_area").geometry.values)
        tmp = folder / "tmp.gpkg"
        tmp.unlink(missing_ok=True)
        for layer, _ in pyogrio.list_layers(DEMO_GPKG):
            gdf = gpd.read_file(DEMO_GPKG, layer=layer)
            if layer == "population":
                gdf = population_100m(shared, area)
            gdf.to_file(tmp, layer=layer, driver="GPKG")
        tmp.replace(gpkg)
    text = DEMO_TOML.read_text(encoding="utf-8")
    text = text.replace("../data/geo/wuhan_demo.gpkg", gpkg.name)
    text = text.replace('name = "wuhan_demo"', 'name = "wuhan_demo_100m"')
    text = text.replace("time_limit_s = 120", f"time_limit_s = {time_limit_s:g}")
    toml.write_text(text, encoding="utf-8")
    return toml
