"""Streaming, causal early-warning detectors over per-minute buckets (the live pipeline).

Series tested every bucket (each output depends only on buckets already seen):

- counts: mention volume, negative mentions, rumour mentions, support tickets, and
  reach-weighted negativity (each negative mention weighs 1 + log2(1 + followers/10,000):
  an account with 500k followers counts as about seven ordinary ones, 50k as 3.6, 1k as
  1.1), each by the multi-scale count detector (`signals.counts.CountDetector`: 5 minutes
  to a day at once, negative-binomial tails against a seasonal, level-following,
  uncertainty-aware expectation; relative tests, no absolute floors);
- the negative share of mentions (binomial), once there is enough volume to mean
  something and the share has also risen by a margin;
- emerging terms: words and hashtags whose share of mentions departs from their own
  history (`signals.terms`).

The threshold is what users care about: `Settings.false_alarms_per_week` (default 1) is
converted into the surprise, -log10(p), each test must pass, by spreading that budget
over every test the detector makes in a week (buckets per week x series tested): a
Bonferroni bound, so the real rate is lower where tests overlap (measured on calm data by
`benchmarks/bench_signals.py`). Baselines stop learning while their series is anomalous,
so a long crisis does not teach the detector that crisis is normal, and the state is
JSON-safe so a restarted pipeline, or another worker, resumes exactly where it stopped.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import datetime

from signals.baseline import binomial_tail, surprise_of
from signals.counts import SCALES, CountDetector
from signals.terms import TermTracker

MINUTES_PER_WEEK = 7 * 24 * 60
COUNT_SERIES = ("mentions", "negative", "rumours", "tickets", "reach")
TESTS_PER_BUCKET = len(COUNT_SERIES) + 2  # the counts, the negative share, the terms
STATE_VERSION = 3  # 1: seasonal Poisson (before issue 14); 2: multi-scale without episodes


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
    conversion stays right for series that are not per minute. `scales` are the windows
    (minutes) every count series is tested over at once.
    """

    false_alarms_per_week: float = 1.0
    threshold: float | None = None
    interval_minutes: float = 1.0
    scales: tuple[int, ...] = SCALES
    window: int = 5  # buckets the reach guard counts negative mentions over
    share_window: int = 10  # buckets pooled for the negative share and for terms
    half_life: float = 45.0  # buckets; how fast the negative share's baseline follows
    warmup: int = 60  # buckets of history before the detector may fire
    min_share_volume: int = 20  # mentions needed before the negative share means anything
    min_share_lift: float = 0.15  # share must also rise this much above its baseline
    share_warmup: int = 200  # mentions averaged into the share baseline before it is tested
    # Reach is a weighted count: one complaint from a 500k account weighs 7, so without
    # this a single post would be "news"; several negative posts are needed.
    min_reach_mentions: int = 3
    min_term_count: int = 8  # mentions containing a term in the window before it is news
    term_floor: float = 0.01  # a never-seen term is assumed to be in 1% of mentions
    term_lift: float = 2.0  # and must at least double its usual share
    term_half_life: float = 1440.0
    max_terms: int = 3000

    def surprise_threshold(self) -> float:
        if self.threshold is not None:
            return self.threshold
        tests = MINUTES_PER_WEEK / self.interval_minutes * TESTS_PER_BUCKET
        return -math.log10(max(self.false_alarms_per_week, 1e-9) / tests)

    def count_detector(self, state: dict | None = None) -> CountDetector:
        """A count detector for one series under these settings (resuming ``state``)."""
        params = {"bucket_minutes": self.interval_minutes, "scales": self.scales,
                  "warmup_minutes": self.warmup * self.interval_minutes}
        if state is None:
            return CountDetector(**params)
        return CountDetector.from_state(state, **params)


@dataclass
class Detector:
    """Feed buckets in minute order with `update`; get the signals each one raises.
    `last` holds the surprise of every series at the latest bucket (for scoring)."""

    settings: Settings = field(default_factory=Settings)
    seen: int = 0
    series: dict[str, CountDetector] = field(default_factory=dict)
    share: float | None = None
    share_seen: int = 0  # mentions the share baseline has started from (to share_warmup)
    share_neg: int = 0
    share_window: list[tuple[int, int]] = field(default_factory=list)
    terms: TermTracker = field(default_factory=TermTracker)
    last: dict[str, float] = field(default_factory=dict, compare=False)

    def update(self, bucket: Bucket) -> list[Signal]:
        s = self.settings
        threshold = s.surprise_threshold()
        self.seen += 1
        armed = self.seen > s.warmup
        self.share_window = (self.share_window + [(bucket.negative, bucket.mentions)])[
            -s.share_window:]
        signals: list[Signal] = []
        self.last = {}
        for kind in COUNT_SERIES:
            series = self.series.get(kind)
            if series is None:
                series = self.series[kind] = s.count_detector()
            step = series.update(bucket.minute, getattr(bucket, kind))
            self.last[kind] = step.surprise
            enough = True
            if kind == "reach":
                negatives = sum(n for n, _ in self.share_window[-s.window:])
                enough = negatives >= s.min_reach_mentions
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
        if self.share is None or self.share_seen < s.share_warmup:
            # the baseline share starts as the mean of the first share_warmup mentions:
            # one minute's share (often 0) would make the first complaints "news"
            self.share_seen += bucket.mentions
            self.share_neg += bucket.negative
            if self.share_seen:
                self.share = self.share_neg / self.share_seen
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
        return {"version": STATE_VERSION, "seen": self.seen, "share": self.share,
                "share_seen": self.share_seen, "share_neg": self.share_neg,
                "share_window": self.share_window,
                "series": {k: v.to_state() for k, v in self.series.items()},
                "terms": asdict(self.terms)}

    @classmethod
    def from_state(cls, state: dict, settings: Settings | None = None) -> Detector:
        """Resume ``state`` (from ``to_state``). Raises ValueError for a state this code
        cannot resume (another version, or saved under other settings): the caller
        decides what to rebuild it from (``signals.detect`` replays the stored history)."""
        d = cls(settings or Settings())
        if not state:
            return d
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"detector state version {state.get('version', 1)!r} is not "
                             f"{STATE_VERSION}")
        d.seen, d.share = state["seen"], state["share"]
        d.share_seen, d.share_neg = state["share_seen"], state["share_neg"]
        d.share_window = [tuple(x) for x in state["share_window"]]
        d.series = {k: d.settings.count_detector(v) for k, v in state["series"].items()}
        t = state["terms"]
        d.terms = TermTracker(rates={k: list(v) for k, v in t["rates"].items()},
                              volume=t["volume"], window=[dict(w) for w in t["window"]],
                              window_mentions=list(t["window_mentions"]))
        return d


def detect(buckets: list[Bucket], settings: Settings | None = None) -> list[Signal]:
    """Run a fresh detector over a whole series (for tests and offline scoring)."""
    detector = Detector(settings or Settings())
    return [signal for b in buckets for signal in detector.update(b)]
