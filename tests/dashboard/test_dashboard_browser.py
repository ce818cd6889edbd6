"""The comms lead's path through the dashboard, in headless Chromium, against a store
filled by the real pipeline (drill source, word-based test model): sign in, see the
alert, declare, set the facts, approve the status update, see it on the public page.

Screenshots of every step land in tests/artifacts/ for a human to look at.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from crisiswatch.playbook import PLAYBOOK
from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer
from store.models import AlertRow, DraftRow, MentionRow, ScoreRow
from tests.support.browser import ARTIFACTS, chromium, drilled, nav_to
from tests.support.browser import require_browser as _require_browser
from tests.support.word_model import WordModel

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)><b>bold</b>"
TIMEOUT = 30_000  # generous: CI machines are shared and the pipeline thread competes



@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The dashboard on a free port, over a store 15 minutes into a drilled outage."""
    _require_browser()
    tmp = tmp_path_factory.mktemp("browser")
    store, pipeline, now = drilled(tmp, before=timedelta(hours=3), after=timedelta(minutes=15))
    clock = {"now": now}
    with store.session() as s:
        assert s.execute(select(AlertRow)).first(), "the drill raised no alert"
        m = MentionRow(source="x", external_id="xss-1", author="mallory", author_followers=5,
                       text=XSS, lang="en", created_at=now - timedelta(seconds=30),
                       collected_at=now, metrics={}, raw={})
        s.add(m)
        s.flush()
        s.add(ScoreRow(mention_id=m.id, label="neutral", negative=0.1, neutral=0.8,
                       positive=0.1, rumour=0.0, crisis_type=None, lang="en", model="test",
                       scored_at=now))
        add_user(s, "alice", "alice-pw", "approver", now=now)
    book = PLAYBOOK["outage"]
    ctx = DashboardContext(
        store=store, clock=lambda: clock["now"], library=TemplateLibrary(), brand=Brand(),
        secret_key="browser-test", refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=lambda: {"title": book["title"], "crisis_type": book["crisis_type"],
                                "severity": book["severity"]},
    )
    app = create_app(ctx)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "clock": clock}
    httpd.shutdown()
    store.engine.dispose()


@pytest.fixture(scope="module")
def page(server):

    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        pg = context.new_page()
        pg.set_default_timeout(TIMEOUT)
        pg.dialogs = []
        pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
        yield pg
        context.close()


def shot(page, name):
    """What the user sees first: the top of the page, one screen high."""
    page.wait_for_timeout(400)  # let the last callback paint
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_comms_lead_path(server, page):
    url = server["url"]
    page.goto(url + "/")
    assert "/login" in page.url
    shot(page, "00-login")
    page.fill("#username", "alice")
    page.fill("#password", "alice-pw")
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")

    # Overview: the alert is there with its evidence, the numbers are up.
    alert = page.locator(".alert").first
    alert.wait_for()
    # titled by what happened ("Mentions 4x normal, ..."), not by the detectors that fired
    assert any(w in alert.inner_text() for w in ("normal", "new words", "large accounts"))
    page.locator("#overview-kpi-mentions .kpi-value").wait_for()
    page.locator("#overview-activity .main-svg").first.wait_for()
    shot(page, "01-overview-alert")

    # Declare from the alert; the form is pre-filled from the playbook.
    alert.get_by_role("button", name=re.compile("Declare incident")).click()
    title = page.locator("#overview-declare-title")
    title.wait_for()
    assert title.input_value() == PLAYBOOK["outage"]["title"]
    shot(page, "02-declare-form")
    page.click("#overview-declare-submit")
    page.get_by_text(re.compile(r"Incident #\d+ declared")).wait_for()
    page.locator("#overview-incident .clock").first.wait_for()
    page.locator("#shell-phase .phase-investigating").wait_for()
    shot(page, "03-overview-declared")

    # Facts: impact with a figure, what we do; cause left empty (not yet known).
    nav_to(page, "/incident")
    page.locator("#incident-fact-impact").wait_for()
    page.fill("#incident-fact-impact", "about 60% of customers cannot log in or sync files")
    page.fill("#incident-fact-known", "logins and file sync fail with errors since 10:00 UTC")
    page.fill("#incident-fact-unknown", "the cause and how long the repair will take")
    page.fill("#incident-fact-cause", "")
    page.fill("#incident-fact-actions", "our engineers are investigating the login service")
    page.click("#incident-facts-save")
    page.locator("#incident-facts-msg .notice-ok").wait_for()
    page.locator("#incident-timeline .t-facts").first.wait_for()
    shot(page, "04-incident-facts")

    # Approvals: the English status-page update, with an override reason if warned.
    nav_to(page, "/approvals")
    card = page.locator(".card").filter(has=page.locator(".chan", has_text="status page")) \
        .filter(has=page.locator(".lang-en")).first
    card.wait_for()
    assert "60%" in card.locator("textarea").input_value()
    shot(page, "05-approvals")
    card.screenshot(path=str(ARTIFACTS / "05b-status-card.png"))
    override = card.locator("input[type=text]")
    if override.is_visible():
        override.fill("figures confirmed with the tech lead")
    card.get_by_role("button", name="Approve and send").click()
    page.get_by_text(re.compile(r"Draft #\d+: Approved and sent")).wait_for()
    page.locator("#approvals-sent .sent-ok").first.wait_for()
    shot(page, "06-approved")

    with server["store"].session() as s:
        sent = s.execute(select(DraftRow).where(
            DraftRow.channel == "statuspage", DraftRow.lang == "en",
            DraftRow.status == "published")).scalar_one()
        body = sent.body

    # The public page shows exactly the approved text, without signing in.
    public = page.context.browser.new_context()
    status_page = public.new_page()
    status_page.goto(url + "/status")
    assert "/status" in status_page.url
    status_text = status_page.locator("article .body").first.inner_text()
    assert status_text.strip() == body.strip()
    assert "Ongoing incident" in status_page.locator("#state").inner_text()
    status_page.screenshot(path=str(ARTIFACTS / "07-public-status.png"), full_page=True)
    public.close()

    # Mentions: a hostile mention is shown as the characters it is made of.
    nav_to(page, "/mentions")
    page.get_by_text(XSS, exact=True).wait_for()
    assert page.locator("#mentions-table img").count() == 0
    assert page.locator("#mentions-table b").count() == 0
    shot(page, "08-mentions")
    assert page.dialogs == []


def test_demo_walkthrough(tmp_path, page):
    """`crisiswatch demo` as started from the command line (its own store, users, live
    simulated clock and pipeline thread), walked in the browser: the alert appears by
    itself, the incident is declared from it, the status update approved, published."""
    from crisiswatch.demo import DEMO_USERS, start_demo
    from crisiswatch.settings import Settings
    from crisiswatch.wiring import App

    settings = Settings(database_url="sqlite:///" + str(tmp_path / "demo.db"),
                        data_dir=tmp_path, secret_key="demo-test")
    app = App(settings)
    app.scorer = Scorer(WordModel())  # the real model has its own tests; keep this fast
    handle = start_demo(app, scenario="outage", speed=240, log=lambda *_: None)
    httpd = make_server("127.0.0.1", 0, handle.dash_app.server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    try:
        user, password, _ = DEMO_USERS[0]
        page.context.clear_cookies()
        page.goto(url + "/login")
        page.fill("#username", user)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/")
        alert = page.locator(".alert").first
        alert.wait_for(timeout=60_000)  # the crisis starts 20 simulated minutes in
        shot(page, "10-demo-alert")
        alert.get_by_role("button", name=re.compile("Declare incident")).click()
        page.click("#overview-declare-submit")
        page.get_by_text(re.compile(r"Incident #\d+ declared")).wait_for()
        nav_to(page, "/approvals")
        card = page.locator(".card").filter(has=page.locator(".chan", has_text="status page")) \
            .filter(has=page.locator(".lang-en")).first
        card.wait_for()
        override = card.locator("input[type=text]")
        if override.is_visible():
            override.fill("checked with the tech lead")
        card.get_by_role("button", name="Approve and send").click()
        page.get_by_text(re.compile(r"Draft #\d+: Approved and sent")).wait_for()
        page.goto(url + "/status")
        assert "Ongoing incident" in page.locator("#state").inner_text()
        assert PLAYBOOK["outage"]["title"] in page.locator("article").first.inner_text()
        shot(page, "11-demo-status")
    finally:
        handle.stop.set()
        httpd.shutdown()
