"""Early-warning figures: detector throughput, drill detection delay, calm false alarms.

    .venv/bin/python benchmarks/bench_signals.py [--brands 1000] [--minutes 1440]
                                                 [--calm-days 28] [--skip-drill]

1. Throughput: `--brands` independent detectors (one per brand, as a multi-brand
   deployment runs them) fed `--minutes` buckets each, with a handful of terms per bucket,
   in minute order across brands. Prints buckets per second (one core).
2. Detection delay: the headless drill (`crisiswatch.drill.run_drill`, the real pipeline on
   a throwaway SQLite database, with the tests' word-based sentiment model instead of the
   transformer) for both scenarios: seconds from the crisis onset to the first alert, and
   alerts raised before the onset.
3. False alarms: a calm-only drill (a `DrillPlan` whose onset is far beyond the end) of
   `--calm-days` simulated days with the drill's daily and weekly rhythm, scored by the same
   word model, bucketed like `signals.detect.buckets` and fed to the live `Detector`;
   signals are folded into alerts the way `signals.detect` does (a new alert only after an
   hour without signals). Prints alerts per simulated week at the default setting
   (1 false alarm per week) and at 0.1 per week.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from collectors.drill import DrillCollector, DrillPlan
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from sentiment.scorer import Scorer
from signals.alerts import QUIET_CLOSE
from signals.detectors import Bucket, Detector, Settings, reach_weight
from signals.terms import terms_of
from tests.support.word_model import WordModel

T0 = datetime(2026, 3, 2)  # a Monday


def throughput(brands: int, minutes: int) -> float:
    rng = random.Random(1)
    vocab = [f"w{i}" for i in range(200)]
    detectors = [Detector() for _ in range(brands)]
    stream = []
    for m in range(min(minutes, 240)):  # pre-built buckets, recycled: we time the detector
        n = rng.randrange(6)
        stream.append((n, rng.randrange(n + 1) if n else 0, rng.randrange(3),
                       {w: 1 for w in rng.sample(vocab, min(5, n * 2))}))
    began = time.perf_counter()
    for m in range(minutes):
        minute = T0 + timedelta(minutes=m)
        n, neg, tickets, terms = stream[m % len(stream)]
        bucket = Bucket(minute, n, neg, 0, tickets, float(neg), terms)
        for detector in detectors:
            detector.update(bucket)
    return brands * minutes / (time.perf_counter() - began)


def word_pipeline(store):
    """The drill's pipeline with the word model (no transformer to build)."""
    from crisiswatch.pipeline import Pipeline
    from responders.channels.statuspage import StatusPageChannel
    from responders.drafts import Brand

    def factory(collectors):
        return Pipeline(store=store, collectors=collectors, scorer=Scorer(WordModel()),
                        channels={"statuspage": StatusPageChannel(store)}, brand=Brand())
    return factory


def drill_delays() -> list[dict]:
    from crisiswatch.drill import run_drill
    from store import Store

    out = []
    for scenario in ("outage", "data-leak"):
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/drill.db")
            store.upgrade()
            r = run_drill(word_pipeline(store), DrillPlan(scenario))
            store.engine.dispose()
        out.append({k: r[k] for k in ("scenario", "first_alert_after_onset_s",
                                      "alerts_before_onset", "alerts", "mentions")})
    return out


def calm_buckets(days: int) -> list[Bucket]:
    plan = DrillPlan("outage", seed=11, onset=T0 + timedelta(days=days + 30))
    collector = DrillCollector(plan, T0)
    scorer = Scorer(WordModel())
    buckets = []
    for m in range(days * 1440):
        minute = T0 + timedelta(minutes=m)
        mentions, tickets = collector.minute(minute)
        scores = scorer.score([x.text for x in mentions], [x.lang for x in mentions]) \
            if mentions else []
        neg = [x for x, s in zip(mentions, scores) if s.label == "negative"]
        terms: Counter = Counter()
        for x in mentions:
            terms.update(terms_of(x.text))
        buckets.append(Bucket(minute, len(mentions), len(neg),
                              sum(s.rumour >= RUMOUR_THRESHOLD for s in scores),
                              sum(t.count for t in tickets),
                              round(sum(reach_weight(x.author_followers) for x in neg), 4),
                              dict(terms)))
    return buckets


def alerts_of(buckets: list[Bucket], settings: Settings) -> tuple[int, Counter]:
    detector = Detector(settings)
    alerts, last, kinds = 0, None, Counter()
    for b in buckets:
        signals = detector.update(b)
        if signals:
            if last is None or b.minute - last >= QUIET_CLOSE:
                alerts += 1
                kinds.update({s.kind for s in signals})
            last = b.minute
    return alerts, kinds


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--brands", type=int, default=1000)
    p.add_argument("--minutes", type=int, default=1440)
    p.add_argument("--calm-days", type=int, default=28)
    p.add_argument("--skip-drill", action="store_true")
    args = p.parse_args()

    rate = throughput(args.brands, args.minutes)
    print(f"throughput: {rate:,.0f} buckets/s ({args.brands} brands x {args.minutes} min, "
          f"one core); a minute of {args.brands} brands takes "
          f"{args.brands / rate * 1000:.0f} ms")
    if not args.skip_drill:
        for r in drill_delays():
            print(f"drill {r['scenario']}: first alert {r['first_alert_after_onset_s']:.0f} s "
                  f"after onset, {r['alerts_before_onset']} alerts before onset, "
                  f"{r['alerts']} alert(s) in all, {r['mentions']} mentions")
    began = time.perf_counter()
    buckets = calm_buckets(args.calm_days)
    weeks = args.calm_days / 7
    print(f"calm drill: {args.calm_days} simulated days, "
          f"{sum(b.mentions for b in buckets)} mentions "
          f"(generated and scored in {time.perf_counter() - began:.0f} s)")
    for fa in (1.0, 0.1):
        settings = Settings(false_alarms_per_week=fa)
        alerts, kinds = alerts_of(buckets, settings)
        print(f"  setting {fa:g} false alarm/week (surprise >= "
              f"{settings.surprise_threshold():.2f}): {alerts} alerts = "
              f"{alerts / weeks:.2f} per simulated week"
              + (f" (kinds: {dict(kinds)})" if kinds else ""))


if __name__ == "__main__":
    main()
