"""The detector reads its series from the roll-up (``signals.detect.buckets`` through
``store.rollups.detector_minutes``): minute by minute they must equal the series grouped
from the raw mentions, the brand's own posts left out, after scores are inserted, changed
and deleted, on both engines; and the triggers' reach weight must be the detector's."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from sentiment.rumour import THRESHOLD
from signals.crowd import own_author_names
from signals.detect import buckets
from signals.detectors import reach_weight
from signals.terms import terms_of
from store import rollups
from store.models import MentionMinuteRow, MentionRow, ScoreRow, TicketCountRow

T0 = datetime(2026, 3, 10, 9, 0)
OWN = ("@NimbusHQ",)
AUTHORS = ("nimbushq", "NimbusHQ", "alice", "bob", "carol", "dave")


def fill(session, rng: random.Random, n: int) -> list[int]:
    rows = [{"source": rng.choice(("x", "reddit")), "external_id": str(i),
             "author": rng.choice(AUTHORS),
             "author_followers": rng.choice((None, 0, -5, 12, 9_999, 250_000, 3_000_000)),
             "text": rng.choice(("app down again", "login broken", "thanks team",
                                 "is the app down")),
             "lang": "en", "created_at": T0 + timedelta(seconds=rng.randrange(90 * 60),
                                                       microseconds=rng.randrange(10**6)),
             "collected_at": T0, "metrics": {}, "raw": {}} for i in range(n)]
    ids = list(session.execute(insert(MentionRow).returning(MentionRow.id), rows).scalars())
    session.execute(insert(ScoreRow), [score(rng, i) for i in ids])
    session.execute(insert(TicketCountRow), [
        {"source": "zendesk", "minute": T0 + timedelta(minutes=m), "channel": "email",
         "count": m % 4 + 1, "subjects": []} for m in range(0, 90, 7)])
    return ids


def score(rng: random.Random, mention_id: int) -> dict:
    return {"mention_id": mention_id,
            "label": rng.choice(("negative", "negative", "neutral", "positive")),
            "negative": 0.5, "neutral": 0.3, "positive": 0.2,
            "rumour": rng.choice((0.1, THRESHOLD, 0.9)), "crisis_type": None, "lang": "en",
            "model": "test", "scored_at": T0}


def raw_series(session, start, end, own=()) -> dict:
    """What the detector read before the roll-up: every scored crowd mention, grouped."""
    names = set(own_author_names(own))
    out: dict = {}
    for m, s in session.execute(select(MentionRow, ScoreRow).join(ScoreRow).where(
            MentionRow.created_at >= start, MentionRow.created_at < end)):
        if m.author.lower() in names:
            continue
        c = out.setdefault(rollups.minute_of(m.created_at), Counter())
        c["mentions"] += 1
        c["negative"] += s.label == "negative"
        c["rumours"] += s.rumour >= THRESHOLD
        if s.label == "negative":
            c["reach"] += reach_weight(m.author_followers)
    return out


def series_match(session, own) -> bool:
    """The roll-up series equal the raw ones, minute by minute (asserted per minute, so a
    failure names it); True when they do."""
    start, end = T0 - timedelta(minutes=5), T0 + timedelta(minutes=95)
    expected = raw_series(session, start, end, own)
    got = buckets(session, start, end, with_terms=False, own_accounts=own)
    assert [b.minute for b in got] == [start + timedelta(minutes=i) for i in range(100)]
    for b in got:
        c = expected.get(b.minute, Counter())
        assert (b.mentions, b.negative, b.rumours) == (
            c["mentions"], c["negative"], c["rumours"]), b.minute
        assert b.reach == pytest.approx(round(c["reach"], 4), abs=1e-4), b.minute
    assert sum(b.tickets for b in got) == sum(m % 4 + 1 for m in range(0, 90, 7))
    assert sum(b.mentions for b in got) > 0
    return True


@pytest.mark.parametrize("own", [(), OWN])
def test_detector_series_from_rollup_equal_raw_series(store, own):
    rng = random.Random(23)
    with store.session() as s:
        ids = fill(s, rng, 600)
    with store.session() as s:
        assert series_match(s, own)
    with store.session() as s:  # rescored (a new label, a new rumour score), some dropped
        for i in rng.sample(ids, 120):
            s.execute(update(ScoreRow).where(ScoreRow.mention_id == i).values(
                label=rng.choice(("negative", "positive")), rumour=rng.random()))
        s.execute(delete(ScoreRow).where(ScoreRow.mention_id.in_(rng.sample(ids, 80))))
    with store.session() as s:
        assert series_match(s, own)


def test_terms_still_come_from_the_texts_of_the_crowd(store):
    rng = random.Random(5)
    with store.session() as s:
        fill(s, rng, 200)
    with store.session() as s:
        got = buckets(s, T0, T0 + timedelta(minutes=90), own_accounts=OWN)
        texts = s.execute(select(MentionRow.text).join(ScoreRow)
                          .where(MentionRow.author.notin_(("nimbushq", "NimbusHQ")))).all()
    expected = Counter(term for (t,) in texts for term in terms_of(t))
    got_terms = sum((Counter(b.terms) for b in got), Counter())
    assert got_terms == expected and expected["broken"] > 0


def test_trigger_reach_weight_is_the_detectors(store):
    with store.session() as s:
        followers = [None, 0, -3, 1, 10_000, 123_456, 50_000_000]
        ids = list(s.execute(insert(MentionRow).returning(MentionRow.id), [
            {"source": "x", "external_id": str(i), "author": "a", "author_followers": f,
             "text": "t", "lang": "en", "created_at": T0 + timedelta(minutes=i),
             "collected_at": T0, "metrics": {}, "raw": {}}
            for i, f in enumerate(followers)]).scalars())
        s.execute(insert(ScoreRow), [{**score(random.Random(1), i), "label": "negative"}
                                     for i in ids])
    with store.session() as s:
        reach = dict(s.execute(select(MentionMinuteRow.minute, MentionMinuteRow.reach)).all())
    for i, f in enumerate(followers):
        assert reach[T0 + timedelta(minutes=i)] == pytest.approx(reach_weight(f), rel=1e-12)
