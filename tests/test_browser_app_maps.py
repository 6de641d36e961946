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


# Every hall marker (chosen centres, closed halls) is the element at its own centre: nothing,
# not even another hall, covers it there, so each can be seen and clicked.
_HALLS_HIT = """() => {
  const halls = [...document.querySelectorAll('.planner-centre, path.planner-existing-closed')];
  return halls.map(h => {
    const r = h.getBoundingClientRect();
    const e = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return [h.getAttribute('class').split(' ').filter(c => c.startsWith('planner-')).join(' '),
            !!e && (e === h || h.contains(e))];
  }); }"""


def _halls_hit(page: Any) -> list[list[Any]]:
    """``[class, hit]`` of every hall marker in the page and its frames (the report's map)."""
    out: list[list[Any]] = []
    for frame in page.frames:
        out += frame.evaluate(_HALLS_HIT)
    return out


def _halls_30_m_apart() -> tuple[Any, Any]:
    """The small plan with chosen centres 0 and 1 30 m apart, and closed hall 4 30 m from 2."""
    import shapely

    demand, sites = make_inputs()
    g = list(sites.geometry.values)
    g[1] = shapely.Point(g[0].x + 30 / 96_000, g[0].y)  # about 96 km per degree east at 30.5 N
    g[4] = shapely.Point(g[2].x, g[2].y + 30 / 111_000)
    return demand, sites.set_geometry(g, crs=4326)


@pytest.mark.parametrize(("width", "height"), [(1200, 800), (640, 420)])
def test_halls_30_m_apart_are_each_visible_and_clickable(
    browser: Any, tmp_path: Path, width: int, height: int
) -> None:
    from planner.present.report import write_report

    demand, sites = _halls_30_m_apart()
    tm = travel(demand, sites)
    cols = {"population": demand["population"], "fault_intensity": demand["fault_intensity"]}
    kpis = plan_kpis(OPEN, minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    base = baseline_kpis([1, 4], minutes=tm.minutes, distance_m=tm.distance_m, **cols)
    m = plan_map(demand, sites, OPEN, kpis=kpis, baseline=base, language="en", hidden_layers=())
    path = save_map_html(m, tmp_path / "map.html")
    page = _open(browser, path.read_text(encoding="utf-8"), path, width=width, height=height)
    page.wait_for_selector(".planner-centre", timeout=10_000)
    hits = _halls_hit(page)
    assert len(hits) == len(OPEN) + 1  # three chosen centres and the closed hall
    assert all(hit for _, hit in hits), hits
    # each spread hall keeps a line to its true place, marked by a dot
    assert page.locator("path.planner-hall-home").count() >= 2
    # a click on the hall 30 m away opens its own popup
    page.locator(".planner-centre").nth(1).click()
    assert "Jianghan Rd" in page.locator(".leaflet-popup-content").inner_text()
    # close enough to be told apart: every marker is back at its own place, no lines
    page.evaluate(
        "() => { for (const k of Object.keys(window)) { const v = window[k];"
        " if (v && v instanceof L.Map) v.setZoom(19, {animate: false}); } }"
    )
    page.wait_for_timeout(300)
    assert page.locator("path.planner-hall-home").count() == 0
    page.close()

    m = plan_map(demand, sites, OPEN, kpis=kpis, kpi_panel=False, language="zh")
    report = write_report(
        tmp_path / "report.html",
        kpis=kpis,
        baseline=base,
        sites=sites,
        map_html=map_html(m),
        language="zh",
        generated="2026-01-01 00:00 UTC",
    )
    page = _open(browser, report.read_text(encoding="utf-8"), report, width=width, height=height)
    page.frame_locator("iframe.map-frame").locator(".planner-centre").first.wait_for()
    page.wait_for_timeout(300)
    hits = _halls_hit(page)
    assert len(hits) == len(OPEN) + 1
    assert all(hit for _, hit in hits), hits
    page.close()


@pytest.fixture(scope="module")
def demo_result() -> Any:
    from planner.runs.config import demo_scenario_path, load_scenario
    from planner.runs.pipeline import run_scenario

    cfg = load_scenario(demo_scenario_path())
    # two points of the report's trade-off curve are enough here
    cfg = cfg.model_copy(update={"outputs": cfg.outputs.model_copy(update={"tradeoff_max_p": 13})})
    return run_scenario(cfg)


def test_every_hall_of_the_demo_plan_is_visible_on_every_map(
    browser: Any, demo_result: Any, tmp_path: Path
) -> None:
    from planner.app.run import AppRun
    from planner.runs.outputs import write_outputs

    out = tmp_path / "out"
    out.mkdir()
    written = write_outputs(demo_result, out)
    run = AppRun(key="demo", result=demo_result)
    pages = [
        (written["map"].read_text(encoding="utf-8"), "map.html", 1200, 800),
        (written["report"].read_text(encoding="utf-8"), "report.html", 1200, 800),
        (written["report"].read_text(encoding="utf-8"), "report.html", 800, 1000),
        # the Results step's frame, in both languages, and a comparison's small map
        (app_maps.result_map_html(run, "zh", height="100%"), "app_zh.html", 1100, 660),
        (app_maps.result_map_html(run, "en", height="100%"), "app_en.html", 1100, 660),
        (app_maps.result_map_html(run, "en", height="100%"), "small.html", 600, 420),
    ]
    n_open = len(demo_result.solution.open_sites)
    for html, name, width, height in pages:
        page = _open(browser, html, tmp_path / name, width=width, height=height)
        page.wait_for_timeout(500)
        hits = _halls_hit(page)
        assert sum(1 for cls, _ in hits if "planner-centre" in cls) == n_open, name
        assert all(hit for _, hit in hits), (name, width, height, hits)
        page.close()
