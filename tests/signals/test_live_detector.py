"""The live pipeline's count detector (issue 14): multi-scale, relative, calibrated on calm
streams, and resumable: its state goes through the store, so a restart (or another worker)
raises exactly the alerts one uninterrupted process would."""

from __future__ import annotations

import json
import math
import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from signals.counts import CountDetector
from signals.detect import DETECTOR, detect_once
from signals.detectors import STATE_VERSION, Bucket, detect
from store import Store
from store.models import AlertRow, DetectorStateRow, MentionRow, ScoreRow, SignalRow

T0 = datetime(2026, 3, 2)  # a Monday


def posts_per_minute(days: int, per_day: float, seed: int, dispersion: float = 0.2,
                     boost=lambda at: 1.0) -> list[tuple[datetime, int]]:
    """Counts per minute shaped like a real brand's mentions: a daily rhythm (quiet nights,
    busy days), weekends at 60 %, and over-dispersion (each hour's rate is drawn from a
    gamma with this squared coefficient of variation: 0.2 makes one hour in a hundred
    more than twice its usual rate, far burstier than Poisson). ``boost(at)`` multiplies
    the rate (a crisis)."""
    rng = random.Random(seed)
    out, hour_factor = [], 1.0
    for i in range(days * 1440):
        at = T0 + timedelta(minutes=i)
        if at.minute == 0:
            hour_factor = rng.gammavariate(1 / dispersion, dispersion)
        h = at.hour + at.minute / 60
        shape = 0.15 + max(0.0, math.sin(math.pi * (h - 7) / 16)) if 7 <= h <= 23 else 0.15
        shape *= 0.6 if at.weekday() >= 5 else 1.0
        lam = per_day / 1440 / 0.62 * shape * hour_factor * boost(at)
        k, p, limit = 0, 1.0, math.exp(-lam)
        while True:  # Knuth's Poisson sampler: exact, and fine at these rates
            p *= rng.random()
            if p <= limit:
                break
            k += 1
        out.append((at, k))
    return out


def mention_signals(counts) -> list:
    buckets = [Bucket(at, n, 0, 0, 0) for at, n in counts]
    return [s for s in detect(buckets) if s.kind == "mentions"]


def test_count_detector_resumes_bit_for_bit_through_json():
    """Cut a stream (with gaps) anywhere, save the state as JSON and resume: every later
    step equals the uninterrupted run's."""
    counts = [(at, n) for at, n in posts_per_minute(3, 400, seed=1) if at.minute % 17 != 3]
    counts += [(T0 + timedelta(days=3, minutes=i), 9) for i in range(30)]
    whole = CountDetector()
    expected = [whole.update(at, n) for at, n in counts]
    assert max(s.surprise for s in expected) > 10  # the burst is there to be resumed into
    for cut in (100, 1500, 3000, len(counts) - 10):
        first = CountDetector()
        steps = [first.update(at, n) for at, n in counts[:cut]]
        resumed = CountDetector.from_state(json.loads(json.dumps(first.to_state())))
        steps += [resumed.update(at, n) for at, n in counts[cut:]]
        assert steps == expected, f"cut at {cut}"


def test_a_state_saved_under_other_settings_is_refused():
    det = CountDetector(scales=(5, 60))
    det.update(T0, 3)
    with pytest.raises(ValueError, match="other settings"):
        CountDetector.from_state(det.to_state(), scales=(5, 60, 1440))


@pytest.mark.parametrize("per_day", [20, 300, 20_000])
def test_calm_overdispersed_streams_raise_nothing(per_day):
    """Three calm weeks of bursty chatter, from tens of posts a day to about fourteen a
    minute: no volume signal at the default budget of one false alarm a week."""
    assert mention_signals(posts_per_minute(21, per_day, seed=per_day)) == []


def test_a_sustained_rise_is_caught_at_tens_of_posts_a_day():
    """Twenty posts a day for two weeks, then from Monday 9:00 six times the rate for the
    rest of the day: about six posts an hour instead of one, never a burst. The hour to
    day scales catch it within hours; nothing fires before. (A tripled rate at this volume
    is not caught within the day: see the README, "Early warning".)"""
    onset = T0 + timedelta(days=14, hours=9)
    counts = posts_per_minute(15, 20, seed=7,
                              boost=lambda at: 6.0 if onset <= at < onset + timedelta(hours=15)
                              else 1.0)
    signals = mention_signals(counts)
    assert signals, "a day at six times the usual rate is a crisis at any volume"
    assert min(s.minute for s in signals) >= onset
    assert min(s.minute for s in signals) - onset <= timedelta(hours=4)


def test_a_low_volume_outage_is_caught_within_minutes():
    """The same brand, but thirty complaints in half an hour (one a minute against one an
    hour): the short scales see it within ten minutes."""
    onset = T0 + timedelta(days=14, hours=10)
    counts = posts_per_minute(15, 20, seed=8,
                              boost=lambda at: 70.0 if onset <= at < onset + timedelta(minutes=30)
                              else 1.0)
    signals = mention_signals(counts)
    assert signals and min(s.minute for s in signals) >= onset
    assert min(s.minute for s in signals) - onset <= timedelta(minutes=10)


def add_stream(store: Store, start: datetime, counts: list[int], angry_from: int) -> None:
    """Mentions (with scores) for consecutive minutes from ``start``: ``counts[i]`` posts
    in minute i, negative from minute ``angry_from`` on."""
    with store.session() as session:
        n = 0
        for i, k in enumerate(counts):
            minute = start + timedelta(minutes=i)
            angry = i >= angry_from
            for j in range(k):
                n += 1
                m = MentionRow(source="x", external_id=str(n), author=f"u{n % 97}",
                               author_followers=200, created_at=minute + timedelta(seconds=j),
                               text="Nimbus is down, login broken" if angry
                               else "Nimbus sync works", collected_at=minute, metrics={},
                               raw={})
                session.add(m)
                session.flush()
                session.add(ScoreRow(mention_id=m.id, label="negative" if angry else "neutral",
                                     negative=0.8 if angry else 0.1, neutral=0.1, positive=0.1,
                                     rumour=0.0, lang="en", model="t", scored_at=minute))


def outcome(store: Store) -> tuple[list, list]:
    with store.session() as session:
        signals = [(s.kind, s.minute, s.observed, s.expected) for s in session.execute(
            select(SignalRow).order_by(SignalRow.minute, SignalRow.kind)).scalars()]
        alerts = [(a.opened_at, a.updated_at, tuple(a.kinds), a.severity, a.status, a.title)
                  for a in session.execute(select(AlertRow).order_by(AlertRow.id)).scalars()]
    return signals, alerts


def test_a_restart_mid_stream_raises_the_same_alerts(store, sqlite_store):
    """Eight hours of two posts a minute, then a complaint surge. Reference: one SQLite
    store, one detection run per hour. Under test, on each engine: a run every 7 minutes,
    the process "restarted" halfway (engine closed, a new Store on the same database:
    nothing survives but what the store holds). Same signals, same alerts."""
    rng = random.Random(4)
    start = datetime(2026, 3, 10, 4, 0)
    counts = [rng.choice((1, 2, 2, 3)) for _ in range(480)] + [8 + i for i in range(40)]
    for s in (store, sqlite_store):
        add_stream(s, start, counts, angry_from=480)
    end = start + timedelta(minutes=len(counts) + 5)
    now = start
    while now < end:
        now = min(now + timedelta(hours=1), end)
        with sqlite_store.session() as session:
            detect_once(session, now)
    reference = outcome(sqlite_store)
    assert reference[1] and reference[1][0][0] >= start + timedelta(minutes=480)

    subject, now = store, start
    while now < end:
        now = min(now + timedelta(minutes=7), end)
        with subject.session() as session:
            detect_once(session, now)
        if subject is store and now >= start + timedelta(minutes=300):
            subject.engine.dispose()
            subject = Store(store.url)  # the restart
    with subject.session() as session:
        state = session.get(DetectorStateRow, DETECTOR)
        assert state.version == STATE_VERSION and state.updated_at == end
    assert outcome(subject) == reference
    subject.engine.dispose()


def test_a_state_of_an_earlier_detector_is_rebuilt_from_the_stored_history(store):
    """A database upgraded from the seasonal-Poisson detector (state format 1): detection
    neither crashes nor re-alerts on the past; it relearns the stored week silently and
    catches the next surge."""
    rng = random.Random(5)
    start = datetime(2026, 3, 10, 4, 0)
    counts = [rng.choice((1, 2, 2, 3)) for _ in range(300)]
    add_stream(store, start, counts + [10 + i for i in range(30)], angry_from=300)
    with store.session() as session:
        session.add(DetectorStateRow(name=DETECTOR, version=1,
                                     last_minute=start + timedelta(minutes=299),
                                     state={"seen": 300, "series": {"mentions": {"rate": 2}}}))
    with store.session() as session:
        assert detect_once(session, start + timedelta(minutes=340)) > 0
    with store.session() as session:
        state = session.get(DetectorStateRow, DETECTOR)
        assert state.version == STATE_VERSION == state.state["version"]
        assert state.state["seen"] == 340  # the 300 stored minutes relearned, then 40 new
        alert = session.execute(select(AlertRow)).scalar_one()
        assert alert.opened_at >= start + timedelta(minutes=300)
