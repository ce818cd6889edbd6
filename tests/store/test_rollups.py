"""The per-minute roll-up (``mention_minutes``) equals a raw count of the scored mentions
on both engines, whatever writes the scores, and never counts a score twice."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from store import rollups
from store.models import MentionMinuteRow, MentionRow, ScoreRow

T0 = datetime(2026, 3, 10, 9, 0)
SOURCES = ("x", "reddit", "mastodon")
LABELS = ("negative", "neutral", "positive")


def add_mentions(session, rng, n, first_id=0):
    """`n` mentions at random seconds over an hour; returns their ids."""
    rows = [{"source": rng.choice(SOURCES), "external_id": str(first_id + i),
             "author": f"a{i}", "author_followers": 0, "text": f"words {i}",
             "lang": None, "created_at": T0 + timedelta(seconds=rng.randrange(3600),
                                                       microseconds=rng.randrange(10**6)),
             "collected_at": T0, "metrics": {}, "raw": {}} for i in range(n)]
    return list(session.execute(insert(MentionRow).returning(MentionRow.id), rows).scalars())


def score_row(rng, mention_id):
    label = rng.choice(LABELS)
    return {"mention_id": mention_id, "label": label, "negative": 0.3, "neutral": 0.3,
            "positive": 0.4, "rumour": rng.choice((0.0, 0.49, 0.5, 0.9)),
            "crisis_type": rng.choice((None, "outage", "data_leak")),
            "lang": rng.choice(("en", "fr")), "model": "test", "scored_at": T0}


def raw_counts(session) -> Counter:
    """What the roll-up must hold, counted in Python from the raw rows."""
    out: Counter = Counter()
    for m, s in session.execute(select(MentionRow, ScoreRow).join(ScoreRow)):
        out[(rollups.minute_of(m.created_at), m.source, s.label, s.lang or "",
             s.crisis_type or "", s.rumour >= rollups.RUMOUR_THRESHOLD)] += 1
    return out


def rollup_counts(session) -> Counter:
    return Counter({(r.minute, r.source, r.label, r.lang, r.crisis_type, bool(r.rumour)):
                    r.mentions
                    for r in session.execute(select(MentionMinuteRow)).scalars()
                    if r.mentions})


def test_rollup_equals_raw_counts_after_random_inserts_updates_and_deletes(store):
    rng = random.Random(17)
    with store.session() as s:
        ids = add_mentions(s, rng, 400)
    for chunk in range(0, 300, 60):  # scores arrive in batches, each its own commit
        with store.session() as s:
            s.execute(insert(ScoreRow), [score_row(rng, i) for i in ids[chunk:chunk + 60]])
    with store.session() as s:  # the ORM path (one statement per flush) counts too
        for i in ids[300:340]:
            s.add(ScoreRow(**score_row(rng, i)))
    with store.session() as s:
        assert rollup_counts(s) == raw_counts(s) and sum(raw_counts(s).values()) == 340
    with store.session() as s:  # a rescore moves the count; deletes take it away
        s.execute(update(ScoreRow).where(ScoreRow.mention_id.in_(ids[:50]))
                  .values(label="negative", rumour=0.95, crisis_type=None))
        s.execute(delete(ScoreRow).where(ScoreRow.mention_id.in_(ids[50:80])))
    with store.session() as s:
        assert rollup_counts(s) == raw_counts(s) and sum(raw_counts(s).values()) == 310


def test_a_rolled_back_or_duplicate_score_is_never_counted(store):
    rng = random.Random(3)
    with store.session() as s:
        ids = add_mentions(s, rng, 20)
    with store.session() as s:
        s.execute(insert(ScoreRow), [score_row(rng, i) for i in ids[:10]])
    with store.session() as s:
        before = rollup_counts(s)
    # a worker killed before its commit
    with pytest.raises(RuntimeError), store.session() as s:
        s.execute(insert(ScoreRow), [score_row(rng, i) for i in ids[10:]])
        raise RuntimeError("killed")
    # a second worker scoring a mention already scored: its whole batch fails
    with pytest.raises(IntegrityError), store.session() as s:
        s.execute(insert(ScoreRow), [score_row(rng, i) for i in ids[5:15]])
    with store.session() as s:
        assert rollup_counts(s) == before == raw_counts(s)
        assert sum(before.values()) == 10


def test_concurrent_scorers_count_every_score_once(store):
    """Threads writing scores for disjoint mentions of the same minutes at once: the
    upserts queue on the shared rows, none is lost (PostgreSQL runs them truly at once)."""
    rng = random.Random(5)
    with store.session() as s:
        ids = add_mentions(s, rng, 600)
    rows = [score_row(random.Random(i), i) for i in ids]
    errors = []

    def scorer(part):
        try:
            for k in range(0, len(part), 25):
                with store.session() as s:
                    s.execute(insert(ScoreRow), part[k:k + 25])
        except Exception as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=scorer, args=(rows[k::4],)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.session() as s:
        assert rollup_counts(s) == raw_counts(s) and sum(raw_counts(s).values()) == 600


def test_label_counts_are_exact_on_partial_minutes(store):
    rng = random.Random(9)
    with store.session() as s:
        ids = add_mentions(s, rng, 300)
        s.execute(insert(ScoreRow), [score_row(rng, i) for i in ids])
    with store.session() as s:
        rows = [(m.created_at, sc.label) for m, sc in
                s.execute(select(MentionRow, ScoreRow).join(ScoreRow))]
        for start, end in ((T0 + timedelta(minutes=7, seconds=13),
                            T0 + timedelta(minutes=41, seconds=2, microseconds=5)),
                           (T0 + timedelta(minutes=3, seconds=5), T0 + timedelta(minutes=3,
                                                                                  seconds=50)),
                           (T0 + timedelta(minutes=10), T0 + timedelta(minutes=20)),
                           (T0 - timedelta(hours=1), T0 + timedelta(hours=2))):
            expected = Counter(label for at, label in rows if start <= at < end)
            assert rollups.label_counts(s, start, end) == expected
        assert rollups.label_counts(s, T0 + timedelta(minutes=5), T0) == Counter()


def test_per_minute_reads_labels_and_rumours(store):
    with store.session() as s:
        [a, b, c] = add_mentions(s, random.Random(1), 3)
        s.execute(update(MentionRow).values(created_at=T0 + timedelta(seconds=30)))
        s.execute(insert(ScoreRow), [
            {**score_row(random.Random(0), a), "label": "negative", "rumour": 0.7},
            {**score_row(random.Random(0), b), "label": "negative", "rumour": 0.1},
            {**score_row(random.Random(0), c), "label": "neutral", "rumour": 0.5}])
    with store.session() as s:
        got = sorted(rollups.per_minute(s, T0, T0 + timedelta(minutes=1)))
        assert [(m, label, int(n), int(r)) for m, label, n, r in got] == [
            (T0, "negative", 2, 1), (T0, "neutral", 1, 1)]
        assert rollups.per_minute(s, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)) == []
