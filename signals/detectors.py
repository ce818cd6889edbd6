"""Streaming, causal early-warning detectors over per-minute buckets.

Series tested every bucket (each output depends only on buckets already seen):

- counts: mention volume, rumour mentions, support tickets, and reach-weighted negativity
  (each negative mention weighs 1 + log2(1 + followers/10,000): an account with 500k
  followers counts as about seven ordinary ones, 50k as 3.6, 1k as 1.1), against a baseline that knows the hour of
  the day and of the week and drifts slowly (`signals.baseline.CountSeries`);
- the negative share of mentions (binomial), once there is enough volume to mean
  something and the share has also risen by a margin;
- emerging terms: words and hashtags whose share of mentions departs from their own
  history (`signals.terms`).

The threshold is what users care about: `Settings.false_alarms_per_week` (default 1) is
converted into the surprise, -log10(p), each test must pass, by spreading that budget
over every test the detector makes in a week (buckets per week x series tested). A
surprise of 4.8 means "this extreme once in 60,000 tests". Baselines stop learning while
their series is anomalous, so a long crisis does not teach the detector that crisis is
normal, and the state is JSON-safe so a restarted pipeline resumes.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from signals.baseline import (
    CountSeries,
    GaugeSeries,
    binomial_tail,
    surprise_of,
)
from signals.terms import TermTracker

MINUTES_PER_WEEK = 7 * 24 * 60
TESTS_PER_BUCKET = 6  # mentions, rumours, tickets, reach, negative share, terms


@dataclass(frozen=True)
class Bucket:
    """One minute of activity. `reach` is the summed weight of the negative mentions;
    `terms` counts, per term, the mentions containing it."""

    minute: datetime
    mentions: int = 0
    negative: int = 0
    rumours: int = 0
    tickets: int = 0
    reach: float = 0.0
    terms: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class Signal:
    """A series breaking from normal at one minute: observed vs expected over the window.
    For `terms` signals, `terms` lists (term, surprise) for the emerging terms, most
    surprising first."""

    kind: str
    minute: datetime
    observed: float
    expected: float
    surprise: float  # -log10 of the tail probability
    terms: tuple[tuple[str, float], ...] = ()

    @property
    def score(self) -> float:
        """Surprise mapped to [0, 1] for display and comparison."""
        return score_of(self.surprise)


def score_of(surprise: float) -> float:
    return 1 - math.exp(-max(surprise, 0.0) / 4)


def reach_weight(followers: int | None) -> float:
    """How many ordinary mentions one mention counts for, by its author's audience."""
    return 1 + math.log2(1 + max(followers or 0, 0) / 10_000)


@dataclass
class Settings:
    """What counts as abnormal.

    `false_alarms_per_week` is the tuning knob (per brand); `threshold`, when set, is an
    explicit surprise that overrides it. `interval_minutes` is the bucket length, so the
    conversion stays right for series that are not per minute.
    """

    false_alarms_per_week: float = 1.0
    threshold: float | None = None
    interval_minutes: float = 1.0
    window: int = 5  # buckets summed for count series
    share_window: int = 10  # buckets pooled for the negative share and for terms
    half_life: float = 45.0  # buckets; how fast the short baseline follows the rhythm
    drift_half_life: float = 1440.0  # buckets; how fast the level follows a slow drift
    warmup: int = 60  # buckets of history before the detector may fire
    min_count: int = 8  # never fire on fewer events than this in the window
    min_rate: float = 0.2  # per-bucket floor so a quiet night does not make noise news
    min_share_volume: int = 20  # mentions needed before the negative share means anything
    min_share_lift: float = 0.15  # share must also rise this much above its baseline
    min_reach_mentions: int = 3  # negative mentions in the window before reach counts
    min_term_count: int = 8  # mentions containing a term in the window before it is news
    term_floor: float = 0.01  # a never-seen term is assumed to be in 1% of mentions
    term_lift: float = 2.0  # and must at least double its usual share
    term_half_life: float = 1440.0
    max_terms: int = 3000
    gauge_half_life: float = 5.0  # buckets; the robust z-score's level (generic series)

    @classmethod
    def for_interval(cls, minutes: float, **overrides) -> Settings:
        """Settings for buckets of `minutes`: the durations (half-lives, warm-up) stay the
        same in time, not in buckets."""
        per = max(minutes, 1e-9)
        return cls(interval_minutes=minutes, half_life=max(45 / per, 4.0),
                   drift_half_life=max(1440 / per, 14.0), warmup=int(max(60 / per, 12)),
                   term_half_life=max(1440 / per, 14.0), **overrides)

    def surprise_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        tests = MINUTES_PER_WEEK / self.interval_minutes * TESTS_PER_BUCKET
        return -math.log10(max(self.false_alarms_per_week, 1e-9) / tests)


COUNT_SERIES = ("mentions", "rumours", "tickets", "reach")


@dataclass
class Detector:
    """Feed buckets in minute order with `update`; get the signals each one raises.
    `last` holds the surprise of every series at the latest bucket (for scoring)."""

    settings: Settings = field(default_factory=Settings)
    seen: int = 0
    series: dict[str, CountSeries] = field(default_factory=dict)
    share: float | None = None
    share_window: list[tuple[int, int]] = field(default_factory=list)
    terms: TermTracker = field(default_factory=TermTracker)
    last: dict[str, float] = field(default_factory=dict, compare=False)

    def update(self, bucket: Bucket) -> list[Signal]:
        s = self.settings
        threshold = s.surprise_threshold()
        per_hour = max(1, round(60 / s.interval_minutes))
        self.seen += 1
        armed = self.seen > s.warmup
        self.share_window = (self.share_window + [(bucket.negative, bucket.mentions)])[
            -s.share_window:]
        signals: list[Signal] = []
        self.last = {}
        for kind in COUNT_SERIES:
            series = self.series.setdefault(kind, CountSeries())
            step = series.step(bucket.minute, getattr(bucket, kind), window=s.window,
                               half_life=s.half_life, drift_half_life=s.drift_half_life,
                               min_rate=s.min_rate, learn_below=threshold / 2,
                               per_hour=per_hour)
            if step is None:
                continue
            self.last[kind] = step.surprise
            enough = step.observed >= s.min_count
            if kind == "reach":
                negatives = sum(n for n, _ in self.share_window[-s.window:])
                enough = enough and negatives >= s.min_reach_mentions
            if armed and enough and step.surprise >= threshold:
                signals.append(Signal(kind, bucket.minute, round(step.observed, 2),
                                      round(step.expected, 2), round(step.surprise, 2)))

        signals += self._negative_share(bucket, threshold, armed)
        hits = self.terms.step(
            self.seen, bucket.terms, bucket.mentions, window=s.share_window,
            half_life=s.term_half_life, min_count=s.min_term_count, floor=s.term_floor,
            lift=s.term_lift, fire_at=threshold, learn_below=threshold / 2,
            max_terms=s.max_terms, test=armed)
        if hits:
            top = hits[0]
            self.last["terms"] = top.surprise
            signals.append(Signal("terms", bucket.minute, top.observed, top.expected,
                                  top.surprise, tuple((h.term, h.surprise) for h in hits[:8])))
        return signals

    def _negative_share(self, bucket: Bucket, threshold: float, armed: bool) -> list[Signal]:
        s = self.settings
        neg = sum(n for n, _ in self.share_window)
        total = sum(t for _, t in self.share_window)
        if self.share is None:
            if total:
                self.share = neg / total
            return []
        p0 = min(max(self.share, 0.02), 0.98)
        surprise = surprise_of(binomial_tail(neg, total, p0)) if total else 0.0
        self.last["negative_share"] = surprise
        out = []
        if (armed and total >= s.min_share_volume and neg / total >= p0 + s.min_share_lift
                and surprise >= threshold):
            out.append(Signal("negative_share", bucket.minute, round(neg / total, 3),
                              round(p0, 3), round(surprise, 2)))
        if bucket.mentions and surprise < threshold / 2:
            w = (1 - 0.5 ** (1 / s.half_life)) * min(1.0, bucket.mentions / 5)
            self.share += w * (bucket.negative / bucket.mentions - self.share)
        return out

    def to_state(self) -> dict:
        """JSON-safe state so a restarted pipeline resumes with its learned baseline."""
        return {"seen": self.seen, "share": self.share, "share_window": self.share_window,
                "series": {k: asdict(v) for k, v in self.series.items()},
                "terms": asdict(self.terms)}

    @classmethod
    def from_state(cls, state: dict, settings: Settings | None = None) -> Detector:
        d = cls(settings or Settings())
        d.seen, d.share = state.get("seen", 0), state.get("share")
        d.share_window = [tuple(x) for x in state.get("share_window", [])]
        d.series = {k: CountSeries.from_dict(v) for k, v in state.get("series", {}).items()}
        if "terms" in state:
            t = state["terms"]
            d.terms = TermTracker(rates={k: list(v) for k, v in t["rates"].items()},
                                  volume=t["volume"], window=[dict(w) for w in t["window"]],
                                  window_mentions=list(t["window_mentions"]))
        return d


def detect(buckets: list[Bucket], settings: Settings | None = None) -> list[Signal]:
    """Run a fresh detector over a whole series (for tests and offline scoring)."""
    detector = Detector(settings or Settings())
    return [signal for b in buckets for signal in detector.update(b)]


def is_count_series(values: list[float]) -> bool:
    return all(v >= 0 and float(v).is_integer() for v in values)


def score_series(times: list[datetime], values: list[float],
                 settings: Settings | None = None) -> list[float]:
    """Anomaly score in [0, 1] for each point of a generic series, causally.

    Non-negative integer series are counts and go through the live pipeline's count
    detector (`CountSeries`: seasonal Poisson baseline, upward surprises); any other
    series through the robust z-score (`GaugeSeries`, two-sided). Points during the
    warm-up score 0.
    """
    s = settings or Settings()
    threshold = s.surprise_threshold()
    per_hour = max(1, round(60 / s.interval_minutes))
    counts = is_count_series(values)
    series: CountSeries | GaugeSeries = CountSeries() if counts else GaugeSeries()
    out = []
    for i, (at, value) in enumerate(zip(times, values)):
        if counts:
            step = series.step(at, value, window=s.window, half_life=s.half_life,
                               drift_half_life=s.drift_half_life, min_rate=s.min_rate,
                               learn_below=threshold / 2, per_hour=per_hour)
        else:
            step = series.step(value, half_life=s.gauge_half_life,
                               scale_half_life=s.half_life, learn_below=threshold / 2)
        out.append(0.0 if step is None or i < s.warmup else round(score_of(step.surprise), 6))
    return out
