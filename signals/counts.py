"""The live count detector: event counts per bucket, tested over several time scales at once.

Contract: ``CountDetector.update(at, count) -> CountStep`` takes buckets in time order (gaps
allowed: a missing bucket is neither observed nor expected) and tests the bucket just fed
from it and earlier buckets only. For each scale (5 minutes, 15 minutes, 1 hour, 6 hours,
1 day by default) the sum of the counts over the trailing window is compared, upward only,
with the sum of the per-bucket expectations over the same buckets by a negative-binomial
tail; the smallest p, Bonferroni-corrected over the scales, is the step's ``surprise``
(-log10 p). ``to_state()`` is JSON-safe and ``from_state(state)`` resumes exactly: the same
buckets give the same steps with or without a save and restore in between. Deterministic.

Model, and why:

- Expectation: the hour-of-week profile shrunk toward the hour-of-day profile, shrunk
  toward the long-run rate, each by a prior worth ``prior_events`` events (a quiet brand's
  empty slot borrows strength instead of predicting 0), times a slow level factor (clipped
  observed over profile, one-day half-life: a lasting change of audience is absorbed in a
  day or two, while a rise sustained over hours is still judged against the old level).
  Until a day profile exists for this hour, a recent rate (1-hour half-life) stands in.
- Over-dispersion: real mention counts are burstier than Poisson. Each scale learns its
  NB2 dispersion (var = mu + alpha mu^2) by a ratio-of-means moment estimator from
  unflagged buckets. On top of it, the expectation's own uncertainty: an expectation backed
  by few events (a new deployment, ten posts a day) is a Gamma-Poisson guess, so its
  dispersion gains 1/support. That, not an absolute floor, keeps one stray post from being
  news at low volume, while a sustained rise over hours at tens of posts a day still is
  (the 6-hour and day scales).
- Not poisoned by the crisis it detects: a bucket at surprise ``learn_below`` or more (on
  any scale) teaches the profile, the rates and the level only clipped at 1.5x its
  expectation, and never the dispersion. Known limit: at tens of posts a day a slow rise
  (three times the rate over a day) stays below that bar for hours and is partly learned
  as dispersion, so it is not caught within the day; six times is, within hours.
- News only while it lasts: a window of an hour or more speaks only while its last
  twelfth is at twice its expectation too (multi-window burn-rate alerting), so a morning's
  burst does not keep the day window "anomalous" until midnight.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from scipy.special import betainc

EPOCH = datetime(1970, 1, 1)
SCALES = (5, 15, 60, 360, 1440)  # minutes


def nb_tail(k: float, mean: float, alpha: float) -> float:
    """P(X >= k) for a negative binomial with this mean and var = mean + alpha*mean^2
    (continuous in k, so weighted counts work too)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    r = 1.0 / alpha
    return float(betainc(k, r, mean / (r + mean)))


@dataclass(frozen=True)
class CountStep:
    """One bucket tested: the surprise and the scale (minutes) that gave it, with that
    window's observed and expected totals. ``scale`` is 0 while the detector is unarmed."""

    surprise: float
    scale: int
    observed: float
    expected: float


def _corrected(p: float, tests: int) -> float:
    """Bonferroni-corrected surprise of the smallest of ``tests`` p-values."""
    return max(-math.log10(max(min(1.0, p * tests), 1e-300)), 0.0)


def _minute_no(at: datetime) -> int:
    return int((at - EPOCH).total_seconds() // 60)


class CountDetector:
    """Streaming multi-scale detector for one count series (see the module docstring).

    ``bucket_minutes``: the bucket length. ``warmup_minutes``: history before any test
    (a scale is tested only once that much time has passed since the first bucket too).
    ``learn_below``: surprise from which a bucket counts as anomalous for learning.
    """

    def __init__(self, bucket_minutes: float = 1.0, scales=SCALES,
                 warmup_minutes: float = 60.0, learn_below: float = 3.0,
                 alpha_prior: float = 0.1, alpha_min: float = 0.01,
                 level_half_life_minutes: float = 1440.0, week_memory: int = 4,
                 prior_events: float = 5.0):
        self.bucket_minutes = bucket_minutes
        self.scales = tuple(int(s) for s in scales)
        self.warmup_minutes, self.learn_below = warmup_minutes, learn_below
        self.alpha_min, self.prior_events = alpha_min, prior_events
        per_hour = max(60.0 / bucket_minutes, 1.0)
        self.day_min = per_hour  # a full hour's worth of samples before a slot is trusted
        self.week_min = per_hour
        self.day_cap, self.week_cap = 7 * per_hour, week_memory * per_hour
        self.level_a = 1 - 0.5 ** (bucket_minutes / level_half_life_minutes)
        self.rate_a = 1 - 0.5 ** (bucket_minutes / 60.0)
        self.slow_a = 1 - 0.5 ** (bucket_minutes / 1440.0)
        self.alpha_a = 1 - 0.5 ** (bucket_minutes / (7 * 1440.0))
        self.day = [0.0] * 24
        self.day_n = [0] * 24
        self.week = [0.0] * 168
        self.week_n = [0] * 168
        self.rate_sum = self.rate_n = 0.0  # decayed events and buckets (1-hour half-life)
        self.slow_sum = self.slow_n = 0.0  # the same over a one-day half-life
        self.num = self.den = 0.0  # level factor = num / den (clipped observed / profile)
        self.start: int | None = None  # minute number of the first bucket
        self.window: deque[tuple[int, float, float]] = deque()  # (minute, count, expected)
        self.fed = 0  # buckets fed so far: the sequence number of the next one
        # Windows summed: every scale, and for scales of an hour or more the trailing
        # twelfth that confirms the rise is still going on (as multi-window burn-rate
        # alerts do): a day that held a morning's burst stays improbable all day, but it
        # is news only while the recent past is at twice its normal too.
        self.confirm = [s // 12 if s >= 60 else 0 for s in self.scales]
        self.spans = sorted(set(self.scales) | {c for c in self.confirm if c})
        self.sums = [[0.0, 0.0] for _ in self.spans]  # per span: observed, expected
        self.tails = [0] * len(self.spans)  # per span: sequence number of its oldest entry
        self.alpha = [alpha_prior] * len(self.scales)
        self.disp_n = [0] * len(self.scales)  # buckets each dispersion has learned from
        self.disp = [[0.0, 0.0] for _ in self.scales]  # EWMAs of (obs-mu)^2 - mu and mu^2

    # -- the expectation -------------------------------------------------------------

    def _profile(self, at: datetime) -> tuple[float, float, float] | None:
        """(per-bucket expectation in level-1 units, events backing it, hours of data
        backing it) from the hour-of-week and hour-of-day profiles, or None while this
        hour of the day is unseen."""
        hour = at.hour
        dn = self.day_n[hour]
        if dn < self.day_min:
            return None
        c = self.prior_events
        overall = self._overall()
        day = (self.day[hour] * dn + c) / (dn + c / overall)
        slot = at.weekday() * 24 + hour
        wn = self.week_n[slot]
        if wn < self.week_min:
            return day, self.day[hour] * dn + c, dn / self.day_min
        week = (self.week[slot] * wn + c) / (wn + c / max(day, 1e-9))
        return week, self.week[slot] * wn + c, wn / self.week_min

    def _overall(self) -> float:
        """Long-run rate per bucket, Gamma-Poisson with half an event of prior: never 0,
        so a series that never had an event still has an honest, uncertain expectation."""
        return (self.slow_sum + 0.5) / (self.slow_n + 1.0)

    def _level(self) -> float:
        return min(max(self.num / self.den, 0.1), 10.0) if self.den > 0 else 1.0

    # -- one bucket ------------------------------------------------------------------

    def update(self, at: datetime, count: float) -> CountStep:
        """Test the bucket at ``at`` (after the ones already fed), then learn from it."""
        x = max(float(count), 0.0)
        now = _minute_no(at)
        if self.start is None:
            self.start = now
        profile = self._profile(at)
        level = self._level()
        if profile is not None:
            expected = max(profile[0] * level, 1e-9)
            support, hours = profile[1], profile[2]
        else:  # Gamma-Poisson rate of the recent past, half an event of prior
            expected = (self.rate_sum + 0.5) / (self.rate_n + 1.0)
            support, hours = self.rate_sum + 0.5, self.rate_n / self.day_min
        self._slide(now, x, expected)
        elapsed = (now - self.start + 1) * self.bucket_minutes
        armed = elapsed > self.warmup_minutes
        sums = dict(zip(self.spans, self.sums))
        best, p_min, p_raw = CountStep(0.0, 0, 0.0, 0.0), 1.0, 1.0
        for i, scale in enumerate(self.scales):
            obs, mu = max(sums[scale][0], 0.0), max(sums[scale][1], 1e-9)
            # upward only: at or below its expectation a window is never news (p > 0.3),
            # and skipping the tail there is most of the detector's speed on calm data
            if not (armed and elapsed >= scale and obs > mu):
                continue
            # The expectation is itself an estimate: a mean of `hours` over-dispersed hours
            # (relative variance alpha / hours) and of `support` events (1 / support) per
            # hour of the day; a window spanning several hours sums independent estimates.
            spread = max(scale / 60, 1.0)
            alpha = (self.alpha[i] * (1 + 1 / max(hours, 1e-9))
                     + 1 / (max(support, 1e-9) * spread))
            p = nb_tail(obs, mu, alpha)
            p_raw = min(p_raw, p)
            confirm = sums.get(self.confirm[i])
            if (confirm is None or confirm[0] > 2 * confirm[1]) and p < p_min:
                p_min, best = p, CountStep(0.0, scale, obs, mu)
        surprise = _corrected(p_min, len(self.scales))
        best = CountStep(surprise, best.scale, best.observed, best.expected)
        # learning is protected by every scale, confirmed or not
        flagged = _corrected(p_raw, len(self.scales)) >= self.learn_below
        learned = min(x, 1.5 * expected) if flagged else x
        self._learn(at, learned, profile, level, flagged, elapsed)
        if profile is not None:
            if self.den == 0.0:
                self.num = self.den = profile[0]
            # The clip leaves room for Poisson noise: clipping at 2x alone biases the level
            # down at low counts (E[min(x, 2 mu)] < mu), which compounds into a collapse.
            cap = 2 * expected + 3 * math.sqrt(expected) + 2
            self.num += self.level_a * (min(learned, cap) - self.num)
            self.den += self.level_a * (profile[0] - self.den)
        return best

    def _slide(self, now: int, x: float, expected: float) -> None:
        """Add the bucket to every span's sums and drop what each span no longer covers
        (by minute, so gaps are handled); the window keeps the longest span's entries."""
        self.window.append((now, x, expected))
        self.fed += 1
        first = self.fed - len(self.window)  # sequence number of window[0]
        for i, span in enumerate(self.spans):
            sm = self.sums[i]
            sm[0] += x
            sm[1] += expected
            while self.tails[i] < self.fed:
                old_at, ox, oe = self.window[self.tails[i] - first]
                if old_at > now - span:
                    break
                sm[0] -= ox
                sm[1] -= oe
                self.tails[i] += 1
        while self.window and self.window[0][0] <= now - self.spans[-1]:
            self.window.popleft()

    def _learn(self, at: datetime, x: float, profile, level: float, flagged: bool,
               elapsed: float) -> None:
        self.rate_sum = (1 - self.rate_a) * self.rate_sum + x
        self.rate_n = (1 - self.rate_a) * self.rate_n + 1.0
        self.slow_sum = (1 - self.slow_a) * self.slow_sum + x
        self.slow_n = (1 - self.slow_a) * self.slow_n + 1.0
        shape = x / level if profile is not None else x
        hour, slot = at.hour, at.weekday() * 24 + at.hour
        self.day_n[hour] = int(min(self.day_n[hour] + 1, self.day_cap))
        self.day[hour] += (shape - self.day[hour]) / self.day_n[hour]
        self.week_n[slot] = int(min(self.week_n[slot] + 1, self.week_cap))
        self.week[slot] += (shape - self.week[slot]) / self.week_n[slot]
        if flagged:
            return
        sums = dict(zip(self.spans, self.sums))
        for i, scale in enumerate(self.scales):
            obs, mu = sums[scale]
            if mu > 1e-6 and elapsed >= scale:
                # Ratio-of-means moment estimator of the NB2 dispersion: unbiased at low
                # counts, where clipping per-bucket estimates at 0 would inflate it.
                vn, vd = self.disp[i] if self.disp[i][1] > 0 else (self.alpha[i] * mu * mu,
                                                                    mu * mu)
                # a running mean over the first hours (worth an hour of prior), then slow
                self.disp_n[i] += 1
                a = max(self.alpha_a, 1 / (self.disp_n[i] + self.day_min))
                vn += a * ((obs - mu) ** 2 - mu - vn)
                vd += a * (mu * mu - vd)
                self.disp[i] = [vn, vd]
                if vd > 0:
                    self.alpha[i] = min(max(vn / vd, self.alpha_min), 4.0)

    # -- state -----------------------------------------------------------------------

    SETTINGS = ("bucket_minutes", "scales", "warmup_minutes", "learn_below", "alpha_min",
                "prior_events", "day_min", "week_min", "day_cap", "week_cap", "level_a",
                "rate_a", "slow_a", "alpha_a", "confirm", "spans")
    LEARNED = ("day", "day_n", "week", "week_n", "rate_sum", "rate_n", "slow_sum", "slow_n",
               "num", "den", "start", "fed", "sums", "tails", "alpha", "disp", "disp_n")

    def to_state(self) -> dict:
        """JSON-safe: the learned baseline and the open windows (floats round-trip exactly
        through JSON, so a restored detector continues bit for bit)."""
        state = {name: getattr(self, name) for name in self.LEARNED}
        state["window"] = [list(entry) for entry in self.window]
        state["settings"] = {name: getattr(self, name) for name in self.SETTINGS}
        state["settings"]["scales"] = list(self.scales)
        return state

    @classmethod
    def from_state(cls, state: dict, **params) -> CountDetector:
        """A detector built with ``params`` resuming ``state``. A state saved under other
        settings (scales, bucket length...) is refused with ValueError: resuming it would
        silently compare windows of one length against sums of another."""
        det = cls(**params)
        mine = {name: getattr(det, name) for name in cls.SETTINGS}
        mine["scales"] = list(det.scales)
        if state.get("settings") != mine:
            raise ValueError("count detector state was saved under other settings")
        for name in cls.LEARNED:
            value = state[name]
            setattr(det, name, [list(v) for v in value] if name in ("sums", "disp")
                    else list(value) if isinstance(value, list) else value)
        det.window = deque((int(m), x, e) for m, x, e in state["window"])
        return det
