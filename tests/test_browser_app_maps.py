"""Every map in real Chromium: the app's inputs and sites maps sit where the plan's map puts the
same points (GCJ-02 on AutoNavi tiles), carry a legend, and no box covers a hall.

Only a browser shows these: where Leaflet draws a marker, and whether a legend or KPI box lies
over it. Outside requests are blocked (tiles fail; nothing else may be asked for).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from map_fixtures import make_inputs, travel
from scenario_fixtures import write_tiny_scenario

from planner.app import maps as app_maps
from planner.evaluate.kpis import baseline_kpis, plan_kpis
from planner.inputs.datums import wgs84_to_gcj02
from planner.present.maps import map_html, plan_map, save_map_html, travel_note_text

pytestmark = pytest.mark.browser

OPEN = [0, 1, 2]

_MARKERS = """() => { const out = [];
  for (const k of Object.keys(window)) {
    const v = window[k];
    if (v && v instanceof L.Map) {
      v.eachLayer(l => { if (l instanceof L.CircleMarker || l instanceof L.Marker) {
        const p = l.getLatLng(); out.push([p.lng, p.lat]); } });
    }
  }
  return out; }"""

_COVERED = """() => {
  const boxes = [...document.querySelectorAll('.planner-box, .planner-title')]
    .filter(e => e.offsetParent !== null).map(e => e.getBoundingClientRect());
  const halls = [...document.querySelectorAll('.planner-centre')].map(e => e.getBoundingClientRect());
  let worst = 0;
  for (const h of halls) for (const b of boxes) {
    const w = Math.max(0, Math.min(h.right, b.right) - Math.max(h.left, b.left));
    const t = Math.max(0, Math.min(h.bottom, b.bottom) - Math.max(h.top, b.top));
    worst = Math.max(worst, (w * t) / (h.width * h.height));
  }
  return [halls.length, boxes.length, worst]; }"""


def _open(browser: Any, html: str, path: Path, *, width: int, height: int) -> Any:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.route(
        "**/*",
        lambda r: (
            r.continue_() if r.request.url.startswith(("file:", "data:", "about:")) else r.abort()
        ),
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    path.write_text(html, encoding="utf-8")
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert errors == []
    return page


@pytest.fixture(scope="module")
def tiny_inputs(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from planner.runs.config import load_scenario
    from planner.runs.pipeline import load_inputs

    scenario = write_tiny_scenario(tmp_path_factory.mktemp("tiny"))
    return load_inputs(load_scenario(scenario))


def _shifted(gdf: Any) -> np.ndarray:
    xy = np.array([[g.x, g.y] for g in gdf.geometry])
    lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
    return np.column_stack([lon, lat])


def _all_present(want: np.ndarray, got: list[list[float]]) -> bool:
    have = np.asarray(got, dtype=float)
    return all(np.abs(have - w).max(axis=1).min() < 2e-5 for w in want)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_app_inputs_and_sites_maps_sit_on_gcj02_streets_with_a_legend(
    browser: Any, tiny_inputs: Any, tmp_path: Path, lang: str
) -> None:
    sites = tiny_inputs.sites
    want = _shifted(sites)
    page = _open(
        browser,
        map_html(app_maps.inputs_map(tiny_inputs, lang, basemap="gaode", height="100%")),
        tmp_path / "inputs.html",
        width=900,
        height=600,
    )
    got = page.evaluate(_MARKERS)
    assert _all_present(want, got), "inputs map: sites not where the plan's map draws them"
    wgs = np.array([[g.x, g.y] for g in sites.geometry])
    assert not _all_present(wgs, got)  # ... and not at their WGS 84 place (~500 m off)
    legend = page.locator(".planner-legend").inner_text()
    assert ("图例" if lang == "zh" else "Legend") in legend
    page.close()

    candidates = sites[~sites["existing"]]
    existing = sites[sites["existing"]]
    m = app_maps.sites_map(candidates, [], lang, existing=existing, basemap="gaode", height="100%")
    page = _open(browser, map_html(m), tmp_path / "sites.html", width=900, height=600)
    got = page.evaluate(_MARKERS)
    assert _all_present(want, got), "sites map: sites not where the plan's map draws them"
    assert page.locator(".planner-legend").count() == 1
    page.close()
    # a click where a site is drawn picks that site
    lon, lat = _shifted(candidates.iloc[[0]])[0]
    hit = app_maps.nearest_site(lat, lon, candidates, basemap="gaode")
    assert hit == str(candidates["site_id"].iloc[0])


@pytest.mark.parametrize(("width", "height"), [(1200, 800), (640, 420)])
def test_no_box_covers_a_hall(browser: Any, tmp_path: Path, width: int, height: int) -> None:
    demand, sites = make_inputs()
    tm = travel(demand, sites)
    cols = {"population": demand["population"], "fault_intensity": demand["fault_intensity"]}
    kpis = plan_kpis(OPEN, minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    base = baseline_kpis([1, 4], minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    m = plan_map(
        demand,
        sites,
        OPEN,
        kpis=kpis,
        baseline=base,
        travel_note=travel_note_text(tm, "en"),
        language="en",
    )
    path = save_map_html(m, tmp_path / "map.html")
    page = _open(browser, path.read_text(encoding="utf-8"), path, width=width, height=height)
    page.wait_for_selector(".planner-centre", timeout=10_000)
    halls, boxes, worst = page.evaluate(_COVERED)
    assert halls == len(OPEN)
    assert boxes >= 1
    assert worst == 0.0, f"a box covers {100 * worst:.0f} % of a hall"
    small = height < 560
    folded = page.locator(".planner-body").evaluate_all(
        "els => els.map(e => e.style.display === 'none')"
    )
    assert all(folded) if small else not any(folded)
    page.close()


def test_closed_halls_look_unlike_candidates(browser: Any, tmp_path: Path) -> None:
    demand, sites = make_inputs()
    # site 4 exists and is not open: closed; candidates drawn (hidden by default)
    m = plan_map(demand, sites, OPEN, language="en", hidden_layers=())
    path = save_map_html(m, tmp_path / "closed.html")
    page = _open(browser, path.read_text(encoding="utf-8"), path, width=1000, height=700)
    page.wait_for_selector(".planner-centre", timeout=10_000)
    closed = page.locator("path.planner-existing-closed").first
    candidate = page.locator("path.planner-candidate").first
    style = "e => [e.getAttribute('stroke'), e.getAttribute('stroke-dasharray'), e.getBBox().width]"
    c_stroke, c_dash, c_size = closed.evaluate(style)
    k_stroke, k_dash, k_size = candidate.evaluate(style)

    def grey(colour: str) -> float:
        if len(colour) == 4:  # #rgb
            colour = "#" + "".join(c * 2 for c in colour[1:])
        return sum(int(colour[i : i + 2], 16) for i in (1, 3, 5)) / (3 * 255)

    # a grey ring beside grey candidates read as one more candidate: closed is near black
    assert grey(c_stroke) < 0.25 < grey(k_stroke)
    assert c_dash
    assert not k_dash
    assert c_size > 2 * k_size
    page.close()
