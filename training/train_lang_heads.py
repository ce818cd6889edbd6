"""Per-language sentiment heads on the fine-tuned encoder: ``python -m training.train_lang_heads``.

For each language asked for (default: the product's two, English and French), fits a logistic
regression on that language's train split, embedded by the scoring encoder (adapters merged,
same backend as the scorer), picks C on its val split, and adds it to
``sentiment/weights/sentiment_head.npz`` **only if** it beats the shared head on that val
split (by TweetEval's macro-recall for English, XLM-T's macro-F1 otherwise). A language head can fit a language's own wording and label habits, which the shared head,
dominated by English rows, averages away. Run after ``training.train_adapter``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.model import HEAD_PATH, E5Encoder, LinearHead
from training.common import (
    DEFAULT_CACHE,
    DEFAULT_DATA,
    embed_cached,
    load_texts,
    macro_f1,
    macro_recall,
)

DATASETS = {"en": "tweeteval_en", "fr": "xlmt_fr", "de": "xlmt_de", "es": "xlmt_es", "it": "xlmt_it", "pt": "xlmt_pt"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--langs", nargs="*", default=["en", "fr"], choices=sorted(DATASETS))
    ap.add_argument("--en-train", type=int, default=0, help="tweeteval train subsample (0 = all)")
    ap.add_argument("--head", type=Path, default=HEAD_PATH)
    ap.add_argument("--min-gain", type=float, default=0.01, help="val macro-F1 a head must add")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no training data at {args.data}", file=sys.stderr)
        return 2
    from sklearn.linear_model import LogisticRegression

    encoder = E5Encoder(args.cache_dir)
    shared = LinearHead(args.head)
    texts = load_texts(args.data, args.en_train)
    kept: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    report: dict[str, dict] = {}
    for lang in args.langs:
        splits = texts[DATASETS[lang]]
        (Xt, yt), (Xv, yv) = (
            (embed_cached(encoder, splits[s][0], args.cache_dir / "embeddings"), splits[s][1])
            for s in ("train", "val")
        )
        # TweetEval's own metric is macro-recall; XLM-T's is macro-F1.
        metric = macro_recall if lang == "en" else macro_f1
        base = metric(yv, shared.probabilities(Xv).argmax(1))
        best = None
        for C in (0.5, 1.0, 2.0, 4.0, 8.0, 16.0):
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000).fit(Xt, yt)
            f1 = metric(yv, lr.predict(Xv))
            print(f"{lang}: C={C:<5} val {metric.__name__} {f1:.4f} (shared head {base:.4f})",
                  file=sys.stderr)  # fmt: skip
            if best is None or f1 > best[0]:
                best = (f1, C, lr)
        f1, C, lr = best
        keep = f1 >= base + args.min_gain
        report[lang] = {"metric": metric.__name__, "shared_val": round(base, 4), "lang_val": round(f1, 4), "C": C,
                        "kept": keep, "train_rows": len(yt)}  # fmt: skip
        if keep:
            order = [list(lr.classes_).index(i) for i in range(3)]
            kept[lang] = (
                lr.coef_[order].astype(np.float32),
                lr.intercept_[order].astype(np.float32),
            )

    with np.load(args.head, allow_pickle=False) as z:
        fields = {k: z[k] for k in z.files if not k.startswith("lang_")}
    meta = json.loads(str(fields.get("meta", "{}")))
    meta["lang_heads"] = report
    fields["meta"] = np.array(json.dumps(meta))
    if kept:
        fields["lang_codes"] = np.array(list(kept))
        fields["lang_coef"] = np.stack([c for c, _ in kept.values()])
        fields["lang_intercept"] = np.stack([b for _, b in kept.values()])
    np.savez_compressed(args.head, **fields)
    print(json.dumps(report, indent=1))
    print(f"wrote {args.head} (language heads: {', '.join(kept) or 'none'})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
