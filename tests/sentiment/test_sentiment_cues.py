"""The EN/FR wording cues on top of the sentiment model: sarcastic thanks (for nothing, for a
harm done) and praise about an unresolved failure, complaints ("!!", "since this morning")
and plain failure reports are never read as positive; complaints lean negative."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from sentiment.lexicons import adjust_sentiment, sentiment_cue
from sentiment.model import LABELS

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sentiment"

SARCASM = [
    "thanks for nothing",
    "great, another outage, love it",
    "Thanks a lot for nothing @nimbus",
    "Wow Nimbus is down again, just what I needed before my demo. Awesome.",
    "merci pour rien",
    "génial, encore une panne, j'adore",
    "Bravo Banqo, l'appli ne marche plus depuis ce matin, super",
    "Merci beaucoup pour rien @banqo",
    "Thanks so much @united for losing my bag again, great job",
    "Merci Air France d'avoir annulé mon vol, top",
    "Merci Free pour cette panne géniale, vraiment top",
]
COMPLAINT = [
    "Can't log in, login just spins forever!!",
    "Can't log in to Nimbus, login just spins forever!!",
    "Impossible de me connecter, ça tourne dans le vide !!",
    "Impossible de me connecter depuis ce matin !!",
    "Banqo est en panne depuis une demi-heure",
    "Nimbus is down again!",
    "Still not working.",
]
REPORT = [
    "Nimbus is down - getting error 503 on every page",
    "Is Nimbus down for everyone?",
    "the app keeps crashing since the update",
    "Nimbus est en panne. Réparez ça svp",
    "Nimbus is down and I have a client demo in 20 minutes",
    "L'appli Banqo ne charge plus, erreur 503 partout",
    "Apparemment la box ne marche plus chez moi",
    "my flight was cancelled and nobody answers",
]
FAILURE = COMPLAINT + REPORT
NO_CUE = [
    "Thanks for the quick fix, the app works perfectly again! Great support",
    "Great news, the outage is fixed and everything is back up, thanks team",
    "Merci, le service est rétabli, bravo à l'équipe !",
    "Who's down for Disneyland on Friday?!",  # "down for": an invitation, not an outage
    "Boonville is down 30-7 in the 3rd quarter",  # a score
    "Castle Crashers is free on Xbox One today",
    "love the new update, great work",
    "la mise à jour sort lundi",
    "Thanks Nimbus for fixing the outage so fast",
    "merci de m'avoir aidé, super service",
]


@pytest.mark.parametrize("text", SARCASM)
def test_sarcastic_praise_of_a_failure_is_a_sarcasm_cue(text):
    assert sentiment_cue(text) == "sarcasm"


@pytest.mark.parametrize("text", COMPLAINT)
def test_an_unresolved_failure_told_with_emphasis_is_a_complaint_cue(text):
    assert sentiment_cue(text) == "complaint"


@pytest.mark.parametrize("text", REPORT)
def test_a_plain_report_of_an_unresolved_failure_is_a_failure_cue(text):
    assert sentiment_cue(text) == "failure"


@pytest.mark.parametrize("text", NO_CUE)
def test_praise_of_a_fix_and_unrelated_uses_of_the_words_are_no_cue(text):
    assert sentiment_cue(text) is None


def test_adjust_moves_positive_to_negative_and_keeps_neutral_on_a_failure():
    probs = {"negative": 0.1, "neutral": 0.2, "positive": 0.7}
    out = adjust_sentiment("Is Nimbus down for everyone?", probs)
    assert out == pytest.approx({"negative": 0.8, "neutral": 0.2, "positive": 0.0})
    out = adjust_sentiment("Can't log in, login just spins forever!!", probs)
    assert out == pytest.approx({"negative": 0.9, "neutral": 0.1, "positive": 0.0})
    assert math.isclose(sum(out.values()), 1.0)
    assert probs["positive"] == 0.7  # the input is not modified
    assert adjust_sentiment("love the new update, great work", probs) == probs


def test_adjust_moves_half_of_neutral_too_on_sarcasm():
    probs = {"negative": 0.1, "neutral": 0.4, "positive": 0.5}
    out = adjust_sentiment("great, another outage, love it", probs)
    assert out == pytest.approx({"negative": 0.8, "neutral": 0.2, "positive": 0.0})
    assert math.isclose(sum(out.values()), 1.0)


@pytest.mark.skipif(not DATA.is_dir(), reason="shared sentiment data not present")
def test_cues_fire_rarely_and_almost_never_on_positive_labelled_tweets():
    """Measured on every labelled row of the shared data (train and val, all languages):
    the cues fire on about 0.1% of tweets, and at most 15% of those are labelled positive
    (the only label the cue takes probability away from)."""
    from training.common import read_tsv

    rows = fired = positive = 0
    for path in sorted(DATA.glob("*/*.tsv")):
        texts, y = read_tsv(path)
        rows += len(texts)
        for text, label in zip(texts, y):
            if sentiment_cue(text):
                fired += 1
                positive += LABELS[label] == "positive"
    assert 0 < fired < 0.005 * rows
    assert positive <= 0.15 * fired, (positive, fired)


@pytest.fixture(scope="module")
def embedded():
    from sentiment.model import EmbeddedSentiment
    from training.common import DEFAULT_CACHE

    return EmbeddedSentiment(DEFAULT_CACHE)


# The real cases, in both languages (the model alone read the sarcastic ones 0.82-0.99
# positive).
REAL_CASES = [
    "thanks for nothing",
    "great, another outage, love it",
    "Can't log in, login just spins forever!!",
    "merci pour rien",
    "génial, encore une panne, j'adore",
    "Impossible de me connecter, ça tourne dans le vide !!",
]


@pytest.mark.slow
def test_embedded_model_reads_sarcasm_and_the_real_complaints_as_negative(embedded):
    texts = REAL_CASES + SARCASM
    for text, p in zip(texts, embedded.predict(texts)):
        assert p["positive"] == 0.0, (text, p)
        assert max(p, key=p.get) == "negative", (text, p)
    assert embedded.name.endswith("+cues/2")


@pytest.mark.slow
def test_embedded_model_never_reads_a_failure_report_as_positive(embedded):
    """A plain question ("is it down for everyone?") may stay neutral; never positive."""
    for text, p in zip(FAILURE, embedded.predict(FAILURE)):
        assert p["positive"] == 0.0, (text, p)
        assert max(p, key=p.get) != "positive", (text, p)


@pytest.mark.slow
def test_embedded_model_still_reads_thanks_for_a_fix_as_positive(embedded):
    texts = ["Thanks for the quick fix, the app works perfectly again! Great support",
             "Great news, the outage is fixed and everything is back up, thanks team",
             "Merci, le service est rétabli, bravo à l'équipe !"]  # fmt: skip
    assert [max(p, key=p.get) for p in embedded.predict(texts)] == ["positive"] * 3
