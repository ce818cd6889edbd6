"""Lessons fed back (issue 19): post-mortem actions tracked to done, and the plan updates a
post-mortem asks for.

Actions (`store.models.PostmortemActionRow`, created by `responders.postmortem.add_action`)
have an owner (a role or a team) and a due date; `open_actions` lists what is not done,
overdue first; `close_action` records who closed it; `action_reminders` sends the owner a
reminder when one is due soon and again when it is overdue.

A plan update (`PlanUpdateRow`) is a change to the register or to a prepared message's
template, to be reviewed: a human adds one from the post-mortem, or `propose_from_review`
derives them from the post-mortem's own findings (no first public update within the
target, the CEO left without a written update...), once per incident and finding.
Applying a register update writes its proposed fields through the register's validator
(`responders.plan.save`) and marks the risk reviewed; a template update names the file to
rewrite in version control and is marked applied once done. Dismissed ones stay, with who
and when, so the post-mortem's "Plan updates" section tells the whole story.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders import plan
from responders.incidents import record
from responders.postmortem import T as POSTMORTEM_TEXTS
from responders.postmortem import review
from responders.templates import TemplateLibrary
from responders.wording import WordedError, moment, word, wording
from store.models import (
    AuditRow,
    IncidentRow,
    PlanRiskRow,
    PlanUpdateRow,
    PostmortemActionRow,
)

log = logging.getLogger("crisiswatch")
DUE_SOON = timedelta(days=1)  # the first reminder, this long before the due date
KINDS = ("register", "template")
STATES = ("open", "applied", "dismissed")


class LessonError(WordedError, ValueError):
    """A plan update or action change that cannot be made (the message says why; a
    `Wording` when it holds a time, so the cockpit shows that time in the reader's zone)."""


@dataclass(frozen=True)
class OpenAction:
    id: int
    incident_id: int
    incident_title: str
    text: str
    owner: str
    due_at: datetime | None
    state: str  # "overdue", "due" (within DUE_SOON), "open" (later or no date)


def action_state(action: PostmortemActionRow, now: datetime) -> str:
    """done, overdue (past its due date), due (within DUE_SOON of it), or open."""
    if action.done_at is not None:
        return "done"
    if action.due_at is None:
        return "open"
    if action.due_at <= now:
        return "overdue"
    return "due" if action.due_at - now <= DUE_SOON else "open"


def open_actions(session: Session, now: datetime) -> list[OpenAction]:
    """Every action not done, overdue first, then by due date (undated last)."""
    rows = session.execute(
        select(PostmortemActionRow, IncidentRow.title)
        .join(IncidentRow, IncidentRow.id == PostmortemActionRow.incident_id)
        .where(PostmortemActionRow.done_at.is_(None))).all()
    out = [OpenAction(a.id, a.incident_id, title, a.text, a.owner, a.due_at,
                      action_state(a, now)) for a, title in rows]
    order = {"overdue": 0, "due": 1, "open": 2}
    return sorted(out, key=lambda a: (order[a.state], a.due_at or datetime.max, a.id))


def overdue_actions(session: Session, now: datetime) -> list[OpenAction]:
    return [a for a in open_actions(session, now) if a.state == "overdue"]


def close_action(session: Session, action_id: int, *, actor: str, now: datetime) -> None:
    """Mark an action done (on the incident's timeline); closing it twice is refused."""
    action = session.get(PostmortemActionRow, action_id)
    if action is None:
        raise LessonError(f"no action #{action_id}")
    if action.done_at is not None:
        raise LessonError(wording("action #{id} was already done on {at}", id=action_id,
                                  at=moment(action.done_at, date=True)))
    action.done_at, action.done_by = now, actor
    record(session, session.get(IncidentRow, action.incident_id), now, actor, "postmortem",
           wording("Action #{id} done", id=action.id))


def reschedule_action(session: Session, action_id: int, due_at: datetime | None, *,
                      actor: str, now: datetime) -> None:
    """A new due date; its reminders start over."""
    action = session.get(PostmortemActionRow, action_id)
    if action is None:
        raise LessonError(f"no action #{action_id}")
    action.due_at, action.reminded = due_at, None
    record(session, session.get(IncidentRow, action.incident_id), now, actor, "postmortem",
           wording("Action #{id} due {due}", id=action.id, due=f"{due_at:%Y-%m-%d}") if due_at
           else wording("Action #{id} has no due date", id=action.id))


# --- plan updates ------------------------------------------------------------------------


def propose(session: Session, *, kind: str, text: str, actor: str, now: datetime,
            incident: IncidentRow | None = None, risk: PlanRiskRow | None = None,
            template: str | None = None, changes: dict | None = None,
            origin: str | None = None, library: TemplateLibrary | None = None
            ) -> PlanUpdateRow:
    """A plan update to review. `kind` register: `changes` (optional) are register fields
    for `risk`, or a whole new risk when `risk` is None; they are validated now, so a
    proposal that could never be applied is refused at once. `kind` template: `template`
    must be a file of the library."""
    text = (text or "").strip()
    if kind not in KINDS:
        raise LessonError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if not text:
        raise LessonError("a plan update needs a description")
    changes = dict(changes or {})
    if kind == "register" and changes:
        base = plan.to_record(risk) if risk is not None else {}
        try:
            plan.validate({**base, **changes})
        except plan.PlanError as exc:
            raise LessonError(f"proposed changes refused: {exc}") from exc
    if kind == "template":
        library = library or TemplateLibrary()
        if not template or template not in library.available():
            raise LessonError(f"no template {template!r} in the library")
    row = PlanUpdateRow(incident_id=incident.id if incident else None,
                        risk_id=risk.id if risk else None, kind=kind, template=template,
                        text=text, changes=changes, origin=origin, state="open",
                        created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    if incident is not None:
        record(session, incident, now, actor, "postmortem",
               wording("Plan update #{id} proposed ({kind}): {text}", id=row.id, kind=kind,
                       text=text))
    return row


def apply_update(session: Session, update_id: int, *, actor: str, now: datetime) -> None:
    """Apply an open plan update: register changes go into the register (validated again,
    the risk marked reviewed); a template update is recorded as done."""
    row = _open(session, update_id)
    if row.kind == "register" and row.changes:
        risk = session.get(PlanRiskRow, row.risk_id) if row.risk_id else None
        base = plan.to_record(risk) if risk is not None else {}
        try:  # a proposed new risk never overwrites one added meanwhile under its key
            saved, _ = plan.save(session, {**base, **row.changes}, actor=actor, now=now,
                                 create_only=risk is None)
        except plan.PlanError as exc:
            raise LessonError(f"cannot apply plan update #{row.id}: {exc}") from exc
        plan.mark_reviewed(session, saved, actor=actor, now=now)
        row.risk_id = saved.id
    elif row.kind == "register" and row.risk_id:
        plan.mark_reviewed(session, session.get(PlanRiskRow, row.risk_id), actor=actor, now=now)
    _close(session, row, "applied", actor, now)


def dismiss_update(session: Session, update_id: int, *, actor: str, now: datetime) -> None:
    _close(session, _open(session, update_id), "dismissed", actor, now)


def _open(session: Session, update_id: int) -> PlanUpdateRow:
    row = session.get(PlanUpdateRow, update_id)
    if row is None:
        raise LessonError(f"no plan update #{update_id}")
    if row.state != "open":
        raise LessonError(f"plan update #{update_id} is already {row.state}")
    return row


def _close(session: Session, row: PlanUpdateRow, state: str, actor: str, now: datetime):
    row.state, row.reviewed_by, row.reviewed_at = state, actor, now
    session.add(AuditRow(at=now, actor=actor, action=f"plan_update.{state}",
                         target=f"plan_update:{row.id}", detail=row.text))
    if row.incident_id is not None:
        record(session, session.get(IncidentRow, row.incident_id), now, actor, "postmortem",
               wording("Plan update #{id} {state}", id=row.id, state=word("update_state", state)))


def open_updates(session: Session) -> list[PlanUpdateRow]:
    return list(session.execute(select(PlanUpdateRow).where(PlanUpdateRow.state == "open")
                                .order_by(PlanUpdateRow.id)).scalars())


# What each post-mortem finding asks of the plan: (kind, the template to rewrite for
# template updates: kind/name, looked up for the incident's crisis type). The words are
# responders.postmortem's (T["plan_texts"]), so the board's post-mortem has them in its
# language.
FROM_REVIEW = {
    "act_public": ("template", ("status", "investigating")),
    "act_ceo": ("register", None),
    "act_cadence": ("register", None),
    "act_alert": ("register", None),
    "act_rumours": ("template", ("replies", "correction")),
    "act_deliveries": ("register", None),
}
_TEXTS = POSTMORTEM_TEXTS["en"]["plan_texts"]


def _risk_for(session: Session, crisis_type: str) -> PlanRiskRow | None:
    risks = [r for r in plan.register(session) if r.crisis_type == crisis_type]
    return risks[0] if risks else None


def _changes(finding: str, risk: PlanRiskRow | None) -> dict:
    if risk is None:
        return {}
    if finding == "act_ceo":
        wanted = {(a, p) for a, p in risk.messages} | {("ceo", p) for p in plan.PHASES}
        return {"messages": [{"audience": a, "phase": p} for a, p in sorted(wanted)]}
    if finding == "act_cadence":
        actions = list(risk.playbook.get("comms_lead", []))
        line = "Set a reminder for every customer update before it is due"
        return {} if line in actions else {"playbook": {**risk.playbook,
                                                          "comms_lead": [*actions, line]}}
    return {}


def propose_from_review(session: Session, incident: IncidentRow, *, now: datetime,
                        library: TemplateLibrary | None = None,
                        actor: str = "crisiswatch") -> list[PlanUpdateRow]:
    """Plan updates for what the post-mortem's review found lacking, each proposed once per
    incident (a dismissed one is not proposed again); a crisis type the register does not
    cover yet gets a proposed risk. Returns the updates created now."""
    library = library or TemplateLibrary()
    proposals = []  # propose()'s keyword arguments, one per update
    seen = set(session.execute(select(PlanUpdateRow.origin).where(
        PlanUpdateRow.incident_id == incident.id, PlanUpdateRow.origin.is_not(None))).scalars())
    risk = _risk_for(session, incident.crisis_type)
    if risk is None and "review:uncovered" not in seen:
        key = base = incident.crisis_type.replace("_", "-")
        n = 1
        while plan.find(session, key) is not None:  # a risk of another type holds the name
            n += 1
            key = f"{base}-{n}"
        proposals.append({
            "kind": "register", "origin": "review:uncovered", "risk": None, "template": None,
            "text": _TEXTS["uncovered"].format(
                crisis_type=incident.crisis_type.replace("_", " ")),
            "changes": {"key": key, "crisis_type": incident.crisis_type,
                        "scenario": incident.title, "probability": 3, "impact": 3,
                        "owner": (incident.commander or "commander")[:64],
                        "messages": [{"audience": "status", "phase": "investigating"}]}})
    for finding in review(session, incident, "en").actions:
        origin = f"review:{finding}"
        if origin in seen or finding not in FROM_REVIEW:
            continue
        kind, where = FROM_REVIEW[finding]
        text = _TEXTS[finding]
        template = None
        if kind == "template":
            name = where[1]
            template = library.candidates(where[0], name=name, crisis_type=incident.crisis_type,
                                          lang="en")
            template = next((t for t in template if t in library.available()), None)
            if template is None:
                kind = "register"
        proposals.append({"kind": kind, "text": text, "risk": risk, "template": template,
                          "changes": _changes(finding, risk) if kind == "register" else None,
                          "origin": origin})
    created = []
    for proposal in proposals:
        try:
            created.append(propose(session, actor=actor, now=now, incident=incident,
                                   library=library, **proposal))
        except LessonError as exc:  # never block the drafting stage on one proposal
            log.warning("incident #%s: plan update %s not proposed: %s", incident.id,
                        proposal["origin"], exc)
    return created
