"""Score the shipped sentiment model on the val splits: ``python -m training.evaluate``.

Runs the model exactly as the scorer does (``EmbeddedSentiment``: encoder, merged adapters,
chosen backend, head) over every ``../shared/data/sentiment/<set>/val.tsv`` and prints, per set,
macro-recall and macro-F1, then the two headline figures of the model card: English TweetEval
macro-recall and French XLM-T macro-F1. ``--backend`` compares the int8 and fp32 builds;
``--backend torch --bf16`` gives what CPUs with native bf16 (AMX, AVX512-BF16) run by default
(emulated, and slow, elsewhere).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.model import BACKENDS, LABELS, EmbeddedSentiment
from training.common import DEFAULT_CACHE, DEFAULT_DATA, macro_f1, macro_recall, read_tsv


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--backend", default="auto", choices=BACKENDS)
    ap.add_argument("--bf16", action="store_true", help="force bf16 autocast (torch backend)")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no evaluation data at {args.data}", file=sys.stderr)
        return 2

    model = EmbeddedSentiment(args.cache_dir, backend=args.backend, bf16=args.bf16 or None)
    figures: dict[str, float] = {}
    for path in sorted(args.data.glob("*/val.tsv")):
        texts, y = read_tsv(path)
        probs = model.predict(texts)
        pred = np.array([LABELS.index(max(p, key=p.__getitem__)) for p in probs])
        name = path.parent.name
        figures[f"{name}/macro_recall"] = round(macro_recall(y, pred), 4)
        figures[f"{name}/macro_f1"] = round(macro_f1(y, pred), 4)
        print(f"{name:14} macro-recall {figures[f'{name}/macro_recall']:.4f}  "
              f"macro-F1 {figures[f'{name}/macro_f1']:.4f}  ({len(texts)} texts)")  # fmt: skip
    print(json.dumps({"model": model.name, **figures}))
    en, fr = figures.get("tweeteval_en/macro_recall"), figures.get("xlmt_fr/macro_f1")
    print(f"EN TweetEval val macro-recall {en}; FR XLM-T val macro-F1 {fr}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
