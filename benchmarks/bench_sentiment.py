"""Throughput and memory of the embedded sentiment model, and of the product path beside it.

    python benchmarks/bench_sentiment.py [--n 1000] [--backend auto|onnx-int8|torch] [--bf16]
                                         [--cache-dir DIR] [--product TEXTS_FILE]

Scores N tweets (tweeteval val from ../shared when present, else synthetic ones of similar
length) and prints load time, tweets/s, CPU seconds per 1,000 tweets and peak RSS.
``--product FILE`` then runs ``crisiswatch sentiment predict FILE`` (a subprocess, load
included, wall clock) with the same backend and prints its rate and the ratio of the two.
Timings on a shared machine are noisy: compare CPU seconds, and the load average printed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
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
    ap.add_argument("--product", type=Path, metavar="TEXTS_FILE",
                    help="also time `crisiswatch sentiment predict TEXTS_FILE`")
    args = ap.parse_args()

    texts, source = tweets(args.n)
    t0 = time.perf_counter()
    model = EmbeddedSentiment(
        args.cache_dir, backend=args.backend, bf16=True if args.bf16 else None
    )
    load_s = time.perf_counter() - t0
    model.predict(texts[:32])  # warm-up: first-call allocations and kernel selection
    cpu0, t0 = cpu_seconds(resource.RUSAGE_SELF), time.perf_counter()
    model.predict(texts)
    elapsed = time.perf_counter() - t0
    cpu = cpu_seconds(resource.RUSAGE_SELF) - cpu0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print(f"model      {model.name}")
    print(f"texts      {len(texts)} from {source}")
    print(f"backend    {model.encoder.backend} ({model.encoder.identity.rsplit('+', 1)[1]}), "
          f"{model.encoder.threads} runs side by side")  # fmt: skip
    print(f"load       {load_s:.1f} s (includes the one-time conversion on a cold cache)")
    print(f"throughput {len(texts) / elapsed:.1f} tweets/s ({elapsed:.1f} s), "
          f"{1000 * cpu / len(texts):.2f} CPU-s per 1,000 tweets, load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"peak RSS   {peak_mib:.0f} MiB")
    if args.product:
        product(args, model, len(texts) / elapsed, 1000 * cpu / len(texts))
    return 0


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def product(args, model, model_rate: float, model_cpu: float) -> None:
    """Time `crisiswatch sentiment predict` on ``args.product`` with the model's backend."""
    from crisiswatch.sentiment_command import read_texts

    n = len(read_texts(args.product))
    precision = "bf16" if model.encoder.bf16 else "fp32"
    env = {**os.environ, "CRISISWATCH_CACHE_DIR": str(args.cache_dir),
           "CRISISWATCH_SCORING_BACKEND": "onnx-int8" if model.encoder.backend == "onnx-int8"
           else f"torch-{precision}"}  # fmt: skip
    cpu0, t0 = cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
    subprocess.run([sys.executable, "-m", "crisiswatch.cli", "sentiment", "predict",
                    str(args.product), "--output", os.devnull], env=env, check=True)  # fmt: skip
    wall = time.perf_counter() - t0
    cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"product    crisiswatch sentiment predict: {n} texts in {wall:.1f} s = "
          f"{n / wall:.1f} tweets/s wall, load included; {1000 * cpu / n:.2f} CPU-s per "
          f"1,000 (load included); peak RSS {peak:.0f} MiB; load average "
          f"{os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"ratio      product / model alone: {n / wall / model_rate:.2f} (wall), "
          f"{model_cpu / (1000 * cpu / n):.2f} (CPU)")


if __name__ == "__main__":
    raise SystemExit(main())
