"""Scoring mentions: sentiment from the model, rumour and crisis type from wording,
language from the source or detected. Identical texts (retweets) are scored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sentiment.language import detect_language
from sentiment.lexicons import crisis_type, rumour_score
from sentiment.model import SentimentModel
from store.models import MentionRow, ScoreRow

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class Scores:
    label: str
    probabilities: dict[str, float]
    rumour: float
    crisis_type: str | None
    lang: str
    model: str


class Scorer:
    """Turns texts into Scores with one model call per distinct text."""

    def __init__(self, model: SentimentModel):
        self.model = model

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Scores]:
        langs = langs or [None] * len(texts)
        distinct = list(dict.fromkeys(_strip_retweet(t) for t in texts))
        probs = dict(zip(distinct, self.model.predict(distinct)))
        out = []
        for text, lang in zip(texts, langs):
            core = _strip_retweet(text)
            p = probs[core]
            out.append(Scores(
                label=max(LABELS, key=p.__getitem__), probabilities=p,
                rumour=rumour_score(core), crisis_type=crisis_type(core),
                lang=lang or detect_language(core), model=self.model.name,
            ))
        return out


def _strip_retweet(text: str) -> str:
    """'RT @someone: words' reads as 'words'; the retweet adds reach, not meaning."""
    if text.startswith("RT @") and ": " in text:
        return text.split(": ", 1)[1]
    return text


def score_pending(session: Session, scorer: Scorer, now: datetime, limit: int = 1024) -> int:
    """Score up to `limit` mentions that have no score yet; returns how many were scored."""
    mentions = session.execute(
        select(MentionRow).outerjoin(ScoreRow).where(ScoreRow.mention_id.is_(None))
        .order_by(MentionRow.id).limit(limit)
    ).scalars().all()
    if not mentions:
        return 0
    scores = scorer.score([m.text for m in mentions], [m.lang for m in mentions])
    for mention, s in zip(mentions, scores):
        session.add(ScoreRow(
            mention_id=mention.id, label=s.label, negative=s.probabilities["negative"],
            neutral=s.probabilities["neutral"], positive=s.probabilities["positive"],
            rumour=s.rumour, crisis_type=s.crisis_type, lang=s.lang, model=s.model,
            scored_at=now,
        ))
        if mention.lang is None:
            mention.lang = s.lang
    return len(mentions)
