"""Planner statistics: ``analyze`` fills them on both engines, and the periodic stage
runs when due (first cycle, an hour later, or after the mentions grew by a fifth)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, text

from store.models import MentionRow
from store.statistics import Statistics, analyze

T0 = datetime(2026, 3, 10, 9, 0)


def add(store, n, first=0):
    with store.session() as s:
        s.execute(insert(MentionRow), [
            {"source": "x" if i % 3 else "reddit", "external_id": str(first + i), "author": "a",
             "author_followers": 0, "text": "t", "lang": "en",
             "created_at": T0 + timedelta(seconds=i), "collected_at": T0, "metrics": {},
             "raw": {}} for i in range(n)])


def analysed(store) -> bool:
    with store.engine.connect() as conn:
        if store.engine.dialect.name == "postgresql":
            return conn.execute(text(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                "WHERE relname = 'mentions'")).scalar()
        if conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
                        ).first() is None:
            return False
        return conn.execute(text(
            "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'mentions'")).scalar() > 0


def test_analyze_fills_the_planner_statistics(store):
    add(store, 200)
    assert not analysed(store)
    analyze(store)
    assert analysed(store)


def test_the_stage_runs_when_due(store):
    stage = Statistics(every=timedelta(hours=1), growth=0.2)
    add(store, 100)
    assert stage.run_once(store, T0) == 1 and stage.last_size == 100  # first cycle
    assert stage.run_once(store, T0 + timedelta(minutes=5)) == 0
    add(store, 10, first=100)  # +10 %: not yet
    assert stage.run_once(store, T0 + timedelta(minutes=10)) == 0
    add(store, 20, first=110)  # +30 % since the last run: a bulk ingest
    assert stage.run_once(store, T0 + timedelta(minutes=15)) == 1 and stage.last_size == 130
    assert stage.run_once(store, T0 + timedelta(minutes=16)) == 0
    assert stage.run_once(store, T0 + timedelta(minutes=75)) == 1  # an hour since


def test_a_worker_that_finds_another_analysing_counts_that_refresh(store):
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one worker: no lock to find taken")
    from store.claims import try_lock

    add(store, 100)
    other, this = Statistics(), Statistics()
    with store.session() as busy:  # another worker holds the lock while it analyses
        assert try_lock(busy, "statistics")
        assert this.run_once(store, T0) == 0 and this.last_at == T0
    # Lock released: not due again until the hour has passed, so N workers analyse once.
    assert this.run_once(store, T0 + timedelta(minutes=1)) == 0
    assert other.run_once(store, T0 + timedelta(minutes=1)) == 1
    assert this.run_once(store, T0 + timedelta(minutes=61)) == 1
