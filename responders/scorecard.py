"""The scorecard of one play of a crisis, the bot's (`crisiswatch drill --json`) or a team's
(an exercise): how fast the alert was acknowledged, the incident declared and the public
told, whether each audience heard on time, and what was sent over the linter's warnings.

Two halves. `Play` and `score()` are plain data and a pure function (the rules). `play()`
reads one time window of the store into a `Play`, so the drill and the exercises are scored
by the same code from the same rows: alerts, acknowledgements, incidents, their timelines
and the drafts published.

The contract of `score()` (a JSON object; times in seconds, floats):

- ``time_to_ack_s``, ``time_to_declare_s``, ``time_to_first_public_statement_s``: from the
  first alert opened in the window, or from the window's start when no alert came; null if it
  never happened. Declaring before any alert is a negative figure, honestly.
- ``first_public_statement_target_s`` (1800: the practice's 30 minutes from detection) and
  ``first_public_statement_on_target`` (true, false, or null if there was no statement).
- ``cadence_kept``: ``{team, ceo, customers, board}``, each the share (0..1) of that
  audience's due updates sent on time, null when none was due.
- ``cadence_counts``: the same audiences as ``{"due": n, "on_time": m}``.
- ``warnings_overridden``: approvals (not voided) given over linter warnings.
- ``stale_voided``: drafts crisiswatch withdrew before they went out (built from facts that
  had changed, or promising a time already past): stale messages avoided.
- ``contradictions``: how many times one audience's latest published updates in two
  languages said different things (another phase, or another next-update time) for longer
  than ``CONTRADICTION_GRACE`` (10 minutes: the time to publish the other language), and
  ``contradiction_s``, for how long in all. An English page saying "resolved" beside a
  French one still saying "fix in progress" is what a reader screenshots.
- ``origin``: ``"alert"`` or ``"start"``, what the times count from, and ``origin_at``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responders.incidents import (
    CADENCE,
    CLOCK_CHANNELS,
    MAJOR_FACTS,
    POSTMORTEM_DUE,
    Audience,
)
from store.models import (
    AlertAckRow,
    AlertRow,
    ApprovalRow,
    DraftRow,
    DraftStatus,
    IncidentRow,
    TimelineRow,
)

FIRST_STATEMENT_TARGET = timedelta(minutes=30)
CONTRADICTION_GRACE = timedelta(minutes=10)
FIRST_DUE_AT_MOST = timedelta(minutes=15)  # audience_clocks: the first update comes early
BOARD_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Send:
    """One published update to one audience: when, and the next update it promised."""

    at: datetime
    promised: datetime | None = None
    lang: str = "en"
    phase: str | None = None


@dataclass(frozen=True)
class IncidentPlay:
    """One incident as played: its severity, when it was declared and resolved (None: still
    active when the window closed), the major changes (phase, impact, ETA; the declaration
    is one) and the published updates per audience."""

    severity: str
    declared_at: datetime
    resolved_at: datetime | None = None
    major_changes: tuple[datetime, ...] = ()
    sends: dict[Audience, tuple[Send, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Play:
    """Everything the scorecard reads, for the window [start, end]."""

    start: datetime
    end: datetime
    first_alert: datetime | None = None
    first_ack: datetime | None = None
    first_declared: datetime | None = None
    first_public: datetime | None = None
    incidents: tuple[IncidentPlay, ...] = ()
    warnings_overridden: int = 0
    stale_voided: int = 0


def score(play: Play) -> dict:
    """The scorecard of `play` (see the module docstring for the contract)."""
    origin = play.first_alert or play.start

    def since(at: datetime | None) -> float | None:
        return None if at is None else (at - origin).total_seconds()

    counts = {a: [0, 0] for a in Audience}
    disagreements: list[timedelta] = []
    for incident in play.incidents:
        for audience in Audience:
            due, on_time = audience_cadence(incident, audience, play.end)
            counts[audience][0] += due
            counts[audience][1] += on_time
            disagreements += language_disagreements(incident, audience, play.end)
    public_s = since(play.first_public)
    return {
        "time_to_ack_s": since(play.first_ack),
        "time_to_declare_s": since(play.first_declared),
        "time_to_first_public_statement_s": public_s,
        "first_public_statement_target_s": FIRST_STATEMENT_TARGET.total_seconds(),
        "first_public_statement_on_target": (
            None if public_s is None else public_s <= FIRST_STATEMENT_TARGET.total_seconds()),
        "cadence_kept": {a.value: (round(ok / due, 3) if due else None)
                         for a, (due, ok) in counts.items()},
        "cadence_counts": {a.value: {"due": due, "on_time": ok}
                           for a, (due, ok) in counts.items()},
        "warnings_overridden": play.warnings_overridden,
        "stale_voided": play.stale_voided,
        "contradictions": len(disagreements),
        "contradiction_s": sum(d.total_seconds() for d in disagreements),
        "origin": "alert" if play.first_alert else "start",
        "origin_at": origin.isoformat(),
    }


def audience_cadence(incident: IncidentPlay, audience: Audience,
                     end: datetime) -> tuple[int, int]:
    """(due, on time) updates of one audience over one incident, by the rules of
    `responders.incidents.audience_clocks` replayed over history.

    While the incident is active, each update is due a cadence after the previous one (the
    first at most 15 minutes after declaring; the customers' at the time the last status
    update promised; the CEO's at once after a major change) and is on time if sent before
    the clock turns overdue (a quarter of the cadence later). A due update counts once it is
    sent, or once it went overdue while the incident was active; one still running when the
    incident ends does not count. The board is due once, after resolution."""
    sends = sorted(incident.sends.get(audience, ()), key=lambda s: s.at)
    if audience is Audience.BOARD:
        if incident.resolved_at is None:
            return 0, 0
        deadline = incident.resolved_at + POSTMORTEM_DUE + BOARD_GRACE
        sent = next((s.at for s in sends if s.at >= incident.resolved_at), None)
        if sent is None:
            return (1, 0) if deadline <= end else (0, 0)
        return 1, int(sent <= deadline)
    cadence = CADENCE[(incident.severity, audience)]
    grace = cadence / 4
    active_until = min(incident.resolved_at or end, end)
    due_count = on_time = 0
    last: Send | None = None
    while True:
        if last is None:
            due = incident.declared_at + min(cadence, FIRST_DUE_AT_MOST)
        elif audience is Audience.CUSTOMERS and last.promised is not None:
            due = last.promised
        else:
            due = last.at + cadence
        if audience is Audience.CEO:
            after = last.at if last else None
            major = next((m for m in sorted(incident.major_changes)
                          if after is None or m > after), None)
            if major is not None:
                due = min(due, major)
        nxt = next((s for s in sends if last is None or s.at > last.at), None)
        if nxt is not None and nxt.at <= active_until:
            due_count += 1
            on_time += int(nxt.at <= due + grace)
            last = nxt
            continue
        if due + grace <= active_until:
            due_count += 1  # went overdue while active, and not sent before it ended
        return due_count, on_time


def language_disagreements(incident: IncidentPlay, audience: Audience,
                           end: datetime) -> list[timedelta]:
    """The stretches, longer than CONTRADICTION_GRACE, during which the latest updates of
    `audience` in its languages said different things (phase or promised next update),
    while the incident was active (a last update left alone after resolution counts up
    to the resolution)."""
    sends = sorted(incident.sends.get(audience, ()), key=lambda s: s.at)
    until = min(incident.resolved_at or end, end)
    latest: dict[str, tuple] = {}
    since: datetime | None = None
    out: list[timedelta] = []
    for send in sends:
        if send.at > until:
            break
        latest[send.lang] = (send.phase, send.promised)
        differ = len(set(latest.values())) > 1
        if differ and since is None:
            since = send.at
        elif not differ and since is not None:
            out.append(send.at - since)
            since = None
    if since is not None:
        out.append(until - since)
    return [d for d in out if d > CONTRADICTION_GRACE]


def play(session: Session, start: datetime, end: datetime) -> Play:
    """The store's record of [start, end] as a `Play`: the alerts opened, acknowledgements,
    and incidents declared in the window, with their published updates."""
    first_alert = session.execute(select(func.min(AlertRow.opened_at)).where(
        AlertRow.opened_at >= start, AlertRow.opened_at <= end)).scalar_one()
    first_ack = session.execute(select(func.min(AlertAckRow.at)).where(
        AlertAckRow.at >= start, AlertAckRow.at <= end)).scalar_one()
    rows = session.execute(select(IncidentRow).where(
        IncidentRow.declared_at >= start, IncidentRow.declared_at <= end)
        .order_by(IncidentRow.declared_at)).scalars().all()
    ids = [r.id for r in rows]
    published = session.execute(select(DraftRow).where(
        DraftRow.incident_id.in_(ids), DraftRow.status == DraftStatus.PUBLISHED,
        DraftRow.published_at.is_not(None), DraftRow.published_at <= end)).scalars().all()
    first_public = min((d.published_at for d in published
                        if d.audience == Audience.CUSTOMERS and d.kind != "reply"),
                       default=None)
    incidents = tuple(_incident_play(session, r, published) for r in rows)
    overridden = session.execute(select(func.count()).select_from(ApprovalRow).join(
        DraftRow, DraftRow.id == ApprovalRow.draft_id).where(
        DraftRow.incident_id.in_(ids), ApprovalRow.void.is_(False),
        ApprovalRow.override_reason.is_not(None), ApprovalRow.at <= end)).scalar_one()
    voided = session.execute(select(func.count()).select_from(DraftRow).where(
        DraftRow.incident_id.in_(ids), DraftRow.void_reason.is_not(None))).scalar_one()
    return Play(start=start, end=end, first_alert=first_alert, first_ack=first_ack,
                first_declared=rows[0].declared_at if rows else None,
                first_public=first_public, incidents=incidents,
                warnings_overridden=overridden, stale_voided=voided)


def _incident_play(session: Session, incident: IncidentRow,
                   published: list[DraftRow]) -> IncidentPlay:
    sends: dict[Audience, list[Send]] = {}
    for d in published:
        # replies answer one person; broadcasts go to contact segments (issue 18), not to
        # an audience with a clock
        if d.incident_id != incident.id or d.kind in ("reply", "broadcast"):
            continue
        audience = Audience(d.audience)
        if d.channel not in CLOCK_CHANNELS.get(audience, (d.channel,)):
            continue
        sends.setdefault(audience, []).append(Send(d.published_at, d.promised_next_update,
                                                   d.lang, d.phase))
    events = session.execute(select(TimelineRow.at, TimelineRow.kind, TimelineRow.detail)
                             .where(TimelineRow.incident_id == incident.id)).all()
    majors = [incident.declared_at] + [at for at, kind, detail in events
                                       if kind == "phase" or (kind == "facts"
                                                              and _major_facts(detail))]
    return IncidentPlay(
        severity=incident.severity, declared_at=incident.declared_at,
        resolved_at=incident.resolved_at, major_changes=tuple(sorted(majors)),
        sends={a: tuple(s) for a, s in sends.items()})


def _major_facts(detail: str) -> bool:
    """Whether a "facts" timeline entry ("Updated impact, eta (fr)") changed a major fact."""
    names = detail.removeprefix("Updated ").split(", ")
    return any(name.split(" ")[0] in MAJOR_FACTS for name in names)


def scorecard(session: Session, start: datetime, end: datetime) -> dict:
    """`score(play(session, start, end))`: the scorecard of the store's window."""
    return score(play(session, start, end))
