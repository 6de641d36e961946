"""The standalone map and report draw in a real headless Chromium with no internet.

Every request that is not ``file://``, ``data:``, ``about:`` or localhost is
aborted, so the result is the same with or without a network: Leaflet and its
plugins must come from the page itself. Needs Debian's Chromium
(``apt-get install -y chromium``); skipped without it outside CI, and failing in
CI (where ``CI`` is set) so that a missing browser is never silent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np
import pytest
from map_fixtures import make_inputs, travel

from planner.evaluate.kpis import baseline_kpis, plan_kpis
from planner.present.maps import plan_map, save_map_html, travel_note_text
from planner.present.report import write_report

pytestmark = pytest.mark.browser

OPEN = [0, 1, 2]
LOCAL_SCHEMES = ("file", "data", "about", "blob")


class _Page:
    """A page with every outside request blocked and page errors collected."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1200, "height": 800})
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _route(self, route: Any) -> None:
        url = urlparse(route.request.url)
        if url.scheme in LOCAL_SCHEMES or url.hostname in ("localhost", "127.0.0.1", "::1"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def open(self, path: Path) -> Any:
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_load_state("load")
        return self.page


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    demand, sites = make_inputs()
    tm = travel(demand, sites)
    cols = {
        "population": demand["population"],
        "pop_65plus": demand["pop_65plus"],
        "fault_intensity": demand["fault_intensity"],
        "zone": demand["zone"],
    }
    kpis = plan_kpis(OPEN, minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    base = baseline_kpis([1, 4], minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    return {"demand": demand, "sites": sites, "tm": tm, "kpis": kpis, "base": base}


def _only_tiles_blocked(blocked: list[str]) -> None:
    hosts = {urlparse(u).hostname for u in blocked}
    assert hosts <= {"tile.openstreetmap.org"}, hosts


def test_standalone_map_draws_offline(browser: Any, plan: dict[str, Any], tmp_path: Path) -> None:
    m = plan_map(
        plan["demand"],
        plan["sites"],
        OPEN,
        kpis=plan["kpis"],
        baseline=plan["base"],
        travel_note=travel_note_text(plan["tm"], "en"),
        attribution=["WorldPop (CC BY 4.0)"],
        language="en",
    )
    path = save_map_html(m, tmp_path / "map.html")
    tab = _Page(browser)
    page = tab.open(path)
    page.wait_for_selector(".planner-centre", timeout=10_000)
    assert page.evaluate("typeof window.L === 'object' && L.version") == "1.9.4"
    assert page.evaluate("typeof L.heatLayer") == "function"
    assert page.locator(".planner-centre").count() == len(OPEN)
    assert page.locator(".planner-centre-kept").count() == 1  # site 1 is an existing centre
    assert page.locator("path.planner-catchment").count() == len(OPEN)
    assert page.locator("path.planner-existing-closed").count() == 1
    panel = page.locator(".planner-kpi-panel").inner_text()
    assert "Plan KPIs" in panel
    assert "Mean travel (min)" in panel
    assert f"{plan['kpis'].minutes.mean:.1f}" in panel
    assert "no road network" in panel
    legend = page.locator(".planner-legend").inner_text()
    assert "Fault records are SIMULATED" in legend
    assert "WorldPop (CC BY 4.0)" in page.locator(".leaflet-control-attribution").inner_text()
    # the density layer and the heat map draw on canvases
    assert page.locator("canvas").count() >= 2
    # the layer control lists every overlay, none greyed out
    # population, faults, catchments, allocation, candidates, existing, centres (no radius set)
    assert page.locator(".leaflet-control-layers-overlays label").count() == 7
    assert page.locator(".leaflet-control-layers-overlays input:disabled").count() == 0
    assert tab.errors == []
    _only_tiles_blocked(tab.blocked)


def test_gcj02_map_shifts_the_markers(browser: Any, plan: dict[str, Any], tmp_path: Path) -> None:
    from planner.inputs.datums import wgs84_to_gcj02

    m = plan_map(plan["demand"], plan["sites"], OPEN, basemap="gaode", language="zh")
    path = save_map_html(m, tmp_path / "map_gcj.html")
    tab = _Page(browser)
    page = tab.open(path)
    page.wait_for_selector(".planner-centre", timeout=10_000)
    latlngs = page.evaluate(
        """() => { const out = [];
        for (const k of Object.keys(window)) {  // folium's map is a global `map_<id>`
          const v = window[k];
          if (v && v instanceof L.Map) {
            v.eachLayer(l => { if (l instanceof L.Marker) { const p = l.getLatLng(); out.push([p.lng, p.lat]); } });
          }
        }
        return out; }"""
    )
    site_xy = np.array([[g.x, g.y] for g in plan["sites"].geometry.iloc[OPEN]])
    glon, glat = wgs84_to_gcj02(site_xy[:, 0], site_xy[:, 1])
    got = np.array(sorted(map(tuple, latlngs)))
    want = np.array(sorted(zip(glon.tolist(), glat.tolist(), strict=True)))
    assert got.shape == want.shape
    assert np.allclose(got, want, atol=2e-5)
    assert "故障记录为模拟数据" in page.locator(".planner-legend").inner_text()
    assert tab.errors == []
    assert {urlparse(u).hostname for u in tab.blocked} <= {
        f"webrd0{i}.is.autonavi.com" for i in range(1, 5)
    }


def test_report_shows_the_map_in_its_frame(
    browser: Any, plan: dict[str, Any], tmp_path: Path
) -> None:
    from planner.present.maps import map_html

    m = plan_map(
        plan["demand"], plan["sites"], OPEN, kpis=plan["kpis"], kpi_panel=False, language="en"
    )
    path = write_report(
        tmp_path / "report.html",
        kpis=plan["kpis"],
        baseline=plan["base"],
        sites=plan["sites"],
        map_html=map_html(m),
        language="en",
        generated="2026-01-01 00:00 UTC",
    )
    tab = _Page(browser)
    page = tab.open(path)
    frame = page.frame_locator("iframe.map-frame")
    frame.locator(".planner-centre").first.wait_for(timeout=10_000)
    assert frame.locator(".planner-centre").count() == len(OPEN)
    assert frame.locator("path.planner-catchment").count() == len(OPEN)
    assert page.locator("#kpis table tr").count() > 10
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf[:4] == b"%PDF"
    assert tab.errors == []
    _only_tiles_blocked(tab.blocked)
