"""Streaming, causal early-warning detectors over per-minute buckets.

Each series keeps an exponentially weighted baseline of its normal rate; a window of
recent minutes is tested against it with an exact tail probability (Poisson for counts,
binomial for the negative share), and the detector fires when the surprise, -log10(p),
passes a threshold. The baseline stops learning while its series is anomalous, so a long
crisis does not teach the detector that crisis is normal. Every output depends only on
buckets already seen.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from scipy.stats import binom, poisson


@dataclass(frozen=True)
class Bucket:
    """One minute of activity."""

    minute: datetime
    mentions: int = 0
    negative: int = 0
    rumours: int = 0
    tickets: int = 0


@dataclass(frozen=True)
class Signal:
    """A series breaking from normal at one minute: observed vs expected over the window."""

    kind: str
    minute: datetime
    observed: float
    expected: float
    surprise: float  # -log10 of the tail probability

    @property
    def score(self) -> float:
        """Surprise mapped to [0, 1] for display and comparison."""
        return 1 - math.exp(-self.surprise / 4)


@dataclass
class Settings:
    """What counts as abnormal. `threshold` is the surprise needed to fire: 6 means a
    window this extreme happens by chance about once in a million minutes."""

    threshold: float = 6.0
    window: int = 5  # minutes summed for count series
    share_window: int = 10  # minutes pooled for the negative share
    half_life: float = 45.0  # minutes; how fast the baseline follows a changing rhythm
    warmup: int = 60  # minutes of history before the detector may fire
    min_count: int = 8  # never fire on fewer events than this in the window
    min_rate: float = 0.2  # per-minute floor so a quiet night does not make noise news
    min_share_volume: int = 20  # mentions needed before the negative share means anything
    min_share_lift: float = 0.15  # share must also rise this much above its baseline


@dataclass
class _Series:
    rate: float | None = None
    recent: list[float] = field(default_factory=list)


COUNT_SERIES = ("mentions", "rumours", "tickets")


@dataclass
class Detector:
    """Feed buckets in minute order with `update`; get the signals each one raises."""

    settings: Settings = field(default_factory=Settings)
    seen: int = 0
    series: dict[str, _Series] = field(default_factory=dict)
    share: float | None = None
    share_window: list[tuple[int, int]] = field(default_factory=list)

    def update(self, bucket: Bucket) -> list[Signal]:
        s = self.settings
        alpha = 1 - 0.5 ** (1 / s.half_life)
        self.seen += 1
        signals = []
        for kind in COUNT_SERIES:
            series = self.series.setdefault(kind, _Series())
            value = getattr(bucket, kind)
            series.recent = (series.recent + [value])[-s.window:]
            if series.rate is None:
                series.rate = float(value)
                continue
            expected = max(series.rate, s.min_rate) * len(series.recent)
            observed = sum(series.recent)
            surprise = _surprise(poisson.sf(observed - 1, expected))
            if self.seen > s.warmup and observed >= s.min_count and surprise >= s.threshold:
                signals.append(Signal(kind, bucket.minute, observed, round(expected, 2),
                                      round(surprise, 2)))
            if surprise < s.threshold / 2:  # learn only from normal minutes
                series.rate += alpha * (value - series.rate)

        self.share_window = (self.share_window + [(bucket.negative, bucket.mentions)])[
            -s.share_window:]
        neg = sum(n for n, _ in self.share_window)
        total = sum(t for _, t in self.share_window)
        if self.share is None:
            if total:
                self.share = neg / total
            return signals
        p0 = min(max(self.share, 0.02), 0.98)
        surprise = _surprise(binom.sf(neg - 1, total, p0)) if total else 0.0
        if (self.seen > s.warmup and total >= s.min_share_volume
                and neg / total >= p0 + s.min_share_lift and surprise >= s.threshold):
            signals.append(Signal("negative_share", bucket.minute, round(neg / total, 3),
                                  round(p0, 3), round(surprise, 2)))
        if bucket.mentions and surprise < s.threshold / 2:
            w = alpha * min(1.0, bucket.mentions / 5)  # a quiet minute says little
            self.share += w * (bucket.negative / bucket.mentions - self.share)
        return signals

    def to_state(self) -> dict:
        """JSON-safe state so a restarted pipeline resumes with its learned baseline."""
        return {"seen": self.seen, "share": self.share, "share_window": self.share_window,
                "series": {k: asdict(v) for k, v in self.series.items()}}

    @classmethod
    def from_state(cls, state: dict, settings: Settings | None = None) -> Detector:
        d = cls(settings or Settings())
        d.seen, d.share = state.get("seen", 0), state.get("share")
        d.share_window = [tuple(x) for x in state.get("share_window", [])]
        d.series = {k: _Series(**v) for k, v in state.get("series", {}).items()}
        return d


def _surprise(p: float) -> float:
    return -math.log10(max(p, 1e-300))


def detect(buckets: list[Bucket], settings: Settings | None = None) -> list[Signal]:
    """Run a fresh detector over a whole series (for tests and offline scoring)."""
    detector = Detector(settings or Settings())
    return [signal for b in buckets for signal in detector.update(b)]
