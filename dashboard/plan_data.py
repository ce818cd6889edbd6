"""The plan page's queries (issue 19): the register, one risk's preparation, the plan's
health and the lessons still open, as plain dicts (no ORM object leaves the session);
`now` and the template library passed in."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders import plan
from responders.lessons import open_actions, open_updates
from responders.plan_health import health
from responders.plan_messages import prepared_messages
from responders.templates import TemplateLibrary
from store.models import ContactRow, IncidentRow, PlanRiskRow


def register_rows(session: Session, now: datetime) -> list[dict]:
    """The register, highest risk first."""
    return [{"key": r.key, "crisis_type": r.crisis_type, "scenario": r.scenario,
             "probability": r.probability, "impact": r.impact, "score": plan.score(r),
             "owner": r.owner, "last_reviewed": r.last_reviewed_at,
             "exercise_due": plan.exercise_due(r, now), "messages": len(r.messages)}
            for r in plan.register(session)]


def reachable_by_segment(session: Session) -> Counter:
    counts: Counter = Counter()
    for segments, in session.execute(select(ContactRow.segments).where(
            ContactRow.opted_out_at.is_(None))):
        counts.update(segments or [])
    return counts


def risk_detail(session: Session, library: TemplateLibrary, key: str,
                now: datetime, ui_lang: str = "en") -> dict | None:
    """One risk: its record, its prepared messages (rendered and linted, findings in
    `ui_lang`), the contacts per segment it must reach."""
    row = plan.find(session, key)
    if row is None:
        return None
    counts = reachable_by_segment(session)
    return {"record": plan.to_record(row), "score": plan.score(row),
            "exercise_due": plan.exercise_due(row, now),
            "segments": [(s, counts[s]) for s in row.segments],
            "messages": prepared_messages(library, row, now, ui_lang)}


def health_rows(session: Session, library: TemplateLibrary, now: datetime,
                ui_lang: str = "en") -> list[dict]:
    """The health findings with the parts of their detail (`params`), for wording them."""
    return [{**f.as_dict(), "params": f.params} for f in health(session, library, now, ui_lang)]


def lessons(session: Session, now: datetime) -> dict:
    """Open post-mortem actions (overdue first) and plan updates to review."""
    updates = []
    for u in open_updates(session):
        risk = session.get(PlanRiskRow, u.risk_id) if u.risk_id else None
        updates.append({"id": u.id, "kind": u.kind, "text": u.text, "template": u.template,
                        "risk": risk.key if risk else None, "changes": u.changes,
                        "incident_id": u.incident_id, "created_by": u.created_by})
    return {"actions": [asdict(a) for a in open_actions(session, now)], "updates": updates}


def incidents(session: Session, limit: int = 20) -> list[dict]:
    """Recent incidents, newest first, to attach an action or a plan update to."""
    return [{"id": i.id, "title": i.title, "phase": i.phase} for i in session.execute(
        select(IncidentRow).order_by(IncidentRow.declared_at.desc()).limit(limit)).scalars()]
