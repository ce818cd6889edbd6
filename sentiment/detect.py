"""The detection stage: closes minute buckets, runs the detector, correlates signals into
alerts. One open alert per situation: new signals while it is open update it.

The alert carries its evidence: every signal (kind, minute, observed vs expected,
surprise), the per-minute series around it (`evidence["series"]`), the most-read negative
or rumour mentions (`top_mentions`) and the emerging terms (`emerging_terms`, most
surprising first)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sentiment.signals import Bucket, Detector, Settings, Signal, reach_weight
from sentiment.terms import terms_of
from store.models import (
    AlertRow,
    DetectorStateRow,
    MentionRow,
    ScoreRow,
    SignalRow,
    TicketCountRow,
)

DETECTOR = "brand"
QUIET_CLOSE = timedelta(minutes=60)  # an alert with no new signal for this long is over
SEVERITY = {1: "warning", 2: "major"}  # distinct families -> severity; 3+ is critical
# Series that say the same thing count once towards severity: more people talking
# (volume, new words), more of them unhappy (share, reach), rumours, tickets.
FAMILY = {"mentions": "volume", "terms": "volume", "negative_share": "sentiment",
          "reach": "sentiment", "rumours": "rumours", "tickets": "tickets"}
LABELS = {"mentions": "mention volume", "negative_share": "negative sentiment",
          "rumours": "rumours", "tickets": "support tickets",
          "reach": "reach-weighted negativity", "terms": "emerging terms"}
SERIES_BEFORE = timedelta(minutes=60)  # context kept in the evidence before the alert
SERIES_MAX = 240  # points per series in the evidence
SERIES_KEYS = ("mentions", "negative", "rumours", "tickets", "reach")
ONE_MINUTE = timedelta(minutes=1)


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def buckets(session: Session, start: datetime, end: datetime,
            with_terms: bool = True) -> list[Bucket]:
    """Per-minute buckets for [start, end), every minute present even when empty."""
    counts: dict[datetime, Counter] = {}
    terms: dict[datetime, Counter] = {}
    reach: Counter = Counter()
    rows = session.execute(
        select(MentionRow.created_at, ScoreRow.label, ScoreRow.rumour,
               MentionRow.author_followers, MentionRow.text if with_terms else MentionRow.id)
        .join(ScoreRow).where(MentionRow.created_at >= start, MentionRow.created_at < end)
    )
    for created_at, label, rumour, followers, text in rows:
        minute = minute_of(created_at)
        c = counts.setdefault(minute, Counter())
        c["mentions"] += 1
        c["negative"] += label == "negative"
        c["rumours"] += rumour >= 0.5
        if label == "negative":
            reach[minute] += reach_weight(followers)
        if with_terms:
            terms.setdefault(minute, Counter()).update(terms_of(text))
    tickets = session.execute(
        select(TicketCountRow.minute, func.sum(TicketCountRow.count))
        .where(TicketCountRow.minute >= start, TicketCountRow.minute < end)
        .group_by(TicketCountRow.minute)
    )
    for minute, n in tickets:
        counts.setdefault(minute, Counter())["tickets"] += int(n)
    out, minute = [], start
    while minute < end:
        c = counts.get(minute, Counter())
        out.append(Bucket(minute, c["mentions"], c["negative"], c["rumours"], c["tickets"],
                          round(reach[minute], 4), dict(terms.get(minute, {}))))
        minute += ONE_MINUTE
    return out


def detect_once(session: Session, now: datetime, settings: Settings | None = None,
                settle: timedelta = timedelta(0)) -> int:
    """Process every closed minute not yet seen; returns the number of signals raised.

    A minute is closed once `now - settle` has passed its end and none of its mentions
    is still waiting for a score, so a slow scorer delays detection instead of fooling it.
    """
    state = session.get(DetectorStateRow, DETECTOR)
    if state is None:
        first = session.execute(select(func.min(MentionRow.created_at))).scalar()
        if first is None:
            return 0
        state = DetectorStateRow(name=DETECTOR, last_minute=minute_of(first) - ONE_MINUTE,
                                 state={})
        session.add(state)
    end = minute_of(now - settle)
    unscored = session.execute(
        select(func.min(MentionRow.created_at)).outerjoin(ScoreRow)
        .where(ScoreRow.mention_id.is_(None))
    ).scalar()
    if unscored is not None:
        end = min(end, minute_of(unscored))
    start = state.last_minute + ONE_MINUTE
    if end <= start:
        return 0
    detector = Detector.from_state(state.state, settings)
    raised, touched = 0, {}
    for bucket in buckets(session, start, end):
        signals = detector.update(bucket)
        if signals:
            alert = correlate(session, signals, bucket.minute + ONE_MINUTE)
            touched[alert.id] = alert
            raised += len(signals)
    for alert in touched.values():
        attach_series(session, alert, end)
    close_quiet_alerts(session, end)
    state.state, state.last_minute = detector.to_state(), end - ONE_MINUTE
    return raised


def correlate(session: Session, signals: list[Signal], at: datetime) -> AlertRow:
    """Fold signals into the open alert, or open one; severity grows with the number of
    distinct series involved."""
    alert = session.execute(
        select(AlertRow).where(AlertRow.status.in_(("open", "acknowledged")))
        .order_by(AlertRow.opened_at.desc()).limit(1)
    ).scalar_one_or_none()
    if alert is None:
        alert = AlertRow(opened_at=at, updated_at=at, severity="warning", kinds=[], title="",
                         evidence={"signals": []}, status="open")
        session.add(alert)
        session.flush()
    kinds = list(dict.fromkeys(alert.kinds + [s.kind for s in signals]))
    evidence = dict(alert.evidence)
    evidence["signals"] = (evidence.get("signals", []) + [
        {"kind": s.kind, "minute": s.minute.isoformat(), "observed": s.observed,
         "expected": s.expected, "surprise": s.surprise,
         **({"terms": [t for t, _ in s.terms]} if s.terms else {})} for s in signals
    ])[-200:]
    evidence["top_mentions"] = top_mentions(session, at - timedelta(minutes=15), at)
    terms = dict(evidence.get("emerging_terms", {}))
    for sig in signals:
        for term, surprise in sig.terms:  # keep each term's strongest showing
            terms[term] = max(terms.get(term, 0.0), surprise)
    if terms:
        evidence["emerging_terms"] = dict(sorted(terms.items(), key=lambda kv: -kv[1])[:20])
    alert.kinds, alert.evidence, alert.updated_at = kinds, evidence, at
    alert.severity = SEVERITY.get(len({FAMILY.get(k, k) for k in kinds}), "critical")
    alert.title = "Unusual " + ", ".join(LABELS[k] for k in kinds)
    for s in signals:
        session.add(SignalRow(kind=s.kind, minute=s.minute, observed=s.observed,
                              expected=s.expected, score=s.score, alert_id=alert.id))
    return alert


def attach_series(session: Session, alert: AlertRow, end: datetime) -> None:
    """The per-minute series from an hour before the alert to `end` (the latest
    SERIES_MAX minutes), so whoever reads the alert sees the break, not just a number."""
    start = max(alert.opened_at - SERIES_BEFORE, end - SERIES_MAX * ONE_MINUTE)
    rows = buckets(session, start, end, with_terms=False)
    evidence = dict(alert.evidence)
    evidence["series"] = {"start": start.isoformat(), "step_s": 60,
                          **{k: [getattr(b, k) for b in rows] for k in SERIES_KEYS}}
    alert.evidence = evidence


def top_mentions(session: Session, start: datetime, end: datetime, n: int = 5) -> list[int]:
    """Ids of the most-read negative or rumour mentions in the window: the evidence a
    human reads first."""
    return list(session.execute(
        select(MentionRow.id).join(ScoreRow)
        .where(MentionRow.created_at >= start, MentionRow.created_at < end,
               (ScoreRow.label == "negative") | (ScoreRow.rumour >= 0.5))
        .order_by(MentionRow.author_followers.desc()).limit(n)
    ).scalars())


def close_quiet_alerts(session: Session, now: datetime) -> None:
    for alert in session.execute(
        select(AlertRow).where(AlertRow.status.in_(("open", "acknowledged")),
                               AlertRow.updated_at < now - QUIET_CLOSE)
    ).scalars():
        alert.status = "closed"
