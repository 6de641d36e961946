"""A tiny synthetic scenario on disk (layers + TOML) for the CLI, sweep, robustness and compare tests.

An 8 x 8 grid of square cells near central Wuhan with seeded random population
and residential density, seeded fault records, 12 candidate sites and 2
existing centres. All SYNTHETIC, built in code; small enough that every model
solves exactly in well under a second.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CELL_DEG = 0.005  # about 480 m east-west, 555 m north-south at 30.5 N
X0, Y0 = 114.25, 30.55
NX = NY = 8

SCENARIO = """\
name = "tiny"
title = "Tiny synthetic scenario (tests)"

[data.population]
path = "tiny.gpkg"
layer = "population"

[data.residential]
path = "tiny.gpkg"
layer = "residential"

[data.faults]
path = "tiny.gpkg"
layer = "fault_records"

[data.candidates]
path = "tiny.gpkg"
layer = "candidate_sites"
datum = "wgs84"

[data.existing]
path = "tiny.gpkg"
layer = "existing_centres"
policy = "keep"

[demand]
population = 0.6
residential = 0.2
faults = 0.2

[model]
name = "p_median"
p = 4

[solver]
method = "exact"
time_limit_s = 30
seed = 0

[outputs]
language = "en"
"""


def write_tiny_data(folder: Path, *, seed: int = 0) -> Path:
    """Write ``tiny.gpkg`` with the five layers into ``folder``; return its path."""
    rng = np.random.default_rng(seed)
    ix, iy = np.meshgrid(np.arange(NX), np.arange(NY))
    minx = X0 + ix.ravel() * CELL_DEG
    miny = Y0 + iy.ravel() * CELL_DEG
    cells = shapely.box(minx, miny, minx + CELL_DEG, miny + CELL_DEG)
    n = minx.size
    ids = [f"c{i:03d}" for i in range(n)]
    pop = rng.integers(50, 3000, n).astype(float)
    population = gpd.GeoDataFrame(
        {"cell_id": ids, "pop_20plus": pop, "pop_65plus": np.round(pop * 0.15)},
        geometry=cells,
        crs=4326,
    )
    residential = gpd.GeoDataFrame(
        {"cell_id": ids, "residential_density": rng.gamma(2.0, 1.0, n).round(3)},
        geometry=cells,
        crs=4326,
    )
    n_faults = 40
    fx = X0 + rng.random(n_faults) * NX * CELL_DEG * 0.5  # faults cluster in the west half
    fy = Y0 + rng.random(n_faults) * NY * CELL_DEG
    faults = gpd.GeoDataFrame(
        {
            "fault_id": [f"f{i}" for i in range(n_faults)],
            "reported_at": pd.Timestamp("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n_faults), unit="D"),
            "simulated": True,
        },
        geometry=shapely.points(fx, fy),
        crs=4326,
    )
    m = 12
    sx = X0 + rng.random(m) * NX * CELL_DEG
    sy = Y0 + rng.random(m) * NY * CELL_DEG
    candidates = gpd.GeoDataFrame(
        {
            "site_id": [f"S{j:02d}" for j in range(m)],
            "name_zh": [f"候选{j}" for j in range(m)],
            "name_en": [f"Candidate {j}" for j in range(m)],
            "category": ["mall", "office", "hospital", "library"] * 3,
        },
        geometry=shapely.points(sx, sy),
        crs=4326,
    )
    existing = gpd.GeoDataFrame(
        {
            "centre_id": ["E1", "E2"],
            "name_zh": ["营业厅一", "营业厅二"],
            "name_en": ["Hall 1", "Hall 2"],
            "simulated": True,
        },
        geometry=shapely.points(
            [X0 + 1.5 * CELL_DEG, X0 + 6.5 * CELL_DEG], [Y0 + 1.5 * CELL_DEG, Y0 + 6.5 * CELL_DEG]
        ),
        crs=4326,
    )
    path = folder / "tiny.gpkg"
    for name, layer in (
        ("population", population),
        ("residential", residential),
        ("fault_records", faults),
        ("candidate_sites", candidates),
        ("existing_centres", existing),
    ):
        layer.to_file(path, layer=name, driver="GPKG")
    return path


def write_tiny_scenario(folder: Path, *, extra: str = "", name: str = "tiny.toml") -> Path:
    """Write the data (once) and a scenario file (``SCENARIO`` + ``extra``) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "tiny.gpkg").exists():
        write_tiny_data(folder)
    path = folder / name
    path.write_text(SCENARIO + extra, encoding="utf-8")
    return path


def plain_table(table: object) -> pd.DataFrame:
    """An ``st.table`` of the app (``AppTest.table[i].value``) as its reader sees it: the
    Markdown escapes and the invisible wrap opportunities (zero-width spaces) taken out."""
    import re

    def plain(value: object) -> object:
        if not isinstance(value, str):
            return value
        return re.sub(r"\\(.)", r"\1", value.replace("\u200b", ""))

    frame = table.value if hasattr(table, "value") else table
    assert isinstance(frame, pd.DataFrame)
    out = frame.map(plain)
    out.columns = [plain(c) for c in frame.columns]
    out.index = frame.index.map(plain)
    return out
