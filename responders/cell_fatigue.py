"""Fatigue: a crisis-cell role holder on duty for too long is told to rest or hand over.

Run by the reminders stage. For each open shift of an active incident, the n-th reminder
is due once the holder has been on duty n times `fatigue_after` (8 hours by default: at 8,
16, 24 hours). It is claimed by a conditional UPDATE of the shift's `reminded` count, with
its timeline entry in the same commit, so a second worker or a later cycle never sends it
twice; then it goes through `responders.delivery.deliver` to the holder's own channels
(when they are a contact) or to the team channel.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from responders.alerting import Contact
from responders.cell import LABELS, CellConfig, duration_text
from responders.cell_paging import resolve
from responders.channels.base import Channel, Message
from responders.delivery import deliver
from responders.incidents import ACTIVE, record
from responders.wording import Wording, word, wording
from store.models import CellShiftRow, IncidentRow

ACTOR = "crisiswatch"
FALLBACK_CHANNEL = "slack"  # the team channel, when the holder is not a known contact


def fatigue_text(role: str, holder: str, on_duty) -> Wording:
    """The reminder (`str()`: the English sent to the holder; the timeline keeps its key)."""
    return wording("Reminder: {holder} has been {role} for {on_duty}. Time to rest: hand the "
                   "role over to a deputy (Cell page, Hand over).", holder=holder,
                   role=word("cell_role", role, LABELS[role]), on_duty=duration_text(on_duty))


def remind_tired(store, channels: dict[str, Channel], contacts: list[Contact],
                 config: CellConfig, now: datetime) -> int:
    """Remind every role holder whose on-duty time has reached the next multiple of
    `config.fatigue_after`; returns how many reminders were delivered."""
    with store.session() as session:
        shifts = session.execute(
            select(CellShiftRow.id, CellShiftRow.started_at, CellShiftRow.reminded)
            .join(IncidentRow, IncidentRow.id == CellShiftRow.incident_id)
            .where(CellShiftRow.ended_at.is_(None),
                   IncidentRow.phase.in_([p.value for p in ACTIVE]))).all()
    todo = []
    for shift_id, started_at, reminded in shifts:
        due = int((now - started_at) / config.fatigue_after)
        if due <= reminded:
            continue
        with store.session() as session:
            claimed = session.execute(update(CellShiftRow).where(
                CellShiftRow.id == shift_id, CellShiftRow.reminded == reminded).values(
                reminded=due)).rowcount
            if not claimed:
                continue  # another worker or cycle reminded them of this one
            shift = session.get(CellShiftRow, shift_id)
            text = fatigue_text(shift.role, shift.holder, now - shift.started_at)
            record(session, session.get(IncidentRow, shift.incident_id), now, ACTOR,
                   "cell", text)
            person = resolve(session, shift.holder, contacts)
            todo.append((shift.incident_id, shift_id, due, text,
                         person.channels if person and person.channels
                         else ((FALLBACK_CHANNEL, ""),)))
    sent = 0
    for incident_id, shift_id, due, text, routes in todo:
        for name, address in routes:
            if name not in channels:
                continue
            message = Message(draft_id=0, channel=name, audience="team", lang="en",
                              subject=f"Incident #{incident_id}: time to hand over",
                              body=str(text), incident_id=incident_id, to=address or None)
            if deliver(channels, name, message, now, store=store, purpose="reminder",
                       ref=f"fatigue:{shift_id}:{due}").ok:
                sent += 1
                break
    return sent
