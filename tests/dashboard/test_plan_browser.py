"""The Plan page in headless Chromium (issue 19): the register sorted by risk, a risk's
prepared messages linted, the health view, adding a risk (and a refused one), closing an
overdue post-mortem action and applying a plan update. Screenshots at 1440x900 land in
tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders import lessons, plan
from responders.contacts import import_csv
from responders.drafts import Brand
from responders.incidents import declare, transition
from responders.plan_defaults import seed_default_plan
from responders.postmortem import add_action
from responders.templates import TemplateLibrary
from store import Store
from tests.support.browser import ARTIFACTS, chromium, log_in
from tests.support.browser import require_browser as _require_browser

pytestmark = pytest.mark.browser

NOW = datetime(2026, 12, 3, 12, 0)
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Ana Martin,staff;on-call;management,ana@nimbus.example,+33600000001,fr,Europe/Paris,Nimbus,
Dan Client,customers,dan@client.example,+33600000004,fr,Europe/Paris,Client,
"""


@pytest.fixture
def cockpit(tmp_path):
    _require_browser()
    store = Store("sqlite:///" + str(tmp_path / "dash.db"))
    store.upgrade()
    with store.session() as s:
        import_csv(s, CSV, NOW - timedelta(days=400))
        seed_default_plan(s, actor="demo", now=NOW)
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=NOW - timedelta(days=12))
        transition(s, incident, "resolved", actor="lead", now=NOW - timedelta(days=11))
        add_action(s, incident, text="Add a standby authentication database",
                   owner="tech_lead", due_at=NOW - timedelta(days=1), actor="lead", now=NOW)
        lessons.propose(s, kind="register", text="Outages are more likely than we thought",
                        actor="lead", now=NOW, incident=incident,
                        risk=plan.find(s, "outage"), changes={"probability": 5})
        add_user(s, "lead", "lead-pw", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="browser-test")
    httpd = make_server("127.0.0.1", 0, create_app(ctx).server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store}
    httpd.shutdown()
    store.engine.dispose()


def keys(page):
    return page.eval_on_selector_all("tr.plan-risk", "rows => rows.map(r => r.dataset.key)")


def fill_settled(page, selector: str, value: str) -> None:
    """Fill a form field once the page's callbacks have landed: on a loaded machine the
    form's refresh after a save could arrive mid-fill and mix the old value into the new
    ("outageBad key", seen in CI)."""
    from playwright.sync_api import expect

    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    page.wait_for_load_state("networkidle")
    page.fill(selector, value)
    expect(page.locator(selector)).to_have_value(value)


def test_plan_page(cockpit):
    from playwright.sync_api import expect

    # Each refresh renders and lints every prepared message (about 1.5 s on the loaded
    # 2-core machine): wait longer than Playwright's default 5 s.
    expect.set_options(timeout=30_000)

    url = cockpit["url"]
    with chromium() as browser:
        page = log_in(browser, url, "lead", "lead-pw")
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(url + "/plan")
        page.wait_for_selector("#plan-register-table")
        assert keys(page) == ["outage", "data-leak", "rumour", "bad-press"]
        # The top risk is chosen: 16 prepared messages in two languages, all linted clean.
        expect(page.locator("#plan-risk-card")).to_contain_text(
            "Prepared messages (32, 0 failing)")
        expect(page.locator("#plan-segments-list")).to_contain_text("customers: 1 reachable")
        expect(page.locator("#plan-playbook-view")).to_contain_text(
            "Approve the first status update within 30 minutes")
        health = page.locator("#plan-health")
        expect(health).to_contain_text("Post-mortem action overdue")
        expect(health).to_contain_text("nobody reachable in segment press")
        expect(health).to_contain_text("Contact not confirmed for a year")
        page.screenshot(path=str(ARTIFACTS / "19-plan.png"))
        page.screenshot(path=str(ARTIFACTS / "19-plan-full.png"), full_page=True)

        # A message opens to show its text.
        page.locator("#plan-messages details").first.locator("summary").click()
        expect(page.locator("#plan-messages details").first).to_contain_text(
            "status/outage/investigating.en.j2")

        # A new risk started from the chosen one (the form holds the outage's 4 x 4 and its
        # messages): ranked with it, after it by key.
        expect(page.locator("#plan-owner")).to_have_value("CTO")
        page.fill("#plan-key", "supplier")
        page.fill("#plan-scenario", "Our payment provider is down for a day")
        page.fill("#plan-owner", "CFO")
        page.click("#plan-save")
        expect(page.locator("#plan-form-flash")).to_contain_text("Risk supplier: added.")
        expect(page.locator("tr.plan-risk[data-key='supplier']")).to_have_count(1)
        assert keys(page) == ["outage", "supplier", "data-leak", "rumour", "bad-press"]
        # Refused: every reason listed, nothing stored.
        fill_settled(page, "#plan-key", "Bad key")
        fill_settled(page, "#plan-owner", "")
        page.click("#plan-save")
        expect(page.locator("#plan-form-errors")).to_contain_text("owner: required")
        expect(page.locator("#plan-form-errors")).to_contain_text("key: 'Bad key' must be")

        # The overdue action is done; the plan update is applied (outage becomes 5 x 4).
        page.click("#plan-actions button:has-text('Done')")
        expect(page.locator("#plan-lessons-flash")).to_contain_text("Action #1 done.")
        expect(health).not_to_contain_text("Post-mortem action overdue")
        page.click(".plan-update button:has-text('Apply')")
        expect(page.locator("#plan-lessons-flash")).to_contain_text("Plan update #1 applied.")
        expect(page.locator("tr.plan-risk[data-key='outage'] td.plan-score")).to_have_text("20")
        page.screenshot(path=str(ARTIFACTS / "19-plan-after.png"))
    with cockpit["store"].session() as s:
        supplier = plan.find(s, "supplier")
        outage = plan.find(s, "outage")
        assert (supplier.owner, supplier.probability, supplier.impact) == ("CFO", 4, 4)
        assert supplier.messages == outage.messages and supplier.playbook == outage.playbook
        assert plan.find(s, "outage").probability == 5
        assert lessons.open_actions(s, NOW) == [] and lessons.open_updates(s) == []
