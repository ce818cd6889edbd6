"""Alerts as people handle them: acknowledged once, by someone, at a time, by some means
(the dashboard, a signed link, an SMS reply). Acknowledging stops re-sends and escalation:
the alerting stage pages only alerts still `open`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from responders.incidents import record
from store.models import AlertAckRow, AlertPagingRow, AlertRow, IncidentRow

ACK_VIA = ("dashboard", "link", "sms")


def acknowledge(session: Session, alert: AlertRow, *, actor: str, now: datetime,
                via: str = "dashboard", detail: str = "") -> bool:
    """Mark an open alert as seen by `actor`; returns False if it was not open."""
    if alert.status != "open":
        return False
    if via not in ACK_VIA:
        raise ValueError(f"unknown acknowledgement route {via!r}")
    alert.status, alert.acknowledged_by, alert.acknowledged_at = "acknowledged", actor, now
    session.add(AlertAckRow(alert_id=alert.id, actor=actor, via=via, at=now, detail=detail))
    paging = session.get(AlertPagingRow, alert.id)
    if paging is not None:
        paging.state = "done"
    if alert.incident_id is not None:
        how = "" if via == "dashboard" else f" ({'signed link' if via == 'link' else 'SMS'})"
        record(session, session.get(IncidentRow, alert.incident_id), now, actor, "alert",
               f"Acknowledged alert #{alert.id}{how}")
    return True
