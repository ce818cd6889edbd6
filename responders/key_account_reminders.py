"""Reminders to key-account owners (issue 18): when the owner's next task for a key account
comes due (the call, the shared channel, the update at the account's cadence until
resolution, the personal follow-up afterwards: `responders.key_accounts.plan`), the owner
hears once, and once more if it becomes overdue.

Part of the reminders stage (`responders.reminders.Reminding`). Each reminder is claimed by
inserting its `key_account_reminders` row under a unique key (incident, account, task, due
state, due time), with its timeline entry, in one commit before anything is sent: a second
worker or a later cycle finds it claimed and skips, so nobody is nagged twice; the next
update's due time is a new key, so the cadence reminds again. The owner is reached on their
own channels when they are a known contact (an on-call contact, else a stored contact of
that name), else on the team channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from responders.alerting import Contact
from responders.channels.base import Channel, Message
from responders.contacts import channels_of
from responders.delivery import deliver
from responders.incidents import ACTIVE, Phase, record
from responders.key_accounts import LABELS, Standing, plan
from responders.wording import TIME_AND_DAY, Wording, moment, word, wording
from store.models import ContactRow, IncidentRow, KeyAccountReminderRow

REMINDER_ACTOR = "crisiswatch"
FALLBACK_CHANNEL = "slack"  # the team channel, when the owner is not a known contact
ROUTE_ORDER = ("slack", "email", "sms")  # a stored contact: the least intrusive first


def reminder_text(standing: Standing, incident_id: int) -> Wording:
    """One line the owner understands: which account, what, since when (`str()`: the
    English sent to the owner; the timeline keeps its key)."""
    state = "overdue" if standing.state == "overdue" else "due"
    return wording("Reminder: {who} (key account, incident #{incident}): {task} is {state} "
                   "(since {at}); owner {owner}.",
                   who=standing.organisation or standing.name, incident=incident_id,
                   task=word("key_task", standing.next_task, LABELS[standing.next_task].lower()),
                   state=word("clock_state", state), at=moment(standing.due_at, True, TIME_AND_DAY),
                   owner=standing.owner)


def remind_key_accounts(store, channels: dict[str, Channel], contacts: list[Contact],
                        now: datetime) -> int:
    """Remind the owner of every key-account task due or overdue, for open incidents and
    resolved ones owing the follow-up; returns how many reminders were sent."""
    with store.session() as session:
        incidents = session.execute(select(IncidentRow).where(IncidentRow.phase.in_(
            [p.value for p in (*ACTIVE, Phase.RESOLVED)]))).scalars().all()
        owed = [(incident.id, incident.title, standing)
                for incident in incidents for standing in plan(session, incident, now)
                if standing.state in ("due", "overdue")]
    todo = []
    for incident_id, title, standing in owed:
        text = reminder_text(standing, incident_id)
        try:
            with store.session() as session:
                session.add(KeyAccountReminderRow(
                    incident_id=incident_id, contact_id=standing.contact_id,
                    task=standing.next_task, state=standing.state, basis=standing.due_at,
                    at=now))
                session.flush()  # the unique key: whoever inserts first sends
                record(session, session.get(IncidentRow, incident_id), now, REMINDER_ACTOR,
                       "reminder", text)
        except IntegrityError:
            continue  # already reminded of this due state (another worker or cycle)
        todo.append((incident_id, title, standing, text))
    return sum(_send(store, channels, contacts, *item, now) for item in todo)


def _routes(store, contacts: list[Contact], owner: str) -> list[tuple[str, str]]:
    on_call = next((c for c in contacts if c.name == owner), None)
    if on_call is not None:
        return list(on_call.channels)
    with store.session() as session:
        stored = session.execute(select(ContactRow).where(ContactRow.name == owner)
                                 .order_by(ContactRow.id).limit(1)).scalar_one_or_none()
        reach = channels_of(stored) if stored is not None else {}
    routes = [(name, reach[name]) for name in ROUTE_ORDER if name in reach]
    return routes or [(FALLBACK_CHANNEL, "")]


def _send(store, channels, contacts, incident_id, title, standing: Standing, text,
          now) -> int:
    """Through the first of the owner's routes that accepts it."""
    for name, address in _routes(store, contacts, standing.owner):
        if name not in channels:
            continue
        message = Message(draft_id=0, channel=name, audience="team", lang="en",
                          subject=f"Key account {standing.organisation or standing.name}: "
                                  f"{LABELS[standing.next_task].lower()} {standing.state}",
                          body=str(text), incident_id=incident_id, incident_title=title,
                          to=address or None)
        if deliver(channels, name, message, now, store=store, purpose="reminder",
                   ref=f"key-account:{incident_id}:{standing.contact_id}:"
                       f"{standing.next_task}").ok:
            return 1
    return 0
