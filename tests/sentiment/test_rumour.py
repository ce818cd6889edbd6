"""Rumour scoring: the trained head, its wording features, and how the scorer uses it."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from sentiment.lexicons import RUMOUR_FEATURES, rumour_features
from sentiment.model import LinearHead
from sentiment.rumour import (
    NB_CLIP,
    NON_RUMOUR,
    RUMOUR,
    RUMOUR_HEAD_PATH,
    THRESHOLD,
    RumourModel,
    event_masked,
    feature_matrix,
    labels,
    load_rumour_model,
    ngram_counts,
)
from sentiment.scorer import Scorer
from tests.support.embedded_fixture import embedded_model
from tests.support.word_model import WordModel


class HashEncoder:
    """A deterministic stand-in for E5Encoder that records what it was asked to embed."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls.append(list(texts))
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:4], "little")
            v = np.random.default_rng(seed).normal(size=384).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.array(rows).reshape(len(texts), 384)


class FakeEmbedded:
    """Shaped like EmbeddedSentiment (encoder + head) without the transformer."""

    name = "fake-embedded@1"

    def __init__(self) -> None:
        self.encoder = HashEncoder()
        self.head = LinearHead()

    def predict(self, texts):  # the scorer must not call this: it reuses the embedding
        raise AssertionError("predict() called; the scorer should use encoder + head")


def test_committed_weights_load_and_match_the_wording_features():
    model = load_rumour_model()
    assert model is not None, f"{RUMOUR_HEAD_PATH} missing"
    assert model.features == list(RUMOUR_FEATURES)
    assert model.embedding_dim == 384
    assert model.name.startswith("rumour-lr/")
    # the LOEO figures travel with the weights
    assert 0 < model.meta["chosen"]["threshold"] == model.threshold < 1
    # nested leave-one-event-out, threshold by F1 with precision >= 0.5 over the mixed events
    nested = model.meta["nested"]
    assert model.meta["chosen"]["criterion"] == "mixed"
    assert set(nested["per_event"]) >= {"ferguson", "ottawashooting"}
    assert len(nested["per_event"]) == 7
    assert nested["pooled"]["precision"] >= 0.5 and nested["pooled"]["f1"] >= 0.65


def test_probabilities_are_in_range_and_hedges_raise_them():
    model = RumourModel()
    plain = "Our team moved to Nimbus last month"
    hedged = "Apparently Nimbus got hacked?? unconfirmed, is it true? reportedly leaked"
    emb = np.zeros((2, 384), np.float32)  # same embedding: only the wording differs
    p = model.probabilities(emb, [plain, hedged])
    assert p.shape == (2,) and np.all((p >= 0) & (p <= 1))
    assert p[1] > p[0]
    assert labels([0.2, 0.5, 0.9]) == [NON_RUMOUR, RUMOUR, RUMOUR]
    assert model.probabilities(np.zeros((0, 384)), []).shape == (0,)


def test_probabilities_apply_no_rule_on_top_of_the_model():
    # no "unhedged bar": the score is the members' mean probability, only shifted so that the
    # trained threshold reads 0.5 and scaled by the calibration slope (a monotone map)
    model = RumourModel()
    texts = ["Nimbus is down, this is unacceptable", "Apparently Nimbus got hacked"]
    emb = np.random.default_rng(0).normal(size=(2, 384)).astype(np.float32)
    p_lr = 1 / (1 + np.exp(-(model.inputs(emb, texts) @ model.coef + model.intercept)))
    z_nb = model.nb_scale * model.nb.logodds(ngram_counts(texts)) + model.nb_offset
    mean = (p_lr + 1 / (1 + np.exp(-z_nb))) / 2
    t = model.threshold
    expected = 1 / (1 + np.exp(-model.slope * (np.log(mean / (1 - mean)) - np.log(t / (1 - t)))))
    assert 1 < model.slope == model.meta["chosen"]["calibration_slope"] < 5
    assert np.allclose(model.probabilities(emb, texts), expected, rtol=1e-6)


def test_the_trained_threshold_reads_as_the_shared_threshold():
    model = RumourModel()
    emb = np.zeros((40, 384), np.float32)
    texts = [f"text number {i} is it true? apparently" if i % 2 else f"plain post {i}" for i in range(40)]
    p_lr, p_nb = model.member_probabilities(emb, texts)
    raw = (p_lr + p_nb) / 2
    shifted = model.probabilities(emb, texts)
    assert np.array_equal(raw >= model.threshold, shifted >= THRESHOLD)
    assert np.all(np.diff(shifted[np.argsort(raw)]) >= -1e-12)  # same order


def test_wording_features_are_named_and_read_french_too():
    f = dict(zip(RUMOUR_FEATURES, rumour_features("Apparemment la panne serait due à un "
                                                  "piratage, quelqu'un peut confirmer ?")))
    assert f["hedges"] >= 2 and f["question_marks"] == 1 and f["leak_terms"] >= 1
    assert feature_matrix(np.zeros((1, 384)), ["x"]).shape == (1, 384 + len(RUMOUR_FEATURES))


def test_committed_head_averages_a_masked_word_ngram_naive_bayes():
    model = RumourModel()
    assert model.version == "4" and model.nb is not None and model.meta["chosen"]["ngrams"]
    assert len(model.nb.cols) == len(model.nb.delta) == model.meta["chosen"]["nb_terms"] > 1000
    texts = ["is it true?", "thanks for the help"]
    x = model.inputs(np.zeros((2, 384), np.float32), texts)
    assert x.shape == (2, 384 + len(RUMOUR_FEATURES))
    assert np.all(np.abs(model.nb.logodds(ngram_counts(texts))) <= NB_CLIP)
    p_lr, p_nb = model.member_probabilities(np.zeros((2, 384), np.float32), texts)
    assert p_lr.shape == p_nb.shape == (2,) and np.all((p_nb > 0) & (p_nb < 1))


def test_the_ngrams_see_how_a_claim_is_worded_not_which_event():
    # names, hashtags, numbers, links and handles become placeholders; the first word stays
    masked = event_masked("Reports say Michael Brown was shot 10 times #Ferguson @cnn http://t.co/x")
    assert masked.split() == ["reports", "say", "xname", "was", "shot", "0", "times", "#tag",
                              "@user", "httpurl"]
    assert event_masked("Is it true Telyo got hacked?") == "is it true  xname  got hacked?"
    # two events' claims worded the same way share every n-gram
    a, b = ngram_counts(["Police say gunman in Ottawa is dead #OttawaShooting",
                         "Police say gunman in Sydney is dead #sydneysiege"])
    assert (a != b).nnz == 0


def test_a_version_3_head_is_refused(tmp_path):
    with np.load(RUMOUR_HEAD_PATH, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k not in ("nb_scale", "nb_offset")}
    np.savez(tmp_path / "v3.npz", **arrays)
    with pytest.raises(ValueError, match="version-3"):
        RumourModel(tmp_path / "v3.npz")


def test_the_mixed_criterion_reads_precision_on_events_with_both_classes_only():
    from training.train_rumour import choose_threshold

    rng = np.random.default_rng(0)
    # event "a": 25 % rumours, scores informative; event "b": all rumours, low scores
    ya = (rng.random(400) < 0.25).astype(int)
    pa = np.clip(0.3 + 0.25 * ya + rng.normal(0, 0.12, 400), 0, 1)
    yb, pb = np.ones(300, int), np.clip(rng.normal(0.25, 0.05, 300), 0, 1)
    y, p = np.concatenate([ya, yb]), np.concatenate([pa, pb])
    ev = np.array(["a"] * 400 + ["b"] * 300)
    t_pooled, _ = choose_threshold(y, p, ev, "pooled")
    t_mixed, _ = choose_threshold(y, p, ev, "mixed")
    # the all-rumour event makes a low threshold look precise; read on "a" alone it is not
    assert t_pooled < 0.3 < t_mixed
    flagged = pa >= t_mixed
    assert ya[flagged].mean() >= 0.5


def test_naive_bayes_score_is_the_log_odds_of_sklearn_multinomial_nb():
    from sklearn.naive_bayes import MultinomialNB

    from training.train_rumour import fit_nb

    texts = ["is it true he was shot?", "reportedly shot dead", "police say shot", "lovely day",
             "thanks for the help", "my order is late", "is it true? unconfirmed", "late again"]
    y = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    counts = ngram_counts(texts)
    nb = fit_nb(counts, y, np.arange(len(texts)))
    sub = counts[:, nb.cols]
    ref = MultinomialNB().fit(sub, y).predict_joint_log_proba(sub)
    assert np.allclose(nb.logodds(counts), np.clip(ref[:, 1] - ref[:, 0], -NB_CLIP, NB_CLIP))
    assert len(nb.cols) < counts[:, np.unique(counts.indices)].shape[1]  # singletons dropped


def test_stacked_naive_bayes_is_cross_fitted_by_event():
    # each event's NB input comes from an NB that never saw that event: a term only event "a"
    # uses (with a rumour label) moves its rows' log-odds only in the NB trained with "a"
    from training.train_rumour import Head

    texts = ["zebra rumour", "zebra rumour", "calm one", "calm one",
             "other rumour", "other rumour", "calm two", "calm two",
             "third rumour", "third rumour", "calm three", "calm three"]
    y = np.array([1, 1, 0, 0] * 3)
    groups = np.array(["a"] * 4 + ["b"] * 4 + ["c"] * 4)
    counts = ngram_counts(texts)
    head = Head(np.zeros((12, 1)), y, groups, 0, "class", counts, np.ones(12, bool))
    full, z = head.stacked_nb(np.arange(12))
    # with "a" seen, "zebra" pushes its rows up; cross-fitted, "zebra" is unknown and dropped
    assert full.logodds(counts[:1])[0] > z[0]
    without_a = Head(np.zeros((8, 1)), y[4:], groups[4:], 0, "class", counts[4:], np.ones(8, bool))
    inner = without_a.stacked_nb(np.arange(8))[0]
    assert np.isclose(inner.logodds(counts[:1])[0], z[0])


def test_scorer_embeds_each_distinct_text_once_and_caches_across_calls():
    model = FakeEmbedded()
    scorer = Scorer(model)
    texts = ["Nimbus is down", "RT @big: Nimbus is down", "Nimbus is down", "love Nimbus"]
    scores = scorer.score(texts)
    assert model.encoder.calls == [["Nimbus is down", "love Nimbus"]]
    assert scores[0] == scores[1] == scores[2]
    assert all(0.0 <= s.rumour <= 1.0 for s in scores)
    assert "rumour-lr/" in scores[0].model and "crisis-lr/" in scores[0].model
    assert scores[0].model.startswith("fake-embedded@1;")
    again = scorer.score(["love Nimbus", "new text"])
    assert model.encoder.calls[-1] == ["new text"]  # "love Nimbus" came from the cache
    assert again[0] == scores[3]
    assert scorer.stats["cached"] == 1


def test_cache_is_bounded():
    model = FakeEmbedded()
    scorer = Scorer(model, cache_size=2)
    scorer.score(["a one", "b two", "c three"])
    scorer.score(["a one"])  # evicted: embedded again
    assert model.encoder.calls[-1] == ["a one"]


def test_without_an_encoder_the_scorer_falls_back_to_the_lexicon():
    scorer = Scorer(WordModel())
    assert scorer.rumour_model is None and scorer.crisis_model is None
    hearsay = "Apparently Nimbus got hacked, unconfirmed but a friend who works there says so"
    s = scorer.score([hearsay, "Nimbus is slow today"])
    assert s[0].rumour >= 0.5 and s[0].crisis_type == "data_leak"
    assert s[1].rumour < 0.5 and s[1].crisis_type == "degraded"
    assert s[0].model == "test-words@1;rumour-lexicon/2;crisis-lexicon/2"


def test_an_explicit_encoder_serves_a_model_that_cannot_embed():
    enc = HashEncoder()
    scorer = Scorer(WordModel(), encoder=lambda: enc)  # built lazily
    s = scorer.score(["Nimbus is down"])
    assert enc.calls == [["Nimbus is down"]]
    assert s[0].label == "negative"  # sentiment still from the word model
    assert "rumour-lr/" in s[0].model


@pytest.mark.slow
def test_real_model_flags_drill_hearsay_and_not_calm_chatter(tmp_path_factory):
    scorer = Scorer(embedded_model(tmp_path_factory))
    hearsay = [
        ("Apparently the Nimbus outage is because they got hacked, unconfirmed but a friend "
         "who works there says so"),
        "Apparemment la panne Nimbus serait due à un piratage, rien de confirmé mais on me l'a dit",
        "Is it true Nimbus got hacked?",
        "Unconfirmed: a seller claims to have the Nimbus customer database, 2M records. Is it real?",
    ]
    calm = [
        "Just set up Nimbus for the whole team, onboarding was smooth",
        "Moved our files to Nimbus last month, no regrets so far",
        "Webinar from Nimbus today about shared workspaces",
        "On vient de passer toute l'équipe sur Nimbus, super simple",
        "Merci @nimbushq pour la réponse rapide au support",
        "Nimbus is down and I have a client demo in 20 minutes",
    ]
    r = [s.rumour for s in scorer.score(hearsay + calm)]
    assert all(x >= 0.5 for x in r[: len(hearsay)]), r
    assert sum(x >= 0.5 for x in r[len(hearsay):]) <= 1, r


# From the rumour study's check set (hand-written, same fictional brands as the leak rows the
# head is trained on, so this shows the intended behaviour is learnt, not an accuracy).
CHECK_HEARSAY = [
    "Apparently Banqo got hacked and customer passwords are being sold, can anyone confirm?",
    "Is it true that Nimbus leaked all our files? Seeing this everywhere",
    "Sources say FlyNord will cancel all flights tomorrow, not confirmed yet",
    "Hearing from a friend who works at Telyo that the outage was actually a ransomware attack",
    "Did Fresko really get hacked? my feed is full of screenshots",
    "Il paraît que Banqo s'est fait pirater, quelqu'un peut confirmer ?",
    "Selon un employé, Shopzy aurait perdu les mots de passe de tous ses clients",
    "Rumeur : PayLite serait en faillite et bloquerait les retraits",
    "Les données de Telyo semblent avoir été publiées sur un forum, rien de confirmé",
    "Quelqu'un sait si c'est vrai que Fresko a été hacké ?",
]
CHECK_NOT_HEARSAY = [
    # first-hand reports and complaints, with "apparently" / "apparemment"
    "Apparently I have to phone Telyo to cancel my contract, and they charge a fee for it. Ridiculous",
    "Apparemment l'appli Banqo ne marche plus chez moi depuis ce matin",
    "Banqo app down since 9am, can't log in at all",
    "@Telyo my internet has been out all day and nobody answers the phone. Unacceptable",
    "FlyNord me facture 80 euros de frais d'annulation alors que c'est eux qui ont annulé le vol !",
    # status reports, attributed to the brand's own page
    "According to the Nimbus status page, the outage is fixed now",
    "We are aware of an issue affecting logins and are working on a fix. Next update in 30 min",
    "Mise à jour : le service Nimbus est rétabli, merci de votre patience",
    "Selon le site de Telyo, la panne sera réparée avant midi",
]


@pytest.mark.slow
def test_real_model_flags_hedged_claims_en_fr_and_not_first_hand_reports(tmp_path_factory):
    scorer = Scorer(embedded_model(tmp_path_factory))
    scores = scorer.score(CHECK_HEARSAY + CHECK_NOT_HEARSAY)
    hearsay = {t: round(s.rumour, 3) for t, s in zip(CHECK_HEARSAY, scores)}
    plain = {t: round(s.rumour, 3) for t, s in zip(CHECK_NOT_HEARSAY, scores[len(CHECK_HEARSAY):])}
    assert all(r >= 0.5 for r in hearsay.values()), hearsay
    assert all(r < 0.5 for r in plain.values()), plain


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="known false positive of rumour-lr/4 (0.54; rumour-lr/3 0.66): "
                   "the English first-hand outage report with 'apparently' (the French one 0.39)")
def test_real_model_known_miss_english_apparently_outage(tmp_path_factory):
    scorer = Scorer(embedded_model(tmp_path_factory))
    [s] = scorer.score(["Apparently the Nimbus app won't load for me again, third time this week"])
    assert s.rumour < 0.5
