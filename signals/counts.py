"""The live count detector: event counts per bucket, tested over several time scales at once.

Contract: ``CountDetector.update(at, count) -> CountStep`` takes buckets in time order (gaps
allowed: a missing bucket is neither observed nor expected) and tests the bucket just fed
from it and earlier buckets only. For each scale (5, 15, 30 minutes, 1 hour, 6 hours, 1 day
by default) the sum of the counts over the trailing window is compared, upward only, with
the sum of the per-bucket expectations over the same buckets by a negative-binomial tail.
Each scale's p is corrected for the number of scales and for how many *distinct* windows of
that length a week holds (see "Multiple testing"); the largest corrected surprise
(-log10 p) is the step's ``surprise``, on the scale of one test per bucket, so the caller's
threshold (``signals.detectors.Settings``) is a false-alarm budget per week. ``to_state()``
is JSON-safe and ``from_state(state)`` resumes exactly: the same buckets give the same steps
with or without a save and restore in between. Deterministic.

Model, and why:

- Expectation: the hour-of-week profile shrunk toward the hour-of-day profile, shrunk
  toward the long-run rate, each by a prior worth ``prior_events`` events (a quiet brand's
  empty slot borrows strength instead of predicting 0), times a level factor (clipped
  observed over profile). The level's memory is worth ``level_events`` events (at least
  6 hours, at most a week): at thousands of posts an hour it follows a busy day within
  hours, so a doubling is judged against today's level, while at ten posts a day it moves
  over days, so a rise sustained over hours is still judged against the old level and one
  post does not move it. Until a day profile exists for this hour, a recent rate (1-hour
  half-life) stands in, with a relative variance of 0.1 more: it cannot know that 9 am
  is busier than 7 am (without it the first morning's ramp alerted).
- Over-dispersion: real mention counts are burstier than Poisson. Each scale learns its
  NB2 dispersion (var = mu + alpha mu^2) by a ratio-of-means moment estimator over
  consecutive non-overlapping windows of its own length (independent samples; a week's
  memory), from windows that held no anomalous bucket. On top of it, the expectation's own
  uncertainty: an expectation backed by few events (a new deployment, ten posts a day) is
  a Gamma-Poisson guess, so its dispersion gains 1/support. That, not an absolute floor,
  keeps one stray post from being news at low volume.
- Multiple testing: a window of w buckets tested every bucket is not w independent tests:
  neighbouring windows share all but one bucket, and an excursion of the moving sum above a
  high level lasts about w / z^2 buckets (Pickands' constant for a moving sum, z^2 about 25
  at the levels used). So a scale's p counts min(1, 25 / w) tests per bucket, times the
  number of scales (Bonferroni across scales). The real rate is measured on calm streams
  (`benchmarks/bench_replay.py`, `tests/signals/test_live_detector.py`).
- Not poisoned by the crisis it detects: a bucket at surprise ``learn_below`` or more opens
  an *episode*. During it, every bucket teaches the profile and rates only clipped at 1.5x
  its expectation, and never the level or the dispersion. The episode ends once the last
  hour's count has been ordinary (upward p > 0.01) for ``quiet_minutes``; then the excess
  of the episode's buckets over their expectations is written off the open windows, so the
  day window does not hold a crisis already raised and re-warn on its tail hours later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from scipy.special import betainc

EPOCH = datetime(1970, 1, 1)
SCALES = (5, 15, 30, 60, 360, 1440)  # minutes
SCAN_Z2 = 25.0  # z^2 at the surprise levels used: a window of w buckets is ~w/25 tests apart
# Until an hour of the day has been seen, the recent rate stands in for it, and it cannot
# know the daily rhythm (a morning ramp triples the rate): its relative variance gains this.
UNSEEN_HOUR_CV2 = 0.1
SKIP_Z = 2.0  # below this z a window's tail is > 2 %: never news, so its tail is not computed


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
    window's observed and expected totals. ``scale`` is 0 when no window rose."""

    surprise: float
    scale: int
    observed: float
    expected: float


def _minute_no(at: datetime) -> int:
    return int((at - EPOCH).total_seconds() // 60)


class CountDetector:
    """Streaming multi-scale detector for one count series (see the module docstring).

    ``bucket_minutes``: the bucket length. ``warmup_minutes``: history before any test
    (a scale is tested only once that much time has passed since the first bucket too).
    ``learn_below``: corrected surprise from which a bucket opens (or is part of) an episode.
    """

    def __init__(self, bucket_minutes: float = 1.0, scales=SCALES,
                 warmup_minutes: float = 60.0, learn_below: float = 3.0,
                 alpha_prior: float = 0.1, alpha_min: float = 0.002, week_memory: int = 4,
                 prior_events: float = 5.0, level_events: float = 200.0,
                 quiet_minutes: float = 60.0, cluster_prior: float = 0.5,
                 cluster_events: float = 50.0):
        self.bucket_minutes = bucket_minutes
        self.scales = tuple(int(s) for s in scales)
        self.warmup_minutes, self.learn_below = warmup_minutes, learn_below
        self.alpha_min, self.prior_events = alpha_min, prior_events
        self.level_events = level_events
        self.cluster_prior, self.cluster_events = cluster_prior, cluster_events
        per_hour = max(60.0 / bucket_minutes, 1.0)
        self.day_min = per_hour  # a full hour's worth of samples before a slot is trusted
        self.week_min = per_hour
        self.day_cap, self.week_cap = 7 * per_hour, week_memory * per_hour
        self.widths = [max(1, round(s / bucket_minutes)) for s in self.scales]
        self.hour_width = max(1, round(60 / bucket_minutes))
        self.quiet_buckets = max(1, round(quiet_minutes / bucket_minutes))
        # tests per bucket each scale's p stands for (see "Multiple testing")
        self.weights = [len(self.scales) * min(1.0, SCAN_Z2 / w) for w in self.widths]
        self.level_bounds = (1440 / bucket_minutes, 10080 / bucket_minutes)
        self.rate_a = 1 - 0.5 ** (bucket_minutes / 60.0)
        self.slow_a = 1 - 0.5 ** (bucket_minutes / 1440.0)
        self.week_a = 1 - 0.5 ** (bucket_minutes / 10080.0)
        self.week_buckets = 10080 / bucket_minutes
        self.day = [0.0] * 24
        self.day_n = [0] * 24
        self.week = [0.0] * 168
        self.week_n = [0] * 168
        self.rate_sum = self.rate_n = 0.0  # decayed events and buckets (1-hour half-life)
        self.slow_sum = self.slow_n = 0.0  # the same over a one-day half-life
        self.num = self.den = 0.0  # level factor = num / den (clipped observed / profile)
        self.start: int | None = None  # minute number of the first bucket
        self.last: int | None = None  # bucket number of the latest bucket
        # Cumulative observed / expected totals after each of the last `ring` buckets
        # (a ring buffer; entry k % ring is the total after bucket k, k = 0 before any):
        # every window's sum is one subtraction, whatever the number of scales.
        self.ring = max(self.widths) + 1
        self.cum_x = [0.0] * self.ring
        self.cum_e = [0.0] * self.ring
        self.k = 0  # buckets pushed into the ring (gap buckets included)
        self.alpha = [alpha_prior] * len(self.scales)
        self.disp_n = [0] * len(self.scales)  # windows each dispersion has learned from
        self.disp = [[0.0, 0.0] for _ in self.scales]  # means of (obs-mu)^2 - mu and mu^2
        # clustering: a bucket's var = mu (1 + phi) + ..., phi from sums decayed over a week
        self.cl_num = self.cl_den = 0.0
        self.episode = False
        self.quiet = 0  # buckets in a row, during an episode, with an ordinary last hour
        self.last_flag = -1  # ring index k of the latest bucket in an episode
        self.excess: list[list[float]] = []  # [k, x - expected] of the episode's buckets

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
        overall = (self.slow_sum + 0.5) / (self.slow_n + 1.0)  # never 0: half an event
        day = (self.day[hour] * dn + c) / (dn + c / overall)
        slot = at.weekday() * 24 + hour
        wn = self.week_n[slot]
        if wn < self.week_min:
            return day, self.day[hour] * dn + c, dn / self.day_min
        week = (self.week[slot] * wn + c) / (wn + c / max(day, 1e-9))
        return week, self.week[slot] * wn + c, wn / self.week_min

    def clustering(self) -> float:
        """phi: a bucket's variance beyond Poisson that grows with its mean (NB1)."""
        return ((self.cl_num + self.cluster_prior * self.cluster_events)
                / (self.cl_den + self.cluster_events))

    def _dispersion(self, i: int, mu: float, support: float, hours: float,
                    phi: float) -> float:
        """The NB2 alpha scale ``i`` tests a window expected at ``mu`` with. The expectation
        is itself an estimate: a mean of ``hours`` over-dispersed hours (relative variance
        alpha / hours) and of ``support`` events (1 / support) per hour of the day; a window
        spanning several hours sums independent estimates. Clustering adds phi / mu."""
        spread = max(self.scales[i] / 60, 1.0)
        return (self.alpha[i] * (1 + 1 / max(hours, 1e-9))
                + 1 / (max(support, 1e-9) * spread) + phi / mu)

    def dispersion_at(self, at: datetime, scale: int) -> tuple[float, float, float]:
        """(expected count, alpha, tests-per-bucket weight) a window of ``scale`` minutes
        ending at ``at`` would be tested with now, for reports of what is detectable."""
        i = self.scales.index(scale)
        profile = self._profile(at)
        if profile is None:
            raise ValueError("no profile for this hour yet")
        mu = profile[0] * self._level() * self.widths[i]
        return mu, self._dispersion(i, mu, profile[1], profile[2], self.clustering()), \
            self.weights[i]

    def _level(self) -> float:
        return min(max(self.num / self.den, 0.1), 10.0) if self.den > 0 else 1.0

    # -- one bucket ------------------------------------------------------------------

    def update(self, at: datetime, count: float) -> CountStep:
        """Test the bucket at ``at`` (after the ones already fed), then learn from it."""
        x = max(float(count), 0.0)
        minute = _minute_no(at)
        now = int(minute // self.bucket_minutes)
        if self.start is None:
            self.start = minute
        profile = self._profile(at)
        level = self._level()
        if profile is not None:
            expected = max(profile[0] * level, 1e-9)
            support, hours = profile[1], profile[2]
        else:  # Gamma-Poisson rate of the recent past, half an event of prior
            expected = (self.rate_sum + 0.5) / (self.rate_n + 1.0)
            support, hours = self.rate_sum + 0.5, self.rate_n / self.day_min
        unseen = UNSEEN_HOUR_CV2 if profile is None else 0.0
        self._push(now, x, expected)
        elapsed = (minute - self.start) + self.bucket_minutes
        armed = elapsed > self.warmup_minutes
        best = CountStep(0.0, 0, 0.0, 0.0)
        phi = self.clustering()
        cx, ce, ring, k = self.cum_x, self.cum_e, self.ring, self.k
        tip_x, tip_e = cx[k % ring], ce[k % ring]
        for i, width in enumerate(self.widths):
            j = (k - width) % ring if k >= width else 0
            obs, mu = tip_x - cx[j], max(tip_e - ce[j], 1e-9)
            # upward only, and a window within two standard deviations is never news:
            # skipping its tail there is most of the detector's speed on calm data
            if not (armed and elapsed >= self.scales[i] and obs > mu):
                continue
            alpha = self._dispersion(i, mu, support, hours, phi) + unseen
            if obs - mu < SKIP_Z * math.sqrt(mu + alpha * mu * mu):
                continue
            p = nb_tail(obs, mu, alpha) * self.weights[i]
            surprise = max(-math.log10(max(min(p, 1.0), 1e-300)), 0.0)
            if surprise > best.surprise:
                best = CountStep(surprise, self.scales[i], obs, mu)
        flagged = best.surprise >= self.learn_below
        if flagged and not self.episode:
            self.episode, self.quiet = True, 0
        if self.episode:
            self._follow_episode(x, expected, support)
        learned = min(x, 1.5 * expected) if self.episode else x
        # Posts come in conversations (a post draws replies): an NB1 excess phi, learned
        # from every bucket, crises included but each bucket's excess capped, since at ten
        # posts a day every cluster looks anomalous and would otherwise never be learned.
        xc = min(x, expected + 10.0)
        self.cl_num = (1 - self.week_a) * self.cl_num + (xc - expected) ** 2 - expected
        self.cl_den = (1 - self.week_a) * self.cl_den + expected
        # While this hour has no profile yet, the profile has no baseline to protect: the
        # first morning's ramp would otherwise be learned clipped, as if it were a crisis
        # (the recent rate standing in for it is protected all the same).
        self._learn(at, learned, learned if profile is not None else x, profile, level,
                    elapsed)
        if profile is not None and not self.episode:
            if self.den == 0.0:
                self.num = self.den = profile[0]
            # The clip leaves room for Poisson noise: clipping at 2x alone biases the level
            # down at low counts (E[min(x, 2 mu)] < mu), which compounds into a collapse.
            cap = 2 * expected + 3 * math.sqrt(expected) + 2
            overall = (self.slow_sum + 0.5) / (self.slow_n + 1.0)
            half_life = min(max(self.level_events / overall, self.level_bounds[0]),
                            self.level_bounds[1])
            a = 1 - 0.5 ** (1 / half_life)
            self.num += a * (min(learned, cap) - self.num)
            self.den += a * (profile[0] - self.den)
        return best

    def _push(self, now: int, x: float, expected: float) -> None:
        """Append the bucket to the cumulative ring; a gap adds empty buckets (neither
        observed nor expected), at most a ring's worth."""
        ring = self.ring
        if self.last is not None and now > self.last + 1:
            tx, te = self.cum_x[self.k % ring], self.cum_e[self.k % ring]
            for _ in range(min(now - self.last - 1, ring)):
                self.k += 1
                self.cum_x[self.k % ring], self.cum_e[self.k % ring] = tx, te
        self.last = now
        prev = self.k % ring
        self.k += 1
        self.cum_x[self.k % ring] = self.cum_x[prev] + x
        self.cum_e[self.k % ring] = self.cum_e[prev] + expected

    def _follow_episode(self, x: float, expected: float, support: float) -> None:
        """Keep the bucket's excess for the write-off and end the episode once the last
        hour has been ordinary for ``quiet_buckets`` in a row."""
        self.last_flag = self.k
        if x > expected:
            self.excess.append([self.k, x - expected])
        ring, k, width = self.ring, self.k, self.hour_width
        j = (k - width) % ring if k >= width else 0
        obs = self.cum_x[k % ring] - self.cum_x[j]
        mu = max(self.cum_e[k % ring] - self.cum_e[j], 1e-9)
        i = self.widths.index(width) if width in self.widths else -1
        alpha = (self.alpha[i] if i >= 0 else self.alpha[-1]) + 1 / max(support, 1e-9)
        ordinary = obs <= mu or nb_tail(obs, mu, alpha) > 0.01
        self.quiet = self.quiet + 1 if ordinary else 0
        if self.quiet >= self.quiet_buckets:
            self._write_off()
            self.episode, self.quiet = False, 0

    def _write_off(self) -> None:
        """Take the episode's excess out of the open windows (the cumulative totals from
        each excess bucket on), so no later window re-counts a crisis already raised."""
        ring, k = self.ring, self.k
        oldest = k - ring + 1
        pending = {}
        for at, ex in self.excess:
            if at >= max(oldest, 1):
                pending[int(at)] = pending.get(int(at), 0.0) + ex
        self.excess = []
        if not pending:
            return
        running = 0.0
        for idx in range(min(pending), k + 1):
            running += pending.get(idx, 0.0)
            self.cum_x[idx % ring] -= running

    def _learn(self, at: datetime, x: float, x_profile: float, profile, level: float,
               elapsed: float) -> None:
        self.rate_sum = (1 - self.rate_a) * self.rate_sum + x
        self.rate_n = (1 - self.rate_a) * self.rate_n + 1.0
        self.slow_sum = (1 - self.slow_a) * self.slow_sum + x
        self.slow_n = (1 - self.slow_a) * self.slow_n + 1.0
        shape = x_profile / level if profile is not None else x_profile
        hour, slot = at.hour, at.weekday() * 24 + at.hour
        self.day_n[hour] = int(min(self.day_n[hour] + 1, self.day_cap))
        self.day[hour] += (shape - self.day[hour]) / self.day_n[hour]
        self.week_n[slot] = int(min(self.week_n[slot] + 1, self.week_cap))
        self.week[slot] += (shape - self.week[slot]) / self.week_n[slot]
        ring, k = self.ring, self.k
        for i, width in enumerate(self.widths):
            # one sample per non-overlapping window, from windows wholly outside episodes
            if k % width or k < width or self.last_flag > k - width or elapsed < self.scales[i]:
                continue
            j = (k - width) % ring
            obs = self.cum_x[k % ring] - self.cum_x[j]
            mu = self.cum_e[k % ring] - self.cum_e[j]
            if mu <= 1e-6:
                continue
            # Ratio-of-means moment estimator of the NB2 dispersion: unbiased at low
            # counts, where clipping per-window estimates at 0 would inflate it. A running
            # mean over the first windows (with three windows' worth of prior), then a
            # week's memory.
            vn, vd = self.disp[i] if self.disp[i][1] > 0 else (self.alpha[i] * mu * mu, mu * mu)
            self.disp_n[i] += 1
            a = max(1 - 0.5 ** (width / self.week_buckets), 1 / (self.disp_n[i] + 3))
            vn += a * ((obs - mu) ** 2 - mu - vn)
            vd += a * (mu * mu - vd)
            self.disp[i] = [vn, vd]
            if vd > 0:
                self.alpha[i] = min(max(vn / vd, self.alpha_min), 4.0)

    # -- state -----------------------------------------------------------------------

    SETTINGS = ("bucket_minutes", "scales", "warmup_minutes", "learn_below", "alpha_min",
                "prior_events", "level_events", "cluster_prior", "cluster_events", "day_min", "week_min", "day_cap",
                "week_cap", "widths", "quiet_buckets", "weights", "ring")
    LEARNED = ("day", "day_n", "week", "week_n", "rate_sum", "rate_n", "slow_sum", "slow_n",
               "num", "den", "start", "last", "cum_x", "cum_e", "k", "alpha", "disp",
               "disp_n", "cl_num", "cl_den", "episode", "quiet", "last_flag", "excess")

    def to_state(self) -> dict:
        """JSON-safe: the learned baseline and the open windows (floats round-trip exactly
        through JSON, so a restored detector continues bit for bit)."""
        state = {name: getattr(self, name) for name in self.LEARNED}
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
            setattr(det, name, [list(v) for v in value] if name in ("disp", "excess")
                    else list(value) if isinstance(value, list) else value)
        return det
