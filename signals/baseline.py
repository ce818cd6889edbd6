"""Baselines for one series: what is normal at this hour of this day of the week, now.

Two kinds, both streaming and causal (each step sees only the past), both JSON-safe state:

- `CountSeries` for counts (mentions, tickets, rumours) and weighted counts (reach): a
  short exponentially weighted rate (follows the last hour), a seasonal profile per hour
  of the day and per hour of the week (a Monday 9 am peak is expected on Monday at 9),
  and a slow drift factor (the whole profile grows or shrinks with the audience). The
  expected rate is the larger of the short rate and the seasonal one, so neither a rising
  morning nor a falling evening looks like news. A window of recent buckets is tested with
  a Poisson tail, scaled by a learned over-dispersion factor (real counts are burstier than
  Poisson; weighted counts are too, by the spread of their weights).
- `GaugeSeries` for arbitrary real values (the `score-csv` command on a generic series):
  a one-step robust z-score, (value - level) / scale, with the level and the scale (mean
  absolute deviation, times 1.2533 to estimate a standard deviation) updated from
  winsorized residuals, and a two-sided normal tail.

Not poisoned by a crisis: the short rate, the profile and the dispersion learn only from
unsurprising buckets; the drift factor learns from every bucket but with each value
clipped to 1.5x what was expected, so a real, lasting change of level is learned over a
day or so while a crisis moves it a few percent.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from scipy.special import betainc, gammainc

HOURS_PER_WEEK = 168
DAY_MIN_SAMPLES = 60  # buckets at this hour of day before the daily profile is trusted
WEEK_MIN_SAMPLES = 60  # and at this hour of the week before the weekly one is
DAY_MEMORY = 60 * 7  # samples per hour-of-day slot averaged (about a week)
WEEK_MEMORY = 60 * 4  # samples per hour-of-week slot averaged (about four weeks)


def slot_of(at: datetime) -> tuple[int, int]:
    """(hour of day, hour of week) of a bucket."""
    return at.hour, at.weekday() * 24 + at.hour


def poisson_tail(k: float, lam: float) -> float:
    """P(X >= k) for X ~ Poisson(lam); continuous in k (regularized lower gamma), exact
    for integer k."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    return float(gammainc(k, lam))


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p)."""
    if k <= 0:
        return 1.0
    if k > n:
        return 0.0
    return float(betainc(k, n - k + 1, p))


def normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def surprise_of(p: float) -> float:
    """-log10 of a tail probability."""
    return -math.log10(max(p, 1e-300))


def alpha_of(half_life: float) -> float:
    return 1 - 0.5 ** (1 / half_life)


@dataclass
class Seasonal:
    """Mean value per hour of day and per hour of week (running means with a memory cap)."""

    day: list[float] = field(default_factory=lambda: [0.0] * 24)
    day_n: list[int] = field(default_factory=lambda: [0] * 24)
    week: list[float] = field(default_factory=lambda: [0.0] * HOURS_PER_WEEK)
    week_n: list[int] = field(default_factory=lambda: [0] * HOURS_PER_WEEK)

    # `per_hour` is how many buckets an hour holds (60 for minutes, 12 for 5-minute
    # buckets, at least 1), so "a full hour seen" means the same for any interval.

    def expect(self, at: datetime, per_hour: int = 60) -> float | None:
        hour, weekly = slot_of(at)
        if self.week_n[weekly] >= WEEK_MIN_SAMPLES * per_hour / 60:
            return self.week[weekly]
        if self.day_n[hour] >= DAY_MIN_SAMPLES * per_hour / 60:
            return self.day[hour]
        return None

    def weekly(self, at: datetime, per_hour: int = 60) -> bool:
        """Whether `expect` comes from the hour-of-week profile (weekends included)."""
        return self.week_n[slot_of(at)[1]] >= WEEK_MIN_SAMPLES * per_hour / 60

    def learn(self, at: datetime, value: float, per_hour: int = 60) -> None:
        hour, weekly = slot_of(at)
        self.day_n[hour] = min(self.day_n[hour] + 1, max(DAY_MEMORY * per_hour // 60, 7))
        self.day[hour] += (value - self.day[hour]) / self.day_n[hour]
        self.week_n[weekly] = min(self.week_n[weekly] + 1, max(WEEK_MEMORY * per_hour // 60, 4))
        self.week[weekly] += (value - self.week[weekly]) / self.week_n[weekly]


@dataclass
class Step:
    """One bucket tested: the window's observed total, its expectation, the surprise."""

    observed: float
    expected: float
    surprise: float


@dataclass
class CountSeries:
    """A count (or weighted count) per bucket, tested over a window against a seasonal,
    drifting, over-dispersed Poisson baseline."""

    rate: float | None = None
    recent: list[float] = field(default_factory=list)
    n: int = 0
    dispersion: float = 1.0
    season: Seasonal = field(default_factory=Seasonal)
    drift_value: float = 0.0  # slow EWMA of (clipped) values...
    drift_base: float = 0.0  # ...and of the seasonal expectation over the same buckets

    def expected_rate(self, at: datetime, min_rate: float, per_hour: int = 60) -> float:
        rate = self.rate or 0.0
        seasonal = self.season.expect(at, per_hour)
        if seasonal is not None and self.season.weekly(at, per_hour) and self.drift_base > 0:
            drift = min(max(self.drift_value / self.drift_base, 0.25), 4.0)
            rate = max(rate, seasonal * drift)
        elif seasonal is not None:
            rate = max(rate, seasonal)
        return max(rate, min_rate)

    def step(self, at: datetime, value: float, *, window: int, half_life: float,
             drift_half_life: float, min_rate: float, learn_below: float,
             per_hour: int = 60) -> Step | None:
        """Test the window ending at this bucket, then learn from it if it was normal.
        Returns None for the very first bucket (nothing to compare with yet)."""
        self.recent = (self.recent + [value])[-window:]
        self.n += 1
        if self.rate is None:
            self.rate = float(value)
            self.season.learn(at, value, per_hour)
            return None
        per_bucket = self.expected_rate(at, min_rate, per_hour)
        expected = per_bucket * len(self.recent)
        observed = sum(self.recent)
        phi = self.dispersion
        surprise = surprise_of(poisson_tail(observed / phi, expected / phi))
        alpha = alpha_of(half_life)
        slow = alpha_of(drift_half_life)
        seasonal = self.season.expect(at, per_hour)
        # Drift is measured against the weekly profile only: against the daily one, every
        # weekend would look like the audience shrinking.
        if seasonal is not None and self.season.weekly(at, per_hour):
            self.drift_value += slow * (min(value, 1.5 * per_bucket) - self.drift_value)
            self.drift_base += slow * (seasonal - self.drift_base)
        if surprise < learn_below:
            residual = (value - self.rate) ** 2 / max(self.rate, min_rate)
            self.rate += alpha * (value - self.rate)
            self.season.learn(at, value, per_hour)
            a = max(slow, 1 / self.n)  # running mean at first, then a slow EWMA
            self.dispersion = min(max(self.dispersion + a * (residual - self.dispersion), 1.0),
                                  10.0)
        return Step(observed, expected, surprise)

    @classmethod
    def from_dict(cls, d: dict) -> CountSeries:
        d = dict(d)
        season = Seasonal(**d.pop("season")) if "season" in d else Seasonal()
        return cls(season=season, **d)


@dataclass
class GaugeSeries:
    """A real-valued series scored by a one-step robust z-score (two-sided): the forecast
    is Holt's level + trend (so a smooth rise or fall is not news), the scale the mean
    absolute one-step error."""

    level: float | None = None
    trend: float = 0.0
    scale: float = 0.0
    n: int = 0

    def step(self, value: float, *, half_life: float, scale_half_life: float,
             learn_below: float) -> Step | None:
        self.n += 1
        if self.level is None:
            self.level = float(value)
            return None
        forecast = self.level + self.trend
        sigma = 1.2533 * self.scale
        floor = 1e-9 * max(1.0, abs(forecast))
        residual = value - forecast
        if sigma > floor:
            surprise = surprise_of(normal_two_sided(residual / sigma))
        else:
            surprise = 0.0 if abs(residual) <= floor else 12.0
        a = max(alpha_of(half_life), 1 / self.n)
        # Winsorized at 3 sigma: a spike barely moves the level, a lasting shift is learned.
        bound = 3 * sigma if sigma > floor else abs(residual)
        clipped = min(max(residual, -bound), bound)
        if surprise < learn_below or self.n <= 3:
            s = max(alpha_of(scale_half_life), 1 / self.n)
            self.scale += s * (abs(clipped) - self.scale)
        self.level = forecast + a * clipped
        self.trend += 0.1 * a * clipped
        return Step(value, forecast, surprise)
