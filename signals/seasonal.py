"""Causal seasonal residual: the row against the same time of day on the previous days.

Contract: ``Seasonal.update(at, value) -> float`` returns a surprise (``-log10 p``, >= 0)
for the row just fed, where ``at`` is the row's time in seconds; it uses that row and
earlier ones only (all memory is in the object) and is deterministic. 0 until the memory
holds a day and the residual history is warm.

Why: a burst at night can stay below the afternoon's ordinary level, so a test of the value
against the series' whole range never sees it; against the same hours of the previous days
it is plain. Mention counts are multiplicative (a burst multiplies the usual rate), so a
series whose first ``decide_rows`` values are all >= 0 is read as ``log1p(value)``, others
as is (the choice is made once, at that row, and never revised: the history stays in one
unit).

Baseline: for each of the previous ``days`` days, the row nearest to the same time
(within ``max(interval, 10 min)``; the interval is the median step of the first
``decide_rows`` rows) and its two neighbours; the residual is the row minus the median of
those values (at least 3). It is ranked like any series by ``signals.anomaly.Detector``
(the residual itself and its short-window mean, so a rise over hours counts too).

Weight: a series without a daily rhythm gains nothing from the test but its false alarms,
so ``weight`` (read after ``update``) is 1 when the residual's bulk range is at most ``lo``
times the value's bulk range (the rhythm explains most of the spread), 0 from ``hi`` on,
linear between. The caller multiplies the surprise by it.
"""

from __future__ import annotations

import statistics
from bisect import bisect_left

import numpy as np

from signals.anomaly import Detector, RankTail, bulk_range

DAY = 86_400.0


class Seasonal:
    """Residual of each row against the same time of the previous ``days`` days, as a surprise."""

    def __init__(self, days: int = 7, lo: float = 0.5, hi: float = 1.0,
                 decide_rows: int = 60, learn_below: float = 5.0, unit_share: float = 0.05):
        self.days, self.lo, self.hi, self.decide_rows = days, lo, hi, decide_rows
        self.unit_share = unit_share
        self.times: list[float] = []
        self.raw: list[float] = []
        self.log = None  # decided at row `decide_rows`
        self.tolerance = None
        self.xs: list[float] = []  # transformed values, aligned with self.times
        self.levels = RankTail(2000)  # transformed values: the series' own spread
        self.residuals = Detector(refractory=1, learn_below=learn_below, trust_seen=False)
        self.weight = 0.0
        self.surprise = 0.0

    def _decide(self) -> None:
        self.log = min(self.raw) >= 0
        gaps = [b - a for a, b in zip(self.times, self.times[1:]) if b > a]
        self.tolerance = max(statistics.median(gaps) if gaps else 0.0, 600.0)
        self.xs = [self._transform(v) for v in self.raw]
        for x in self.xs:
            self.levels.add(x)

    def _transform(self, v: float) -> float:
        return float(np.log1p(v)) if self.log else v

    def _baseline(self, at: float, upto: int) -> float | None:
        base: list[float] = []
        for d in range(1, self.days + 1):
            target = at - d * DAY
            j = bisect_left(self.times, target, 0, upto)
            near = [q for q in (j - 1, j) if 0 <= q < upto
                    and abs(self.times[q] - target) <= self.tolerance]
            if near:
                q = min(near, key=lambda r: abs(self.times[r] - target))
                base.extend(self.xs[max(0, q - 1):min(q + 2, upto)])
        if len(base) < 3:
            return None
        return sorted(base)[len(base) // 2]

    def _trim(self) -> None:
        # Keep a little more than `days` days; drop the oldest half when the lists double.
        horizon = self.times[-1] - (self.days + 1) * DAY
        cut = bisect_left(self.times, horizon)
        if cut > len(self.times) // 2:
            del self.times[:cut], self.xs[:cut]

    def update(self, at: float, value: float) -> float:
        """Feed one row (time in seconds, value); return its surprise."""
        self.surprise = self.weight = 0.0
        v = float(value)
        if self.log is None:
            self.times.append(at)
            self.raw.append(v)
            if len(self.raw) >= self.decide_rows:
                self._decide()
                self.raw = []
            return 0.0
        x = self._transform(v) if (v >= 0 or not self.log) else 0.0
        upto = len(self.times)
        self.times.append(at)
        self.xs.append(x)
        self.levels.add(x)
        base = self._baseline(at, upto)
        if len(self.times) > 4 * self.days * DAY / self.tolerance:
            self._trim()
        if base is None:
            return 0.0
        spread = bulk_range(self.levels.sorted)
        # A residual scale floor relative to the value's spread: a perfectly periodic series
        # must not turn a rounding wiggle into an extreme residual.
        self.residuals.min_unit = self.unit_share * spread
        self.residuals.update(x - base)
        self.surprise = self.residuals.surprise
        own = bulk_range(self.residuals.values.sorted)
        ratio = own / spread if spread > 0 else 1.0
        self.weight = min(max((self.hi - ratio) / (self.hi - self.lo), 0.0), 1.0)
        return self.surprise
