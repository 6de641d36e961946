"""Population rasters (GeoTIFF) read in windows and aggregated into square cells.

Population often comes as a grid (WorldPop, GHSL, LandScan, a utility's own grid)
rather than as polygons. :func:`read_population_raster` reads band 1 of a GeoTIFF
one strip of rows at a time (memory bounded by the strip, not the raster), drops
nodata, NaN and zero cells, and sums the people of every pixel into square cells of
``cell_size_m`` metres in the local UTM zone, each pixel going to the cell that holds
its centre (so any CRS works, geographic or projected). Without a cell size each
populated pixel is its own cell. A second raster of residents aged 65+ (any grid) is
summed into the same cells.

The result is a layer of cell polygons in WGS 84 with ``cell_id``, the population
column and (when given) ``pop_65plus``, ready for :func:`planner.inputs.demand.build_demand`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from planner.errors import DataError
from planner.limits import current_limits

__all__ = ["RASTER_SUFFIXES", "is_raster", "native_cell_size_m", "read_population_raster"]

#: First bytes of a TIFF / BigTIFF file (little- and big-endian).
_TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")

#: File name endings read as rasters.
RASTER_SUFFIXES = (".tif", ".tiff")
#: Rows of pixels read at a time (a strip of a 100,000-column raster is 100 MB as float64).
STRIP_ROWS = 256
#: A cell size this much below the raster's own pixel is refused (not silently ignored).
FINER_TOLERANCE = 0.98

Progress = Callable[[str, float], None]


def is_raster(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` names a GeoTIFF (by its ending)."""
    return Path(path).suffix.lower() in RASTER_SUFFIXES


def open_raster(path: Path, what: str) -> Any:
    try:
        import rasterio
    except ImportError:  # pragma: no cover - rasterio is a main dependency
        raise DataError(
            f"{what} file {path} is a raster: install rasterio (pip install rasterio)."
        ) from None
    from planner.sanitize import check_plain_path

    check_plain_path(path, what=what)
    if not path.exists():
        raise DataError(
            f"{what} file {path} does not exist; check the path (relative paths start at "
            "the scenario file)."
        )
    from planner.inputs.file_checks import check_regular_file

    check_regular_file(path, what=what)
    # GDAL picks the driver by content: a .tif holding VRT XML would read any file or URL.
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head not in _TIFF_MAGIC:
        from planner.inputs.file_checks import describe_content

        raise DataError(
            f"{what} file {path} is not a readable GeoTIFF (it should start with II* or MM*; "
            f"found {describe_content(path)}); export the raster again as GeoTIFF."
        )
    try:
        src = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"{what} file {path} is not a readable GeoTIFF ({exc}).") from None
    if src.driver != "GTiff":
        src.close()
        raise DataError(
            f"{what} file {path}: expected a GeoTIFF, but GDAL reads it as {src.driver!r}; "
            "export the raster again as GeoTIFF."
        )
    return src


def raster_crs(src: Any, path: Path, what: str, crs: str | None) -> pyproj.CRS:
    from planner.inputs.layers import parse_crs

    user = parse_crs(crs) if crs else None
    if src.crs is None:
        if user is None:
            raise DataError(
                f"{what} raster {path} has no coordinate system; set `crs` (e.g. 'wgs84' or "
                "an EPSG code) in the scenario's layer."
            )
        return user
    have = pyproj.CRS.from_user_input(src.crs.to_wkt())
    from planner.inputs.file_checks import check_crs_files

    check_crs_files(have, where=f"{what} raster {path}")
    if user is not None and not have.equals(user):
        raise DataError(
            f"{what} raster {path} says its CRS is {have.to_string()} but `crs` = {crs!r}; "
            "omit `crs` or fix the file."
        )
    return have


def native_cell_size_m(path: str | os.PathLike[str], *, crs: str | None = None) -> float:
    """Side in metres of one pixel of a raster (the geometric mean of width and height,
    measured at the raster's centre for geographic rasters)."""
    p = Path(path)
    with open_raster(p, "population") as src:
        return pixel_m(src, raster_crs(src, p, "population", crs))


def pixel_m(src: Any, crs: pyproj.CRS) -> float:
    a, e = abs(src.transform.a), abs(src.transform.e)
    if crs.is_geographic:
        lat = np.radians((src.bounds.bottom + src.bounds.top) / 2.0)
        geod = pyproj.Geod(ellps="WGS84")
        lon0 = (src.bounds.left + src.bounds.right) / 2.0
        lat0 = float(np.degrees(lat))
        _, _, w = geod.inv(lon0, lat0, lon0 + a, lat0)
        _, _, h = geod.inv(lon0, lat0, lon0, lat0 + e)
        return float(np.sqrt(abs(w) * abs(h)))
    unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
    return float(np.sqrt(a * e) * unit)


@dataclass
class _Cells:
    """Running sums per output cell (keys: packed cell row/column)."""

    keys: list[np.ndarray]
    pop: list[np.ndarray]

    def add(self, keys: np.ndarray, pop: np.ndarray) -> None:
        uniq, inv = np.unique(keys, return_inverse=True)
        self.keys.append(uniq)
        self.pop.append(np.bincount(inv, weights=pop, minlength=uniq.size))

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        if not self.keys:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        uniq, inv = np.unique(np.concatenate(self.keys), return_inverse=True)
        return uniq, np.bincount(inv, weights=np.concatenate(self.pop), minlength=uniq.size)


CELL_KEY_OFFSET = 1 << 31


def grid_keys(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """One int64 key per grid cell from its column ``gx`` and row ``gy`` (either sign).

    Parameters
    ----------
    gx, gy
        Integer cell indices (metres // cell size), each within +-2**30.

    Returns
    -------
    numpy.ndarray
        int64 keys; :func:`grid_cells` gives ``(gx, gy)`` back.
    """
    half = CELL_KEY_OFFSET // 2
    return (gy + half) * CELL_KEY_OFFSET + (gx + half)


def grid_cells(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``(gx, gy)`` cell indices of keys made by :func:`grid_keys`."""
    half = CELL_KEY_OFFSET // 2
    return keys % CELL_KEY_OFFSET - half, keys // CELL_KEY_OFFSET - half


def _sum_into_cells(
    path: Path,
    *,
    what: str,
    crs: str | None,
    cell_size_m: float | None,
    metric: pyproj.CRS | None,
    band: int,
    progress: Progress | None,
) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Sum one raster into cells: (sorted keys, people, grid info).

    With ``cell_size_m`` keys pack the metric cell row and column; without, the pixel
    row and column.
    """
    with open_raster(path, what) as src:
        src_crs = raster_crs(src, path, what, crs)
        if band < 1 or band > src.count:
            raise DataError(f"{what} raster {path} has {src.count} band(s); `band` = {band}.")
        pixel = pixel_m(src, src_crs)
        if cell_size_m is not None and cell_size_m < FINER_TOLERANCE * pixel:
            raise DataError(
                f"demand.cell_size_m = {cell_size_m:g} is finer than the {what} raster's own "
                f"cells (about {pixel:.0f} m in {path.name}); a raster cannot be split. Set "
                f"cell_size_m to {pixel:.0f} or more, or leave it out to use the raster's cells."
            )
        to_metric = (
            None if metric is None else pyproj.Transformer.from_crs(src_crs, metric, always_xy=True)
        )
        cells = _Cells([], [])
        height, width = src.height, src.width
        tr = src.transform
        negatives = 0
        from rasterio.windows import Window

        for r0 in range(0, height, STRIP_ROWS):
            rows = min(STRIP_ROWS, height - r0)
            block = src.read(band, window=Window(0, r0, width, rows), masked=True)
            values = np.ma.filled(block.astype(np.float64), np.nan)
            ok = np.isfinite(values) & (values != 0)
            negatives += int((values[ok] < 0).sum())
            rr, cc = np.nonzero(ok & (values > 0))
            if rr.size:
                pop = values[rr, cc]
                rr = rr + r0
                if cell_size_m is None:
                    keys = rr.astype(np.int64) * CELL_KEY_OFFSET + cc
                else:
                    assert to_metric is not None
                    x = tr.c + (cc + 0.5) * tr.a + (rr + 0.5) * tr.b
                    y = tr.f + (cc + 0.5) * tr.d + (rr + 0.5) * tr.e
                    x, y = to_metric.transform(x, y)
                    x, y = np.asarray(x), np.asarray(y)
                    gx = np.floor(x / cell_size_m).astype(np.int64)
                    gy = np.floor(y / cell_size_m).astype(np.int64)
                    keys = grid_keys(gx, gy)
                cells.add(keys, pop)
            if progress is not None:
                progress(f"reading {path.name}", (r0 + rows) / height)
        if negatives:
            raise DataError(
                f"{what} raster {path} has {negatives} negative cell(s) that are not its nodata "
                f"value ({src.nodata}); set the raster's nodata or fix those cells."
            )
        info = {"crs": src_crs, "transform": tr, "shape": (height, width), "pixel_m": pixel}
    keys, pop = cells.totals()
    return keys, pop, info


def read_population_raster(
    path: str | os.PathLike[str],
    *,
    population_col: str = "pop_20plus",
    pop65_path: str | os.PathLike[str] | None = None,
    pop65_col: str = "pop_65plus",
    cell_size_m: float | None = None,
    crs: str | None = None,
    band: int = 1,
    progress: Progress | None = None,
) -> gpd.GeoDataFrame:
    """Population (and residents 65+) from GeoTIFF rasters, as square cells in WGS 84.

    Parameters
    ----------
    path
        GeoTIFF of people per pixel (band ``band``), any CRS; nodata, NaN and 0 pixels
        are left out.
    population_col, pop65_col
        Names of the output columns.
    pop65_path
        Optional GeoTIFF of residents aged 65+ (any grid, any CRS); summed into the same
        cells. Pixels of it outside every populated cell are dropped (reported in
        ``attrs["pop65_outside_cells"]``, people).
    cell_size_m
        Side of the output cells in metres (squares in the local UTM zone); ``None``:
        one cell per populated pixel. Finer than the raster's own pixels is an error.
    crs
        The raster's CRS when the file does not say.
    band
        Band to read (1-based).
    progress
        Called as ``progress(message, share_done)`` after each strip of rows.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326 polygons with ``cell_id``, ``population_col`` and, with
        ``pop65_path``, ``pop65_col``.
    """
    p = Path(path)
    metric: pyproj.CRS | None = None
    if cell_size_m is not None:
        if not np.isfinite(cell_size_m) or cell_size_m <= 0:
            raise DataError(
                f"demand.cell_size_m must be a positive size in metres; got {cell_size_m}."
            )
        metric = utm_of(p, crs)
    keys, pop, info = _sum_into_cells(
        p, what="population", crs=crs, cell_size_m=cell_size_m, metric=metric, band=band,
        progress=progress,
    )  # fmt: skip
    if keys.size == 0 or pop.sum() <= 0:
        raise DataError(f"population raster {p} holds no people (every pixel is nodata or 0).")
    limit = current_limits().max_rows
    if keys.size > limit:  # before a polygon is made for each cell
        raise DataError(
            f"population raster {p}: makes {keys.size:,} populated cells, over the limit of "
            f"{limit:,} rows (setting PLANNER_MAX_ROWS); set a coarser demand.cell_size_m, "
            "clip the raster to the study area or raise the setting."
        )
    attrs: dict[str, Any] = {"raster_pixel_m": info["pixel_m"]}
    if cell_size_m is None:
        rows, cols = keys // CELL_KEY_OFFSET, keys % CELL_KEY_OFFSET
        tr = info["transform"]
        x0 = tr.c + cols * tr.a + rows * tr.b
        y0 = tr.f + cols * tr.d + rows * tr.e
        geom = shapely.box(x0, y0, x0 + tr.a, y0 + tr.e)
        cells = gpd.GeoSeries(geom, crs=info["crs"])
        ids = [f"R{r}_{c}" for r, c in zip(rows.tolist(), cols.tolist(), strict=True)]
    else:
        assert metric is not None
        gx, gy = grid_cells(keys)
        s = float(cell_size_m)
        cells = gpd.GeoSeries(shapely.box(gx * s, gy * s, (gx + 1) * s, (gy + 1) * s), crs=metric)
        ids = [f"G{r}_{c}" for r, c in zip(gy.tolist(), gx.tolist(), strict=True)]
    out = gpd.GeoDataFrame(
        {"cell_id": ids, population_col: pop}, geometry=cells.to_crs("EPSG:4326").values,
        crs="EPSG:4326",
    )  # fmt: skip
    if pop65_path is not None:
        out[pop65_col] = _pop65_in_cells(
            Path(pop65_path), keys, info, crs=crs, cell_size_m=cell_size_m, metric=metric,
            attrs=attrs, progress=progress,
        )  # fmt: skip
    out.attrs.update(attrs)
    return out


def utm_of(path: Path, crs: str | None) -> pyproj.CRS:
    """The UTM zone (WGS 84) at the raster's centre."""
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    with open_raster(path, "population") as src:
        src_crs = raster_crs(src, path, "population", crs)
        b = src.bounds
    to_ll = pyproj.Transformer.from_crs(src_crs, "EPSG:4326", always_xy=True)
    lon, lat = to_ll.transform((b.left + b.right) / 2.0, (b.bottom + b.top) / 2.0)
    info = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(float(lon), float(lat), float(lon), float(lat)),
    )
    return pyproj.CRS.from_epsg(int(info[0].code))


def _pop65_in_cells(
    path: Path,
    keys: np.ndarray,
    info: dict[str, Any],
    *,
    crs: str | None,
    cell_size_m: float | None,
    metric: pyproj.CRS | None,
    attrs: dict[str, Any],
    progress: Progress | None,
) -> np.ndarray:
    if cell_size_m is None:
        with open_raster(path, "residents 65+") as src:
            same = (src.height, src.width) == info["shape"] and src.transform.almost_equals(
                info["transform"]
            )
        if not same:
            raise DataError(
                f"residents 65+ raster {path} is not on the population raster's grid; set "
                "demand.cell_size_m so both are summed into the same cells."
            )
    k65, p65, _ = _sum_into_cells(
        path, what="residents 65+", crs=crs, cell_size_m=cell_size_m, metric=metric, band=1,
        progress=progress,
    )  # fmt: skip
    pos = np.searchsorted(keys, k65)
    pos = np.minimum(pos, keys.size - 1)
    hit = keys[pos] == k65
    out = np.zeros(keys.size)
    np.add.at(out, pos[hit], p65[hit])
    attrs["pop65_outside_cells"] = float(p65[~hit].sum())
    return out
