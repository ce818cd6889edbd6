"""What the exercise pages show, read from the store as plain dicts: the running exercise,
the finished ones with their kept scorecards, and one exercise's timeline (every move in
its window, for the scorecard's chart)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard import stored_texts
from responders import exercises
from responders.scorecard import scorecard
from store.models import AlertAckRow, AlertRow, DraftRow, ExerciseRow, IncidentRow, TimelineRow

TIMELINE_LIMIT = 600  # points on the chart: past this, the earliest are kept


def summary(row: ExerciseRow) -> dict:
    return {"id": row.id, "name": row.name, "source": row.source, "scenario": row.scenario,
            "recording_name": row.recording_name,
            "records": len(row.recording or []) if row.source == "recording" else None,
            "speed": row.speed, "started_at": row.started_at, "started_by": row.started_by,
            "finished_at": row.finished_at, "finished_by": row.finished_by,
            "scorecard": row.scorecard}


def running(session: Session) -> dict | None:
    """The running exercise with its injects so far, or None."""
    row = exercises.running(session)
    if row is None:
        return None
    out = summary(row)
    out["injects"] = [{"at": i.at, "kind": i.kind, "detail": i.detail, "actor": i.actor}
                      for i in exercises.injects(session, row.id)]
    return out


def finished(session: Session) -> list[dict]:
    """Finished exercises, oldest first (the order progress is read in)."""
    rows = [r for r in exercises.history(session) if r.finished_at is not None]
    return [summary(r) for r in reversed(rows)]


def exercise(session: Session, exercise_id: int, now: datetime) -> dict | None:
    """One exercise with its scorecard (live for a running one) and its timeline."""
    row = session.get(ExerciseRow, exercise_id)
    if row is None:
        return None
    out = summary(row)
    end = row.finished_at or now
    if out["scorecard"] is None:
        out["scorecard"] = scorecard(session, row.started_at, end)
    out["timeline"] = timeline(session, row, end)
    out["injects"] = [{"at": i.at, "kind": i.kind, "detail": i.detail}
                      for i in exercises.injects(session, row.id)]
    return out


def timeline(session: Session, row: ExerciseRow, end: datetime) -> list[dict]:
    """Every move in the exercise's window as {at, lane, text}, in time order: alerts,
    acknowledgements, the incidents' timeline entries, published updates per audience,
    and the facilitator's injects."""
    start = row.started_at
    events: list[dict] = []
    for at, title in session.execute(select(AlertRow.opened_at, AlertRow.title).where(
            AlertRow.opened_at >= start, AlertRow.opened_at <= end)):
        events.append({"at": at, "lane": "alert", "text": title})
    for at, actor, via in session.execute(select(AlertAckRow.at, AlertAckRow.actor,
                                                 AlertAckRow.via).where(
            AlertAckRow.at >= start, AlertAckRow.at <= end)):
        events.append({"at": at, "lane": "ack", "text": f"{actor} ({via})"})
    incident_ids = list(session.execute(select(IncidentRow.id).where(
        IncidentRow.declared_at >= start, IncidentRow.declared_at <= end)).scalars())
    for at, kind, actor, detail, key, params in session.execute(
            select(TimelineRow.at, TimelineRow.kind, TimelineRow.actor, TimelineRow.detail,
                   TimelineRow.detail_key, TimelineRow.detail_params)
            .where(TimelineRow.incident_id.in_(incident_ids), TimelineRow.at <= end)):
        lane = kind if kind in ("declared", "phase", "facts") else "other"
        # in the reader's language when stored with its key (dashboard.stored_texts)
        events.append({"at": at, "lane": lane,
                       "text": f"{actor}: {stored_texts.from_row(key, params, detail)}"})
    for at, audience, channel, lang in session.execute(
            select(DraftRow.published_at, DraftRow.audience, DraftRow.channel, DraftRow.lang)
            .where(DraftRow.incident_id.in_(incident_ids), DraftRow.published_at.is_not(None),
                   DraftRow.published_at <= end, DraftRow.kind != "reply")):
        events.append({"at": at, "lane": f"sent:{audience}", "text": f"{channel} ({lang})"})
    for i in exercises.injects(session, row.id):
        text = (i.detail.get("text", "") if i.kind == "question"
                else f"+{i.detail.get('minutes')} min")
        events.append({"at": i.at, "lane": "inject", "text": text})
    events.sort(key=lambda e: e["at"])
    return events[:TIMELINE_LIMIT]


def banner(session: Session) -> dict | None:
    """What the shell's EXERCISE banner says, or None outside exercises."""
    row = exercises.running(session)
    if row is None:
        return None
    return {"id": row.id, "name": row.name, "speed": row.speed, "started_at": row.started_at}
