"""Emerging terms at volume: a bucket tests every term seen often enough, so the bar rises
with their number (Bonferroni). A calm 24,000-posts-a-day replay raised 8 "new word" alerts
in two weeks without it (3.7 a week against the promised 1), 2 with it, and the crises of
the same replays were caught as fast (benchmarks/bench_replay.py)."""

from __future__ import annotations

from signals.terms import TermTracker

SETTINGS = {"window": 1, "half_life": 1440.0, "min_count": 8, "floor": 0.01, "lift": 2.0,
            "learn_below": 99.0, "max_terms": 3000}


def fires(others: int, fire_at: float) -> bool:
    """Whether "leak", at 12 of 200 mentions against a usual 2 %, fires in a bucket that
    also holds `others` ordinary terms, each at its usual share."""
    tracker = TermTracker()
    usual = {"leak": 4, **{f"word{i}": 20 for i in range(others)}}
    for index in range(200):  # the usual shares, learned
        tracker.step(index, usual, 200, test=False, fire_at=fire_at, **SETTINGS)
    hits = tracker.step(200, {**usual, "leak": 12}, 200, test=True, fire_at=fire_at, **SETTINGS)
    return [h.term for h in hits] == ["leak"]


def test_the_bar_rises_with_the_number_of_terms_tested():
    leak_alone = TermTracker()
    for index in range(200):
        leak_alone.step(index, {"leak": 4}, 200, test=False, fire_at=0.0, **SETTINGS)
    [hit] = leak_alone.step(200, {"leak": 12}, 200, test=True, fire_at=0.0, **SETTINGS)
    bar = hit.surprise - 0.5  # "leak" alone clears this bar by half a decade...
    assert fires(0, bar)
    assert fires(2, bar)  # ...and still does beside two other terms (log10 3 < 0.5)
    assert not fires(99, bar)  # beside 99 others the bar is 2 decades higher: not news
    assert fires(99, bar - 2.0)  # two decades more surprising, it is news beside them too
