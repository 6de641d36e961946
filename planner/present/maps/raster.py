"""Image overlays for big maps: density classes and fault heat as one PNG each.

A map with one GeoJSON polygon per demand cell grows with the cells (about 170 bytes
and one SVG/canvas path per cell: 48 MB and 11 s to draw at 119,000 cells). Above
:data:`POLYGON_MAX_CELLS` the density layer is instead painted into a PNG on a grid
that is regular in Web Mercator, the projection Leaflet draws in, so that
``L.imageOverlay`` (which stretches an image linearly between two projected corners)
puts every pixel where its cells are, at any latitude and extent. The fault heat map
becomes a PNG too above :data:`HEAT_MAX_POINTS` points: weights binned on a grid and
blurred with a Gaussian (a kernel density), coloured like Leaflet.heat.

Coordinates come in already in the base map's datum (the caller shifts them to
GCJ-02 for Gaode tiles), so the overlays line up with the tiles as the vector layers do.
The PNG is palette-indexed (one byte per pixel, a transparent index 0) and written
here with :mod:`zlib`: no imaging library is needed.
"""

from __future__ import annotations

import base64
import math
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "HEAT_MAX_POINTS",
    "POLYGON_MAX_CELLS",
    "ImageOverlay",
    "class_image",
    "display_bounds",
    "group_image",
    "heat_image",
    "median_spacing",
    "png_indexed",
]

#: Above this many drawn cells the density layer is an image (below: polygons with tooltips).
POLYGON_MAX_CELLS = 20_000
#: Above this many heat points the fault heat map is an image (below: Leaflet.heat).
HEAT_MAX_POINTS = 20_000
#: Longest side of an overlay image in pixels (4096 x 4096 stays within every browser).
MAX_SIDE = 4096
#: Mean radius of the Earth in Web Mercator (EPSG:3857), metres.
_R = 6_378_137.0
#: Latitude limit of Web Mercator, degrees.
_MAX_LAT = 85.05112878
#: At most this many pixels across a cell are painted (cells larger than this many
#: pixels are irregular polygons, not a grid; their centre block is drawn).
_MAX_CELL_PIXELS = 16


@dataclass(frozen=True)
class ImageOverlay:
    """A PNG and the corners it spans, ``((south, west), (north, east))`` in degrees."""

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]
    width: int
    height: int

    def data_url(self) -> str:
        """The PNG as a ``data:`` URL (embedded in the page, no file beside it)."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


#: zlib level of the PNGs: 6 compresses a density-class image of the whole Wuhan
#: municipality 7 x faster than 9 (0.06 s against 0.46 s CPU) for 21 % more bytes
#: (222 KB against 183 KB); a map or an app rerun waited for two of them.
PNG_LEVEL = 6


def png_indexed(index: np.ndarray, palette: Sequence[tuple[int, int, int, int]]) -> bytes:
    """An 8-bit palette PNG of ``index`` (rows top to bottom) with RGBA ``palette``.

    Parameters
    ----------
    index
        ``(height, width)`` integers in ``0 .. len(palette) - 1``.
    palette
        Up to 256 ``(red, green, blue, alpha)`` colours, each 0-255.
    """
    arr = np.asarray(index)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"`index` must be a non-empty 2-D array; got shape {arr.shape}.")
    if not 1 <= len(palette) <= 256:
        raise ValueError(f"`palette` must hold 1 to 256 colours; got {len(palette)}.")
    if arr.min() < 0 or arr.max() >= len(palette):
        raise ValueError("`index` holds a value outside the palette.")
    h, w = arr.shape
    pal = np.asarray(palette, dtype=np.uint8).reshape(-1, 4)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    rows = np.empty((h, w + 1), dtype=np.uint8)
    rows[:, 0] = 0  # filter type None for every row
    rows[:, 1:] = arr
    return b"".join(
        [
            b"\x89PNG\r\n\x1a\n",
            chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 3, 0, 0, 0)),
            chunk(b"PLTE", pal[:, :3].tobytes()),
            chunk(b"tRNS", pal[:, 3].tobytes()),
            chunk(b"IDAT", zlib.compress(rows.tobytes(), PNG_LEVEL)),
            chunk(b"IEND", b""),
        ]
    )


def median_spacing(xy: np.ndarray) -> float:
    """Median distance from each point to its nearest neighbour (the points' unit;
    250 for fewer than two points or all in one place)."""
    from scipy.spatial import cKDTree

    if xy.shape[0] < 2:
        return 250.0
    dist, _ = cKDTree(xy).query(xy, k=2)
    spacing = float(np.median(dist[:, 1]))
    return spacing if spacing > 0 else 250.0


def _merc_x(lon: np.ndarray) -> np.ndarray:
    return _R * np.radians(lon)


def _merc_y(lat: np.ndarray) -> np.ndarray:
    lat = np.clip(lat, -_MAX_LAT, _MAX_LAT)
    return _R * np.log(np.tan(np.pi / 4.0 + np.radians(lat) / 2.0))


def _lon(x: float) -> float:
    return math.degrees(x / _R)


def _lat(y: float) -> float:
    return math.degrees(2.0 * math.atan(math.exp(y / _R)) - math.pi / 2.0)


def _paint(
    cell_bounds: np.ndarray, classes: np.ndarray, *, supersample: int, max_side: int
) -> tuple[np.ndarray, tuple[tuple[float, float], tuple[float, float]]]:
    """Paint cells into a Web Mercator grid: (int32 image of ``classes``, its corners)."""
    b = np.asarray(cell_bounds, dtype=np.float64).reshape(-1, 4)
    cls = np.asarray(classes).astype(np.int64)
    if b.shape[0] == 0 or cls.shape != (b.shape[0],):
        raise ValueError("`cell_bounds` and `classes` must describe the same, non-empty cells.")
    x0, x1 = _merc_x(b[:, 0]), _merc_x(b[:, 2])
    y0, y1 = _merc_y(b[:, 1]), _merc_y(b[:, 3])
    left, right, bottom, top = float(x0.min()), float(x1.max()), float(y0.min()), float(y1.max())
    span_x, span_y = max(right - left, 1e-6), max(top - bottom, 1e-6)
    cw = float(np.median(x1 - x0)) or span_x
    ch = float(np.median(y1 - y0)) or span_y
    px, py = cw / max(supersample, 1), ch / max(supersample, 1)
    shrink = max(1.0, span_x / px / max_side, span_y / py / max_side)
    px, py = px * shrink, py * shrink
    width = max(1, min(max_side, math.ceil(span_x / px)))
    height = max(1, min(max_side, math.ceil(span_y / py)))
    img = np.zeros((height, width), dtype=np.int32)
    # Pixel columns/rows whose centres lie inside each cell.
    c0 = np.ceil((x0 - left) / px - 0.5).astype(np.int64)
    c1 = np.floor((x1 - left) / px - 0.5).astype(np.int64)
    r0 = np.ceil((top - y1) / py - 0.5).astype(np.int64)
    r1 = np.floor((top - y0) / py - 0.5).astype(np.int64)
    cc = np.floor(((x0 + x1) / 2 - left) / px).astype(np.int64)
    rc = np.floor((top - (y0 + y1) / 2) / py).astype(np.int64)
    small_c, small_r = c1 < c0, r1 < r0
    c0, c1 = np.where(small_c, cc, c0), np.where(small_c, cc, c1)
    r0, r1 = np.where(small_r, rc, r0), np.where(small_r, rc, r1)
    big_c = c1 - c0 + 1 > _MAX_CELL_PIXELS
    c0 = np.where(big_c, cc - _MAX_CELL_PIXELS // 2, c0)
    c1 = np.where(big_c, cc + _MAX_CELL_PIXELS // 2 - 1, c1)
    big_r = r1 - r0 + 1 > _MAX_CELL_PIXELS
    r0 = np.where(big_r, rc - _MAX_CELL_PIXELS // 2, r0)
    r1 = np.where(big_r, rc + _MAX_CELL_PIXELS // 2 - 1, r1)
    drawn = cls > 0
    kc = int((c1 - c0 + 1)[drawn].max(initial=1))
    kr = int((r1 - r0 + 1)[drawn].max(initial=1))
    for dc in range(kc):
        for dr in range(kr):
            sel = drawn & (c0 + dc <= c1) & (r0 + dr <= r1)
            cols = np.clip(c0[sel] + dc, 0, width - 1)
            rows = np.clip(r0[sel] + dr, 0, height - 1)
            img[rows, cols] = cls[sel]
    south, north = _lat(top - height * py), _lat(top)
    west, east = _lon(left), _lon(left + width * px)
    return img, ((south, west), (north, east))


def display_bounds(shapes: np.ndarray, *, points: bool) -> np.ndarray:
    """``(n, 4)`` lon/lat bounds of each cell, for :func:`class_image`.

    Parameters
    ----------
    shapes
        Cell polygons (or points), lon/lat degrees, already in the base map's datum.
    points
        The shapes are points: each becomes a square of their median spacing (metres).
    """
    import shapely

    if not points:
        return np.asarray(shapely.bounds(shapes))
    xy = shapely.get_coordinates(shapes)
    lat0 = float(np.median(xy[:, 1]))
    m_per_lon = 111_320.0 * math.cos(math.radians(lat0))
    spacing_m = median_spacing(np.column_stack([xy[:, 0] * m_per_lon, xy[:, 1] * 111_320.0]))
    hx, hy = spacing_m / 2.0 / m_per_lon, spacing_m / 2.0 / 111_320.0
    return np.column_stack([xy[:, 0] - hx, xy[:, 1] - hy, xy[:, 0] + hx, xy[:, 1] + hy])


def class_image(
    cell_bounds: np.ndarray,
    classes: np.ndarray,
    palette: Sequence[tuple[int, int, int, int]],
    *,
    supersample: int = 2,
    max_side: int = MAX_SIDE,
) -> ImageOverlay:
    """Paint cells into a Web Mercator image, each with its palette index.

    Parameters
    ----------
    cell_bounds
        ``(n, 4)`` lon/lat bounds of each cell (``minx, miny, maxx, maxy``, degrees).
    classes
        ``(n,)`` palette index of each cell (0 = transparent, not drawn).
    palette
        RGBA colours; index 0 should be fully transparent.
    supersample
        Pixels per median cell side, so that cells of a grid not aligned with the
        map (e.g. UTM squares) keep their shape; lowered to fit ``max_side``.
    max_side
        Longest side of the image in pixels.

    Returns
    -------
    ImageOverlay
        Pixels whose centre falls in a cell take its index (a later cell wins where
        cells overlap); a cell smaller than a pixel paints the pixel under its centre.
    """
    img, corners = _paint(cell_bounds, classes, supersample=supersample, max_side=max_side)
    return ImageOverlay(png_indexed(img, palette), corners, img.shape[1], img.shape[0])


def group_image(
    cell_bounds: np.ndarray,
    group: np.ndarray,
    colours: Sequence[tuple[int, int, int]],
    *,
    fill_alpha: int = 46,
    edge_alpha: int = 230,
    supersample: int = 2,
    max_side: int = MAX_SIDE,
) -> ImageOverlay:
    """Areas of groups of cells (e.g. catchments) as an image: a light fill and a strong
    outline where a group meets another or the empty map.

    Parameters
    ----------
    cell_bounds
        ``(n, 4)`` lon/lat bounds of each cell.
    group
        ``(n,)`` group of each cell (``0, 1, ...``; negative: not drawn).
    colours
        RGB colours, used in turn by group number.
    fill_alpha, edge_alpha
        Opacity (0-255) of the fill and of the outline.
    """
    g = np.asarray(group).astype(np.int64)
    img, corners = _paint(cell_bounds, np.where(g >= 0, g + 1, 0), supersample=supersample,
                          max_side=max_side)  # fmt: skip
    pad = np.pad(img, 1)
    centre = pad[1:-1, 1:-1]
    edge = (centre > 0) & (
        (pad[:-2, 1:-1] != centre)
        | (pad[2:, 1:-1] != centre)
        | (pad[1:-1, :-2] != centre)
        | (pad[1:-1, 2:] != centre)
    )
    k = len(colours)
    colour = (img - 1) % k
    index = np.where(img == 0, 0, np.where(edge, 1 + k + colour, 1 + colour)).astype(np.uint8)
    palette = [(0, 0, 0, 0)]
    palette += [(r, gg, b, fill_alpha) for r, gg, b in colours]
    palette += [(r, gg, b, edge_alpha) for r, gg, b in colours]
    return ImageOverlay(png_indexed(index, palette), corners, img.shape[1], img.shape[0])


#: Leaflet.heat's default gradient (0.4 blue, 0.6 cyan, 0.7 lime, 0.8 yellow, 1 red).
_HEAT_STOPS = (
    (0.0, (0, 0, 255)),
    (0.4, (0, 0, 255)),
    (0.6, (0, 255, 255)),
    (0.7, (0, 255, 0)),
    (0.8, (255, 255, 0)),
    (1.0, (255, 0, 0)),
)
_HEAT_LEVELS = 64


def _heat_palette() -> list[tuple[int, int, int, int]]:
    t = np.linspace(0.0, 1.0, _HEAT_LEVELS)
    stops = np.array([s for s, _ in _HEAT_STOPS])
    rgb = np.array([c for _, c in _HEAT_STOPS], dtype=float)
    cols = np.column_stack([np.interp(t, stops, rgb[:, k]) for k in range(3)])
    # Opacity rises with the heat (faint where little happens, 0.8 at the hottest).
    alpha = 40 + 165 * np.sqrt(t)
    pal = [(0, 0, 0, 0)]
    pal += [
        (int(r), int(g), int(b), int(a)) for (r, g, b), a in zip(cols[1:], alpha[1:], strict=True)
    ]
    return pal


def heat_image(
    lon: np.ndarray,
    lat: np.ndarray,
    weight: np.ndarray,
    *,
    pixels: int = 640,
    radius_px: float = 4.0,
) -> ImageOverlay:
    """A fault heat map as an image: a Gaussian kernel density of weighted points.

    Parameters
    ----------
    lon, lat
        Point coordinates, degrees (in the base map's datum).
    weight
        Weight of each point (records: 1 each; or the demand's fault intensity).
    pixels
        Pixels along the longer side of the points' extent.
    radius_px
        Standard deviation of the Gaussian kernel in pixels (about 1/160 of the
        extent at the default size, like the disc radius of the Leaflet.heat layer).

    Returns
    -------
    ImageOverlay
        Colours from blue (low) to red; the densest 1 % of the area saturates, as
        the ``_heat_scale`` of :mod:`planner.present.maps.layers` sets for Leaflet.heat; cells below
        5 % of that stay transparent.
    """
    from scipy.ndimage import gaussian_filter

    x, y = _merc_x(np.asarray(lon, float)), _merc_y(np.asarray(lat, float))
    w = np.asarray(weight, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(w) & (w > 0)
    if not ok.any():
        raise ValueError("`heat_image` needs at least one point with a positive weight.")
    x, y, w = x[ok], y[ok], w[ok]
    pad = 4.0 * radius_px
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1.0)
    px = span / max(pixels - 2 * pad, 1.0)
    left, top = float(x.min()) - pad * px, float(y.max()) + pad * px
    width = min(MAX_SIDE, math.ceil((float(x.max()) + pad * px - left) / px) + 1)
    height = min(MAX_SIDE, math.ceil((top - float(y.min()) + pad * px) / px) + 1)
    cols = np.clip(np.floor((x - left) / px).astype(np.int64), 0, width - 1)
    rows = np.clip(np.floor((top - y) / px).astype(np.int64), 0, height - 1)
    grid = np.bincount(rows * width + cols, weights=w, minlength=width * height)
    dens = gaussian_filter(grid.reshape(height, width), sigma=radius_px, mode="constant")
    positive = dens[dens > 0]
    scale = float(np.quantile(positive, 0.99)) if positive.size else 1.0
    level = np.clip(dens / max(scale, 1e-300), 0.0, 1.0)
    idx = np.where(level < 0.05, 0, np.ceil(level * (_HEAT_LEVELS - 1))).astype(np.uint8)
    south, north = _lat(top - height * px), _lat(top)
    west, east = _lon(left), _lon(left + width * px)
    return ImageOverlay(
        png_indexed(idx, _heat_palette()), ((south, west), (north, east)), width, height
    )
