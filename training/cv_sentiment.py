"""Cross-validate the sentiment head stage: ``python -m training.cv_sentiment``.

What is cross-validated: everything that is chosen *after* the adapters are trained, i.e. the
per-language heads (whether each is kept, and its C), and the EN/FR wording cues
(``sentiment.lexicons.adjust_sentiment``). What is not: the adapters themselves (their rows,
their epoch); they are the shipped ones (``sentiment/weights/sentiment_adapter.npz``), trained on
the train splits. So the held-out rows must be rows the adapters never saw: the **val** rows
of every set. They are split into ``--folds`` stratified folds; for each fold every choice is
made on the *other* folds' val rows (the inner val), the per-language heads are fitted on the
train rows (as ``training.train_lang_heads`` does), and the fold is scored. Figures are pooled
over the out-of-fold predictions (each val row predicted exactly once) and given per fold.

Rows are routed to a language head by ``sentiment.language.detect_language``, as the scorer
does. TweetEval is scored by its official macro-recall, XLM-T by macro-F1.

Embeddings are cached under ``--emb-cache`` (content-addressed chunks, ``training.common``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.model import LABELS, E5Encoder, LinearHead, softmax
from training.common import (
    DEFAULT_CACHE,
    DEFAULT_DATA,
    embed_cached,
    load_texts,
    macro_f1,
    macro_recall,
)

LANG_SETS = {"en": "tweeteval_en", "fr": "xlmt_fr"}
C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def metric_for(name: str):
    """Each benchmark's official measure: macro-recall for TweetEval, macro-F1 for XLM-T."""
    return macro_recall if name == "tweeteval_en" else macro_f1


def stratified_folds(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Fold index (0..k-1) per row, each class spread evenly over the folds."""
    from sklearn.model_selection import StratifiedKFold

    fold = np.zeros(len(y), int)
    split = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(split.split(np.zeros(len(y)), y)):
        fold[test] = f
    return fold


def apply_cues(texts: list[str], probs: np.ndarray) -> np.ndarray:
    """``probs`` with ``sentiment.lexicons.adjust_sentiment`` applied row by row."""
    from sentiment.lexicons import adjust_sentiment

    out = probs.copy()
    for i, text in enumerate(texts):
        row = adjust_sentiment(text, dict(zip(LABELS, probs[i])))
        out[i] = [row[label] for label in LABELS]
    return out


def fit_lr(X: np.ndarray, y: np.ndarray, C: float, seed: int = 0):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=3000,
                              random_state=seed).fit(X, y)  # fmt: skip


def ordered_proba(model, X: np.ndarray) -> np.ndarray:
    """Probabilities in LABELS order whatever order the classifier keeps its classes in."""
    p = model.predict_proba(X)
    return p[:, [list(model.classes_).index(i) for i in range(3)]]


def cross_validate(val, lang_candidates, shared_probs, langs, folds: int, seed: int,
                   min_gain: float) -> dict:  # fmt: skip
    """Nested choice of the language heads per fold; returns pooled and per-fold figures.

    ``val``: {set: (texts, y)}; ``shared_probs``: {set: (n, 3)} from the shared head;
    ``lang_candidates``: {lang: {C: {set: (n, 3)}}}, each head (fitted on train rows) applied
    to every val row; ``langs``: {set: detected language per val row}."""
    fold_of = {name: stratified_folds(y, folds, seed) for name, (_, y) in val.items()}
    pred = {name: {"no_cues": np.zeros(len(y), int), "cues": np.zeros(len(y), int)}
            for name, (_, y) in val.items()}  # fmt: skip
    choices = []
    for f in range(folds):
        chosen: dict[str, float | None] = {}
        for lang, by_c in lang_candidates.items():
            name = LANG_SETS[lang]
            inner = fold_of[name] != f
            y_in = val[name][1][inner]
            routed = np.array([g == lang for g in langs[name]])
            metric = metric_for(name)

            def routed_score(probs, inner=inner, routed=routed, metric=metric, y_in=y_in,
                             name=name):  # fmt: skip
                mixed = np.where(routed[:, None], probs, shared_probs[name])
                return metric(y_in, mixed[inner].argmax(1))

            base = metric(y_in, shared_probs[name][inner].argmax(1))
            scored = {C: routed_score(p[name]) for C, p in by_c.items()}
            best_c = max(scored, key=scored.get)
            chosen[lang] = best_c if scored[best_c] >= base + min_gain else None
        choices.append(chosen)
        for name, (texts, y) in val.items():
            rows = np.flatnonzero(fold_of[name] == f)
            probs = shared_probs[name][rows].copy()
            for lang, C in chosen.items():
                if C is None:
                    continue
                routed = np.array([langs[name][i] == lang for i in rows])
                probs[routed] = lang_candidates[lang][C][name][rows][routed]
            pred[name]["no_cues"][rows] = probs.argmax(1)
            pred[name]["cues"][rows] = apply_cues([texts[i] for i in rows], probs).argmax(1)
    report: dict = {"folds": folds, "seed": seed, "choices": choices, "sets": {}}
    for name, (_, y) in val.items():
        metric = metric_for(name)
        entry = {"rows": len(y), "metric": metric.__name__}
        for variant, p in pred[name].items():
            per_fold = [metric(y[fold_of[name] == f], p[fold_of[name] == f]) for f in range(folds)]
            entry[variant] = {"pooled": round(metric(y, p), 4),
                              "fold_mean": round(float(np.mean(per_fold)), 4),
                              "fold_sd": round(float(np.std(per_fold, ddof=1)), 4),
                              "per_fold": [round(v, 4) for v in per_fold]}  # fmt: skip
        entry["shared_head_only"] = round(metric(y, shared_probs[name].argmax(1)), 4)
        report["sets"][name] = entry
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--emb-cache", type=Path, default=DEFAULT_CACHE / "embeddings")
    ap.add_argument("--head", type=Path, default=None, help="default: the shipped head")
    ap.add_argument("--adapter", type=Path, default=None, help="default: the shipped adapters")
    ap.add_argument("--en-train", type=int, default=16000,
                    help="tweeteval train rows the English head is fitted on (0 = all)")  # fmt: skip
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    ap.add_argument("--min-gain", type=float, default=0.01)
    ap.add_argument("--out", type=Path, default=None, help="write the JSON report here")
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no sentiment data at {args.data}", file=sys.stderr)
        return 2
    from sentiment.language import detect_language
    from sentiment.model import HEAD_PATH

    kw = {} if args.adapter is None else {"adapter": args.adapter}
    encoder = E5Encoder(args.cache_dir, backend="onnx-int8", **kw)
    head = LinearHead(args.head or HEAD_PATH)
    data = load_texts(args.data, args.en_train)
    emb = {(n, s): embed_cached(encoder, data[n][s][0], args.emb_cache)
           for n in data for s in ("val", "train")
           if s == "val" or n in LANG_SETS.values()}  # fmt: skip
    val = {n: data[n]["val"] for n in data}
    shared = {n: softmax(emb[(n, "val")] @ head.coef.T + head.intercept) for n in data}
    langs = {n: [detect_language(t) for t in val[n][0]] for n in data}
    candidates: dict[str, dict[float, dict[str, np.ndarray]]] = {}
    for lang, name in LANG_SETS.items():
        candidates[lang] = {}
        for C in C_GRID:
            lr = fit_lr(emb[(name, "train")], data[name]["train"][1], C)
            candidates[lang][C] = {n: ordered_proba(lr, emb[(n, "val")]) for n in data}
            print(f"{lang} head C={C}: fitted on {len(data[name]['train'][1])} train rows",
                  file=sys.stderr, flush=True)  # fmt: skip
    reports = [cross_validate(val, candidates, shared, langs, args.folds, seed, args.min_gain)
               for seed in args.seeds]  # fmt: skip
    summary = summarise(reports)
    summary["cue_effect"] = cue_effect(data, emb, head, langs_of=detect_language)
    out = {"encoder": encoder.identity, "head": f"{head.version}-{head.digest}",
           "en_train": args.en_train, "summary": summary, "runs": reports}  # fmt: skip
    text = json.dumps(out, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


def summarise(reports: list[dict]) -> dict:
    """Pooled figures averaged over the repetitions (different fold assignments)."""
    out = {}
    for name in reports[0]["sets"]:
        entry = {}
        for variant in ("no_cues", "cues"):
            pooled = [r["sets"][name][variant]["pooled"] for r in reports]
            entry[variant] = {"pooled_mean": round(float(np.mean(pooled)), 4),
                              "pooled_range": [min(pooled), max(pooled)]}  # fmt: skip
        entry["shared_head_only"] = reports[0]["sets"][name]["shared_head_only"]
        out[name] = entry
    kept = {lang: sum(c[lang] is not None for r in reports for c in r["choices"])
            for lang in LANG_SETS}  # fmt: skip
    out["lang_head_kept_in_folds"] = {lang: f"{k}/{sum(len(r['choices']) for r in reports)}"
                                      for lang, k in kept.items()}  # fmt: skip
    return out


def cue_effect(data, emb, head: LinearHead, langs_of) -> dict:
    """Over every embedded row (train and val; the shipped head with its language heads):
    how often a cue fires, and how many of those rows it turns from wrong to right and from
    right to wrong. The cues have no fitted parameter, so train rows measure them fairly."""
    from sentiment.lexicons import sentiment_cue

    out = {}
    for (name, split), X in emb.items():
        texts, y = data[name][split]
        fired = [i for i, t in enumerate(texts) if sentiment_cue(t)]
        if not fired:
            out[f"{name}/{split}"] = {"rows": len(y), "fired": 0}
            continue
        sub = [texts[i] for i in fired]
        before = head.probabilities(X[fired], [langs_of(t) for t in sub])
        after = apply_cues(sub, before)
        right_before, right_after = before.argmax(1) == y[fired], after.argmax(1) == y[fired]
        out[f"{name}/{split}"] = {
            "rows": len(y), "fired": len(fired),
            "gold": {label: int((y[fired] == k).sum()) for k, label in enumerate(LABELS)},
            "fixed": int((right_after & ~right_before).sum()),
            "broken": int((right_before & ~right_after).sum()),
        }  # fmt: skip
    return out


if __name__ == "__main__":
    raise SystemExit(main())
