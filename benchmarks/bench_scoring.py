"""Throughput and memory of scoring: the model alone, and the scorer on a drill stream.

    python benchmarks/bench_scoring.py [--scenario outage] [--minutes 60] [--cache-dir DIR]

Generates the drill's crisis hour (collectors.drill.DrillCollector.minute() for each minute
from the onset, retweets included), then measures

1. the model alone: EmbeddedSentiment.predict on every mention text, one call per minute
   (no de-duplication: what scoring cost before the scorer's dedup and cache);
2. the scorer: Scorer.score on the same minutes (one call per minute, as score_pending
   does; sentiment + rumour + crisis type from one embedding per distinct text, retweets and
   copies scored once, LRU cache across minutes).

Prints mentions, distinct texts, tweets/s of each, the drill's peak rate and peak RSS.
Run on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from collectors.drill import DrillCollector, DrillPlan
from sentiment.model import EmbeddedSentiment
from sentiment.scorer import Scorer


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def drill_minutes(scenario: str, minutes: int) -> list[list[str]]:
    plan = DrillPlan(scenario=scenario)
    collector = DrillCollector(plan, plan.onset)
    return [[m.text for m in collector.minute(plan.onset + timedelta(minutes=i))[0]]
            for i in range(minutes)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="outage", choices=["outage", "data-leak"])
    ap.add_argument("--minutes", type=int, default=60, help="simulated minutes from the onset")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "crisiswatch")
    args = ap.parse_args(argv)

    batches = drill_minutes(args.scenario, args.minutes)
    texts = [t for b in batches for t in b]
    retweets = sum(t.startswith("RT @") for t in texts)
    print(f"drill {args.scenario}: {len(texts)} mentions over {args.minutes} simulated minutes "
          f"({retweets} retweets, {len(set(texts))} distinct texts); "
          f"peak {max(map(len, batches))} mentions/min")

    t0 = time.perf_counter()
    model = EmbeddedSentiment(args.cache_dir)
    print(f"load: {time.perf_counter() - t0:.1f} s, peak RSS {peak_rss_mib():.0f} MiB")
    model.predict(batches[0][:8])  # warm-up

    t0 = time.perf_counter()
    for b in batches:
        model.predict(b)
    alone = time.perf_counter() - t0
    print(f"model alone : {len(texts) / alone:7.1f} mentions/s ({alone:.1f} s), "
          f"peak RSS {peak_rss_mib():.0f} MiB")

    scorer = Scorer(model)
    t0 = time.perf_counter()
    for b in batches:
        scorer.score(b)
    piped = time.perf_counter() - t0
    st = scorer.stats
    print(f"scorer      : {len(texts) / piped:7.1f} mentions/s ({piped:.1f} s; "
          f"{st['computed']} embedded, {st['cached']} from cache, "
          f"{st['texts'] - st['distinct']} duplicates within a minute), "
          f"peak RSS {peak_rss_mib():.0f} MiB")
    print(f"model: {scorer.name}")
    need = max(map(len, batches)) / 60
    print(f"the drill peaks at {need:.1f} mentions/s; the scorer keeps up "
          f"{len(texts) / piped / need:.0f}x over")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
