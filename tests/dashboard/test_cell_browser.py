"""The Cell page in headless Chromium (issue 19): each role's holder, on-duty time and page
(primary, then deputy), an acknowledgement recorded from the page, a handover with its note
(refused without one, the note kept), and the fatigue flag after the configured hours.
Screenshot at 1440x900 in tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders.alerting import Contact
from responders.cell import CellConfig
from responders.cell_paging import page_cell
from responders.channels.log import LogChannel
from responders.drafts import Brand
from responders.incidents import declare
from responders.templates import TemplateLibrary
from store import Store
from store.models import TimelineRow
from tests.support.browser import ARTIFACTS, chromium, log_in
from tests.support.browser import require_browser as _require_browser

pytestmark = pytest.mark.browser

T0 = datetime(2026, 3, 10, 10, 0)
CELL = CellConfig(roster={"commander": ("Ana", "Ben"), "legal": ("Lea", "Max"),
                          "scribe": ("Sam",)},
                  ack_after=timedelta(minutes=10), fatigue_after=timedelta(hours=8))
CONTACTS = [Contact(n, (("email", f"{n.lower()}@example.com"),))
            for n in ("Ana", "Ben", "Lea", "Max", "Sam")]


@pytest.fixture
def cockpit(tmp_path):
    _require_browser()
    store = Store("sqlite:///" + str(tmp_path / "dash.db"))
    store.upgrade()
    with store.session() as s:
        declare(s, title="API outage", crisis_type="outage", severity="major", actor="lead",
                now=T0)
        add_user(s, "ed", "ed-pw", "editor", now=T0)
    clock = [T0 + timedelta(minutes=1)]
    ctx = DashboardContext(store=store, clock=lambda: clock[0], library=TemplateLibrary(),
                           brand=Brand(), secret_key="browser-test", cell=CELL)
    httpd = make_server("127.0.0.1", 0, create_app(ctx).server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    channels = {"email": LogChannel("email", tmp_path / "outbox.jsonl")}
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "clock": clock,
           "page": lambda: page_cell(store, channels, CONTACTS, CELL, clock[0])}
    httpd.shutdown()
    store.engine.dispose()


def row(page, role):
    return page.locator(f"tr.cell-row[data-role='{role}']")


def test_cell_page_acknowledge_escalate_hand_over_and_fatigue(cockpit):
    from playwright.sync_api import expect

    url, store, clock = cockpit["url"], cockpit["store"], cockpit["clock"]
    expect.set_options(timeout=30_000)  # the page refreshes every 3 s; CI machines are loaded
    assert cockpit["page"]() == 3  # the next cycle after declaring pages the three primaries
    with chromium() as browser:
        page = log_in(browser, url, "ed", "ed-pw")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(url + "/cell")
        expect(row(page, "commander").locator(".cell-page")).to_have_text(
            "paging Ana (primary)")
        expect(row(page, "comms_lead").locator(".cell-holder")).to_have_text("lead")
        expect(row(page, "tech_lead").locator(".cell-holder")).to_have_text("nobody")

        # Ana called back: the editor records it; she holds the role from now.
        clock[0] = T0 + timedelta(minutes=4)
        row(page, "commander").get_by_role("button", name="Ana acknowledged").click()
        expect(page.locator("#cell-ack-flash")).to_contain_text("Ana is on duty.")
        expect(row(page, "commander").locator(".cell-holder")).to_have_text("Ana")
        expect(row(page, "commander").locator(".cell-page")).to_have_text("acknowledged")

        # Lea does not answer: after ten minutes her deputy is paged.
        clock[0] = T0 + timedelta(minutes=12)
        assert cockpit["page"]() == 1
        expect(row(page, "legal").locator(".cell-page")).to_have_text("paging Max (deputy 1)")

        # A handover without a note is refused and keeps what was typed; with one it works.
        clock[0] = T0 + timedelta(minutes=20)
        page.locator("#cell-role").click()
        page.locator(".Select-menu-outer, [role=listbox], .dash-dropdown").get_by_text(
            "Incident commander", exact=True).last.click()
        page.fill("#cell-new-holder", "Ben")
        page.click("#cell-handover")
        expect(page.locator("#cell-flash")).to_contain_text("needs a note")
        page.fill("#cell-note", "Rollback running; <b>CEO</b> briefed at 10:15")
        page.click("#cell-handover")
        expect(page.locator("#cell-flash")).to_contain_text("handed over to Ben")
        expect(page.locator("#cell-note")).to_have_value("")
        expect(row(page, "commander").locator(".cell-holder")).to_have_text("Ben")
        expect(page.locator("#cell-history")).to_contain_text(
            "Rollback running; <b>CEO</b> briefed at 10:15")  # text, never markup

        # Eight hours later Ben (on duty since 10:20) is flagged for a rest.
        clock[0] = T0 + timedelta(hours=8, minutes=30)
        expect(row(page, "commander").locator(".cell-duty")).to_contain_text(
            "time to hand over")
        expect(row(page, "commander").locator(".cell-duty")).to_contain_text("8 h 10 min")
        expect(page.locator("#shell-clock")).to_contain_text("18:30")
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(ARTIFACTS / "40-cell.png"), full_page=False)
        page.screenshot(path=str(ARTIFACTS / "40-cell-full.png"), full_page=True)
    with store.session() as s:
        handovers = s.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "handover")).scalars().all()
    assert handovers == [("Incident commander handed over from Ana to Ben after 16 min on "
                         "duty. Note: Rollback running; <b>CEO</b> briefed at 10:15")]
