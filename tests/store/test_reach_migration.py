"""Migration 0014 (issue 17): the roll-up gets each row's summed reach weight, filled from
the scores already stored (the counts unchanged), and its triggers keep it from then on;
downgrade takes the column away and the triggers go on counting. Both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import inspect, text

from signals.detectors import reach_weight
from store.db import downgrade, upgrade

T0 = datetime(2026, 3, 10, 10, 0)
FOLLOWERS = (-3, 0, 5_000, 2_000_000)


def add(conn, first: int, label: str) -> None:
    for i, followers in enumerate(FOLLOWERS, start=first):
        conn.execute(text(
            "INSERT INTO mentions (id, source, external_id, author, author_followers, text, "
            "created_at, collected_at, metrics, raw) VALUES (:i, 'x', :e, 'a', :f, 't', :t, "
            ":t, '{}', '{}')"), {"i": i, "e": str(i), "f": followers, "t": T0})
        conn.execute(text(
            "INSERT INTO scores (mention_id, label, negative, neutral, positive, rumour, lang, "
            "model, scored_at) VALUES (:i, :label, 0.5, 0.3, 0.2, 0.1, 'en', 'm', :t)"),
            {"i": i, "label": label, "t": T0 + timedelta(seconds=1)})


def rollup(conn, with_reach: bool = True) -> dict:
    reach = ", sum(reach)" if with_reach else ""
    return {r[0]: tuple(r[1:]) for r in conn.execute(text(
        f"SELECT label, sum(mentions){reach} FROM mention_minutes GROUP BY label"))}


def test_reach_is_filled_from_stored_scores_and_kept_by_the_triggers(empty_store):
    engine = empty_store.engine
    upgrade(engine, "0013")
    with engine.begin() as conn:
        add(conn, 1, "negative")
    upgrade(engine, "0014")
    weight = sum(reach_weight(f) for f in FOLLOWERS)
    with engine.begin() as conn:
        (n, reach), = rollup(conn).values()
        assert n == len(FOLLOWERS) and reach == pytest.approx(weight)
        add(conn, 100, "positive")
        conn.execute(text("DELETE FROM scores WHERE mention_id = 1"))
    with engine.connect() as conn:
        got = rollup(conn)
    assert got["positive"] == (len(FOLLOWERS), pytest.approx(weight))
    assert got["negative"] == (len(FOLLOWERS) - 1, pytest.approx(weight - reach_weight(FOLLOWERS[0])))

    downgrade(engine, "0013")
    assert "reach" not in {c["name"] for c in inspect(engine).get_columns("mention_minutes")}
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM scores WHERE mention_id = 2"))
        assert rollup(conn, with_reach=False)["negative"] == (len(FOLLOWERS) - 2,)
