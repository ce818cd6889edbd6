"""The status-page admin page's queries: the configured components with the state a human
set and the state the public page shows, maintenance still to come or in progress (every
language), and the incident a component change may be tied to. Plain dicts out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboard.public import queries
from responders.incidents import active_incident
from store.models import MaintenanceRow, StatusComponentRow


def _name(names: dict, key: str) -> str:
    return names.get("en") or next(iter(names.values()), key)


def components(session: Session, now: datetime) -> list[dict]:
    """Configured components in order: `state` is what was set, `shown` what the public
    page shows (maintenance in progress can override an operational state)."""
    shown = {c["key"]: c["state"] for c in queries.components(session, "en", now)}
    rows = session.execute(select(StatusComponentRow)
                           .order_by(StatusComponentRow.position)).scalars()
    return [{"key": c.key, "name": _name(c.names or {}, c.key), "names": dict(c.names or {}),
             "state": c.state, "shown": shown.get(c.key, c.state),
             "incident_id": c.incident_id, "updated_at": c.updated_at,
             "updated_by": c.updated_by} for c in rows]


def maintenance(session: Session, now: datetime) -> list[dict]:
    """Maintenance not cancelled and not over, soonest first, with every language's text."""
    rows = session.execute(
        select(MaintenanceRow).where(MaintenanceRow.cancelled_at.is_(None),
                                     MaintenanceRow.ends_at > now)
        .order_by(MaintenanceRow.starts_at, MaintenanceRow.id)).scalars()
    return [{"id": m.id, "texts": dict(m.texts or {}),
             "title": ((m.texts or {}).get("en") or next(iter((m.texts or {}).values()), {}))
             .get("title", ""),
             "starts_at": m.starts_at, "ends_at": m.ends_at,
             "components": list(m.components or []), "in_progress": m.starts_at <= now,
             "created_by": m.created_by} for m in rows]


def incident(session: Session) -> dict | None:
    """The active incident a component change can be tied to (None when there is none)."""
    row = active_incident(session)
    return None if row is None else {"id": row.id, "title": row.title, "phase": row.phase}
