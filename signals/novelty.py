"""The score-csv detector: rank-tail surprise, seasonal residual, shape discord and sequence
novelty, onset-masked.

Contract: ``Detector().update(value, at=None) -> float`` scores the row just fed in [0, 1]
from that row and earlier ones only (all memory is in the object; ``at`` is the row's time
in seconds, needed by the seasonal part only); ``score_series(values, times=None)`` feeds a
fresh detector row by row, so a prefix of a series gets exactly the scores those rows get
in the full run. Deterministic. Scores rank across series: every part is calibrated per
series, and only a row that beats every score of the last ``refractory`` rows keeps its
score, so an anomaly gives a short peak at its onset rather than a plateau.

Parts: (1) ``signals.anomaly.Detector``, the rank-tail surprise, which sees anomalies of
magnitude (spikes, level shifts), silenced (when times are given) where
``signals.envelope.DailyEnvelope`` says the value is routine for this time of day, or where
the record has no two earlier days at this hour to tell; (2) ``signals.seasonal.Seasonal`` (when times are given),
the row against the same time of the previous 7 days (log scale for non-negative series),
weighted by how much of the series' spread the daily rhythm explains: a burst at night,
a drop in the afternoon; (3) ``signals.discord.Discord`` at half weight, the distance of
the last 24 values to their nearest earlier window, ranked, which sees changed shapes (a
missing daily peak, a jump inside a rhythm); the largest of the three is onset-masked and
mapped to ``s / (s + k)``; (4) ``Novelty``, in the spirit of Numenta's CAD-OSE: the share
of never-seen suffixes of the quantised value sequence (a flat stretch, denser spikes);
(5) the larger of (4) and the masked magnitude score, then one more onset mask. Figures (benchmarks/bench_nab.py
on the 48 shared NAB series, benchmarks/mention_series.py): README, "score-csv on real
series".
"""

from __future__ import annotations

from collections import deque

from signals import anomaly
from signals.discord import Discord
from signals.envelope import DailyEnvelope
from signals.seasonal import Seasonal


class Novelty:
    """Share of never-seen suffixes of the quantised value sequence (0 = routine, 1 = new).

    ``bins``: quantisation levels over the running [min, max] (few bins: coarse patterns
    generalise, noise does not create novelty). ``order``: longest context (in rows) of a
    suffix. ``rest``/``base``: novelty is reported only if no raw novelty >= ``base`` was
    seen in the previous ``rest`` rows (the first ``rest`` rows are a warm-up).
    """

    def __init__(self, bins: int = 5, order: int = 8, rest: int = 75, base: float = 0.75):
        self.bins, self.order, self.base = bins, order, base
        self.seen: set[tuple[int, ...]] = set()
        self.seq: deque[int] = deque(maxlen=order + 1)
        self.lo = self.hi = None
        # Starts "just alarmed", so the empty memory's novelty is not reported.
        self.recent: deque[float] = deque([1.0], maxlen=rest)
        self.raw = 0.0

    def _bin(self, x: float) -> int:
        # Running range, as CAD-OSE's [min, max] but causal: a new extreme re-scales the
        # bins, which itself makes the next suffixes new (an extreme is news).
        self.lo = x if self.lo is None else min(self.lo, x)
        self.hi = x if self.hi is None else max(self.hi, x)
        width = (self.hi - self.lo) / (self.bins - 1) or 1.0
        return int((x - self.lo) / width)

    def update(self, value: float) -> float:
        self.seq.append(self._bin(float(value)))
        seq, new = tuple(self.seq), 0
        for k in range(1, len(seq) + 1):  # learn every suffix; count the unseen ones
            suffix = seq[-k:]
            if suffix not in self.seen:
                self.seen.add(suffix)
                new += 1
        self.raw = new / (self.order + 1)
        out = self.raw if max(self.recent) < self.base else 0.0
        self.recent.append(self.raw)
        return out


class Detector:
    """Streaming detector: ``update(value) -> score`` in [0, 1].

    Magnitude surprise = the largest of the rank-tail surprise (``signals.anomaly``: value and
    ``short``-row mean against the 120 rows before; rows more surprising than
    ``learn_below`` are not learned; 0 where the daily envelope calls the row routine or
    cannot tell, ``envelope=False`` turns that off), the seasonal-residual surprise times its weight
    (``signals.seasonal``; only for rows fed with ``at``; ``seasonal=False`` turns it off)
    and ``discord_weight`` x the shape-discord surprise (``signals.discord``,
    ``discord_window`` rows). It is kept only when it beats the last
    ``refractory`` rows, then mapped to ``s / (s + k)``. ``weight`` puts the novelty on that
    scale: 0.5 x (all suffixes new) = 0.5 = a surprise of ``k`` (4 by default: p = 1e-4).
    The final score again masks anything that does not beat the last ``refractory`` rows.
    Other keyword arguments go to ``Novelty``.
    """

    def __init__(self, weight: float = 0.5, refractory: int = 100, k: float = 4.0,
                 short: int = 8, learn_below: float = 8.0, discord_weight: float = 0.5,
                 discord_window: int = 24, seasonal: bool = True, envelope: bool = True,
                 **novelty):
        # refractory=1: the onset mask is applied here, to the larger of the two surprises.
        self.rank = anomaly.Detector(short=short, learn_below=learn_below, refractory=1, k=k)
        self.discord = Discord(window=discord_window) if discord_weight > 0 else None
        self.seasonal = Seasonal() if seasonal else None
        self.envelope = DailyEnvelope() if envelope else None
        self.novelty = Novelty(**novelty)
        self.onset = anomaly.Onset(refractory, damp=0.0)
        self.weight, self.k, self.discord_weight = weight, k, discord_weight
        self.recent: deque[float] = deque(maxlen=refractory)

    def update(self, value: float, at: float | None = None) -> float:
        self.rank.update(value)
        magnitude = self.rank.surprise
        # Inside the envelope: as high (or low) as on other days at this time, routine. A
        # gap (no two earlier days at this hour in a series older than that): the
        # whole-range test cannot tell a routine hour from news, so it waits; the seasonal
        # and shape parts still speak.
        if (self.envelope is not None and at is not None
                and self.envelope.update(at, value) is not False and self.envelope.applies):
            magnitude = 0.0
        if self.seasonal is not None and at is not None:
            surprise = self.seasonal.update(at, value)
            magnitude = max(magnitude, self.seasonal.weight * surprise)
        if self.discord is not None:
            magnitude = max(magnitude, self.discord_weight * self.discord.update(value))
        peak = self.onset(magnitude)
        s = max(anomaly.score_of(peak, self.k), self.weight * self.novelty.update(value))
        prev = max(self.recent) if self.recent else 0.0
        self.recent.append(s)
        return min(s, 1.0) if s > prev else 0.0


def score_series(values, times=None, **params) -> list[float]:
    """Score a whole series causally by streaming it through a fresh ``Detector``.

    ``times``: the rows' times in seconds (same length), for the seasonal part."""
    det = Detector(**params)
    if times is None:
        return [det.update(v) for v in values]
    return [det.update(v, at) for v, at in zip(values, times, strict=True)]
