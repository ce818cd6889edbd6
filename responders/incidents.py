"""Incidents: phases with one transition table, facts, and an update clock per audience.

Every change lands on the incident's timeline. Cadences are data, checked by one
function (`audience_clocks`), so changing the practice means editing a table, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from responders.cell import ROLES, assign, start_shift
from responders.wording import Word, WordedError, Wording, timeline_row, word, wording, words
from store.models import DraftRow, DraftStatus, IncidentRow, StatusComponentRow


class Phase(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    FIXING = "fixing"
    MONITORING = "monitoring"
    RESOLVED = "resolved"
    POSTMORTEM = "postmortem"


class Audience(StrEnum):
    TEAM = "team"
    CEO = "ceo"
    CUSTOMERS = "customers"
    BOARD = "board"


SEVERITIES = ("minor", "major", "critical")
CRISIS_TYPES = ("outage", "degraded", "data_leak", "billing", "defect", "controversy",
                "maintenance")

# The one transition table: where each phase may go next. Going back is allowed where
# reality does it (a fix that did not hold sends monitoring back to fixing).
TRANSITIONS: dict[Phase, tuple[Phase, ...]] = {
    Phase.INVESTIGATING: (Phase.IDENTIFIED, Phase.FIXING, Phase.RESOLVED),
    Phase.IDENTIFIED: (Phase.FIXING, Phase.MONITORING, Phase.RESOLVED),
    Phase.FIXING: (Phase.MONITORING, Phase.RESOLVED, Phase.IDENTIFIED),
    Phase.MONITORING: (Phase.RESOLVED, Phase.FIXING),
    Phase.RESOLVED: (Phase.POSTMORTEM, Phase.MONITORING),
    Phase.POSTMORTEM: (),
}

ACTIVE = (Phase.INVESTIGATING, Phase.IDENTIFIED, Phase.FIXING, Phase.MONITORING)

# How often each audience must hear from us while the incident is active, by severity.
# The board hears once, after resolution (a post-mortem POSTMORTEM_DUE later).
CADENCE: dict[tuple[str, Audience], timedelta] = {
    **{(s, Audience.TEAM): timedelta(minutes=m) for s, m in
       (("minor", 60), ("major", 45), ("critical", 30))},
    **{(s, Audience.CEO): timedelta(hours=h) for s, h in
       (("minor", 4), ("major", 2), ("critical", 1))},
    **{(s, Audience.CUSTOMERS): timedelta(minutes=m) for s, m in
       (("minor", 120), ("major", 60), ("critical", 30))},
}
POSTMORTEM_DUE = timedelta(days=4)
# Who owes each audience its update (reminders go to this role).
OWNER = {Audience.TEAM: "commander", Audience.CEO: "commander",
         Audience.CUSTOMERS: "comms_lead", Audience.BOARD: "commander"}

FACT_FIELDS = ("impact", "known", "unknown", "cause", "actions", "eta")
EDITABLE = FACT_FIELDS + ("title",)  # the title too is said to customers, in their language
MAJOR_FACTS = ("impact", "eta")  # a change here makes the CEO update due at once


class TransitionError(WordedError, ValueError):
    """A phase change the transition table does not allow."""


def record(session: Session, incident: IncidentRow, now: datetime, actor: str, kind: str,
           detail: str | Wording) -> None:
    """Append one event to the incident's timeline: a `Wording` is kept with its key and
    parameters (shown in the reader's language), a string as written."""
    session.add(timeline_row(incident.id, now, actor, kind, detail))


def declare(session: Session, *, title: str, crisis_type: str, severity: str, actor: str,
            now: datetime, alert=None) -> IncidentRow:
    """Open an incident in the investigating phase, optionally from an alert."""
    if crisis_type not in CRISIS_TYPES:
        raise ValueError(f"unknown crisis type {crisis_type!r}; one of {', '.join(CRISIS_TYPES)}")
    if severity not in SEVERITIES:
        raise ValueError(f"unknown severity {severity!r}; one of {', '.join(SEVERITIES)}")
    incident = IncidentRow(
        title=title, crisis_type=crisis_type, severity=severity,
        phase=Phase.INVESTIGATING.value, declared_at=now, declared_by=actor,
        translations={}, major_change_at=now,
    )
    session.add(incident)
    session.flush()
    # Whoever declares is the comms lead until someone else is named or takes over.
    start_shift(session, incident, "comms_lead", actor, via="declared", now=now)
    if alert is not None:
        said = wording("Declared {severity} {crisis_type} incident from alert #{alert}: {title}",
                       severity=word("severity", severity),
                       crisis_type=word("crisis_type", crisis_type), alert=alert.id, title=title)
    else:
        said = wording("Declared {severity} {crisis_type} incident: {title}",
                       severity=word("severity", severity),
                       crisis_type=word("crisis_type", crisis_type), title=title)
    record(session, incident, now, actor, "declared", said)
    if alert is not None:
        alert.incident_id = incident.id
    return incident


def assign_roles(session: Session, incident: IncidentRow, *, actor: str, now: datetime,
                 **roles: str | None) -> list[str]:
    """Name who holds each crisis-cell role from now (empty = nobody); returns the changes,
    as recorded. The holders are the cell's shifts (`responders.cell.assign`)."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {', '.join(sorted(unknown))}")
    changed = [c for c in (assign(session, incident, name, value, now=now)
                           for name, value in roles.items()) if c]
    if changed:
        record(session, incident, now, actor, "roles", "; ".join(changed))
    return changed


def transition(session: Session, incident: IncidentRow, to: Phase | str, *, actor: str,
               now: datetime) -> None:
    """Move the incident to phase `to`, or raise TransitionError."""
    to, current = Phase(to), Phase(incident.phase)
    if to not in TRANSITIONS[current]:
        if not TRANSITIONS[current]:
            raise TransitionError(wording(
                "cannot go from {current} to {to}; allowed: nothing (final phase)",
                current=word("phase", current), to=word("phase", to)))
        raise TransitionError(wording("cannot go from {current} to {to}; allowed: {allowed}",
                                      current=word("phase", current), to=word("phase", to),
                                      allowed=words("phase", TRANSITIONS[current])))
    incident.phase = to.value
    mark_major_change(session, incident, now)
    bump_version(incident)
    if to is Phase.RESOLVED:
        incident.resolved_at = now
    record(session, incident, now, actor, "phase", wording(
        "{before} -> {to}", before=word("phase", current), to=word("phase", to)))


def update_facts(session: Session, incident: IncidentRow, *, actor: str, now: datetime,
                 lang: str = "en", **facts) -> list[str]:
    """Set facts (impact, known, unknown, cause, actions, eta) or the title; returns the
    names changed.

    English facts live on the incident's columns; other languages in `translations`.
    ETA is a datetime and language-independent.
    """
    unknown = set(facts) - set(EDITABLE)
    if unknown:
        raise ValueError(f"unknown facts: {', '.join(sorted(unknown))}")
    changed = []
    translated = dict(incident.translations or {})
    for name, value in facts.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "cause" and not value:
            value = None  # an empty cause means "not yet known", which templates say aloud
        if name == "eta" or lang == "en":
            if getattr(incident, name) != value:
                setattr(incident, name, value)
                changed.append(name)
        elif translated.get(lang, {}).get(name) != value:
            translated[lang] = {**translated.get(lang, {}), name: value}
            changed.append(f"{name} ({lang})")
    incident.translations = translated
    if changed:
        incident.facts_changed_at = now
        bump_version(incident)
        if any(c.split(" ")[0] in MAJOR_FACTS for c in changed):
            mark_major_change(session, incident, now)
        record(session, incident, now, actor, "facts", wording(
            "Updated {facts}", facts=[fact_word(c) for c in changed]))
    return changed


def fact_word(changed: str) -> Word | Wording:
    """One name `update_facts` returns, for people: "impact" -> the word; "impact (fr)" ->
    "{fact} ({lang})" (a translated fact)."""
    name, _, lang = changed.partition(" (")
    if not lang:
        return word("fact", name)
    return wording("{fact} ({lang})", fact=word("fact", name), lang=word("lang", lang.rstrip(")")))


def bump_version(incident: IncidentRow) -> None:
    """A new version of what every message says: drafts built from an older one are stale."""
    incident.version = (incident.version or 0) + 1


def mark_major_change(session: Session, incident: IncidentRow, now: datetime) -> None:
    """Record a major change (the CEO update is due at once), keeping the earliest one the
    CEO has not yet heard about: a second change may make the update earlier, never later,
    so the clock keeps showing how long the CEO has waited."""
    briefed = _last_published(session, incident).get(Audience.CEO)
    pending = incident.major_change_at
    if pending is None or (briefed is not None and pending <= briefed):
        incident.major_change_at = now


TRANSLATED = ("title", "impact", "known", "unknown", "cause", "actions")


def facts_for(incident: IncidentRow, lang: str) -> dict:
    """The incident's facts in `lang`, falling back to English where not translated;
    ``untranslated`` names the text facts that fell back (the linter blocks such a draft
    with a ``translate`` finding)."""
    base = {name: getattr(incident, name) for name in EDITABLE}
    translated = (incident.translations or {}).get(lang, {})
    for name, value in translated.items():
        if value not in (None, ""):
            base[name] = value
    base["untranslated"] = [] if lang == "en" else [
        name for name in TRANSLATED
        if getattr(incident, name) not in (None, "") and translated.get(name) in (None, "")]
    session = object_session(incident)
    if lang != "en" and session is not None and incident.id is not None:
        # The status page shows the components under the incident, in the reader's language.
        names = session.execute(select(StatusComponentRow.names).where(
            StatusComponentRow.incident_id == incident.id)).scalars().all()
        if any(not (n or {}).get(lang) for n in names):
            base["untranslated"].append("components")
    return base


def active_incident(session: Session) -> IncidentRow | None:
    """The most recently declared incident that is not yet resolved."""
    return session.execute(
        select(IncidentRow).where(IncidentRow.phase.in_([p.value for p in ACTIVE]))
        .order_by(IncidentRow.declared_at.desc()).limit(1)
    ).scalar_one_or_none()


def latest_resolved(session: Session) -> IncidentRow | None:
    """The most recently resolved incident still in the resolved phase (it owes its
    audiences the all-clear, and the board its post-mortem)."""
    return session.execute(
        select(IncidentRow).where(IncidentRow.phase == Phase.RESOLVED.value)
        .order_by(IncidentRow.resolved_at.desc()).limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Clock:
    """When an audience last heard from us and when it must hear again."""

    audience: Audience
    last_update: datetime | None
    due_at: datetime | None
    state: str  # "ok" | "due" | "overdue" | "not_due" (board before resolution)
    owner: str


def audience_clocks(session: Session, incident: IncidentRow, now: datetime) -> list[Clock]:
    """One clock per audience: due when the cadence has elapsed since the last published
    update (or since declaration), overdue after a grace of a quarter of the cadence.
    A major change (phase, impact, ETA) makes the CEO update due at once."""
    last = _last_published(session, incident)
    promised = _last_promise(session, incident)
    clocks = []
    for audience in Audience:
        owner = getattr(incident, OWNER[audience]) or OWNER[audience]
        sent = last.get(audience)
        if audience is Audience.BOARD:
            if incident.resolved_at is None:
                clocks.append(Clock(audience, sent, None, "not_due", owner))
                continue
            due = incident.resolved_at + POSTMORTEM_DUE
            grace = timedelta(days=1)
        elif Phase(incident.phase) not in ACTIVE:
            clocks.append(Clock(audience, sent, None, "ok", owner))
            continue
        else:
            cadence = CADENCE[(incident.severity, audience)]
            due = (sent or incident.declared_at) + cadence
            if sent is None:
                due = incident.declared_at + min(cadence, timedelta(minutes=15))
            elif audience is Audience.CUSTOMERS and promised.get(audience) is not None:
                due = promised[audience]  # what the last status-page update promised
            if audience is Audience.CEO and incident.major_change_at and (
                sent is None or incident.major_change_at > sent
            ):
                due = min(due, incident.major_change_at)
            grace = cadence / 4
        board_briefed = audience is Audience.BOARD and sent is not None
        if board_briefed or now < due:
            state = "ok"
        else:
            state = "overdue" if now >= due + grace else "due"
        clocks.append(Clock(audience, sent, due, state, owner))
    return clocks


# Only these channels answer an audience's clock: a tweet reply is not the customers' update.
CLOCK_CHANNELS = {Audience.CUSTOMERS: ("statuspage",)}


def _published(session: Session, incident: IncidentRow):
    return session.execute(
        select(DraftRow.audience, DraftRow.channel, DraftRow.published_at,
               DraftRow.promised_next_update)
        .where(DraftRow.incident_id == incident.id, DraftRow.status == DraftStatus.PUBLISHED,
               # replies answer one person; broadcasts go to contact segments, not audiences
               DraftRow.kind.not_in(("reply", "broadcast")))
    ).all()


def _last_promise(session: Session, incident: IncidentRow) -> dict[Audience, datetime]:
    """The next update promised by each audience's latest published update (if it said)."""
    latest: dict[Audience, tuple] = {}
    for audience, channel, at, promise in _published(session, incident):
        a = Audience(audience)
        if channel not in CLOCK_CHANNELS.get(a, (channel,)):
            continue
        if a not in latest or at > latest[a][0]:
            latest[a] = (at, promise)
    return {a: p for a, (_, p) in latest.items() if p is not None}


def public_promise(session: Session, incident: IncidentRow) -> datetime | None:
    """The next update the status page promises now (its latest published update)."""
    return _last_promise(session, incident).get(Audience.CUSTOMERS)


def _last_published(session: Session, incident: IncidentRow) -> dict[Audience, datetime]:
    last: dict[Audience, datetime] = {}
    for audience, channel, at, _promise in _published(session, incident):
        a = Audience(audience)
        if channel not in CLOCK_CHANNELS.get(a, (channel,)):
            continue
        if a not in last or at > last[a]:
            last[a] = at
    return last
