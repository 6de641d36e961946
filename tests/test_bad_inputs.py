"""The bad-input corpus: every input a user can get wrong, and what the planner must say.

Each :class:`Case` builds one bad input in a fresh folder (a copy of the tiny
synthetic scenario of :mod:`scenario_fixtures`) and returns the command line to
run. Every case is checked the same way (:func:`check_case`):

* the exit code (2: bad input, unless the case says otherwise);
* one line on standard error, ``error: ...``, that holds each of ``expect``
  (the file, layer, column or setting at fault);
* no traceback;
* no partial output: the ``--out`` folder does not exist afterwards, no
  ``.NAME.tmp-*`` folder is left beside it, and no file the case made is gone.

To add a case: append a ``Case(id, build, expect)`` to ``CASES`` (or to one of
the topic lists below). ``build(folder)`` gets a folder holding ``tiny.gpkg``
and ``tiny.toml`` and returns the argument list for ``planner``; use
:func:`variant` to edit the scenario text, :func:`layer_variant` to rewrite a
layer, :func:`write_csv` for CSV layers. Keep cases fast: prefer
``planner validate`` or failures before the solve.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from scenario_fixtures import SCENARIO, write_tiny_data

from planner.cli import main

OUT = "out"  # every case that writes points --out here (inside its folder)


@dataclass(frozen=True)
class Case:
    """One bad input: how to build it, what the planner must say, with which exit code."""

    id: str
    build: Callable[[Path], list[str]]
    expect: tuple[str, ...]
    code: int = 2


# --------------------------------------------------------------------------------------
# builders


def scenario_text(folder: Path) -> str:
    return (folder / "tiny.toml").read_text(encoding="utf-8")


def variant(
    old: str, new: str, *, command: str = "validate", count: int = 1
) -> Callable[[Path], list[str]]:
    """A builder: the tiny scenario with ``old`` replaced by ``new`` (must occur)."""

    def build(folder: Path) -> list[str]:
        text = scenario_text(folder)
        assert old in text, f"{old!r} is not in the tiny scenario"
        (folder / "tiny.toml").write_text(text.replace(old, new, count), encoding="utf-8")
        return _command(command, folder)

    return build


def appended(extra: str, *, command: str = "validate") -> Callable[[Path], list[str]]:
    """A builder: the tiny scenario with ``extra`` TOML appended."""

    def build(folder: Path) -> list[str]:
        (folder / "tiny.toml").write_text(scenario_text(folder) + extra, encoding="utf-8")
        return _command(command, folder)

    return build


def layer_variant(
    layer: str,
    change: Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame],
    *,
    command: str = "validate",
    extra: str = "",
    scenario_extra: tuple[str, str] | None = None,
) -> Callable[[Path], list[str]]:
    """A builder: one layer of ``tiny.gpkg`` rewritten by ``change`` into ``bad.gpkg``.

    The scenario points that layer at ``bad.gpkg`` (same layer name); ``extra``
    is added to the layer's table (e.g. ``datum = "gcj02"``).
    """

    def build(folder: Path) -> list[str]:
        gdf = gpd.read_file(folder / "tiny.gpkg", layer=layer)
        change(gdf).to_file(folder / "bad.gpkg", layer=layer, driver="GPKG")
        new = f'path = "bad.gpkg"\nlayer = "{layer}"' + (f"\n{extra}" if extra else "")
        text = scenario_text(folder).replace(f'path = "tiny.gpkg"\nlayer = "{layer}"', new)
        if "datum" in extra:  # in place of the datum the tiny scenario says
            text = text.replace(f'{new}\ndatum = "wgs84"', new)
        if scenario_extra is not None:  # (old, new) text elsewhere in the scenario
            text = text.replace(*scenario_extra)
        (folder / "tiny.toml").write_text(text, encoding="utf-8")
        return _command(command, folder)

    return build


def file_layer(
    layer: str,
    name: str,
    content: bytes | str | Callable[[Path], None],
    *,
    extra: str = "",
    command: str = "validate",
) -> Callable[[Path], list[str]]:
    """A builder: the layer ``layer`` read from a file ``name`` holding ``content``.

    ``content`` is the file's bytes/text, or a function that writes the file.
    ``extra`` is added after ``path`` in the layer's table (e.g. ``lon_col = "x"``).
    """

    def build(folder: Path) -> list[str]:
        target = folder / name
        if callable(content):
            content(target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
        new = f'path = "{name}"' + (f"\n{extra}" if extra else "")
        text = scenario_text(folder).replace(f'path = "tiny.gpkg"\nlayer = "{layer}"', new)
        if "datum" in extra:  # in place of the datum the tiny scenario says
            text = text.replace(f'{new}\ndatum = "wgs84"', new)
        (folder / "tiny.toml").write_text(text, encoding="utf-8")
        return _command(command, folder)

    return build


def raw_scenario(content: bytes) -> Callable[[Path], list[str]]:
    """A builder: the scenario file replaced by ``content`` (bytes)."""

    def build(folder: Path) -> list[str]:
        (folder / "tiny.toml").write_bytes(content)
        return ["validate", str(folder / "tiny.toml")]

    return build


def strict(build: Callable[[Path], list[str]]) -> Callable[[Path], list[str]]:
    """A builder: ``build``, then ``strict = true`` set in the scenario (warnings fail)."""

    def wrapped(folder: Path) -> list[str]:
        args = build(folder)
        text = scenario_text(folder)
        (folder / "tiny.toml").write_text("strict = true\n" + text, encoding="utf-8")
        return args

    return wrapped


def _shifted(
    dx: float, dy: float = 0.0, n: int | None = None
) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Move the first ``n`` features (all if None) by (dx, dy) degrees."""

    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        out = gdf.copy()
        geom = out.geometry.to_numpy()
        k = len(geom) if n is None else n
        geom[:k] = shapely.transform(geom[:k], lambda c: c + np.array([dx, dy]))
        out.geometry = geom
        return out

    return change


def _to_origin(n: int) -> Callable[[gpd.GeoDataFrame], gpd.GeoDataFrame]:
    """Move the first ``n`` features to about (0, 0)."""

    def change(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        x0, y0 = shapely.get_coordinates(gdf.geometry.to_numpy()[:n]).min(axis=0)
        return _shifted(-x0, -y0, n)(gdf)

    return change


def argv(*args: str) -> Callable[[Path], list[str]]:
    """A builder: a fixed command line; ``{dir}`` is replaced by the case's folder."""

    def build(folder: Path) -> list[str]:
        return [a.replace("{dir}", str(folder)) for a in args]

    return build


def _command(command: str, folder: Path) -> list[str]:
    scenario = str(folder / "tiny.toml")
    if command == "validate":
        return ["validate", scenario]
    return [command, scenario, "--out", str(folder / OUT)]


# --------------------------------------------------------------------------------------
# the cases, by topic (other engineers add theirs to CASES at the end)

SCENARIO_CASES: list[Case] = [
    Case("scenario-missing", argv("validate", "{dir}/nope.toml"), ("nope.toml", "does not exist")),
    Case(
        "scenario-not-toml",
        raw_scenario(b"name = ["),
        ("tiny.toml", "not valid TOML"),
    ),
    Case(
        "scenario-not-utf8",
        raw_scenario("name = '武汉'".encode("gbk")),
        ("tiny.toml", "UTF-8"),
    ),
    Case("scenario-unknown-key", variant("p = 4", "p = 4\nnmae = 'x'"), ("`model.nmae`",)),
    Case("scenario-unknown-table", appended("\n[modle]\np = 3\n"), ("`modle`",)),
    Case(
        "scenario-base-dir-key",
        variant('name = "tiny"', 'name = "tiny"\nbase_dir = "/"'),
        ("`base_dir`",),
    ),
    Case("p-not-int", variant("p = 4", 'p = "many"'), ("`model.p`", "'many'")),
    Case("p-zero", variant("p = 4", "p = 0"), ("`model.p`",)),
    Case("p-negative", variant("p = 4", "p = -3"), ("`model.p`",)),
    Case("p-too-many", variant("p = 4", "p = 40"), ("model.p = 40", "14 sites")),
    Case("p-below-existing", variant("p = 4", "p = 1"), ("model.p", "existing")),
    Case(
        "model-unknown",
        variant('name = "p_median"', 'name = "k_means"'),
        ("`model.name`", "k_means"),
    ),
    Case(
        "demand-weights-zero",
        variant(
            "population = 0.6\nresidential = 0.2\nfaults = 0.2",
            "population = 0\nresidential = 0\nfaults = 0",
        ),
        ("weights are all 0",),
    ),
    Case(
        "demand-weight-negative",
        variant("population = 0.6", "population = -1"),
        ("`demand.population`",),
    ),
    Case(
        "hotspot-quantile-one",
        variant("faults = 0.2", "faults = 0.2\nhotspot_quantile = 1.0"),
        ("`demand.hotspot_quantile`",),
    ),
    Case(
        "solver-unknown",
        variant('method = "exact"', 'method = "magic"'),
        ("`solver.method`", "magic"),
    ),
    Case(
        "time-limit-zero",
        variant("time_limit_s = 30", "time_limit_s = 0"),
        ("`solver.time_limit_s`",),
    ),
    Case(
        "language-unknown",
        variant('language = "en"', 'language = "fr"'),
        ("`outputs.language`", "fr"),
    ),
    Case(
        "travel-network-without-file",
        appended('\n[travel]\nmethod = "network"\n'),
        ("travel", "network"),
    ),
    Case(
        "detour-below-one",
        appended("\n[travel]\ndetour_factor = 0.5\n"),
        ("`travel.detour_factor`",),
    ),
    Case("speed-zero", appended("\n[travel]\nspeed_kmh = 0\n"), ("`travel.speed_kmh`",)),
    Case(
        "service-minutes-empty",
        appended("\n[standards]\nservice_minutes = []\n"),
        ("service_minutes",),
    ),
    Case(
        "service-minutes-negative",
        appended("\n[standards]\nservice_minutes = [-5]\n"),
        ("service_minutes",),
    ),
    Case("radius-negative", variant("p = 4", "p = 4\nradius = -2"), ("`model.radius`",)),
    Case("capacity-zero", variant("p = 4", "p = 4\ncapacity = 0"), ("`model.capacity`",)),
    Case(
        "no-candidates",
        variant('[data.candidates]\npath = "tiny.gpkg"\nlayer = "candidate_sites"\n', ""),
        ("data.candidates",),
    ),
    Case(
        "no-population",
        variant('[data.population]\npath = "tiny.gpkg"\nlayer = "population"\n', ""),
        ("data.population",),
    ),
]

FILE_CASES: list[Case] = [
    Case(
        "layer-file-missing",
        variant('path = "tiny.gpkg"\nlayer = "candidate_sites"', 'path = "missing.gpkg"'),
        ("missing.gpkg",),
    ),
    Case(
        "layer-missing-in-gpkg",
        variant('layer = "candidate_sites"', 'layer = "sites"'),
        ("tiny.gpkg", "'sites'"),
    ),
    Case(
        "layer-empty-file", file_layer("candidate_sites", "empty.geojson", b""), ("empty.geojson",)
    ),
    Case(
        "layer-not-json",
        file_layer("candidate_sites", "junk.geojson", "this is not json"),
        ("junk.geojson",),
    ),
    Case(
        "layer-unknown-suffix",
        file_layer("candidate_sites", "sites.xlsx", b"PK\x03\x04"),
        ("sites.xlsx",),
    ),
    Case(
        "layer-gpkg-not-sqlite",
        file_layer("candidate_sites", "fake.gpkg", b"not a database at all"),
        ("fake.gpkg",),
    ),
    Case(
        "layer-bad-zip",
        file_layer("candidate_sites", "sites.zip", b"PK\x05\x06" + bytes(18)),
        ("sites.zip",),
    ),
    Case("csv-empty", file_layer("candidate_sites", "sites.csv", ""), ("sites.csv",)),
    Case(
        "csv-no-coordinates",
        file_layer("candidate_sites", "sites.csv", "site_id,name_zh\nA,甲\n"),
        ("sites.csv", "longitude"),
    ),
    Case(
        "csv-text-coordinates",
        file_layer("candidate_sites", "sites.csv", "site_id,name_zh,lon,lat\nA,甲,east,north\n"),
        ("sites.csv", "'lon'"),
    ),
    Case(
        "csv-missing-coordinate",
        file_layer("candidate_sites", "sites.csv", "site_id,name_zh,lon,lat\nA,甲,114.26,\n"),
        ("sites.csv", "line(s) [2]"),
    ),
    Case(
        "csv-lon-col-unknown",
        file_layer(
            "candidate_sites",
            "sites.csv",
            "site_id,lon,lat\nA,114.26,30.56\n",
            extra='lon_col = "x"',
        ),
        ("sites.csv", "'x'"),
    ),
    Case(
        "csv-encoding-unknown",
        file_layer(
            "candidate_sites",
            "sites.csv",
            "site_id,lon,lat\nA,114.26,30.56\n",
            extra='encoding = "klingon"',
        ),
        ("encoding", "klingon"),
    ),
    Case("scenario-is-a-folder", argv("validate", "{dir}"), ("is a folder",)),
]

COLUMN_CASES: list[Case] = [
    Case(
        "population-col-unknown",
        variant('layer = "population"', 'layer = "population"\npopulation_col = "adults"'),
        ("'adults'",),
    ),
    Case(
        "residential-col-unknown",
        variant('layer = "residential"', 'layer = "residential"\ncolumn = "dens"'),
        ("'dens'",),
    ),
    Case(
        "candidate-id-col-unknown",
        variant('layer = "candidate_sites"', 'layer = "candidate_sites"\nid_col = "sid"'),
        ("'sid'",),
    ),
    Case(
        "existing-id-col-unknown",
        variant('layer = "existing_centres"', 'layer = "existing_centres"\nid_col = "cid"'),
        ("'cid'",),
    ),
    Case(
        "population-text",
        layer_variant("population", lambda g: g.assign(pop_20plus="many")),
        ("pop_20plus",),
    ),
    Case(
        "population-negative",
        layer_variant("population", lambda g: g.assign(pop_20plus=-g["pop_20plus"])),
        ("pop_20plus",),
    ),
    Case(
        "candidate-ids-duplicate",
        layer_variant("candidate_sites", lambda g: g.assign(site_id="S00")),
        ("site_id",),
    ),
    Case(
        "candidates-empty-layer",
        layer_variant("candidate_sites", lambda g: g.iloc[:0]),
        ("candidate",),
    ),
    Case(
        "population-empty-layer",
        layer_variant("population", lambda g: g.iloc[:0]),
        ("population",),
    ),
]

CRS_CASES: list[Case] = [
    Case(
        "crs-unknown",
        variant('layer = "candidate_sites"', 'layer = "candidate_sites"\ncrs = "EPSG:999999"'),
        ("crs", "999999"),
    ),
    Case(
        "datum-unknown",
        variant('datum = "wgs84"', 'datum = "wgs72"'),  # the tiny scenario's candidates
        ("datum", "wgs72"),
    ),
]


def user_folder(*args: str) -> Callable[[Path], list[str]]:
    """A builder: ``{dir}/mine/`` (a user's folder with a file) and ``{dir}/file.txt`` exist."""

    def build(folder: Path) -> list[str]:
        (folder / "mine").mkdir()
        (folder / "mine" / "notes.txt").write_text("my notes", encoding="utf-8")
        (folder / "file.txt").write_text("a file", encoding="utf-8")
        return argv(*args)(folder)

    return build


_RUN = ("run", "{dir}/tiny.toml", "--out")
SANITY_CASES: list[Case] = [
    Case(
        "strict-candidates-1000-km-away",
        strict(layer_variant("candidate_sites", _shifted(10.0))),
        ("bad.gpkg", "do not overlap", "strict = true"),
    ),
    Case(
        "strict-population-at-origin",
        strict(layer_variant("population", _to_origin(3))),
        ("bad.gpkg", "3 of 64 population points", "far outside"),
    ),
    Case(
        "strict-faults-outside",
        strict(layer_variant("fault_records", _to_origin(4))),
        ("bad.gpkg", "4 of 40 fault records", "dropped"),
    ),
    Case(
        "strict-existing-far",
        strict(layer_variant("existing_centres", _shifted(0.0, 3.0, 1))),
        ("bad.gpkg", "existing centres", "outside the study area"),
    ),
    Case(
        "strict-degrees-as-utm",
        strict(layer_variant("candidate_sites", lambda g: g.set_crs(32650, allow_override=True))),
        ("bad.gpkg", "look like degrees", "EPSG:32650"),
    ),
    Case(
        "strict-degrees-as-cgcs2000-gk",
        strict(layer_variant("existing_centres", lambda g: g.set_crs(4547, allow_override=True))),
        ("bad.gpkg", "look like degrees", "EPSG:4547"),
    ),
    Case(
        "strict-gcj02-outside-china",
        strict(layer_variant("candidate_sites", _shifted(-120.0), extra='datum = "gcj02"')),
        ("bad.gpkg", "outside China", "GCJ-02"),
    ),
    Case(
        "strict-bd09-outside-china",
        strict(layer_variant("existing_centres", _shifted(0.0, -60.0), extra='datum = "bd09"')),
        ("bad.gpkg", "outside China", "BD-09"),
    ),
    Case(
        "strict-cgcs2000-outside-china",
        strict(
            layer_variant(
                "candidate_sites", lambda g: _shifted(-100.0)(g).set_crs(4490, allow_override=True)
            )
        ),
        ("bad.gpkg", "outside China", "CGCS2000"),
    ),
    Case(
        "strict-run-writes-nothing",
        strict(layer_variant("candidate_sites", _shifted(10.0), command="run")),
        ("do not overlap",),
    ),
]


def _zip(members: dict[str, bytes]) -> Callable[[Path], None]:
    """A writer of a zip file holding ``members`` (name -> bytes)."""

    def write(path: Path) -> None:
        import zipfile

        with zipfile.ZipFile(path, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)

    return write


def _shapefile_zip(drop: str | None = None) -> Callable[[Path], None]:
    """A writer of a zipped Shapefile of the candidates, without the part ``drop``."""

    def write(path: Path) -> None:
        import zipfile

        shp = path.parent / "shp"
        shp.mkdir()
        gdf = gpd.read_file(path.parent / "tiny.gpkg", layer="candidate_sites")
        gdf.to_file(shp / "sites.shp")
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(shp.iterdir()):
                if part.suffix != drop:
                    zf.write(part, part.name)
        shutil.rmtree(shp)

    return write


_SITES_CSV = "site_id,name_zh,lon,lat\nA,甲,114.26,30.56\nB,乙,114.27,30.57\n"
_M = 'name = "p_median"\np = 4'  # the [model] table's first lines

MORE_SCENARIO_CASES: list[Case] = [
    Case(
        "title-not-text",
        variant('title = "Tiny synthetic scenario (tests)"', "title = 5"),
        ("`title`",),
    ),
    Case("name-not-text", variant('name = "tiny"', "name = []"), ("`name`",)),
    Case("duplicate-key", variant("p = 4", "p = 4\np = 5"), ("tiny.toml", "not valid TOML")),
    Case(
        "population-without-path",
        variant('[data.population]\npath = "tiny.gpkg"', "[data.population]"),
        ("`data.population.path`",),
    ),
    Case("cost-unknown", variant(_M, _M + '\ncost = "money"'), ("`model.cost`", "money")),
    Case("radius-text", variant(_M, _M + '\nradius = "far"'), ("`model.radius`",)),
    Case("budget-zero", variant(_M, _M + "\nbudget = 0"), ("`model.budget`",)),
    Case(
        "opening-cost-negative", variant(_M, _M + "\nopening_cost = -1"), ("`model.opening_cost`",)
    ),
    Case(
        "mclp-distance-without-radius",
        variant(_M, 'name = "mclp"\np = 4\ncost = "distance"'),
        ("model.radius", "metres"),
    ),
    Case(
        "response-minutes-zero",
        appended("\n[standards]\nresponse_minutes_urban = 0\n"),
        ("`standards.response_minutes_urban`",),
    ),
    Case(
        "half-life-zero",
        variant("faults = 0.2", "faults = 0.2\nfault_half_life_days = 0"),
        ("`demand.fault_half_life_days`",),
    ),
    Case(
        "cell-size-negative",
        variant("faults = 0.2", "faults = 0.2\ncell_size_m = -100"),
        ("`demand.cell_size_m`",),
    ),
    Case(
        "urban-density-zero",
        variant("faults = 0.2", "faults = 0.2\nurban_density_per_km2 = 0"),
        ("`demand.urban_density_per_km2`",),
    ),
    Case(
        "travel-mode-unknown", appended('\n[travel]\nmode = "plane"\n'), ("`travel.mode`", "plane")
    ),
    Case(
        "unsnapped-unknown",
        appended('\n[travel]\nunsnapped = "teleport"\n'),
        ("`travel.unsnapped`",),
    ),
    Case(
        "cutoff-negative",
        appended("\n[travel]\ncutoff_minutes = -1\n"),
        ("`travel.cutoff_minutes`",),
    ),
    Case("max-snap-zero", appended("\n[travel]\nmax_snap_m = 0\n"), ("`travel.max_snap_m`",)),
    Case(
        "network-file-missing",
        appended('\n[travel]\nmethod = "network"\n[travel.network]\npath = "roads.graphml"\n'),
        ("roads.graphml",),
    ),
    Case(
        "tradeoff-max-p-zero",
        variant('language = "en"', 'language = "en"\ntradeoff_max_p = 0'),
        ("`outputs.tradeoff_max_p`",),
    ),
    Case(
        "map-flag-not-bool",
        variant('language = "en"', 'language = "en"\nmap = "maybe"'),
        ("`outputs.map`",),
    ),
    Case(
        "solver-unknown-engine",
        variant('method = "exact"', 'method = "exact"\nsolver = "gurobi"'),
        ("`solver.solver`", "gurobi"),
    ),
    Case("seed-not-int", variant("seed = 0", 'seed = "x"'), ("`solver.seed`",)),
    Case(
        "existing-policy-unknown",
        variant('policy = "keep"', 'policy = "demolish"'),
        ("`data.existing.policy`", "demolish"),
    ),
    Case(
        "generated-candidates-zero",
        appended("\n[data.generated_candidates]\nn_sites = 0\n"),
        ("`data.generated_candidates.n_sites`",),
    ),
    Case(
        "category-unknown",
        variant(
            'layer = "candidate_sites"', 'layer = "candidate_sites"\ncategories = ["spaceport"]'
        ),
        ("spaceport",),
    ),
    Case(
        "exclude-unknown-id",
        variant('layer = "candidate_sites"', 'layer = "candidate_sites"\nexclude = ["NOPE"]'),
        ("NOPE",),
    ),
    Case(
        "closable-unknown-id",
        variant('policy = "keep"', 'policy = "keep"\nclosable = ["NOPE"]'),
        ("NOPE",),
    ),
    Case(
        "strict-not-bool", variant('name = "tiny"', 'name = "tiny"\nstrict = "very"'), ("`strict`",)
    ),
    Case("sweep-unknown-setting", appended('\n[sweep]\n"model.q" = [1, 2]\n'), ("model.q",)),
    Case("sweep-bad-range", appended('\n[sweep]\n"model.p" = "a:b"\n'), ("model.p",)),
    Case(
        "validate-bad-param",
        argv("validate", "{dir}/tiny.toml", "--param", "model.p=x"),
        ("model.p",),
    ),
    Case(
        "validate-unknown-param",
        argv("validate", "{dir}/tiny.toml", "--param", "model.nope=1"),
        ("model.nope",),
    ),
]

MORE_FILE_CASES: list[Case] = [
    Case(
        "csv-header-only",
        file_layer("candidate_sites", "sites.csv", "site_id,lon,lat\n"),
        ("sites.csv",),
    ),
    Case(
        "csv-gbk-read-as-utf8",
        file_layer(
            "candidate_sites", "sites.csv", _SITES_CSV.encode("gbk"), extra='encoding = "utf-8"'
        ),
        ("sites.csv", "encoding"),
    ),
    Case(
        "csv-latitude-out-of-range",
        file_layer("candidate_sites", "sites.csv", "site_id,lon,lat\nA,114.26,95.0\n"),
        ("sites.csv", "out of range"),
    ),
    Case(
        "csv-swapped-columns",
        file_layer("candidate_sites", "sites.csv", "site_id,lon,lat\nA,30.56,114.26\n"),
        ("sites.csv", "out of range"),
    ),
    Case(
        "csv-crs-unknown",
        file_layer("candidate_sites", "sites.csv", _SITES_CSV, extra='crs = "gibberish"'),
        ("crs", "gibberish"),
    ),
    Case(
        "geojson-no-features",
        file_layer(
            "candidate_sites", "sites.geojson", '{"type": "FeatureCollection", "features": []}'
        ),
        ("sites.geojson",),
    ),
    Case(
        "geojson-null-geometry",
        file_layer(
            "candidate_sites",
            "sites.geojson",
            '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"site_id": "A"}, "geometry": null}]}',
        ),
        ("sites.geojson", "no geometry"),
    ),
    Case(
        "gpkg-several-layers-no-name",
        variant('path = "tiny.gpkg"\nlayer = "candidate_sites"', 'path = "tiny.gpkg"'),
        ("tiny.gpkg", "layer"),
    ),
    Case(
        "zip-without-shp",
        file_layer("candidate_sites", "sites.zip", _zip({"readme.txt": b"hello"})),
        ("sites.zip", ".shp"),
    ),
    Case(
        "zip-member-escapes",
        file_layer("candidate_sites", "sites.zip", _zip({"../evil.shp": b"x"})),
        ("sites.zip",),
    ),
    Case(
        "zip-shapefile-without-dbf",
        file_layer("candidate_sites", "sites.zip", _shapefile_zip(drop=".dbf")),
        ("sites.zip", ".dbf"),
    ),
    Case(
        "parquet-not-parquet",
        file_layer("candidate_sites", "sites.parquet", b"not parquet at all"),
        ("sites.parquet",),
    ),
    Case(
        "layer-is-a-folder",
        variant('path = "tiny.gpkg"\nlayer = "candidate_sites"', 'path = "."'),
        ("folder",),
    ),
    Case(
        "crs-conflicts-with-file",
        variant('layer = "candidate_sites"', 'layer = "candidate_sites"\ncrs = "EPSG:32650"'),
        ("tiny.gpkg", "EPSG:32650"),
    ),
]

MORE_COLUMN_CASES: list[Case] = [
    Case(
        "pop65-text",
        layer_variant("population", lambda g: g.assign(pop_65plus="old")),
        ("pop_65plus",),
    ),
    Case(
        "population-missing-values",
        layer_variant("population", lambda g: g.assign(pop_20plus=np.nan)),
        ("pop_20plus",),
    ),
    Case(
        "residential-text",
        layer_variant("residential", lambda g: g.assign(residential_density="dense")),
        ("residential_density",),
    ),
    Case(
        "fault-timestamps-unreadable",
        layer_variant(
            "fault_records",
            lambda g: g.assign(reported_at="yesterday"),
            scenario_extra=("faults = 0.2", "faults = 0.2\nfault_half_life_days = 30"),
        ),
        ("reported_at",),
    ),
    Case(
        "fault-timestamp-col-unknown",
        variant('layer = "fault_records"', 'layer = "fault_records"\ntimestamp_col = "when"'),
        ("'when'",),
    ),
    Case(
        "category-filter-without-column",
        variant(
            'layer = "candidate_sites"',
            'layer = "candidate_sites"\ncategory_col = "kind"\ncategories = ["mall"]',
        ),
        ("'kind'",),
    ),
    Case(
        "existing-ids-duplicate",
        layer_variant("existing_centres", lambda g: g.assign(centre_id="E1")),
        ("centre_id",),
    ),
    Case(
        "site-ids-shared",
        layer_variant("existing_centres", lambda g: g.assign(centre_id=["S00", "S01"])),
        ("S00",),
    ),
    Case(
        "existing-empty-layer",
        layer_variant("existing_centres", lambda g: g.iloc[:0]),
        ("existing",),
    ),
]

MORE_CLI_CASES: list[Case] = [
    Case(
        "robustness-distribution-unknown",
        argv("robustness", "{dir}/tiny.toml", "--out", "{dir}/out", "--distribution", "cauchy"),
        ("--distribution", "cauchy"),
    ),
    Case(
        "robustness-error-not-number",
        argv("robustness", "{dir}/tiny.toml", "--out", "{dir}/out", "--error", "population=abc"),
        ("--error", "abc"),
    ),
    Case(
        "robustness-error-no-component",
        argv("robustness", "{dir}/tiny.toml", "--out", "{dir}/out", "--error", "a", "--error", "b"),
        ("--error",),
    ),
    Case(
        "robustness-serial-with-workers",
        argv("robustness", "{dir}/tiny.toml", "--out", "{dir}/out", "--serial", "--workers", "2"),
        ("--serial",),
    ),
    Case(
        "sweep-nothing-to-sweep",
        argv("sweep", "{dir}/tiny.toml", "--out", "{dir}/out", "--serial"),
        ("nothing to sweep",),
    ),
    Case(
        "sweep-serial-with-scheduler",
        argv(
            "sweep",
            "{dir}/tiny.toml",
            "--out",
            "{dir}/out",
            "--serial",
            "--scheduler",
            "tcp://x:1",
            "--param",
            "model.p=3:4",
        ),
        ("--serial",),
    ),
    Case("compare-one-folder", argv("compare", "{dir}"), ("two",)),
    Case("compare-not-run-folders", argv("compare", "{dir}", "{dir}"), ("not a run folder",)),
    Case(
        "compare-language-unknown", argv("compare", "{dir}", "{dir}", "--lang", "fr"), ("--lang",)
    ),
]

OUTPUT_CASES: list[Case] = [
    Case("out-scenario-folder-force", user_folder(*_RUN, "{dir}", "--force"), ("`--out`", "holds")),
    Case("out-parent-of-scenario-force", user_folder(*_RUN, "{dir}/..", "--force"), ("holds",)),
    Case(
        "out-user-folder-force",
        user_folder(*_RUN, "{dir}/mine", "--force"),
        ("mine", "not written by the planner"),
    ),
    Case("out-user-folder", user_folder(*_RUN, "{dir}/mine"), ("mine", "already exists")),
    Case("out-is-a-file", user_folder(*_RUN, "{dir}/file.txt"), ("file.txt", "is a file")),
    Case("out-under-a-file", user_folder(*_RUN, "{dir}/file.txt/run"), ("file.txt", "is a file")),
    Case("out-empty", user_folder(*_RUN, " "), ("`--out` is empty",)),
    Case("out-input-file-force", user_folder(*_RUN, "{dir}/tiny.gpkg", "--force"), ("tiny.gpkg",)),
    Case(
        "sweep-out-user-folder-force",
        user_folder(
            "sweep",
            "{dir}/tiny.toml",
            "--param",
            "model.p=3:4",
            "--serial",
            "--out",
            "{dir}/mine",
            "--force",
        ),
        ("mine", "not written by the planner"),
    ),
    Case(
        "sweep-out-scenario-folder",
        user_folder(
            "sweep",
            "{dir}/tiny.toml",
            "--param",
            "model.p=3:4",
            "--serial",
            "--out",
            "{dir}",
            "--force",
        ),
        ("holds",),
    ),
    Case(
        "robustness-out-user-folder-force",
        user_folder("robustness", "{dir}/tiny.toml", "--serial", "--out", "{dir}/mine", "--force"),
        ("mine", "not written by the planner"),
    ),
    Case(
        "robustness-out-under-a-file",
        user_folder("robustness", "{dir}/tiny.toml", "--serial", "--out", "{dir}/file.txt/x"),
        ("file.txt", "is a file"),
    ),
]

#: Every case; other engineers append their topic lists here.
CASES: list[Case] = [
    *SCENARIO_CASES,
    *FILE_CASES,
    *COLUMN_CASES,
    *CRS_CASES,
    *SANITY_CASES,
    *OUTPUT_CASES,
    *MORE_SCENARIO_CASES,
    *MORE_FILE_CASES,
    *MORE_COLUMN_CASES,
    *MORE_CLI_CASES,
]


# --------------------------------------------------------------------------------------
# the check


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tiny-data")
    write_tiny_data(folder)
    return folder / "tiny.gpkg"


def _snapshot(folder: Path) -> dict[str, float]:
    return {
        str(p.relative_to(folder)): p.stat().st_mtime if p.is_file() else 0.0
        for p in folder.rglob("*")
    }


def check_case(case: Case, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Run one case and check exit code, message, no traceback, no partial output."""
    args = case.build(folder)
    before = _snapshot(folder)
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == case.code, f"{case.id}: exit {code}, expected {case.code}: {err}"
    assert "Traceback" not in captured.err + captured.out, case.id
    lines = [line for line in err.splitlines() if not line.startswith("warning: ")]
    assert len(lines) == 1, f"{case.id}: expected one error line, got {lines}"
    assert lines[0].startswith("error: "), lines[0]
    assert "internal error" not in lines[0], lines[0]
    for text in case.expect:
        assert text in lines[0], f"{case.id}: {text!r} not in {lines[0]!r}"
    after = _snapshot(folder)
    assert not (folder / OUT).exists(), f"{case.id}: left {OUT}/"
    new = sorted(set(after) - set(before))
    assert not new, f"{case.id}: left {new}"
    gone = sorted(set(before) - set(after))
    assert not gone, f"{case.id}: removed {gone}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(
    case: Case, tiny_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    shutil.copy(tiny_data, folder / "tiny.gpkg")
    (folder / "tiny.toml").write_text(SCENARIO, encoding="utf-8")
    check_case(case, folder, capsys)


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------------------
# uploads in the app: the same promise, checked on planner.inputs.uploads
# (an upload is refused with one line naming the user's file, never the server's
# private session folder, and nothing of it is kept)


@dataclass(frozen=True)
class UploadCase:
    """One bad upload: file name and bytes, read options, words the message must hold."""

    id: str
    filename: str
    data: bytes | Callable[[Path], bytes]
    expect: tuple[str, ...]
    options: tuple[tuple[str, str], ...] = ()


def _gpkg_bytes(layers: int) -> Callable[[Path], bytes]:
    def make(folder: Path) -> bytes:
        path = folder / "made.gpkg"
        gdf = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(114.3, 30.6)], crs=4326)
        for i in range(layers):
            gdf.to_file(path, layer=f"l{i}", driver="GPKG")
        data = path.read_bytes()
        path.unlink()
        return data

    return make


UPLOAD_CASES: list[UploadCase] = [
    UploadCase("upload-empty", "sites.csv", b"", ("sites.csv", "empty")),
    UploadCase("upload-unknown-type", "sites.xlsx", b"PK\x03\x04", ("sites.xlsx", "unknown type")),
    UploadCase("upload-no-suffix", "sites", b"lon,lat\n1,2\n", ("sites", "unknown type")),
    UploadCase("upload-exe-as-csv", "sites.csv", b"MZ\x90\x00" + bytes(60), ("sites.csv",)),
    UploadCase(
        "upload-html-as-geojson",
        "sites.geojson",
        b"<html><body>x</body></html>",
        ("sites.geojson",),
    ),
    UploadCase("upload-text-as-gpkg", "sites.gpkg", b"just some text", ("sites.gpkg",)),
    UploadCase("upload-bad-zip", "sites.zip", b"PK\x03\x04 broken", ("sites.zip",)),
    UploadCase(
        "upload-zip-no-shp",
        "sites.zip",
        lambda d: _zip_bytes(d, {"a.txt": b"x"}),
        ("sites.zip", ".shp"),
    ),
    UploadCase("upload-path-in-name", "../../etc/sites.xlsx", b"x", ("sites.xlsx",)),
    UploadCase(
        "upload-csv-no-coordinates",
        "sites.csv",
        "名称,地址\n甲,武汉\n".encode(),
        ("sites.csv", "longitude"),
    ),
    UploadCase(
        "upload-csv-gbk-bad-encoding",
        "sites.csv",
        "名称,lon,lat\n甲,114.3,30.6\n".encode("gbk"),
        ("sites.csv", "encoding"),
        (("encoding", "utf-8"),),
    ),
    UploadCase(
        "upload-gpkg-several-layers", "sites.gpkg", _gpkg_bytes(2), ("sites.gpkg", "several layers")
    ),
    UploadCase(
        "upload-geojson-out-of-range",
        "sites.geojson",
        b'{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[514.3,30.6]}}]}',
        ("sites.geojson", "out of range"),
    ),
    UploadCase(
        "upload-csv-bad-crs", "sites.csv", b"lon,lat\n114.3,30.6\n", ("crs",), (("crs", "EPSG:0"),)
    ),
]


def _zip_bytes(folder: Path, members: dict[str, bytes]) -> bytes:
    path = folder / "made.zip"
    _zip(members)(path)
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.mark.parametrize("case", UPLOAD_CASES, ids=[c.id for c in UPLOAD_CASES])
def test_bad_upload(case: UploadCase, tmp_path: Path) -> None:
    from planner.errors import InputError
    from planner.inputs.uploads import read_upload, save_upload

    session = tmp_path / "session-private-folder"
    session.mkdir()
    data = case.data(tmp_path) if callable(case.data) else case.data

    def upload() -> None:
        saved = save_upload(data, case.filename, session, slot="candidates", what="candidates")
        read_upload(saved, what="candidates", **dict(case.options))  # type: ignore[arg-type]

    with pytest.raises(InputError) as info:
        upload()
    message = str(info.value)
    assert "\n" not in message, message
    assert "session-private-folder" not in message, message
    for text in case.expect:
        assert text in message, f"{case.id}: {text!r} not in {message!r}"
    # refused by its content: not kept; readable but unusable: kept for its slot only
    kept = [p.name for p in session.iterdir()]
    assert kept in ([], ["candidates" + Path(case.filename).suffix.lower()]), kept


def test_corpus_size() -> None:
    """Issue 16's bad inputs and at least 80 more live here and in the security corpus."""
    assert len(CASES) + len(UPLOAD_CASES) >= 150
