"""Issue 15 in headless Chromium: the approvals queue after a phase change with queued
replies. Drafts the incident has moved past say why they cannot be approved (and cannot
be); once the drafting stage has run, every queued reply is rewritten for the new phase.

Screenshots land in tests/artifacts/ (git-ignored) for a human to look at.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.incidents import declare, transition, update_facts
from responders.templates import TemplateLibrary
from store.models import AlertRow, DraftRow, IncidentRow
from tests.support.browser import ARTIFACTS, chromium, drilled, log_in
from tests.support.browser import require_browser as _require_browser

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cockpit(tmp_path_factory):
    _require_browser()
    store, pipeline, now = drilled(tmp_path_factory.mktemp("approvals-browser"),
                                   before=timedelta(hours=2), after=timedelta(minutes=20))
    with store.session() as s:
        alert = s.execute(select(AlertRow).order_by(AlertRow.opened_at)).scalars().first()
        assert alert is not None, "the drill raised no alert"
        incident = declare(s, title="Login and file sync outage", crisis_type="outage",
                           severity="major", actor="alice", now=now, alert=alert)
        update_facts(s, incident, actor="alice", now=now,
                     impact="about 60% of customers cannot log in or sync files",
                     known="logins fail with errors", actions="our engineers are investigating")
        add_user(s, "alice", "alice-pw", "approver", now=now)
        incident_id = incident.id
    pipeline.draft(now)
    ctx = DashboardContext(store=store, clock=lambda: now, library=TemplateLibrary(),
                           brand=Brand(), secret_key="browser-test",
                           refresh_drafts=pipeline.draft, publish=pipeline.publish)
    httpd = make_server("127.0.0.1", 0, create_app(ctx).server, threaded=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield {"url": f"http://127.0.0.1:{httpd.server_port}", "store": store, "now": now,
           "pipeline": pipeline, "incident_id": incident_id}
    httpd.shutdown()
    store.engine.dispose()


def test_approvals_queue_after_a_phase_change_with_queued_replies(cockpit):

    store, now, url = cockpit["store"], cockpit["now"], cockpit["url"]
    with store.session() as s:
        replies = s.execute(select(DraftRow).where(DraftRow.kind == "reply",
                                                   DraftRow.status == "draft")).scalars().all()
        assert replies, "the drill left no reply to approve"
        assert all("the cause isn't known yet" in d.body for d in replies
                   if d.template.endswith("outage_complaint.en.j2"))
    with chromium() as browser:
        page = log_in(browser, url, "alice", "alice-pw")
        page.goto(url + "/approvals")
        page.locator(".card").first.wait_for()

        # Meanwhile, on another screen: the cause is found, the phase moves on; the
        # drafting stage has not run yet.
        with store.session() as s:
            incident = s.get(IncidentRow, cockpit["incident_id"])
            update_facts(s, incident, actor="bob", now=now, cause="a faulty database update")
            transition(s, incident, "identified", actor="bob", now=now)
        notice = page.get_by_text(re.compile("Cannot be approved or sent: this draft is out "
                                             "of date")).first
        notice.wait_for()
        stale_card = page.locator(".card").filter(has=notice).first
        assert stale_card.get_by_role("button", name="Approve and send").is_disabled()
        page.screenshot(path=str(ARTIFACTS / "20-approvals-stale.png"))

        # The drafting stage runs: every queued reply is rewritten, none is stale any more.
        cockpit["pipeline"].draft(now)
        page.get_by_text(re.compile("Cannot be approved or sent")).first.wait_for(
            state="detached")
        reply_card = page.locator(".card").filter(has=page.locator(".replying")).first
        reply_card.wait_for()
        assert "the cause isn't known yet" not in reply_card.locator("textarea").input_value()
        override = reply_card.locator("input[type=text]")
        if override.is_visible():
            override.fill("checked with the tech lead")
        reply_card.get_by_role("button", name="Approve and send").click()
        page.get_by_text(re.compile(r"Draft #\d+: Approved")).wait_for()
        page.screenshot(path=str(ARTIFACTS / "21-approvals-rewritten.png"))
    with store.session() as s:
        incident = s.get(IncidentRow, cockpit["incident_id"])
        queued = s.execute(select(DraftRow).where(DraftRow.kind == "reply",
                                                  DraftRow.status == "draft")).scalars().all()
        assert queued and all(d.incident_version == incident.version for d in queued)
        assert all("cause isn't known" not in d.body for d in queued)


def test_status_page_after_the_phase_change_tells_one_story(cockpit):
    """After the phase change above, the comms lead approves the rewritten status updates
    in both languages: the public page, in English and in French, says the new phase, the
    same next-update time, nothing of the stale 'cause unknown', and no English in French."""

    store, now, url = cockpit["store"], cockpit["now"], cockpit["url"]
    with store.session() as s:
        incident = s.get(IncidentRow, cockpit["incident_id"])
        update_facts(s, incident, actor="alice", now=now, lang="fr",
                     title="Panne de connexion et de synchronisation",
                     impact="environ 60 % des clients ne peuvent pas se connecter ni "
                            "synchroniser leurs fichiers",
                     known="les connexions échouent avec des erreurs",
                     actions="nos ingénieurs corrigent la mise à jour de la base",
                     cause="une mise à jour défectueuse de la base de données")
    cockpit["pipeline"].draft(now)
    with chromium() as browser:
        page = log_in(browser, url, "alice", "alice-pw")
        page.goto(url + "/approvals")
        for language in ("English", "French"):
            card = page.locator(".card").filter(has_text="Status Page").filter(
                has_text=language).first
            card.wait_for()
            override = card.locator("input[type=text]")
            if override.is_visible():
                override.fill("checked with the tech lead")
            card.get_by_role("button", name="Approve and send").click()
            page.get_by_text(re.compile(r"Draft #\d+: Approved")).first.wait_for()
        cockpit["pipeline"].publish(now)
        pages = {}
        for lang in ("en", "fr"):
            page.goto(f"{url}/status?lang={lang}")
            pages[lang] = page.locator("main").inner_text()
            page.screenshot(path=str(ARTIFACTS / f"22-status-after-phase-change-{lang}.png"),
                            full_page=True)
    en, fr = pages["en"], pages["fr"]
    assert "Identified" in en and "Cause identifiée" in fr
    assert "cause isn't known" not in en and "Panne de connexion" in fr
    promised = re.search(r"next update by (\d\d:\d\d) UTC", en)
    assert promised, en
    hh, mm = promised.group(1).split(":")
    assert f"prochain point à {int(hh)} h {mm}" in fr.replace("\u202f", " ").replace(
        "\u00a0", " ")
    for english in ("customers cannot", "logins fail", "our engineers"):
        assert english not in fr, f"English in the French page: {english!r}"
