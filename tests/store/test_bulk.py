"""``store.bulk.insert_mentions``: COPY on PostgreSQL, upsert on SQLite, the same contract:
new rows stored once, in the given order, everything else skipped untouched."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from store.bulk import insert_mentions
from store.models import MentionRow

T0 = datetime(2026, 3, 10, 9, 0, 0, 123456)


def row(i, text=None):
    return {"source": "x", "external_id": str(i), "url": None, "author": f"a{i}",
            "author_followers": i, "text": text or f"post {i}\twith a tab\nand \\ a line",
            "lang": None if i % 2 else "fr", "created_at": T0 + timedelta(seconds=i),
            "collected_at": T0, "metrics": {"like_count": i, "nested": [1, {"é": None}]},
            "in_reply_to": None, "raw": {"id": str(i), "text": "“quoted”"}}


def test_new_rows_in_order_duplicates_skipped(store):
    with store.session() as s:
        first = insert_mentions(s, [row(3), row(1), row(3), row(2)])  # 3 twice in a batch
        again = insert_mentions(s, [row(2, "changed"), row(4)])  # same transaction
    assert len(first) == 3 and first == sorted(first)  # ids follow the given order
    assert len(again) == 1 and again[0] > first[-1]
    with store.session() as s:
        assert insert_mentions(s, [row(1), row(4)]) == [] and insert_mentions(s, []) == []
        stored = s.execute(select(MentionRow).order_by(MentionRow.id)).scalars().all()
    assert [m.external_id for m in stored] == ["3", "1", "2", "4"]
    two = stored[2]
    assert two.text == "post 2\twith a tab\nand \\ a line"  # never updated by a re-send
    assert (two.lang, two.created_at, two.author_followers) == ("fr", T0 + timedelta(seconds=2), 2)
    assert two.metrics == {"like_count": 2, "nested": [1, {"é": None}]}
    assert two.raw == {"id": "2", "text": "“quoted”"} and stored[0].lang is None
