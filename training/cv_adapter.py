"""Cross-validate the whole sentiment recipe, adapters included: ``python -m training.cv_adapter``.

The complement of ``training.cv_sentiment`` (which keeps the shipped adapters and can only hold
out val rows): here train and val rows of every set are pooled and split into ``--folds``
stratified folds (by set and label). For each held-out fold, on the other folds only:

1. a tenth of the rows (stratified) is set aside as the fold's inner val;
2. the frozen-encoder head is fitted (logistic regression, balanced, ``--frozen-c``) on the
   base embedding of the remaining rows, and starts the adapter training, as in
   ``training.train_head`` -> ``training.train_adapter``;
3. adapters + head are trained (``training.train_adapter``'s recipe: LoRA on layers
   ``--first``.., AdamW, warm-up, linear decay, balanced loss, French rows repeated); the
   epoch (0 = the frozen model) with the best inner-val selection score is kept;
4. English and French heads are fitted on the tuned embedding of their set's training rows,
   C (``train_lang_heads``' grid) chosen by the head's own score on its set's inner-val rows,
   kept only if that beats the shared head there by ``--min-gain`` (``train_lang_heads``' rule,
   with the inner val in the role of the val split).

The held-out fold is then scored: TweetEval rows by macro-recall, XLM-T rows by macro-F1, rows
routed to a language head by ``detect_language`` as the scorer does. Pooled over the folds,
each pooled row is predicted once by a model that never saw it and whose every choice was made
without it. Training runs in fp32 or, with ``--bf16``, under bf16 autocast (CPUs with AMX).

Layers ``0..first-1`` are frozen in every fold, so their output is computed once for the whole
pool, and so is the base encoder's embedding (the frozen head's input and the epoch-0 score).
Cost: about ``epochs * 0.9 * (folds - 1) / folds * rows`` training texts per fold (plus the
French repeats), and about as many forward-only texts, each a third to a fifth of a training text's cost.

Differences from the shipped run (fewer training rows can only make the estimate pessimistic;
bf16 is expected to be about neutral, not measured against fp32 here):
``--en-rows`` may subsample the English pool (the shipped adapters saw all 47,444 train
rows); each fold trains on (folds-1)/folds * 0.9 of the pool; the frozen head is fitted on
the fold's rows (train_head: 16,000 English train rows + the XLM-T train rows), and
``--bf16`` trains under autocast where train_adapter trains in fp32.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from training.common import DEFAULT_CACHE, DEFAULT_DATA, load_texts, macro_f1, macro_recall

LANG_SETS = {"en": "tweeteval_en", "fr": "xlmt_fr"}
LANG_C_GRID = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)  # training.train_lang_heads' grid


def pool_rows(data, exclude: tuple[str, ...], en_rows: int, rng) -> tuple[list[str], np.ndarray,
                                                                          np.ndarray]:  # fmt: skip
    """(texts, labels, set names) of train + val of every set not excluded; tweeteval is
    subsampled to ``en_rows`` (0 = all). Texts seen twice (across sets) are kept once."""
    texts, labels, sets, seen = [], [], [], set()
    for name, splits in data.items():
        if name in exclude:
            continue
        rows = [(t, y) for s in ("train", "val") for t, y in zip(*splits[s])]
        if name == "tweeteval_en" and en_rows and len(rows) > en_rows:
            rows = [rows[i] for i in rng.permutation(len(rows))[:en_rows]]
        for t, y in rows:
            if t not in seen:
                seen.add(t)
                texts.append(t)
                labels.append(int(y))
                sets.append(name)
    return texts, np.array(labels), np.array(sets)


def strata(labels: np.ndarray, sets: np.ndarray) -> np.ndarray:
    return np.array([f"{s}/{y}" for s, y in zip(sets, labels)])


def score_sets(y, pred, sets) -> dict[str, float]:
    """Each set's official measure on the rows of that set; a set whose rows lack one of the
    classes is left out. XLM-T's English set is one: 2,030 of its 2,163 texts are TweetEval
    texts (one relabelled), so after ``pool_rows`` keeps each text once, its 133 rows are
    all negative and a three-class macro score caps at 1/3 (the "0.31"
    of the first full-recipe run)."""
    out, classes = {}, set(np.unique(y))
    for name in sorted(set(sets)):
        m = sets == name
        if set(np.unique(y[m])) != classes:
            continue
        metric = macro_recall if name == "tweeteval_en" else macro_f1
        out[name] = metric(y[m], pred[m])
    return out


def selection(scores: dict[str, float]) -> float:
    """train_adapter's criterion: mean of EN macro-recall and the mean XLM-T macro-F1."""
    xlmt = [v for k, v in scores.items() if k.startswith("xlmt_")]
    return (scores.get("tweeteval_en", 0.0) + (float(np.mean(xlmt)) if xlmt else 0.0)) / 2


def embed_rows(model, first: int, feats, idx, bf16: bool) -> np.ndarray:
    """Pooled embedding (n, hidden) of the rows ``idx`` from their cached lower-layer
    features, with whatever adapters ``model`` carries, batched by length, in eval mode."""
    import torch

    from training.train_adapter import upper_forward

    model.eval()
    idx = np.asarray(idx)
    out = np.zeros((len(idx), model.config.hidden_size), np.float32)
    order = np.argsort([len(feats[i]) for i in idx])
    with torch.inference_mode(), torch.autocast("cpu", torch.bfloat16, enabled=bf16):
        for s in range(0, len(order), 64):
            part = order[s : s + 64]
            pooled = upper_forward(model, first, [feats[idx[j]] for j in part])
            out[part] = pooled.float().numpy()
    return out


def run_fold(args, model, feats, base_emb, y, sets, texts, train_idx, test_idx, rng) -> dict:
    """Train the recipe on ``train_idx`` (choices on its inner val) and predict ``test_idx``.

    ``base_emb``: the base encoder's embedding of every pooled row (the model with zero
    adapters, which is what the frozen head is fitted on and what epoch 0 scores)."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    from sentiment.language import detect_language
    from training.train_adapter import length_batches, lora_layers, upper_forward

    fit_idx, inner_idx = train_test_split(train_idx, test_size=0.1, random_state=args.seed,
                                          stratify=strata(y, sets)[train_idx])  # fmt: skip
    adapters = lora_layers(model, args.first, args.rank, alpha=2.0 * args.rank)
    head = torch.nn.Linear(model.config.hidden_size, 3)

    def embed(idx) -> np.ndarray:
        return embed_rows(model, args.first, feats, idx, args.bf16)

    # Frozen-encoder head on the base encoder's embedding, as train_head does.
    frozen = LogisticRegression(C=args.frozen_c, class_weight="balanced", max_iter=2000)
    frozen.fit(base_emb[fit_idx], y[fit_idx])
    order = [list(frozen.classes_).index(i) for i in range(3)]
    head.weight.data = torch.from_numpy(frozen.coef_[order].astype(np.float32))
    head.bias.data = torch.from_numpy(frozen.intercept_[order].astype(np.float32))

    params = [p for a in adapters.values() for p in (a.A, a.B)] + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    counts = np.bincount(y[fit_idx], minlength=3)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(len(fit_idx) / (3 * counts), dtype=torch.float32))
    repeat = {name: int(k) for name, _, k in (r.partition("=") for r in args.repeat)}
    epoch_rows = np.concatenate([np.full(repeat.get(sets[i], 1), i) for i in fit_idx])
    lengths = np.array([len(f) for f in feats])
    steps = args.epochs * math.ceil(len(epoch_rows) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, k / 100) * max(0.0, 1 - k / steps))
    yt = torch.from_numpy(y)

    def inner_score(X_inner: np.ndarray) -> float:
        with torch.inference_mode():
            pred = head(torch.from_numpy(X_inner)).argmax(1).numpy()
        return selection(score_sets(y[inner_idx], pred, sets[inner_idx]))

    def snapshot():
        return ({k: (a.A.detach().clone(), a.B.detach().clone()) for k, a in adapters.items()},
                (head.weight.detach().clone(), head.bias.detach().clone()))  # fmt: skip

    history = [inner_score(base_emb[inner_idx])]
    best, best_epoch, best_state = history[0], 0, snapshot()
    t0, c0, done = time.monotonic(), time.process_time(), 0
    for epoch in range(1, args.epochs + 1):
        batches = length_batches(lengths[epoch_rows], args.batch, rng)
        for k, b in enumerate(batches):
            rows = epoch_rows[b]
            model.train()
            with torch.autocast("cpu", torch.bfloat16, enabled=args.bf16):
                logits = head(upper_forward(model, args.first, [feats[i] for i in rows]))
            loss = loss_fn(logits.float(), yt[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            done += len(rows)
            if k % 200 == 0:
                print(f"  epoch {epoch} batch {k}/{len(batches)}: "
                      f"{done / (time.monotonic() - t0):.1f} texts/s wall, "
                      f"{done / (time.process_time() - c0):.1f} per CPU-second",
                      file=sys.stderr, flush=True)  # fmt: skip
        history.append(inner_score(embed(inner_idx)))
        print(f"  epoch {epoch}: inner selection {history[-1]:.4f} "
              f"({done / (time.monotonic() - t0):.1f} texts/s wall, "
              f"{done / (time.process_time() - c0):.1f} per CPU-second)",
              file=sys.stderr, flush=True)  # fmt: skip
        if history[-1] > best:
            best, best_epoch, best_state = history[-1], epoch, snapshot()
    for k, (A, B) in best_state[0].items():
        adapters[k].A.data, adapters[k].B.data = A, B
    head.weight.data, head.bias.data = best_state[1]

    # Language heads on the tuned embedding, kept only if they add min_gain on the inner val.
    # They are fitted on their own set's rows only, so only those rows of fit_idx are embedded.
    lang_fit = fit_idx[np.isin(sets[fit_idx], list(LANG_SETS.values()))]
    X_inner, X_test = embed(inner_idx), embed(test_idx)
    X_fit = np.zeros((len(fit_idx), X_test.shape[1]), np.float32)
    X_fit[np.isin(fit_idx, lang_fit)] = embed(lang_fit)
    langs_test = np.array([detect_language(texts[i]) for i in test_idx])
    with torch.inference_mode():
        shared_inner = head(torch.from_numpy(X_inner)).numpy()
        test_logits = head(torch.from_numpy(X_test)).numpy()
    heads = choose_lang_heads(X_fit, y[fit_idx], sets[fit_idx], X_inner, y[inner_idx],
                              sets[inner_idx], shared_inner, args.min_gain)  # fmt: skip
    for lang, lr in heads.items():
        m = langs_test == lang
        if lr is not None and m.any():
            test_logits[m] = ordered_log_proba(lr, X_test[m])
    lang_choice = {lang: None if lr is None else lr.C for lang, lr in heads.items()}
    return {"pred": test_logits.argmax(1), "best_epoch": best_epoch,
            "inner_history": [round(h, 4) for h in history], "lang_heads": lang_choice}  # fmt: skip


def ordered_log_proba(model, X: np.ndarray) -> np.ndarray:
    """Log-probabilities in LABELS order whatever order the classifier keeps its classes in."""
    return model.predict_log_proba(X)[:, [list(model.classes_).index(i) for i in range(3)]]


def choose_lang_heads(X_fit, y_fit, sets_fit, X_inner, y_inner, sets_inner, shared_inner,
                      min_gain: float, min_rows: int = 30) -> dict:  # fmt: skip
    """{lang: fitted head or None} for the EN and FR sets, as ``training.train_lang_heads``
    chooses them (with the fold's inner val in the role of the val split): per language a
    balanced logistic regression on that set's fitting rows for each C of ``LANG_C_GRID``; the
    C with the best score of that head alone on the set's inner-val rows (its official
    measure) wins, and the head is kept only if that score beats the shared head's
    (``shared_inner``: logits) on the same rows by ``min_gain``. Sets with fewer than
    ``min_rows`` rows on either side are skipped (too few to choose anything). The choice
    does not route by language (train_lang_heads does not); the held-out fold is routed by
    detected language, as the scorer does."""
    from sklearn.linear_model import LogisticRegression

    heads = {}
    for lang, name in LANG_SETS.items():
        on, here = sets_fit == name, sets_inner == name
        if on.sum() < min_rows or here.sum() < min_rows:
            continue
        metric = macro_recall if name == "tweeteval_en" else macro_f1
        base = metric(y_inner[here], shared_inner[here].argmax(1))
        best = None
        for C in LANG_C_GRID:
            lr = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
            lr.fit(X_fit[on], y_fit[on])
            f = metric(y_inner[here], lr.predict(X_inner[here]))
            if best is None or f > best[0]:
                best = (f, lr)
        heads[lang] = best[1] if best[0] >= base + min_gain else None
    return heads


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--folds", type=int, default=3)
    ap.add_argument("--en-rows", type=int, default=0, help="tweeteval rows pooled (0 = all)")
    ap.add_argument("--per-set", type=int, default=0,
                    help="at most this many rows of each XLM-T set (0 = all; for smoke runs)")  # fmt: skip
    ap.add_argument("--first", type=int, default=4)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--frozen-c", type=float, default=2.0)
    ap.add_argument("--min-gain", type=float, default=0.01)
    ap.add_argument("--exclude", nargs="*", default=["xlmt_hi"])
    ap.add_argument("--repeat", nargs="*", default=["xlmt_fr=3"])
    ap.add_argument("--bf16", action="store_true", help="bf16 autocast (native on AMX CPUs)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only-folds", type=int, nargs="*", default=None,
                    help="run only these folds (0-based) of the same split, e.g. to spread a "
                         "CV over several sessions; pooled figures then cover their rows")  # fmt: skip
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.data.is_dir():
        print(f"no sentiment data at {args.data}", file=sys.stderr)
        return 2
    import torch
    from sklearn.model_selection import StratifiedKFold
    from transformers import AutoModel, AutoTokenizer

    from sentiment.encoder_build import ensure_encoder_dir
    from training.train_adapter import frozen_features

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    data = load_texts(args.data, 0)
    if args.per_set:
        for name, splits in data.items():
            if name != "tweeteval_en":
                for s, (t, y) in splits.items():
                    n = max(3, args.per_set * len(t) // (len(splits["train"][0]) +
                                                         len(splits["val"][0])))  # fmt: skip
                    splits[s] = (t[:n], y[:n])
    texts, y, sets = pool_rows(data, tuple(args.exclude), args.en_rows, rng)
    print(f"pool: {len(texts)} rows; " + ", ".join(
        f"{n} {int((sets == n).sum())}" for n in sorted(set(sets))), file=sys.stderr)  # fmt: skip
    path = ensure_encoder_dir(args.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, dtype=torch.float32, attn_implementation="eager")
    for p in model.parameters():
        p.requires_grad_(False)
    model.eval()
    t0, c0 = time.monotonic(), time.process_time()
    with torch.autocast("cpu", torch.bfloat16, enabled=args.bf16):
        feats = frozen_features(model, tokenizer, texts, args.first)
    print(f"frozen layers: {time.monotonic() - t0:.0f} s wall, "
          f"{time.process_time() - c0:.0f} s CPU", file=sys.stderr)  # fmt: skip
    # The base encoder (zero adapters) is the same in every fold: embed the pool once.
    t0, c0 = time.monotonic(), time.process_time()
    base_emb = embed_rows(model, args.first, feats, np.arange(len(texts)), args.bf16)
    print(f"base embedding: {time.monotonic() - t0:.0f} s wall, "
          f"{time.process_time() - c0:.0f} s CPU", file=sys.stderr, flush=True)  # fmt: skip

    pred = np.zeros(len(y), int)
    held_out = np.zeros(len(y), bool)
    folds = []
    split = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=args.seed)
    for f, (train_idx, test_idx) in enumerate(split.split(np.zeros(len(y)), strata(y, sets))):
        if args.only_folds is not None and f not in args.only_folds:
            continue
        t0, c0 = time.monotonic(), time.process_time()
        # Seeded per fold, so a fold run alone (--only-folds) trains as it does in a full run.
        torch.manual_seed(args.seed * 1000 + f)
        fold_rng = np.random.default_rng([args.seed, f])
        # a fresh copy of the base layers per fold (lora_layers wraps them in place)
        fold_model = AutoModel.from_pretrained(path, dtype=torch.float32,
                                               attn_implementation="eager")  # fmt: skip
        for p in fold_model.parameters():
            p.requires_grad_(False)
        res = run_fold(args, fold_model, feats, base_emb, y, sets, texts, train_idx, test_idx,
                       fold_rng)  # fmt: skip
        pred[test_idx] = res.pop("pred")
        held_out[test_idx] = True
        res = {"fold": f, **res}
        res["scores"] = {k: round(v, 4) for k, v in
                         score_sets(y[test_idx], pred[test_idx], sets[test_idx]).items()}  # fmt: skip
        res["wall_s"] = round(time.monotonic() - t0)
        res["cpu_s"] = round(time.process_time() - c0)
        folds.append(res)
        print(f"fold {f}: {json.dumps(res)}", file=sys.stderr, flush=True)
        if args.out:  # the folds done so far survive an interrupted run
            args.out.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                            "folds": folds}, indent=1))  # fmt: skip
    pooled = {k: round(v, 4) for k, v in
              score_sets(y[held_out], pred[held_out], sets[held_out]).items()}  # fmt: skip
    spread = {name: {"fold_mean": round(float(np.mean(v)), 4),
                     "fold_sd": round(float(np.std(v, ddof=1)), 4) if len(v) > 1 else None}
              for name, v in ((n, [fr["scores"][n] for fr in folds]) for n in pooled)}  # fmt: skip
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "rows": len(y),
              "rows_held_out": int(held_out.sum()),
              "rows_per_set": {n: int((sets == n).sum()) for n in sorted(set(sets))},
              "pooled": pooled, "per_fold_spread": spread, "folds": folds}  # fmt: skip
    text = json.dumps(report, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
