"""Attack files and resource bombs: the security part of the bad-input corpus.

Same check as :mod:`test_bad_inputs` (exit 2, one ``error:`` line naming the
culprit, no traceback, nothing written): layers that are really GDAL virtual
datasets (VRT XML pointing at ``/etc/passwd``), zips carrying a VRT, GDAL virtual
paths and driver prefixes in a scenario, files whose content is not their type,
and layers, zips and sweep grids past the resource limits (``planner.limits``).
Bombs are built in the test and are small on disk.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from scenario_fixtures import SCENARIO, write_tiny_data
from test_bad_inputs import Case, appended, argv, check_case, file_layer, variant

from planner.errors import DataError

#: A VRT that exposes /etc/passwd as a layer of points (what GDAL would open).
VRT_PASSWD = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
    <GeometryType>wkbPoint</GeometryType>
    <GeometryField encoding="PointFromColumns" x="field_3" y="field_4"/>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""
VRT_CURL = VRT_PASSWD.replace("CSV:/etc/passwd", "/vsicurl/http://127.0.0.1:9/internal.csv")
#: A GDAL "streamed algorithm" (GDALG, GDAL 3.11+): GDAL runs the command when it opens
#: the file, here fetching a URL (it could as well read any file the server can).
GDALG = (
    '{"type": "gdal_streamed_alg", "command_line": "gdal vector pipeline ! read '
    '/vsicurl/http://127.0.0.1:9/internal.geojson ! write --output-format stream out"}'
)
WMS = "<GDAL_WMS><Service name='TMS'><ServerUrl>http://127.0.0.1:9/${z}</ServerUrl></Service></GDAL_WMS>"


def _shapefile_parts(folder: Path) -> dict[str, bytes]:
    """The .shp/.shx/.dbf/.prj of the tiny candidate sites."""
    gdf = gpd.read_file(folder / "tiny.gpkg", layer="candidate_sites")
    tmp = folder / "_shp"
    tmp.mkdir()
    gdf.to_file(tmp / "sites.shp")
    parts = {p.name: p.read_bytes() for p in tmp.iterdir()}
    shutil.rmtree(tmp)
    return parts


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zipped_shp_with(extra: dict[str, bytes]) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        target.write_bytes(_zip({**_shapefile_parts(target.parent), **extra}))

    return write


def zip_whose_shp_is_vrt(target: Path) -> None:
    parts = _shapefile_parts(target.parent)
    parts["sites.shp"] = VRT_PASSWD.encode()
    target.write_bytes(_zip(parts))


def shp_that_is_vrt(target: Path) -> None:
    for name, data in _shapefile_parts(target.parent).items():
        (target.parent / name).write_bytes(data)
    target.write_text(VRT_PASSWD, encoding="utf-8")


def path_case(case_id: str, path: str, expect: str) -> Case:
    return Case(
        case_id,
        variant(
            'path = "tiny.gpkg"\nlayer = "candidate_sites"',
            f'path = "{path}"\nlayer = "candidate_sites"',
        ),
        ("data.candidates.path", expect),
    )


VRT_CASES: list[Case] = [
    Case(
        "geojson-is-vrt-of-etc-passwd",
        file_layer("candidate_sites", "sites.geojson", VRT_PASSWD),
        ("sites.geojson", "expected GeoJSON", "VRT"),
    ),
    Case(
        "geojson-is-vrt-of-url",
        file_layer("candidate_sites", "sites.geojson", VRT_CURL),
        ("sites.geojson", "VRT"),
    ),
    Case(
        "gpkg-is-vrt",
        file_layer("candidate_sites", "sites.gpkg", VRT_PASSWD),
        ("sites.gpkg", "expected a GeoPackage", "VRT"),
    ),
    Case(
        "csv-is-vrt",
        file_layer("candidate_sites", "sites.csv", VRT_PASSWD),
        ("sites.csv", "expected CSV text", "VRT"),
    ),
    Case(
        "shp-is-vrt",
        file_layer("candidate_sites", "sites.shp", shp_that_is_vrt),
        ("sites.shp", "expected a Shapefile", "VRT"),
    ),
    Case(
        "geojson-is-gdal-wms",
        file_layer("candidate_sites", "sites.geojson", WMS),
        ("sites.geojson", "GDAL dataset description"),
    ),
    Case(
        "geojson-is-gdalg-pipeline",
        file_layer("candidate_sites", "sites.geojson", GDALG),
        ("sites.geojson", "expected GeoJSON", "GDAL dataset description"),
    ),
    Case(
        "json-is-gdalg-pipeline",
        file_layer("candidate_sites", "sites.json", GDALG.replace('"type"', '\n  "type"')),
        ("sites.json", "GDAL dataset description"),
    ),
    Case(
        "zipped-shp-with-gdalg-member",
        file_layer(
            "candidate_sites", "sites.zip", zipped_shp_with({"readme.json": GDALG.encode()})
        ),
        ("sites.zip", "'readme.json'", "GDAL dataset description"),
    ),
    Case(
        "zipped-shp-with-vrt-named-txt",
        file_layer(
            "candidate_sites", "sites.zip", zipped_shp_with({"notes.txt": VRT_PASSWD.encode()})
        ),
        ("sites.zip", "'notes.txt'", "VRT"),
    ),
    Case(
        "geojson-is-a-geopackage",
        file_layer("candidate_sites", "sites.geojson", b"SQLite format 3\x00" + b"\x00" * 200),
        ("sites.geojson", "expected GeoJSON", "SQLite"),
    ),
    Case(
        "parquet-is-json",
        file_layer("candidate_sites", "sites.parquet", '{"type": "FeatureCollection"}'),
        ("sites.parquet", "expected a GeoParquet"),
    ),
    Case(
        "zip-is-text",
        file_layer("candidate_sites", "sites.zip", "not a zip"),
        ("sites.zip", "expected a zip"),
    ),
    Case(
        "zipped-shp-with-vrt",
        file_layer(
            "candidate_sites", "sites.zip", zipped_shp_with({"evil.vrt": VRT_PASSWD.encode()})
        ),
        ("sites.zip", "'evil.vrt'", "describes a dataset elsewhere"),
    ),
    Case(
        "zipped-shp-whose-shp-is-vrt",
        file_layer("candidate_sites", "sites.zip", zip_whose_shp_is_vrt),
        ("sites.zip", "'sites.shp'", "VRT"),
    ),
    Case(
        "zip-member-named-vsicurl",
        file_layer(
            "candidate_sites",
            "sites.zip",
            zipped_shp_with({"x/vsicurl/y.txt": b"x"}),
        ),
        ("sites.zip", "describes a dataset elsewhere"),
    ),
    Case(
        "geotiff-is-vrt",
        file_layer("population", "pop.tif", VRT_PASSWD),
        ("pop.tif", "not a readable GeoTIFF", "VRT"),
    ),
    Case(
        "geotiff-is-png",
        file_layer("population", "pop.tif", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64),
        ("pop.tif", "not a readable GeoTIFF", "binary"),
    ),
    Case(
        "pop65-path-vsicurl",
        variant(
            'layer = "population"\n',
            'layer = "population"\npop65_path = "/vsicurl/http://127.0.0.1:9/p65.tif"\n',
        ),
        ("pop65_path", "GDAL virtual path"),
    ),
    path_case("path-vsicurl", "/vsicurl/http://127.0.0.1:9/sites.gpkg", "GDAL virtual path"),
    path_case("path-vsizip", "/vsizip/tiny.zip/sites.shp", "GDAL virtual path"),
    path_case("path-vsizip-chain", "/vsizip//vsicurl/http://x/a.zip/a.shp", "GDAL virtual path"),
    path_case("path-vsimem-backslash", "\\\\vsimem\\\\sites.gpkg", "GDAL virtual path"),
    path_case("path-csv-prefix", "CSV:/etc/passwd", "'CSV:'"),
    path_case("path-gpkg-prefix", "GPKG:tiny.gpkg:candidate_sites", "'GPKG:'"),
    path_case("path-url", "http://127.0.0.1:9/sites.geojson", "'http:'"),
    path_case("path-pg", "PG:dbname=x", "'PG:'"),
    Case(
        "network-path-vsicurl",
        variant(
            "[model]",
            '[travel]\nmethod = "network"\n[travel.network]\n'
            'path = "/vsicurl/http://127.0.0.1:9/roads.gpkg"\n\n[model]',
        ),
        ("travel.network.path", "GDAL virtual path"),
    ),
]

SWEEP_CASES: list[Case] = [
    Case(
        "sweep-grid-product-too-large",
        appended(
            '\n[sweep]\n"model.p" = "1:10000"\n"demand.faults" = "0:1:0.0002"\n'
            '"solver.seed" = "0:9999"\n'
        ),
        ("[sweep]", "10,000 (model.p)", "PLANNER_MAX_SWEEP_RUNS"),
    ),
]


def _fifo(target: Path) -> None:
    os.mkfifo(target)  # reading it would wait forever for a writer


def _link_to(source: str) -> Callable[[Path], None]:
    def write(target: Path) -> None:
        target.symlink_to(source)

    return write


def _network_file(name: str, content: Callable[[Path], None]) -> Callable[[Path], list[str]]:
    def build(folder: Path) -> list[str]:
        content(folder / name)
        text = (
            (folder / "tiny.toml")
            .read_text(encoding="utf-8")
            .replace(
                "[model]",
                f'[travel]\nmethod = "network"\n[travel.network]\npath = "{name}"\n\n[model]',
            )
        )
        (folder / "tiny.toml").write_text(text, encoding="utf-8")
        return ["validate", str(folder / "tiny.toml")]

    return build


def _huge_scenario(folder: Path) -> list[str]:
    path = folder / "huge.toml"
    path.write_text('title = "' + "x" * 5_000_000 + '"\n', encoding="utf-8")
    return ["validate", str(path)]


def _gpkg_with_view(
    view_sql: str, *, name: str = "bomb", contents: bool = True
) -> Callable[[Path], None]:
    """A GeoPackage of the tiny candidate sites plus a view (registered as a layer)."""

    def write(target: Path) -> None:
        import sqlite3

        gdf = gpd.read_file(target.parent / "tiny.gpkg", layer="candidate_sites")
        gdf.to_file(target, layer="t", driver="GPKG")
        con = sqlite3.connect(target)
        con.execute(f"CREATE VIEW {name} AS {view_sql}")
        if contents:
            con.execute(
                "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
                f"VALUES ('{name}', 'features', '{name}', 4326)"
            )
            con.execute(
                f"INSERT INTO gpkg_geometry_columns VALUES ('{name}', 'geom', 'POINT', 4326, 0, 0)"
            )
        con.commit()
        con.close()

    return write


#: A view without end: counting its rows (what GDAL does first) never finishes.
ENDLESS_VIEW = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
    "SELECT x AS fid, 'a' AS site_id, (SELECT geom FROM t LIMIT 1) AS geom FROM c"
)

GEOPACKAGE_VIEW_CASES: list[Case] = [
    Case(
        "gpkg-layer-is-an-endless-view",
        file_layer("candidate_sites", "sites.gpkg", _gpkg_with_view(ENDLESS_VIEW)),
        ("sites.gpkg", "'bomb' is a view", "plain table"),
    ),
    Case(
        "gpkg-layer-is-a-cross-join-view",
        file_layer(
            "candidate_sites",
            "sites.gpkg",
            _gpkg_with_view("SELECT a.fid * 1000 + b.fid AS fid, a.geom FROM t a, t b, t c"),
        ),
        ("sites.gpkg", "'bomb' is a view"),
    ),
    Case(
        "gpkg-schema-unreadable",
        file_layer(
            "candidate_sites",
            "sites.gpkg",
            b"SQLite format 3\x00" + bytes(range(256)) * 8,
        ),
        ("sites.gpkg", "not a readable GeoPackage"),
    ),
    Case(
        "gpkg-contents-table-is-a-view",
        file_layer(
            "candidate_sites",
            "sites.gpkg",
            _gpkg_with_view(ENDLESS_VIEW, name="gpkg_metadata", contents=False),
        ),
        ("sites.gpkg", "'gpkg_metadata' is a view"),
    ),
]


def _shp_whose_prj_names_a_grid(grid: str) -> Callable[[Path], None]:
    """The tiny candidate sites as a Shapefile whose .prj makes PROJ open ``grid``."""

    def write(target: Path) -> None:
        for name, data in _shapefile_parts(target.parent).items():
            (target.parent / name).write_bytes(data)
        target.with_suffix(".prj").write_text(
            'GEOGCS["x",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
            'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],'
            f'EXTENSION["PROJ4","+proj=longlat +ellps=WGS84 +nadgrids={grid} +no_defs"]]',
            encoding="utf-8",
        )

    return write


def _fifo_grid(target: Path) -> None:
    os.mkfifo(target.parent / "grid.gsb")
    _shp_whose_prj_names_a_grid(str(target.parent / "grid.gsb"))(target)


_POSIX = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")

SPECIAL_FILE_CASES: list[Case] = [
    Case(
        "csv-layer-is-a-named-pipe",
        file_layer("candidate_sites", "sites.csv", _fifo),
        ("sites.csv", "not a regular file"),
    ),
    Case(
        "geojson-layer-links-to-dev-zero",
        file_layer("candidate_sites", "sites.geojson", _link_to("/dev/zero")),
        ("/dev/zero", "not a regular file"),
    ),
    Case(
        "population-raster-is-a-named-pipe",
        file_layer("population", "pop.tif", _fifo),
        ("pop.tif", "not a regular file"),
    ),
    Case(
        "road-network-graphml-is-a-named-pipe",
        _network_file("roads.graphml", _fifo),
        ("roads.graphml", "not a regular file"),
    ),
    Case(
        "road-network-gml-is-vrt-of-etc-passwd",
        _network_file("roads.gml", lambda path: path.write_text(VRT_PASSWD, encoding="utf-8")),
        ("roads.gml", "expected XML", "VRT"),
    ),
    Case(
        "road-network-fgb-is-vrt-of-etc-passwd",
        _network_file("roads.fgb", lambda path: path.write_text(VRT_PASSWD, encoding="utf-8")),
        ("roads.fgb", "expected a FlatGeobuf", "VRT"),
    ),
    Case(
        "road-network-links-to-dev-urandom",
        _network_file("roads.gpkg", _link_to("/dev/urandom")),
        ("/dev/urandom", "not a regular file"),
    ),
    Case(
        "prj-names-a-named-pipe-as-datum-grid",
        file_layer("candidate_sites", "sites.shp", _fifo_grid),
        ("sites.shp", "grid.gsb", "standard CRS"),
    ),
    Case(
        "prj-names-dev-stdin-as-datum-grid",
        file_layer("candidate_sites", "sites.shp", _shp_whose_prj_names_a_grid("/dev/stdin")),
        ("sites.shp", "'/dev/stdin'"),
    ),
    Case("scenario-is-dev-zero", argv("validate", "/dev/zero"), ("/dev/zero", "larger than")),
    Case("scenario-is-one-huge-line", _huge_scenario, ("huge.toml", "larger than 4 MB")),
]

#: Column names a contractor's CSV could carry: terminal escape sequences (retitle and clear
#: the terminal, colour it), a line break (a second message line), a right-to-left override.
TERMINAL_CASES: list[Case] = [
    Case(
        "csv-column-names-hold-terminal-escapes",
        file_layer(
            "candidate_sites",
            "sites.csv",
            "id,\x1b]0;pwned-title\x07\x1b[2J\x1b[31mEVIL\x9b1m,lat\n1,114.3,30.6\n",
            extra='lon_col = "lon"',
        ),
        ("sites.csv", "\\u001b]0;pwned-title\\u0007\\u001b[2J", "\\u009b1m"),
    ),
    Case(
        "csv-column-name-holds-a-line-break",
        file_layer(
            "candidate_sites",
            "sites.csv",
            'id,"x\nerror: fake second line\u202e",lat\n1,114.3,30.6\n',
            extra='lon_col = "lon"',
        ),
        ("sites.csv", "x\\u000aerror: fake second line\\u202e"),
    ),
]

CASES = [*VRT_CASES, *GEOPACKAGE_VIEW_CASES, *TERMINAL_CASES, *SWEEP_CASES]


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-data")
    write_tiny_data(folder)
    return folder / "tiny.gpkg"


@pytest.fixture
def case_folder(tiny_data: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copy(tiny_data, folder / "tiny.gpkg")
    (folder / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack_input(case: Case, case_folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    check_case(case, case_folder, capsys)


@_POSIX
@pytest.mark.parametrize("case", SPECIAL_FILE_CASES, ids=[c.id for c in SPECIAL_FILE_CASES])
def test_special_file_input(
    case: Case, case_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Pipes and devices where a file belongs: reading one waited forever (a named pipe)
    or without end (/dev/zero as the scenario)."""
    check_case(case, case_folder, capsys)


# --------------------------------------------------------------------------------------
# resource limits (settings changed per test)


def _geoparquet_bomb(path: Path, rows: int) -> None:
    """A GeoParquet of ``rows`` identical points: dictionary + run-length encoding keeps
    it a few KB on disk while reading it makes ``rows`` Python objects."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    import shapely

    wkb = shapely.to_wkb(shapely.Point(114.3, 30.6))
    table = pa.table(
        {
            "site_id": pa.array(np.zeros(rows, dtype=np.int64)),
            "geometry": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(rows, dtype=np.int32)), pa.array([wkb], type=pa.binary())
            ),
        }
    )
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "geometry_types": ["Point"]}},
    }
    table = table.replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, path, compression="zstd")


def test_geoparquet_row_bomb_is_refused_before_it_is_read(
    case_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def write(target: Path) -> None:
        _geoparquet_bomb(target, 2_000_001)
        assert target.stat().st_size < 200_000  # small on disk

    case = Case(
        "geoparquet-row-bomb",
        file_layer("candidate_sites", "sites.parquet", write),
        ("sites.parquet", "2,000,001 rows", "limit of 2,000,000 rows", "PLANNER_MAX_ROWS"),
    )
    check_case(case, case_folder, capsys)


@pytest.mark.parametrize(
    ("layer", "name", "expect"),
    [
        ("population", "tiny.gpkg", "64 rows"),  # a GeoPackage layer
        ("population", "cells.csv", "more than 10 rows"),  # a CSV of points: read no further
        ("population", "cells.geojson", "64 rows"),
    ],
)
def test_row_limit_is_a_setting(
    layer: str,
    name: str,
    expect: str,
    case_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PLANNER_MAX_ROWS", "10")
    if name == "tiny.gpkg":
        build = variant("[model]", "[model]")
    else:

        def write(target: Path) -> None:
            gdf = gpd.read_file(case_folder / "tiny.gpkg", layer=layer)
            gdf = gdf.set_geometry(gdf.geometry.representative_point())
            if target.suffix == ".csv":
                gdf.assign(lon=gdf.geometry.x, lat=gdf.geometry.y).drop(columns="geometry").to_csv(
                    target, index=False
                )
            else:
                gdf.to_file(target, driver="GeoJSON")

        build = file_layer(layer, name, write)
    check_case(
        Case(f"rows-{name}", build, (name, expect, "limit of 10 rows", "PLANNER_MAX_ROWS")),
        case_folder,
        capsys,
    )


def test_zip_member_past_the_unzipped_limit_is_refused(
    case_folder: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLANNER_MAX_UNZIPPED_MB", "1")
    rng = np.random.default_rng(0)
    filler = rng.integers(
        0, 4, 1_500_000, dtype=np.uint8
    ).tobytes()  # compresses ~4x: under the ratio
    case = Case(
        "zip-past-unzipped-limit",
        file_layer("candidate_sites", "sites.zip", zipped_shp_with({"sites.cpg": filler})),
        ("sites.zip", "PLANNER_MAX_UNZIPPED_MB", "limit of 1 MB"),
    )
    check_case(case, case_folder, capsys)


def test_zip_whose_directory_lies_is_stopped_while_unpacking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member whose directory entry claims 1 KB but unpacks to 3 MB."""
    from planner.inputs.layers import read_layer

    write_tiny_data(tmp_path)
    parts = _shapefile_parts(tmp_path)
    monkeypatch.setenv("PLANNER_MAX_UNZIPPED_MB", "2")
    big = b"\x00" * 3_000_000
    parts["sites.dbf"] = parts["sites.dbf"] + big
    data = bytearray(_zip(parts))
    # patch the uncompressed size of sites.dbf in its central-directory entry
    central = data.rfind(b"PK\x01\x02", 0, data.find(b"PK\x05\x06"))
    while central != -1:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        name = bytes(data[central + 46 : central + 46 + name_len])
        if name == b"sites.dbf":
            data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
            break
        central = data.rfind(b"PK\x01\x02", 0, central)
    path = tmp_path / "liar.zip"
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match=r"liar\.zip.*(PLANNER_MAX_UNZIPPED_MB|Bad|zip)"):
        read_layer(path)


def test_sweep_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.errors import ConfigError
    from planner.runs.grid import sweep_grid

    grid = {"model.p": [3, 4, 5], "solver.seed": [0, 1]}
    assert len(sweep_grid(grid)) == 6
    monkeypatch.setenv("PLANNER_MAX_SWEEP_RUNS", "5")
    with pytest.raises(
        ConfigError, match=r"3 \(model\.p\) x 2 \(solver\.seed\) = 6 runs.*PLANNER_MAX_SWEEP_RUNS"
    ):
        sweep_grid(grid)
    monkeypatch.setenv("PLANNER_MAX_SWEEP_RUNS", "many")
    with pytest.raises(ConfigError, match="PLANNER_MAX_SWEEP_RUNS"):
        sweep_grid(grid)


# --------------------------------------------------------------------------------------
# uploads (the app's route to the same readers)


@pytest.mark.parametrize(
    ("filename", "content", "expect"),
    [
        ("sites.geojson", VRT_PASSWD.encode(), "VRT"),
        ("sites.gpkg", VRT_CURL.encode(), "VRT"),
        ("sites.csv", VRT_PASSWD.encode(), "VRT"),
        ("sites.geojson", b"PK\x03\x04" + b"\x00" * 40, "zip archive"),
        ("sites.parquet", b"a,b\n1,2\n", "GeoParquet"),
    ],
)
def test_upload_content_must_match_its_type(
    filename: str, content: bytes, expect: str, tmp_path: Path
) -> None:
    from planner.inputs.uploads import save_upload

    with pytest.raises(DataError, match=expect) as info:
        save_upload(content, filename, tmp_path, slot="candidates")
    message = str(info.value)
    assert filename in message
    assert str(tmp_path) not in message  # the private folder never shows
    assert list(tmp_path.iterdir()) == []  # nothing kept


def test_upload_of_zipped_shp_with_vrt_is_refused(tmp_path: Path) -> None:
    from planner.inputs.uploads import save_upload

    (tmp_path / "data").mkdir()
    write_tiny_data(tmp_path / "data")
    data = _zip({**_shapefile_parts(tmp_path / "data"), "evil.vrt": VRT_PASSWD.encode()})
    folder = tmp_path / "session"
    folder.mkdir()
    with pytest.raises(DataError, match=r"sites\.zip.*evil\.vrt") as info:
        save_upload(data, "sites.zip", folder, slot="candidates")
    assert str(folder) not in str(info.value)


def test_unreadable_upload_error_hides_the_private_folder() -> None:
    from planner.inputs.uploads import (
        new_session_folder,
        read_upload,
        remove_session_folder,
        save_upload,
    )

    folder = new_session_folder()
    try:
        # JSON cut short: GDAL's message names the file's path in the session folder
        saved = save_upload(
            b'{"type": "FeatureCollection", "feat', "mine.geojson", folder, slot="population"
        )
        with pytest.raises(DataError) as info:
            read_upload(saved, what="population")
        message = str(info.value)
        assert "mine.geojson" in message
        assert str(folder) not in message
        assert "planner-session-" not in message
        assert "population.geojson" not in message  # the saved name is private too
    finally:
        remove_session_folder(folder)


@pytest.mark.parametrize(
    "name", ["roads.geojson", "roads.gpkg", "roads.fgb", "roads.gml", "roads.zip"]
)
def test_road_network_that_is_vrt_is_refused(tmp_path: Path, name: str) -> None:
    from planner.travel.road_network import read_road_network

    path = tmp_path / name
    path.write_text(VRT_CURL, encoding="utf-8")
    pattern = re.escape(name) + ": expected .*found a GDAL virtual"
    with pytest.raises(DataError, match=pattern):
        read_road_network(path)
    with pytest.raises(DataError, match="GDAL virtual path"):
        read_road_network("/vsicurl/http://127.0.0.1:9/roads.gpkg")


def test_population_raster_cells_count_against_the_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deflate-compressed raster of ones is a few KB on disk and one cell per pixel."""
    import rasterio
    from affine import Affine

    from planner.inputs.rasters import read_population_raster

    path = tmp_path / "ones.tif"
    with rasterio.open(
        path, "w", driver="GTiff", height=200, width=200, count=1, dtype="float32",
        crs="EPSG:4326", transform=Affine(0.0001, 0.0, 114.2, 0.0, -0.0001, 30.6), compress="deflate",
    ) as dst:  # fmt: skip
        dst.write(np.ones((200, 200), dtype=np.float32), 1)
    assert path.stat().st_size < 20_000
    assert len(read_population_raster(path)) == 40_000
    monkeypatch.setenv("PLANNER_MAX_ROWS", "10000")
    with pytest.raises(
        DataError, match=r"ones\.tif: makes 40,000 populated cells.*PLANNER_MAX_ROWS"
    ):
        read_population_raster(path)
    assert len(read_population_raster(path, cell_size_m=100.0)) < 10_000  # coarser cells pass


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("cells.geojson", VRT_PASSWD.encode()),
        ("cells.gpkg", VRT_CURL.encode()),
    ],
)
def test_app_refuses_a_vrt_upload_and_shows_no_server_file(
    name: str, content: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scenario_fixtures import write_tiny_scenario
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(write_tiny_scenario(tmp_path / "demo")))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "library"))
    app = str(Path(__file__).resolve().parent.parent / "app.py")
    at = AppTest.from_file(app, default_timeout=60)
    at.run()
    at.radio(key="data_source").set_value("upload").run()
    n = at.session_state.get("population_uploader_n", 0)
    at.file_uploader(key=f"up_population_{n}").set_value(
        (name, content, "application/octet-stream")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    errors = [str(e.value) for e in at.error]
    assert any(name in e and "VRT" in e for e in errors), errors
    page = " ".join(str(e.value) for e in (*at.error, *at.markdown, *at.caption, *at.warning))
    assert "root:x:0:0" not in page  # no line of /etc/passwd
    assert "planner-session-" not in page
    assert "upload_population" not in at.session_state  # the file was not kept


def _billion_laughs() -> str:
    text = '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
    for i in range(1, 10):
        text += f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">\n'
    return text + (
        ']>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">'
        '<graph edgedefault="directed"><node id="&lol9;"/></graph></graphml>\n'
    )


XXE = (
    '<?xml version="1.0"?>\n<!DOCTYPE g [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
    '<node id="&x;"/></graph></graphml>\n'
)


@pytest.mark.parametrize(
    ("name", "text"), [("laughs.graphml", _billion_laughs()), ("xxe.graphml", XXE)]
)
def test_graphml_entity_attacks_are_data_errors(tmp_path: Path, name: str, text: str) -> None:
    """An entity bomb stops at the XML parser's amplification limit; an external entity
    is never read (the node id would hold /etc/passwd)."""
    from planner.travel.road_network import read_road_network

    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(name)) as info:
        read_road_network(path)
    assert "root:x:0:0" not in str(info.value)


# --------------------------------------------------------------------------------------
# nothing a planner opens may reach the network or write beside the user's file


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request (an SSRF target); yields its
    base URL and the list of paths requested."""
    import http.server
    import threading

    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        do_HEAD = do_GET  # noqa: N815 (the http.server API)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _gdalg(url: str) -> str:
    return GDALG.replace("http://127.0.0.1:9/internal.geojson", f"{url}/gdalg.geojson")


@pytest.mark.parametrize("name", ["sites.geojson", "sites.json", "sites.gdalg.json"])
def test_gdalg_layer_is_refused_before_gdal_runs_it(
    tmp_path: Path, name: str, listener: tuple[str, list[str]]
) -> None:
    from planner.inputs.layers import read_layer

    url, hits = listener
    path = tmp_path / name
    path.write_text(_gdalg(url), encoding="utf-8")
    with pytest.raises(DataError, match=re.escape(name) + ".*GDAL dataset description"):
        read_layer(path)
    assert hits == []


def test_zipped_road_network_with_gdalg_member_is_refused(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    """GDAL opens a zipped road network's members by content, whatever their names."""
    from planner.travel.road_network import read_road_network

    url, hits = listener
    path = tmp_path / "roads.zip"
    path.write_bytes(_zip({"roads.geojson": _gdalg(url).encode()}))
    with pytest.raises(DataError, match="roads.zip: member 'roads.geojson' is a GDAL dataset"):
        read_road_network(path)
    path.write_bytes(_zip({"roads.gml": VRT_CURL.replace("http://127.0.0.1:9", url).encode()}))
    with pytest.raises(DataError, match="member 'roads.gml' is a GDAL virtual dataset"):
        read_road_network(path)
    assert hits == []


def test_gml_road_network_fetches_no_schema_and_writes_no_sidecar(
    tmp_path: Path, listener: tuple[str, list[str]]
) -> None:
    """A WFS GML names its schema by URL: GDAL downloaded it (a request to any server the
    file chose) and saved a .gfs file beside the user's input."""
    from planner.travel.road_network import read_road_network

    url, hits = listener
    gml = f"""<?xml version="1.0" encoding="UTF-8"?>
<wfs:FeatureCollection xmlns:wfs="http://www.opengis.net/wfs" xmlns:gml="http://www.opengis.net/gml"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:ms="http://example.org/ms"
 xsi:schemaLocation="http://example.org/ms {url}/schema?SERVICE=WFS&amp;REQUEST=DescribeFeatureType&amp;TYPENAME=ms:roads">
<gml:featureMember><ms:roads><ms:geom><gml:LineString><gml:coordinates>114.30,30.50 114.31,30.51</gml:coordinates></gml:LineString></ms:geom><ms:highway>primary</ms:highway></ms:roads></gml:featureMember>
<gml:featureMember><ms:roads><ms:geom><gml:LineString><gml:coordinates>114.31,30.51 114.32,30.50</gml:coordinates></gml:LineString></ms:geom><ms:highway>primary</ms:highway></ms:roads></gml:featureMember>
</wfs:FeatureCollection>
"""
    folder = tmp_path / "roads"
    folder.mkdir()
    (folder / "roads.gml").write_text(gml, encoding="utf-8")
    network = read_road_network(folder / "roads.gml", crs="EPSG:4326")
    assert network is not None
    assert hits == []
    assert sorted(p.name for p in folder.iterdir()) == ["roads.gml"]


def test_upload_of_geopackage_with_an_endless_view_is_refused(
    tmp_path: Path, tiny_data: Path
) -> None:
    """One upload used to hold a server core for good (GDAL counts a view's rows)."""
    from planner.inputs.uploads import save_upload

    made = tmp_path / "made"
    made.mkdir()
    shutil.copy(tiny_data, made / "tiny.gpkg")
    _gpkg_with_view(ENDLESS_VIEW)(made / "mine.gpkg")
    session = tmp_path / "session"
    session.mkdir()
    with pytest.raises(DataError, match=r"mine\.gpkg: 'bomb' is a view") as info:
        save_upload((made / "mine.gpkg").read_bytes(), "mine.gpkg", session, slot="candidates")
    assert str(session) not in str(info.value)
    assert list(session.iterdir()) == []


def test_terminal_text_escapes_controls_only() -> None:
    from planner.sanitize import terminal_text

    assert terminal_text("营业厅 {{ 7*7 }} O'Brien") == "营业厅 {{ 7*7 }} O'Brien"
    assert terminal_text("a\x1b[2Jb\x9bc\u202ed") == "a\\u001b[2Jb\\u009bc\\u202ed"
    assert terminal_text("a\nb") == "a\\u000ab"
    assert terminal_text("a\nb", keep_newlines=True) == "a\nb"


def test_cli_never_prints_a_control_character(
    case_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.cli import main

    args = TERMINAL_CASES[0].build(case_folder)
    assert main(args) == 2
    assert main([*args, "--json"]) == 2
    captured = capsys.readouterr()
    printed = captured.out + captured.err
    assert "pwned-title" in printed
    assert not any((ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F for ch in printed)


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("+proj=longlat +ellps=WGS84 +nadgrids=/etc/passwd +no_defs", True),
        ("+proj=longlat +ellps=WGS84 +nadgrids=@null,C:\\grids\\x.gsb +no_defs", True),
        ("+proj=longlat +ellps=WGS84 +nadgrids=../x.gsb +no_defs", True),
        ("+proj=longlat +ellps=WGS84 +nadgrids=@null +no_defs", False),
        ("+proj=longlat +ellps=GRS80 +nadgrids=ntv2_0.gsb +no_defs", False),
        ("EPSG:4490", False),
        ("EPSG:4547", False),
    ],
)
def test_crs_naming_a_file_by_path_is_refused(text: str, refused: bool) -> None:
    import pyproj

    from planner.inputs.file_checks import check_crs_files

    crs = pyproj.CRS.from_user_input(text)
    if refused:
        with pytest.raises(DataError, match="names the file"):
            check_crs_files(crs, where="sites.shp")
    else:
        check_crs_files(crs, where="sites.shp")
