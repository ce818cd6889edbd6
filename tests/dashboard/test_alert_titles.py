"""Alert titles read in the user's language: the cockpit rewrites the stored English title
from the alert's evidence with its own words, which must stay those of signals.alerts."""

from __future__ import annotations

from dashboard import alert_titles, i18n
from signals import alerts


def test_the_cockpit_words_are_the_detectors_words():
    assert alert_titles.WORDS == alerts.HEADLINE_WORDS
    assert alert_titles.KIND_NAMES == alerts.KIND_NAMES


def french(words: dict) -> dict:
    return {k: i18n.translate(v, "fr") for k, v in words.items()}


def test_a_french_title_from_the_same_evidence():
    evidence = {"signals": [
        {"kind": "negative", "observed": 44, "expected": 0.56, "surprise": 9.0},
        {"kind": "negative_share", "observed": 0.78, "expected": 0.02, "surprise": 6.0},
        {"kind": "reach", "observed": 54, "expected": 1, "surprise": 5.0}],
        "emerging_terms": {"panne": 9.0, "hacké": 7.0}}
    kinds = ["negative", "reach", "negative_share", "terms"]
    english = alerts.headline(kinds, evidence)
    assert english == ("Negative mentions 79x normal, negative posts from large accounts, "
                       "78% negative (normally 2%)")
    title = alerts.headline(kinds, evidence, words=french(alert_titles.WORDS),
                            kind_names=french(alert_titles.KIND_NAMES))
    assert title == ("Mentions négatives : 79 fois la normale, messages négatifs de comptes "
                     "très suivis, 78% de négatifs (normalement 2%)")
    assert alerts.headline(["reach"], {"signals": []}, words=french(alert_titles.WORDS),
                           kind_names=french(alert_titles.KIND_NAMES)) == \
        "Inhabituel : négativité pondérée par l'audience"


def test_outside_a_request_and_without_evidence_the_stored_title_stands():
    assert alert_titles.alert_title(["mentions"], None, "Stored title") == "Stored title"
    evidence = {"signals": [{"kind": "mentions", "observed": 40, "expected": 10,
                             "surprise": 9.0}]}
    assert alert_titles.alert_title(["mentions"], evidence, "x") == "Mentions 4x normal"
