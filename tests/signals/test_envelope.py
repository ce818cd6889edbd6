"""The daily envelope of score-csv: a spike that comes every night at about the same hour
(a scheduled job) stops alarming once two earlier nights have shown it, while the same spike
at a new hour still ranks above every calm row; the envelope's three answers (inside,
outside or too young, a gap at this hour) and its causality."""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crisiswatch.signals_command import score_rows
from signals.envelope import DAY, DailyEnvelope

T0 = datetime(2026, 1, 5)
NAB = Path(__file__).resolve().parents[3] / "shared" / "data" / "anomaly" / "data"


def nightly_spikes(days=10, odd_spike_day=8, odd_hour=14):
    """5-minute rows: noise around 10, a spike to about 60 near 03:00 (jitter +-10 min)
    every night, and one spike of the same height at ``odd_hour`` on ``odd_spike_day``."""
    rng = random.Random(3)
    rows, spikes = [], {}
    for d in range(days):
        spikes[(d, 3 * 12 + rng.randint(-2, 2))] = 55 + 10 * rng.random()
    spikes[(odd_spike_day, odd_hour * 12)] = 60.0
    for i in range(days * 288):
        d, slot = divmod(i, 288)
        value = spikes.get((d, slot), 10 + rng.gauss(0, 1))
        rows.append(((T0 + timedelta(minutes=5 * i)).isoformat(), f"{value:.3f}"))
    return rows


def test_a_nightly_spike_is_routine_after_two_nights_but_news_at_a_new_hour():
    rows = nightly_spikes()
    scores = [s for _, _, s in score_rows(rows)]
    at = {i: s for i, s in enumerate(scores)}
    night = [max(scores[d * 288 + 30:d * 288 + 42]) for d in range(10)]
    odd = max(scores[8 * 288 + 14 * 12 - 2:8 * 288 + 14 * 12 + 3])
    calm = max(v for i, v in at.items() if i >= 3 * 288 and not 30 <= i % 288 < 42
               and not 8 * 288 + 14 * 12 - 2 <= i < 8 * 288 + 14 * 12 + 100)
    assert max(night[3:]) <= calm, "nights 4-10: the 03:00 spike is routine"
    assert odd > 2 * max(max(night[3:]), calm), "the same spike at 14:00 is news"


def four_days():
    """Hourly rows over days 0-3: 8, 10, 12, 14 at 03:00, 1 at every other hour, no row
    at noon on day 3. Rows of the first two days are answered False (too young)."""
    env = DailyEnvelope(window=1200, seen=2, margin=0.5)
    night = [8.0, 10.0, 12.0, 14.0]
    for d in range(4):
        for h in range(24):
            if not (d == 3 and h == 12):
                answer = env.update(d * DAY + h * 3600, night[d] if h == 3 else 1.0)
                assert d >= 2 or answer is False
    return env


def test_envelope_answers_inside_outside_young_and_gap():
    # 03:00: hi = 12 (the 2nd highest night), lo = 10 (the 2nd lowest), margin 0.5 x 2 = 1
    assert four_days().update(4 * DAY + 3 * 3600, 13.0) is True
    assert four_days().update(4 * DAY + 3 * 3600 - 600, 13.5) is False
    assert four_days().update(4 * DAY + 3 * 3600, 9.0) is True
    assert four_days().update(4 * DAY + 4 * 3600, 12.0) is False, "04:00 has only been 1"
    assert four_days().update(4 * DAY + 12 * 3600, 1.0) is True, "noon of days 1-2 at hand"
    sparse = DailyEnvelope(seen=2)
    for d in (0, 1, 2):
        sparse.update(d * DAY, 1.0)
    assert sparse.update(2 * DAY + 6 * 3600, 1.0) is None, "a gap at this hour"


def test_envelope_is_off_for_daily_series():
    env = DailyEnvelope(decide_rows=10)
    answers = [env.update(d * DAY, 1.0) for d in range(30)]
    assert env.applies is False
    assert answers[-1] is True  # it still answers; the detector ignores it


def test_nightly_spikes_score_causally():
    rows = nightly_spikes()
    whole = score_rows(rows)
    assert score_rows(rows[:5 * 288 + 40]) == whole[:5 * 288 + 40]


def test_a_value_already_seen_is_as_rare_as_its_count():
    """RankTail(trust_seen=True): once the window holds a few spikes, a spike of that height
    gets its empirical p; the fitted exponential tail only speaks beyond every value kept."""
    from signals.anomaly import RankTail

    trusting, fitted = RankTail(1000), RankTail(1000, trust_seen=False)
    rng = random.Random(5)
    for i in range(1000):
        v = 50.0 if i % 200 == 0 else rng.gauss(0, 1)  # five spikes to 50
        trusting.add(v)
        fitted.add(v)
    assert abs(trusting.p_upper(49.0) - 6 / 1001) < 1e-12
    assert fitted.p_upper(49.0) < 1e-6, "the fitted tail calls it impossible"
    assert trusting.p_upper(80.0) < 1e-6, "beyond every value kept, the tail extrapolates"


@pytest.mark.skipif(not NAB.is_dir(), reason="shared NAB series not present")
@pytest.mark.parametrize("name", ["realAWSCloudwatch/ec2_cpu_utilization_c6585a.csv",
                                  "realTraffic/speed_7578.csv"])
def test_real_series_with_nightly_spikes_or_gaps_score_causally(name):
    """The kit's check on real rows: a nightly-spike server and a traffic sensor with gaps
    (where the envelope waits); the first half scores exactly as in the full run."""
    with open(NAB / name, newline="") as f:
        rows = [(r[0], r[1]) for r in list(csv.reader(f))[1:]]
    whole = score_rows(rows)
    half = len(rows) // 2
    assert score_rows(rows[:half]) == whole[:half]
    assert max(s for _, _, s in whole) > 0.4
