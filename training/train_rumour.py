"""Rebuild the rumour head, validated on whole unseen events only: ``python -m training.train_rumour``.

Usage (from the repo root; ``make weights`` runs it with the defaults):
    python -m training.train_rumour [--criterion pooled|rebased] [--balance class|event]
        [--no-ngrams] [--no-leak-rows] [--support N] [--data PHEME.csv] [--cache-dir DIR]
        [--out HEAD.npz]
    python -m training.train_rumour --quick --out /tmp/rumour_head.npz   # smoke run (one setting)

Inputs, per text: the base multilingual-e5-small embedding (no sentiment adapters, the one
``EmbeddedSentiment.topic_encoder()`` gives; cached under ``<cache>/embeddings``, shared with
the other training scripts) and the wording features of ``sentiment.lexicons.rumour_features``
(EN/FR hedges and hearsay, requests to confirm, French journalistic conditional, leak/hack
claims, attribution, breaking-news terms, first-hand experience, complaint and status-update
wording, ...), and (version 3; ``--no-ngrams`` leaves it out) the log-odds of a word 1-2-gram
multinomial naive Bayes (``sentiment.rumour.ngram_counts``: links, handles and digits folded,
n-grams seen in >= 2 training tweets) trained on the fit's PHEME tweets only. It is *stacked*:
on the training rows its log-odds are cross-fitted by event (each event's tweets scored by an
NB trained on the fit's other events), so the regression weighs the n-grams by how well they
carry to an unseen event, not by how well they remember their own tweets (an NB-SVM variant,
n-grams straight into the regression, overfitted: thresholds fell to 0.07-0.19 and pooled F1
to 0.617).

Model: standardised features, embedding block multiplied by a weight w (so it is regularised
harder than the wording), logistic regression (C). Training rows:

- PHEME source tweets (``../shared/data/rumours/pheme_dev.csv``; ``text`` is the only input,
  ``label`` the target, never ``veracity``);
- 1,308 brand-chatter non-rumours: the rows of ``training/data/crisis_types.tsv`` minus its
  data_leak rows, and the first ``--support`` (800) inbound tweets by id of
  ``../shared/data/support/twcs_tweets_sample.csv``;
- the 72 data_leak rows of crisis_types.tsv, hand-labelled in
  ``training/data/leak_rows_labelled.tsv`` (44 = pass on, or ask about, an unverified leak or
  hack; 28 = first-hand or company-confirmed incident). PHEME has no leak claims at all.

The chatter and leak rows are in every training fold and never scored. ``--balance class``:
balanced classes; ``event``: every (event, class) cell the same weight.

Validation: nested leave-one-event-out. For each PHEME event E: on the 6 other events, every
(C, w) gets out-of-fold scores (each inner event scored by a model that saw neither it nor E),
and a threshold; the criterion (default ``pooled``) is the best pooled rumour F1 subject to
pooled precision >= 0.5 (``rebased``: the same after reweighting every inner event with >= 10
tweets of each class to the pooled rumour rate, so the threshold suits an event of typical base
rate rather than this mix of events). The best (C, w, threshold) is refit on the 6 events and
scores E. Reported: pooled F1/P/R over the 3,125 tweets of the 7 unseen events, per-event
F1/P/R, mean and spread. (The previous recipe picked the threshold by macro-over-events F1,
which rewards flagging everything: two events are almost all rumours.)

Written head: (C, w, threshold) chosen the same way on the 7-event LOEO, refit on all 7 events
+ chatter + leak rows; raw linear coefficients over [embedding | wording | NB log-odds], the
NB of all 7 events as hashed columns and log-odds deltas; intercept shifted so that a
probability of 0.5 is the chosen threshold (what ``sentiment.rumour`` expects; no rule is
applied on top of the probability). The report also gives the flag rate on 1,500 inbound
support tweets none of which was trained on (``support_check_texts``).

The baseline to beat, measured the same way: ``python -m training.rumour_nb_baseline``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np

from sentiment import lexicons
from sentiment.lexicons import RUMOUR_FEATURES
from sentiment.rumour import (
    NGRAM_FEATURE,
    RUMOUR_HEAD_PATH,
    NaiveBayesScore,
    feature_matrix,
    ngram_counts,
)
from training.common import CRISIS_TYPES_PATH, DEFAULT_CACHE, SHARED_DATA, read_labelled

DEFAULT_DATA = SHARED_DATA / "rumours" / "pheme_dev.csv"
SUPPORT_PATH = SHARED_DATA / "support" / "twcs_tweets_sample.csv"
LEAK_ROWS_PATH = CRISIS_TYPES_PATH.parent / "leak_rows_labelled.tsv"
HEAD_VERSION = "3"
NB_MIN_DF = 2  # n-grams seen in fewer training tweets are dropped (noise, and file size)
SUPPORT_CHECK = 1500  # unseen inbound support tweets whose flag rate the report gives (seed 7)
# (C, embedding weight); --quick keeps only the setting the full grid chose last time.
GRID = tuple((C, w) for C in (0.03, 0.1, 0.3) for w in (0.1, 0.3, 1.0))
QUICK_GRID = ((0.1, 0.1),)
THRESHOLDS = np.round(np.arange(0.02, 0.985, 0.01), 2)
MIN_PRECISION = 0.5
CHATTER, LEAK = "(brand chatter)", "(leak rows)"  # pseudo-events: trained on, never scored


# --- data -------------------------------------------------------------------------------------


def read_pheme(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, y: 1 = rumour, events) in file order."""
    texts, y, events = [], [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            y.append(1 if row["label"] == "rumour" else 0)
            events.append(row["event"])
    return texts, np.array(y), np.array(events)


def brand_chatter(crisis_tsv: Path, support_csv: Path, n_support: int) -> list[str]:
    """First-hand brand mentions, all non-rumours: the crisis-type set minus its data_leak rows
    (some of those pass on hearsay; they come labelled from ``read_leak``), then the first
    ``n_support`` inbound customer-support tweets by id."""
    texts = [t for label, _, t, _ in read_labelled(crisis_tsv) if label != "data_leak"]
    if support_csv.is_file() and n_support:
        with open(support_csv, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["inbound"] == "True"]
        rows.sort(key=lambda r: int(r["tweet_id"]))
        texts += [r["text"] for r in rows[:n_support]]
    return texts


def read_leak(path: Path = LEAK_ROWS_PATH) -> tuple[list[str], np.ndarray]:
    """The hand-labelled data_leak rows (``label, line, lang, text``; ``line`` is the row's
    line in crisis_types.tsv): 1 = passes on an unverified leak/hack claim or asks whether one
    happened, 0 = first-hand account incident or company-confirmed incident. Train-only."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return [r["text"] for r in rows], np.array([int(r["label"]) for r in rows], dtype=int)


# --- metrics and thresholds -------------------------------------------------------------------


def prf(y, pred, w=None) -> tuple[float, float, float]:
    """Rumour-class (F1, precision, recall), optionally with row weights."""
    w = np.ones(len(y)) if w is None else w
    tp = w[(pred == 1) & (y == 1)].sum()
    fp = w[(pred == 1) & (y == 0)].sum()
    fn = w[(pred == 0) & (y == 1)].sum()
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0), float(p), float(r)


def rebase_weights(y, ev) -> np.ndarray:
    """Row weights bringing every event with >= 10 tweets of each class to the pooled rate."""
    pi = y.mean()
    w = np.ones(len(y))
    for e in set(ev):
        m = ev == e
        n1, n0 = int(y[m].sum()), int((1 - y[m]).sum())
        if n1 >= 10 and n0 >= 10:
            w[m & (y == 1)] = pi * m.sum() / n1
            w[m & (y == 0)] = (1 - pi) * m.sum() / n0
    return w


def choose_threshold(y, p, ev, criterion) -> tuple[float, float]:
    """(threshold, F1): the best F1 with precision >= MIN_PRECISION (pooled, or rebased); when
    no threshold reaches that precision, the most precise one, scored 0."""
    w = rebase_weights(y, ev) if criterion == "rebased" else None
    best, most_precise = (0.5, -1.0), (-1.0, 0.5)
    for t in THRESHOLDS:
        s, prec, _ = prf(y, (p >= t).astype(int), w)
        most_precise = max(most_precise, (prec, t))
        if prec >= MIN_PRECISION and s > best[1]:
            best = (float(t), s)
    return best if best[1] >= 0 else (float(most_precise[1]), 0.0)


def support_check_texts(support_csv: Path, n_trained: int, n: int = SUPPORT_CHECK) -> list[str]:
    """``n`` inbound support tweets drawn (seed 7) from those after the first ``n_trained`` by
    id, i.e. none of the ones ``brand_chatter`` trains on: plain complaints and questions."""
    with open(support_csv, encoding="utf-8", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["inbound"] == "True"]
    rows.sort(key=lambda r: int(r["tweet_id"]))
    rest = rows[n_trained:]
    idx = np.random.default_rng(7).choice(len(rest), min(n, len(rest)), replace=False)
    return [rest[i]["text"] for i in idx]


# --- model ------------------------------------------------------------------------------------


def fit_nb(counts, y, rows) -> NaiveBayesScore:
    """Multinomial naive Bayes (alpha 1) on the ``rows`` of ``counts``, over the n-grams seen in
    at least NB_MIN_DF of them, kept as its log-odds."""
    from sklearn.naive_bayes import MultinomialNB

    sub = counts[rows]
    cols = np.where(np.asarray((sub > 0).sum(0)).ravel() >= NB_MIN_DF)[0]
    nb = MultinomialNB(alpha=1.0).fit(sub[:, cols], y[rows])
    delta = nb.feature_log_prob_[1] - nb.feature_log_prob_[0]
    return NaiveBayesScore(cols, delta, float(nb.class_log_prior_[1] - nb.class_log_prior_[0]))


def event_weights(y, groups) -> np.ndarray:
    w = np.zeros(len(y))
    for g in set(groups):
        for c in (0, 1):
            m = (groups == g) & (y == c)
            if m.any():
                w[m] = 1.0 / max(int(m.sum()), 20)
    for c in (0, 1):
        w[y == c] /= w[y == c].sum()
    return w * len(w) / w.sum()


class Head:
    """Standardise, scale the embedding block by w, logistic regression; with ``counts`` (word
    n-gram counts of every row), a stacked naive Bayes log-odds is the last input.

    The NB is trained on the PHEME rows of the fit only (``is_pheme``). On those rows its
    log-odds are cross-fitted by event (each event's tweets are scored by an NB trained on the
    fit's other events), so the regression learns how far the n-grams carry to an event they
    have not seen, not how well they remember tweets they were trained on; the chatter and
    leak rows (never in the NB) and the scored rows get the NB of all the fit's events."""

    def __init__(self, X, y, groups, n_emb, balance, counts=None, is_pheme=None):
        self.X, self.y, self.groups, self.n_emb, self.balance = X, y, groups, n_emb, balance
        self.counts, self.is_pheme = counts, is_pheme
        self._nb: dict = {}

    def stacked_nb(self, rows) -> tuple[NaiveBayesScore, np.ndarray]:
        """(NB of all the fit's PHEME rows, cross-fitted log-odds of ``rows``), cached by the
        set of events in ``rows``."""
        key = frozenset(self.groups[rows])
        if key not in self._nb:
            pheme = rows[self.is_pheme[rows]]
            full = fit_nb(self.counts, self.y, pheme)
            z = full.logodds(self.counts[rows])
            for e in set(self.groups[pheme]):
                m = self.groups[rows] == e
                inner = fit_nb(self.counts, self.y, pheme[self.groups[pheme] != e])
                z[m] = inner.logodds(self.counts[rows[m]])
            self._nb[key] = (full, z)
        return self._nb[key]

    def fit(self, rows, C, w) -> tuple[np.ndarray, float, NaiveBayesScore | None]:
        """(coef, intercept, nb) on raw features, fitted on ``rows``; ``nb`` is None without
        n-grams, else its log-odds are the input after the wording features."""
        from sklearn.linear_model import LogisticRegression

        X, y, nb = self.X[rows], self.y[rows], None
        if self.counts is not None:
            nb, z = self.stacked_nb(rows)
            X = np.hstack([X, z[:, None]])
        mean, scale = X.mean(0), X.std(0) + 1e-6
        wv = np.ones(X.shape[1])
        wv[: self.n_emb] = w
        lr = LogisticRegression(
            C=C,
            max_iter=3000,
            tol=1e-3,
            class_weight="balanced" if self.balance == "class" else None,
        )
        sw = event_weights(y, self.groups[rows]) if self.balance == "event" else None
        lr.fit((X - mean) / scale * wv, y, sample_weight=sw)
        coef = lr.coef_[0] * wv / scale
        return coef, float(lr.intercept_[0] - coef @ mean), nb

    def inputs(self, rows, nb: NaiveBayesScore | None) -> np.ndarray:
        """The regression's input for ``rows`` scored by a fitted model whose NB is ``nb``."""
        if nb is None:
            return self.X[rows]
        return np.hstack([self.X[rows], nb.logodds(self.counts[rows])[:, None]])


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="PHEME source tweets (CSV)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=None, help=f"default {RUMOUR_HEAD_PATH}")
    ap.add_argument("--balance", choices=("class", "event"), default="class")
    ap.add_argument("--criterion", choices=("pooled", "rebased"), default="pooled")
    ap.add_argument(
        "--support", type=int, default=800, help="inbound support tweets added as non-rumours"
    )
    ap.add_argument(
        "--no-ngrams",
        action="store_true",
        help="leave out the stacked word n-gram naive Bayes (the version-2 recipe)",
    )
    ap.add_argument(
        "--no-leak-rows",
        action="store_true",
        help=f"leave out the hand-labelled data_leak rows ({LEAK_ROWS_PATH.name})",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: only (C, w) = {QUICK_GRID[0]}; writes a head only with an explicit --out",
    )
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"no PHEME data at {args.data}", file=sys.stderr)
        return 2
    out = args.out or (None if args.quick else RUMOUR_HEAD_PATH)
    grid = QUICK_GRID if args.quick else GRID
    t0 = time.time()

    from sentiment.model import E5Encoder
    from training.common import embed_cached

    texts_p, y_p, ev_p = read_pheme(args.data)
    texts_c = brand_chatter(CRISIS_TYPES_PATH, SUPPORT_PATH, args.support)
    texts_l, y_l = ([], np.zeros(0, int)) if args.no_leak_rows else read_leak()
    texts = texts_p + texts_c + texts_l
    encoder = E5Encoder(args.cache_dir, adapter=None)  # == EmbeddedSentiment.topic_encoder()
    emb = embed_cached(encoder, texts, args.cache_dir / "embeddings")
    X = feature_matrix(emb, texts).astype(np.float64)
    y = np.concatenate([y_p, np.zeros(len(texts_c), int), y_l])
    groups = np.concatenate(
        [ev_p, np.full(len(texts_c), CHATTER), np.full(len(texts_l), LEAK)]
    )
    n_p, events = len(texts_p), sorted(set(ev_p))
    counts = None if args.no_ngrams else ngram_counts(texts)
    is_pheme = np.arange(len(y)) < n_p
    head = Head(X, y, groups, emb.shape[1], args.balance, counts, is_pheme)
    pheme_rows = np.arange(n_p)
    fits: dict = {}

    def scores(excluded: set[str], k: int) -> np.ndarray:
        """P(rumour) of the PHEME rows from a model trained without the ``excluded`` events."""
        key = (frozenset(excluded), k)
        if key not in fits:
            rows = np.where(~np.isin(groups, list(excluded)))[0]
            coef, b, nb = head.fit(rows, *grid[k])
            fits[key] = 1 / (1 + np.exp(-(head.inputs(pheme_rows, nb) @ coef + b)))
        return fits[key]

    def select(among: list[str], outer: str | None = None) -> tuple[int, float, float]:
        """(grid index, threshold, score) from the LOEO folds of ``among`` (never ``outer``)."""
        rows = np.isin(ev_p, among)
        best = (0, 0.5, -1.0)
        for k in range(len(grid)):
            oof = np.zeros(n_p)
            for e in among:
                m = ev_p == e
                oof[m] = scores({e} if outer is None else {e, outer}, k)[m]
            t, s = choose_threshold(y_p[rows], oof[rows], ev_p[rows], args.criterion)
            if s > best[2]:
                best = (k, t, s)
        return best

    # nested LOEO: the honest figures
    pred = np.zeros(n_p, int)
    chosen = {}
    for e in events:
        k, t, _ = select([x for x in events if x != e], outer=e)
        m = ev_p == e
        pred[m] = (scores({e}, k)[m] >= t).astype(int)
        chosen[e] = {"C": grid[k][0], "emb_weight": grid[k][1], "threshold": t}
    f, p, r = prf(y_p, pred)
    per = {}
    print(
        f"nested leave-one-event-out, balance={args.balance}, criterion={args.criterion}"
        + (", quick grid" if args.quick else "")
    )
    print("| held-out event | rows | rumours | flagged | F1 | P | R | C, w, thr (inner) |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for e in events:
        m = ev_p == e
        fe, pe, re_ = prf(y_p[m], pred[m])
        per[e] = {
            "rows": int(m.sum()),
            "rumours": int(y_p[m].sum()),
            "flagged": int(pred[m].sum()),
            "f1": fe,
            "precision": pe,
            "recall": re_,
            **chosen[e],
        }
        c = chosen[e]
        print(
            f"| {e} | {m.sum()} | {y_p[m].sum()} | {pred[m].sum()} | {fe:.3f} | {pe:.3f} "
            f"| {re_:.3f} | {c['C']}, {c['emb_weight']}, {c['threshold']:.2f} |"
        )
    f1s = np.array([v["f1"] for v in per.values()])
    print(f"pooled over the {len(events)} unseen events: F1 {f:.3f}  P {p:.3f}  R {r:.3f}")
    print(
        f"per-event F1: mean {f1s.mean():.3f}  sd {f1s.std():.3f}  "
        f"min {f1s.min():.3f}  max {f1s.max():.3f}"
    )

    # the written head
    k, threshold, s = select(events)
    C, w = grid[k]
    coef, intercept, nb = head.fit(np.arange(len(y)), C, w)
    intercept -= float(np.log(threshold / (1 - threshold)))
    # flag rate on unseen plain customer-support tweets (complaints, questions: no rumours)
    support_rate = None
    if SUPPORT_PATH.is_file() and args.support:
        sup = support_check_texts(SUPPORT_PATH, args.support)
        sup_X = feature_matrix(embed_cached(encoder, sup, args.cache_dir / "embeddings"), sup, nb)
        support_rate = float(((sup_X.astype(np.float64) @ coef + intercept) >= 0).mean())
        print(f"unseen inbound support tweets flagged: {support_rate:.1%} of {len(sup)}")
    report = {
        # read by tests/sentiment/test_rumour.py: per-event nested LOEO F1
        "loeo": {
            "embedding+wording": {
                "per_event": {e: v["f1"] for e, v in per.items()},
                "pooled_f1": f,
                "pooled_precision": p,
                "pooled_recall": r,
            }
        },
        "nested": {
            "pooled": {"f1": f, "precision": p, "recall": r},
            "per_event": per,
            "mean_event_f1": float(f1s.mean()),
            "sd_event_f1": float(f1s.std()),
        },
        "chosen": {
            "C": C,
            "embedding_weight": w,
            "threshold": threshold,
            "loeo_score": s,
            "balance": args.balance,
            "criterion": args.criterion,
            "rows": len(y),
            "brand_chatter_rows": len(texts_c),
            "leak_rows": len(texts_l),
            "leak_rows_rumours": int(y_l.sum()),
            "ngrams": nb is not None,
            "nb_terms": 0 if nb is None else len(nb.cols),
            "support_flag_rate": support_rate,
            "encoder": encoder.identity,
            "lexicon_sha256": hashlib.sha256(Path(lexicons.__file__).read_bytes()).hexdigest()[:12],
        },
    }
    print(
        f"chosen on the {len(events)}-event LOEO: C={C} w={w} raw threshold {threshold:.2f} "
        f"(score {s:.3f}) in {time.time() - t0:.0f}s"
    )
    if out is None:
        print("--quick without --out: no head written", file=sys.stderr)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        out,
        coef=coef.astype(np.float32),
        intercept=np.array(intercept, np.float64),
        features=np.array(RUMOUR_FEATURES),
        version=np.array(HEAD_VERSION if nb is not None else "2"),
        meta=np.array(json.dumps(report)),
        **(
            {}
            if nb is None
            else {
                "nb_cols": nb.cols.astype(np.int32),
                "nb_delta": nb.delta.astype(np.float32),
                "nb_bias": np.array(nb.bias, np.float64),
                "nb_feature": np.array(NGRAM_FEATURE),
            }
        ),
    )
    print(f"wrote {out} ({out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
