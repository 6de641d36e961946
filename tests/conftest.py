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
