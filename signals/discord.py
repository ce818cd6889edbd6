"""Causal shape discord: how far the latest window of values is from every earlier one.

Contract: ``Discord.update(value) -> float`` returns the surprise (``-log10 p``, >= 0) of
the row just fed, from that row and earlier ones only; deterministic. The raw measure is
the left matrix profile: the Euclidean distance from the last ``window`` values to their
nearest neighbour among the windows ending in the previous ``history`` rows (windows that
overlap the current one excluded, so a trend cannot match itself). That distance is ranked
against the distances of the recent past (``signals.anomaly.RankTail``, upper tail), so the
surprise is calibrated per series and comparable across series: "a shape this unlike
anything seen happens once in 1/p rows". It sees anomalies of shape that neither the
value nor a mean shift shows (a missing daily peak, a changed rhythm), the "discord" of
Keogh and colleagues, restricted to the past as a streaming benchmark requires.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from signals.anomaly import RankTail


class Discord:
    """Left-nearest-neighbour distance of the latest ``window`` values, as a surprise.

    ``history``: rows searched for a neighbour, and distances ranked. ``warmup``: distances
    seen before a surprise is reported (0 until then).
    """

    def __init__(self, window: int = 24, history: int = 2000, warmup: int = 60):
        self.window, self.history, self.warmup = window, history, warmup
        # Ring buffer of the last history + window values, kept contiguous by doubling
        # (a write goes to i and i + size) so every window is a plain slice.
        self.size = history + window
        self.buf = np.zeros(2 * self.size)
        self.n = 0
        self.distances = RankTail(history, trust_seen=False)
        self.recent: deque[float] = deque(maxlen=window)

    def update(self, value: float) -> float:
        """Feed one row; return its surprise (0 while the memory is too short)."""
        i = self.n % self.size
        self.buf[i] = self.buf[i + self.size] = value
        self.n += 1
        w = self.window
        known = min(self.n, self.size)
        if self.n < 2 * w + 11:  # a few neighbours to choose from before measuring
            return 0.0
        end = i + self.size + 1  # series[-known:] is buf[end - known:end]
        series = self.buf[end - known:end]
        current = series[-w:]
        # Windows ending at least `w` rows before now: starts 0 .. known - 2w.
        past = np.lib.stride_tricks.sliding_window_view(series[:known - w], w)
        d = float(np.sqrt(((past - current) ** 2).sum(axis=1).min()))
        surprise = 0.0
        if len(self.distances) >= self.warmup:
            surprise = -math.log10(max(self.distances.p_upper(d), 1e-300))
        self.distances.add(d)
        return surprise
