"""Reminders: when an audience's update clock comes due, the role that owes it hears so.

Internal nudges, not public messages, so they need no approval (like alert pages). Each
reminder is sent once per clock state: once when the update is due, once more if it becomes
overdue. The reminder itself is the record: a `reminder` event on the incident's timeline,
written before sending, so a crash never nags twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from responders.alerting import Contact
from responders.channels.base import Channel, Message
from responders.delivery import deliver
from responders.incidents import ACTIVE, Audience, Clock, Phase, audience_clocks, record
from store.models import IncidentRow, TimelineRow

log = logging.getLogger("crisiswatch")
REMINDER_ACTOR = "crisiswatch"
FALLBACK_CHANNEL = "slack"  # the team channel, when the owner is not a known contact
WHAT = {Audience.TEAM: "team update", Audience.CEO: "CEO update",
        Audience.CUSTOMERS: "status page update", Audience.BOARD: "board post-mortem"}


def reminder_text(clock: Clock) -> str:
    """One line a busy person understands: what, since when, who owes it."""
    state = "overdue" if clock.state == "overdue" else "due"
    return (f"Reminder: the {WHAT[clock.audience]} is {state} "
            f"(since {clock.due_at:%H:%M} UTC, {clock.due_at:%d %b}); owed by {clock.owner}.")


def remind_due_updates(store, channels: dict[str, Channel], contacts: list[Contact],
                       now: datetime) -> int:
    """Remind the owner of every due or overdue update of open incidents (and of the
    board post-mortem after resolution); returns how many reminders were sent."""
    with store.session() as session:
        incidents = session.execute(select(IncidentRow).where(IncidentRow.phase.in_(
            [p.value for p in (*ACTIVE, Phase.RESOLVED)]))).scalars().all()
        todo = []
        for incident in incidents:
            for clock in audience_clocks(session, incident, now):
                if clock.state not in ("due", "overdue"):
                    continue
                text = reminder_text(clock)
                sent = session.execute(select(TimelineRow.id).where(
                    TimelineRow.incident_id == incident.id, TimelineRow.kind == "reminder",
                    TimelineRow.detail == text)).first()
                if sent is None:
                    record(session, incident, now, REMINDER_ACTOR, "reminder", text)
                    todo.append((incident.id, incident.title, clock, text))
    sent = 0
    for incident_id, title, clock, text in todo:
        sent += _send(store, channels, contacts, incident_id, title, clock, text, now)
    return sent


def _send(store, channels, contacts, incident_id, title, clock: Clock, text, now) -> int:
    """Through the owner's own channels when the owner is a known contact, else the team
    channel; the first channel that accepts is enough."""
    contact = next((c for c in contacts if c.name == clock.owner), None)
    routes = list(contact.channels) if contact else [(FALLBACK_CHANNEL, "")]
    for name, address in routes:
        if name not in channels:
            continue
        message = Message(draft_id=0, channel=name, audience="team", lang="en",
                          subject=f"Incident #{incident_id}: {WHAT[clock.audience]} "
                                  f"{clock.state}", body=text, incident_id=incident_id,
                          incident_title=title, to=address or None)
        if deliver(channels, name, message, now, store=store, purpose="reminder",
                   ref=f"incident:{incident_id}:{clock.audience}").ok:
            return 1
    return 0


@dataclass
class Reminding:
    """Stage: nudge whoever owes an audience its update once its clock is due."""

    channels: dict[str, Channel]
    contacts: list[Contact]

    def run_once(self, store, now: datetime) -> int:
        return remind_due_updates(store, self.channels, self.contacts, now)
