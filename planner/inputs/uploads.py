"""Uploaded layers: size limit, a private per-session folder, then :func:`planner.inputs.layers.read_layer`.

The Streamlit app hands every uploaded file to :func:`save_upload`, which

* refuses files over the size limit (:func:`max_upload_bytes`, the setting
  ``PLANNER_MAX_UPLOAD_MB``, default 100 MB) and empty files;
* refuses file types the planner cannot read (the name's suffix decides);
* writes the bytes under a fixed, sanitised name (``population.gpkg``) into the
  session's private folder (:func:`new_session_folder`, a ``tempfile.mkdtemp``
  folder only this user can read), so that a crafted file name can never point
  outside it and two browser sessions never share a file.

Reading goes through :func:`read_upload`, a thin wrapper around
:func:`planner.inputs.layers.read_layer` (which checks zipped Shapefiles for missing
parts, path traversal and decompression bombs, and detects GBK attribute
tables) that adds the checks only an upload needs: a GeoPackage or zip with
several layers lists them, and a layer whose chosen numeric column holds no
usable value is refused with a message naming the column.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.errors import DataError, InputError

__all__ = [
    "DEFAULT_MAX_UPLOAD_MB",
    "LAYER_SUFFIXES",
    "ROAD_SUFFIXES",
    "SavedUpload",
    "check_upload_content",
    "guess_column",
    "layer_names",
    "max_upload_bytes",
    "new_session_folder",
    "numeric_columns",
    "private_paths_removed",
    "read_upload",
    "remove_session_folder",
    "save_upload",
    "text_columns",
]

#: Default size limit of one uploaded file, in megabytes (setting ``PLANNER_MAX_UPLOAD_MB``).
DEFAULT_MAX_UPLOAD_MB: Final = 100.0

#: File types accepted for layers (GeoJSON, GeoPackage, zipped Shapefile, GeoParquet, CSV).
LAYER_SUFFIXES: Final[tuple[str, ...]] = (
    ".geojson",
    ".json",
    ".gpkg",
    ".zip",
    ".parquet",
    ".geoparquet",
    ".csv",
)
#: File types accepted for a road network (see :func:`planner.travel.road_network.read_road_network`).
ROAD_SUFFIXES: Final[tuple[str, ...]] = (
    ".graphml",
    ".gpkg",
    ".geojson",
    ".json",
    ".osm.pbf",
    ".pbf",
    ".osm",
)

_SAFE_STEM = re.compile(r"[^A-Za-z0-9_-]+")


def max_upload_bytes() -> int:
    """The size limit of one uploaded file in bytes: ``PLANNER_MAX_UPLOAD_MB`` (default 100 MB).

    Raises
    ------
    ConfigError
        If the setting is not a positive number.
    """
    from planner.errors import ConfigError

    text = os.environ.get("PLANNER_MAX_UPLOAD_MB", "").strip()
    if not text:
        return int(DEFAULT_MAX_UPLOAD_MB * 1e6)
    try:
        mb = float(text)
    except ValueError:
        mb = float("nan")
    if not (np.isfinite(mb) and mb > 0):
        raise ConfigError(
            f"setting PLANNER_MAX_UPLOAD_MB = {text!r} is not a size in megabytes; "
            "set a positive number such as 100."
        )
    return int(mb * 1e6)


def new_session_folder() -> Path:
    """A new private temporary folder for one browser session's uploads (mode 0700)."""
    return Path(tempfile.mkdtemp(prefix="planner-session-"))


def remove_session_folder(folder: str | os.PathLike[str]) -> None:
    """Delete a session folder made by :func:`new_session_folder` (and nothing else)."""
    path = Path(folder)
    if path.is_dir() and path.name.startswith("planner-session-"):
        shutil.rmtree(path, ignore_errors=True)


def _suffix(filename: str, allowed: Sequence[str]) -> str | None:
    """The file's type suffix if it is allowed (``.osm.pbf`` counts as one suffix)."""
    name = filename.lower()
    for suffix in sorted(allowed, key=len, reverse=True):
        if name.endswith(suffix):
            return suffix
    return None


@dataclass(frozen=True)
class SavedUpload:
    """An uploaded file saved in the session folder.

    Attributes
    ----------
    path
        Where it was saved (inside the session folder).
    original_name
        The name the user's file had (shown in the page, never used as a path).
    size_bytes
        Its size.
    layers
        Layer names inside a GeoPackage, or Shapefile names inside a zip (empty
        for single-layer formats).
    """

    path: Path
    original_name: str
    size_bytes: int
    layers: tuple[str, ...] = ()


def save_upload(
    data: bytes,
    filename: str,
    folder: str | os.PathLike[str],
    *,
    slot: str,
    max_bytes: int | None = None,
    allowed: Sequence[str] = LAYER_SUFFIXES,
    what: str = "layer",
) -> SavedUpload:
    """Save an uploaded file into the session folder under a safe name.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The file's name on the user's computer (only its suffix is used).
    folder
        The session folder (:func:`new_session_folder`).
    slot
        What the file is for (``"population"``, ``"roads"``): the saved file is
        ``<slot><suffix>``, replacing an earlier upload for the same slot.
    max_bytes
        Size limit (default :func:`max_upload_bytes`).
    allowed
        Accepted suffixes.
    what
        What the layer is, for messages.

    Returns
    -------
    SavedUpload

    Raises
    ------
    DataError
        The file is empty, too large, of a type the planner cannot read, or
        (GeoPackage, zip) not a readable container.
    """
    limit = max_upload_bytes() if max_bytes is None else int(max_bytes)
    shown = os.path.basename(str(filename).replace("\\", "/")) or "file"
    size = len(data)
    if size == 0:
        raise DataError(
            f"{what} file {shown!r} is empty; upload the file with its data.",
            reason="file_empty",
            path=shown,
        )
    if size > limit:
        raise DataError(
            f"{what} file {shown!r} is {size / 1e6:.1f} MB, over the {limit / 1e6:.0f} MB upload "
            "limit; clip it to the study area or raise PLANNER_MAX_UPLOAD_MB.",
            reason="file_too_big",
            path=shown,
            mb=f"{size / 1e6:.1f}",
            limit_mb=f"{limit / 1e6:.0f}",
        )
    suffix = _suffix(shown, allowed)
    if suffix is None:
        raise DataError(
            f"{what} file {shown!r}: unknown type; upload one of {', '.join(allowed)} "
            "(a Shapefile as one .zip with its .shp, .shx, .dbf and .prj).",
            reason="unknown_format",
            path=shown,
            suffix=Path(shown).suffix,
        )
    stem = _SAFE_STEM.sub("_", slot).strip("_") or "upload"
    base = Path(folder)
    if not base.is_dir():
        raise InputError(f"session folder {base} does not exist; reload the page.")
    for old in base.glob(f"{stem}.*"):  # a new upload for a slot replaces the old one
        if old.is_file():
            old.unlink()
    target = base / f"{stem}{suffix}"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        check_upload_content(target, suffix, what=what)
        layers = tuple(layer_names(target))
    except DataError as exc:
        target.unlink(missing_ok=True)
        raise _renamed(exc, target, shown) from None
    return SavedUpload(path=target, original_name=shown, size_bytes=size, layers=layers)


def _renamed(exc: DataError, path: Path, shown: str) -> DataError:
    """``exc`` naming the user's file ``shown`` instead of its private copy ``path``, with
    its reason and details kept (a front end words it itself, naming the upload)."""
    return DataError(private_paths_removed(str(exc), path, shown), reason=exc.reason, **exc.details)


_PRIVATE_PATH = re.compile(r"""[^\s'"()\[\]]*planner-(?:session|shp)-[^\s'"():\[\]]*""")


def private_paths_removed(text: str, path: str | os.PathLike[str], shown: str) -> str:
    """``text`` with the server's private folders replaced by the user's file name.

    Messages from GDAL or the zip reader name the session folder
    (``/tmp/planner-session-.../population.gpkg``) or the folder a zipped Shapefile
    was unpacked into; a visitor must see neither.
    """
    text = text.replace(str(path), shown)
    text = _PRIVATE_PATH.sub(shown, text)
    name = Path(path).name  # the saved name (population.gpkg), not the user's
    return (
        re.sub(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", shown, text)
        if name not in shown
        else text
    )


def check_upload_content(path: Path, suffix: str, *, what: str = "layer") -> None:
    """Refuse an upload whose content is not its type's (a ``.geojson`` holding VRT
    XML, a ``.gpkg`` that is a zip...), a zip holding dataset descriptions or unpacking
    past the limits, before any GDAL driver sees it.

    Raises
    ------
    DataError
        One line saying what the file should have been.
    """
    from planner.inputs.file_checks import SUFFIX_KINDS, check_content, check_zip

    # every accepted suffix is in the layer reader's table; those it lacks (GraphML, OSM)
    # are parsed by the planner's own readers, not GDAL
    kind = SUFFIX_KINDS.get(suffix)
    if kind is not None:
        check_content(path, kind, what=what)
    if kind == "zip":
        check_zip(path).close()


def layer_names(path: str | os.PathLike[str]) -> list[str]:
    """Layers of a GeoPackage, or Shapefiles in a zip; ``[]`` for single-layer files.

    Raises
    ------
    DataError
        A GeoPackage or zip that cannot be opened.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".gpkg":
        import pyogrio

        from planner.inputs.file_checks import gdal_local_only

        gdal_local_only()
        try:
            return [str(name) for name, _ in pyogrio.list_layers(p)]
        except Exception as exc:  # pyogrio raises several DataSourceError classes
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(
                f"{p.name}: not a readable GeoPackage ({private_paths_removed(first, p, p.name)}).",
                reason="unreadable",
                path=str(p),
            ) from None
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(p) as zf:
                names = [i.filename for i in zf.infolist() if not i.is_dir()]
        except zipfile.BadZipFile:
            raise DataError(
                f"{p.name}: not a valid zip file; zip the Shapefile's .shp, .shx, .dbf and .prj.",
                reason="zip_invalid",
                path=str(p),
            ) from None
        return sorted({Path(n).stem for n in names if n.lower().endswith(".shp")})
    return []


def read_upload(
    saved: SavedUpload | str | os.PathLike[str],
    *,
    layer: str | None = None,
    crs: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    encoding: str | None = None,
    what: str = "layer",
) -> gpd.GeoDataFrame:
    """Read an uploaded layer into WGS 84 with :func:`planner.inputs.layers.read_layer`.

    ``crs`` is ``None`` (as the file says), ``"wgs84"``, ``"gcj02"``, ``"bd09"``,
    ``"cgcs2000"`` or an EPSG code. Raises :class:`~planner.errors.DataError`
    with a one-line message for anything the planner cannot use.
    """
    from planner.inputs.layers import read_layer

    path = saved.path if isinstance(saved, SavedUpload) else Path(saved)
    shown = saved.original_name if isinstance(saved, SavedUpload) else path.name
    names = saved.layers if isinstance(saved, SavedUpload) else tuple(layer_names(path))
    if layer is None and len(names) > 1:
        raise DataError(
            f"{what} file {shown}: holds several layers ({', '.join(names)}); choose one in the list."
        )
    if layer is None and len(names) == 1 and path.suffix.lower() == ".gpkg":
        layer = names[0]
    try:
        return read_layer(
            path,
            layer=layer,
            crs=crs,
            lon_col=lon_col,
            lat_col=lat_col,
            encoding=encoding,
            what=what,
        )
    except DataError as exc:
        # Name the user's file, not the private folder it was saved in.
        raise _renamed(exc, path, f"{what} file {shown}") from None


def numeric_columns(gdf: pd.DataFrame) -> list[str]:
    """Columns (not geometry) with at least one numeric value."""
    out = []
    for col in gdf.columns:
        if col == "geometry" or isinstance(gdf[col].dtype, gpd.array.GeometryDtype):
            continue
        series = gdf[col]
        if pd.api.types.is_bool_dtype(series):
            continue
        if pd.api.types.is_numeric_dtype(series):
            if series.notna().any():
                out.append(str(col))
        elif pd.to_numeric(series, errors="coerce").notna().any():
            out.append(str(col))
    return out


def text_columns(gdf: pd.DataFrame) -> list[str]:
    """Every column but geometry (names, ids and categories may be numbers too)."""
    return [
        str(c)
        for c in gdf.columns
        if c != "geometry" and not isinstance(gdf[c].dtype, gpd.array.GeometryDtype)
    ]


def guess_column(columns: Sequence[str], hints: Sequence[str]) -> str | None:
    """The first column whose name equals a hint, else contains one (case-insensitive)."""
    lowered = [(c, str(c).strip().lower()) for c in columns]
    for hint in hints:
        for col, low in lowered:
            if low == hint.lower():
                return col
    for hint in hints:
        for col, low in lowered:
            if hint.lower() in low:
                return col
    return None
