"""Reminders: when an audience's update clock comes due, the role that owes it hears so.

Internal nudges, not public messages, so they need no approval (like alert pages). Each
reminder is sent once per clock state: once when the update is due, once more if it becomes
overdue. A due state is (incident, audience, due | overdue, the update the clock counts
from), claimed by inserting its `reminders` row under a unique key before sending: a second
worker, a later cycle or a due time moved by a fact save never nags twice (the timeline
text, which carries the due time, is not the key). The `reminder` timeline event is written
with the claim, so a crash never nags twice either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from responders.action_reminders import remind_actions
from responders.alerting import Contact
from responders.cell import ROLES, CellConfig
from responders.cell_fatigue import remind_tired
from responders.channels.base import Channel, Message
from responders.delivery import deliver
from responders.incidents import ACTIVE, Audience, Clock, Phase, audience_clocks, record
from responders.key_account_reminders import remind_key_accounts
from responders.wording import TIME_AND_DAY, Wording, moment, word, wording
from store.models import IncidentRow, ReminderRow

log = logging.getLogger("crisiswatch")
REMINDER_ACTOR = "crisiswatch"
FALLBACK_CHANNEL = "slack"  # the team channel, when the owner is not a known contact
WHAT = {Audience.TEAM: "team update", Audience.CEO: "CEO update",
        Audience.CUSTOMERS: "status page update", Audience.BOARD: "board post-mortem"}


def reminder_text(clock: Clock) -> Wording:
    """One line a busy person understands: what, since when, who owes it (`str()` is the
    English sent to the owner; the timeline keeps the key for the cockpit's readers)."""
    state = "overdue" if clock.state == "overdue" else "due"
    # an unassigned role owes it: the role's key, shown as the role's name in the cockpit
    owner = word("cell_role", clock.owner, clock.owner) if clock.owner in ROLES else clock.owner
    return wording("Reminder: the {what} is {state} (since {at}); owed by {owner}.",
                   what=word("update_kind", clock.audience.value, WHAT[clock.audience]),
                   state=word("clock_state", state), at=moment(clock.due_at, True, TIME_AND_DAY),
                   owner=owner)


def remind_due_updates(store, channels: dict[str, Channel], contacts: list[Contact],
                       now: datetime) -> int:
    """Remind the owner of every due or overdue update of open incidents (and of the
    board post-mortem after resolution); returns how many reminders were sent."""
    with store.session() as session:
        incidents = session.execute(select(IncidentRow).where(IncidentRow.phase.in_(
            [p.value for p in (*ACTIVE, Phase.RESOLVED)]))).scalars().all()
        owed = []
        for incident in incidents:
            for clock in audience_clocks(session, incident, now):
                if clock.state in ("due", "overdue"):
                    basis = clock.last_update or incident.declared_at
                    if clock.audience is Audience.BOARD:
                        basis = incident.resolved_at or basis
                    owed.append((incident.id, incident.title, clock, basis))
    todo = []
    for incident_id, title, clock, basis in owed:
        text = reminder_text(clock)
        try:
            with store.session() as session:
                session.add(ReminderRow(incident_id=incident_id, audience=clock.audience.value,
                                        state=clock.state, basis=basis, at=now))
                session.flush()  # the unique key: whoever inserts first sends
                record(session, session.get(IncidentRow, incident_id), now, REMINDER_ACTOR,
                       "reminder", text)
        except IntegrityError:
            continue  # already reminded of this due state (another worker or cycle)
        todo.append((incident_id, title, clock, text))
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
                                  f"{clock.state}", body=str(text), incident_id=incident_id,
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
    cell: CellConfig = field(default_factory=CellConfig)  # its fatigue_after

    def run_once(self, store, now: datetime) -> int:
        # Post-mortem actions coming due or overdue are nudged by the same stage (issue 19),
        # and so are crisis-cell role holders on duty for too long.
        return (remind_due_updates(store, self.channels, self.contacts, now)
                + remind_actions(store, self.channels, self.contacts, now)
                + remind_tired(store, self.channels, self.contacts, self.cell, now)
                # and key-account owners whose call, update or follow-up is due (issue 18)
                + remind_key_accounts(store, self.channels, self.contacts, now))
