"""The streaming detector: quiet on ordinary rhythm, loud on a break, causal, resumable."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sentiment.signals import Bucket, Detector, detect

T0 = datetime(2026, 3, 10, 0, 0)


def calm(minutes: int, seed: int = 1, rate: float = 3.0) -> list[Bucket]:
    rng = random.Random(seed)
    out = []
    for i in range(minutes):
        # a daily rhythm: quiet at night, busy by day
        level = rate * (0.3 + 0.7 * max(0.0, 1 - abs((i % 1440) - 720) / 600))
        n = sum(rng.random() < level / 20 for _ in range(20))
        neg = sum(rng.random() < 0.15 for _ in range(n))
        tickets = sum(rng.random() < 0.05 for _ in range(20))
        out.append(Bucket(T0 + timedelta(minutes=i), n, neg, 0, tickets))
    return out


def test_no_alarm_over_three_calm_days():
    assert detect(calm(3 * 1440)) == []


def test_a_surge_is_caught_within_minutes():
    history = calm(600)
    onset = history[-1].minute + timedelta(minutes=1)
    surge = [Bucket(onset + timedelta(minutes=i), 3 + 4 * i, 3 * i, i // 3, 1 + i)
             for i in range(15)]
    signals = detect(history + surge)
    assert signals, "a surge of complaints must raise signals"
    first = min(s.minute for s in signals)
    assert first - onset <= timedelta(minutes=5)
    assert {"mentions", "negative_share", "tickets"} <= {s.kind for s in signals}
    assert all(0 < s.score <= 1 for s in signals)


def test_baseline_is_not_poisoned_by_a_long_crisis():
    history = calm(600)
    onset = history[-1].minute + timedelta(minutes=1)
    crisis = [Bucket(onset + timedelta(minutes=i), 40, 30, 0, 0) for i in range(180)]
    signals = detect(history + crisis)
    late = [s for s in signals if s.minute >= onset + timedelta(minutes=170)]
    assert any(s.kind == "mentions" for s in late), "three hours in, it is still not normal"


def test_outputs_are_causal_and_state_round_trips():
    """Splitting the stream and resuming from saved state gives the same signals as one
    pass: nothing depends on the future, nothing is forgotten across restarts."""
    series = calm(700) + [Bucket(T0 + timedelta(minutes=700 + i), 30, 20, 5, 9)
                          for i in range(20)]
    whole = detect(series)
    first = Detector()
    part = [s for b in series[:705] for s in first.update(b)]
    resumed = Detector.from_state(first.to_state())
    part += [s for b in series[705:] for s in resumed.update(b)]
    assert part == whole and whole
