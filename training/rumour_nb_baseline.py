"""The baseline the rumour head must beat: ``python -m training.rumour_nb_baseline``.

A word 1-2-gram multinomial naive Bayes (scikit-learn defaults: ``CountVectorizer(ngram_range=
(1, 2))``, ``MultinomialNB()``) trained on the PHEME source tweets of
``../shared/data/rumours``, scored the way ``training.train_rumour`` scores the head: leave one
whole event out, pooled rumour F1/P/R over the tweets of the 7 unseen events, per-event F1 mean
and sd. Three ways of reading its probability:

- ``0.5``: ``predict()`` as it comes (no choice made at all);
- ``nested mixed`` / ``nested pooled`` / ``nested rebased``: the threshold chosen on the 6
  other events' own leave-one-event-out scores by ``train_rumour.choose_threshold`` with that
  criterion (``mixed`` is the head's; never seeing the held-out one).

``--with-chatter`` adds the head's brand-chatter and leak rows to every training fold.
"""

from __future__ import annotations

import argparse

import numpy as np

from training.common import CRISIS_TYPES_PATH
from training.train_rumour import (
    DEFAULT_DATA,
    SUPPORT_PATH,
    brand_chatter,
    choose_threshold,
    prf,
    read_leak,
    read_pheme,
)


def main(argv: list[str] | None = None) -> int:
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--with-chatter", action="store_true")
    args = ap.parse_args(argv)
    texts, y, ev = read_pheme(DEFAULT_DATA)
    extra_t, extra_y = [], np.zeros(0, int)
    if args.with_chatter:
        chatter = brand_chatter(CRISIS_TYPES_PATH, SUPPORT_PATH, 800)
        leak_t, leak_y = read_leak()
        extra_t, extra_y = chatter + leak_t, np.concatenate([np.zeros(len(chatter), int), leak_y])
    events = sorted(set(ev))

    def scores(train: np.ndarray, test: np.ndarray) -> np.ndarray:
        vec = CountVectorizer(ngram_range=(1, 2))
        X = vec.fit_transform([texts[i] for i in train] + extra_t)
        nb = MultinomialNB().fit(X, np.concatenate([y[train], extra_y]))
        return nb.predict_proba(vec.transform([texts[i] for i in test]))[:, 1]

    print("| NB threshold | pooled F1 | P | R | event F1 mean | sd | " + " | ".join(events) + " |")
    print("|---|" + "---:|" * (5 + len(events)))
    for mode in ("0.5", "nested mixed", "nested pooled", "nested rebased"):
        pred = np.zeros(len(y), int)
        for e in events:
            test, train = np.where(ev == e)[0], np.where(ev != e)[0]
            t = 0.5
            if mode != "0.5":
                oof = np.zeros(len(y))
                for inner in (x for x in events if x != e):
                    m = np.where(ev == inner)[0]
                    oof[m] = scores(np.where((ev != inner) & (ev != e))[0], m)
                t, _ = choose_threshold(y[train], oof[train], ev[train], mode.split()[1])
            pred[test] = scores(train, test) >= t
        f, p, r = prf(y, pred)
        per = [prf(y[ev == e], pred[ev == e])[0] for e in events]
        print(
            f"| {mode} | {f:.3f} | {p:.3f} | {r:.3f} | {np.mean(per):.3f} | {np.std(per):.3f} | "
            + " | ".join(f"{x:.3f}" for x in per)
            + " |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
