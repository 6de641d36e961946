"""The proposal report (report.html), its trade-off chart and the GeoPackage export."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from map_fixtures import make_inputs, travel

from planner.errors import ConfigError, InputError
from planner.export import export_plan_gpkg
from planner.kpis import baseline_kpis, plan_kpis, tradeoff_curve
from planner.maps import map_html, plan_map, travel_note_text
from planner.optimize.solution import Solution
from planner.report import report_html, tradeoff_svg, write_report

OPEN = [0, 1, 2]
GENERATED = "2026-01-01 00:00 UTC"


def _solution(open_sites: list[int], n: int) -> Solution:
    return Solution(
        open_sites=np.array(open_sites),
        assignment=np.full(n, -1),
        objective=float(len(open_sites)),
        lower_bound=None,
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
    block = re.search(rf'<section id="{section}">(.*?)</section>', page, re.DOTALL)
    assert block is not None, section
    rows = re.findall(r"<tr>(.*?)</tr>", block.group(1), re.DOTALL)
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


# --- trade-off chart --------------------------------------------------------------------------


def test_tradeoff_svg_is_valid_svg_with_both_series_and_the_chosen_p() -> None:
    curve = pd.DataFrame(
        {
            "p": [1, 2, 3, 4],
            "mean_minutes": [20.0, 12.0, 9.0, 8.5],
            "coverage_share": [0.3, 0.6, 0.8, 0.85],
        }
    )
    svg = tradeoff_svg(curve, chosen_p=3, language="en", standard_minutes=15.0)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 2
    assert len(root.findall(f"{ns}circle")) == 8
    texts = "".join(t.text or "" for t in root.iter(f"{ns}text"))
    assert "this plan (p = 3)" in texts
    assert "Coverage within 15 min" in texts
    assert "Mean travel (min)" in texts
    # higher mean travel is drawn higher: p=1 point above p=4 point (smaller y)
    obj = [tuple(map(float, pt.split(","))) for pt in lines[0].get("points", "").split()]
    assert obj[0][1] < obj[-1][1]
    assert [x for x, _ in obj] == sorted(x for x, _ in obj)
    # coverage 85% sits above 30%
    cov = [tuple(map(float, pt.split(","))) for pt in lines[1].get("points", "").split()]
    assert cov[-1][1] < cov[0][1]


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
