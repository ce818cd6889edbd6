"""Rebuild the rumour head: ``python -m training.train_rumour``.

Reads ``../shared/data/rumours/pheme_dev.csv`` (columns event, text, label, ...; only ``text``
is an input, never ``veracity`` nor its emptiness), embeds the texts with the
base multilingual-e5-small encoder (no sentiment adapters: ``EmbeddedSentiment.topic_encoder``) (cached under ``<cache>/embeddings``, shared with
``training.train_head``), adds the wording features of ``sentiment.lexicons``, and fits a
logistic regression. Everything is validated **by whole events** (leave-one-event-out):

- *selection*: for each C (and with / without the wording features), the out-of-fold
  probabilities of every event come from a model that never saw that event; the C and the
  threshold maximising the macro (over events) rumour-class F1 are chosen;
- *honest figures*: the same choice is repeated inside each outer fold (nested LOEO), so the
  reported per-event F1 never used the held-out event, not even to pick C or the threshold.

The written model is fit on every event with the chosen C; its intercept is shifted so that a
probability of 0.5 is the chosen threshold (see ``sentiment.rumour``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np

from sentiment.lexicons import RUMOUR_FEATURES
from sentiment.rumour import RUMOUR_HEAD_PATH, UNHEDGED_BAR, apply_unhedged_bar, feature_matrix

PROJECT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = PROJECT.parent / "shared" / "data" / "rumours" / "pheme_dev.csv"
DEFAULT_CACHE = Path.home() / ".cache" / "crisiswatch"
HEAD_VERSION = "1"
# (C, embedding weight): the embedding block is scaled by the weight after standardisation, so
# a weight below 1 regularises the 384 topic-laden embedding dimensions harder than the 18
# wording features (on unseen events the embedding alone overfits the training topics).
GRID = tuple((C, a) for C in (0.01, 0.03, 0.1, 0.3, 1.0) for a in (0.1, 0.3, 1.0))
THRESHOLDS = np.round(np.arange(0.1, 0.81, 0.02), 2)
N_WORD = len(RUMOUR_FEATURES)
EXTRA = "(brand chatter)"  # the pseudo-event of brand_chatter(); trained on, never scored


def read_pheme(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(texts, y: 1 = rumour, events) in file order."""
    texts, y, events = [], [], []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            y.append(1 if row["label"] == "rumour" else 0)
            events.append(row["event"])
    return texts, np.array(y), np.array(events)


def brand_chatter(shared: Path, crisis_tsv: Path, n_support: int) -> list[str]:
    """Non-rumour texts from the domain the scorer serves, added to every training fold.

    PHEME is English breaking news; on brand chatter (and on any French) a PHEME-only model
    calls ordinary questions and praise rumours. First-hand brand mentions are not rumours:
    inbound customer-support tweets (``support/twcs_tweets_sample.csv``, first ``n_support``
    by id) and this project's crisis-type set minus its data_leak rows (some of those are
    hearsay). They are never a held-out event: the figures stay PHEME events only.
    """
    from training.common import read_labelled

    texts = [t for label, _, t, _ in read_labelled(crisis_tsv) if label != "data_leak"]
    path = shared / "data" / "support" / "twcs_tweets_sample.csv"
    if path.is_file() and n_support:
        with open(path, encoding="utf-8", newline="") as fh:
            rows = [r for r in csv.DictReader(fh) if r["inbound"] == "True"]
        rows.sort(key=lambda r: int(r["tweet_id"]))
        texts += [r["text"] for r in rows[:n_support]]
    return texts


def rumour_f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


class _Model:
    """Standardise, down-weight the embedding block, logistic regression."""

    def __init__(self, C: float, emb_weight: float):
        self.C, self.emb_weight = C, emb_weight

    def _weights(self, d: int) -> np.ndarray:
        w = np.ones(d)
        w[: d - N_WORD] = self.emb_weight
        return w

    def fit(self, X, y):
        from sklearn.linear_model import LogisticRegression

        self.mean, self.scale = X.mean(0), X.std(0) + 1e-6
        self.w = self._weights(X.shape[1])
        self.lr = LogisticRegression(C=self.C, class_weight="balanced", max_iter=3000)
        self.lr.fit((X - self.mean) / self.scale * self.w, y)
        return self

    def predict_proba(self, X):
        return self.lr.predict_proba((X - self.mean) / self.scale * self.w)

    def linear(self) -> tuple[np.ndarray, float]:
        """(coef, intercept) on raw features."""
        coef = self.lr.coef_[0] * self.w / self.scale
        return coef, float(self.lr.intercept_[0] - coef @ self.mean)


def _fit(X, y, params) -> _Model:
    if X.shape[1] <= N_WORD:  # wording only: no embedding block to weight
        params = (params[0], 1.0)
    return _Model(*params).fit(X, y)


def out_of_fold(X, y, events, C, among: list[str]) -> np.ndarray:
    """P(rumour) for the rows of ``among`` events, each from a model trained on the others."""
    p = np.full(len(y), np.nan)
    for event in among:
        train = (np.isin(events, among) & (events != event)) | (events == EXTRA)
        test = events == event
        p[test] = _fit(X[train], y[train], C).predict_proba(X[test])[:, 1]
    return p


def macro_f1_by_event(y, p, events, among, threshold) -> tuple[float, dict[str, float]]:
    per = {e: rumour_f1(y[events == e], (p[events == e] >= threshold).astype(int)) for e in among}
    return float(np.mean(list(per.values()))), per


def select(X, y, events, among, grid=None) -> tuple[tuple, float, float]:
    """((C, embedding weight), threshold, macro F1) maximising macro rumour F1 over the LOEO
    folds of ``among``."""
    best = ((0.0, 1.0), 0.5, -1.0)
    if grid is None:
        grid = (
            GRID
            if X.shape[1] > N_WORD
            else tuple((c, 1.0) for c in dict.fromkeys(c for c, _ in GRID))
        )
    for C in grid:
        p = out_of_fold(X, y, events, C, among)
        for t in THRESHOLDS:
            score, _ = macro_f1_by_event(y, p, events, among, t)
            if score > best[2]:
                best = (C, float(t), score)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--out", type=Path, default=RUMOUR_HEAD_PATH)
    ap.add_argument(
        "--support",
        type=int,
        default=800,
        help="inbound support tweets added as non-rumours (0: none)",
    )
    ap.add_argument("--no-nested", action="store_true", help="skip the nested (honest) LOEO")
    args = ap.parse_args(argv)
    if not args.data.is_file():
        print(f"no PHEME data at {args.data}", file=sys.stderr)
        return 2

    from sentiment.model import E5Encoder
    from training.common import CRISIS_TYPES_PATH as DATA_PATH
    from training.common import embed_cached

    texts, y, events = read_pheme(args.data)
    encoder = E5Encoder(args.cache_dir, adapter=None)
    emb = embed_cached(encoder, texts, args.cache_dir / "embeddings")
    extra = brand_chatter(args.data.parents[2], DATA_PATH, args.support)
    if extra:
        emb = np.vstack([emb, embed_cached(encoder, extra, args.cache_dir / "embeddings")])
        texts = texts + extra
        y = np.concatenate([y, np.zeros(len(extra), int)])
        events = np.concatenate([events, np.full(len(extra), EXTRA)])
    X = feature_matrix(emb, texts)
    n_word = len(RUMOUR_FEATURES)
    variants = {
        "embedding+wording": X,
        "embedding only": X[:, :-n_word],
        "wording only": X[:, -n_word:],
    }
    all_events = sorted(set(events) - {EXTRA})

    report: dict = {
        "events": {
            e: {"rows": int((events == e).sum()), "rumours": int(y[events == e].sum())}
            for e in all_events
        }
    }
    print("LOEO (C and threshold picked on the same folds):", file=sys.stderr)
    only_c = tuple((c, 1.0) for c in dict.fromkeys(c for c, _ in GRID))
    for name, Xv in variants.items():
        C, t, score = select(
            Xv, y, events, all_events, None if name != "embedding only" else only_c
        )
        _, per = macro_f1_by_event(
            y, out_of_fold(Xv, y, events, C, all_events), events, all_events, t
        )
        report.setdefault("loeo", {})[name] = {
            "C": C,
            "threshold": t,
            "macro_f1": score,
            "per_event": per,
        }
        print(
            f"  {name:18} C,w={C} t={t:.2f} macro F1 {score:.3f}  "
            + " ".join(f"{e}={v:.2f}" for e, v in per.items()),
            file=sys.stderr,
        )

    C, threshold, _ = select(X, y, events, all_events)
    # As shipped: the same out-of-fold scores, shifted so 0.5 is the threshold, then the
    # unhedged-claim rule of sentiment.rumour applied, as the scorer does.
    p = out_of_fold(X, y, events, C, all_events)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log(p / (1 - p)) - np.log(threshold / (1 - threshold))
    shipped = apply_unhedged_bar(1 / (1 + np.exp(-z)), texts)
    score, per = macro_f1_by_event(y, shipped, events, all_events, 0.5)
    report["as_shipped"] = {"macro_f1": score, "per_event": per}
    print(
        f"  as shipped (unhedged bar {UNHEDGED_BAR}): macro F1 {score:.3f}  "
        + " ".join(f"{e}={v:.2f}" for e, v in per.items()),
        file=sys.stderr,
    )
    if not args.no_nested:
        # Honest figures: C and threshold chosen without the held-out event.
        nested = {}
        for event in all_events:
            others = [e for e in all_events if e != event]
            c_in, t_in, _ = select(X, y, events, others)
            train = events != event  # includes the brand-chatter rows
            p = _fit(X[train], y[train], c_in).predict_proba(X[events == event])[:, 1]
            nested[event] = {
                "f1": rumour_f1(y[events == event], (p >= t_in).astype(int)),
                "C": c_in,
                "threshold": t_in,
            }
            print(
                f"  nested: {event:18} C,w={c_in} t={t_in:.2f} F1 {nested[event]['f1']:.3f}",
                file=sys.stderr,
            )
        report["nested"] = nested
        report["nested_macro_f1"] = float(np.mean([v["f1"] for v in nested.values()]))
        print(f"  nested macro F1 {report['nested_macro_f1']:.3f}", file=sys.stderr)

    coef, intercept = _fit(X, y, C).linear()
    # Shift so that 0.5 on the stored model is the chosen threshold.
    intercept -= float(np.log(threshold / (1 - threshold)))
    report["chosen"] = {
        "C": C[0],
        "embedding_weight": C[1],
        "threshold": threshold,
        "class_weight": "balanced",
        "rows": len(y),
        "brand_chatter_rows": len(extra),
        "encoder": encoder.identity,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        coef=coef.astype(np.float32),
        intercept=np.array(intercept, np.float64),
        features=np.array(RUMOUR_FEATURES),
        version=np.array(HEAD_VERSION),
        meta=np.array(json.dumps(report)),
    )
    print(json.dumps(report, indent=1))
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
