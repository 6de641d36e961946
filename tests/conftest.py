"""Shared fixtures: the real headless Chromium that the browser tests drive."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

#: Debian's Chromium (Playwright's own browser download does not work offline).
CHROMIUM = Path("/usr/bin/chromium")
#: Headless, and no background connections: this machine's network is closed.
CHROMIUM_ARGS = [
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


def require_chromium() -> None:
    """Skip without Chromium on a developer's machine; fail in CI, where .ci/run installs it."""
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail("CI needs Debian's chromium at /usr/bin/chromium (apt-get install -y chromium)")
    pytest.skip("no /usr/bin/chromium here (apt-get install -y chromium); required in CI")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """A headless Chromium browser for one test module."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(autouse=True, scope="session")
def _private_app_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The app remembers language, step and library in a settings file: tests use their own,
    never the developer's (and a test's language never leaks into another's)."""
    old = os.environ.get("PLANNER_APP_SETTINGS")
    os.environ["PLANNER_APP_SETTINGS"] = str(tmp_path_factory.mktemp("app") / "settings.json")
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PLANNER_APP_SETTINGS", None)
        else:
            os.environ["PLANNER_APP_SETTINGS"] = old


@pytest.fixture(autouse=True)
def _fresh_app_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test starts with no remembered settings (in a folder of its own, not tmp_path:
    tests list what their tmp_path holds)."""
    folder = tmp_path_factory.mktemp("app-settings")
    monkeypatch.setenv("PLANNER_APP_SETTINGS", str(folder / "settings.json"))
