"""Check an input file before GDAL sees it: a plain local file whose content is what its name says.

GDAL opens far more than the planner documents: dataset descriptions (VRT, GDALG, WMS)
that read other files or fetch URLs, GeoPackages whose views run SQL, CRS definitions
that name grid files. Every layer, raster and road network a user names passes these
checks first (see ``docs/security.md``); :mod:`planner.inputs.layers` then reads it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import pyproj

from planner.errors import DataError
from planner.limits import current_limits
from planner.sanitize import VIRTUAL_PATH

#: Members of a zipped Shapefile that are read (everything else in the zip is ignored).
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

#: Files that describe a dataset elsewhere (GDAL would follow them to other files or URLs).
DATASET_DESCRIPTIONS = (".vrt", ".ovf", ".xodr", ".gdal_wms", ".wms", ".wfs", ".csvt")

#: GDAL drivers allowed to open each vector format (checked after opening, before reading).
DRIVERS = {
    "geojson": frozenset({"GeoJSON"}),
    "gpkg": frozenset({"GPKG"}),
    "shp": frozenset({"ESRI Shapefile"}),
}

#: GDAL drivers allowed to open a road network's line layer.
ROAD_DRIVERS = frozenset(
    {"GPKG", "GeoJSON", "ESRI Shapefile", "FlatGeobuf", "GML", "KML", "LIBKML", "OpenFileGDB"}
)

#: The content each format must have, as said in messages.
EXPECTED_CONTENT = {
    "geojson": "GeoJSON text (starting with '{')",
    "gpkg": "a GeoPackage (SQLite) file",
    "shp": "a Shapefile .shp (file code 9994)",
    "zip": "a zip archive of a Shapefile",
    "parquet": "a GeoParquet file (starting with PAR1)",
    "csv": "CSV text",
    "xml": "XML (GraphML, GML or KML)",
    "fgb": "a FlatGeobuf file (starting with fgb)",
}
#: What a file's first bytes say it is, for messages.
_FOUND = {
    "gpkg": "a SQLite / GeoPackage file",
    "zip": "a zip archive",
    "parquet": "a Parquet file",
    "fgb": "a FlatGeobuf file",
    "shp": "a Shapefile .shp",
    "vrt": "a GDAL virtual dataset (VRT XML, which can point at other files and URLs)",
    "gdal": "a GDAL dataset description (naming a service, other files or a command to run)",
    "xml": "XML",
    "json": "JSON text",
    "binary": "binary data",
    "text": "plain text",
    "empty": "an empty file",
}
#: Content kinds accepted for each format.
_ACCEPTS = {
    "geojson": frozenset({"json"}),
    "gpkg": frozenset({"gpkg"}),
    "shp": frozenset({"shp"}),
    "zip": frozenset({"zip"}),
    "parquet": frozenset({"parquet"}),
    "csv": frozenset({"text"}),
    "xml": frozenset({"xml"}),
    "fgb": frozenset({"fgb"}),
}
_GDAL_XML = re.compile(
    rb"<\s*(OGRVRTDataSource|VRTDataset|GDAL_WMS|GDAL_WMTS|OGRWFSDataSource|WFS_GetCapabilities"
    rb"|WMS_Capabilities|OGRMongoDBv3|GDAL_TMS|OGR_WFS)",
    re.IGNORECASE,
)
#: A GDAL "streamed algorithm" (GDALG, GDAL 3.11+): JSON holding a ``gdal`` command line
#: that GDAL runs when it opens the file (reading any file or URL the command names).
_GDALG_JSON = re.compile(rb"gdal_streamed_alg")
_SNIFF_BYTES = 4096

#: GDAL settings for every layer the planner opens: a planner's input is a file on disk,
#: so nothing GDAL opens for it may fetch a URL. ``GML_DOWNLOAD_SCHEMA`` stops the GML
#: driver downloading the schema a file's ``xsi:schemaLocation`` names (a request to any
#: server the file chooses); the allowed-extensions setting makes ``/vsicurl/`` (which a
#: dataset description could name) refuse every URL.
GDAL_LOCAL_ONLY = {
    "GML_DOWNLOAD_SCHEMA": "NO",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": ".planner-reads-local-files-only",
}

#: File suffix -> the content :func:`check_content` expects, for every format the planner
#: hands to GDAL (layers, road networks' line layers). GraphML and OSM extracts are parsed
#: by the planner's own readers and are not here.
SUFFIX_KINDS = {
    ".geojson": "geojson",
    ".json": "geojson",
    ".gpkg": "gpkg",
    ".shp": "shp",
    ".zip": "zip",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
    ".csv": "csv",
    ".txt": "csv",
    ".gml": "xml",
    ".kml": "xml",
    ".fgb": "fgb",
}
#: Content kinds the layer reader (demand, sites, boundary) accepts; GML, KML and
#: FlatGeobuf are read for road networks only.
LAYER_KINDS = frozenset({"geojson", "gpkg", "shp", "zip", "parquet", "csv"})


def sniff(head: bytes) -> str:
    """What a file's first bytes say it is: ``gpkg``, ``zip``, ``parquet``, ``shp``,
    ``vrt``, ``gdal`` (other GDAL dataset descriptions), ``xml``, ``json``,
    ``binary``, ``text`` or ``empty``."""
    if not head:
        return "empty"
    if head.startswith(b"SQLite format 3\x00"):
        return "gpkg"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"fgb\x03"):
        return "fgb"
    if head.startswith(b"\x00\x00\x27\x0a"):
        return "shp"
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if _GDALG_JSON.search(head):
        return "gdal"
    if text.startswith(b"<"):
        if b"VRTDataSource" in head or b"VRTDataset" in head or b"vrtdataset" in head.lower():
            return "vrt"
        return "gdal" if _GDAL_XML.search(head) else "xml"
    if _GDAL_XML.search(head):
        return "vrt"
    if text.startswith((b"{", b"[")):
        return "json"
    if b"\x00" in head:
        return "binary"
    return "text"


def check_regular_file(path: Path, *, what: str = "layer") -> None:
    """Refuse a pipe, device or socket where a file is expected: reading a named pipe
    waits forever for a writer, ``/dev/zero`` never ends (symbolic links are followed,
    so a link to a regular file is fine).

    Raises
    ------
    DataError
        ``path`` exists but is not a regular file.
    """
    if path.exists() and not path.is_dir() and not path.is_file():
        raise DataError(
            f"{what} path {path} is not a regular file (a pipe, device or socket); give the "
            "layer's file itself."
        )


def gdal_local_only() -> None:
    """Apply :data:`GDAL_LOCAL_ONLY` to pyogrio's GDAL (idempotent; call before opening)."""
    import pyogrio

    current = pyogrio.get_gdal_config_option("GML_DOWNLOAD_SCHEMA")
    if current != GDAL_LOCAL_ONLY["GML_DOWNLOAD_SCHEMA"]:
        pyogrio.set_gdal_config_options(GDAL_LOCAL_ONLY)


def gdal_open_options(path: Path) -> dict[str, str]:
    """Open options that keep GDAL from writing beside a user's file: the GML driver
    otherwise saves a ``.gfs`` schema file next to the input it reads."""
    return {"WRITE_GFS": "NO"} if path.suffix.lower() == ".gml" else {}


def describe_content(path: Path) -> str:
    """What ``path``'s first bytes say it is, in words (for messages)."""
    with open(path, "rb") as fh:
        return _FOUND[sniff(fh.read(_SNIFF_BYTES))]


def check_content(
    path: Path, kind: str, *, what: str = "layer", encoding: str | None = None
) -> None:
    """Check that ``path``'s first bytes are what its format (``kind``) must start with.

    GDAL picks a driver by content, not by name: a ``.geojson`` holding VRT XML is
    opened as a virtual dataset that reads other files or URLs. This refuses it.

    Raises
    ------
    DataError
        One line: the file, the format expected and what was found.
    """
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    found = sniff(head)
    accepted = _ACCEPTS[kind]
    if kind == "csv" and encoding and encoding.lower().replace("-", "").startswith("utf16"):
        accepted = accepted | {"binary"}  # UTF-16 text is full of NUL bytes
    if found not in accepted:
        raise DataError(
            f"{what} file {path}: expected {EXPECTED_CONTENT[kind]} for a {path.suffix or 'file'} "
            f"file, found {_FOUND[found]}; export the layer again in the stated format.",
            reason="virtual_dataset" if found in ("vrt", "gdal") else "content_mismatch",
            path=str(path),
        )
    if kind == "gpkg":
        check_geopackage_tables(path, what=what)


def check_geopackage_tables(path: Path, *, what: str = "layer") -> None:
    """Refuse a GeoPackage whose layers (or GeoPackage tables) are SQL views or virtual
    tables: GDAL runs a view's query to count and read its rows, and a query stored in a
    file can run forever (a recursive view: one 100 KB upload held a core until the server
    restarted) or multiply rows (a cross join). Only the schema is read here (no query of
    the file's own runs).

    Raises
    ------
    DataError
        One line naming the file and the view, and what to do.
    """
    import sqlite3

    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise _unreadable_geopackage(path, what, exc) from None
    try:
        schema = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        kinds = {
            str(name).lower(): (
                "virtual table"
                if type_ == "table" and str(sql or "").lstrip().upper().startswith("CREATE VIRTUAL")
                else str(type_)
            )
            for type_, name, sql in schema
        }
        suspect = [
            n for n, k in kinds.items() if n.startswith("gpkg") and k in ("view", "virtual table")
        ]
        if not suspect and kinds.get("gpkg_contents") == "table":
            layers = [str(r[0]) for r in con.execute("SELECT table_name FROM gpkg_contents")]
            suspect = [n for n in layers if kinds.get(n.lower()) in ("view", "virtual table")]
    except sqlite3.Error as exc:
        # Damaged, or a schema this SQLite cannot parse (GDAL's own, newer SQLite might, and
        # would then run what it holds unchecked): refused either way.
        raise _unreadable_geopackage(path, what, exc) from None
    finally:
        con.close()
    if suspect:
        raise DataError(
            f"{what} file {path}: {suspect[0]!r} is a {kinds[suspect[0].lower()]}, a query "
            "stored in the file, which the planner does not run (it can run forever or read "
            "elsewhere); save the layer as a plain table (e.g. export it again from QGIS).",
            reason="stored_query",
            path=str(path),
            layer=suspect[0],
        )


def _unreadable_geopackage(path: Path, what: str, exc: Exception) -> DataError:
    return DataError(
        f"{what} file {path}: not a readable GeoPackage (SQLite: {exc}); export the layer "
        "again as a GeoPackage.",
        reason="unreadable",
        path=str(path),
    )


#: PROJ settings and WKT parts that name a file (datum grids, init files).
_CRS_FILE_REF = re.compile(
    r'(?:nadgrids|geoidgrids|grids|init|file)\s*=\s*([^\s"\]]+)|PARAMETERFILE\[\s*"[^"]*"\s*,\s*"([^"]+)"',
    re.IGNORECASE,
)


def check_crs_files(crs: pyproj.CRS | None, *, where: str) -> None:
    """Refuse a coordinate system (from a file's ``.prj`` or GeoPackage) that names a file
    by path: PROJ opens the datum grid named in ``+nadgrids=/some/path`` when it converts
    the coordinates, so a layer could make the server open any of its files (a named pipe
    or a terminal hung the run for good). Grids named without a path (``@null``,
    ``ntv2_0.gsb``) come from PROJ's own data and are fine.

    Raises
    ------
    DataError
        One line naming the file and the grid.
    """
    if crs is None:
        return
    text = f"{crs.srs} {crs.to_wkt()}"
    for match in _CRS_FILE_REF.finditer(text):
        for name in (match.group(1) or match.group(2) or "").split(","):
            name = name.strip().lstrip("@")
            if name and (any(ch in name for ch in "/\\:") or name.startswith(".")):
                raise DataError(
                    f"{where}: the coordinate system names the file {name!r} (a datum grid or "
                    "init file by path), which the planner does not open; give the layer a "
                    "standard CRS (e.g. EPSG:4326 or EPSG:4490, CGCS2000)."
                )


def check_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip after checking its directory: flat names, no dataset descriptions,
    sizes and compression ratios within the limits (decompression bombs)."""
    limits = current_limits()
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise DataError(
            f"{path}: not a valid zip file; zip the Shapefile's .shp, .shx, .dbf and .prj.",
            reason="zip_invalid",
            path=str(path),
        ) from None
    total = 0
    for info in zf.infolist():
        name = info.filename
        if name.startswith(("/", "\\")) or ".." in Path(name).parts or ":" in name:
            zf.close()
            raise DataError(
                f"{path}: refuses member {name!r} (absolute path or '..'); re-zip the files flat.",
                reason="zip_member_outside",
                path=str(path),
                member=name,
            )
        if name.lower().endswith(DATASET_DESCRIPTIONS) or VIRTUAL_PATH.search(name):
            zf.close()
            raise DataError(
                f"{path}: member {name!r} describes a dataset elsewhere (GDAL VRT or similar), "
                "which is not accepted; zip only the Shapefile's .shp, .shx, .dbf, .prj and .cpg.",
                reason="zip_member_refused",
                path=str(path),
                member=name,
            )
        total += info.file_size
        found = "" if info.is_dir() else _member_describes_dataset(zf, info)
        if found:
            zf.close()
            raise DataError(
                f"{path}: member {name!r} is {_FOUND[found]}, which is not accepted; zip only "
                "the layer's own files (a Shapefile's .shp, .shx, .dbf, .prj and .cpg).",
                reason="zip_member_refused",
                path=str(path),
                member=name,
            )
        if info.file_size > 1_000_000 and (
            info.compress_size == 0 or info.file_size / info.compress_size > limits.max_zip_ratio
        ):
            zf.close()
            raise DataError(
                f"{path}: member {name!r} is compressed {info.file_size / max(info.compress_size, 1):,.0f} "
                f"times, over the limit of {limits.max_zip_ratio:g} (setting PLANNER_MAX_ZIP_RATIO; "
                "a zip bomb?); refused."
            )
    if total > limits.max_unzipped_bytes:
        zf.close()
        raise DataError(
            f"{path}: unpacks to {total / 1e6:,.0f} MB, over the limit of "
            f"{limits.max_unzipped_bytes / 1e6:,.0f} MB (setting PLANNER_MAX_UNZIPPED_MB); "
            "clip the layer or raise the setting."
        )
    return zf


def _member_describes_dataset(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """``"vrt"`` or ``"gdal"`` when a zip member's first bytes are a GDAL dataset
    description (VRT, WMS, GDALG, ...), else ``""``: GDAL opens a zipped road network's
    members by content, whatever their names."""
    try:
        with zf.open(info) as fh:
            head = fh.read(_SNIFF_BYTES)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return ""  # damaged or encrypted: reported when (if) the member is read
    found = sniff(head)
    return found if found in ("vrt", "gdal") else ""
