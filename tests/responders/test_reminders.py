"""Reminders: the owner of a due update hears once when due and once when overdue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from responders.alerting import Contact
from responders.channels.base import ChannelError, Delivery
from responders.incidents import assign_roles, declare, transition
from responders.reminders import remind_due_updates
from store.models import TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)


class Inbox:
    def __init__(self, name, fail=False):
        self.name, self.fail, self.got = name, fail, []

    def send(self, message, now):
        if self.fail:
            raise ChannelError("down")
        self.got.append(message)
        return Delivery()


def reminders(store):
    with store.session() as s:
        return [e.detail for e in s.execute(
            select(TimelineRow).where(TimelineRow.kind == "reminder")
            .order_by(TimelineRow.id)).scalars()]


def test_owner_is_reminded_once_when_due_and_once_when_overdue(store):
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="lead", now=T0)
        assign_roles(s, incident, actor="lead", now=T0, commander="Ana")
    sms, slack = Inbox("sms"), Inbox("slack")
    channels = {"sms": sms, "slack": slack}
    contacts = [Contact("Ana", (("sms", "+33600000001"),))]

    # Declaring is a major change: the CEO update (owed by the commander) is due at once.
    assert remind_due_updates(store, channels, contacts, T0 + timedelta(minutes=1)) == 1
    assert sms.got[0].to == "+33600000001" and "CEO update is due" in sms.got[0].body
    assert remind_due_updates(store, channels, contacts, T0 + timedelta(minutes=5)) == 0

    # 16 minutes in, the team and status-page updates come due; the comms lead ("lead")
    # is no contact, so the status-page reminder goes to the team channel.
    remind_due_updates(store, channels, contacts, T0 + timedelta(minutes=16))
    assert any("status page update is due" in m.body and "owed by lead" in m.body
               for m in slack.got)
    assert any("team update is due" in m.body for m in sms.got)

    # Later the CEO update is overdue: one more reminder for it, not a repeat of "due".
    remind_due_updates(store, channels, contacts, T0 + timedelta(minutes=40))
    texts = reminders(store)
    assert sum("CEO update is due" in t for t in texts) == 1
    assert sum("CEO update is overdue" in t for t in texts) == 1


def test_board_post_mortem_reminder_after_resolution_and_failures_are_not_fatal(store):
    with store.session() as s:
        incident = declare(s, title="Login outage", crisis_type="outage", severity="minor",
                           actor="lead", now=T0)
        transition(s, incident, "resolved", actor="lead", now=T0 + timedelta(hours=1))
    down = Inbox("slack", fail=True)
    assert remind_due_updates(store, {"slack": down}, [], T0 + timedelta(days=5)) == 0
    assert any("board post-mortem is due" in t for t in reminders(store))
    # Recorded before sending: a failed nudge is not repeated every cycle.
    assert remind_due_updates(store, {"slack": down}, [], T0 + timedelta(days=5, hours=1)) == 0
    assert sum("board post-mortem is due" in t for t in reminders(store)) == 1
