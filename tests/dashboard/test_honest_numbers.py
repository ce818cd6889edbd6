"""Issue 15, items 1 and 8 in the cockpit: "normally" figures from the pre-crisis baseline,
counters that move, true source counts, and the reason a stale draft cannot be approved."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from collectors.ingest import Collecting
from dashboard import data, source_data
from dashboard.app import create_app
from dashboard.context import DashboardContext
from responders.approval import approve
from responders.drafts import Brand, suggest_replies
from responders.incidents import declare, update_facts
from responders.templates import TemplateLibrary
from store import Store
from store.models import AlertRow, MentionRow, ScoreRow

NOW = datetime(2026, 12, 3, 12, 18)
LIB, BRAND = TemplateLibrary(), Brand()


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store("sqlite:///" + str(tmp_path / "t.db"))
    s.upgrade()
    yield s
    s.engine.dispose()


def add(s, n, at, label="neutral", text="Nimbus sync is fine", followers=10):
    m = MentionRow(source="x", external_id=f"m{n}", author=f"user{n}", author_followers=followers,
                   text=text, lang="en", created_at=at, collected_at=at, metrics={}, raw={})
    s.add(m)
    s.flush()
    p = {"negative": 0.1, "neutral": 0.1, "positive": 0.1, label: 0.8}
    s.add(ScoreRow(mention_id=m.id, label=label, rumour=0.0, crisis_type="outage", lang="en",
                   model="t", scored_at=at, **p))
    return m


def test_normally_is_the_pre_crisis_baseline_frozen_while_an_incident_is_open(store):
    """At 12:18 the cockpit said "194, normally ~350": the crisis had become its own normal."""
    onset = datetime(2026, 12, 3, 10, 45)
    with store.session() as s:
        n = 0
        minute = onset - timedelta(hours=4)
        while minute < NOW:  # 1 a minute before the crisis, 20 a minute during it
            for _ in range(1 if minute < onset else 20):
                add(s, n, minute, "negative" if minute >= onset else "neutral")
                n += 1
            minute += timedelta(minutes=1)
        alert = AlertRow(opened_at=onset + timedelta(minutes=3), updated_at=NOW,
                         severity="major", kinds=["mentions"], title="t", evidence={},
                         status="open")
        s.add(alert)
        s.flush()
        declare(s, title="Outage", crisis_type="outage", severity="major", actor="lead",
                now=onset + timedelta(minutes=10), alert=alert)
        k = data.kpis(s, NOW)
        assert k["mentions"] == 300
        assert k["mentions_normal"] == pytest.approx(15)  # 1 a minute, before the crisis
        assert k["negative_share_normal"] == 0
        assert k["baseline_frozen_at"] <= onset


def test_the_approvals_counter_moves_after_approvals(store):
    """The counter stayed at 14 after five approvals: every approval refilled the queue."""
    with store.session() as s:
        inc = declare(s, title="Outage", crisis_type="outage", severity="major", actor="lead",
                      now=NOW - timedelta(minutes=30))
        update_facts(s, inc, actor="lead", now=NOW - timedelta(minutes=30),
                     impact="many customers cannot log in")
        for i in range(30):
            add(s, i, NOW - timedelta(minutes=20), "negative", "Nimbus is down, can't log in",
                followers=i)
        replies = suggest_replies(s, inc, LIB, BRAND, NOW)
        before = data.waiting_count(s)
        for d in replies[:5]:
            approve(s, d, approver="lead", role="approver", now=NOW, override_reason="ok")
        suggest_replies(s, inc, LIB, BRAND, NOW + timedelta(minutes=1))  # the next cycle
        assert data.waiting_count(s) == before - 5


def test_sources_page_counts_what_the_drill_collected(store):
    """The Sources page said the drill collected 0: its collector was not health-tracked."""
    from collectors.drill import DrillPlan
    from crisiswatch.drill import drill_pipeline

    plan = DrillPlan(scenario="outage", onset=NOW)
    pipeline, start = drill_pipeline(
        lambda sources: SimpleNamespace(store=store, collectors=sources), plan)
    got = Collecting(pipeline.collectors).run_once(store, start + timedelta(minutes=30))
    with store.session() as s:
        [row] = source_data.source_health(s, start + timedelta(minutes=30))
    assert got > 0 and row["source"] == "drill" and row["collected"] >= got


def test_a_stale_draft_shows_why_it_cannot_be_approved(store):
    with store.session() as s:
        inc = declare(s, title="Outage", crisis_type="outage", severity="major", actor="lead",
                      now=NOW - timedelta(minutes=30))
        update_facts(s, inc, actor="lead", now=NOW - timedelta(minutes=30),
                     impact="many customers cannot log in")
        add(s, 1, NOW - timedelta(minutes=10), "negative", "Nimbus is down, can't log in")
        [reply] = suggest_replies(s, inc, LIB, BRAND, NOW)
        update_facts(s, inc, actor="lead", now=NOW, cause="a faulty database update")
        sig = data.queue_signature(s, NOW)
        [card] = data.approval_queue(s, NOW)
        assert card["id"] == reply.id and "out of date" in card["stale"]
        assert sig != data.queue_signature(s, NOW + timedelta(hours=3))  # promise lapses
    create_app(DashboardContext(store=store, clock=lambda: NOW, library=LIB, brand=BRAND,
                                secret_key="test-secret"))
    approvals_page = next(m for n, m in sys.modules.items() if n.endswith("pages.approvals"))
    rendered = str(approvals_page.render_card(card, can_edit=True, can_approve=True))
    assert "Cannot be approved or sent" in rendered
    button = _find(approvals_page.render_card(card, True, True), "approvals-approve")
    assert button.disabled is True


def _find(component, kind):
    if isinstance(getattr(component, "id", None), dict) and component.id.get("type") == kind:
        return component
    for child in (getattr(component, "children", None) or []) if isinstance(
            getattr(component, "children", None), list) else [getattr(component, "children",
                                                                        None)]:
        if child is not None and not isinstance(child, str):
            found = _find(child, kind)
            if found is not None:
                return found
    return None


def test_the_status_page_carries_the_one_promised_next_update(store):
    from responders.channels.statuspage import StatusPageChannel
    from responders.drafts import suggest_updates
    from responders.outbox import publish_approved

    with store.session() as s:
        inc = declare(s, title="Outage", crisis_type="outage", severity="major", actor="lead",
                      now=NOW - timedelta(minutes=30))
        update_facts(s, inc, actor="lead", now=NOW - timedelta(minutes=30),
                     impact="many customers cannot log in")
        update_facts(s, inc, actor="lead", now=NOW - timedelta(minutes=30), lang="fr",
                     impact="de nombreux clients ne peuvent pas se connecter",
                     title="Panne")
        for d in suggest_updates(s, inc, LIB, BRAND, NOW):
            if d.channel == "statuspage":
                approve(s, d, approver="lead", role="approver", now=NOW, override_reason="ok")
    publish_approved(store, {"statuspage": StatusPageChannel(store)}, NOW)
    with store.session() as s:
        promises = {lang: data.status_page(s, lang)["incidents"][0]["next_update_at"]
                    for lang in ("en", "fr")}
    assert promises["en"] == promises["fr"] == datetime(2026, 12, 3, 13, 30)
