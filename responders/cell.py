"""The crisis cell: named roles, who holds each one now, since when, and handovers.

Seven roles (`ROLES`), each with a configured roster: a primary and deputies
(`[cell.roles]` in the TOML file, names of `[[alerting.contacts]]` or of stored contacts).
Who holds a role is the open shift of `cell_shifts` (the incident's `commander`,
`comms_lead` and `tech_lead` read the same rows: one truth). A shift starts when its holder
acknowledges the page (`responders.cell_paging`), when someone is named by hand, or at a
handover, which ends the previous shift with a note and puts both on the timeline. On-duty
time is `now - started_at` of the open shift; `responders.cell_fatigue` reminds a holder
after `fatigue_after` on duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders.wording import WordedError, Wording, timeline_row, word, wording
from store.models import CellPageRow, CellShiftRow, IncidentRow

ROLES = ("commander", "comms_lead", "tech_lead", "legal", "support_lead", "spokesperson",
         "scribe")
LABELS = {"commander": "Incident commander", "comms_lead": "Comms lead",
          "tech_lead": "Tech lead", "legal": "Legal", "support_lead": "Support lead",
          "spokesperson": "Spokesperson", "scribe": "Scribe"}
HOLDER_MAX = 128  # cell_shifts.holder


class CellError(WordedError, ValueError):
    """A cell action that cannot be done (unknown role, nobody to hand over to, ...)."""


def record(session: Session, incident: IncidentRow, now: datetime, actor: str, kind: str,
           detail: str | Wording) -> None:
    """One timeline event (as `responders.incidents.record`, which imports this module for
    its roles, so it cannot be imported from here)."""
    session.add(timeline_row(incident.id, now, actor, kind, detail))


@dataclass(frozen=True)
class CellConfig:
    """`[cell]`: the roster per role (primary first, then deputies), how long a paged person
    has to acknowledge before the next one is paged, and the hours on duty after which a
    holder is reminded to rest or hand over."""

    roster: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ack_after: timedelta = timedelta(minutes=10)
    fatigue_after: timedelta = timedelta(hours=8)


def config_problems(conf) -> list[str]:
    """Every problem of a `[cell]` table, one line each (empty: fine)."""
    if not isinstance(conf, dict):
        return [f"cell: expected a table ([cell]); got {type(conf).__name__}"]
    lines = []
    for key, low in (("ack_minutes", 1), ("fatigue_hours", 0.5)):
        value = conf.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or value < low):
            lines.append(f"cell.{key}: expected a number of at least {low:g}; got {value!r}")
    roles = conf.get("roles", {})
    if not isinstance(roles, dict):
        return [*lines, ("cell.roles: expected a table, e.g. [cell.roles] "
                         "commander = { primary = \"Ana\", deputies = [\"Ben\"] }")]
    for role, entry in roles.items():
        where = f"cell.roles.{role}"
        if role not in ROLES:
            lines.append(f"{where}: unknown role; one of {', '.join(ROLES)}")
            continue
        if not isinstance(entry, dict):
            lines.append(f"{where}: expected a table {{ primary = \"Ana\", deputies = [...] }}")
            continue
        primary, deputies = entry.get("primary"), entry.get("deputies", [])
        if not isinstance(primary, str) or not primary.strip():
            lines.append(f"{where}.primary: missing; the person who takes the role first, "
                         "e.g. primary = \"Ana\"")
        if not isinstance(deputies, list) or not all(
                isinstance(d, str) and d.strip() for d in deputies):
            lines.append(f"{where}.deputies: expected a list of names, e.g. [\"Ben\", \"Chloé\"]")
        unknown = set(entry) - {"primary", "deputies"}
        if unknown:
            lines.append(f"{where}: unknown keys {', '.join(sorted(unknown))}; "
                         "expected primary and deputies")
    return lines


def cell_from_config(conf: dict) -> CellConfig:
    """The `[cell]` table as a CellConfig; raises CellError listing every problem."""
    if wrong := config_problems(conf):
        raise CellError("; ".join(wrong))
    roster = {role: tuple(n.strip() for n in [e["primary"], *e.get("deputies", [])])
              for role, e in conf.get("roles", {}).items()}
    d = CellConfig()
    return CellConfig(
        roster={r: roster[r] for r in ROLES if r in roster},
        ack_after=timedelta(minutes=float(conf.get("ack_minutes",
                                                   d.ack_after.total_seconds() / 60))),
        fatigue_after=timedelta(hours=float(conf.get("fatigue_hours",
                                                     d.fatigue_after.total_seconds() / 3600))))


def check_role(role: str) -> str:
    if role not in ROLES:
        raise CellError(wording("unknown role {role}; one of {roles}", role=repr(role),
                                roles=", ".join(ROLES)))
    return role


def open_shift(session: Session, incident_id: int, role: str) -> CellShiftRow | None:
    return session.execute(select(CellShiftRow).where(
        CellShiftRow.incident_id == incident_id, CellShiftRow.role == role,
        CellShiftRow.ended_at.is_(None))).scalar_one_or_none()


def start_shift(session: Session, incident: IncidentRow, role: str, holder: str, *,
                via: str, now: datetime) -> CellShiftRow:
    """Open `holder`'s shift in `role` from `now` (the role must have no open shift)."""
    shift = CellShiftRow(incident_id=incident.id, role=check_role(role),
                         holder=holder[:HOLDER_MAX], via=via, started_at=now)
    incident.shifts.append(shift)
    session.flush()  # the partial unique index refuses a second open shift here
    return shift


def assign(session: Session, incident: IncidentRow, role: str, holder: str | None, *,
           now: datetime) -> str | None:
    """Name who holds `role` from now (empty: nobody), ending the current shift without a
    note; returns the change for the timeline (the caller records it, one line for a form
    of several roles: `responders.incidents.assign_roles`), or None if nothing changed.
    `hand_over` is the same with a note, required, and its own timeline entry."""
    check_role(role)
    holder = (holder or "").strip()[:HOLDER_MAX] or None
    current = open_shift(session, incident.id, role)
    if (current.holder if current else None) == holder:
        return None
    if current is not None:
        current.ended_at, current.handed_to = now, holder
        session.flush()
    if holder:
        start_shift(session, incident, role, holder, via="assigned", now=now)
        _cover_page(session, incident.id, role)
    return f"{role.replace('_', ' ')}: {holder or '(nobody)'}"


def hand_over(session: Session, incident: IncidentRow, role: str, new_holder: str, note: str,
              *, actor: str, now: datetime) -> CellShiftRow:
    """Hand `role` to `new_holder`: the current shift ends now with `note` (what the next
    holder must know), the new one starts now, and the timeline says who, to whom and the
    note. Refused (CellError, nothing changed) without a new holder, without a note, or to
    the person who already holds the role."""
    check_role(role)
    new_holder, note = (new_holder or "").strip(), (note or "").strip()
    if not new_holder:
        raise CellError("Say who takes over the role.")
    if len(new_holder) > HOLDER_MAX:
        raise CellError(wording("The new holder's name is longer than {n} characters.",
                                n=HOLDER_MAX))
    if not note:
        raise CellError("A handover needs a note: what the next holder must know.")
    current = open_shift(session, incident.id, role)
    if current is not None and current.holder == new_holder:
        raise CellError(wording("{holder} already holds the role.", holder=new_holder))
    if current is not None:
        current.ended_at, current.handed_to, current.note = now, new_holder, note
        session.flush()
        on_duty = duration_text(now - current.started_at)
        detail = wording("{role} handed over from {before} to {after} after {on_duty} on duty. "
                         "Note: {note}", role=word("cell_role", role, LABELS[role]), before=current.holder,
                         after=new_holder, on_duty=on_duty, note=note)
    else:
        detail = wording("{role} taken by {holder}. Note: {note}",
                         role=word("cell_role", role, LABELS[role]), holder=new_holder, note=note)
    shift = start_shift(session, incident, role, new_holder, via="handover", now=now)
    _cover_page(session, incident.id, role)
    record(session, incident, now, actor, "handover", detail)
    return shift


def _cover_page(session: Session, incident_id: int, role: str) -> None:
    """Someone holds the role now: its page, if still running, stops (nobody else is paged)."""
    page = session.execute(select(CellPageRow).where(
        CellPageRow.incident_id == incident_id, CellPageRow.role == role,
        CellPageRow.state == "paging")).scalar_one_or_none()
    if page is not None:
        page.state, page.version = "covered", page.version + 1


@dataclass(frozen=True)
class RoleView:
    """One line of the cell: who holds the role and since when, and its page."""

    role: str
    label: str
    holder: str | None
    since: datetime | None
    on_duty: timedelta | None
    tired: bool  # on duty for at least the configured fatigue time
    page_state: str | None  # paging | acknowledged | exhausted | covered | None (not paged)
    paged: str | None  # the person paged now (while paging)
    paged_level: int | None  # 0 primary, 1.. deputy
    roster: tuple[str, ...]
    page_id: int | None


def cell_view(session: Session, incident: IncidentRow, now: datetime,
              config: CellConfig | None = None) -> list[RoleView]:
    """Every role, in `ROLES` order: holder, on-duty time, paging state, roster."""
    config = config or CellConfig()
    pages = {p.role: p for p in session.execute(select(CellPageRow).where(
        CellPageRow.incident_id == incident.id)).scalars()}
    shifts = {s.role: s for s in session.execute(select(CellShiftRow).where(
        CellShiftRow.incident_id == incident.id, CellShiftRow.ended_at.is_(None))).scalars()}
    out = []
    for role in ROLES:
        shift, page = shifts.get(role), pages.get(role)
        on_duty = max(now - shift.started_at, timedelta(0)) if shift else None
        paging = page is not None and page.state == "paging" and page.level >= 0
        out.append(RoleView(
            role=role, label=LABELS[role], holder=shift.holder if shift else None,
            since=shift.started_at if shift else None, on_duty=on_duty,
            tired=on_duty is not None and on_duty >= config.fatigue_after,
            page_state=page.state if page else None,
            paged=page.roster[page.level] if paging else None,
            paged_level=page.level if paging else None,
            roster=tuple(page.roster) if page else config.roster.get(role, ()),
            page_id=page.id if page else None))
    return out


def history(session: Session, incident_id: int) -> list[CellShiftRow]:
    """Every shift of the incident, oldest first (the handover log)."""
    return list(session.execute(select(CellShiftRow).where(
        CellShiftRow.incident_id == incident_id).order_by(CellShiftRow.started_at,
                                                          CellShiftRow.id)).scalars())


def duration_text(delta: timedelta) -> str:
    """'45 min', '9 h 05 min'."""
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"

