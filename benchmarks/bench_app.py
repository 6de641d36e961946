"""Benchmark: the Streamlit app with the app running, measured in a real browser.

Starts ``streamlit run app.py`` on a free localhost port (the Wuhan demo, a fresh
process: cold caches), drives Debian's Chromium with Playwright (every request
that is not localhost aborted, as offline) and times what a planner waits for:

``--scenario FILE`` opens another scenario (the whole-Wuhan 200 m one, for issue 19
item 5: the app must show a plan of 119,000 cells without slowing down).

* **first page**: load until the script is idle and the inputs map has drawn;
* **first solve + map**: click Run until the plan's map shows its centres (load the
  inputs, solve p-median exactly, KPIs, build the map); issue 7's target: 10 s;
* **display-only rerun**: a display option that leaves the map as it is (the rows of
  the worst-served table) until the run has ended (the map must not reload); target 1 s;
* **base map** changed (a new map built and drawn) and changed back (cached map drawn),
  the **language switch**, and **Run again with the same settings** (cached by content).

Each click is timed from the click to the page being idle with its map drawn.
Prints Markdown (``--quick``: fewer repeats). Needs ``/usr/bin/chromium``
(``apt-get install -y chromium``) and playwright; without Chromium it prints a
note and exits 0::

    .venv/bin/python benchmarks/bench_app.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
#: A script run (a solve of a large scenario under load included) may take this long.
RUN_TIMEOUT_MS = 900_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(home: Path, scenario: Path | None = None) -> tuple[subprocess.Popen[bytes], str, float]:
    env = {**os.environ, "HOME": str(home), "PLANNER_LIBRARY_DIR": str(home / "library")}
    env.pop("PLANNER_DEMO_SCENARIO", None)
    if scenario is not None:
        env["PLANNER_DEMO_SCENARIO"] = str(scenario.resolve())
    port = _free_port()
    t0 = time.perf_counter()
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
        ],
        cwd=ROOT,
        env=env,
        stdout=(home / "streamlit.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    while True:
        if proc.poll() is not None:
            raise SystemExit("streamlit exited early:\n" + (home / "streamlit.log").read_text())
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=2) as r:
                if r.read() == b"ok":
                    return proc, url, time.perf_counter() - t0
        except OSError:
            pass
        if time.perf_counter() - t0 > 120:
            proc.kill()
            raise SystemExit("streamlit did not answer within 120 s")
        time.sleep(0.1)


_OBSERVE = """() => {
  if (window.__benchRuns !== undefined) return;
  window.__benchRuns = 0;
  const app = document.querySelector('[data-testid="stApp"]');
  let running = false;
  new MutationObserver(() => {
    const state = app.getAttribute('data-test-script-state');
    if (state !== 'notRunning') { running = true; }
    else if (running) { running = false; window.__benchRuns += 1; }
  }).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def _map_frame(page: Any, title: str) -> Any:
    handle = page.wait_for_selector(f'iframe[title="{title}"]', timeout=60_000)
    return handle.content_frame()


def _timed(action: Callable[[], None], page: Any, title: str, selector: str) -> float:
    """Seconds from ``action`` until the script run it caused has ended and a new map is drawn.

    A MutationObserver counts finished runs (a fast run is never missed); the old map's
    window is marked, so only a freshly loaded map counts as drawn.
    """
    page.evaluate(_OBSERVE)
    runs = page.evaluate("window.__benchRuns")
    old = page.query_selector(f'iframe[title="{title}"]')
    if old is not None and old.content_frame() is not None:
        old.content_frame().evaluate("window.__benchOld = 1")
    t0 = time.perf_counter()
    action()
    page.wait_for_function(f"window.__benchRuns > {runs}", timeout=RUN_TIMEOUT_MS, polling=20)
    deadline = time.monotonic() + 60
    while True:
        frame = _map_frame(page, title)
        try:
            fresh = frame.evaluate("window.__benchOld === undefined")
            drawn = frame.query_selector(selector) is not None
        except Exception:
            fresh = drawn = False
        if fresh and drawn:
            return time.perf_counter() - t0
        if time.monotonic() > deadline:
            raise SystemExit(f"the map {title!r} did not redraw within 60 s")
        time.sleep(0.01)


def _timed_run(action: Callable[[], None], page: Any, title: str) -> float:
    """Seconds from ``action`` until the script run it caused has ended; the map must stay."""
    page.evaluate(_OBSERVE)
    runs = page.evaluate("window.__benchRuns")
    _map_frame(page, title).evaluate("window.__benchOld = 1")
    t0 = time.perf_counter()
    action()
    page.wait_for_function(f"window.__benchRuns > {runs}", timeout=RUN_TIMEOUT_MS, polling=20)
    seconds = time.perf_counter() - t0
    if _map_frame(page, title).evaluate("window.__benchOld === undefined"):
        raise SystemExit("a display-only rerun reloaded the map")
    return seconds


def _first(action: Callable[[], None], page: Any, title: str, selector: str) -> float:
    t0 = time.perf_counter()
    action()
    page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT_MS)
    _map_frame(page, title).wait_for_selector(selector, timeout=60_000)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    parser.add_argument(
        "--scenario",
        type=Path,
        help="open this scenario instead of the Wuhan demo (e.g. scenarios/wuhan_municipality_200m.toml)",
    )
    args = parser.parse_args()
    repeats = 3 if args.quick else 7
    print("## App (`benchmarks/bench_app.py`)\n")
    if not CHROMIUM.exists():
        print("Skipped: no /usr/bin/chromium (apt-get install -y chromium).\n")
        return 0
    from playwright.sync_api import sync_playwright

    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        proc, url, start_s = _start(Path(tmp), args.scenario)
        rows.append(("server start (until /_stcore/health)", f"{start_s:.2f}", ""))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
                page = browser.new_page(viewport={"width": 1400, "height": 1000})

                def route(r: Any) -> None:
                    host = urlparse(r.request.url).hostname
                    if host in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
                        r.continue_()
                    else:
                        r.abort("internetdisconnected")

                page.route("**/*", route)
                first = _first(
                    lambda: page.goto(url, wait_until="domcontentloaded"),
                    page,
                    "输入数据地图",
                    ".leaflet-container",
                )
                rows.append(("first page (demo read, inputs map drawn)", f"{first:.2f}", ""))
                run = page.get_by_role("button", name="▶ 运行")
                solve = _timed(run.click, page, "方案地图", ".planner-centre")
                rows.append(
                    (
                        "**first solve + map** (click Run until the map shows)",
                        f"{solve:.2f}",
                        "≤ 10",
                    )
                )
                thumb = page.locator('.st-key-n_worst input[type="range"]')
                thumb.focus()
                display = [
                    _timed_run(
                        lambda k=("ArrowLeft" if i % 2 == 0 else "ArrowRight"): thumb.press(k),
                        page,
                        "方案地图",
                    )
                    for i in range(repeats)
                ]
                rows.append(
                    (
                        f"**display-only rerun** (rows of a table; map kept), median of {repeats}",
                        f"{statistics.median(display):.2f}",
                        "≤ 1",
                    )
                )

                def basemap(label: str) -> Callable[[], None]:
                    def choose() -> None:
                        box = page.locator('.st-key-basemap input[role="combobox"]')
                        box.click()
                        box.fill(label)
                        box.press("Enter")

                    return choose

                first_map = _timed(basemap("无底图"), page, "方案地图", ".planner-centre")
                rows.append(("base map changed: new map built and drawn", f"{first_map:.2f}", ""))
                cached_map = _timed(basemap("OpenStreetMap"), page, "方案地图", ".planner-centre")
                rows.append(("base map back: cached map, drawn", f"{cached_map:.2f}", ""))
                english = _timed(
                    page.get_by_text("English", exact=True).click,
                    page,
                    "Plan map",
                    ".planner-centre",
                )
                rows.append(("language switch (labels and map rebuilt)", f"{english:.2f}", ""))
                again = _timed_run(
                    page.get_by_role("button", name="▶ Run").click, page, "Plan map"
                )  # the same map again: the page keeps it
                rows.append(
                    (
                        "Run again, same settings (solve cached by content; map kept)",
                        f"{again:.2f}",
                        "",
                    )
                )
                browser.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores; Python {platform.python_version()}; "
        "headless Chromium, outside requests blocked; "
        + (
            f"scenario {args.scenario}.\n"
            if args.scenario
            else "the Wuhan demo (3,102 cells x 209 sites, p-median p = 12, exact).\n"
        )
    )
    print("| step | seconds | target (s) |")
    print("| --- | ---: | ---: |")
    for name, value, target in rows:
        print(f"| {name} | {value} | {target} |")
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
