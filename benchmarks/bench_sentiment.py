"""Throughput and memory of the embedded sentiment model.

    python benchmarks/bench_sentiment.py [--n 1000] [--backend auto|onnx-int8|torch] [--bf16]
                                         [--cache-dir DIR]

Scores N tweets (tweeteval val from ../shared when present, else synthetic ones of similar
length) and prints load time, tweets/s and peak RSS. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # runnable from a checkout without installing

from sentiment.model import BACKENDS, EmbeddedSentiment

SHARED_VAL = ROOT.parent / "shared" / "data" / "sentiment" / "tweeteval_en" / "val.tsv"


def tweets(n: int) -> tuple[list[str], str]:
    if SHARED_VAL.is_file():
        with open(SHARED_VAL, encoding="utf-8") as fh:
            rows = [line.rstrip("\n").partition("\t")[2] for line in list(fh)[1:]]
        return (rows * (n // len(rows) + 1))[:n], str(SHARED_VAL)
    rng = random.Random(0)
    subjects = ["@acme", "the app", "le site", "your support", "my order", "checkout", "login"]
    verbs = ["is down again", "est en panne", "works great", "has been broken for hours",
             "ne marche plus", "was fixed quickly, thanks", "keeps crashing"]  # fmt: skip
    tails = ["", " #fail", " 😡", " http://t.co/x", " since this morning, unacceptable", " 👍"]
    texts = [
        " ".join(rng.choice(subjects) + " " + rng.choice(verbs) + rng.choice(tails)
                 for _ in range(rng.randint(1, 3)))
        for _ in range(n)
    ]  # fmt: skip
    return texts, "synthetic"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--backend", default="auto", choices=BACKENDS)
    ap.add_argument("--bf16", action="store_true", help="force bf16 autocast (torch backend)")
    ap.add_argument("--cache-dir", type=Path, default=Path.home() / ".cache" / "crisiswatch")
    args = ap.parse_args()

    texts, source = tweets(args.n)
    t0 = time.perf_counter()
    model = EmbeddedSentiment(
        args.cache_dir, backend=args.backend, bf16=True if args.bf16 else None
    )
    load_s = time.perf_counter() - t0
    model.predict(texts[:32])  # warm-up: first-call allocations and kernel selection
    t0 = time.perf_counter()
    model.predict(texts)
    elapsed = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print(f"model      {model.name}")
    print(f"texts      {len(texts)} from {source}")
    print(f"backend    {model.encoder.backend} ({model.encoder.identity.rsplit('+', 1)[1]}), "
          f"{model.encoder.threads} threads")  # fmt: skip
    print(f"load       {load_s:.1f} s (includes the one-time conversion on a cold cache)")
    print(f"throughput {len(texts) / elapsed:.1f} tweets/s ({elapsed:.1f} s)")
    print(f"peak RSS   {peak_mib:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
