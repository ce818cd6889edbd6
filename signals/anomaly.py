"""Causal streaming anomaly detector: calibrated tail probabilities, several tests, max.

Contract
--------
* ``Detector.update(value) -> float`` returns a score in [0, 1] for the row just fed, computed from that row and earlier rows only (the state
  is the only memory; nothing looks ahead). Same input -> same output (no randomness).
* ``score_series(values) -> list[float]`` scores a whole series
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

The live pipeline's count detector (mentions, tickets... per minute, over several time
scales) is ``signals.counts``.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from collections import deque


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
    empirical rank (+1 smoothing); in the tail an exponential fitted through two upper
    quantiles extrapolates, so values beyond anything seen still get a graded p. With
    ``trust_seen`` it does so only beyond every value kept (the rank test of
    ``Detector``); without, from the 95th percentile on (calibrating residuals and distances,
    whose tails are smooth).
    """

    def __init__(self, size: int, beta_floor: float = 0.1, trust_seen: bool = True):
        self.size, self.beta_floor, self.trust_seen = size, beta_floor, trust_seen
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
        # trust_seen: the fitted tail only extrapolates beyond the most extreme value kept; a
        # value the window has already seen (a spike that recurs) is as rare as its count says.
        if x <= 0 or p_emp > 0.05 or (self.trust_seen and beyond > 0):
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


def bulk_range(sorted_values) -> float:
    """The 5th..95th percentile range of sorted values (0 for none): a spread that one
    burst cannot stretch."""
    vt = sorted_values
    return (vt[int(0.95 * (len(vt) - 1))] - vt[int(0.05 * (len(vt) - 1))]) if vt else 0.0


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
    ``k`` maps surprise to score (score 0.5 at surprise k). ``trust_seen``: see ``RankTail``.
    """

    def __init__(self, use=("value", "mean"), history: int = 2000,
                 short: int = 8, long: int = 120, refractory: int = 100, k: float = 4.0,
                 warmup: int = 60, learn_below: float = 5.0, max_skip: int = 30,
                 damp: float = 0.0, beta_floor: float = 0.1, log_unit: float = 1.0,
                 trust_seen: bool = True):
        self.use = tuple(use)
        self.short, self.k, self.warmup = short, k, warmup
        self.learn_below, self.max_skip, self.log_unit = learn_below, max_skip, log_unit
        self.window: deque[float] = deque(maxlen=long + short)
        self.values = RankTail(history, beta_floor)  # the series' own scale, always kept
        self.tails = {name: RankTail(history, beta_floor, trust_seen) for name in self.use}
        self.onset = Onset(refractory, damp)
        self.skipped = 0
        self.surprise = 0.0  # Bonferroni-corrected -log10 p of the latest row
        self.peak = 0.0  # the same after onset masking (what the score is made of)
        # Smallest scale the series' own unit may take (0: none). A caller ranking residuals
        # sets it from the raw series, so near-zero residuals do not make wiggles extreme.
        self.min_unit = 0.0

    def _scale(self) -> float:
        """Bulk range of the values seen (``bulk_range``): the series' own unit."""
        return max(bulk_range(self.values.sorted), self.min_unit)

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


def score_series(values, **params) -> list[float]:
    """Score a whole series causally by streaming it through a fresh ``Detector``."""
    det = Detector(**params)
    return [det.update(v) for v in values]
