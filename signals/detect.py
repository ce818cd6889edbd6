"""The detection stage: closes minute buckets, runs the detector over them and hands its
signals to the alert lifecycle (``signals.alerts``)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from signals.alerts import attach_series, close_quiet_alerts, correlate, series_start
from signals.crowd import crowd, own_author_names
from signals.detectors import STATE_VERSION, Bucket, Detector, Settings, reach_weight
from signals.terms import terms_of
from store import rollups
from store.claims import try_lock
from store.models import (
    DetectorStateRow,
    MentionRow,
    ScoreRow,
    TicketCountRow,
)

DETECTOR = "brand"
ONE_MINUTE = timedelta(minutes=1)
REBUILD_FROM = timedelta(days=7)  # history replayed into a detector whose state is unusable
log = logging.getLogger(__name__)


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def buckets(session: Session, start: datetime, end: datetime,
            with_terms: bool = True, own_accounts: tuple[str, ...] = ()) -> list[Bucket]:
    """Per-minute buckets for [start, end) (whole minutes), every minute present even when
    empty; posts of the brand's ``own_accounts`` are left out (``signals.crowd``).

    The counts and the reach come from the store's per-minute roll-up
    (``store.rollups.detector_minutes``), not from the raw mentions; the brand's own posts
    (few) are read raw and taken away from it. Only the emerging terms need the texts."""
    counts: dict[datetime, Counter] = {}
    terms: dict[datetime, Counter] = {}
    reach: Counter = Counter()
    for minute, (n, negative, rumours, weight) in rollups.detector_minutes(
            session, start, end).items():
        counts[minute] = Counter(mentions=n, negative=negative, rumours=rumours)
        reach[minute] = weight
    names = own_author_names(own_accounts)
    if names:
        for created_at, label, rumour, followers in session.execute(
            select(MentionRow.created_at, ScoreRow.label, ScoreRow.rumour,
                   MentionRow.author_followers)
            .join(ScoreRow).where(MentionRow.created_at >= start, MentionRow.created_at < end,
                                  func.lower(MentionRow.author).in_(names))
        ):
            c = counts.setdefault(minute_of(created_at), Counter())  # (counted there)
            c["mentions"] -= 1
            c["negative"] -= label == "negative"
            c["rumours"] -= rumour >= RUMOUR_THRESHOLD
            if label == "negative":
                reach[minute_of(created_at)] -= reach_weight(followers)
    if with_terms:
        for created_at, text in session.execute(
            select(MentionRow.created_at, MentionRow.text).join(ScoreRow)
            .where(MentionRow.created_at >= start, MentionRow.created_at < end,
                   crowd(own_accounts))
        ):
            terms.setdefault(minute_of(created_at), Counter()).update(terms_of(text))
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
                settle: timedelta = timedelta(0), own_accounts: tuple[str, ...] = ()) -> int:
    """Process every closed minute not yet seen; returns the number of signals raised.

    A minute is closed once `now - settle` has passed its end and none of its mentions
    is still waiting for a score, so a slow scorer delays detection instead of fooling it.
    One worker at a time walks the minutes (``store.claims.try_lock``); the others return 0.
    The detector's learned state is read after taking the lock and saved in the same
    transaction as the signals it raised (``detector_state``), so a restart or the next
    worker resumes it exactly: the same alerts as one uninterrupted process.
    """
    if not try_lock(session, "detect:" + DETECTOR):
        return 0
    state = session.get(DetectorStateRow, DETECTOR)
    if state is None:
        first = session.execute(select(func.min(MentionRow.created_at))).scalar()
        if first is None:
            return 0
        state = DetectorStateRow(name=DETECTOR, last_minute=minute_of(first) - ONE_MINUTE,
                                 state={}, version=STATE_VERSION)
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
    detector = resume(session, state, settings, own_accounts)
    raised, touched = 0, {}
    for bucket in buckets(session, start, end, own_accounts=own_accounts):
        signals = detector.update(bucket)
        if signals:
            # quiet as of this minute, not as of the end of this run: the same alerts
            # whether the minutes come one run at a time or many (several workers, a replay)
            close_quiet_alerts(session, bucket.minute)
            alert = correlate(session, signals, bucket.minute + ONE_MINUTE, own_accounts)
            touched[alert.id] = alert
            raised += len(signals)
    for alert in touched.values():
        start = series_start(alert, end)
        attach_series(alert, start, buckets(session, start, end, with_terms=False,
                                            own_accounts=own_accounts))
    close_quiet_alerts(session, end)
    state.state, state.last_minute = detector.to_state(), end - ONE_MINUTE
    state.version, state.updated_at = STATE_VERSION, now
    return raised


def resume(session: Session, state: DetectorStateRow, settings: Settings | None,
           own_accounts: tuple[str, ...]) -> Detector:
    """The detector as it stood after ``state.last_minute``. A state this code cannot
    resume (saved by an earlier detector, or under other settings) is rebuilt by feeding
    the stored history of the last REBUILD_FROM silently (those minutes already had their
    say), so an upgrade neither forgets the brand's rhythm nor re-alerts on the past."""
    if state.version == STATE_VERSION:
        try:
            return Detector.from_state(state.state, settings)
        except (ValueError, KeyError, TypeError) as exc:  # wrong settings, or damaged
            log.warning("detector state %r not resumed (%s): rebuilding it", state.name, exc)
    detector = Detector(settings or Settings())
    end = state.last_minute + ONE_MINUTE
    first = session.execute(select(func.min(MentionRow.created_at))).scalar()
    if first is not None and minute_of(first) < end:
        for bucket in buckets(session, max(minute_of(first), end - REBUILD_FROM), end,
                              own_accounts=own_accounts):
            detector.update(bucket)
    return detector


@dataclass
class Detection:
    """Stage: ``detect_once`` in its own transaction; returns the signals raised.
    ``own_accounts`` are the brand's handles, whose posts never feed a series."""

    settings: Settings = field(default_factory=Settings)
    settle: timedelta = timedelta(0)
    own_accounts: tuple[str, ...] = ()

    def run_once(self, store, now: datetime) -> int:
        with store.session() as session:
            return detect_once(session, now, self.settings, self.settle, self.own_accounts)
