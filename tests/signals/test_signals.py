"""The streaming detector: quiet on ordinary rhythm, loud on a break, causal, resumable."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from signals.detectors import Bucket, Detector, detect

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


# --- issue 5: rhythm, reach, emerging terms, thresholds as false alarms per week ---------

import math

from signals.detectors import TESTS_PER_BUCKET, Settings, reach_weight
from signals.terms import terms_of


def weekly(days: int, seed: int = 3, rate: float = 6.0) -> list[Bucket]:
    """Poisson chatter with a strong office-hours peak and quiet weekends."""
    rng = random.Random(seed)
    out = []
    for i in range(days * 1440):
        at = T0 + timedelta(minutes=i)
        hour = at.hour + at.minute / 60
        level = 0.1 + (0.9 * math.sin(math.pi * (hour - 8) / 10) if 8 <= hour <= 18 else 0)
        level *= 0.4 if at.weekday() >= 5 else 1.0
        lam, k, p = math.exp(-rate * level), 0, 1.0
        while True:  # Knuth's Poisson
            p *= rng.random()
            if p <= lam:
                break
            k += 1
        out.append(Bucket(at, k, int(k * 0.1), 0, 0))
    return out


def test_the_weekly_rhythm_is_learned_and_not_news():
    """Two weeks with a steep Monday-to-Friday peak: the first days may surprise it, the
    second week must not; the hour-of-day profile knows 9 am from 3 am."""
    signals = detect(weekly(14))
    assert not [s for s in signals if s.minute >= T0 + timedelta(days=7)]
    detector = Detector()
    for b in weekly(8):
        detector.update(b)
    mentions = detector.series["mentions"]
    nine = mentions._profile(T0 + timedelta(days=7, hours=9))[0]
    three = mentions._profile(T0 + timedelta(days=7, hours=3))[0]
    assert nine > 5 * three


def test_threshold_is_false_alarms_per_week():
    assert TESTS_PER_BUCKET == 7  # five count series, the negative share, the terms
    assert Settings().surprise_threshold() == pytest.approx(-math.log10(1 / (10080 * 7)))
    assert Settings(false_alarms_per_week=0.1).surprise_threshold() == pytest.approx(
        Settings().surprise_threshold() + 1)
    hourly = Settings(interval_minutes=60).surprise_threshold()
    assert hourly == pytest.approx(-math.log10(1 / (168 * 7)))
    assert Settings(threshold=6.0).surprise_threshold() == 6.0
    fewer = Settings(false_alarms_per_week=0.01)
    more = Settings(false_alarms_per_week=50)
    history = calm(600)
    onset = history[-1].minute + timedelta(minutes=1)
    # four times the daytime rate for ten minutes, after only ten hours of history: news
    # at a budget of 50 false alarms a week, not at one in two years
    bump = [Bucket(onset + timedelta(minutes=i), 12, 1, 0, 1) for i in range(10)]
    assert len(detect(history + bump, more)) > len(detect(history + bump, fewer))


def test_an_influential_complaint_weighs_by_reach():
    assert reach_weight(0) == 1 and reach_weight(10_000) == 2
    assert 6.5 < reach_weight(500_000) < 7
    history = calm(600)
    onset = history[-1].minute + timedelta(minutes=1)
    # three complaints a minute, all from large accounts: few mentions, a lot of reach
    loud = [Bucket(onset + timedelta(minutes=i), 4, 3, 0, 0, 3 * reach_weight(400_000))
            for i in range(6)]
    quiet_history = [Bucket(b.minute, b.mentions, b.negative, 0, b.tickets,
                            float(b.negative)) for b in history]
    kinds = {s.kind for s in detect(quiet_history + loud)}
    assert "reach" in kinds and "mentions" not in kinds


def test_emerging_terms_in_english_and_french():
    assert terms_of("L'appli est en panne depuis ce matin #NimbusDown, erreur 503 !") == {
        "appli", "panne", "matin", "#nimbusdown", "erreur", "503"}
    assert terms_of("Is it true they got hacked? The leak is real") == {"true", "hacked",
                                                                          "leak", "real"}
    rng = random.Random(5)
    words = ["sync", "invoice", "dashboard", "mobile", "team", "folder", "pricing", "search"]
    history = []
    for i in range(600):
        n = 3 + rng.randrange(3)
        terms = {}
        for _ in range(n):
            for w in rng.sample(words, 2):
                terms[w] = terms.get(w, 0) + 1
        history.append(Bucket(T0 + timedelta(minutes=i), n, 0, 0, 0, 0.0, terms))
    onset = history[-1].minute + timedelta(minutes=1)
    # the same volume as usual, but "panne" and "hacked" appear in half of it
    news = [Bucket(onset + timedelta(minutes=i), 4, 0, 0, 0, 0.0,
                   {"sync": 1, "panne": 2, "hacked": 2, "team": 1}) for i in range(10)]
    signals = detect(history + news)
    assert {s.kind for s in signals} == {"terms"}, "volume is normal; only the words are news"
    named = {t for s in signals for t, _ in s.terms}
    assert {"panne", "hacked"} <= named and not named & set(words)
    assert min(s.minute for s in signals) - onset <= timedelta(minutes=5)


def test_terms_state_round_trips_through_json():
    import json
    series = [Bucket(T0 + timedelta(minutes=i), 3, 0, 0, 0, 0.0, {"sync": 2, "team": 1})
              for i in range(100)]
    series += [Bucket(T0 + timedelta(minutes=100 + i), 5, 0, 0, 0, 0.0,
                      {"sync": 1, "leak": 4}) for i in range(15)]
    whole = detect(series)
    first = Detector()
    part = [s for b in series[:105] for s in first.update(b)]
    resumed = Detector.from_state(json.loads(json.dumps(first.to_state())))
    part += [s for b in series[105:] for s in resumed.update(b)]
    assert part == whole and any(s.kind == "terms" for s in whole)


def test_detect_once_builds_one_alert_with_its_evidence(store):
    from signals.detect import detect_once
    from store.models import AlertRow, MentionRow, ScoreRow

    rng = random.Random(2)
    start = datetime(2026, 3, 10, 8, 0)
    with store.session() as session:
        n = 0
        for i in range(150):
            minute = start + timedelta(minutes=i)
            crisis = i >= 120
            for j in range(2 + rng.randrange(2) + (12 if crisis else 0)):
                n += 1
                angry = crisis and j % 3 != 2
                text = ("Nimbus en panne, erreur 503 #NimbusDown" if angry else
                        rng.choice(["Nimbus sync is nice", "Nimbus invoices today",
                                    "Using Nimbus with the team"]))
                m = MentionRow(source="x", external_id=str(n), author=f"u{n}",
                               author_followers=480_000 if (angry and j == 0) else 50,
                               text=text, created_at=minute + timedelta(seconds=j),
                               collected_at=minute, metrics={}, raw={})
                session.add(m)
                session.flush()
                session.add(ScoreRow(mention_id=m.id, label="negative" if angry else "neutral",
                                     negative=0.8 if angry else 0.1, neutral=0.1, positive=0.1,
                                     rumour=0.0, lang="en", model="t", scored_at=minute))
    for step in range(1, 31):
        with store.session() as session:
            detect_once(session, start + timedelta(minutes=5 * step))
    with store.session() as session:
        alerts = session.execute(select(AlertRow)).scalars().all()
        assert len(alerts) == 1, "one situation, one alert, updated"
        alert = alerts[0]
        assert start + timedelta(minutes=120) <= alert.opened_at <= start + timedelta(
            minutes=126)
        ev = alert.evidence
        assert {"mentions", "negative_share", "terms"} <= set(alert.kinds)
        assert {"panne", "503", "#nimbusdown"} <= set(list(ev["emerging_terms"])[:6])
        assert len(ev["series"]["mentions"]) >= 60 and ev["series"]["mentions"][-1] >= 12
        top = session.get(MentionRow, ev["top_mentions"][0])
        assert top.author_followers == 480_000
        assert alert.severity in ("major", "critical")
