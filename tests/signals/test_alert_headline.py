"""An alert is titled by what happened, not by which detectors fired."""

from __future__ import annotations

from signals.alerts import headline


def sig(kind, observed, expected, surprise=5.0, **extra):
    return {"kind": kind, "observed": observed, "expected": expected, "surprise": surprise,
            **extra}


def test_headline_says_what_happened_with_the_strongest_signal_of_each_kind():
    evidence = {"signals": [sig("mentions", 12, 4, 3.0), sig("mentions", 40, 10, 9.0),
                            sig("negative_share", 0.81, 0.12), sig("tickets", 30, 3),
                            sig("terms", 9, 1, terms=["hacked"])],
                "emerging_terms": {"hacked": 9.0, "leak": 7.0, "passwords": 5.0, "x": 1.0}}
    title = headline(["mentions", "negative_share", "tickets", "terms"], evidence)
    assert title == ("Mentions 4x normal, 81% negative (normally 12%), support tickets 10x "
                     "normal, new words: 'hacked', 'leak', 'passwords'")


def test_headline_falls_back_to_the_kinds_without_evidence():
    assert headline(["reach"], {"signals": []}) == "Unusual reach-weighted negativity"
    assert headline(["reach"], {"signals": [sig("reach", 3.2, 1.0)]}) == \
        "Negative posts from large accounts"
    assert headline(["mentions"], {"signals": [sig("mentions", 5, 0)]}) == \
        "Mentions many times normal"
