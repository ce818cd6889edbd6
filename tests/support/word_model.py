"""Test helpers: a deterministic word-based sentiment model, so tests that exercise the
pipeline do not wait for the real transformer (which has tests of its own)."""

from __future__ import annotations

import re

NEGATIVE = re.compile(
    r"down|panne|unacceptable|inadmissible|can't|won't|impossible|503|not working|bloqu|"
    r"hacked|leak|fuit|pirat|😡|scary|inquiétant|outage", re.IGNORECASE)
POSITIVE = re.compile(r"love|thanks|merci|smooth|nice|happy|réussie|super|no regrets", re.IGNORECASE)


class WordModel:
    """Implements sentiment.model.SentimentModel from a few telling words."""

    name = "test-words@1"

    def predict(self, texts: list[str]) -> list[dict[str, float]]:
        out = []
        for t in texts:
            if NEGATIVE.search(t):
                out.append({"negative": 0.8, "neutral": 0.15, "positive": 0.05})
            elif POSITIVE.search(t):
                out.append({"negative": 0.05, "neutral": 0.15, "positive": 0.8})
            else:
                out.append({"negative": 0.1, "neutral": 0.8, "positive": 0.1})
        return out
