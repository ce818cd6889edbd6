"""Incident phases, facts and per-audience update clocks."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders.incidents import (
    Audience,
    TransitionError,
    active_incident,
    audience_clocks,
    declare,
    facts_for,
    transition,
    update_facts,
)
from store.models import AlertRow, DraftRow, TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)


def new_incident(session, severity="major"):
    alert = AlertRow(opened_at=T0, updated_at=T0, severity="major", kinds=["mentions"],
                     title="Unusual mention volume", evidence={}, status="open")
    session.add(alert)
    session.flush()
    return declare(session, title="Login outage", crisis_type="outage", severity=severity,
                   actor="lead", now=T0, alert=alert), alert


def clocks(session, incident, now):
    return {c.audience: c for c in audience_clocks(session, incident, now)}


def test_declare_from_alert_links_both_and_starts_timeline(store):
    with store.session() as s:
        incident, alert = new_incident(s)
        assert alert.incident_id == incident.id
        assert incident.phase == "investigating"
        assert active_incident(s).id == incident.id
        events = s.execute(select(TimelineRow)).scalars().all()
        assert "from alert #" in events[0].detail


def test_transitions_follow_the_table(store):
    with store.session() as s:
        incident, _ = new_incident(s)
        with pytest.raises(TransitionError, match="cannot go from investigating to postmortem"):
            transition(s, incident, "postmortem", actor="lead", now=T0)
        for phase in ("identified", "fixing", "monitoring", "resolved", "postmortem"):
            transition(s, incident, phase, actor="lead", now=T0 + timedelta(minutes=5))
        assert incident.resolved_at == T0 + timedelta(minutes=5)
        assert active_incident(s) is None


def test_facts_per_language_and_unknown_cause(store):
    with store.session() as s:
        incident, _ = new_incident(s)
        changed = update_facts(s, incident, actor="tech", now=T0, impact="60% of customers",
                               cause="  ", actions="rolling back")
        assert set(changed) == {"impact", "actions"}  # empty cause stays "not yet known"
        update_facts(s, incident, actor="tech", now=T0, lang="fr", impact="60 % des clients")
        assert facts_for(incident, "fr")["impact"] == "60 % des clients"
        assert facts_for(incident, "fr")["actions"] == "rolling back"  # falls back to English
        assert facts_for(incident, "en")["cause"] is None
        with pytest.raises(ValueError, match="unknown facts: blame"):
            update_facts(s, incident, actor="x", now=T0, blame="Bob")


def test_clocks_due_overdue_and_major_change(store):
    with store.session() as s:
        incident, _ = new_incident(s, severity="major")
        c = clocks(s, incident, T0 + timedelta(minutes=5))
        assert c[Audience.CUSTOMERS].state == "ok"
        assert c[Audience.CEO].state == "due"  # declaring is a major change: tell the CEO
        assert c[Audience.BOARD].state == "not_due"
        assert clocks(s, incident, T0 + timedelta(minutes=16))[Audience.TEAM].state == "due"
        later = clocks(s, incident, T0 + timedelta(minutes=40))
        assert later[Audience.TEAM].state == "overdue"

        s.add(DraftRow(incident_id=incident.id, kind="notify", audience="ceo", channel="email",
                       lang="en", phase="investigating", body="x", template="t", author="a",
                       status="published", created_at=T0, updated_at=T0,
                       published_at=T0 + timedelta(minutes=10)))
        s.flush()
        assert clocks(s, incident, T0 + timedelta(minutes=20))[Audience.CEO].state == "ok"
        update_facts(s, incident, actor="tech", now=T0 + timedelta(minutes=30),
                     eta=T0 + timedelta(hours=2))
        assert clocks(s, incident, T0 + timedelta(minutes=31))[Audience.CEO].state == "due"


def test_board_post_mortem_due_days_after_resolution(store):
    with store.session() as s:
        incident, _ = new_incident(s)
        transition(s, incident, "resolved", actor="lead", now=T0 + timedelta(hours=1))
        c = clocks(s, incident, T0 + timedelta(days=2))
        assert c[Audience.BOARD].state == "ok"
        assert c[Audience.BOARD].due_at == T0 + timedelta(hours=1, days=4)
        assert clocks(s, incident, T0 + timedelta(days=6))[Audience.BOARD].state == "overdue"
