"""The cross-validation scripts' bookkeeping (no model): choices are made on the other folds'
rows only, each row is predicted once, and each set is scored by its official measure."""

from __future__ import annotations

import numpy as np

from training.cv_adapter import pool_rows, score_sets
from training.cv_sentiment import cross_validate, stratified_folds


def one_hot(labels, n=3):
    return np.eye(n)[labels] * 0.9 + 0.1 / n


def test_stratified_folds_spread_each_class_over_every_fold():
    y = np.repeat([0, 1, 2], 20)
    fold = stratified_folds(y, 5, seed=0)
    for f in range(5):
        assert np.bincount(y[fold == f], minlength=3).tolist() == [4, 4, 4]


def test_a_language_head_is_kept_only_where_it_helps_and_pooled_rows_are_each_predicted_once():
    rng = np.random.default_rng(0)
    y_en, y_fr = rng.integers(0, 3, 200), rng.integers(0, 3, 150)
    val = {"tweeteval_en": (["en text"] * 200, y_en), "xlmt_fr": (["texte fr"] * 150, y_fr)}
    wrong_fr = (y_fr + 1) % 3
    shared = {"tweeteval_en": one_hot(y_en), "xlmt_fr": one_hot(wrong_fr)}
    candidates = {
        # the French head is right, and only at C = 2; the English head is always wrong
        "fr": {1.0: {"tweeteval_en": one_hot(y_en), "xlmt_fr": one_hot(wrong_fr)},
               2.0: {"tweeteval_en": one_hot(y_en), "xlmt_fr": one_hot(y_fr)}},
        "en": {1.0: {"tweeteval_en": one_hot((y_en + 1) % 3), "xlmt_fr": one_hot(y_fr)}},
    }  # fmt: skip
    langs = {"tweeteval_en": ["en"] * 200, "xlmt_fr": ["fr"] * 150}
    report = cross_validate(val, candidates, shared, langs, folds=5, seed=0, min_gain=0.01)
    assert report["choices"] == [{"fr": 2.0, "en": None}] * 5
    assert report["sets"]["xlmt_fr"]["no_cues"]["pooled"] == 1.0
    assert report["sets"]["xlmt_fr"]["shared_head_only"] == 0.0
    assert report["sets"]["tweeteval_en"]["no_cues"]["pooled"] == 1.0
    assert report["sets"]["tweeteval_en"]["metric"] == "macro_recall"


def test_pool_rows_keeps_a_text_shared_by_two_sets_once_and_drops_excluded_sets():
    data = {
        "tweeteval_en": {"train": (["a", "b"], np.array([0, 1])), "val": (["c"], np.array([2]))},
        "xlmt_en": {"train": (["b", "d"], np.array([1, 0])), "val": ([], np.array([], int))},
        "xlmt_hi": {"train": (["e"], np.array([0])), "val": ([], np.array([], int))},
    }
    texts, y, sets = pool_rows(data, ("xlmt_hi",), 0, np.random.default_rng(0))
    assert texts == ["a", "b", "c", "d"]
    assert y.tolist() == [0, 1, 2, 0]
    assert sets.tolist() == ["tweeteval_en"] * 3 + ["xlmt_en"]


def test_score_sets_uses_macro_recall_for_tweeteval_and_macro_f1_for_xlmt():
    y = np.array([0, 0, 0, 1, 2, 0, 0, 0, 1, 2])
    pred = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    sets = np.array(["tweeteval_en"] * 5 + ["xlmt_fr"] * 5)
    scores = score_sets(y, pred, sets)
    assert abs(scores["tweeteval_en"] - 1 / 3) < 1e-9  # recall 1, 0, 0
    assert abs(scores["xlmt_fr"] - (2 * 0.6 / 1.6) / 3) < 1e-9  # F1 of class 0 only


def test_a_set_left_with_one_class_is_not_scored():
    """XLM-T English after de-duplication against TweetEval: only negatives remain."""
    y = np.array([0, 1, 2, 0, 0])
    sets = np.array(["tweeteval_en"] * 3 + ["xlmt_en"] * 2)
    assert set(score_sets(y, y, sets)) == {"tweeteval_en"}


def test_choose_lang_heads_keeps_a_head_that_separates_what_the_shared_head_cannot():
    """French rows are separable on dimension 0..2, the shared head reads them all neutral:
    the French head is kept; English rows, which the shared head already gets right, keep it."""
    from training.cv_adapter import choose_lang_heads

    rng = np.random.default_rng(0)

    def rows(n, name):
        y = rng.integers(0, 3, n)
        X = rng.normal(0, 0.1, (n, 8))
        X[np.arange(n), y] += 1.0
        return X, y, np.array([name] * n)

    (Xf_en, yf_en, sf_en), (Xf_fr, yf_fr, sf_fr) = rows(120, "tweeteval_en"), rows(120, "xlmt_fr")
    (Xi_en, yi_en, si_en), (Xi_fr, yi_fr, si_fr) = rows(60, "tweeteval_en"), rows(60, "xlmt_fr")
    X_fit, y_fit = np.vstack([Xf_en, Xf_fr]), np.concatenate([yf_en, yf_fr])
    X_inner, y_inner = np.vstack([Xi_en, Xi_fr]), np.concatenate([yi_en, yi_fr])
    sets_fit, sets_inner = np.concatenate([sf_en, sf_fr]), np.concatenate([si_en, si_fr])
    shared = np.zeros((120, 3))
    shared[np.arange(60), yi_en] = 5.0  # right on English
    shared[60:, 1] = 5.0  # always neutral on French
    heads = choose_lang_heads(X_fit, y_fit, sets_fit, X_inner, y_inner, sets_inner, shared,
                              min_gain=0.01)  # fmt: skip
    assert heads["en"] is None
    assert heads["fr"] is not None
    assert (heads["fr"].predict(Xi_fr) == yi_fr).mean() > 0.9
    assert choose_lang_heads(X_fit, y_fit, sets_fit, X_inner, y_inner, sets_inner, shared,
                             0.01, min_rows=100) == {}  # fmt: skip
