"""The proposal report (report.html), its trade-off chart and the GeoPackage export."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from map_fixtures import make_inputs, travel

from planner.errors import ConfigError, InputError
from planner.evaluate.kpis import baseline_kpis, plan_kpis
from planner.evaluate.tradeoff import tradeoff_curve
from planner.optimize.solution import Solution
from planner.present.charts import chart_svg, tradeoff_spec, tradeoff_svg
from planner.present.export import export_plan_gpkg
from planner.present.maps import map_html, plan_map, travel_note_text
from planner.present.report import report_html, write_report
from planner.runs.results import RobustnessResult

OPEN = [0, 1, 2]
GENERATED = "2026-01-01 00:00 UTC"


def _solution(open_sites: list[int], n: int) -> Solution:
    return Solution(
        open_sites=np.array(open_sites),
        assignment=np.full(n, -1),
        objective=float(len(open_sites)),
        bound=None,
        gap=None,
        status="optimal",
        runtime_s=0.0,
        model="p_median",
        method="exact",
        solver="highs",
    )


@pytest.fixture(scope="module")
def plan() -> SimpleNamespace:
    demand, sites = make_inputs()
    tm = travel(demand, sites)
    cols = {
        "population": demand["population"],
        "pop_65plus": demand["pop_65plus"],
        "fault_intensity": demand["fault_intensity"],
        "zone": demand["zone"],
        "is_hotspot": demand["is_hotspot"],
    }
    kpis = plan_kpis(
        OPEN,
        minutes=tm.minutes,
        distance_m=tm.distance_m,
        capacity=np.full(6, 20_000.0),
        demand_ids=list(demand["demand_id"]),
        **cols,
    )
    base = baseline_kpis([1, 4], minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    sols = [_solution(list(range(p)), len(demand)) for p in range(1, 6)]
    curve = tradeoff_curve(
        sols, minutes=tm.minutes, population=demand["population"], standard_minutes=3.0
    )
    return SimpleNamespace(demand=demand, sites=sites, tm=tm, kpis=kpis, base=base, curve=curve)


def _report(plan: SimpleNamespace, **kw: object) -> str:
    sites, tm, kpis, base, curve = plan.sites, plan.tm, plan.kpis, plan.base, plan.curve
    args = {
        "kpis": kpis,
        "baseline": base,
        "sites": sites,
        "tradeoff": curve,
        "parameters": {
            "model": "p_median",
            "p": 3,
            "travel": {"detour_factor": 1.3, "speed_kmh": 25.0},
        },
        "attribution": ["WorldPop (CC BY 4.0)", "© OpenStreetMap contributors (ODbL)"],
        "travel_note": travel_note_text(tm, kw.get("language", "zh")),
        "generated": GENERATED,
    }
    args.update(kw)
    return report_html(**args)


def _cells(page: str, section: str) -> list[list[str]]:
    block = re.search(rf'<section id="{section}"[^>]*>(.*?)</section>', page, re.DOTALL)
    assert block is not None, section
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", block.group(1), re.DOTALL)
    return [
        [html.unescape(c.strip()) for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.DOTALL)]
        for r in rows
    ]


# --- report ---------------------------------------------------------------------------------


def test_report_kpi_table_against_the_baseline(plan: SimpleNamespace) -> None:
    kpis, base = plan.kpis, plan.base
    page = _report(plan, language="en")
    rows = {r[0]: r[1:] for r in _cells(page, "kpis")}
    assert rows["Indicator"] == ["Plan", "Today", "Change"]
    assert rows["Service centres"] == ["3", "2", "+1"]
    plan_mean, base_mean = kpis.minutes.mean, base.minutes.mean
    assert rows["Mean travel (min)"] == [
        f"{plan_mean:,.1f}",
        f"{base_mean:,.1f}",
        f"{plan_mean - base_mean:+,.1f}",
    ]
    assert (
        rows["Population within 15 min"][0] == f"{100 * kpis.summary()['within_15min_share']:.1f}%"
    )
    # a shorter travel time is better: coloured green
    assert re.search(r'<td class="better">-', page)


def test_report_lists_chosen_sites_with_names_categories_and_status(plan: SimpleNamespace) -> None:
    kpis = plan.kpis
    rows = _cells(_report(plan, language="en"), "sites")
    assert rows[0][:4] == ["#", "Name", "Category", "Status"]
    assert [r[:4] for r in rows[1:]] == [
        ["1", "Guanggu Plaza", "Mall", "new"],
        ["2", "Jianghan Rd", "Office", "kept"],
        ["3", "Zhongnan Hospital", "Hospital", "new"],
    ]
    pops = [float(r[4].replace(",", "")) for r in rows[1:]]
    assert pops == pytest.approx(kpis.per_centre["population"].round().tolist())
    zh = _cells(_report(plan), "sites")
    assert [r[1] for r in zh[1:]] == ["光谷广场", "江汉路", "中南医院"]
    assert "关闭的现有营业厅" in _report(plan)
    assert "武昌站" in _report(plan)


def test_report_has_chart_parameters_attribution_and_notes(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en")
    assert page.count("<svg") == 1
    params = {r[0]: r[1] for r in _cells(page, "parameters")}
    assert params["travel.detour_factor"] == "1.3"
    assert params["model"] == "p_median"
    assert "WorldPop (CC BY 4.0)" in page
    assert "© OpenStreetMap contributors (ODbL)" in page
    assert "Straight-line distance x detour factor 1.3 at 25 km/h, no road network" in page
    assert "Fault records are SIMULATED" in page
    assert "@media print" in page
    assert "size: A4" in page
    assert '<html lang="en">' in page
    assert '<html lang="zh-CN">' in _report(plan)


def test_report_header_names_the_model_and_how_good_the_plan_is(plan: SimpleNamespace) -> None:
    n = len(plan.demand)
    optimal = _solution(OPEN, n)
    page = _report(plan, language="en", solution=optimal)
    header = re.search(r"<header>(.*?)</header>", page, re.DOTALL)
    assert header is not None
    assert "p-median (least total travel)" in header.group(1)
    assert '<b class="quality">proven optimal</b>' in header.group(1)
    gap = replace(optimal, status="feasible", gap=0.004, bound=0.9)
    page = _report(plan, language="en", solution=gap)
    assert "within 0.40 % of optimal (certified)" in page
    assert "proven optimal" not in page
    no_bound = replace(optimal, status="feasible", gap=None)
    zh = _report(plan, solution=no_bound.to_dict())
    assert "可行方案（无最优性保证）" in zh
    assert "已证明最优" not in zh
    assert "quality" not in _report(plan)  # no solution given: no claim made
    with pytest.raises(InputError, match="`solution` must be"):
        _report(plan, solution=3)


def test_printed_page_keeps_the_halls_serving_most_people(
    plan: SimpleNamespace, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planner.present.report as report

    monkeypatch.setattr(report, "PRINT_SITE_ROWS", 2)
    page = _report(plan, language="en")
    block = re.search(r'<section id="sites">(.*?)</section>', page, re.DOTALL)
    assert block is not None
    rows = re.findall(r"<tr( class=\"screen-only\")?><td>(\d+)</td>", block.group(1))
    people = plan.kpis.per_centre["population"].to_numpy()
    least = int(np.argmin(people)) + 1
    assert [(int(n), bool(c)) for c, n in rows] == [(i, i == least) for i in (1, 2, 3)]
    assert "lists the 2 centres serving the most people; 1 more" in page
    assert "All 3: report.html on screen, kpis.json and assignment.csv" in page
    # all of them fit: no note
    monkeypatch.setattr(report, "PRINT_SITE_ROWS", 3)
    assert "serving the most people" not in _report(plan, language="en")


def test_printed_page_says_what_it_leaves_out(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en")
    assert "@page { size: A4 portrait" in page
    assert '<section id="parameters" class="screen-only">' in page
    assert re.search(r'<div class="grid2 screen-only">\s*<section id="worst">', page)
    assert (
        "Not printed: Worst-served demand points, Fault hotspots and repair response, "
        "Scenario parameters; see report.html on screen" in page
    )
    # distances and the median stay on screen; the headline rows print
    assert '<tr class="screen-only"><td>Mean travel (km)</td>' in page
    assert "<tr><td>Mean travel (min)</td>" in page
    bare = _report(plan, language="en", parameters=None, show_worst=False)
    assert "Not printed" not in bare


def test_fault_flag_follows_the_data(plan: SimpleNamespace) -> None:
    demand, tm = plan.demand, plan.tm
    assert "SIMULATED" not in _report(plan, language="en", simulated_faults=False)
    no_faults = plan_kpis(
        OPEN, minutes=tm.minutes, distance_m=tm.distance_m, population=demand["population"]
    )
    assert "SIMULATED" not in _report(plan, language="en", kpis=no_faults, baseline=None)


def test_report_without_baseline_map_or_tradeoff(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en", baseline=None, tradeoff=None, sites=None)
    rows = _cells(page, "kpis")
    assert rows[0] == ["Indicator", "Plan"]
    assert "no existing centres to compare" in page
    assert "<svg" not in page
    assert "<iframe" not in page
    assert "(no map)" in page


def test_report_embeds_the_standalone_map(plan: SimpleNamespace, tmp_path: Path) -> None:
    demand, sites, kpis = plan.demand, plan.sites, plan.kpis
    m = plan_map(demand, sites, OPEN, kpis=kpis, kpi_panel=False, language="en")
    map_page = map_html(m)
    out = write_report(tmp_path / "report.html", **{**_report_args(plan), "map_html": map_page})
    page = out.read_text(encoding="utf-8")
    src = re.search(r'srcdoc="([^"]*)"', page)
    assert src is not None
    assert html.unescape(src.group(1)) == map_page
    assert not re.search(r"<script[^>]+src=", page)
    assert list(tmp_path.iterdir()) == [out]


def _report_args(plan: SimpleNamespace) -> dict[str, object]:
    sites, kpis, base, curve = plan.sites, plan.kpis, plan.base, plan.curve
    return {
        "kpis": kpis,
        "baseline": base,
        "sites": sites,
        "tradeoff": curve,
        "generated": GENERATED,
    }


def test_user_text_is_escaped(plan: SimpleNamespace) -> None:
    sites = plan.sites
    evil = sites.copy()
    evil.loc[0, "name_en"] = "<script>alert(1)</script>"
    page = _report(plan, language="en", sites=evil, title="<b>t</b>", parameters={"<x>": "<y>"})
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>t</b>" not in page


def test_report_is_deterministic(plan: SimpleNamespace) -> None:
    assert _report(plan) == _report(plan)


def test_report_errors(plan: SimpleNamespace, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="language"):
        _report(plan, language="fr")
    with pytest.raises(InputError, match="PlanKPIs"):
        _report(plan, kpis={"not": "kpis"})
    with pytest.raises(InputError, match="does not exist"):
        write_report(tmp_path / "nope" / "r.html", **_report_args(plan))


# --- robustness section -----------------------------------------------------------------------

#: Six draws: s0 always chosen, s1 in 5, s3 (not in the plan) in 2, s2 in 1, s5 in 1 (not listed).
_TIMES = {"s0": 6, "s1": 5, "s2": 1, "s3": 2, "s4": 0, "s5": 1}
_SPREAD = {
    "objective": (900.0, 880.0, 950.0),
    "mean_minutes": (4.21, 3.9, 4.44),
    "p90_minutes": (7.0, 6.5, 7.25),
    "within_15min_share": (0.91, 0.875, 0.95),
    "faults_within_response_share": (0.8, 0.7, 0.85),
}


def _robustness_result(plan: SimpleNamespace) -> RobustnessResult:
    """A hand-made result for the plan OPEN = s0, s1, s2 of the map fixtures."""
    sites = plan.sites
    times = np.array([_TIMES[s] for s in sites["site_id"]])
    site_frequency = pd.DataFrame(
        {
            "site_index": np.arange(len(sites)),
            "site_id": sites["site_id"].to_numpy(),
            "name_zh": sites["name_zh"].to_numpy(),
            "name_en": sites["name_en"].to_numpy(),
            "category": sites["category"].to_numpy(),
            "existing": sites["existing"].to_numpy(),
            "keep": sites["keep"].to_numpy(),
            "lon": sites.geometry.x.to_numpy(),
            "lat": sites.geometry.y.to_numpy(),
            "in_base_plan": np.isin(np.arange(len(sites)), OPEN),
            "times_chosen": times,
            "frequency": times / 6.0,
        }
    )
    spread = pd.DataFrame(
        {
            "base": [v[0] for v in _SPREAD.values()],
            "mean": [v[0] for v in _SPREAD.values()],
            "std": 0.1,
            "p5": [v[1] for v in _SPREAD.values()],
            "p50": [v[0] for v in _SPREAD.values()],
            "p95": [v[2] for v in _SPREAD.values()],
            "min": [v[1] for v in _SPREAD.values()],
            "max": [v[2] for v in _SPREAD.values()],
        },
        index=list(_SPREAD),
    )
    return RobustnessResult(
        site_frequency=site_frequency,
        kpi_spread=spread,
        draws=pd.DataFrame({"draw": range(1, 7), "status": ["optimal"] * 6}),
        base_open_sites=np.array(OPEN),
        relative_error={"population": 0.2, "residential": 0.0, "faults": 0.3},
        distribution="lognormal",
        n_draws=6,
        seed=7,
        scheduler="serial",
        n_workers=1,
        wall_s=1.0,
    )


def _table(page: str, table_id: str) -> list[list[str]]:
    block = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.DOTALL)
    assert block is not None, table_id
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", block.group(1), re.DOTALL)
    cells = [re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.DOTALL) for r in rows]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in row] for row in cells]


def test_report_robustness_lists_the_plan_and_frequent_sites(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en", robustness=_robustness_result(plan))
    assert '<section id="robustness" class="screen-only">' in page
    rows = _table(page, "robustness-sites")
    assert rows[0] == ["Plan #", "Name", "Category", "Times chosen", "Chosen in"]
    # most frequent first; s3 is listed (2 of 6 >= 20 %), s5 (1 of 6) is not, s4 never chosen
    assert rows[1:] == [
        ["1", "Guanggu Plaza", "Mall", "6 / 6", "100%"],
        ["2", "Jianghan Rd", "Office", "5 / 6", "83%"],
        ["–", "Library", "Library", "2 / 6", "33%"],
        ["3", "Zhongnan Hospital", "Hospital", "1 / 6", "17%"],
    ]
    assert 'style="width: 83%"' in page  # the frequency bar
    assert "any other site chosen in at least 20% of the draws" in page


def test_report_robustness_shows_the_kpi_spread_and_the_settings(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en", robustness=_robustness_result(plan))
    rows = _table(page, "robustness-kpis")
    assert rows[0] == ["Indicator", "Plan", "P5", "P50", "P95"]
    assert rows[1:] == [
        ["Mean travel (min)", "4.2", "3.9", "4.2", "4.4"],
        ["90th percentile travel (min)", "7.0", "6.5", "7.0", "7.2"],
        ["Population within 15 min", "91.0%", "87.5%", "91.0%", "95.0%"],
        ["Faults within the repair response standard", "80.0%", "70.0%", "80.0%", "85.0%"],
    ]
    assert (
        "The plan was re-solved 6 times with random errors added to the demand data (6 gave a "
        "plan; log-normal noise, relative errors: population 20%, residential density 0%, "
        "faults 30%; seed 7)."
    ) in page


def test_report_robustness_takes_the_dict_and_speaks_chinese(plan: SimpleNamespace) -> None:
    result = _robustness_result(plan)
    as_dict = json.loads(json.dumps(result.to_dict()))  # e.g. read back from robustness.json
    en = _report(plan, language="en", robustness=as_dict)
    assert en == _report(plan, language="en", robustness=result)
    zh = _report(plan, robustness=as_dict)
    assert [r[1] for r in _table(zh, "robustness-sites")[1:]] == [
        "光谷广场",
        "江汉路",
        "图书馆",
        "中南医院",
    ]
    assert "选址稳健性" in zh
    assert "重新求解 6 次" in zh
    assert "人口 20%、居住密度 0%、故障 30%" in zh
    assert "对数正态" in zh


def test_report_without_robustness_has_no_section(plan: SimpleNamespace) -> None:
    page = _report(plan, language="en")
    assert 'id="robustness"' not in page
    assert "Site robustness" not in page


def test_report_robustness_errors_and_no_plan(plan: SimpleNamespace) -> None:
    good = _robustness_result(plan).to_dict()
    with pytest.raises(InputError, match="another plan"):
        _report(plan, robustness={**good, "base_open_site_ids": ["s0", "s1", "s3"]})
    with pytest.raises(InputError, match="'kpi_spread'"):
        _report(plan, robustness={k: v for k, v in good.items() if k != "kpi_spread"})
    with pytest.raises(InputError, match="RobustnessResult"):
        _report(plan, robustness=[1, 2])
    none_solved = {**good, "n_with_plan": 0}
    page = _report(plan, language="en", robustness=none_solved)
    assert "No draw produced a plan." in page
    assert 'id="robustness-sites"' not in page


# --- trade-off chart --------------------------------------------------------------------------


def _lines(root: ET.Element) -> list[list[tuple[float, float]]]:
    """The vertices of each drawn line of a rendered chart, in drawing order."""
    ns = "{http://www.w3.org/2000/svg}"
    out = []
    for g in root.iter(f"{ns}g"):
        if "mark-line" in (g.get("class") or ""):
            for path in g.iter(f"{ns}path"):
                nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", path.get("d", ""))]
                out.append(list(zip(nums[0::2], nums[1::2], strict=True)))
    return out


def test_tradeoff_svg_is_valid_svg_with_both_series_and_the_chosen_p() -> None:
    curve = pd.DataFrame(
        {
            "p": [1, 2, 3, 4],
            "mean_minutes": [20.0, 12.0, 9.0, 8.5],
            "coverage_share": [0.3, 0.6, 0.8, 0.85],
        }
    )
    svg = tradeoff_svg(curve, chosen_p=3, language="en", standard_minutes=15.0)
    root = ET.fromstring(svg)  # well-formed
    ns = "{http://www.w3.org/2000/svg}"
    texts = "".join(el.text or "" for el in root.iter(f"{ns}text"))
    assert "this plan (p = 3)" in texts
    assert "Population within 15 min (%)" in texts
    assert "Mean travel (min)" in texts
    mean, share = _lines(root)
    assert len(mean) == len(share) == 4
    # higher values are drawn higher (smaller y): mean travel p=1 above p=4, coverage 85 % above 30 %
    assert mean[0][1] < mean[-1][1]
    assert share[-1][1] < share[0][1]
    assert [x for x, _ in mean] == sorted(x for x, _ in mean)
    # the same specification the app draws
    spec = tradeoff_spec(curve, chosen_p=3, standard_minutes=15.0, lang="en", width=300)
    assert chart_svg(spec).split(">", 1)[1] == svg.split(">", 1)[1]
    assert 'width="100%"' in svg.split(">", 1)[0]  # scales with the page


def test_tradeoff_svg_takes_triples_and_rejects_bad_rows() -> None:
    svg = tradeoff_svg([(2, 50.0, 0.4), (1, 80.0, 0.2)], language="zh")
    root = ET.fromstring(svg)
    assert "目标函数值" in ET.tostring(root, encoding="unicode")
    with pytest.raises(InputError, match="triples"):
        tradeoff_svg([(1, 2.0)])
    with pytest.raises(InputError, match="empty"):
        tradeoff_svg([])


# --- GeoPackage -------------------------------------------------------------------------------------


def test_geopackage_has_sites_catchments_and_demand_layers(
    plan: SimpleNamespace, tmp_path: Path
) -> None:
    demand, sites, kpis = plan.demand, plan.sites, plan.kpis
    out = export_plan_gpkg(
        tmp_path / "plan.gpkg", demand=demand, sites=sites, open_sites=OPEN, kpis=kpis
    )
    assert list(tmp_path.iterdir()) == [out]
    layers = dict(pyogrio.list_layers(out).tolist())
    assert list(layers) == [
        "chosen_sites",
        "closed_centres",
        "catchments",
        "demand",
        "demand_cells",
    ]
    chosen = gpd.read_file(out, layer="chosen_sites")
    assert chosen.crs.to_epsg() == 4326
    assert chosen["site_id"].tolist() == ["s0", "s1", "s2"]
    assert chosen["number"].tolist() == [1, 2, 3]
    assert chosen["existing"].tolist() == [False, True, False]
    assert chosen["population_served"].to_numpy() == pytest.approx(
        kpis.per_centre["population"].to_numpy()
    )
    assert chosen["marginal_person_minutes"].to_numpy() == pytest.approx(
        kpis.per_centre["marginal_person_minutes"].to_numpy()
    )
    closed = gpd.read_file(out, layer="closed_centres")
    assert closed["site_id"].tolist() == ["s4"]
    catch = gpd.read_file(out, layer="catchments")
    assert catch["site_id"].tolist() == ["s0", "s1", "s2"]
    assert catch["population"].sum() == pytest.approx(demand["population"].sum())
    dem = gpd.read_file(out, layer="demand")
    assert len(dem) == len(demand)
    assert dem["site_index"].tolist() == kpis.assignment.tolist()
    assert dem["site_id"].tolist() == [f"s{a}" for a in kpis.assignment]
    assert dem["travel_minutes"].to_numpy() == pytest.approx(kpis.travel_minutes)
    cells = gpd.read_file(out, layer="demand_cells")
    assert set(cells.geom_type) == {"Polygon"}


def test_geopackage_without_kpis_or_cells_and_overwrite(
    plan: SimpleNamespace, tmp_path: Path
) -> None:
    demand, sites, kpis = plan.demand, plan.sites, plan.kpis
    path = tmp_path / "plan.gpkg"
    export_plan_gpkg(path, demand=demand, sites=sites, open_sites=OPEN, kpis=kpis)
    export_plan_gpkg(
        path,
        demand=demand.drop(columns="cell"),
        sites=sites.drop(columns="existing"),
        open_sites=[0, 2],
    )
    layers = [name for name, _ in pyogrio.list_layers(path).tolist()]
    assert layers == ["chosen_sites", "catchments", "demand"]  # overwritten, not appended
    assert len(gpd.read_file(path, layer="chosen_sites")) == 2
    dem = gpd.read_file(path, layer="demand")
    assert "travel_minutes" not in dem.columns
    assert set(dem["site_index"]) <= {0, 2}


def test_geopackage_errors_leave_nothing(plan: SimpleNamespace, tmp_path: Path) -> None:
    demand, sites, kpis = plan.demand, plan.sites, plan.kpis
    with pytest.raises(InputError, match=r"\.gpkg"):
        export_plan_gpkg(tmp_path / "plan.shp", demand=demand, sites=sites, open_sites=OPEN)
    with pytest.raises(InputError, match="another plan"):
        export_plan_gpkg(
            tmp_path / "plan.gpkg", demand=demand, sites=sites, open_sites=[0, 1], kpis=kpis
        )
    with pytest.raises(InputError, match="does not exist"):
        export_plan_gpkg(tmp_path / "x" / "plan.gpkg", demand=demand, sites=sites, open_sites=OPEN)
    assert list(tmp_path.iterdir()) == []
