"""Headless Chromium for the browser tests: where it is, how it is started (the flags that
keep it off this machine's closed network), where screenshots go, and the skip-or-fail rule
(CI sets CRISISWATCH_REQUIRE_BROWSER=1, so a missing browser fails there)."""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import timedelta
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


@contextmanager
def chromium():
    """A headless Chromium started with ``ARGS`` (Playwright), the artifacts folder ready;
    closed, with Playwright, when the block ends."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def drilled(tmp, before, after):
    """(store, pipeline, now): a fresh SQLite store in ``tmp`` with the outage drill played
    through every stage (word model, log channels) from ``before`` the onset to ``after`` it."""
    from collectors.drill import DrillCollector, DrillPlan
    from crisiswatch.pipeline import Pipeline
    from responders.channels.log import LogChannel
    from responders.channels.statuspage import StatusPageChannel
    from responders.drafts import Brand
    from sentiment.scorer import Scorer
    from store import Store
    from tests.support.word_model import WordModel

    store = Store("sqlite:///" + str(tmp / "dash.db"))
    store.upgrade()
    plan = DrillPlan("outage")
    channels = {name: LogChannel(name, tmp / "outbox.jsonl")
                for name in ("slack", "email", "sms", "x", "reddit", "mastodon", "bluesky")}
    channels["statuspage"] = StatusPageChannel(store)
    pipeline = Pipeline(store=store, collectors=[(DrillCollector(
        plan, start=plan.onset - before), plan.scenario)],
        scorer=Scorer(WordModel()), channels=channels, brand=Brand())
    now = plan.onset - before
    while now < plan.onset + after:
        now += timedelta(minutes=5)
        pipeline.run_once(now)
    return store, pipeline, now


def log_in(browser, url: str, username: str, password: str):
    """A 1440x1000 page of ``browser``, logged in as ``username``, on the overview."""
    page = browser.new_context(viewport={"width": 1440, "height": 1000}).new_page()
    page.set_default_timeout(30_000)
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def nav_to(page, path: str) -> None:
    """Go to `path` through the shell's menus, as a user does: hover the menu that holds the
    page, then click its link (menus open on hover and keyboard focus)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    link = page.locator(f"#shell-nav a.menu-link[href='{path}']")
    menu = link.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' menu ')][1]")
    for attempt in range(3):
        # On a loaded machine the pointer can leave the menu before the click lands (the
        # menu closes, seen in CI once): hover again and retry rather than wait 30 s.
        menu.hover()
        try:
            link.click(timeout=10_000)
            return
        except PlaywrightTimeout:
            if attempt == 2:
                raise
