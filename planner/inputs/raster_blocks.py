"""Population rasters summed into cells block by block, on any ``map`` (serial or Dask).

For a province (tens of millions of pixels) the reading and the sums are split into
independent tasks: each reads one window of the raster (``block_rows`` x
``block_cols`` pixels) from the file itself, sums its populated pixels into the
output cells (each pixel to the square of ``cell_size_m`` metres in the local UTM zone
that holds its centre, as :func:`planner.inputs.rasters.read_population_raster` does)
and returns only those partial sums. A task's memory is bounded by its window, not by
the raster; the partial sums are merged at the end (one number per populated cell,
the only part that grows with the province).

``map_fn`` runs the tasks: the built-in :func:`map` (serial), or a
``concurrent.futures.Executor.map`` such as a Dask client's
(:func:`planner.runs.parallel.dask_client`, ``client.get_executor().map``); the
workers need the raster at the same path (a shared disk or object store).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyproj

from planner.errors import DataError
from planner.inputs.rasters import (
    FINER_TOLERANCE,
    grid_cells,
    grid_keys,
    open_raster,
    pixel_m,
    raster_crs,
    utm_of,
)

__all__ = ["BLOCK_PIXELS", "Block", "CellSums", "aggregate_raster", "block_sums", "raster_blocks"]

#: Pixels per task by default (2,048 x 2,048: 32 MB as float64, whatever the raster's size).
BLOCK_PIXELS = 2048

MapFn = Callable[..., Iterable[Any]]


@dataclass(frozen=True)
class Block:
    """One task: a window of the raster and how to sum it (small, cheap to send)."""

    path: str
    row0: int
    col0: int
    rows: int
    cols: int
    band: int
    cell_size_m: float
    metric_wkt: str
    crs: str | None


@dataclass(frozen=True)
class CellSums:
    """People per output cell: packed UTM cell keys (sorted) and their sums.

    ``keys`` pack the cell row ``gy`` and column ``gx`` as
    ``(gy + 2**30) * 2**31 + (gx + 2**30)``; the cell's square is
    ``[gx, gx + 1) x [gy, gy + 1)`` times ``cell_size_m`` in ``metric`` (a UTM zone).
    """

    keys: np.ndarray
    population: np.ndarray
    cell_size_m: float
    metric: pyproj.CRS
    negatives: int = 0

    def to_frame(self, population_col: str = "pop_20plus") -> Any:
        """The cells as a GeoDataFrame of squares in WGS 84 (``cell_id``, people), the
        layout :func:`planner.inputs.rasters.read_population_raster` returns."""
        import geopandas as gpd
        import shapely

        x0, y0 = self.squares()
        s = self.cell_size_m
        gy = np.floor(y0 / s + 0.5).astype(np.int64)
        gx = np.floor(x0 / s + 0.5).astype(np.int64)
        squares = gpd.GeoSeries(shapely.box(x0, y0, x0 + s, y0 + s), crs=self.metric)
        return gpd.GeoDataFrame(
            {
                "cell_id": [f"G{r}_{c}" for r, c in zip(gy.tolist(), gx.tolist(), strict=True)],
                population_col: self.population,
            },
            geometry=squares.to_crs("EPSG:4326").values,
            crs="EPSG:4326",
        )

    def squares(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower-left corner (x, y) of each cell in ``metric`` metres."""
        gx, gy = grid_cells(self.keys)
        return gx * self.cell_size_m, gy * self.cell_size_m


def raster_blocks(
    path: str | os.PathLike[str],
    *,
    cell_size_m: float,
    band: int = 1,
    crs: str | None = None,
    block_pixels: int = BLOCK_PIXELS,
) -> tuple[list[Block], pyproj.CRS]:
    """Split a population raster into window tasks; check it first.

    Raises
    ------
    DataError
        Unreadable raster, a band it does not have, or a cell size finer than its pixels.
    """
    p = Path(path)
    if not np.isfinite(cell_size_m) or cell_size_m <= 0:
        raise DataError(f"`cell_size_m` must be a positive size in metres; got {cell_size_m}.")
    if int(block_pixels) < 16:
        raise DataError(f"`block_pixels` must be at least 16; got {block_pixels}.")
    metric = utm_of(p, crs)
    with open_raster(p, "population") as src:
        src_crs = raster_crs(src, p, "population", crs)
        if band < 1 or band > src.count:
            raise DataError(f"population raster {p} has {src.count} band(s); `band` = {band}.")
        pixel = pixel_m(src, src_crs)
        if cell_size_m < FINER_TOLERANCE * pixel:
            raise DataError(
                f"cell_size_m = {cell_size_m:g} is finer than the population raster's own "
                f"cells (about {pixel:.0f} m in {p.name}); set it to {pixel:.0f} or more."
            )
        height, width = src.height, src.width
    b = int(block_pixels)
    blocks = [
        Block(
            str(p.resolve()),
            r0,
            c0,
            min(b, height - r0),
            min(b, width - c0),
            band,
            float(cell_size_m),
            metric.to_wkt(),
            crs,
        )
        for r0 in range(0, height, b)
        for c0 in range(0, width, b)
    ]
    return blocks, metric


def block_sums(block: Block) -> tuple[np.ndarray, np.ndarray, int]:
    """Read one window and sum it into cells: (sorted keys, people, negative pixels).

    Runs on a worker; its memory is a few arrays of the window's size.
    """
    from rasterio.windows import Window

    p = Path(block.path)
    metric = pyproj.CRS.from_wkt(block.metric_wkt)
    with open_raster(p, "population") as src:
        src_crs = raster_crs(src, p, "population", block.crs)
        win = Window(block.col0, block.row0, block.cols, block.rows)
        data = src.read(block.band, window=win, masked=True)
        tr = src.transform
    values = np.ma.filled(data.astype(np.float64), np.nan)
    ok = np.isfinite(values) & (values != 0)
    negatives = int((values[ok] < 0).sum())
    rr, cc = np.nonzero(ok & (values > 0))
    if rr.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0), negatives
    pop = values[rr, cc]
    rr = rr + block.row0
    cc = cc + block.col0
    x = tr.c + (cc + 0.5) * tr.a + (rr + 0.5) * tr.b
    y = tr.f + (cc + 0.5) * tr.d + (rr + 0.5) * tr.e
    to_metric = pyproj.Transformer.from_crs(src_crs, metric, always_xy=True)
    x, y = to_metric.transform(x, y)
    gx = np.floor(np.asarray(x) / block.cell_size_m).astype(np.int64)
    gy = np.floor(np.asarray(y) / block.cell_size_m).astype(np.int64)
    keys = grid_keys(gx, gy)
    uniq, inv = np.unique(keys, return_inverse=True)
    return uniq, np.bincount(inv, weights=pop, minlength=uniq.size), negatives


def _merge(
    parts: Iterator[tuple[np.ndarray, np.ndarray, int]],
) -> tuple[np.ndarray, np.ndarray, int]:
    keys, pops, negatives = [], [], 0
    for k, v, n in parts:
        keys.append(k)
        pops.append(v)
        negatives += n
    if not keys:
        return np.zeros(0, dtype=np.int64), np.zeros(0), negatives
    uniq, inv = np.unique(np.concatenate(keys), return_inverse=True)
    return uniq, np.bincount(inv, weights=np.concatenate(pops), minlength=uniq.size), negatives


def aggregate_raster(
    path: str | os.PathLike[str],
    *,
    cell_size_m: float,
    band: int = 1,
    crs: str | None = None,
    block_pixels: int = BLOCK_PIXELS,
    map_fn: MapFn = map,
) -> CellSums:
    """People per ``cell_size_m`` square (local UTM zone) of a population raster, by blocks.

    Parameters
    ----------
    path
        GeoTIFF of people per pixel (any CRS; nodata, NaN and 0 left out).
    cell_size_m
        Side of the output cells in metres (at least the raster's pixel).
    band, crs
        Band to read (1-based); the raster's CRS when the file does not say.
    block_pixels
        Side of each task's window in pixels (memory per task about
        ``24 * block_pixels**2`` bytes at most).
    map_fn
        ``map(block_sums, blocks)``-like runner: :func:`map` (serial, default) or an
        executor's ``map`` (e.g. ``client.get_executor().map`` of a Dask client).

    Returns
    -------
    CellSums
        The same sums as :func:`planner.inputs.rasters.read_population_raster` with
        this ``cell_size_m`` (up to float rounding).

    Raises
    ------
    DataError
        As :func:`raster_blocks`; negative pixels that are not the nodata value; a
        raster holding no people.
    """
    blocks, metric = raster_blocks(
        path, cell_size_m=cell_size_m, band=band, crs=crs, block_pixels=block_pixels
    )
    keys, pop, negatives = _merge(iter(map_fn(block_sums, blocks)))
    if negatives:
        raise DataError(
            f"population raster {path} has {negatives} negative cell(s) that are not its "
            "nodata value; set the raster's nodata or fix those cells."
        )
    if keys.size == 0 or pop.sum() <= 0:
        raise DataError(f"population raster {path} holds no people (every pixel is nodata or 0).")
    return CellSums(keys, pop, float(cell_size_m), metric, negatives)
