"""Key accounts (an owner, call first, the shared channel, a 2-hour cadence with due and
overdue, the follow-up after resolution) and the regulator clock (GDPR art. 33: 72 hours
from awareness, a checklist, the art. 34 notice) (issue 18)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders.contacts import find_contact, import_csv
from responders.incidents import declare, transition, update_facts
from responders.key_accounts import KeyAccountError, complete, followup_text, plan
from responders.regulators import (
    CHECKLIST,
    RegulatorError,
    ensure_clock,
    mark_notified,
    missing,
    notice_to_affected,
    regulator_due,
    set_item,
    start_clock,
    state,
)
from store.models import TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Carla Key,key-accounts,carla@bigco.example,,fr,Europe/Paris,BigCo,Dana Manager
Ben Ode,staff,ben@nimbus.example,,en,UTC,Nimbus,
"""


def incident(session, crisis_type="data_leak"):
    return declare(session, title="Customer data exposed", crisis_type=crisis_type,
                   severity="major", actor="lead", now=T0)


def test_key_account_owner_tasks_and_cadence(store):
    with store.session() as s:
        import_csv(s, CSV, T0)
        inc = incident(s, "outage")
        (carla,) = plan(s, inc, T0)
        assert (carla.owner, carla.next_task, carla.state) == ("Dana Manager", "call", "ok")
        assert plan(s, inc, T0 + timedelta(minutes=31))[0].state == "due"
        assert plan(s, inc, T0 + timedelta(minutes=61))[0].state == "overdue"
        contact = find_contact(s, "carla@bigco.example")
        complete(s, inc, contact, "call", actor="dana", now=T0 + timedelta(minutes=10))
        assert plan(s, inc, T0 + timedelta(minutes=11))[0].next_task == "channel"
        complete(s, inc, contact, "channel", actor="dana", now=T0 + timedelta(minutes=20))
        cadence = plan(s, inc, T0 + timedelta(minutes=21))[0]
        assert (cadence.next_task, cadence.due_at) == ("update", T0 + timedelta(hours=2,
                                                                                minutes=20))
        assert plan(s, inc, T0 + timedelta(hours=2, minutes=20))[0].state == "due"
        assert plan(s, inc, T0 + timedelta(hours=2, minutes=50))[0].state == "overdue"
        complete(s, inc, contact, "update", actor="dana", now=T0 + timedelta(hours=2, minutes=25))
        assert plan(s, inc, T0 + timedelta(hours=2, minutes=30))[0].state == "ok"
        update_facts(s, inc, actor="lead", now=T0, impact="les exports ont échoué.",
                     actions="nous avons corrigé le service", lang="fr")
        transition(s, inc, "resolved", actor="lead", now=T0 + timedelta(hours=3))
        after = plan(s, inc, T0 + timedelta(hours=3))[0]
        assert (after.next_task, after.due_at) == ("followup", T0 + timedelta(days=1, hours=3))
        text = followup_text(inc, contact)
        assert text.startswith("Bonjour Carla Key") and "les exports ont échoué" in text
        assert "les exports ont échoué\n" in text  # the typed full stop is not doubled up
        complete(s, inc, contact, "followup", actor="dana", now=T0 + timedelta(hours=20))
        assert plan(s, inc, T0 + timedelta(hours=21))[0].state == "done"
        with pytest.raises(KeyAccountError, match="not a key account"):
            complete(s, inc, find_contact(s, "ben@nimbus.example"), "call", actor="dana",
                     now=T0)
        timeline = s.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "key-account")).scalars().all()
    assert timeline[0] == "BigCo: call the client personally done by dana"
    assert len(timeline) == 4


def test_regulator_clock_72_hours_checklist_and_notice(store):
    with store.session() as s:
        assert regulator_due(s) is None
        outage = incident(s, "outage")
        assert ensure_clock(s, outage, actor="lead", now=T0) is None
        leak = incident(s)
        clock = ensure_clock(s, leak, actor="lead", now=T0)
        assert clock.due_at == T0 + timedelta(hours=72)
        assert ensure_clock(s, leak, actor="lead", now=T0).id == clock.id  # once
        aware = T0 - timedelta(hours=5)  # the company knew before the incident was declared
        uk = start_clock(s, leak, actor="dpo", now=T0, aware_at=aware, jurisdiction="uk-gdpr")
        assert regulator_due(s) == uk.due_at == aware + timedelta(hours=72)
        assert state(clock, T0) == "ok"
        assert state(clock, T0 + timedelta(hours=61)) == "due"
        assert state(clock, T0 + timedelta(hours=72)) == "overdue"
        with pytest.raises(RegulatorError, match="lacks: nature of the breach"):
            mark_notified(s, clock, actor="dpo", now=T0 + timedelta(hours=30))
        for item in CHECKLIST:
            set_item(s, clock, item, f"the {item}", actor="dpo", now=T0)
        assert missing(clock) == []
        assert "What happened: the nature" in notice_to_affected(clock)
        french = notice_to_affected(clock, "fr")
        assert "Qui contacter\u00a0: the contact" in french  # French typography
        assert french.startswith("Un incident de sécurité concernant vos données")
        mark_notified(s, clock, actor="dpo", now=T0 + timedelta(hours=30))
        assert state(clock, T0 + timedelta(hours=80)) == "notified"
        assert regulator_due(s, leak) == uk.due_at
        with pytest.raises(RegulatorError, match="unknown jurisdiction"):
            start_clock(s, leak, actor="dpo", now=T0, jurisdiction="mars")
        notified = s.execute(select(TimelineRow.detail).where(
            TimelineRow.detail.like("Regulator notified%"))).scalar_one()
    assert notified == "Regulator notified (eu-gdpr)"
