"""Rebuild the rumour head, validated on whole unseen events only: ``python -m training.train_rumour``.

Usage (from the repo root; ``make weights`` runs it with the defaults):
    python -m training.train_rumour [--criterion mixed|pooled|rebased] [--balance class|event]
        [--no-ngrams] [--no-leak-rows] [--support N] [--data PHEME.csv] [--cache-dir DIR]
        [--out HEAD.npz]
    python -m training.train_rumour --quick --out /tmp/rumour_head.npz   # smoke run (one setting)

The head (version 4) is the **mean of two members' probabilities** (``--no-ngrams``: the
regression alone, the version-2 recipe):

- a logistic regression over the base multilingual-e5-small embedding (no sentiment adapters,
  the one ``EmbeddedSentiment.topic_encoder()`` gives; cached under ``<cache>/embeddings``,
  shared with the other training scripts) and the wording features of
  ``sentiment.lexicons.rumour_features`` (EN/FR hedges and hearsay, requests to confirm, French
  journalistic conditional, leak/hack claims, attribution, breaking-news terms, first-hand
  experience, complaint and status-update wording, ...): standardised features, embedding block
  multiplied by a weight w (regularised harder than the wording), C;
- a multinomial naive Bayes over word 1-2-grams of *event-masked* text
  (``sentiment.rumour.ngram_counts``: links, handles, hashtags, capitalised names and numbers
  replaced by placeholders, so it learns how a claim is worded, not which event it is about;
  n-grams seen in >= 2 training tweets), trained on the fit's PHEME tweets only, its log-odds
  calibrated by a one-input logistic regression (its C in the grid: 0.001 keeps its probability
  near its prior, i.e. weighs it less in the mean, 0.1 lets it speak). The calibration reads cross-fitted
  log-odds (each event's tweets scored by an NB trained on the fit's other events), so the
  probability says how far n-grams carry to an unseen event.

Averaging rather than stacking: stacked into the regression (version 3) the NB got a tiny
weight and the head gained nothing (0.647 against 0.642); averaged, each member keeps the
events it reads well (the NB: gurlitt and germanwings; the regression: ottawa, ferguson).

Training rows: PHEME source tweets (``../shared/data/rumours/pheme_dev.csv``; ``text`` is the
only input, ``label`` the target, never ``veracity``); 1,308 brand-chatter non-rumours (the rows
of ``training/data/crisis_types.tsv`` minus its data_leak rows, and the first ``--support``
(800) inbound tweets by id of ``../shared/data/support/twcs_tweets_sample.csv``); the 72 data_leak
rows of crisis_types.tsv, hand-labelled in ``training/data/leak_rows_labelled.tsv`` (44 = pass
on, or ask about, an unverified leak or hack; 28 = first-hand or company-confirmed incident).
PHEME has no leak claims at all. The chatter and leak rows are in every training fold and
never scored; the NB reads PHEME only. ``--balance class``: balanced classes; ``event``: every
(event, class) cell the same weight.

Validation: nested leave-one-event-out. For each PHEME event E: on the 6 other events, every
(C, w) of the regression gets out-of-fold scores of the averaged head (each inner event scored
by members that saw neither it nor E), and a threshold; the criterion (default ``mixed``) is the
best pooled rumour F1, averaged over a +/-0.02 window of thresholds (the middle of a plateau,
not a spike), subject to pooled precision >= 0.5, over the inner events with >= 10 tweets of
each class (an event that is nearly all rumours makes any threshold look precise, so it says
nothing about precision on a real stream, where rumours are the minority). ``pooled``: the
plain F1 over all inner events (the version-3 criterion); ``rebased``: the same, each event
with >= 10 tweets of each class reweighted to the pooled rumour rate. The best
(C, w, threshold) is refit on the 6 events and scores E. Reported: pooled F1/P/R over the 3,125
tweets of the 7 unseen events, per-event F1/P/R, mean and spread.

Written head: (C, w, threshold) chosen the same way on the 7-event LOEO, both members refit on
all 7 events + chatter + leak rows; the regression's raw coefficients over [embedding |
wording], the NB of all 7 events (hashed columns, log-odds deltas, its calibration), and the raw
threshold, which ``sentiment.rumour`` maps to 0.5 (no rule is applied on top of the
probability), with a calibration slope (``calibration_slope``: fitted on the 7-event
leave-one-event-out scores, so the score's spread is that of a probability; it moves no flag). The report also gives the flag rate on 1,500 inbound support tweets none of which
was trained on (``support_check_texts``).

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
HEAD_VERSION = "4"
NB_MIN_DF = 2  # n-grams seen in fewer training tweets are dropped (noise, and file size)
SUPPORT_CHECK = 1500  # unseen inbound support tweets whose flag rate the report gives (seed 7)
# (C, embedding weight) of the regression member, and the C of the NB member's calibration
# (--nb-c; 0.001 shrinks its probabilities towards its prior, i.e. weighs it less in the mean);
# --quick keeps one (C, w).
GRID = tuple((C, w) for C in (0.03, 0.1, 0.3) for w in (0.1, 0.3, 1.0))
QUICK_GRID = ((0.1, 0.1),)
NB_CALIBRATION_C = (0.001,)
THRESHOLDS = np.round(np.arange(0.02, 0.985, 0.01), 2)
MIN_PRECISION = 0.5
MIN_CLASS_ROWS = 10  # an event with fewer tweets of a class says nothing about precision
SMOOTH_OFFSETS = (-0.02, -0.01, 0.0, 0.01, 0.02)  # the "mixed" criterion's F1 window
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


def mixed_events(y, ev) -> np.ndarray:
    """Row mask of the events with >= MIN_CLASS_ROWS tweets of each class."""
    ok = [e for e in set(ev) if min(int(y[ev == e].sum()), int((1 - y[ev == e]).sum())) >= MIN_CLASS_ROWS]
    return np.isin(ev, ok)


def rebase_weights(y, ev) -> np.ndarray:
    """Row weights bringing every event with >= 10 tweets of each class to the pooled rate."""
    pi = y.mean()
    w = np.ones(len(y))
    for e in set(ev):
        m = ev == e
        n1, n0 = int(y[m].sum()), int((1 - y[m]).sum())
        if n1 >= MIN_CLASS_ROWS and n0 >= MIN_CLASS_ROWS:
            w[m & (y == 1)] = pi * m.sum() / n1
            w[m & (y == 0)] = (1 - pi) * m.sum() / n0
    return w


def choose_threshold(y, p, ev, criterion) -> tuple[float, float]:
    """(threshold, score): the best F1 with precision >= MIN_PRECISION; when no threshold
    reaches that precision, the most precise one, scored 0.

    ``mixed``: over the events with >= MIN_CLASS_ROWS tweets of each class only, and the F1 of
    a threshold is the mean F1 over the window of +/- SMOOTH_WINDOW around it, so the choice is
    the middle of a plateau, not a spike one event's last few tweets make. ``pooled``: F1 and
    precision over all events; ``rebased``: the same with ``rebase_weights``."""
    if criterion == "mixed" and mixed_events(y, ev).any():
        keep = mixed_events(y, ev)
        y, p, ev = y[keep], p[keep], ev[keep]
    w = rebase_weights(y, ev) if criterion == "rebased" else None
    offsets = SMOOTH_OFFSETS if criterion == "mixed" else (0.0,)
    best, most_precise = (0.5, -1.0), (-1.0, 0.5)
    for t in THRESHOLDS:
        _, prec, _ = prf(y, (p >= t).astype(int), w)
        most_precise = max(most_precise, (prec, t))
        s = float(np.mean([prf(y, (p >= t + d).astype(int), w)[0] for d in offsets]))
        if prec >= MIN_PRECISION and s > best[1]:
            best = (float(t), s)
    return best if best[1] >= 0 else (float(most_precise[1]), 0.0)


def calibration_slope(y, p, threshold, order=None) -> float:
    """The slope a of P(rumour) = sigmoid(a * (logit(p) - logit(threshold))), fitted on
    out-of-fold scores ``p`` (rows ``order`` of ``y``): the score keeps 0.5 at the chosen
    threshold and the order of texts, and its spread says how sure the head is (a mean of two
    probabilities, one of them shrunk, is squeezed towards the middle)."""
    from sklearn.linear_model import LogisticRegression

    y = y if order is None else y[order]
    p = np.clip(p, 1e-6, 1 - 1e-6)
    x = np.log(p / (1 - p)) - np.log(threshold / (1 - threshold))
    lr = LogisticRegression(fit_intercept=False, C=1e4, max_iter=1000).fit(x[:, None], y)
    return float(lr.coef_[0, 0])


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
    """Standardise, scale the embedding block by w, logistic regression; with ``counts``
    (n-gram counts of every row), a naive Bayes log-odds is the last input (with an empty ``X``,
    the only one: the calibrated NB member).

    The NB is trained on the fit's rows marked ``is_pheme`` (by default the PHEME rows). On
    those rows its log-odds are cross-fitted by ``nb_folds`` (default: by event; each event's
    tweets are scored by an NB trained on the fit's other events), so the regression learns how
    far the n-grams carry to an event they have not seen, not how well they remember tweets
    they were trained on; the rows outside the NB and the scored rows get the NB of all of
    them."""

    def __init__(self, X, y, groups, n_emb, balance, counts=None, is_pheme=None, nb_folds=None):
        self.X, self.y, self.groups, self.n_emb, self.balance = X, y, groups, n_emb, balance
        self.counts, self.is_pheme = counts, is_pheme
        self.nb_folds = groups if nb_folds is None else nb_folds
        self._nb: dict = {}

    def stacked_nb(self, rows) -> tuple[NaiveBayesScore, np.ndarray]:
        """(NB of all the fit's PHEME rows, cross-fitted log-odds of ``rows``), cached by the
        set of events in ``rows``."""
        key = frozenset(self.groups[rows])
        if key not in self._nb:
            pheme = rows[self.is_pheme[rows]]
            full = fit_nb(self.counts, self.y, pheme)
            z = full.logodds(self.counts[rows])
            for e in set(self.nb_folds[pheme]):
                m = self.nb_folds[rows] == e
                inner = fit_nb(self.counts, self.y, pheme[self.nb_folds[pheme] != e])
                z[m] = inner.logodds(self.counts[rows[m]])
            self._nb[key] = (full, z)
        return self._nb[key]

    def fit(self, rows, C, w) -> tuple[np.ndarray, float, NaiveBayesScore | None]:
        """(coef, intercept, nb) on raw features, fitted on ``rows``; ``nb`` is None without
        n-grams, else its log-odds are the input after the others."""
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

    def probabilities(self, fitted, rows) -> np.ndarray:
        coef, b, nb = fitted
        return 1 / (1 + np.exp(-(self.inputs(rows, nb) @ coef + b)))


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="PHEME source tweets (CSV)")
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=None, help=f"default {RUMOUR_HEAD_PATH}")
    ap.add_argument("--balance", choices=("class", "event"), default="class")
    ap.add_argument("--criterion", choices=("mixed", "pooled", "rebased"), default="mixed")
    ap.add_argument(
        "--support", type=int, default=800, help="inbound support tweets added as non-rumours"
    )
    ap.add_argument(
        "--no-ngrams",
        action="store_true",
        help="the regression alone, without the masked n-gram naive Bayes (the version-2 recipe)",
    )
    ap.add_argument(
        "--nb-c",
        type=float,
        nargs="+",
        default=list(NB_CALIBRATION_C),
        help="C of the NB member's calibration (several: chosen in the nested loop)",
    )
    ap.add_argument(
        "--nb-chatter",
        action="store_true",
        help="train the NB member on the brand-chatter and leak rows too (default: PHEME only)",
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
    nb_cs = (None,) if args.no_ngrams else tuple(args.nb_c)  # no NB member: no NB setting
    grid = tuple((C, w, c_nb) for C, w in (QUICK_GRID if args.quick else GRID) for c_nb in nb_cs)
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
    is_pheme = np.arange(len(y)) < n_p
    in_nb, nb_folds = is_pheme, groups
    if args.nb_chatter:  # chatter and leak rows in the NB too, cross-fitted in 5 folds
        in_nb = np.ones(len(y), bool)
        nb_folds = np.array(
            [g if i < n_p else f"{g} {i % 5}" for i, g in enumerate(groups)], dtype=object
        )
    regression = Head(X, y, groups, emb.shape[1], args.balance)
    nb_member = (
        None
        if args.no_ngrams
        else Head(np.zeros((len(y), 0)), y, groups, 0, args.balance, ngram_counts(texts), in_nb, nb_folds)
    )
    pheme_rows = np.arange(n_p)
    fits: dict = {}

    def member_scores(excluded: set[str], member: str, setting: tuple) -> np.ndarray:
        """P(rumour) of the PHEME rows from one member (``regression`` with (C, w), or ``nb``
        with (calibration C,)) trained without the ``excluded`` events."""
        key = (frozenset(excluded), member, setting)
        if key not in fits:
            rows = np.where(~np.isin(groups, list(excluded)))[0]
            head = regression if member == "regression" else nb_member
            c_w = setting if member == "regression" else (setting[0], 1.0)
            fits[key] = head.probabilities(head.fit(rows, *c_w), pheme_rows)
        return fits[key]

    def scores(excluded: set[str], k: int) -> np.ndarray:
        """The head's P(rumour) of the PHEME rows: the members' mean (or the regression alone)."""
        C, w, c_nb = grid[k]
        p = member_scores(excluded, "regression", (C, w))
        return p if nb_member is None else (p + member_scores(excluded, "nb", (c_nb,))) / 2

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
        chosen[e] = {"C": grid[k][0], "emb_weight": grid[k][1], "nb_C": grid[k][2], "threshold": t}
    f, p, r = prf(y_p, pred)
    per = {}
    print(
        f"nested leave-one-event-out, balance={args.balance}, criterion={args.criterion}, "
        + ("regression alone" if nb_member is None else "mean of regression and masked NB")
        + (", quick grid" if args.quick else "")
    )
    print("| held-out event | rows | rumours | flagged | F1 | P | R | C, w, NB C, thr (inner) |")
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
            f"| {re_:.3f} | {c['C']}, {c['emb_weight']}, {c['nb_C']}, {c['threshold']:.2f} |"
        )
    f1s = np.array([v["f1"] for v in per.values()])
    mixed = mixed_events(y_p, ev_p)
    fm, pm, rm = prf(y_p[mixed], pred[mixed])
    print(f"pooled over the {len(events)} unseen events: F1 {f:.3f}  P {p:.3f}  R {r:.3f}")
    print(f"pooled over the unseen events with both classes: F1 {fm:.3f}  P {pm:.3f}  R {rm:.3f}")
    print(
        f"per-event F1: mean {f1s.mean():.3f}  sd {f1s.std():.3f}  "
        f"min {f1s.min():.3f}  max {f1s.max():.3f}"
    )

    # the written head
    k, threshold, s = select(events)
    C, w, c_nb = grid[k]
    slope = calibration_slope(
        y_p, np.concatenate([scores({e}, k)[ev_p == e] for e in events]), threshold,
        order=np.concatenate([np.where(ev_p == e)[0] for e in events]),
    )
    all_rows = np.arange(len(y))
    coef, intercept, _ = regression.fit(all_rows, C, w)
    nb_fit = None if nb_member is None else nb_member.fit(all_rows, c_nb, 1.0)

    def head_probability(sup_texts: list[str], sup_emb: np.ndarray) -> np.ndarray:
        """The written head's unshifted P(rumour) (what ``sentiment.rumour`` computes)."""
        p_lr = 1 / (1 + np.exp(-(feature_matrix(sup_emb, sup_texts).astype(np.float64) @ coef + intercept)))
        if nb_fit is None:
            return p_lr
        nb_coef, nb_b, nb = nb_fit
        z = nb_coef[0] * nb.logodds(ngram_counts(sup_texts)) + nb_b
        return (p_lr + 1 / (1 + np.exp(-z))) / 2

    # flag rate on unseen plain customer-support tweets (complaints, questions: no rumours)
    support_rate = None
    if SUPPORT_PATH.is_file() and args.support:
        sup = support_check_texts(SUPPORT_PATH, args.support)
        sup_p = head_probability(sup, embed_cached(encoder, sup, args.cache_dir / "embeddings"))
        support_rate = float((sup_p >= threshold).mean())
        print(f"unseen inbound support tweets flagged: {support_rate:.1%} of {len(sup)}")
    report = {
        # read by tests/sentiment/test_rumour.py: per-event nested LOEO F1
        "loeo": {
            "embedding+wording" + ("" if nb_member is None else " | masked NB"): {
                "per_event": {e: v["f1"] for e, v in per.items()},
                "pooled_f1": f,
                "pooled_precision": p,
                "pooled_recall": r,
            }
        },
        "nested": {
            "pooled": {"f1": f, "precision": p, "recall": r},
            "pooled_mixed_events": {"f1": fm, "precision": pm, "recall": rm},
            "per_event": per,
            "mean_event_f1": float(f1s.mean()),
            "sd_event_f1": float(f1s.std()),
        },
        "chosen": {
            "C": C,
            "embedding_weight": w,
            "nb_calibration_C": None if nb_member is None else c_nb,
            "threshold": threshold,
            "calibration_slope": slope,
            "loeo_score": s,
            "balance": args.balance,
            "criterion": args.criterion,
            "combination": "regression" if nb_member is None else "mean(regression, masked NB)",
            "rows": len(y),
            "brand_chatter_rows": len(texts_c),
            "leak_rows": len(texts_l),
            "leak_rows_rumours": int(y_l.sum()),
            "ngrams": nb_fit is not None,
            "nb_terms": 0 if nb_fit is None else len(nb_fit[2].cols),
            "support_flag_rate": support_rate,
            "encoder": encoder.identity,
            "lexicon_sha256": hashlib.sha256(Path(lexicons.__file__).read_bytes()).hexdigest()[:12],
        },
    }
    print(
        f"chosen on the {len(events)}-event LOEO: C={C} w={w} NB C={c_nb} raw threshold {threshold:.2f} "
        f"(score {s:.3f}), calibration slope {slope:.2f}, in {time.time() - t0:.0f}s"
    )
    if out is None:
        print("--quick without --out: no head written", file=sys.stderr)
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    nb_arrays = {}
    if nb_fit is not None:
        nb_coef, nb_b, nb = nb_fit
        nb_arrays = {
            "nb_cols": nb.cols.astype(np.int32),
            "nb_delta": nb.delta.astype(np.float32),
            "nb_bias": np.array(nb.bias, np.float64),
            "nb_scale": np.array(nb_coef[0], np.float64),
            "nb_offset": np.array(nb_b, np.float64),
            "nb_feature": np.array(NGRAM_FEATURE),
        }
    np.savez_compressed(
        out,
        coef=coef.astype(np.float32),
        intercept=np.array(intercept, np.float64),
        threshold=np.array(threshold, np.float64),
        calibration_slope=np.array(slope, np.float64),
        features=np.array(RUMOUR_FEATURES),
        version=np.array(HEAD_VERSION if nb_fit is not None else "2"),
        meta=np.array(json.dumps(report)),
        **nb_arrays,
    )
    print(f"wrote {out} ({out.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
