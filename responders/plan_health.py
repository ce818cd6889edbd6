"""The crisis plan's health (issue 19): what would fail us if the crisis came today.

`health(session, library, now)` returns one `Finding` per problem, worst first:

- ``no_messages``        a risk with no prepared message
- ``template_missing``   a prepared message with no template for the risk's crisis type
- ``template_lint``      a prepared message whose rendering the linter refuses (errors)
- ``segment_empty``      a segment the risk must reach that holds nobody reachable
- ``contact_unconfirmed`` a reachable contact whose details nobody confirmed for a year
                         (the latest of: added, updated, confirmed, answered a broadcast)
- ``exercise_overdue``   a risk whose rehearsal is past due (never exercised = due)
- ``review_overdue``     a risk not reviewed for a year (or never)
- ``action_overdue`` / ``action_open``  post-mortem actions not done
- ``update_open``        plan updates from post-mortems still to review
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responders import plan
from responders.lessons import open_actions, open_updates
from responders.plan_messages import prepared_messages
from responders.templates import TemplateLibrary
from store.models import BroadcastRecipientRow, ContactRow

CONFIRM_EVERY = timedelta(days=365)
REVIEW_EVERY = timedelta(days=365)
ORDER = ("no_messages", "template_missing", "template_lint", "segment_empty",
         "exercise_overdue", "action_overdue", "contact_unconfirmed", "review_overdue",
         "update_open", "action_open")


@dataclass(frozen=True)
class Finding:
    kind: str  # one of ORDER
    subject: str  # what it is about: a risk key, a contact's name, "action #3"
    detail: str  # one sentence saying what is wrong and since when (English)
    ref: str = ""  # "risk:outage", "contact:12", "action:3", "update:4"
    # The detail's parts, for a screen that words it in its own language (DETAILS).
    params: dict = field(default_factory=dict, compare=False)

    def as_dict(self) -> dict:
        """The finding as `crisiswatch plan health --json` prints it."""
        return {"kind": self.kind, "subject": self.subject, "detail": self.detail,
                "ref": self.ref}


# The English detail per kind; `params` fill it (days are YYYY-MM-DD, or None: "never").
DETAILS = {
    "no_messages": "no prepared message: the first public words would be written under "
                   "pressure",
    "template_missing": "{what}: no template (tried {tried})",
    "template_lint": "{what}: {template} fails the linter ({rules}): {message}",
    "segment_empty": "nobody reachable in segment {segment} (needed by {risks})",
    "contact_unconfirmed": "details last confirmed {day} ({segments})",
    "exercise_overdue": "exercise every {every} days; last exercised {day}",
    "review_overdue": "last reviewed {day}",
    "action_overdue": "{text} (owner {owner}, {due}; incident #{incident})",
    "action_open": "{text} (owner {owner}, {due}; incident #{incident})",
    "update_open": "{change}{where}: {text} ({origin})",
}


def _finding(kind: str, subject: str, ref: str, **params) -> Finding:
    """A finding whose English detail is DETAILS[kind] filled with `params`."""
    shown = {k: ("never" if v is None and k == "day" else v) for k, v in params.items()}
    return Finding(kind, subject, DETAILS[kind].format(**shown), ref, params)


def _day(at: datetime | None) -> str | None:
    return None if at is None else f"{at:%Y-%m-%d}"


def _risk_findings(library, row, now, ui_lang) -> list[Finding]:
    out, ref = [], f"risk:{row.key}"
    if not row.messages:
        out.append(_finding("no_messages", row.key, ref))
    for m in prepared_messages(library, row, now, ui_lang):
        what = f"{m.audience} / {m.phase} / {m.lang}"
        if m.template is None:
            out.append(_finding("template_missing", row.key, ref, what=what,
                                tried=", ".join(m.tried)))
        elif m.errors:
            out.append(_finding("template_lint", row.key, ref, what=what, template=m.template,
                                rules=", ".join(sorted({f.rule for f in m.errors})),
                                message=m.errors[0].message))
    due = plan.exercise_due(row, now)
    if due is not None and due <= now:
        out.append(_finding("exercise_overdue", row.key, ref, every=row.exercise_every_days,
                            day=_day(row.last_exercised_at)))
    if row.last_reviewed_at is None or now - row.last_reviewed_at > REVIEW_EVERY:
        out.append(_finding("review_overdue", row.key, ref, day=_day(row.last_reviewed_at)))
    return out


def last_confirmed(session: Session) -> dict[int, datetime]:
    """Per reachable contact, the latest sign their details are right: added, updated,
    explicitly confirmed, or a broadcast they confirmed (their number or mailbox worked)."""
    answered = dict(session.execute(
        select(BroadcastRecipientRow.contact_id, func.max(BroadcastRecipientRow.confirmed_at))
        .where(BroadcastRecipientRow.contact_id.is_not(None))
        .group_by(BroadcastRecipientRow.contact_id)).all())
    out = {}
    for c in session.execute(select(ContactRow).where(ContactRow.opted_out_at.is_(None))
                             ).scalars():
        out[c.id] = max(t for t in (c.created_at, c.updated_at, c.confirmed_at,
                                    answered.get(c.id)) if t is not None)
    return out


def confirm_contacts(session: Session, ids: list[int], *, now: datetime) -> int:
    """Someone checked these contacts' details: confirmed now. Returns how many."""
    rows = session.execute(select(ContactRow).where(ContactRow.id.in_(ids))).scalars().all()
    for row in rows:
        row.confirmed_at = now
    return len(rows)


def _contact_findings(session: Session, risks, now: datetime) -> list[Finding]:
    contacts = session.execute(select(ContactRow).where(ContactRow.opted_out_at.is_(None))
                               ).scalars().all()
    out = []
    for segment in dict.fromkeys(s for r in risks for s in r.segments):
        if not any(segment in (c.segments or []) for c in contacts):
            out.append(_finding("segment_empty", segment, f"segment:{segment}",
                                segment=segment,
                                risks=", ".join(r.key for r in risks if segment in r.segments)))
    confirmed = last_confirmed(session)
    for c in contacts:
        at = confirmed.get(c.id)
        if at is not None and now - at > CONFIRM_EVERY:
            out.append(_finding("contact_unconfirmed", c.name, f"contact:{c.id}", day=_day(at),
                                segments=", ".join(c.segments or [])))
    return out


def _lesson_findings(session: Session, now: datetime) -> list[Finding]:
    out = []
    for a in open_actions(session, now):
        due = f"due {a.due_at:%Y-%m-%d}" if a.due_at else "no due date"
        kind = "action_overdue" if a.state == "overdue" else "action_open"
        out.append(_finding(kind, f"action #{a.id}", f"action:{a.id}", text=a.text,
                            owner=a.owner, due=due, due_day=_day(a.due_at),
                            incident=a.incident_id))
    for u in open_updates(session):
        out.append(_finding("update_open", f"plan update #{u.id}", f"update:{u.id}",
                            change=u.kind, where=f" {u.template}" if u.template else "",
                            text=u.text, incident=u.incident_id,
                            origin=f"incident #{u.incident_id}" if u.incident_id
                            else "added by hand"))
    return out


def health(session: Session, library: TemplateLibrary, now: datetime,
           ui_lang: str = "en") -> list[Finding]:
    """Every finding (see module docstring), grouped by kind in ORDER, risks by rank; the
    linter's messages quoted in `ui_lang`."""
    risks = plan.register(session)
    findings = [f for row in risks for f in _risk_findings(library, row, now, ui_lang)]
    findings += _contact_findings(session, risks, now)
    findings += _lesson_findings(session, now)
    return sorted(findings, key=lambda f: ORDER.index(f.kind))
