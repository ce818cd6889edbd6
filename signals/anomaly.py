"""Causal streaming anomaly detector: calibrated tail probabilities, several tests, max.

Contract
--------
* ``Detector.update(value) -> float`` (generic numeric series) and
  ``CountDetector.update(minute, count) -> float`` (event counts per bucket) return a score
  in [0, 1] for the row just fed, computed from that row and earlier rows only (the state
  is the only memory; nothing looks ahead). Same input -> same output (no randomness).
* ``score_series(values, counts=False, times=None) -> list[float]`` scores a whole series
  by feeding a fresh detector row by row, so it is causal by construction.
* The score is ``surprise / (surprise + K)`` where ``surprise = -log10(p)`` and ``p`` is a
  (Bonferroni-corrected) tail probability, so scores are comparable across series: the
  same score means "this extreme once in 1/p tests" on any file. It never saturates, so a
  global threshold can rank rows of different files. ``Detector.surprise`` holds the
  uncorrected value for alerting by a false-alarm budget (``threshold_for``).
* Onset emphasis: a row only keeps its full surprise if it is more surprising than every
  row of the recent past (``refractory`` rows); otherwise it is damped. An anomaly thus
  gives a short high score at its start and then decays, instead of a plateau of alarms.

Generic mode (any real values): each row yields a few features -- the value itself, the
one-step change, short-vs-long window mean (windowed Gaussian), and the log short-window
spread -- and each feature is ranked against its own recent history (sliding sorted
window). Below the 95th percentile the empirical rank gives p; beyond it an exponential
tail fitted through the 95th and 99.5th percentiles extrapolates (no Gaussian assumption,
so heavy-tailed or multimodal series stay calibrated). Two-sided.

Count mode: per bucket (e.g. one minute) counts; sums over several time scales (5 min,
1 h, 1 day by default) are tested, upward only, against a seasonal expectation
(hour-of-week profile learned over past weeks, falling back to hour-of-day and to a recent
rate) times a slow level factor, with a negative-binomial tail whose dispersion is learned
per scale. Flagged buckets teach the profile only clipped at 1.5x the expectation and do
not teach the dispersion (not poisoned by the crisis it detects); the level factor learns
from clipped values with a 3-hour half-life, so gaps are neutral and real level shifts are
absorbed within hours while the onset of a crisis is still judged against the old level.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque
from datetime import datetime, timedelta

from scipy.special import betainc


def threshold_for(false_alarms_per_week: float, tests_per_week: float) -> float:
    """Surprise (-log10 p) a single test must exceed for the given false-alarm budget."""
    return math.log10(max(tests_per_week, 1.0) / max(false_alarms_per_week, 1e-9))


def score_of(surprise: float, k: float) -> float:
    """Monotone, never-saturating map of a surprise onto [0, 1)."""
    s = max(surprise, 0.0) + 0.0  # + 0.0 turns -0.0 into 0.0
    return s / (s + k)


class RankTail:
    """Sliding window of past values kept sorted; tail probabilities of a new value.

    ``p_upper(v)`` ~ P(X >= v), ``p_two_sided(v)`` = 2 min(upper, lower). Inside the bulk it is the
    empirical rank (+1 smoothing); in the tails an exponential fitted through two upper
    quantiles extrapolates, so values beyond anything seen still get a graded p.
    """

    def __init__(self, size: int, beta_floor: float = 0.1):
        self.size, self.beta_floor = size, beta_floor
        self.order: deque[float] = deque()
        self.sorted: list[float] = []

    def __len__(self) -> int:
        return len(self.sorted)

    def add(self, v: float) -> None:
        self.order.append(v)
        insort(self.sorted, v)
        if len(self.order) > self.size:
            old = self.order.popleft()
            del self.sorted[bisect_left(self.sorted, old)]

    def _tail(self, v: float, sign: int, unit: float) -> float:
        s, n = self.sorted, len(self.sorted)
        if sign > 0:
            beyond = n - bisect_left(s, v)
            qa, qb = s[int(0.95 * (n - 1))], s[int(0.995 * (n - 1))]
            x = v - qa
        else:
            beyond = bisect_right(s, v)
            qa, qb = s[int(0.05 * (n - 1))], s[int(0.005 * (n - 1))]
            x = qa - v
            qa, qb = -qa, -qb
        p_emp = (beyond + 1) / (n + 1)
        if x <= 0 or p_emp > 0.05:
            return min(p_emp, 1.0)
        # Scale floor: a constant stretch must not make every tiny wiggle infinitely rare.
        bulk = s[int(0.95 * (n - 1))] - s[int(0.05 * (n - 1))]
        beta = max((qb - qa) / math.log(10.0), self.beta_floor * max(bulk, unit),
                   1e-9 * (1 + abs(qa)))
        return min(p_emp, 0.05 * math.exp(-x / beta))

    def p_two_sided(self, v: float, unit: float = 0.0) -> float:
        """``unit``: a scale below which differences do not count as extreme (so a feature
        that is constant most of the time does not turn every wiggle into p ~ 0)."""
        return min(1.0, 2 * min(self._tail(v, 1, unit), self._tail(v, -1, unit)))

    def p_upper(self, v: float, unit: float = 0.0) -> float:
        return self._tail(v, 1, unit)


class Onset:
    """Keep a surprise only when it beats the recent past: short peaks, no plateaus."""

    def __init__(self, refractory: int, damp: float = 0.25):
        self.recent: deque[float] = deque(maxlen=refractory)
        self.damp = damp

    def __call__(self, s: float) -> float:
        prev = max(self.recent) if self.recent else 0.0
        self.recent.append(s)
        return s if s > prev else self.damp * s


class Detector:
    """Generic streaming detector for any numeric series (one row per ``update``).

    Tests (``use``): "value" (level outside the usual range), "mean" (short-window mean
    vs the long window before it: a windowed Gaussian without the Gaussian), optionally
    "diff" (one-step jump) and "spread" (log short-window spread: flat stretches, noise
    bursts). All two-sided. The default (value, mean) scored best on NAB; every extra
    test adds its own false alarms (see REPORT.md).
    Durations are in rows: ``history`` rows ranked per test, ``short``/``long`` windows,
    ``refractory`` rows an alarm masks weaker ones, ``warmup`` rows before scoring.
    ``learn_below``: rows more surprising than this are not added to the histories (at
    most ``max_skip`` in a row, so a lasting change of regime is eventually learned).
    ``k`` maps surprise to score (score 0.5 at surprise k).
    """

    def __init__(self, use=("value", "mean"), history: int = 2000,
                 short: int = 8, long: int = 120, refractory: int = 100, k: float = 4.0,
                 warmup: int = 60, learn_below: float = 5.0, max_skip: int = 30,
                 damp: float = 0.0, beta_floor: float = 0.1, log_unit: float = 1.0):
        self.use = tuple(use)
        self.short, self.k, self.warmup = short, k, warmup
        self.learn_below, self.max_skip, self.log_unit = learn_below, max_skip, log_unit
        self.window: deque[float] = deque(maxlen=long + short)
        self.values = RankTail(history, beta_floor)  # the series' own scale, always kept
        self.tails = {name: RankTail(history, beta_floor) for name in self.use}
        self.onset = Onset(refractory, damp)
        self.skipped = 0
        self.surprise = 0.0  # Bonferroni-corrected -log10 p of the latest row
        self.peak = 0.0  # the same after onset masking (what the score is made of)

    def _scale(self) -> float:
        """Bulk range (5th..95th percentile) of the values seen: the series' own unit."""
        vt = self.values.sorted
        return (vt[int(0.95 * (len(vt) - 1))] - vt[int(0.05 * (len(vt) - 1))]) if vt else 0.0

    def _features(self, x: float) -> dict[str, float] | None:
        w = list(self.window)
        if len(w) < self.short + 2:
            return None
        recent, older = w[-self.short:], w[:-self.short]
        m_s, m_l = sum(recent) / len(recent), sum(older) / len(older)
        var = sum((r - m_s) ** 2 for r in recent) / len(recent)
        # Spread floor relative to the series' range: a flat stretch is a finite event.
        floor = (0.01 * self._scale()) ** 2 + 1e-12 * (1 + x * x)
        f = {"value": x, "diff": x - w[-2], "mean": m_s - m_l,
             "spread": 0.5 * math.log(var + floor)}
        return {name: f[name] for name in self.use}

    def update(self, value: float) -> float:
        """Feed one row; return its score in [0, 1)."""
        x = float(value)
        self.window.append(x)
        feats = self._features(x)
        self.values.add(x)
        if feats is None:
            return 0.0
        s = 0.0
        if len(self.values) >= self.warmup:
            u = self._scale()
            p = 1.0
            for name, f in feats.items():
                unit = self.log_unit if name == "spread" else u
                p = min(p, self.tails[name].p_two_sided(f, unit))
            s = max(-math.log10(max(min(1.0, p * len(feats)), 1e-300)), 0.0)
        self.surprise = s
        if s < self.learn_below or self.skipped >= self.max_skip:
            for name, f in feats.items():
                self.tails[name].add(f)
            self.skipped = 0
        else:
            self.skipped += 1
        self.peak = self.onset(s)
        return score_of(self.peak, self.k)


def nb_tail(k: float, mean: float, alpha: float) -> float:
    """P(X >= k) for a negative binomial with this mean and var = mean + alpha*mean^2
    (continuous in k, so weighted counts work too)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    r = 1.0 / alpha
    return float(betainc(k, r, mean / (r + mean)))


class CountDetector:
    """Streaming detector for event counts per bucket (mentions per minute, ...).

    ``update(minute, count)`` with buckets in time order (gaps allowed: a missing bucket
    is neither observed nor expected). For each scale in ``scales`` (minutes) the sum of
    the counts over the trailing window is compared, upward only, with the sum of the
    per-bucket expectations over the same buckets, by a negative-binomial tail with a
    dispersion learned per scale. The expectation is the hour-of-week profile (once
    ``week_min`` samples of that hour exist), else the hour-of-day profile, else a recent
    rate, times a slow level factor. Tests are relative (no absolute floors): a quiet
    series needs proportionally bigger, not absolutely bigger, jumps.
    """

    def __init__(self, bucket_minutes: float = 1.0, scales=(5, 60, 1440),
                 refractory_minutes: float = 120.0, k: float = 4.0,
                 warmup_minutes: float = 1440.0, learn_below: float = 3.0,
                 alpha_prior: float = 0.1, alpha_min: float = 0.01,
                 level_half_life_minutes: float = 180.0, week_memory: int = 4,
                 prior_events: float = 5.0):
        self.scales = tuple(scales)
        self.k, self.learn_below, self.alpha_min = k, learn_below, alpha_min
        per_hour = max(60.0 / bucket_minutes, 1.0)
        self.day_min, self.week_min = per_hour, per_hour  # one hour's worth of samples
        self.day_cap, self.week_cap = 7 * per_hour, week_memory * per_hour
        self.warmup = timedelta(minutes=warmup_minutes)
        self.level_a = 1 - 0.5 ** (bucket_minutes / level_half_life_minutes)
        self.rate_a = 1 - 0.5 ** (bucket_minutes / 60.0)
        self.alpha_a = 1 - 0.5 ** (bucket_minutes / (7 * 1440.0))
        self.day = [0.0] * 24; self.day_n = [0] * 24
        self.week = [0.0] * 168; self.week_n = [0] * 168
        self.rate: float | None = None
        self.slow_rate = 0.0  # long-run mean per bucket (half-life one day)
        self.slow_a = 1 - 0.5 ** (bucket_minutes / 1440.0)
        self.prior_events = prior_events
        self.num = self.den = 0.0  # level factor = num / den (clipped observed / profile)
        self.windows = [deque() for _ in self.scales]  # (minute, count, expected)
        self.sums = [[0.0, 0.0] for _ in self.scales]
        self.alpha = [alpha_prior] * len(self.scales)
        self.disp = [(0.0, 0.0)] * len(self.scales)  # EWMAs of (obs-mu)^2 - mu and mu^2
        self.start: datetime | None = None
        self.onset = Onset(max(int(refractory_minutes / bucket_minutes), 1), 0.0)
        self.surprise = self.peak = 0.0
        self.tests_per_week = 7 * 1440 / bucket_minutes * len(self.scales)

    def _base(self, at: datetime) -> float | None:
        """Per-bucket expectation (in level-1 units): hour-of-week mean shrunk toward the
        hour-of-day mean, shrunk toward the long-run rate, each by a prior worth
        ``prior_events`` events -- so a slot seen with few events (a quiet brand, a new
        slot) borrows strength instead of predicting 0 and making one mention news."""
        if self.day_n[at.hour] < self.day_min:
            return None
        c = self.prior_events
        overall = max(self.slow_rate, 1e-9)
        hour, slot = at.hour, at.weekday() * 24 + at.hour
        dn = self.day_n[hour]
        day = (self.day[hour] * dn + c) / (dn + c / overall)
        wn = self.week_n[slot]
        if wn < self.week_min:
            return day
        return (self.week[slot] * wn + c) / (wn + c / max(day, 1e-9))

    def update(self, at: datetime, count: float) -> float:
        x = max(float(count), 0.0)
        if self.start is None:
            self.start, self.rate, self.slow_rate = at, x, x
        base = self._base(at)
        level = min(max(self.num / self.den, 0.1), 10.0) if self.den > 0 else 1.0
        expected = base * level if base is not None else self.rate
        expected = max(expected, 1e-6)
        p_min = 1.0
        armed = at - self.start >= self.warmup
        for i, s in enumerate(self.scales):
            w, sm = self.windows[i], self.sums[i]
            w.append((at, x, expected)); sm[0] += x; sm[1] += expected
            edge = at - timedelta(minutes=s)
            while w and w[0][0] <= edge:
                _, ox, oe = w.popleft(); sm[0] -= ox; sm[1] -= oe
            obs, mu = max(sm[0], 0.0), max(sm[1], 1e-9)
            if armed and at - self.start >= timedelta(minutes=s):
                p_min = min(p_min, nb_tail(obs, mu, self.alpha[i]))
        s = -math.log10(max(min(1.0, p_min * len(self.scales)), 1e-300))
        self.surprise = s
        # Flagged buckets are down-weighted, not ignored: the profile learns them clipped at
        # 1.5x the expectation (a crisis barely moves it, yet a wrong expectation cannot
        # lock the detector into alarming forever); the dispersion skips them.
        flagged = s >= self.learn_below
        self._learn(at, min(x, 1.5 * expected) if flagged else x, base, level, flagged)
        # The level factor learns from every bucket, clipped, so a lasting shift is
        # absorbed in about a level half-life while a crisis's onset barely moves it.
        # The clip leaves room for Poisson noise: clipping at 2x alone biases the level
        # down at low counts (E[min(x, 2*mu)] < mu), which compounds into a collapse.
        if base is not None:
            if self.den == 0.0:
                self.num = self.den = base
            cap = 2 * expected + 3 * math.sqrt(expected) + 2
            self.num += self.level_a * (min(x, cap) - self.num)
            self.den += self.level_a * (base - self.den)
        self.peak = self.onset(s)  # alert when peak >= threshold_for(...)
        return score_of(self.peak, self.k)

    def _learn(self, at, x, base, level, flagged) -> None:
        self.rate += self.rate_a * (x - self.rate)
        self.slow_rate += self.slow_a * (x - self.slow_rate)
        shape = x / level if base is not None else x
        hour, slot = at.hour, at.weekday() * 24 + at.hour
        self.day_n[hour] = min(self.day_n[hour] + 1, self.day_cap)
        self.day[hour] += (shape - self.day[hour]) / self.day_n[hour]
        self.week_n[slot] = min(self.week_n[slot] + 1, self.week_cap)
        self.week[slot] += (shape - self.week[slot]) / self.week_n[slot]
        for i, s in enumerate(self.scales):
            obs, mu = self.sums[i]
            if not flagged and mu > 1e-6 and at - self.start >= timedelta(minutes=s):
                # Ratio-of-means moment estimator of the NB2 dispersion: unbiased at low
                # counts, where clipping per-bucket estimates at 0 would inflate it.
                vn, vd = self.disp[i] if self.disp[i][1] > 0 else (self.alpha[i] * mu * mu, mu * mu)
                vn += self.alpha_a * ((obs - mu) ** 2 - mu - vn)
                vd += self.alpha_a * (mu * mu - vd)
                self.disp[i] = (vn, vd)
                if vd > 0:
                    self.alpha[i] = min(max(vn / vd, self.alpha_min), 4.0)


def score_series(values, counts: bool = False, times=None, **params) -> list[float]:
    """Score a whole series causally by streaming it through a fresh detector
    (``counts=True``: a ``CountDetector``, which needs the bucket ``times``)."""
    if counts:
        det = CountDetector(**params)
        return [det.update(t, v) for t, v in zip(times, values)]
    det = Detector(**params)
    return [det.update(v) for v in values]
