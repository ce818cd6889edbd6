"""Headless Chromium for the browser tests: where it is, how it is started (the flags that
keep it off this machine's closed network), where screenshots go, and the skip-or-fail rule
(CI sets CRISISWATCH_REQUIRE_BROWSER=1, so a missing browser fails there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run"]
ARTIFACTS = Path(__file__).parents[1] / "artifacts"  # tests/artifacts/ (git-ignored)


def require_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CRISISWATCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"CRISISWATCH_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CRISISWATCH_REQUIRE_BROWSER") == "1":
            raise
        pytest.skip("playwright is not installed")
