"""A team exercise end to end in headless Chromium (issue 19): the facilitator starts the
outage scenario at speed 10 on the Exercises page; the pipeline plays it (the test moves
the clock and runs the stages, like the live loop would); the team acknowledges, declares
and approves the status update in the normal screens, under the EXERCISE banner and with
the draft marked EXERCISE; the facilitator injects a journalist's question and an ETA that
slips, finishes, and reads the scorecard with its timeline chart. Nothing left the machine:
the real channels got nothing, the exercise log got the update.
Screenshots (1440x900) land in tests/artifacts/."""

from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from crisiswatch.exercise_mode import feed, guarded
from crisiswatch.pipeline import Pipeline
from crisiswatch.playbook import PLAYBOOK
from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer
from store import Store
from store.models import AlertRow, ExerciseRow, MentionRow, StatusPostRow
from tests.support.browser import ARTIFACTS, chromium
from tests.support.browser import require_browser as _require_browser
from tests.support.word_model import WordModel

pytestmark = pytest.mark.browser

T0 = datetime(2026, 3, 10, 9, 59, 30)  # the exercise begins at the next minute, 10:00
TIMEOUT = 30_000


@pytest.fixture
def cockpit(tmp_path):
    _require_browser()
    store = Store("sqlite:///" + str(tmp_path / "dash.db"))
    store.upgrade()
    clock = {"now": T0}
    real = {n: LogChannel(n, tmp_path / "real-outbox.jsonl")
            for n in ("slack", "email", "sms", "x", "reddit", "mastodon", "bluesky")}
    real["statuspage"] = StatusPageChannel(store)
    pipeline = Pipeline(store=store, collectors=[feed(store, Brand())],
                        scorer=Scorer(WordModel()),
                        channels=guarded(real, store, tmp_path / "exercise-outbox.jsonl"),
                        brand=Brand())
    with store.session() as s:
        add_user(s, "lead", "lead-pw", "approver", now=T0)
        add_user(s, "ed", "ed-pw", "editor", now=T0)
    book = PLAYBOOK["outage"]
    ctx = DashboardContext(
        store=store, clock=lambda: clock["now"], library=TemplateLibrary(), brand=Brand(),
        secret_key="browser-test", refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=lambda: {"title": book["title"], "crisis_type": book["crisis_type"],
                                "severity": book["severity"]})
    httpd = make_server("127.0.0.1", 0, create_app(ctx).server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "clock": clock,
           "pipeline": pipeline, "tmp": tmp_path}
    httpd.shutdown()
    store.engine.dispose()


def login(page, url, user, password):
    page.goto(url + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def play_until(cockpit, condition, limit=timedelta(minutes=20)):
    """Move the clock a minute at a time, running every stage, until `condition(session)`."""
    end = cockpit["clock"]["now"] + limit
    while cockpit["clock"]["now"] < end:
        cockpit["clock"]["now"] += timedelta(minutes=1)
        cockpit["pipeline"].run_once(cockpit["clock"]["now"])
        with cockpit["store"].session() as s:
            if condition(s):
                return
    pytest.fail("the exercise never got there")


def shot(page, name):
    page.wait_for_timeout(400)  # let the last callback paint
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_an_exercise_played_end_to_end(cockpit):
    from playwright.sync_api import expect

    url, store, tmp = cockpit["url"], cockpit["store"], cockpit["tmp"]
    expect.set_options(timeout=TIMEOUT)
    with chromium() as browser:
        page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        page.set_default_timeout(TIMEOUT)

        # An editor plays but cannot run an exercise.
        login(page, url, "ed", "ed-pw")
        page.goto(url + "/exercises")
        page.fill("#exercises-name", "Q1 outage drill")
        page.click("#exercises-start")
        expect(page.locator("#exercises-start-flash")).to_contain_text("run an exercise")
        page.context.clear_cookies()

        # The facilitator starts the outage scenario at speed 10.
        login(page, url, "lead", "lead-pw")
        page.goto(url + "/exercises")
        expect(page.locator("#exercises-history-empty")).to_be_visible()
        page.fill("#exercises-name", "Q1 outage drill")
        page.check("#exercises-speed input[value='10']")
        page.click("#exercises-start")
        expect(page.locator("#exercises-start-flash")).to_contain_text("Exercise #1 started")
        expect(page.locator("#shell-exercise-banner")).to_contain_text("Q1 outage drill")
        expect(page.locator("#exercises-running")).to_contain_text("speed ×10")

        # It plays: calm hours first, then the crisis, ten simulated minutes a minute.
        play_until(cockpit, lambda s: s.execute(select(AlertRow)).first() is not None)

        # The team, on the usual overview: acknowledge, then declare from the alert.
        page.goto(url + "/")
        expect(page.locator("#shell-exercise-banner")).to_be_visible()
        alert = page.locator(".alert").first
        alert.get_by_role("button", name="Acknowledge").click()
        expect(alert).to_contain_text("acknowledged by lead")
        cockpit["clock"]["now"] += timedelta(minutes=2)
        alert.get_by_role("button", name=re.compile("Declare incident")).click()
        page.click("#overview-declare-submit")
        page.get_by_text(re.compile(r"Incident #\d+ declared")).wait_for()

        # Approvals: the status-page update says EXERCISE; approving sends it to the log.
        cockpit["clock"]["now"] += timedelta(minutes=3)
        page.goto(url + "/approvals")
        card = page.locator(".card").filter(has=page.locator(".chan", has_text="status page")) \
            .filter(has=page.locator(".lang-en")).first
        expect(card.locator(".tag-exercise")).to_have_text("EXERCISE")
        shot(page, "40-exercise-approvals")
        override = card.locator("input[type=text]")
        if override.is_visible():
            override.fill("exercise: checked with the tech lead")
        card.get_by_role("button", name="Approve and send").click()
        page.get_by_text(re.compile(r"Draft #\d+: Approved and sent")).wait_for()

        # Injects: a journalist's question, then the ETA slips.
        cockpit["clock"]["now"] += timedelta(minutes=2)
        page.goto(url + "/exercises")
        page.fill("#exercises-q-author", "jdupont_lemonde")
        page.fill("#exercises-q-text", "@nimbushq Is customer data exposed? When do you say more?")
        page.click("#exercises-q-send")
        expect(page.locator("#exercises-inject-flash")).to_contain_text("arrived")
        page.fill("#exercises-eta-minutes", "45")
        page.click("#exercises-eta-send")
        expect(page.locator("#exercises-inject-flash")).to_contain_text("slipped by 45 min")
        expect(page.locator("#exercises-injects")).to_contain_text("question from jdupont")
        expect(page.locator("#exercises-injects")).to_contain_text("ETA slipped by 45 min")
        shot(page, "41-exercise-running")
        page.goto(url + "/mentions")
        expect(page.get_by_text("Is customer data exposed?", exact=False).first).to_be_visible()

        # Play on a little, then finish and read the scorecard.
        for _ in range(5):
            cockpit["clock"]["now"] += timedelta(minutes=1)
            cockpit["pipeline"].run_once(cockpit["clock"]["now"])
        page.goto(url + "/exercises")
        page.click("#exercises-finish")
        page.locator("#exercises-scorecard-link").click()
        expect(page.locator("#exercises-scorecard-h")).to_contain_text("Q1 outage drill")
        expect(page.locator("#score-time_to_ack_s")).not_to_have_text("—")
        expect(page.locator("#score-time_to_first_public_statement_s")).not_to_have_text("—")
        page.locator("#exercises-timeline .main-svg").first.wait_for()
        expect(page.locator("#shell-exercise-banner")).to_have_count(0)
        shot(page, "42-exercise-scorecard")
        page.goto(url + "/exercises")
        expect(page.locator("#exercises-history-table")).to_contain_text("Q1 outage drill")
        page.locator("#exercises-progress .main-svg").first.wait_for()
        shot(page, "43-exercise-history")

    with store.session() as s:
        ex = s.get(ExerciseRow, 1)
        card = ex.scorecard
        alert = s.execute(select(AlertRow).order_by(AlertRow.opened_at)).scalars().first()
        assert s.execute(select(MentionRow).where(
            MentionRow.external_id == "ex1:inject-1")).scalar_one().author == "jdupont_lemonde"
        assert s.execute(select(StatusPostRow)).first() is None  # the public page: nothing
    assert card["origin"] == "alert" and card["origin_at"] == alert.opened_at.isoformat()
    assert card["time_to_ack_s"] >= 0 and card["time_to_declare_s"] >= 120
    assert card["time_to_first_public_statement_s"] >= card["time_to_declare_s"] + 180
    assert not (tmp / "real-outbox.jsonl").exists()  # nothing left the machine
    logged = [json.loads(line) for line in
              (tmp / "exercise-outbox.jsonl").read_text().splitlines()]
    assert any(e["channel"] == "statuspage" for e in logged)
