"""End-to-end acceptance matrix: every model and option x two data sets x three ways in.

Data sets
    ``demo``: the Wuhan demo (real population, simulated faults, illustrative halls) at
    4,000 m cells with two candidate categories (rail stations, supermarkets: 16
    candidates plus today's 8 halls), so that brute force over the plans is possible.
    ``own``: a small data set of a planner's own, in other formats, built here: the
    population a zipped Shapefile in EPSG:3857 with a GBK attribute table (no .cpg), the
    candidates a GBK CSV with BD-09 coordinates, today's halls GeoJSON.
Ways in
    ``planner run`` (the CLI, its kpis.json and assignment.csv), ``run_scenario`` (the
    Python API) and the app (Streamlit AppTest: Run on the scenario as the app's demo).
Checks (independent of the optimiser and its own checker)
    feasibility (count, required and excluded sites, capacities, hotspot limits,
    percentile standards, who serves whom), the objective recomputed from the plan, and
    the quality label: a plan called "proven optimal" equals the brute-force optimum.

The fast suite runs every case through ``run_scenario`` on the own data set, three on
the demo, and three each through the CLI and the app; the rest are marked ``slow``.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely
import tomli_w

from planner.cli import main as cli_main
from planner.inputs.datums import gcj02_to_bd09, wgs84_to_gcj02
from planner.runs.config import ModelConfig, load_scenario
from planner.runs.pipeline import load_inputs, plan, run_scenario

ROOT = Path(__file__).resolve().parent.parent
DEMO_GPKG = ROOT / "data" / "geo" / "wuhan_demo.gpkg"
APP = str(ROOT / "app.py")
TOL = 1e-6


# --------------------------------------------------------------------------- data sets


def _demo_doc() -> dict[str, Any]:
    gpkg = str(DEMO_GPKG)
    return {
        "name": "acceptance_demo",
        "data": {
            "population": {"path": gpkg, "layer": "population"},
            "residential": {"path": gpkg, "layer": "residential"},
            "faults": {"path": gpkg, "layer": "fault_records"},
            "candidates": {
                "path": gpkg,
                "layer": "candidate_sites",
                "categories": ["rail_station", "supermarket"],
            },
            "existing": {"path": gpkg, "layer": "existing_centres", "policy": "keep"},
        },
        "demand": {"cell_size_m": 4000.0, "fault_half_life_days": 180},
    }


def _own_files(folder: Path) -> dict[str, Any]:
    """A planner's own small data set in other formats (SYNTHETIC, seeded)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    # population: 6 x 6 cells of 1 km in Web Mercator (EPSG:3857) near central Wuhan
    x0, y0, size = 12_720_000.0, 3_570_000.0, 1_000.0
    ix, iy = np.meshgrid(np.arange(6), np.arange(6))
    minx, miny = x0 + ix.ravel() * size, y0 + iy.ravel() * size
    cells = gpd.GeoDataFrame(
        {
            "格网": [f"网格{i:02d}" for i in range(36)],
            "人口": rng.integers(200, 5000, 36).astype(float),
        },
        geometry=shapely.box(minx, miny, minx + size, miny + size),
        crs=3857,
    )
    shp = folder / "shp"
    shp.mkdir(exist_ok=True)
    cells.to_file(shp / "人口.shp", driver="ESRI Shapefile", encoding="GBK")
    with zipfile.ZipFile(folder / "population.zip", "w") as zf:
        for part in sorted(shp.iterdir()):
            if part.suffix.lower() != ".cpg":  # the reader must find GBK by itself
                zf.write(part, part.name)
    lonlat = cells.geometry.centroid.to_crs(4326)
    lon0, lat0 = float(lonlat.x.min()), float(lonlat.y.min())
    span_lon = float(lonlat.x.max()) - lon0
    span_lat = float(lonlat.y.max()) - lat0
    # candidates: GBK CSV, BD-09 coordinates
    m = 8
    lon = lon0 + rng.random(m) * span_lon
    lat = lat0 + rng.random(m) * span_lat
    blon, blat = gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["编号", "名称", "经度", "纬度"])
    for j in range(m):
        writer.writerow([f"C{j}", f"候选营业厅{j}", f"{blon[j]:.7f}", f"{blat[j]:.7f}"])
    (folder / "candidates.csv").write_bytes(buf.getvalue().encode("gbk"))
    # fault records: GBK CSV, GCJ-02 coordinates (AutoNavi), clustered in three cells
    centre = rng.choice(36, size=3, replace=False)
    pick = rng.choice(centre, size=45)
    flon = lonlat.x.to_numpy()[pick] + rng.normal(0.0, 0.0015, pick.size)
    flat = lonlat.y.to_numpy()[pick] + rng.normal(0.0, 0.0015, pick.size)
    glon, glat = wgs84_to_gcj02(flon, flat)
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["工单号", "经度", "纬度", "报修时间"])
    for k in range(pick.size):
        day = 1 + int(rng.integers(0, 28))
        writer.writerow(
            [f"GD{k:03d}", f"{glon[k]:.7f}", f"{glat[k]:.7f}", f"2026-03-{day:02d} 10:00"]
        )
    (folder / "faults.csv").write_bytes(buf.getvalue().encode("gbk"))
    # today's halls: GeoJSON, WGS84
    gpd.GeoDataFrame(
        {"centre_id": ["E1", "E2"], "name_zh": ["汉口营业厅", "武昌营业厅"]},
        geometry=shapely.points(
            [lon0 + 0.2 * span_lon, lon0 + 0.8 * span_lon],
            [lat0 + 0.3 * span_lat, lat0 + 0.7 * span_lat],
        ),
        crs=4326,
    ).to_file(folder / "existing.geojson", driver="GeoJSON")
    return {
        "name": "acceptance_own",
        "data": {
            "population": {
                "path": str(folder / "population.zip"),
                "population_col": "人口",
                "id_col": "格网",
            },
            "candidates": {
                "path": str(folder / "candidates.csv"),
                "datum": "bd09",
                "lon_col": "经度",
                "lat_col": "纬度",
                "encoding": "gbk",
                "id_col": "编号",
                "name_col": "名称",
            },
            "faults": {
                "path": str(folder / "faults.csv"),
                "datum": "gcj02",
                "lon_col": "经度",
                "lat_col": "纬度",
                "encoding": "gbk",
                "timestamp_col": "报修时间",
            },
            "existing": {"path": str(folder / "existing.geojson"), "policy": "keep"},
        },
        # the faults make hotspots (the upper half of the faulty cells), not demand
        "demand": {"population": 1.0, "residential": 0.0, "faults": 0.0, "hotspot_quantile": 0.5},
    }


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One row of the matrix: a model with options, on a data set."""

    name: str
    model: dict[str, Any]
    existing: dict[str, Any] | None = None  # changes to [data.existing]
    standards: dict[str, Any] | None = None  # changes to [standards]
    exclude: int = 0  # exclude this many candidates (the first ones)


def _cases(
    existing: np.ndarray,
    weight: np.ndarray,
    minutes: np.ndarray,
    hot: np.ndarray,
    free: Any,
) -> list[Case]:
    """Settings that bind on a data set: radius, capacity, costs and limits from its numbers.

    ``free`` is the plan of the ``p_median`` case (p = today's halls + 2): the capacity,
    the percentile standard and the hotspots' response limit are set so that this plan
    breaks them, and the tests check that it does (a row that cannot bind checks nothing).
    """
    kept = int(existing.sum())
    row_min = minutes.min(axis=1)
    p = kept + 2
    total = float(weight.sum())
    near = minutes[:, free.open_sites].min(axis=1)
    loads = np.bincount(free.assignment, weights=weight, minlength=minutes.shape[1])
    # response limit: half-way between the best any site gives the worst hotspot and the
    # free plan's worst
    limit = float(row_min[hot].max() + near[hot].max()) / 2
    # percentile standard: half-way between the free plan's share within a trip length and
    # the most any plan of p halls reaches within it, at the length where they differ most
    kept_idx, candidates = np.flatnonzero(existing), np.flatnonzero(~existing)
    plans = [
        minutes[:, [*kept_idx, *extra]].min(axis=1)
        for extra in itertools.combinations(candidates.tolist(), p - kept)
    ]
    gaps = []
    for q in np.linspace(0.1, 0.9, 17):
        d = float(np.quantile(near, q))
        most = max(weight[trip <= d].sum() for trip in plans)
        gaps.append((most - weight[near <= d].sum(), d, most))
    _, within, most = max(gaps)
    share = (weight[near <= within].sum() + most) / (2 * total)
    return [
        Case("p_median", {"name": "p_median", "p": p}),
        Case("mclp", {"name": "mclp", "p": p, "radius": float(np.quantile(row_min, 0.6))}),
        Case("lscp", {"name": "lscp", "radius": float(row_min.max()) + 0.5}),
        Case("p_center", {"name": "p_center", "p": p}),
        Case(
            "capacitated_p_median",
            {
                "name": "capacitated_p_median",
                "p": p,
                "capacity": min(1.4 * total / p, 0.95 * float(loads.max())),
            },
        ),
        Case(
            "facility_location",
            {"name": "facility_location", "opening_cost": total * float(np.median(row_min)) / 20},
        ),
        Case(
            "percentile_standard",
            {"name": "p_median", "p": p, "percentile_standards": [[within, float(share)]]},
        ),
        Case(
            "hotspots",
            {"name": "p_median", "p": p, "enforce_hotspot_response": True},
            standards={f"response_minutes_{zone}": limit for zone in ("urban", "rural", "remote")},
        ),
        Case(
            "closable_existing",
            {"name": "p_median", "p": p},
            existing={"policy": "may_close"} if kept <= 2 else {"closable": ["__first2__"]},
        ),
        Case("required_and_excluded", {"name": "p_median", "p": p}, exclude=3),
    ]


@dataclass
class DataSet:
    name: str
    folder: Path
    doc: dict[str, Any]
    cases: dict[str, Case]
    existing_ids: list[str]
    candidate_ids: list[str]

    def scenario(self, case: Case, *, tag: str = "") -> Path:
        """The scenario file of a case (outputs kept small)."""
        doc = json.loads(json.dumps(self.doc))
        doc["model"] = dict(case.model)
        if case.existing:
            ex = dict(case.existing)
            if ex.get("closable") == ["__first2__"]:
                ex["closable"] = self.existing_ids[:2]
            doc["data"]["existing"].update(ex)
        if case.exclude:
            doc["data"]["candidates"]["exclude"] = self.candidate_ids[: case.exclude]
        if case.standards:
            doc["standards"] = dict(case.standards)
        doc["solver"] = {"method": "auto", "time_limit_s": 60, "seed": 0}
        doc["outputs"] = {"language": "en", "map": False, "report": False, "geopackage": False}
        path = self.folder / f"{case.name}{tag}.toml"
        path.write_text(tomli_w.dumps(doc), encoding="utf-8")
        return path


def _data_set(name: str, folder: Path, doc: dict[str, Any]) -> DataSet:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "base.toml"
    path.write_text(tomli_w.dumps({**doc, "model": {"name": "p_median", "p": 1}}), "utf-8")
    inputs = load_inputs(load_scenario(path))
    sites = inputs.sites
    existing = sites["existing"].to_numpy(dtype=bool)
    ids = sites["site_id"].astype(str).to_numpy()
    hot = inputs.demand["is_hotspot"].to_numpy(dtype=bool)
    assert hot.any(), f"the {name} data set has no fault hotspot"
    free = plan(inputs, inputs.config.model_copy(
        update={"model": ModelConfig(name="p_median", p=int(existing.sum()) + 2)}
    ))[1]  # fmt: skip
    weight = inputs.demand["weight"].to_numpy()
    cases = _cases(existing, weight, inputs.travel.minutes, hot, free)
    return DataSet(
        name=name,
        folder=folder,
        doc=doc,
        cases={c.name: c for c in cases},
        existing_ids=ids[existing].tolist(),
        candidate_ids=ids[~existing].tolist(),
    )


@pytest.fixture(scope="module")
def data_sets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DataSet]:
    root = tmp_path_factory.mktemp("acceptance")
    return {
        "demo": _data_set("demo", root / "demo", _demo_doc()),
        "own": _data_set("own", root / "own", _own_files(root / "own")),
    }


# --------------------------------------------------------------------------- ways in


@dataclass(frozen=True)
class Outcome:
    """What a way in reports: status words, objective, open sites and who serves whom."""

    status: str
    quality: str
    objective: float
    open_ids: tuple[str, ...]
    served_by: tuple[str, ...]  # site id per demand point, "" where none


def _from_result(result: Any) -> Outcome:
    sol = result.solution
    ids = result.inputs.sites["site_id"].astype(str).to_numpy()
    a = np.asarray(sol.assignment)
    served = np.where(a >= 0, ids[np.maximum(a, 0)], "")
    return Outcome(
        str(sol.status),
        sol.quality(),
        float(sol.objective),
        tuple(ids[sol.open_sites].tolist()),
        tuple(served.tolist()),
    )


def _via_api(path: Path) -> tuple[Outcome, Any]:
    result = run_scenario(path)
    return _from_result(result), result


def _via_cli(path: Path, out: Path) -> Outcome:
    assert cli_main(["run", str(path), "--out", str(out)]) == 0
    doc = json.loads((out / "kpis.json").read_text(encoding="utf-8"))
    sol = doc["solution"]
    with (out / "assignment.csv").open(encoding="utf-8-sig", newline="") as fh:
        served = [row["served_by_site_id"] for row in csv.DictReader(fh)]
    return Outcome(
        sol["status"], sol["quality"], float(sol["objective"]), tuple(doc["open_site_ids"]),
        tuple(served),
    )  # fmt: skip


def _via_app(path: Path, monkeypatch: pytest.MonkeyPatch, library: Path) -> Outcome:
    return _from_result(_app_run(path, monkeypatch, library).result)


def _app_run(path: Path, monkeypatch: pytest.MonkeyPatch, library: Path) -> Any:
    """The app's run (``AppRun``) of a scenario opened as the app's own."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(path))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(library))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.button(key="run_button").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert "run" in at.session_state, [e.value for e in at.error]
    run = at.session_state["run"]
    # the app solved the model of the scenario, every setting of it
    assert run.result.config.model == load_scenario(path).model
    return run


# --------------------------------------------------------------------------- the checker


def _nearest(cost: np.ndarray, open_idx: np.ndarray) -> np.ndarray:
    return cost[:, open_idx].min(axis=1) if open_idx.size else np.full(cost.shape[0], np.inf)


def _settings(result: Any) -> dict[str, Any]:
    """The model's data as plain arrays, read from the scenario and the inputs."""
    cfg, inputs, problem = result.config, result.inputs, result.problem
    m = cfg.model
    cost = np.asarray(problem.cost, dtype=float)
    out: dict[str, Any] = {
        "model": m.name,
        "cost": cost,
        "weight": np.asarray(problem.weight, dtype=float),
        "load": np.asarray(problem.demand_load, dtype=float),
        "required": inputs.sites["keep"].to_numpy(dtype=bool),
        "existing": inputs.sites["existing"].to_numpy(dtype=bool),
        "ids": inputs.sites["site_id"].astype(str).to_numpy(),
        "p": m.p,
        "radius": m.radius,
        # per site: the scenario's one value, or a capacity column of the site layers
        "capacity": None if problem.capacity is None else np.asarray(problem.capacity, float),
        "opening_cost": m.opening_cost,
        "max_sites": m.max_sites,
        "budget": m.budget,
        "standards": [tuple(s) for s in (m.percentile_standards or [])],
        "hot_rows": None,
        "hot_limit": None,
    }
    if m.enforce_hotspot_response:
        s = cfg.standards
        table = {
            "urban": s.response_minutes_urban,
            "rural": s.response_minutes_rural,
            "remote": s.response_minutes_remote,
        }
        d = inputs.demand
        rows = np.flatnonzero(d["is_hotspot"].to_numpy(dtype=bool))
        out["hot_rows"] = rows
        out["hot_limit"] = d["zone"].map(table).to_numpy(dtype=float)[rows]
    return out


def _capacitated(s: dict[str, Any]) -> bool:
    """Whether a point is served by its assigned site, within capacities (not the nearest)."""
    return s["capacity"] is not None and s["model"] in ("capacitated_p_median", "facility_location")


def _score(s: dict[str, Any], open_idx: np.ndarray, assign: np.ndarray | None) -> float:
    """The objective of a plan, from scratch (nan when the plan breaks a rule).

    Capacitated models are scored on ``assign`` (who serves whom), the others on the
    nearest open site.
    """
    cost, w = s["cost"], s["weight"]
    near = _nearest(cost, open_idx)
    if _capacitated(s):
        assert assign is not None
        near = cost[np.arange(cost.shape[0]), assign]
    if s["hot_rows"] is not None and (near[s["hot_rows"]] > s["hot_limit"] + TOL).any():
        return np.nan
    for d, share in s["standards"]:
        if w[near <= d + TOL].sum() < share * w.sum() - TOL:
            return np.nan
    model = s["model"]
    if model == "mclp":
        return float(w[near <= s["radius"] + TOL].sum())
    if model == "lscp":
        return float(open_idx.size) if (near[w > 0] <= s["radius"] + TOL).all() else np.nan
    if model == "p_center":
        return float(near[w > 0].max())
    value = float((w * near).sum())
    if model == "facility_location":
        value += float(s["opening_cost"]) * int((~s["existing"][open_idx]).sum())
    return value


def _gap_assignment(s: dict[str, Any], open_idx: np.ndarray) -> float:
    """Single-source capacitated assignment to ``open_idx``: exact, by scipy's MILP."""
    from scipy.optimize import LinearConstraint, milp

    cost, w, q = s["cost"][:, open_idx], s["weight"], s["load"]
    n, k = cost.shape
    c = (w[:, None] * cost).ravel()
    one = np.kron(np.eye(n), np.ones(k))
    cap = np.zeros((k, n * k))
    for j in range(k):
        cap[j, j::k] = q
    rules = [LinearConstraint(one, 1, 1), LinearConstraint(cap, -np.inf, s["capacity"][open_idx])]
    for d, share in s["standards"]:  # the weight served within d (by the assigned site)
        within = ((cost <= d + TOL) * w[:, None]).ravel()[None, :]
        rules.append(LinearConstraint(within, share * w.sum() - TOL, np.inf))
    res = milp(
        c,
        constraints=rules,
        integrality=np.ones(n * k),
        bounds=(0, 1),
    )
    return float(res.fun) if res.status == 0 else np.inf


def brute_force(s: dict[str, Any]) -> float:
    """The optimum by enumerating every plan (subsets of sites with the required ones)."""
    required = np.flatnonzero(s["required"])
    free = np.flatnonzero(~s["required"])
    model = s["model"]
    sense = -1.0 if model == "mclp" else 1.0
    if model == "lscp" or (model == "facility_location" and s["p"] is None):
        most = free.size if s["max_sites"] is None else s["max_sites"] - required.size
        sizes: Any = range(0, most + 1)
    else:
        sizes = [s["p"] - required.size]
    best = np.inf
    candidates = []
    for k in sizes:
        for extra in itertools.combinations(free.tolist(), k):
            idx = np.sort(np.concatenate([required, np.asarray(extra, dtype=np.int64)]))
            if idx.size == 0:
                continue
            opening = 0.0
            if model == "facility_location":
                opening = float(s["opening_cost"]) * int((~s["existing"][idx]).sum())
                if s["budget"] is not None and opening > s["budget"] + TOL:
                    continue
            if _capacitated(s):
                # the uncapacitated cost is a lower bound: assign exactly only where it can win
                low = float((s["weight"] * _nearest(s["cost"], idx)).sum()) + opening
                candidates.append((low, opening, idx))
                continue
            value = _score(s, idx, None)
            if np.isfinite(value):
                best = min(best, sense * value)
        if model == "lscp" and np.isfinite(best):
            break
    for low, opening, idx in sorted(candidates, key=lambda t: t[0]):
        if low >= best - TOL:
            break
        best = min(best, _gap_assignment(s, idx) + opening)
    return sense * best


def check(outcome: Outcome, result: Any, oracle: dict[tuple[str, str], float], key: Any) -> None:
    """Independent checks of one way in's answer against the rules and the optimum."""
    s = _settings(result)
    ids = s["ids"]
    if key not in oracle:
        oracle[key] = brute_force(s)
    best = oracle[key]
    if outcome.status == "infeasible":  # then no plan may exist at all
        assert not np.isfinite(best), f"called infeasible, but a plan of value {best} exists"
        return
    assert outcome.status in ("optimal", "feasible"), outcome
    index = {sid: j for j, sid in enumerate(ids)}
    open_idx = np.sort(np.asarray([index[i] for i in outcome.open_ids], dtype=np.int64))
    assign = np.asarray([index.get(i, -1) for i in outcome.served_by], dtype=np.int64)
    # the plan's rules
    assert len(set(outcome.open_ids)) == len(outcome.open_ids)
    assert s["required"][open_idx].sum() == s["required"].sum(), "a required hall closed"
    if s["p"] is not None:
        assert open_idx.size == s["p"]
    w = s["weight"]
    served = assign >= 0
    assert np.isin(assign[served], open_idx).all(), "a point served by a closed site"
    if s["model"] == "mclp":
        near = _nearest(s["cost"], open_idx)
        assert (served == ((near <= s["radius"] + TOL) & (w > 0)) | served).all()
    elif s["model"] != "lscp":
        assert served[(w > 0) | (s["load"] > 0)].all(), "a point with demand left unserved"
    if s["max_sites"] is not None:
        assert open_idx.size <= s["max_sites"]
    if s["budget"] is not None:
        opened = int((~s["existing"][open_idx]).sum())
        assert float(s["opening_cost"]) * opened <= s["budget"] + TOL, "over the budget"
    if _capacitated(s):
        loads = np.bincount(assign[served], weights=s["load"][served], minlength=ids.size)
        assert (loads <= s["capacity"] * (1 + 1e-9) + TOL).all(), "capacity exceeded"
        assert s["capacity"][open_idx].min() > 0
        value = _score(s, open_idx, assign)
    else:
        near = _nearest(s["cost"], open_idx)
        rows = np.flatnonzero(served)
        got = s["cost"][rows, assign[rows]]
        assert np.allclose(got, near[rows], rtol=1e-9, atol=TOL), "not the nearest open site"
        value = _score(s, open_idx, None)
    assert np.isfinite(value), "the plan breaks a hotspot limit or a percentile standard"
    assert outcome.objective == pytest.approx(value, rel=1e-7, abs=1e-6)
    # the label
    if outcome.status == "optimal":
        assert outcome.quality == "proven optimal"
        assert value == pytest.approx(best, rel=1e-6, abs=1e-6), "called optimal, is not"
    elif s["model"] == "mclp":
        assert value <= best + TOL
    else:
        assert value >= best - TOL


# --------------------------------------------------------------------------- the matrix

CASE_NAMES = [
    "p_median",
    "mclp",
    "lscp",
    "p_center",
    "capacitated_p_median",
    "facility_location",
    "percentile_standard",
    "hotspots",
    "closable_existing",
    "required_and_excluded",
]

#: Cases whose setting the free p-median plan breaks (see :func:`_cases`).
BINDING = ("percentile_standard", "hotspots")

_ORACLE: dict[Any, float] = {}
_API: dict[tuple[str, str], Any] = {}


def _api_result(ds: DataSet, case: str) -> Any:
    if (ds.name, case) not in _API:
        _API[(ds.name, case)] = _via_api(ds.scenario(ds.cases[case]))
    return _API[(ds.name, case)]


@pytest.mark.parametrize(
    ("data", "case"),
    [
        pytest.param(data, case, marks=pytest.mark.slow if data == "demo" and case not in
                     ("p_median", "mclp", "facility_location") else ())
        for data in ("own", "demo")
        for case in CASE_NAMES
    ],
)  # fmt: skip
def test_run_scenario(data_sets: dict[str, DataSet], data: str, case: str) -> None:
    ds = data_sets[data]
    outcome, result = _api_result(ds, case)
    check(outcome, result, _ORACLE, (data, case))
    if case == "required_and_excluded":
        assert not set(outcome.open_ids) & set(ds.candidate_ids[:3])
    if case == "closable_existing":
        assert result.inputs.sites["keep"].sum() < len(ds.existing_ids)
    if case in BINDING:  # the setting binds: the plan without it breaks it
        free, _ = _api_result(ds, "p_median")
        s = _settings(result)
        index = {sid: j for j, sid in enumerate(s["ids"])}
        open_free = np.asarray([index[i] for i in free.open_ids])
        assign = np.asarray([index[i] for i in free.served_by])
        assert np.isnan(_score(s, open_free, assign)) or outcome.status == "infeasible"
    if case == "capacitated_p_median":  # the free plan's busiest hall is over capacity
        free, _ = _api_result(ds, "p_median")
        s = _settings(result)
        index = {sid: j for j, sid in enumerate(s["ids"])}
        assign = np.asarray([index[i] for i in free.served_by])
        loads = np.bincount(assign, weights=s["load"], minlength=s["ids"].size)
        assert (loads > s["capacity"] + TOL).any()
    if case == "facility_location":  # opening costs trade against travel: some open, not all
        new = set(outcome.open_ids) - set(ds.existing_ids)
        assert 0 < len(new) < len(ds.candidate_ids)


#: (data set, case) run by the CLI and the app in the fast suite; the rest are ``slow``.
FAST_FACES = {
    "planner_run": {
        ("own", "p_median"),
        ("own", "capacitated_p_median"),
        ("own", "facility_location"),
    },
    "app": {("own", "p_median"), ("own", "percentile_standard"), ("own", "facility_location")},
}


def _grid(face: str) -> list[Any]:
    return [
        pytest.param(data, case, marks=() if (data, case) in FAST_FACES[face] else pytest.mark.slow)
        for data in ("own", "demo")
        for case in CASE_NAMES
    ]


@pytest.mark.parametrize(("data", "case"), _grid("planner_run"))
def test_planner_run(data_sets: dict[str, DataSet], data: str, case: str, tmp_path: Path) -> None:
    ds = data_sets[data]
    outcome = _via_cli(ds.scenario(ds.cases[case], tag="_cli"), tmp_path / "out")
    _, result = _api_result(ds, case)
    check(outcome, result, _ORACLE, (data, case))


@pytest.mark.parametrize(("data", "case"), _grid("app"))
def test_app(
    data_sets: dict[str, DataSet],
    data: str,
    case: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ds = data_sets[data]
    outcome = _via_app(ds.scenario(ds.cases[case], tag="_app"), monkeypatch, tmp_path / "lib")
    _, result = _api_result(ds, case)
    check(outcome, result, _ORACLE, (data, case))


# --------------------------------------------------------------------------- impossible settings

#: Settings no plan can meet on the own data set, and what a planner must read: exit 3 (no
#: plan, proven) with the numbers and the fix in the scenario's own settings, or exit 2
#: (a setting that cannot be right) naming the setting. ``{total}``: the total demand.
IMPOSSIBLE: dict[str, tuple[dict[str, Any], int, tuple[str, ...], tuple[str, ...]]] = {
    "capacity_below_demand": (
        {"name": "capacitated_p_median", "p": 4, "capacity": 10_000.0},
        3,
        ("exceeds the largest capacity", "40000 with p = 4", "short by"),
        (),
    ),
    "a_point_above_every_capacity": (
        {"name": "capacitated_p_median", "p": 10, "capacity": 4_000.0},
        3,
        ("need more than the capacity of any site", "model.capacity"),
        ("split=True",),  # a solve() argument, no setting of a scenario
    ),
    "standard_p_cannot_meet": (
        {"name": "p_median", "p": 3, "percentile_standards": [[3.0, 0.5]]},
        3,
        ("with p = 3 centres at most 18.87 %", "raise p to at least 7"),
        ("capacities", "budget"),
    ),
    "standard_no_site_can_meet": (
        {"name": "mclp", "p": 3, "radius": 3.0, "percentile_standards": [[0.5, 0.9]]},
        3,
        ("even with every site open only",),
        (),
    ),
    "p_above_the_sites": ({"name": "p_median", "p": 99}, 2, ("model.p = 99", "lower `p`"), ()),
    "max_sites_below_the_kept": (
        {"name": "facility_location", "opening_cost": 1000.0, "max_sites": 1},
        2,
        ("model.max_sites = 1", "policy = 'may_close'"),
        (),
    ),
}


@pytest.mark.parametrize("case", list(IMPOSSIBLE))
def test_impossible_settings_say_why_and_the_fix(
    data_sets: dict[str, DataSet], case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ds = data_sets["own"]
    model, code, said, unsaid = IMPOSSIBLE[case]
    path = ds.scenario(Case(case, model), tag="_impossible")
    assert cli_main(["run", str(path), "--out", str(tmp_path / "out")]) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for words in said:
        assert words in err, err
    for words in unsaid:
        assert words not in err, err
    if code == 3:  # the same words from the Python API, and in Chinese too
        result = run_scenario(path)
        assert not result.solution.has_plan
        why = result.why_no_plan("en")
        assert all(words in why for words in said), why
        assert result.why_no_plan("zh")
        assert not (tmp_path / "out" / "kpis.json").exists()  # nothing that looks like a plan


# --------------------------------------------------------------------------- the app keeps the file

#: Scenario settings the app's page has no field for: opened in the app (as its scenario),
#: Run must solve the file's model all the same, and find the plan ``planner run`` finds.
UNSHOWN: dict[str, tuple[dict[str, Any], str]] = {
    "two_percentile_standards": (
        {"name": "p_median", "p": 6, "percentile_standards": [[4.0, 0.6], [2.0, 0.2]]},
        "model.percentile_standards[1:] = [[2.0, 0.2]]",
    ),
    "distance_cost": (
        {"name": "mclp", "p": 4, "cost": "distance", "radius": 1500.0},
        'model.cost = "distance"; model.radius = 1500.0',
    ),
    "facility_location_exact_p": (
        {"name": "facility_location", "opening_cost": 1000.0, "p": 4}, "model.p = 4",
    ),
    "facility_location_default_capacity": (
        {"name": "facility_location", "opening_cost": 1000.0, "capacity": 30_000.0},
        "model.capacity = 30000.0",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", list(UNSHOWN))
def test_app_solves_the_scenario_it_opened(
    data_sets: dict[str, DataSet], case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamlit.testing.v1 import AppTest

    ds = data_sets["own"]
    model, kept = UNSHOWN[case]
    path = ds.scenario(Case(case, model), tag="_unshown")
    run = _app_run(path, monkeypatch, tmp_path / "lib")
    in_app = _from_result(run.result)
    # the scenario the app hands out ("download scenario") gives planner run the same plan
    from planner.app.downloads import download_files

    _name, _mime, make = download_files(run, "en")["bundle"]
    with zipfile.ZipFile(io.BytesIO(make())) as zf:
        zf.extractall(tmp_path / "bundle")
    again = _via_cli(tmp_path / "bundle" / "scenario.toml", tmp_path / "again")
    assert again.open_ids == in_app.open_ids
    assert again.objective == pytest.approx(in_app.objective, rel=1e-9)
    # the Model step says what it keeps from the file
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="step").set_value("model").run()
    assert kept in " ".join(str(i.value) for i in at.info)
    # fields in minutes that the file's metres replace are shown but not editable
    in_metres = model.get("cost") == "distance"
    assert at.number_input(key="service_minutes").disabled is in_metres
    assert at.number_input(key="percentile_minutes").disabled is in_metres
    outcome, result = _via_api(path)
    assert in_app.open_ids == outcome.open_ids
    assert in_app.objective == pytest.approx(outcome.objective, rel=1e-9)
    check(in_app, result, {}, (case,))


@pytest.mark.parametrize("model", ["p_center", "lscp"])
def test_a_method_the_model_has_not_is_refused_by_name_and_not_offered(
    data_sets: dict[str, DataSet],
    model: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """p-center and set covering have exact methods only: ``method = "heuristic"`` is a setting
    error naming ``solver.method`` (it was a solve() message, ``method='exact'``), and the
    app offers only the methods the chosen model has (it offered 'heuristic', then failed)."""
    from streamlit.testing.v1 import AppTest

    ds = data_sets["own"]
    settings = {"name": model, "p": 4} if model == "p_center" else {"name": model, "radius": 9.0}
    path = ds.scenario(Case(f"{model}_heuristic", settings), tag="_method")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["solver"]["method"] = "heuristic"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    assert cli_main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "solver.method" in err
    assert "method='exact'" not in err
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(ds.scenario(Case(model, settings))))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "lib"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="step").set_value("model").run()
    assert not at.exception, [e.value for e in at.exception]
    from planner.present.i18n import t

    offered = list(at.selectbox(key="solver_method").options)
    assert offered == [t("app_method_auto", "en"), t("app_method_exact", "en")]


@pytest.mark.parametrize(
    "limits",
    [{"enforce_hotspot_response": True}, {"percentile_standards": [[3.0, 0.5]]}],
    ids=["hotspots", "percentile_standard"],
)
def test_the_heuristic_with_hard_limits_is_refused_by_name_before_run(
    data_sets: dict[str, DataSet],
    limits: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The heuristic methods take no hard limits (hotspot response, percentile standards):
    planner run names the settings (it said 'does not take hotspot_rows', a solve()
    argument), and the app says so beside the method and keeps Run off (it failed after Run)."""
    from streamlit.testing.v1 import AppTest

    ds = data_sets["own"]
    path = ds.scenario(Case("heuristic_limits", {"name": "p_median", "p": 4, **limits}))
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["solver"]["method"] = "heuristic"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    assert cli_main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "solver.method = 'heuristic'" in err
    assert f"model.{next(iter(limits))}" in err
    assert "hotspot_rows" not in err
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(path))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "lib"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="step").set_value("model").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.sidebar.button(key="run_button").disabled
    shown = " ".join(str(e.value) for e in at.main.error)
    assert "Heuristic" in shown or "heuristic" in shown, shown


@pytest.mark.parametrize("seconds", [1.0, 7200.0])
def test_app_keeps_the_scenarios_time_limit(
    data_sets: dict[str, DataSet], seconds: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A scenario's time limit is the app's (1 s ran with 5 s, and 7,200 s with 5 s: the
    sidebar field's bounds, 5-3,600 s, replaced it without a word)."""
    ds = data_sets["own"]
    path = ds.scenario(Case("time_limit", {"name": "p_median", "p": 4}), tag=f"_{seconds:g}s")
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["solver"]["time_limit_s"] = seconds
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    run = _app_run(path, monkeypatch, tmp_path / "lib")
    assert run.result.config.solver == load_scenario(path).solver


def test_app_keeps_a_large_p_on_the_model_step(
    data_sets: dict[str, DataSet], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's p above 1,000 stays what the scenario says once the Model step is shown
    (the field's upper bound, 1,000, replaced it by 1: another plan, or a wrong red note)."""
    from streamlit.testing.v1 import AppTest

    ds = data_sets["own"]
    path = ds.scenario(Case("large_p", {"name": "p_median", "p": 1200}))
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(path))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "lib"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.radio(key="step").set_value("model").run()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["p"] == 1200
    assert any("p = 1200 is more than" in str(e.value) for e in at.main.error)


def test_app_keeps_scenario_values_outside_the_fields_usual_ranges(
    data_sets: dict[str, DataSet], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every step shown, a scenario's values beyond a field's usual range stay what the
    scenario says (a 3.0 detour became 2.5, a 900-minute standard 600, a 0.995 hotspot
    quantile 0.99: Streamlit replaced them by the field's bound, without a word), and
    the app's scenario is the file's."""
    from streamlit.testing.v1 import AppTest

    from planner.app.state import state_from_config

    ds = data_sets["own"]
    path = ds.scenario(Case("wide_values", {"name": "p_median", "p": 4}))
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    doc["demand"].update(
        {"population": 2.0, "hotspot_quantile": 0.995, "fault_half_life_days": 5000.0,
         "cell_size_m": 25_000.0}
    )  # fmt: skip
    doc["travel"] = {
        "method": "straight_line", "detour_factor": 3.0, "speed_kmh": 150.0,
        "cutoff_minutes": 900.0, "max_snap_m": 80_000.0,
    }  # fmt: skip
    doc["standards"] = {
        "service_minutes": [700.0, 900.0], "response_minutes_urban": 2000.0,
        "response_minutes_rural": 2500.0, "response_minutes_remote": 3000.0,
    }  # fmt: skip
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    wanted = state_from_config(load_scenario(path))
    keys = [
        "w_population", "hotspot_quantile", "half_life_days", "cell_size_m", "detour_factor",
        "speed_kmh", "service_minutes", "service_minutes_2", "response_urban",
        "response_rural", "response_remote",
    ]  # fmt: skip
    monkeypatch.setenv("PLANNER_DEMO_SCENARIO", str(path))
    monkeypatch.setenv("PLANNER_LIBRARY_DIR", str(tmp_path / "lib"))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for step in ("data", "demand", "sites", "travel", "model"):
        at.radio(key="step").set_value(step).run()
        assert not at.exception, [e.value for e in at.exception]
    assert {k: at.session_state[k] for k in keys} == {k: wanted[k] for k in keys}
    # the road-network fields, shown once the planner picks roads
    at.radio(key="step").set_value("travel").run()
    at.radio(key="travel_method").set_value("network").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["cutoff_minutes"] == wanted["cutoff_minutes"] == 900.0
    assert at.session_state["max_snap_m"] == wanted["max_snap_m"] == 80_000.0
