"""Every query the dashboard makes: plain dicts and DataFrames out, no ORM objects leak.

All functions take a session and `now` (the context clock), never reading the wall clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from dashboard import stored_texts
from dashboard.alert_titles import alert_title
from dashboard.broadcast_data import broadcast_info
from dashboard.i18n import N_, _
from responders import exercises
from responders.approval import lint_draft, stale_reason
from responders.incidents import TRANSITIONS, Phase, active_incident, audience_clocks
from sentiment.model import LABELS
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from store import rollups
from store.models import (
    AlertRow,
    DeliveryRow,
    DraftRow,
    DraftStatus,
    IncidentRow,
    MentionRow,
    ScoreRow,
    SignalRow,
    StatusPostRow,
    TicketCountRow,
    TimelineRow,
)
from store.search import SQLITE_WINDOWS, text_filter, uses_window

WINDOW = timedelta(minutes=15)
BASELINE = timedelta(hours=3)
OPEN_ALERT = ("open", "acknowledged")


# --- time series -------------------------------------------------------------------------

def activity(session: Session, start: datetime, end: datetime) -> pd.DataFrame:
    """One row per minute in [start, end): negative, neutral, positive, total, rumours,
    tickets, and negative_share (rolling 5 minutes, NaN when nothing was said). Read from
    the per-minute roll-up (``store.rollups``), not from the raw mentions."""
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    index = pd.date_range(start, end, freq="min", inclusive="left", name="minute")
    columns = [*LABELS, "rumours", "tickets"]
    row_of = {at.to_pydatetime(): i for i, at in enumerate(index)}
    col_of = {name: j for j, name in enumerate(columns)}
    counts = np.zeros((len(index), len(columns)), dtype="int64")
    for at, label, n, rumours in rollups.per_minute(session, start, end):
        if label in LABELS and (i := row_of.get(at)) is not None:
            counts[i, col_of[label]] += int(n)
            counts[i, col_of["rumours"]] += int(rumours or 0)
    for at, n in session.execute(
        select(TicketCountRow.minute, func.sum(TicketCountRow.count))
        .where(TicketCountRow.minute >= start, TicketCountRow.minute < end)
        .group_by(TicketCountRow.minute)
    ):
        if (i := row_of.get(at)) is not None:
            counts[i, col_of["tickets"]] += int(n)
    df = pd.DataFrame(counts, index=index, columns=columns)
    df["total"] = df[list(LABELS)].sum(axis=1)
    rolled = df[["negative", "total"]].rolling(5, min_periods=1).sum()
    df["negative_share"] = (rolled["negative"] / rolled["total"].where(rolled["total"] > 0))
    return df


def crisis_start(session: Session, now: datetime) -> datetime | None:
    """When the situation under way began (the earliest open alert or unresolved incident,
    its alert's opening included), or None when all is calm: "normally" figures are read
    from before it, so the crisis never becomes its own baseline."""
    open_ids = list(session.execute(select(AlertRow.id).where(
        AlertRow.status.in_(OPEN_ALERT), AlertRow.opened_at <= now)).scalars())
    starts = list(session.execute(select(func.min(AlertRow.opened_at))
                                  .where(AlertRow.id.in_(open_ids))).scalars())
    # The alert's first anomalous minute: the crisis began before the alert said so.
    starts += list(session.execute(select(func.min(SignalRow.minute))
                                   .where(SignalRow.alert_id.in_(open_ids))).scalars())
    active = [p.value for p in TRANSITIONS if p not in (Phase.RESOLVED, Phase.POSTMORTEM)]
    for inc_id, declared in session.execute(select(IncidentRow.id, IncidentRow.declared_at)
                                            .where(IncidentRow.phase.in_(active))):
        starts.append(declared)
        starts += list(session.execute(select(func.min(AlertRow.opened_at))
                                       .where(AlertRow.incident_id == inc_id)).scalars())
    starts = [t for t in starts if t is not None and t <= now]
    return min(starts) if starts else None


def kpis(session: Session, now: datetime) -> dict:
    """The four numbers at the top: last 15 minutes against the usual 15 minutes of the
    three hours before, or, while an alert or incident is open, of the three hours before
    it began (the pre-crisis baseline, frozen until it is over)."""
    def counts(start, end):
        mentions = rollups.label_counts(session, start, end)
        tickets = session.execute(
            select(func.coalesce(func.sum(TicketCountRow.count), 0))
            .where(TicketCountRow.minute >= start, TicketCountRow.minute < end)).scalar_one()
        total = sum(mentions.values())
        return total, mentions.get("negative", 0), int(tickets)

    total, negative, tickets = counts(now - WINDOW, now)
    start = crisis_start(session, now)
    # A window's worth before the start too: the first minutes were already unusual.
    base_end = now - WINDOW if start is None else min(now - WINDOW, start - WINDOW)
    b_total, b_negative, b_tickets = counts(base_end - BASELINE, base_end)
    periods = BASELINE / WINDOW
    open_alerts = session.execute(
        select(AlertRow.status, func.count()).where(AlertRow.status.in_(OPEN_ALERT))
        .group_by(AlertRow.status)).all()
    by_status = dict(open_alerts)
    return {
        "mentions": total, "mentions_normal": b_total / periods,
        "negative_share": negative / total if total else None,
        "negative_share_normal": b_negative / b_total if b_total else None,
        "tickets": tickets, "tickets_normal": b_tickets / periods,
        "alerts_open": sum(by_status.values()),
        "alerts_unacknowledged": by_status.get("open", 0),
        "baseline_frozen_at": None if start is None else base_end,
        "crisis_start": start,  # the overview's chart opens a little before it
    }


# --- alerts ------------------------------------------------------------------------------

def _mention_dict(m: MentionRow, s: ScoreRow | None) -> dict:
    return {
        "id": m.id, "source": m.source, "author": m.author, "followers": m.author_followers,
        "text": m.text, "lang": (s.lang if s else None) or m.lang, "created_at": m.created_at,
        "url": m.url, "external_id": m.external_id, "label": s.label if s else None,
        "rumour": round(s.rumour, 2) if s else None, "crisis_type": s.crisis_type if s else None,
    }


def mentions_by_id(session: Session, ids: list[int]) -> list[dict]:
    if not ids:
        return []
    rows = session.execute(
        select(MentionRow, ScoreRow).outerjoin(ScoreRow).where(MentionRow.id.in_(ids))).all()
    by_id = {m.id: _mention_dict(m, s) for m, s in rows}
    return [by_id[i] for i in ids if i in by_id]


def open_alerts(session: Session, limit: int = 10,
                normal_share: float | None = None) -> list[dict]:
    """Alerts not yet closed, newest first, with the evidence a human reads first.
    `normal_share` (the overview's ``kpis()["negative_share_normal"]``), when given, is the
    "normal" every negative-share figure of the alert states, in its title and its signal
    lines: one normal per screen (``alert_titles.with_normal_share``)."""
    alerts = session.execute(
        select(AlertRow).where(AlertRow.status.in_(OPEN_ALERT))
        .order_by(AlertRow.opened_at.desc()).limit(limit)).scalars().all()
    out = []
    for a in alerts:
        latest = {}
        for kind, observed, expected in session.execute(
            select(SignalRow.kind, SignalRow.observed, SignalRow.expected)
            .where(SignalRow.alert_id == a.id).order_by(SignalRow.minute)
        ):
            latest[kind] = (observed, expected)
        if normal_share is not None and "negative_share" in latest:
            latest["negative_share"] = (latest["negative_share"][0], normal_share)
        out.append({
            "id": a.id, "title": alert_title(a.kinds, a.evidence, a.title, normal_share),
            "severity": a.severity, "kinds": list(a.kinds),
            "status": a.status, "opened_at": a.opened_at, "updated_at": a.updated_at,
            "acknowledged_by": a.acknowledged_by, "acknowledged_at": a.acknowledged_at,
            "incident_id": a.incident_id,
            "signals": [{"kind": k, "observed": o, "expected": e} for k, (o, e) in latest.items()],
            "mentions": mentions_by_id(session, list((a.evidence or {}).get("top_mentions", []))),
            "terms": list((a.evidence or {}).get("emerging_terms", {}))[:6],
            "crisis_type": (a.evidence or {}).get("crisis_type"),
        })
    return out


def alert_markers(session: Session, start: datetime, end: datetime) -> list[dict]:
    """Every alert opened in the window, for the vertical lines on the chart."""
    return [
        {"id": a.id, "opened_at": a.opened_at, "severity": a.severity,
         "title": alert_title(a.kinds, a.evidence, a.title)}
        for a in session.execute(
            select(AlertRow).where(AlertRow.opened_at >= start, AlertRow.opened_at <= end)
            .order_by(AlertRow.opened_at)).scalars()
    ]


# --- incidents ---------------------------------------------------------------------------

def _minutes(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return _("{m} min").format(m=minutes)
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("{h} h {m} min").format(h=hours, m=f"{minutes:02d}") if minutes else \
            _("{h} h").format(h=hours)
    return _("{d} d {h} h").format(d=hours // 24, h=hours % 24)


def clock_text(state: str, due_at: datetime | None, now: datetime) -> str:
    """What a clock tile says, in the current user's language."""
    if state == "not_due":
        return _("after resolution (post-mortem)")
    if due_at is None:
        return _("no update needed")
    if state == "ok":
        return _("due in {delay}").format(delay=_minutes(due_at - now))
    if state == "due":
        return _("due now") if now - due_at < timedelta(minutes=1) else \
            _("due {delay} ago").format(delay=_minutes(now - due_at))
    return _("overdue by {delay}").format(delay=_minutes(now - due_at))


def incident(session: Session, now: datetime, incident_id: int | None = None) -> dict | None:
    """The given incident, else the active one, else the latest; None when there is none."""
    if incident_id is not None:
        row = session.get(IncidentRow, incident_id)
    else:
        row = active_incident(session) or session.execute(
            select(IncidentRow).order_by(IncidentRow.declared_at.desc()).limit(1)
        ).scalar_one_or_none()
    if row is None:
        return None
    clocks = [
        {"audience": c.audience.value, "state": c.state, "due_at": c.due_at,
         "last_update": c.last_update, "owner": c.owner,
         "text": clock_text(c.state, c.due_at, now)}
        for c in audience_clocks(session, row, now)
    ]
    waiting = session.execute(
        select(func.count()).select_from(DraftRow)
        .where(DraftRow.incident_id == row.id, DraftRow.status == DraftStatus.DRAFT)).scalar_one()
    return {
        "id": row.id, "title": row.title, "crisis_type": row.crisis_type,
        "severity": row.severity, "phase": row.phase, "declared_at": row.declared_at,
        "declared_by": row.declared_by, "resolved_at": row.resolved_at,
        "active": row.phase not in (Phase.RESOLVED, Phase.POSTMORTEM),
        "commander": row.commander, "comms_lead": row.comms_lead, "tech_lead": row.tech_lead,
        "facts": {"impact": row.impact or "", "known": row.known or "",
                  "unknown": row.unknown or "", "cause": row.cause or "",
                  "actions": row.actions or "", "eta": row.eta},
        "translations": dict(row.translations or {}),
        "facts_changed_at": row.facts_changed_at,
        "transitions": [p.value for p in TRANSITIONS[Phase(row.phase)]],
        "clocks": clocks, "drafts_waiting": waiting,
    }


def timeline(session: Session, incident_id: int, limit: int = 200) -> list[dict]:
    return [
        # `said`: the sentence was stored with its key, so it is in the reader's language
        # (dashboard.stored_texts); else it is the stored text, shown as written.
        {"at": t.at, "actor": t.actor, "kind": t.kind, "said": t.detail_key is not None,
         "detail": stored_texts.from_row(t.detail_key, t.detail_params, t.detail)}
        for t in session.execute(
            select(TimelineRow).where(TimelineRow.incident_id == incident_id)
            .order_by(TimelineRow.at.desc(), TimelineRow.id.desc()).limit(limit)).scalars()
    ]


# --- mentions ----------------------------------------------------------------------------

def mention_facets(session: Session) -> dict:
    """The Mentions page's filter choices: the sources stored, the languages scored."""
    return {"sources": rollups.sources(session), "langs": rollups.languages(session)}


def mentions(session: Session, *, sources=None, langs=None, labels=None,
             rumour_only: bool = False, search: str | None = None,
             limit: int = 300) -> list[dict]:
    """Mentions newest first, filtered; ``search`` finds the mentions holding each of its
    words as a word start, case-insensitively, through the engine's full-text index
    (``store.search``; literal substring when it has no word or the engine no index)."""
    # Only the columns shown: whole rows would carry (and decode) each post's raw JSON.
    q = select(MentionRow.id, MentionRow.source, MentionRow.author,
               MentionRow.author_followers, MentionRow.text, MentionRow.lang,
               MentionRow.created_at, MentionRow.url, MentionRow.external_id,
               ScoreRow.label, ScoreRow.rumour,
               ScoreRow.crisis_type, ScoreRow.lang.label("score_lang")).outerjoin(ScoreRow)
    if sources:
        q = q.where(MentionRow.source.in_(sources))
    if langs:
        q = q.where(or_(ScoreRow.lang.in_(langs), MentionRow.lang.in_(langs)))
    if labels:
        q = q.where(ScoreRow.label.in_(labels))
    if rumour_only:
        q = q.where(ScoreRow.rumour >= RUMOUR_THRESHOLD)
    q = q.order_by(MentionRow.created_at.desc(), MentionRow.id.desc()).limit(limit)
    rows = []
    if search and search.strip():
        # SQLite looks among a common word's latest matches only: a wider window when the
        # other filters left less than a page of them (store.search.SQLITE_WINDOWS).
        windows = SQLITE_WINDOWS if uses_window(session, search) else SQLITE_WINDOWS[:1]
        for window in windows:
            rows = session.execute(q.where(text_filter(session, search, window))).all()
            if len(rows) >= limit:
                break
    else:
        rows = session.execute(q).all()
    return [{
        "id": r.id, "source": r.source, "author": r.author, "followers": r.author_followers,
        "text": r.text, "lang": r.score_lang or r.lang, "created_at": r.created_at,
        "url": r.url, "external_id": r.external_id, "label": r.label,
        "rumour": None if r.rumour is None else round(r.rumour, 2),
        "crisis_type": r.crisis_type,
    } for r in rows]


# --- approvals ---------------------------------------------------------------------------

GROUPS = (  # English labels; shown through _()
    ("status", N_("Status page (public)")),
    ("team", N_("Tech team")),
    ("ceo", N_("CEO and management")),
    ("reply", N_("Replies to mentions")),
    ("correction", N_("Rumour corrections (public)")),
    ("broadcast", N_("Broadcasts to contact segments")),
    ("board", N_("Board")),
    ("other", N_("Other")),
)


def draft_group(kind: str, audience: str, channel: str) -> str:
    if kind in ("reply", "correction", "broadcast"):
        return kind
    if channel == "statuspage":
        return "status"
    return audience if audience in ("team", "ceo", "board") else "other"


def findings(session: Session, draft, now: datetime, body: str | None = None) -> list[dict]:
    """The linter's findings on the draft, or on `body` as if it were the draft's text."""
    if body is not None:
        draft = SimpleNamespace(**{c: getattr(draft, c) for c in (
            "id", "incident_id", "kind", "channel", "audience", "phase", "lang")}, body=body)
    try:
        return [{"rule": f.rule, "severity": f.severity, "message": f.message,
                 "span": list(f.span) if f.span else None}
                for f in lint_draft(session, draft, now)]
    except Exception as exc:  # noqa: BLE001 - a linter bug must not hide the queue
        return [{"rule": "linter", "severity": "error", "span": None,
                 "message": f"Could not check this message ({type(exc).__name__}: {exc})"}]


def untranslated(incident: IncidentRow | None, lang: str) -> list[str]:
    """Text facts set in English but missing in `lang`: they fall back to English inside a
    message in another language."""
    if incident is None or lang == "en":
        return []
    translated = (incident.translations or {}).get(lang, {})
    return [name for name in ("impact", "known", "unknown", "cause", "actions")
            if getattr(incident, name) and not translated.get(name)]


def _draft_dict(session: Session, d: DraftRow, now: datetime, with_lint: bool) -> dict:
    incident = session.get(IncidentRow, d.incident_id) if d.incident_id else None
    mention = None
    if d.mention_id is not None:
        mention = (mentions_by_id(session, [d.mention_id]) or [None])[0]
    return {
        "id": d.id, "incident_id": d.incident_id, "kind": d.kind, "audience": d.audience,
        "channel": d.channel, "lang": d.lang, "phase": d.phase, "subject": d.subject,
        "body": d.body, "author": d.author, "status": d.status, "created_at": d.created_at,
        "updated_at": d.updated_at, "published_at": d.published_at,
        "group": draft_group(d.kind, d.audience, d.channel), "mention": mention,
        "findings": findings(session, d, now) if with_lint else [],
        "stale": stored_texts.say(stale_reason(session, d, now)) or None if d.status in (
            DraftStatus.DRAFT, DraftStatus.APPROVED) else None,
        "promised_next_update": d.promised_next_update,
        "untranslated": untranslated(incident, d.lang) if d.kind != "reply" else [],
        # An incident declared during a team exercise: its drafts say EXERCISE (issue 19).
        "exercise": incident is not None and exercises.during(
            session, incident.declared_at) is not None,
        # who a broadcast goes to and what its SMS costs (issue 18)
        "broadcast": broadcast_info(session, d) if d.kind == "broadcast" else None,
    }


def approval_queue(session: Session, now: datetime) -> list[dict]:
    """Drafts awaiting approval or the outbox, status page first then by audience."""
    rows = session.execute(
        select(DraftRow).where(DraftRow.status.in_((DraftStatus.DRAFT, DraftStatus.APPROVED, DraftStatus.PUBLISHING)))
        .order_by(DraftRow.id)).scalars().all()
    order = {g: i for i, (g, _label) in enumerate(GROUPS)}
    out = [_draft_dict(session, d, now, with_lint=d.status == DraftStatus.DRAFT) for d in rows]
    return sorted(out, key=lambda d: (order[d["group"]], d["lang"] != "en", d["id"]))


def draft(session: Session, draft_id: int, now: datetime) -> dict | None:
    row = session.get(DraftRow, draft_id)
    return _draft_dict(session, row, now, with_lint=True) if row else None


def queue_signature(session: Session, now: datetime | None = None) -> list:
    """Cheap fingerprint of the queue: changes whenever a card would look different (its
    text or status, the incident moving on, its promised time passing)."""
    return [[i, st, at, ver, iver, bool(now and promise and promise <= now)]
            for i, st, at, ver, iver, promise in session.execute(
        select(DraftRow.id, DraftRow.status, DraftRow.updated_at, DraftRow.incident_version,
               IncidentRow.version, DraftRow.promised_next_update)
        .outerjoin(IncidentRow, IncidentRow.id == DraftRow.incident_id)
        .where(DraftRow.status.in_((DraftStatus.DRAFT, DraftStatus.APPROVED, DraftStatus.PUBLISHING)))
        .order_by(DraftRow.id)).all()]


def recently_sent(session: Session, limit: int = 10) -> list[dict]:
    rows = session.execute(
        select(DraftRow).where(DraftRow.status.in_((DraftStatus.PUBLISHED, DraftStatus.FAILED)))
        .order_by(DraftRow.updated_at.desc(), DraftRow.id.desc()).limit(limit)).scalars().all()
    out = []
    for d in rows:
        deliveries = session.execute(
            select(DeliveryRow).where(DeliveryRow.draft_id == d.id)
            .order_by(DeliveryRow.attempt)).scalars().all()
        out.append({
            "id": d.id, "group": draft_group(d.kind, d.audience, d.channel),
            "audience": d.audience, "channel": d.channel, "lang": d.lang, "status": d.status,
            "published_at": d.published_at, "updated_at": d.updated_at,
            "body": d.body, "subject": d.subject,
            "deliveries": [{"attempt": x.attempt, "at": x.at, "ok": x.ok, "error": x.error,
                            "permanent": x.permanent, "external_id": x.external_id}
                           for x in deliveries],
        })
    return out


def waiting_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(DraftRow)
                           .where(DraftRow.status == DraftStatus.DRAFT)).scalar_one()


# --- public status page ------------------------------------------------------------------

def _promise_of(session: Session, post: StatusPostRow) -> datetime | None:
    """The next update the post promised: one time for every language of that update."""
    return session.execute(select(DraftRow.promised_next_update)
                           .where(DraftRow.id == post.draft_id)).scalar_one_or_none()


def status_page(session: Session, lang: str, limit: int = 50) -> dict:
    """Only what was approved and published: the incidents whose latest public update is in
    an active phase, and the updates in `lang`, newest first."""
    posts = session.execute(
        select(StatusPostRow).where(StatusPostRow.lang == lang)
        .order_by(StatusPostRow.published_at.desc(), StatusPostRow.id.desc())
        .limit(limit)).scalars().all()
    latest: dict = {}
    for p in session.execute(select(StatusPostRow)
                             .order_by(StatusPostRow.published_at, StatusPostRow.id)).scalars():
        latest[p.incident_id] = p
    ongoing = [
        {"incident_id": p.incident_id, "title": p.title, "phase": p.phase,
         "updated_at": p.published_at, "next_update_at": _promise_of(session, p)}
        for p in sorted(latest.values(), key=lambda p: p.published_at, reverse=True)
        if p.phase not in (Phase.RESOLVED, Phase.POSTMORTEM)
    ]
    return {
        "state": "incident" if ongoing else "operational", "incidents": ongoing,
        "posts": [{"id": p.id, "incident_id": p.incident_id, "title": p.title,
                   "phase": p.phase, "lang": p.lang, "body": p.body,
                   "published_at": p.published_at} for p in posts],
    }
