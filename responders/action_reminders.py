"""Reminders for post-mortem actions (issue 19): the owner hears once when an action comes
due (`lessons.DUE_SOON` before its date) and once more when it is overdue, until it is done.

Part of the reminders stage (`responders.reminders.Reminding`). Each reminder is claimed by
a conditional UPDATE of the action's `reminded` state (NULL -> due -> overdue) in the same
commit as its timeline entry, before anything is sent: a second worker or a later cycle
finds it claimed and skips, so nobody is nagged twice. A new due date clears the state
(`lessons.reschedule_action`). The owner is a role on the incident (its holder is looked up)
or a team; they are reached on their own channels when they are a known contact, else on
the team channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update

from responders.alerting import Contact
from responders.channels.base import Channel, Message
from responders.delivery import deliver
from responders.incidents import record
from responders.lessons import action_state
from responders.wording import Wording, moment, wording
from store.models import IncidentRow, PostmortemActionRow

REMINDER_ACTOR = "crisiswatch"
FALLBACK_CHANNEL = "slack"
# The states a reminder may be claimed from, per state to remind of.
_FROM = {"due": (None,), "overdue": (None, "due")}


def reminder_text(action: PostmortemActionRow, state: str, owner: str) -> Wording:
    """The reminder (`str()`: the English sent to the owner; the timeline keeps its key)."""
    said = {"id": action.id, "text": action.text, "owner": owner}
    overdue = state == "overdue"
    if action.due_at is None:
        return wording("Reminder: post-mortem action #{id} is overdue (no date): {text}. "
                       "Owner: {owner}." if overdue else
                       "Reminder: post-mortem action #{id} is due (no date): {text}. "
                       "Owner: {owner}.", **said)
    return wording("Reminder: post-mortem action #{id} is overdue ({when}): {text}. "
                   "Owner: {owner}." if overdue else
                   "Reminder: post-mortem action #{id} is due ({when}): {text}. "
                   "Owner: {owner}.", when=moment(action.due_at, date=True), **said)


def _holder(incident: IncidentRow | None, owner: str) -> str:
    """The person holding the role `owner` names ("comms_lead", "comms lead"), else it."""
    role = owner.strip().lower().replace(" ", "_")
    if incident is not None and role in ("commander", "comms_lead", "tech_lead"):
        return getattr(incident, role) or owner
    return owner


def _claim(session, action: PostmortemActionRow, state: str) -> bool:
    allowed = _FROM[state]
    condition = or_(*[PostmortemActionRow.reminded.is_(None) if s is None
                      else PostmortemActionRow.reminded == s for s in allowed])
    result = session.execute(update(PostmortemActionRow).where(
        PostmortemActionRow.id == action.id, PostmortemActionRow.done_at.is_(None),
        condition).values(reminded=state).execution_options(synchronize_session=False))
    return result.rowcount == 1


def remind_actions(store, channels: dict[str, Channel], contacts: list[Contact],
                   now: datetime) -> int:
    """Remind the owner of every action due soon or overdue (see module docstring);
    returns how many reminders were sent."""
    with store.session() as session:
        candidates = [a.id for a in session.execute(select(PostmortemActionRow).where(
            PostmortemActionRow.done_at.is_(None), PostmortemActionRow.due_at.is_not(None),
            or_(PostmortemActionRow.reminded.is_(None),
                PostmortemActionRow.reminded != "overdue"))).scalars()]
    todo = []
    for action_id in candidates:
        with store.session() as session:
            action = session.get(PostmortemActionRow, action_id)
            state = action_state(action, now)
            if state not in ("due", "overdue") or action.reminded == state:
                continue
            if not _claim(session, action, state):
                continue  # another worker or cycle has it
            incident = session.get(IncidentRow, action.incident_id)
            owner = _holder(incident, action.owner)
            text = reminder_text(action, state, owner)
            record(session, incident, now, REMINDER_ACTOR, "reminder", text)
            todo.append((action.id, action.incident_id, incident.title, state, owner, text))
    return sum(_send(store, channels, contacts, *item, now) for item in todo)


def _send(store, channels, contacts, action_id, incident_id, title, state, owner, text,
          now) -> int:
    contact = next((c for c in contacts if c.name == owner), None)
    routes = list(contact.channels) if contact else [(FALLBACK_CHANNEL, "")]
    for name, address in routes:
        if name not in channels:
            continue
        message = Message(draft_id=0, channel=name, audience="team", lang="en",
                          subject=f"Post-mortem action #{action_id} {state}", body=str(text),
                          incident_id=incident_id, incident_title=title, to=address or None)
        if deliver(channels, name, message, now, store=store, purpose="reminder",
                   ref=f"action:{action_id}:{state}").ok:
            return 1
    return 0
