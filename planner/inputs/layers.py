"""Read and validate the planner's input layers.

Every layer enters the planner through :func:`read_layer`, which returns a
GeoDataFrame in WGS 84 (EPSG:4326) or raises a :class:`~planner.errors.DataError`
whose one-line message names the file, layer or column and says how to fix it.

Supported inputs: GeoJSON, GeoPackage (by layer name), Shapefile (plain or
zipped, with GBK attribute tables detected), GeoParquet, and CSV with
longitude/latitude columns (English or Chinese names detected, e.g. ``lon``,
``longitude``, ``经度``). Chinese web-map datums (GCJ-02, BD-09) are converted to
WGS 84 on request (``datum=``); CGCS2000 (EPSG:4490) is handled by PROJ.
Input files are only ever read, never modified.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely

from planner.errors import DataError
from planner.inputs.file_checks import (
    DRIVERS,
    EXPECTED_CONTENT,
    LAYER_KINDS,
    SHAPEFILE_PARTS,
    SUFFIX_KINDS,
    check_content,
    check_crs_files,
    check_regular_file,
    check_zip,
    gdal_local_only,
)
from planner.inputs.sanity import china_findings, crs_findings
from planner.limits import current_limits
from planner.sanitize import check_plain_path

Datum = Literal["wgs84", "gcj02", "bd09"]

#: Column names recognised as longitude / latitude in CSV files (compared case-insensitively).
LON_NAMES = ("longitude", "lon", "lng", "long", "x", "经度", "lon_wgs84", "point_x")
LAT_NAMES = ("latitude", "lat", "y", "纬度", "lat_wgs84", "point_y")

#: Named coordinate systems a planner may choose instead of an EPSG code.
CRS_ALIASES = {
    "wgs84": "EPSG:4326",
    "wgs 84": "EPSG:4326",
    "cgcs2000": "EPSG:4490",
    "gcj02": "EPSG:4326",  # GCJ-02 is an obfuscated WGS 84: read as 4326, then shifted back
    "bd09": "EPSG:4326",
}


def _too_many_rows(where: str, what: str, rows: int | None, limit: int) -> DataError:
    count = f"{rows:,}" if rows is not None else f"more than {limit:,}"
    return DataError(
        f"{where}: the {what} layer has {count} rows, over the limit of {limit:,} rows "
        "(setting PLANNER_MAX_ROWS); clip the layer to the study area or raise the setting."
    )


def parse_crs(crs: str | int | pyproj.CRS | None, *, setting: str = "crs") -> pyproj.CRS | None:
    """Turn a planner's CRS choice (``"wgs84"``, ``"cgcs2000"``, ``4490``, ``"EPSG:32650"``) into a CRS."""
    if crs is None or isinstance(crs, pyproj.CRS):
        return crs
    key = str(crs).strip().lower()
    value: str | int = CRS_ALIASES.get(key, crs)
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError:
        raise DataError(
            f"`{setting}` = {crs!r} is not a coordinate system; use wgs84, gcj02, bd09, "
            "cgcs2000 or an EPSG code such as 4326 or 4547."
        ) from None


def _find_column(
    columns: pd.Index, wanted: str | None, names: tuple[str, ...], what: str, where: str
) -> str:
    if wanted is not None:
        if wanted not in columns:
            raise DataError(
                f"{where}: column {wanted!r} for {what} not found; columns are "
                f"{', '.join(map(str, columns[:20]))}.",
                reason="column_missing",
                path=where,
                column=str(wanted),
                columns=", ".join(map(str, columns[:20])),
            )
        return wanted
    lowered = {str(c).strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return str(lowered[name])
    raise DataError(
        f"{where}: no {what} column found (looked for {', '.join(names)}); "
        f"name it with `{'lon_col' if what == 'longitude' else 'lat_col'}=`.",
        reason="coordinate_column_missing",
        path=where,
        axis=what,
        names=", ".join(names),
    )


def _read_csv(
    path: Path, *, lon_col: str | None, lat_col: str | None, encoding: str | None
) -> pd.DataFrame:
    encodings = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    last: Exception | None = None
    limit = current_limits().max_rows
    for enc in encodings:
        try:
            df = pd.read_csv(path, encoding=enc, nrows=limit + 1)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except LookupError:
            raise DataError(
                f"{path}: `encoding` = {enc!r} is not a text encoding; use e.g. 'utf-8' or 'gbk'.",
                reason="encoding_unknown",
                path=str(path),
                encoding=str(enc),
            ) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise DataError(
                f"{path}: not a readable CSV table ({exc}).",
                reason="csv_unreadable",
                path=str(path),
            ) from None
        if len(df) > limit:
            raise _too_many_rows(str(path), "CSV", None, limit)  # read no further
        return df
    raise DataError(
        f"{path}: cannot decode the text ({last}); pass `encoding=` (e.g. 'gbk').",
        reason="encoding_fails",
        path=str(path),
        encoding=" / ".join(encodings),
    )


def _csv_to_gdf(
    path: Path,
    *,
    lon_col: str | None,
    lat_col: str | None,
    encoding: str | None,
    crs: pyproj.CRS | None,
) -> gpd.GeoDataFrame:
    df = _read_csv(path, lon_col=lon_col, lat_col=lat_col, encoding=encoding)
    where = str(path)
    lon = _find_column(df.columns, lon_col, LON_NAMES, "longitude", where)
    lat = _find_column(df.columns, lat_col, LAT_NAMES, "latitude", where)
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    bad = x.isna() | y.isna()
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()  # +2: header line, 1-based
        raise DataError(
            f"{where}: columns {lon!r}/{lat!r} hold missing or non-numeric coordinates on "
            f"line(s) {rows}; fix or delete those rows.",
            reason="coordinates_not_numbers",
            path=where,
            lon=str(lon),
            lat=str(lat),
            rows=", ".join(map(str, rows)),
        )
    return gpd.GeoDataFrame(df, geometry=gpd.points_from_xy(x, y), crs=crs or "EPSG:4326")


def _extract(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int, path: Path
) -> int:
    """Copy one member to ``target`` in chunks, never past ``budget`` bytes (the
    directory's sizes could lie); return the bytes written."""
    written = 0
    try:
        with zf.open(info) as src, open(target, "wb") as dst:
            while chunk := src.read(1 << 20):
                written += len(chunk)
                if written > budget:
                    raise DataError(
                        f"{path}: member {info.filename!r} unpacks to more than the limit "
                        f"({budget / 1e6:,.0f} MB left of setting PLANNER_MAX_UNZIPPED_MB); refused."
                    )
                dst.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise DataError(
            f"{path}: member {info.filename!r} is damaged ({exc}); zip the files again.",
            reason="zip_member_damaged",
            path=str(path),
            member=info.filename,
        ) from None
    return written


@contextmanager
def _unzipped_shapefile(path: Path, layer: str | None) -> Iterator[Path]:
    """Extract a zipped Shapefile's parts into a private temporary folder (never next
    to the input); only :data:`SHAPEFILE_PARTS` are extracted."""
    zf = check_zip(path)
    budget = current_limits().max_unzipped_bytes
    with zf, tempfile.TemporaryDirectory(prefix="planner-shp-") as tmp:
        members = [i for i in zf.infolist() if not i.is_dir()]
        shps = [Path(i.filename) for i in members if i.filename.lower().endswith(".shp")]
        if not shps:
            raise DataError(
                f"{path}: the zip holds no .shp file; zip the Shapefile's .shp, .shx, .dbf and .prj.",
                reason="zip_no_shp",
                path=str(path),
            )
        if layer is not None:
            shps = [s for s in shps if s.stem == layer]
            if not shps:
                raise DataError(f"{path}: no Shapefile named {layer!r} in the zip.")
        elif len(shps) > 1:
            raise DataError(
                f"{path}: holds several Shapefiles ({', '.join(s.stem for s in shps)}); choose one with `layer=`.",
                reason="several_layers",
                path=str(path),
                layers=", ".join(s.stem for s in shps),
            )
        shp = shps[0]
        names = {Path(i.filename).as_posix().lower() for i in members}
        base = shp.with_suffix("").as_posix().lower()
        missing = [ext for ext in (".shx", ".dbf") if base + ext not in names]
        if missing:
            raise DataError(
                f"{path}: Shapefile {shp.stem!r} is missing its {' and '.join(missing)} part(s); add them to the zip.",
                reason="zip_parts_missing",
                path=str(path),
                layer=shp.stem,
                parts=", ".join(missing),
            )
        for info in members:
            member = Path(info.filename)
            if (
                member.with_suffix("").as_posix().lower() == base
                and member.suffix.lower() in SHAPEFILE_PARTS
            ):
                budget -= _extract(zf, info, Path(tmp) / member.name, budget, path)
        extracted = Path(tmp) / shp.name
        try:
            check_content(extracted, "shp", what=f"{path}: member")
        except DataError:
            raise DataError(
                f"{path}: member {shp.name!r} is not a Shapefile .shp (expected file code 9994); "
                "zip the Shapefile's own .shp, .shx, .dbf and .prj.",
                reason="zip_member_damaged",
                path=str(path),
                member=shp.name,
            ) from None
        yield extracted


def _looks_garbled(df: pd.DataFrame) -> bool:
    text = df.select_dtypes(include=["object", "string"])
    if text.empty:
        return False
    sample = text.head(200).astype(str).to_numpy().ravel()
    joined = "".join(sample)
    # Latin-1 mojibake of GBK text is full of characters in U+0080..U+00FF.
    high = sum(1 for ch in joined if "\x80" <= ch <= "\xff")
    return "\ufffd" in joined or high > max(3, len(joined) // 20)


def _read_vector(path: Path, *, layer: str | None, encoding: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    gdal_local_only()
    kind = SUFFIX_KINDS.get(path.suffix.lower())
    if kind == "gpkg":
        try:
            layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        except Exception as exc:  # pyogrio raises several DataSourceError subclasses
            raise DataError(
                f"{path}: not a readable GeoPackage ({exc}).", reason="unreadable", path=str(path)
            ) from None
        if layer is None and len(layers) > 1:
            raise DataError(
                f"{path}: holds layers {', '.join(layers)}; choose one with `layer=`.",
                reason="several_layers",
                path=str(path),
                layers=", ".join(layers),
            )
        if layer is not None and layer not in layers:
            raise DataError(f"{path}: no layer {layer!r}; layers are {', '.join(layers)}.")
    _check_driver_and_rows(path, kind or "", layer)
    try:
        if kind == "shp" and encoding is None:
            has_cpg = path.with_suffix(".cpg").exists() or path.with_suffix(".CPG").exists()
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=None if has_cpg else "utf-8")
            if not has_cpg and _looks_garbled(gdf):
                gdf = pyogrio.read_dataframe(path, layer=layer, encoding="gbk")
            return gdf
        return pyogrio.read_dataframe(path, layer=layer, encoding=encoding)
    except UnicodeDecodeError:
        if kind == "shp" and encoding is None:
            return pyogrio.read_dataframe(path, layer=layer, encoding="gbk")
        raise DataError(
            f"{path}: cannot decode the attribute table; pass `encoding=` (e.g. 'gbk').",
            reason="encoding_fails",
            path=str(path),
            encoding=str(encoding),
        ) from None
    except DataError:
        raise
    except Exception as exc:  # GDAL errors come in many classes; all mean "cannot read this file"
        raise DataError(
            f"{path}: cannot read it as a {kind} layer ({str(exc).splitlines()[0]}).",
            reason="unreadable",
            path=str(path),
        ) from None


def _check_driver_and_rows(path: Path, kind: str, layer: str | None) -> None:
    """Open the layer's metadata only: the GDAL driver must be the format's own, and
    the feature count within ``PLANNER_MAX_ROWS``."""
    import pyogrio

    gdal_local_only()
    try:
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # GDAL errors come in many classes; all mean "cannot read this file"
        raise DataError(
            f"{path}: cannot read it as a {kind} layer ({str(exc).splitlines()[0]}).",
            reason="unreadable",
            path=str(path),
        ) from None
    driver = str(info.get("driver"))
    allowed = DRIVERS.get(kind)
    if allowed is not None and driver not in allowed:
        raise DataError(
            f"{path}: expected {EXPECTED_CONTENT[kind]}, but GDAL reads it as {driver!r}; "
            "export the layer again in the stated format.",
            reason="content_mismatch",
            path=str(path),
        )
    rows = int(info.get("features") or 0)
    limit = current_limits().max_rows
    if rows > limit:
        raise _too_many_rows(str(path), kind, rows, limit)


def _read_parquet(path: Path) -> gpd.GeoDataFrame:
    import pyarrow.parquet as pq

    try:
        rows = pq.ParquetFile(path).metadata.num_rows
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read it as GeoParquet ({str(exc).splitlines()[0]})."
        ) from None
    limit = current_limits().max_rows
    if rows > limit:
        raise _too_many_rows(str(path), "GeoParquet", rows, limit)
    try:
        return gpd.read_parquet(path)
    except ValueError as exc:
        raise DataError(f"{path}: not a GeoParquet file with a geometry column ({exc}).") from None
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read it as GeoParquet ({str(exc).splitlines()[0]})."
        ) from None


def to_wgs84_datum(gdf: gpd.GeoDataFrame, datum: Datum) -> gpd.GeoDataFrame:
    """Shift a layer stored in a Chinese web-map datum (GCJ-02 or BD-09) back to WGS 84.

    The layer's CRS must be geographic (degrees); the shift is applied to every
    vertex of every geometry.
    """
    if datum == "wgs84":
        return gdf
    from planner.inputs.datums import to_wgs84

    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = to_wgs84(coords[:, 0], coords[:, 1], datum)
        return np.column_stack([lon, lat])

    out = gdf.copy()
    out.geometry = shapely.transform(gdf.geometry.values, shift)
    return out


def read_layer(
    path: str | os.PathLike[str],
    *,
    layer: str | None = None,
    lon_col: str | None = None,
    lat_col: str | None = None,
    crs: str | int | pyproj.CRS | None = None,
    datum: Datum | None = None,
    encoding: str | None = None,
    what: str = "layer",
) -> gpd.GeoDataFrame:
    """Read a vector layer or a CSV of points into WGS 84 (EPSG:4326), validated.

    Parameters
    ----------
    path
        GeoJSON, GeoPackage, Shapefile (``.shp`` or zipped ``.zip``), GeoParquet or CSV.
    layer
        Layer name inside a GeoPackage (required when it holds several) or a zip.
    lon_col, lat_col
        Coordinate columns of a CSV; detected when omitted (``lon``, ``longitude``, ``经度``...).
    crs
        The layer's coordinate system when the file does not say (a CSV is WGS 84
        unless told); ``"wgs84"``, ``"cgcs2000"``, an EPSG code, or any PROJ string.
        When the file has a CRS, this must agree with it or be omitted.
    datum
        ``"gcj02"`` or ``"bd09"`` when the coordinates come from a Chinese web map
        or POI service: they are shifted back to WGS 84. ``crs="gcj02"`` or
        ``crs="bd09"`` mean the same.
    encoding
        Text encoding of the attribute table; Shapefiles without a ``.cpg`` are
        tried as UTF-8, then GBK.
    what
        What the layer is (``"population"``, ``"candidate sites"``), for messages.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with valid coordinates and at least one row.
    """
    p = check_plain_path(path, what=what)
    if not p.exists():
        raise DataError(
            f"{what} file {p} does not exist; check the path (relative paths start at the scenario file)."
        )
    if p.is_dir():
        raise DataError(f"{what} path {p} is a folder; give the file itself.")
    check_regular_file(p, what=what)
    kind = SUFFIX_KINDS.get(p.suffix.lower())
    if kind not in LAYER_KINDS:
        raise DataError(
            f"{what} file {p}: unknown format {p.suffix!r}; use .geojson, .gpkg, .shp, .zip "
            "(zipped Shapefile), .parquet or .csv.",
            reason="unknown_format",
            path=str(p),
            suffix=p.suffix,
        )
    check_content(p, kind, what=what, encoding=encoding)
    if isinstance(crs, str) and crs.strip().lower() in ("gcj02", "bd09"):
        datum = datum or crs.strip().lower()  # type: ignore[assignment]
    user_crs = parse_crs(crs)
    if datum not in (None, "wgs84", "gcj02", "bd09"):
        raise DataError(f"`datum` = {datum!r} is not known; use wgs84, gcj02 or bd09.")
    where = f"{p}" + (f" (layer {layer!r})" if layer else "")

    if kind == "csv":
        gdf = _csv_to_gdf(p, lon_col=lon_col, lat_col=lat_col, encoding=encoding, crs=user_crs)
    elif kind == "parquet":
        gdf = _read_parquet(p)
    elif kind == "zip":
        with _unzipped_shapefile(p, layer) as shp:
            try:
                gdf = _read_vector(shp, layer=None, encoding=encoding)
            except DataError as exc:  # about the zip, not the folder it was unpacked into
                raise DataError(
                    str(exc), reason=exc.reason, **{**exc.details, "path": str(p)}
                ) from None
    else:
        gdf = _read_vector(p, layer=layer, encoding=encoding)

    if gdf.empty:
        raise DataError(
            f"{where}: the {what} layer has no rows; give a layer with data.",
            reason="layer_empty",
            path=str(p),
        )
    if gdf.geometry.isna().any() or gdf.geometry.is_empty.any():
        n_bad = int((gdf.geometry.isna() | gdf.geometry.is_empty).sum())
        raise DataError(
            f"{where}: {n_bad} {what} row(s) have no geometry; delete or fix them.",
            reason="rows_without_geometry",
            path=str(p),
            n=n_bad,
        )
    if gdf.crs is None:
        if user_crs is None:
            raise DataError(
                f"{where}: the {what} layer has no coordinate system; add a .prj, or set "
                "`crs=` (wgs84, cgcs2000 or an EPSG code).",
                reason="no_crs",
                path=str(p),
            )
        gdf = gdf.set_crs(user_crs)
    elif user_crs is not None and kind != "csv" and not gdf.crs.equals(user_crs):
        raise DataError(
            f"{where}: the file says its CRS is {gdf.crs.to_string()} but `crs` = {crs!r}; "
            "omit `crs` or fix the file.",
            reason="crs_conflict",
            path=str(p),
            file_crs=gdf.crs.to_string(),
        )
    # Plausibility of the CRS, judged on the coordinates as written (planner.inputs.sanity).
    source_crs = gdf.crs
    check_crs_files(source_crs, where=where)
    findings = crs_findings(gdf, source_crs=source_crs, where=where)
    if not gdf.crs.equals("EPSG:4326"):
        try:
            gdf = gdf.to_crs("EPSG:4326")
        except pyproj.exceptions.ProjError as exc:
            raise DataError(
                f"{where}: cannot convert {gdf.crs.to_string()} to WGS 84 ({exc})."
            ) from None
    if datum in ("gcj02", "bd09"):
        gdf = to_wgs84_datum(gdf, datum)
    minx, miny, maxx, maxy = gdf.total_bounds
    if not (
        np.isfinite([minx, miny, maxx, maxy]).all()
        and -180 <= minx <= maxx <= 180
        and -90 <= miny <= maxy <= 90
    ):
        raise DataError(
            f"{where}: coordinates out of range (x {minx:.4g}..{maxx:.4g}, y {miny:.4g}..{maxy:.4g}); "
            "longitude must be -180..180 and latitude -90..90 — are the columns swapped or the CRS wrong?",
            reason="coordinates_out_of_range",
            path=str(p),
            x=f"{minx:.4g}..{maxx:.4g}",
            y=f"{miny:.4g}..{maxy:.4g}",
        )
    findings += china_findings(gdf, source_crs=source_crs, datum=datum, where=where)
    out = gdf.reset_index(drop=True)
    # Read by the pipeline, which warns of them (or fails under `strict = true`).
    out.attrs["sanity"] = findings
    return out


def require_columns(gdf: pd.DataFrame, columns: list[str] | tuple[str, ...], *, where: str) -> None:
    """Raise a DataError naming the first missing column and the columns that exist."""
    for col in columns:
        if col not in gdf.columns:
            have = ", ".join(str(c) for c in gdf.columns if c != "geometry")
            raise DataError(f"{where}: column {col!r} not found; columns are {have}.")


def metric_crs_for(gdf: gpd.GeoDataFrame) -> pyproj.CRS:
    """The local UTM zone (WGS 84) of a layer in degrees: metres for distances and areas."""
    crs = gdf.estimate_utm_crs()
    if crs is None:  # pragma: no cover - only for empty layers, rejected earlier
        raise DataError("cannot choose a metric CRS for an empty layer.")
    return crs


def projected_xy(gdf: gpd.GeoDataFrame, crs: pyproj.CRS) -> np.ndarray:
    """``(n, 2)`` projected coordinates in metres of each feature's point (centroid for areas)."""
    geom = gdf.geometry.to_crs(crs)
    if not (geom.geom_type == "Point").all():
        geom = geom.centroid
    return np.column_stack([geom.x.to_numpy(), geom.y.to_numpy()])
