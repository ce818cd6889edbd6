"""Per-minute roll-ups of scored mentions (``mention_minutes``), read by the dashboard and
the detector, so a refresh or a detection run sums a few hundred rows instead of grouping
every raw mention of the window.

Written by the database itself: triggers on ``scores`` (migration 0009) add each score to
its minute, source, label, language, crisis type and rumour flag in the transaction that
writes the score, and take it away again when a score is updated or deleted. So the roll-up
equals a raw count after any writer (the scoring stage, several of them side by side, a
repair, a test), a rolled-back or killed transaction counts nothing, and a restart cannot
count twice (a mention has one score: the scores' primary key). Each row also sums the
reach weight of its mentions (migration 0014: ``1 + log2(1 + followers / 10000)``,
``signals.detectors.reach_weight``, which the store may not import; a test holds the two
equal).

Minute alignment: ``label_counts`` answers for any [start, end); the whole minutes inside
come from the roll-up, the partial minutes at either edge from the raw rows (at most two
minutes, through the ``created_at`` index), so its figures equal a raw count exactly.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from store.models import MentionMinuteRow, MentionRow, ScoreRow

ONE_MINUTE = timedelta(minutes=1)
# The rumour flag the triggers compute (rumour score >= this): sentiment.rumour.THRESHOLD,
# which the store may not import; a test holds the two equal, and a change of threshold
# needs a migration that rebuilds the roll-up.
RUMOUR_THRESHOLD = 0.5


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def per_minute(session: Session, start: datetime, end: datetime) -> list[tuple]:
    """(minute, label, mentions, rumours) for the whole minutes in [start, end), from the
    roll-up; minutes with nothing scored are absent."""
    mm = MentionMinuteRow
    return [tuple(r) for r in session.execute(
        select(mm.minute, mm.label, func.sum(mm.mentions),
               func.sum(case((mm.rumour, mm.mentions), else_=0)))
        .where(mm.minute >= start, mm.minute < end)
        .group_by(mm.minute, mm.label))]


def detector_minutes(session: Session, start: datetime, end: datetime) -> dict[datetime, tuple]:
    """{minute: (mentions, negative, rumours, negative reach)} for the whole minutes in
    [start, end), from the roll-up: the detector's series (``signals.detect.buckets``).
    The reach is the summed reach weight of the negative mentions; minutes with nothing
    scored are absent."""
    mm = MentionMinuteRow
    negative = mm.label == "negative"
    return {minute: (int(n), int(neg), int(rumours), float(reach))
            for minute, n, neg, rumours, reach in session.execute(
                select(mm.minute, func.sum(mm.mentions),
                       func.sum(case((negative, mm.mentions), else_=0)),
                       func.sum(case((mm.rumour, mm.mentions), else_=0)),
                       func.sum(case((negative, mm.reach), else_=0.0)))
                .where(mm.minute >= start, mm.minute < end)
                .group_by(mm.minute))}


def label_counts(session: Session, start: datetime, end: datetime) -> Counter:
    """Scored mentions created in [start, end) per sentiment label, exactly (see the module
    docstring for how partial minutes are counted)."""
    counts: Counter = Counter()
    if end <= start:
        return counts
    first = minute_of(start) if start == minute_of(start) else minute_of(start) + ONE_MINUTE
    last = minute_of(end)
    if first >= last:  # no whole minute inside: all raw
        return _raw_label_counts(session, start, end)
    counts.update(_raw_label_counts(session, start, first))
    mm = MentionMinuteRow
    counts.update({label: int(n) for label, n in session.execute(
        select(mm.label, func.sum(mm.mentions))
        .where(mm.minute >= first, mm.minute < last).group_by(mm.label))})
    counts.update(_raw_label_counts(session, last, end))
    return counts


def _raw_label_counts(session: Session, start: datetime, end: datetime) -> Counter:
    if end <= start:
        return Counter()
    return Counter({label: int(n) for label, n in session.execute(
        select(ScoreRow.label, func.count()).join(MentionRow)
        .where(MentionRow.created_at >= start, MentionRow.created_at < end)
        .group_by(ScoreRow.label))})


def _distinct(session: Session, table: str, column: str) -> list[str]:
    """The distinct non-empty values of an indexed column, by hopping from one value to the
    next through its index (a handful of probes, not a scan of every row)."""
    return sorted(v for v in session.execute(text(
        f"WITH RECURSIVE hop(v) AS ("
        f"SELECT min({column}) FROM {table} "
        f"UNION ALL SELECT (SELECT min({column}) FROM {table} WHERE {column} > hop.v) "
        f"FROM hop WHERE hop.v IS NOT NULL) "
        f"SELECT v FROM hop WHERE v IS NOT NULL")).scalars() if v)


def sources(session: Session) -> list[str]:
    """Every source a mention was stored from, sorted."""
    return _distinct(session, "mentions", "source")


def languages(session: Session) -> list[str]:
    """Every language a scored mention was read in, sorted."""
    return _distinct(session, "mention_minutes", "lang")
