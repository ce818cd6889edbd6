"""What the public status page shows besides incident updates: the service's components
with their state, and scheduled maintenance.

Components are configured (a list of keys and names per language, handed down from
settings) and synced into the store; their state is set by a human (or by the incident
commander through the dashboard) and lands on the incident's timeline when tied to one.
A component under maintenance that is in progress shows as `maintenance` without anyone
touching it. Maintenance announcements are written by a human in each public language;
they are public text like any other, so only editors and above may schedule them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.incidents import record
from responders.wording import Localized, word, wording
from store.models import IncidentRow, MaintenanceRow, StatusComponentRow

STATES = ("operational", "degraded", "partial_outage", "major_outage", "maintenance")
SCHEDULER_ROLES = ("editor", "approver", "admin")


def sync_components(session: Session, specs: list[dict], now: datetime) -> list[str]:
    """Make the stored components match the configured list, in order; keeps the state of
    those that stay, drops those no longer configured. `specs`: [{"key": "login",
    "names": {"en": "Login", "fr": "Connexion"}}, ...] (or "name" for one language)."""
    wanted = {}
    for position, spec in enumerate(specs):
        key = str(spec["key"]).strip()
        names = spec.get("names") or {"en": spec.get("name") or key}
        wanted[key] = (position, {str(k): str(v) for k, v in names.items()})
    existing = {c.key: c for c in session.execute(select(StatusComponentRow)).scalars()}
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
    for key, (position, names) in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(StatusComponentRow(key=key, names=names, position=position,
                                           state="operational", updated_at=now))
        else:
            row.names, row.position = names, position
    session.flush()
    return list(wanted)


def set_component_state(session: Session, key: str, state: str, *, actor: str,
                        now: datetime, incident: IncidentRow | None = None) -> None:
    """Show `key` as `state` (one of STATES), optionally because of `incident`."""
    if state not in STATES:
        raise ValueError(f"unknown component state {state!r}; one of {', '.join(STATES)}")
    row = session.get(StatusComponentRow, key)
    if row is None:
        raise ValueError(f"no component {key!r} is configured")
    if row.state == state and row.incident_id == (incident.id if incident else None):
        return
    before = row.state
    row.state, row.updated_at, row.updated_by = state, now, actor
    row.incident_id = incident.id if incident is not None and state != "operational" else None
    if incident is not None:
        record(session, incident, now, actor, "component",
               wording("Status page: {component} {before} -> {to}",
                       component=Localized(row.names or {}, key), before=word("state", before),
                       to=word("state", state)))


def set_incident_components(session: Session, incident: IncidentRow, states: dict[str, str],
                            *, actor: str, now: datetime) -> list[str]:
    """Show each component of `states` ({key: state}) as affected by `incident` (or, with
    `operational`, as recovered); returns the keys whose state changed. Every key and state
    is checked before anything changes."""
    known = {c.key: c for c in session.execute(select(StatusComponentRow)).scalars()}
    unknown = sorted(set(states) - set(known))
    if unknown:
        raise ValueError(f"no component {', '.join(unknown)} is configured")
    bad = sorted({state for state in states.values() if state not in STATES})
    if bad:
        raise ValueError(f"unknown component state {', '.join(bad)}; one of {', '.join(STATES)}")
    changed = []
    for key, state in states.items():
        if known[key].state == state:
            continue  # unchanged: not re-tied, no timeline noise
        before = (known[key].state, known[key].incident_id)
        set_component_state(session, key, state, actor=actor, now=now, incident=incident)
        if (known[key].state, known[key].incident_id) != before:
            changed.append(key)
    return changed


def incident_components(session: Session, incident: IncidentRow) -> dict[str, str]:
    """The components `incident` shows as affected, with their state."""
    return {c.key: c.state for c in session.execute(
        select(StatusComponentRow).where(StatusComponentRow.incident_id == incident.id)
        .order_by(StatusComponentRow.position)).scalars()}


def release_components(session: Session, incident: IncidentRow, *, actor: str,
                       now: datetime) -> list[str]:
    """The incident is resolved: the components it affected are operational again."""
    keys = list(incident_components(session, incident))
    for key in keys:
        set_component_state(session, key, "operational", actor=actor, now=now,
                            incident=incident)
    return keys


def schedule_maintenance(session: Session, *, texts: dict[str, dict], starts_at: datetime,
                         ends_at: datetime, components: list[str], actor: str, role: str,
                         now: datetime) -> MaintenanceRow:
    """Announce maintenance. `texts`: {"en": {"title": ..., "body": ...}, "fr": {...}}."""
    if role not in SCHEDULER_ROLES:
        raise PermissionError(f"{actor} is a {role}; only editors and above schedule "
                              "maintenance")
    if ends_at <= starts_at:
        raise ValueError("maintenance must end after it starts")
    clean = {}
    for lang, t in texts.items():
        title, body = (t.get("title") or "").strip(), (t.get("body") or "").strip()
        if not title:
            raise ValueError(f"the {lang} announcement needs a title")
        clean[lang] = {"title": title, "body": body}
    if not clean:
        raise ValueError("the announcement needs a text in at least one language")
    known = set(session.execute(select(StatusComponentRow.key)).scalars())
    unknown = sorted(set(components) - known)
    if unknown:
        raise ValueError(f"unknown components: {', '.join(unknown)}")
    row = MaintenanceRow(texts=clean, components=list(components), starts_at=starts_at,
                         ends_at=ends_at, created_by=actor, created_at=now)
    session.add(row)
    session.flush()
    return row


def cancel_maintenance(session: Session, maintenance_id: int, *, now: datetime) -> None:
    row = session.get(MaintenanceRow, maintenance_id)
    if row is None:
        raise ValueError(f"no maintenance #{maintenance_id}")
    row.cancelled_at = now
