"""Queries for the sources page: per-source health (last success, lag, last error,
quarantined count). Plain dicts out; `now` is handed in, never read here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responders.stage_health import stage_report
from store.models import CursorRow, QuarantineRow, SourceHealthRow

STALE_MINUTES = 30  # no success for this long while attempts go on: worth a look


def source_health(session: Session, now: datetime) -> list[dict]:
    """One dict per source seen (health rows, cursors or quarantine), worst first:
    source, state (stopped | failing | stale | ok), last_success, lag_minutes, last_error,
    last_error_at, quarantined, collected."""
    health = {r.source: r for r in session.execute(select(SourceHealthRow)).scalars()}
    quarantined = dict(session.execute(
        select(QuarantineRow.source, func.count()).group_by(QuarantineRow.source)).all())
    cursors = dict(session.execute(
        select(CursorRow.source, func.max(CursorRow.updated_at)).group_by(CursorRow.source)
    ).all())
    out = []
    for source in sorted(set(health) | set(quarantined) | set(cursors)):
        h = health.get(source)
        last_success = (h.last_success_at if h else None) or cursors.get(source)
        newest = h.newest_item_at if h else None
        error_at = h.last_error_at if h else None
        if h and h.permanent:
            state = "stopped"
        elif error_at and (last_success is None or error_at > last_success):
            state = "failing"
        elif last_success and (now - last_success).total_seconds() > STALE_MINUTES * 60:
            state = "stale"
        else:
            state = "ok"
        out.append({
            "source": source, "state": state, "last_success": last_success,
            "lag_minutes": None if newest is None else
            max(0, int((now - newest).total_seconds() // 60)),
            "last_error": h.last_error if h else None, "last_error_at": error_at,
            "quarantined": int(quarantined.get(source, 0)),
            "collected": int(h.collected_total or 0) if h else 0,
        })
    order = {"stopped": 0, "failing": 1, "stale": 2, "ok": 3}
    return sorted(out, key=lambda r: (order[r["state"]], r["source"]))


def stopped_sources(session: Session) -> list[dict]:
    """Sources stopped by a permanent error (bad credentials, suspended): the alert."""
    rows = session.execute(select(SourceHealthRow).where(SourceHealthRow.permanent.is_(True))
                           .order_by(SourceHealthRow.source)).scalars()
    return [{"source": r.source, "error": r.last_error or "", "at": r.last_error_at}
            for r in rows]


def stage_health(session: Session, now: datetime, stages=()) -> list[dict]:
    """The pipeline's stages as the workers reported them (`responders.stage_health`)."""
    return stage_report(session, now, stages)
