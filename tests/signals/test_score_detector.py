"""The score-csv detector (`signals.novelty.Detector` with `signals.discord` and
`signals.seasonal`): causal (a prefix scores as in the full run), deterministic, one short
peak at a spike's onset, a shape discord for a missing daily peak, a night burst seen
against the same hours of past days (and no seasonal weight without a rhythm); and the
mention-shaped benchmark generator (`benchmarks/mention_series.py`) is seeded and writes
NAB-format windows."""

from __future__ import annotations

import json
import math
import sys
from datetime import datetime
from pathlib import Path

import numpy as np

from signals import novelty
from signals.discord import Discord
from signals.seasonal import Seasonal

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def nb_counts(n=2400, seed=3, base=40.0):
    """Overdispersed (negative binomial, size 5) counts with a daily rhythm of 288 rows."""
    rng = np.random.default_rng(seed)
    mean = base * (1.2 + np.sin(2 * np.pi * np.arange(n) / 288))
    return rng.negative_binomial(5, 5 / (5 + mean)).astype(float)


def test_a_prefix_scores_as_in_the_full_run_and_runs_repeat():
    values = list(nb_counts(2000))
    whole = novelty.score_series(values)
    assert novelty.score_series(values[:1300]) == whole[:1300]
    assert novelty.score_series(values) == whole


def rhythm_counts(days=12, seed=7, base=60.0):
    """Negative-binomial 5-minute counts with a strong daily rhythm (nights ~10x quieter)."""
    hours = (np.arange(288 * days) % 288) / 12
    mean = base * np.maximum(1 + 0.9 * np.sin(2 * np.pi * (hours - 9) / 24), 0.1)
    rng = np.random.default_rng(seed)
    return rng.negative_binomial(20, 20 / (20 + mean)).astype(float)


def five_minute_times(n):
    return [1_700_000_000 + 300 * i for i in range(n)]


def test_a_prefix_with_times_scores_as_in_the_full_run():
    values = list(rhythm_counts(9))
    times = five_minute_times(len(values))
    whole = novelty.score_series(values, times)
    assert novelty.score_series(values[:2000], times[:2000]) == whole[:2000]
    assert any(s > 0 for s in whole[288 * 7:]), "the seasonal part is live after a week"


def test_a_night_burst_is_seen_against_the_same_hours_of_past_days():
    values = rhythm_counts()
    night = 288 * 10 + 36  # 03:00 on day 10
    values[night:night + 6] *= 4  # still below every afternoon's ordinary level
    assert values[night:night + 6].max() < np.percentile(values, 95)
    times = five_minute_times(len(values))
    part = Seasonal()
    surprise = [part.update(at, v) for at, v in zip(times, values)]
    assert max(surprise[night:night + 6]) > max(surprise[288 * 3:night]) + 2
    assert part.weight == 1.0, "the daily rhythm explains the spread: full weight"
    with_times = novelty.score_series(list(values), times)
    without = novelty.score_series(list(values))
    assert max(with_times[night:night + 6]) > max(with_times[288 * 3:night])
    assert max(without[night:night + 6]) <= max(without[288 * 3:night]), \
        "without the times the burst is invisible: the test above is the seasonal part's"


def test_no_rhythm_means_no_seasonal_weight():
    noise = np.random.default_rng(3).normal(50, 5, 288 * 10)
    part = Seasonal()
    for at, v in zip(five_minute_times(noise.size), noise):
        part.update(at, v)
    assert part.weight == 0.0


def test_a_spike_peaks_once_at_its_onset():
    values = nb_counts()
    values[2000:2006] += 8 * values[1700:2000].max()
    scores = novelty.score_series(list(values))
    calm = max(scores[600:2000])
    assert scores[2000] > calm, "the burst's first row already ranks above every calm row"
    # The short-window mean (8 rows) grows while the burst fills it, so the episode's top
    # score may come a few rows later; once the window has passed, the mask keeps the rest
    # (the fall back, as large as the rise) from alarming again.
    assert max(scores[2009:2100]) < max(scores[2000:2009])
    assert sum(s > calm for s in scores[2000:2100]) <= 9, "one short episode, no plateau"


def test_a_missing_daily_peak_is_a_shape_discord():
    # A smooth daily wave; one day's peak is cut flat at the day's mean: every value is
    # ordinary, only the shape is new.
    t = np.arange(288 * 10)
    values = 50 + 20 * np.sin(2 * np.pi * t / 288) + np.random.default_rng(1).normal(0, 1, t.size)
    day = slice(288 * 8, 288 * 8 + 144)
    values[day] = np.minimum(values[day], 50 + np.random.default_rng(2).normal(0, 1, 144))
    det = Discord(window=24)
    surprise = [det.update(v) for v in values]
    calm = max(surprise[288 * 4:288 * 8])
    assert max(surprise[288 * 8:288 * 8 + 144]) > calm + 1.0


def test_the_mention_generator_is_seeded_and_writes_nab_windows(tmp_path):
    sys.path.insert(0, str(BENCH))
    try:
        import mention_series
    finally:
        sys.path.remove(str(BENCH))
    a, b = tmp_path / "a", tmp_path / "b"
    keys = mention_series.generate(a, seed=5, files=2)
    assert mention_series.generate(b, seed=5, files=2) == keys
    for key in keys:
        assert (a / "data" / key).read_bytes() == (b / "data" / key).read_bytes()
    windows = json.loads((a / "labels" / "combined_windows.json").read_text())
    for key in keys:
        rows = (a / "data" / key).read_text().splitlines()[1:]
        times = [r.split(",")[0] for r in rows]
        counts = [int(r.split(",")[1]) for r in rows]
        assert all(c >= 0 for c in counts) and times == sorted(times)
        assert windows[key], "every series has a labelled anomaly"
        for start, end in windows[key]:
            s, e = (datetime.strptime(x, "%Y-%m-%d %H:%M:%S.%f").strftime("%Y-%m-%d %H:%M:%S")
                    for x in (start, end))
            assert s in times and e in times and times.index(s) < times.index(e)
            assert times.index(s) >= math.floor(0.1 * len(times)), "after NAB's probation"
