"""The scoring stage keeps the per-minute roll-up: what the dashboard reads equals a raw
count of the scores, a second pass adds nothing, and the rumour flag uses the threshold
of ``sentiment.rumour``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from sentiment.rumour import THRESHOLD
from sentiment.scorer import Scorer, score_pending
from store import rollups
from store.models import MentionMinuteRow, MentionRow, ScoreRow
from tests.support.word_model import WordModel

T0 = datetime(2026, 3, 10, 9, 0)
TEXTS = ("Nimbus is down again", "thanks, smooth now", "apparently they got hacked",
         "le site est en panne", "any news?")


def test_the_rollup_threshold_is_the_rumour_threshold():
    assert rollups.RUMOUR_THRESHOLD == THRESHOLD


def test_scoring_fills_the_rollup_once(store):
    with store.session() as s:
        s.execute(insert(MentionRow), [
            {"source": "x" if i % 3 else "reddit", "external_id": str(i), "author": "a",
             "author_followers": 0, "text": TEXTS[i % len(TEXTS)], "lang": None,
             "created_at": T0 + timedelta(seconds=17 * i), "collected_at": T0,
             "metrics": {}, "raw": {}} for i in range(120)])
    scorer = Scorer(WordModel())
    with store.session() as s:
        assert score_pending(s, scorer, T0, limit=50) == 50
    with store.session() as s:
        assert score_pending(s, scorer, T0) == 70
        assert score_pending(s, scorer, T0) == 0  # a restart finds nothing left to count
    with store.session() as s:
        raw = Counter()
        for m, sc in s.execute(select(MentionRow, ScoreRow).join(ScoreRow)):
            raw[(rollups.minute_of(m.created_at), m.source, sc.label, sc.lang,
                 sc.rumour >= THRESHOLD)] += 1
        kept = Counter()
        for r in s.execute(select(MentionMinuteRow)).scalars():
            kept[(r.minute, r.source, r.label, r.lang, bool(r.rumour))] += r.mentions
        assert kept == raw
        assert s.execute(select(func.sum(MentionMinuteRow.mentions))).scalar() == 120
