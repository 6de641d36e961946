"""The app in a real headless Chromium with no internet: the Wuhan demo run through the page.

A ``streamlit run app.py`` server starts on a free localhost port; Playwright
drives Debian's Chromium (``apt-get install -y chromium``; Playwright's own
browser download does not work here). Every request that does not go to
localhost is aborted, so what is checked is what a planner without internet
sees: Leaflet must come from the app itself (inlined in the plan's map, in the
clickable site map's links as ``data:`` URLs). Skipped without
``/usr/bin/chromium`` outside CI; failing in CI (``CI`` set), where ``.ci/run``
installs it.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from conftest import require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
TILE_HOSTS = {"tile.openstreetmap.org"}
_OBSERVE = """() => {
  if (window.__runsDone !== undefined) return;
  window.__runsDone = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  let running = false;
  new MutationObserver(() => {
    const state = app.getAttribute('data-test-script-state');
    if (state !== 'notRunning') { running = true; }
    else if (running) { running = false; window.__runsDone += 1; }
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _serve(tmp_path_factory.mktemp("streamlit-home"), demo=None)


def _serve(home: Path, *, demo: Path | None) -> Iterator[str]:
    """``streamlit run app.py`` on a free port (``demo``: its demo scenario, default the
    real Wuhan demo); yields its address and stops it by its process."""
    require_chromium()
    env = {
        **os.environ,
        "HOME": str(home),
        "PLANNER_LIBRARY_DIR": str(home / "library"),
        "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1",
    }
    env.pop("PLANNER_DEMO_SCENARIO", None)  # the real Wuhan demo
    if demo is not None:  # its own settings file too: a fresh page starts in Chinese
        env["PLANNER_DEMO_SCENARIO"] = str(demo)
        env["PLANNER_APP_SETTINGS"] = str(home / "app-settings.json")
    port = _free_port()
    log = open(home / "streamlit.log", "w")  # noqa: SIM115 (closed in finally)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(
                    f"streamlit exited early: {(home / 'streamlit.log').read_text()[-2000:]}"
                )
            try:
                with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                    if r.read() == b"ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("streamlit did not answer /_stcore/health within 90 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


class _Tab:
    """A page with every outside request aborted, and a log of what it asked for."""

    def __init__(self, browser: Any) -> None:
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.blocked: list[str] = []
        self.local: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.local.append((r.url, r.status)))

    def _route(self, route: Any) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "about", "blob") or url.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort("internetdisconnected")

    def watch(self) -> int:
        """Start counting finished script runs (a fast run is never missed); the count now."""
        self.page.evaluate(_OBSERVE)
        return int(self.page.evaluate("window.__runsDone"))

    def idle(self, before: int, timeout_ms: int = 120_000) -> None:
        """Wait until a script run that started after ``watch()`` returned ``before`` has ended."""
        self.page.wait_for_function(f"window.__runsDone > {before}", timeout=timeout_ms, polling=50)
        self.page.wait_for_selector(IDLE, timeout=timeout_ms)


def _srcdoc_frame(page: Any, selector: str) -> Any:
    handle = page.wait_for_selector(selector, timeout=60_000)
    frame = handle.content_frame()
    assert frame is not None
    return frame


def test_stop_ends_a_running_solve_and_the_next_run_works(server: str, browser: Any) -> None:
    """Stop while the demo solves (first in this module: no run is cached yet, so the
    solve runs in its thread): the page says it stopped, keeps no result, and the next
    Run solves to the proof. The stop itself is the solver's token, not just the page
    giving up: the stopped run leaves no plan in the results step."""
    tab = _Tab(browser)
    page = tab.page
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_role("button", name="▶ 运行").click()
    stop = page.get_by_role("button", name="停止")
    stop.wait_for(timeout=120_000)  # shown once the solve has started in its thread
    stop.click()
    # the click's rerun waits (at most 5 s) for the solving thread to end, then says so
    page.get_by_text("已停止运行").first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    assert page.get_by_text("已证明最优").count() == 0
    page.get_by_text("尚未运行").first.wait_for(timeout=30_000)  # results step: nothing kept
    n = tab.watch()
    page.get_by_role("button", name="▶ 运行").click()
    tab.idle(n)
    page.get_by_text("已证明最优").first.wait_for(timeout=120_000)
    assert tab.errors == []
    # the page remembers its step for the next session (settings file): back to step 1
    n = tab.watch()
    page.get_by_text("1. 数据", exact=True).click()
    tab.idle(n)


def test_demo_runs_through_the_page_offline(server: str, browser: Any) -> None:
    tab = _Tab(browser)
    page = tab.page
    page.goto(server, wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    # the inputs map of step 1 draws before anything is solved
    inputs = _srcdoc_frame(page, 'iframe[title="输入数据地图"]')
    inputs.wait_for_selector(".leaflet-container", timeout=30_000)
    assert inputs.evaluate("L.version") == "1.9.4"

    n = tab.watch()
    page.get_by_role("button", name="▶ 运行").click()
    tab.idle(n)
    # the demo scenario asks for the proof (solver.target_gap = 0), and the page keeps it
    page.get_by_text("已证明最优").first.wait_for(timeout=120_000)
    plan = _srcdoc_frame(page, 'iframe[title="方案地图"]')
    plan.wait_for_selector(".planner-centre", timeout=30_000)
    assert plan.evaluate("L.version") == "1.9.4"
    assert plan.locator(".planner-centre").count() == 12  # p = 12 centres drawn ...
    assert plan.locator("path.planner-catchment").count() == 12  # ... each with its catchment
    assert plan.locator(".planner-kpi-panel").count() == 1
    # KPIs beside the map, with their change against today's centres
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() >= 4
    text = metrics.all_inner_texts()
    assert any("平均出行时间（分钟）" in m for m in text)
    assert any("营业厅数量" in m and "12" in m for m in text)
    assert page.get_by_text("选定营业厅").first.is_visible()
    assert {urlparse(u).hostname for u in tab.blocked} <= TILE_HOSTS, tab.blocked[:5]
    assert tab.errors == []

    # English: one switch, every label
    n = tab.watch()
    page.get_by_text("English", exact=True).click()
    tab.idle(n)
    page.get_by_text("proven optimal").first.wait_for(timeout=30_000)
    assert any(
        "Mean travel (min)" in m for m in page.locator('[data-testid="stMetric"]').all_inner_texts()
    )

    # the trade-off curve, computed only when asked, drawn by the page's own Vega-Lite
    chart = page.locator('[data-testid="stVegaLiteChart"]')
    assert chart.count() == 0
    n = tab.watch()
    page.get_by_role("button", name="Compute the curve").click()
    tab.idle(n)
    drawn = chart.locator("canvas, svg").first
    drawn.wait_for(state="visible", timeout=120_000)
    box = drawn.bounding_box()
    assert box is not None
    assert box["width"] > 200
    assert box["height"] > 200
    # the whole curve inside its column: axes and titles do not push its right end (the
    # largest p) out of sight
    column = chart.first.bounding_box()
    assert column is not None
    assert box["x"] + box["width"] <= column["x"] + column["width"] + 1
    assert tab.errors == []


def test_site_map_draws_offline_and_a_click_excludes_a_site(server: str, browser: Any) -> None:
    tab = _Tab(browser)
    page = tab.page
    # in Chinese, on step 1: the app remembers the last language (the test before ends in English)
    page.goto(server + "?lang=zh&step=data", wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    n = tab.watch()
    page.get_by_text("3. 站址", exact=True).click()
    tab.idle(n)
    frame = _srcdoc_frame(page, 'iframe[title*="st_folium"]')
    frame.wait_for_selector(".leaflet-container", timeout=30_000)
    markers = frame.locator("path.leaflet-interactive")
    markers.first.wait_for(timeout=30_000)
    assert markers.count() >= 200  # 201 candidates and 8 existing centres, one GeoJSON layer each
    # Leaflet came with the map (the vendored copy, data: URLs): no CDN, no file server
    assert frame.evaluate("L.version") == "1.9.4"
    assert not [u for u, _ in tab.local if "leaflet" in u.lower() and u.startswith("http")]
    assert {urlparse(u).hostname for u in tab.blocked} <= TILE_HOSTS, tab.blocked[:5]
    chosen = page.locator(".st-key-exclude_ids")
    assert not re.search(r"S\d{3}", chosen.inner_text())  # nothing excluded yet
    n = tab.watch()
    markers.nth(0).click(force=True)  # a click on the map ...
    tab.idle(n)
    chosen.get_by_text(re.compile(r"^S\d{3} ")).first.wait_for(timeout=30_000)  # ... excludes it
    assert len(re.findall(r"S\d{3} ", chosen.inner_text())) == 1
    assert {urlparse(u).hostname for u in tab.blocked} <= TILE_HOSTS, tab.blocked[:5]


def _choose(tab: _Tab, key: str, option: str) -> None:
    """Pick ``option`` in the selectbox of widget ``key`` and wait for the rerun."""
    n = tab.watch()
    tab.page.locator(f".st-key-{key} button[aria-label=Open]").click()
    tab.page.get_by_role("option", name=option, exact=True).click()
    tab.idle(n)


def _type(tab: _Tab, key: str, value: str) -> None:
    n = tab.watch()
    field = tab.page.locator(f".st-key-{key} input")
    field.fill(value)
    field.press("Enter")
    tab.idle(n)


def _click(tab: _Tab, locator: Any) -> None:
    n = tab.watch()
    locator.click()
    tab.idle(n)


def _red_boxes(tab: _Tab) -> list[str]:
    """The texts of the error boxes drawn now (stale ones of a finished run are removed)."""
    return [
        t.strip() for t in tab.page.locator('[data-testid="stAlertContentError"]').all_inner_texts()
    ]


def test_a_new_run_replaces_the_old_error_and_a_good_run_clears_it(
    server: str, browser: Any
) -> None:
    tab = _Tab(browser)
    page = tab.page
    page.goto(server + "?lang=en&step=model", wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    run = page.get_by_role("button", name="▶ Run")
    # 0. everyone within 1 minute (a percentile standard of 100 %): said beside the field,
    # Run stays off
    _type(tab, "percentile_minutes", "1")
    _type(tab, "percentile_share", "100")
    page.get_by_text("Even with every site open only").first.wait_for(timeout=30_000)
    assert run.is_disabled()
    _type(tab, "percentile_minutes", "0")
    assert run.is_enabled()
    # 1. fault hotspots that must be reached within 1 minute: no plan
    _type(tab, "response_urban", "1")
    _click(tab, page.locator(".st-key-enforce_hotspots label"))
    _click(tab, run)
    page.get_by_text("no feasible plan").first.wait_for(timeout=120_000)
    boxes = _red_boxes(tab)
    assert len(boxes) == 1, boxes
    first = boxes[0]
    # 2. a different failure: within 3 minutes, fewer hotspots out of reach
    _click(tab, page.get_by_text("5. Model", exact=True))
    _type(tab, "response_urban", "3")
    _click(tab, run)
    page.get_by_text("fault hotspot(s)").first.wait_for(timeout=120_000)
    boxes = _red_boxes(tab)
    assert len(boxes) == 1, boxes  # only the new run's reason, the old box is gone
    assert "within their response limit" in boxes[0]
    assert boxes[0] != first
    # 3. a run with a plan: no red box at all
    _click(tab, page.get_by_text("5. Model", exact=True))
    _click(tab, page.locator(".st-key-enforce_hotspots label"))
    _click(tab, run)
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=120_000)
    assert _red_boxes(tab) == []
    assert "no feasible plan" not in page.locator('[data-testid="stSidebar"]').inner_text()
    assert tab.errors == []


#: For each table of the page: its scroll box's [scrollWidth, clientWidth] (st.table scrolls in
#: its inner box, st.dataframe in its grid's scroller) and its first words.
_TABLE_WIDTHS = """() => [...document.querySelectorAll(
    '[data-testid="stTable"], [data-testid="stDataFrame"]')].map(t => {
  const box = t.querySelector('.dvn-scroller') ||
    [...t.querySelectorAll('div')].find(d => getComputedStyle(d).overflowX === 'auto') || t;
  return [box.scrollWidth, box.clientWidth, t.innerText.slice(0, 40)]; })"""


_UPLOADER_WORDS = """(key) => {
  const zone = document.querySelector(`.st-key-${key} [data-testid="stFileUploaderDropzone"]`);
  const button = zone.querySelector('button [data-testid="stMarkdownContainer"]');
  const limit = zone.querySelector('[data-testid="stFileUploaderDropzoneInstructions"] > div');
  const shown = (el) => el.checkVisibility() ? el.textContent : '';
  return {
    button: shown(button.querySelector('p')) + getComputedStyle(button, '::after').content,
    limit: shown(limit.querySelector('span')) + getComputedStyle(limit, '::after').content,
  };
}"""


def test_the_uploader_speaks_the_page_language(server: str, browser: Any) -> None:
    """Streamlit writes the uploader's button and limit line in English only; a Chinese page
    shows them in Chinese (and the English page keeps Streamlit's own words)."""
    tab = _Tab(browser)
    page = tab.page
    page.goto(server + "?lang=zh&step=data", wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_text("上传我的图层", exact=True).click()
    zone = ".st-key-up_population_0 [data-testid='stFileUploaderDropzone']"
    page.wait_for_selector(zone, timeout=60_000)
    seen = (
        f"(key) => {{ try {{ return ({_UPLOADER_WORDS})(key).button.includes(%r); }} "
        "catch (e) { return false; } }"
    )
    page.wait_for_function(seen % "选择文件", arg="up_population_0", timeout=60_000)
    words = page.evaluate(_UPLOADER_WORDS, "up_population_0")
    assert "Upload" not in words["button"], words
    assert "每个文件不超过" in words["limit"], words
    assert "per file" not in words["limit"], words
    assert "GEOJSON" in words["limit"], words  # the formats stay
    page.get_by_text("English", exact=True).click()
    page.wait_for_function(seen % "Upload", arg="up_population_0", timeout=60_000)
    words = page.evaluate(_UPLOADER_WORDS, "up_population_0")
    assert words["button"].startswith("Upload"), words
    assert "per file" in words["limit"], words
    assert "选择文件" not in words["button"] + words["limit"], words
    assert tab.errors == []


def test_saved_and_compared_runs_fit_the_page_width(server: str, browser: Any) -> None:
    """The library's table of saved runs, a saved run's tables and the comparison fit the page
    at 1280 and 1920 px in both languages: no sideways scrolling, long names wrap."""
    tab = _Tab(browser)
    page = tab.page
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(server + "?lang=zh&step=model", wait_until="domcontentloaded")
    page.wait_for_selector(IDLE, timeout=120_000)
    _click(tab, page.get_by_role("button", name="▶ 运行"))
    page.get_by_text("已证明最优").first.wait_for(timeout=120_000)
    names = ["方案一 p=12 基准", "Scenario_two_with_a_rather_long_name_for_the_board_2026"]
    _click(tab, page.get_by_text("7. ", exact=False).first)
    for name in names:
        _type(tab, "save_name", name)
        _click(tab, page.get_by_role("button", name="保存", exact=True))
        page.get_by_text(f"已保存：{name}").first.wait_for(timeout=30_000)
    choose = page.locator(".st-key-compare_names input")
    for name in names:
        n = tab.watch()
        choose.click()
        choose.fill(name[:8])
        choose.press("Enter")
        tab.idle(n)
    page.keyboard.press("Escape")
    for lang in ("中文", "English"):
        if lang == "English":
            _click(tab, page.get_by_text(lang, exact=True))
        for width in (1280, 1920):
            page.set_viewport_size({"width": width, "height": 1000})
            page.wait_for_timeout(500)
            tables = page.evaluate(_TABLE_WIDTHS)
            assert len(tables) == 5, tables  # saved runs; a run's KPIs, sites; comparison x 2
            wide = [t for t in tables if t[0] > t[1]]
            assert wide == [], (lang, width, wide)
    assert tab.errors == []


@pytest.fixture(scope="module")
def slow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app whose demo's population is a 60,000 x 60,000 cell raster (2 m cells, sparse:
    a 60 kB file): reading it strip by strip takes minutes on any machine."""
    import numpy as np
    import rasterio
    from affine import Affine
    from rasterio.windows import Window

    home = tmp_path_factory.mktemp("streamlit-slow")
    n = 60_000
    raster = home / "population.tif"
    with rasterio.open(
        raster,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(0.00002, 0.0, 113.9, 0.0, -0.00002, 31.0),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        compress="deflate",
        sparse_ok=True,
        nodata=0,
    ) as dst:
        dst.write(np.full((1, 512, 512), 5.0, dtype="float32"), window=Window(0, 0, 512, 512))
    demo = (ROOT / "scenarios" / "wuhan_demo.toml").read_text(encoding="utf-8")
    gpkg = (ROOT / "data" / "geo" / "wuhan_demo.gpkg").as_posix()
    demo = demo.replace('"../data/geo/wuhan_demo.gpkg"', f'"{gpkg}"')
    demo = re.sub(
        r"\[data\.population\][^\[]*",
        f'[data.population]\npath = "{raster.as_posix()}"\npopulation_col = "population"\n\n',
        demo,
    )
    scenario = home / "slow.toml"
    scenario.write_text(demo, encoding="utf-8")
    yield from _serve(home, demo=scenario)


def test_stop_ends_a_slow_reading_of_the_inputs(slow_server: str, browser: Any) -> None:
    """Reading the inputs (before any Run) shows its stage and time and can be stopped: the
    page is free within seconds, says so in its language, and reads again when asked."""
    tab = _Tab(browser)
    page = tab.page
    page.goto(slow_server, wait_until="domcontentloaded")
    page.get_by_text("读取数据：已用").first.wait_for(timeout=120_000)  # stage and clock
    stop = page.get_by_role("button", name="停止")
    stop.wait_for(timeout=60_000)
    stop.click()
    # stopped at the next strip of rows, or (one strip taking over 5 s on a loaded machine)
    # said to end in the background: either way the page is free
    page.get_by_text(re.compile("已停止读取数据|正在停止：当前读取步骤")).first.wait_for(
        timeout=30_000
    )
    page.wait_for_selector(IDLE, timeout=30_000)
    assert page.get_by_role("button", name="停止").count() == 0
    # the page works meanwhile: English, with the note and the button to read again
    n = tab.watch()
    page.get_by_text("English", exact=True).click()
    tab.idle(n, timeout_ms=30_000)
    page.get_by_text("Reading the data was stopped").first.wait_for(timeout=30_000)
    n = tab.watch()
    page.get_by_role("button", name="Read the data").click()
    page.get_by_text("Reading the data: ").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(
        re.compile("Reading the data stopped by you|Stopping: the current reading step")
    ).first.wait_for(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    # Run reads the data first, on the run's thread: Stop reaches it there too
    page.get_by_role("button", name="▶ Run").click()
    page.get_by_text("Running…").first.wait_for(timeout=60_000)
    page.get_by_text("Reading the data: ").first.wait_for(timeout=60_000)
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(
        re.compile("Run stopped by you|Stopping: the current reading step")
    ).first.wait_for(timeout=30_000)
    page.wait_for_selector(IDLE, timeout=30_000)
    page.get_by_text("Nothing run yet").first.wait_for(timeout=30_000)  # results: nothing kept
    assert tab.errors == []
