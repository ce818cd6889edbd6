"""Throughput and memory of scoring: the model alone, and the scorer on a drill stream.

    python benchmarks/bench_scoring.py [--scenario outage] [--minutes 60] [--cache-dir DIR]
                                       [--backend auto|onnx-int8|torch] [--bf16]

Generates the drill's crisis hour (collectors.drill.DrillCollector.minute() for each minute
from the onset, retweets included), then measures

1. the model alone: EmbeddedSentiment.predict on every mention text, one call per minute
   (no de-duplication: what scoring cost before the scorer's dedup and cache);
2. the scorer: Scorer.score on the same minutes (one call per minute, as score_pending
   does; sentiment on the tuned encoder, rumour + crisis type on the base one, the shared
   lower stack once per distinct text; retweets and copies scored once, LRU cache across
   minutes), as mentions/s and as **distinct texts/s** (texts the model actually read: the
   figure that does not depend on the drill's share of duplicates);
3. with ``--real N``: N distinct real tweets (../shared/data/sentiment, several languages)
   through the scorer in batches of 1,024 (as the Scoring stage claims them), then the two
   readings with the shared lower stack (``embed_together``) against two whole passes
   (tuned, then base encoder), alternating, on the same texts.

Prints mentions, distinct texts, the rates and CPU seconds per 1,000 texts of each, the
drill's peak rate, peak RSS and the load average (timings on a shared machine are noisy).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from collectors.drill import DrillCollector, DrillPlan
from sentiment.model import BACKENDS, EmbeddedSentiment, embed_together
from sentiment.scorer import Scorer


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drill_minutes(scenario: str, minutes: int) -> list[list[str]]:
    plan = DrillPlan(scenario=scenario)
    collector = DrillCollector(plan, plan.onset)
    return [[m.text for m in collector.minute(plan.onset + timedelta(minutes=i))[0]]
            for i in range(minutes)]


SHARED = ROOT.parent / "shared" / "data" / "sentiment"
SETS = ("tweeteval_en", "xlmt_fr", "xlmt_de", "xlmt_es", "xlmt_it", "xlmt_pt", "xlmt_ar")


def distinct_real_tweets(n: int) -> list[str]:
    """``n`` distinct train tweets, taken in turn from each set of ``SETS``."""
    per_set = []
    for name in SETS:
        path = SHARED / name / "train.tsv"
        if path.is_file():
            rows = path.read_text(encoding="utf-8").splitlines()[1:]
            per_set.append([r.partition("\t")[2] for r in rows])
    mixed = [t for group in zip(*per_set) for t in group] + per_set[0][len(per_set[-1]):]
    return list(dict.fromkeys(mixed))[:n]


def real_tweets(scorer: Scorer, model: EmbeddedSentiment, n: int) -> None:
    texts = distinct_real_tweets(n)
    if not texts:
        print("real tweets: no data under ../shared/data/sentiment")
        return
    c0, t0 = cpu_seconds(), time.perf_counter()
    for start in range(0, len(texts), 1024):
        scorer.score(texts[start : start + 1024])
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(f"real tweets : {len(texts) / wall:7.1f} distinct texts/s through the scorer "
          f"({len(texts)} texts, batches of 1,024), {1000 * cpu / len(texts):.2f} CPU-s per "
          f"1,000; load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    topic = scorer.encoder
    for _ in range(2):  # alternating, so a burst of load hits both
        c0, t0 = cpu_seconds(), time.perf_counter()
        embed_together([model.encoder, topic], texts)
        shared, shared_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        c0, t0 = cpu_seconds(), time.perf_counter()
        model.encoder.embed(texts)
        topic.embed(texts)
        two, two_cpu = time.perf_counter() - t0, cpu_seconds() - c0
        print(f"  both readings, shared lower stack: {len(texts) / shared:6.1f}/s, "
              f"{1000 * shared_cpu / len(texts):.2f} CPU-s per 1,000; two whole passes: "
              f"{len(texts) / two:6.1f}/s, {1000 * two_cpu / len(texts):.2f} CPU-s per 1,000 "
              f"(load average {os.getloadavg()[0]:.1f})")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="outage", choices=["outage", "data-leak"])
    ap.add_argument("--minutes", type=int, default=60, help="simulated minutes from the onset")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "crisiswatch")
    ap.add_argument("--backend", default="auto", choices=BACKENDS)
    ap.add_argument("--bf16", action="store_true", help="bf16 (torch backend)")
    ap.add_argument("--real", type=int, default=0, metavar="N",
                    help="also score N distinct real tweets (needs ../shared/data)")
    args = ap.parse_args(argv)

    batches = drill_minutes(args.scenario, args.minutes)
    texts = [t for b in batches for t in b]
    retweets = sum(t.startswith("RT @") for t in texts)
    print(f"drill {args.scenario}: {len(texts)} mentions over {args.minutes} simulated minutes "
          f"({retweets} retweets, {len(set(texts))} distinct texts); "
          f"peak {max(map(len, batches))} mentions/min")

    t0 = time.perf_counter()
    model = EmbeddedSentiment(args.cache_dir, backend=args.backend, bf16=args.bf16 or None)
    print(f"load: {time.perf_counter() - t0:.1f} s, backend {model.encoder.identity}, "
          f"peak RSS {peak_rss_mib():.0f} MiB")  # fmt: skip
    model.predict(batches[0][:8])  # warm-up

    t0 = time.perf_counter()
    for b in batches:
        model.predict(b)
    alone = time.perf_counter() - t0
    print(f"model alone : {len(texts) / alone:7.1f} mentions/s ({alone:.1f} s), "
          f"peak RSS {peak_rss_mib():.0f} MiB")

    scorer = Scorer(model)
    scorer.score(batches[0][:8])  # warm-up, and builds the topic encoder
    scorer._cache.clear()
    scorer.stats = dict.fromkeys(scorer.stats, 0)
    c0, t0 = cpu_seconds(), time.perf_counter()
    for b in batches:
        scorer.score(b)
    piped, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    st = scorer.stats
    print(f"scorer      : {len(texts) / piped:7.1f} mentions/s ({piped:.1f} s; "
          f"{st['computed']} embedded, {st['cached']} from cache, "
          f"{st['texts'] - st['distinct']} duplicates within a minute), "
          f"peak RSS {peak_rss_mib():.0f} MiB")
    print(f"scorer      : {st['computed'] / piped:7.1f} distinct texts/s, both readings "
          f"(shared lower stack), {1000 * cpu / st['computed']:.2f} CPU-s per 1,000 distinct; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    if args.real:
        real_tweets(scorer, model, args.real)
    print(f"model: {scorer.name}")
    need = max(map(len, batches)) / 60
    print(f"the drill peaks at {need:.1f} mentions/s; the scorer keeps up "
          f"{len(texts) / piped / need:.0f}x over")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
