"""Alerts as people handle them: acknowledged once, by someone, at a time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responders.incidents import record
from store.models import AlertRow, IncidentRow


def acknowledge(session: Session, alert: AlertRow, *, actor: str, now: datetime) -> bool:
    """Mark an open alert as seen by `actor`; returns False if it was not open."""
    if alert.status != "open":
        return False
    alert.status, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", actor, now
    if alert.incident_id is not None:
        record(session, session.get(IncidentRow, alert.incident_id), now, actor, "alert",
               f"Acknowledged alert #{alert.id}")
    return True
