"""Key accounts: the client who must hear it from a person first (issue 18).

Every contact of the `key-accounts` segment has a named owner (the account or
customer-success manager, the `owner` column of the contact import). When an incident is
declared, each owner has a task list: call the client personally first (due within
`CALL_WITHIN`), then open the shared channel, then keep the client informed there at a
cadence of its own (every 2 hours by default) with due / overdue like the other audiences
(overdue after a quarter of the cadence); after resolution, the personal follow-up
(`followup_text`, from `templates/followup/`, EN and FR). `complete` records a task done (and puts it on the incident
timeline); `plan` says where each key account stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.contacts import in_segments
from responders.incidents import ACTIVE, Phase, record
from responders.templates import LANGS, TemplateLibrary
from responders.wording import word, wording
from store.models import ContactRow, IncidentRow, KeyAccountTaskRow

TASKS = ("call", "channel", "update", "followup")
CADENCE = timedelta(hours=2)
CALL_WITHIN = timedelta(minutes=30)
FOLLOWUP_WITHIN = timedelta(days=1)
LABELS = {"call": "Call the client personally", "channel": "Open the shared channel",
          "update": "Update in the shared channel", "followup": "Personal follow-up"}


class KeyAccountError(ValueError):
    pass


@dataclass(frozen=True)
class Standing:
    contact_id: int
    name: str
    organisation: str
    owner: str
    next_task: str | None  # call | channel | update | followup | None (all done)
    due_at: datetime | None
    state: str  # ok | due | overdue | done
    last_update: datetime | None


def _state(now: datetime, due: datetime, grace: timedelta) -> str:
    if now < due:
        return "ok"
    return "overdue" if now >= due + grace else "due"


def plan(session: Session, incident: IncidentRow, now: datetime, *,
         cadence: timedelta = CADENCE) -> list[Standing]:
    """Where each key account stands for this incident, in contact order."""
    done: dict[int, dict[str, list[datetime]]] = {}
    for row in session.execute(select(KeyAccountTaskRow).where(
            KeyAccountTaskRow.incident_id == incident.id)).scalars():
        done.setdefault(row.contact_id, {}).setdefault(row.task, []).append(row.done_at)
    out = []
    active = Phase(incident.phase) in ACTIVE
    for c in in_segments(session, ["key-accounts"]):
        mine = done.get(c.id, {})
        updates = mine.get("update", []) + mine.get("channel", [])
        last = max(updates) if updates else None
        if "call" not in mine:
            task, due, grace = "call", incident.declared_at + CALL_WITHIN, CALL_WITHIN
        elif "channel" not in mine:
            task, due, grace = "channel", max(mine["call"]) + CALL_WITHIN, CALL_WITHIN
        elif active:
            task, due, grace = "update", last + cadence, cadence / 4
        elif "followup" not in mine and incident.resolved_at is not None:
            task, due, grace = ("followup", incident.resolved_at + FOLLOWUP_WITHIN,
                                FOLLOWUP_WITHIN / 4)
        else:
            task, due, grace = None, None, None
        if not active and task in ("call", "channel", "update"):
            # Resolved before the owner got to it: the follow-up is what is owed now.
            task = "followup" if "followup" not in mine and incident.resolved_at else None
            due = incident.resolved_at + FOLLOWUP_WITHIN if task else None
            grace = FOLLOWUP_WITHIN / 4
        state = "done" if task is None else _state(now, due, grace)
        out.append(Standing(c.id, c.name, c.organisation, c.owner, task, due, state, last))
    return out


def complete(session: Session, incident: IncidentRow, contact: ContactRow, task: str, *,
             actor: str, now: datetime, note: str = "") -> None:
    if task not in TASKS:
        raise KeyAccountError(f"unknown task {task!r} ({', '.join(TASKS)})")
    if "key-accounts" not in (contact.segments or []):
        raise KeyAccountError(f"{contact.name} is not a key account")
    session.add(KeyAccountTaskRow(incident_id=incident.id, contact_id=contact.id, task=task,
                                  done_at=now, done_by=actor[:64], note=note.strip()))
    said = {"who": contact.organisation or contact.name, "actor": actor,
            "task": word("key_task", task, LABELS[task].lower())}
    record(session, incident, now, actor, "key-account",
           wording("{who}: {task} done by {actor} ({note})", note=note.strip(), **said)
           if note.strip() else wording("{who}: {task} done by {actor}", **said))


def followup_text(incident: IncidentRow, contact: ContactRow, lang: str | None = None,
                  library: TemplateLibrary | None = None) -> str:
    """The personal follow-up after resolution, in the client's language (English when the
    library has none in it), from the facts: `templates/followup/generic/key_account.*.j2`,
    so the team words it like its other messages."""
    from responders.incidents import facts_for

    library = library or TemplateLibrary()
    lang = lang if lang in LANGS else (contact.lang if contact.lang in LANGS else "en")
    facts = facts_for(incident, lang)
    resolved = incident.resolved_at.strftime("%Y-%m-%d %H:%M") if incident.resolved_at else "-"
    return library.render("followup", name="key_account", crisis_type="generic", lang=lang,
                          context={"name": contact.name,
                                   "title": facts.get("title") or incident.title,
                                   "resolved": resolved, "owner": contact.owner,
                                   "facts": {"impact": facts.get("impact") or "-",
                                             "actions": facts.get("actions") or "-"}}).body
