"""Replaying a recorded crisis with time compression; and source health around any
collector (last success, lag, error, permanent flag, quarantined count)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from collectors.base import Batch, CollectorError, Mention
from collectors.health import Tracked
from collectors.ingest import collect_once
from collectors.replay import ReplayCollector
from store.models import MentionRow, SourceHealthRow
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined

REC0 = datetime(2024, 7, 19, 4, 0)  # a real past crisis, recorded
START = datetime(2026, 11, 21, 10, 0)


def recording(tmp_path, n=12, bad=True):
    lines = [json.dumps({"id": f"t{i}", "source": "x", "author": f"user{i}",
                         "followers": 10 * i, "text": f"everything is down &amp; #{i}",
                         "lang": "en", "created_at": (REC0 + timedelta(minutes=10 * i))
                         .isoformat() + "Z", **({"retweet_of": "t0"} if i == 3 else {})})
             for i in range(n)]
    if bad:
        lines.insert(4, "{not json")
        lines.insert(7, json.dumps({"id": "nodate", "text": "x"}))
    path = tmp_path / "crowdstrike.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replays_with_time_compression(store, tmp_path):
    c = ReplayCollector(recording(tmp_path), start=START, speed=10)
    # 10 recorded minutes per replayed minute: at START + 5 min, records 0..5 are due
    assert collect_once(store, c, "replay", START + timedelta(minutes=5)) == 6
    with store.session() as s:
        rows = {r.external_id: r for r in s.query(MentionRow)}
    assert rows["replay:t5"].created_at == START + timedelta(minutes=5)
    assert rows["replay:t5"].source == "x" and rows["replay:t5"].text == "everything is down & #5"
    assert rows["replay:t3"].metrics["retweet_of"] == "replay:t0"
    assert len(quarantined(store, "replay")) == 2  # unreadable records, first batch
    assert collect_once(store, c, "replay", START + timedelta(minutes=5)) == 0
    assert collect_once(store, c, "replay", START + timedelta(hours=1)) == 6
    assert cursor(store, "replay", "replay") == "14"


def test_csv_recording(store, tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text("id,source,author,text,created_at,lang\n"
                    "a,reddit,bob,site down,2024-07-19T04:00:00Z,en\n"
                    "b,reddit,ann,still down,2024-07-19T04:30:00Z,\n")
    c = ReplayCollector(path, start=START, speed=30)
    assert collect_once(store, c, "replay", START + timedelta(minutes=1)) == 2
    assert sorted(external_ids(store, "reddit")) == ["replay:a", "replay:b"]


def test_kill_and_restart(store, tmp_path, monkeypatch):
    monkeypatch.setattr("collectors.replay.BATCH", 3)
    path = recording(tmp_path, n=12, bad=False)
    end = START + timedelta(hours=2)
    with pytest.raises(Killed):
        collect_once(store, Dying(ReplayCollector(path, start=START, speed=10), after=2),
                     "replay", end)
    assert len(external_ids(store, "x")) == 6
    collect_once(store, ReplayCollector(path, start=START, speed=10), "replay", end)
    ids = external_ids(store, "x")
    assert len(ids) == len(set(ids)) == 12


def test_missing_file_is_permanent(tmp_path):
    with pytest.raises(CollectorError) as err:
        list(ReplayCollector(tmp_path / "nope.jsonl").fetch("replay", None, START))
    assert err.value.permanent


class Flaky:
    name = "flaky"

    def __init__(self, fail=None):
        self.fail = fail

    def fetch(self, query, cursor, now):
        yield Batch([Mention("flaky", "1", "a", "t", now - timedelta(minutes=7))],
                    quarantined=[("{}", "bad")], cursor="1")
        if self.fail:
            raise self.fail


def test_health_records_success_lag_errors_and_permanent(store):
    now = START
    collect_once(store, Tracked(Flaky(), store), "q", now)
    with store.session() as s:
        h = s.get(SourceHealthRow, "flaky")
        assert h.last_success_at == now and h.newest_item_at == now - timedelta(minutes=7)
        assert h.quarantined_total == 1 and h.collected_total == 1 and not h.permanent
    later = now + timedelta(minutes=5)
    with pytest.raises(CollectorError):
        collect_once(store, Tracked(Flaky(CollectorError("401 nope", permanent=True)), store),
                     "q", later)
    with store.session() as s:
        h = s.get(SourceHealthRow, "flaky")
        assert h.permanent and h.last_error == "401 nope" and h.last_error_at == later
        assert h.last_success_at == now and h.quarantined_total == 2
    calls = []

    class Counting(Flaky):
        def fetch(self, query, cursor, now):
            calls.append(now)
            yield from super().fetch(query, cursor, now)

    # stopped: the API is not called again until the cool-down has passed
    with pytest.raises(CollectorError, match="stopped until 10:20 UTC after: 401 nope"):
        collect_once(store, Tracked(Counting(), store), "q", later + timedelta(minutes=1))
    assert calls == []
    collect_once(store, Tracked(Counting(), store), "q", later + timedelta(minutes=15))
    assert len(calls) == 1
    with store.session() as s:
        assert not s.get(SourceHealthRow, "flaky").permanent
