"""Scoring mentions: sentiment, rumour score, crisis type and language.

``Scorer.score(texts)`` returns one ``Scores`` per text, in order. Work is done once per
distinct text: a retweet ("RT @x: words") reads as its words, exact copies (copy-paste
campaigns) are scored together, and recent results are kept in an in-memory LRU keyed by the
SHA-256 of the text, so the same words arriving in the next batch cost nothing.

Models:

- The embedded model (``EmbeddedSentiment``) reads each distinct text twice: with its
  sentiment-tuned encoder for the sentiment head, and with the base encoder
  (``topic_encoder``) for the rumour model (``sentiment.rumour``) and the crisis-type model
  (``sentiment.crisis_type``), since the sentiment fine-tuning blurs what a text is about.
  The two encoders differ only above layer 3, so the lower stack runs once for both
  (``EmbeddedSentiment.predict_with_topic``, ``sentiment.stacks``): the same embeddings.
- A model with ``.encoder`` and ``.head`` but no ``topic_encoder`` (the tests' stand-ins)
  embeds once and that embedding feeds all three heads.
- Any other sentiment model (a Hugging Face classifier, the tests' word model) gives the
  sentiment; rumour and crisis type then come from an ``encoder`` passed to the Scorer (an
  object with ``embed(texts)``, or a zero-argument callable building one lazily; app wiring
  passes the base embedded encoder), and without one from the EN/FR wording rules of
  ``sentiment.lexicons``.

``Scores.model`` names every model that produced the score, e.g.
``multilingual-e5-small-q4.v1+ft1-0a1b2c3d+int8.2+lr-head/ft1-ab12cd34;rumour-lr/2-..;crisis-lr/1-..`` or
``test-words@1;rumour-lexicon/2;crisis-lexicon/2``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sentiment.crisis_type import (
    FROM_LEXICON,
    CrisisTypeModel,
    load_crisis_type_model,
    stored_type,
)
from sentiment.language import detect_language
from sentiment.lexicons import crisis_type as lexicon_crisis_type
from sentiment.lexicons import rumour_score
from sentiment.model import LABELS, SentimentModel
from sentiment.rumour import RumourModel, load_rumour_model
from store.claims import is_postgres, skip_locked
from store.models import MentionRow, ScoreRow

LEXICON_VERSION = "2"  # bump when sentiment.lexicons changes what it returns
MODEL_NAME_MAX = 128  # ScoreRow.model is VARCHAR(128)
_DEFAULT: Any = object()


@dataclass(frozen=True)
class Scores:
    label: str
    probabilities: dict[str, float]
    rumour: float
    crisis_type: str | None  # stored vocabulary: responders.incidents.CRISIS_TYPES or None
    lang: str
    model: str
    crisis_class: str | None = None  # the classifier's own class (praise, slowness, other...)


class Scorer:
    """Turns texts into Scores with one model pass per distinct text.

    ``rumour_model`` / ``crisis_model``: default = the committed weights when present; None =
    use the lexicon. ``encoder``: see the module docstring. ``cache_size``: LRU entries.
    """

    def __init__(
        self,
        model: SentimentModel,
        *,
        rumour_model: RumourModel | None = _DEFAULT,
        crisis_model: CrisisTypeModel | None = _DEFAULT,
        encoder: Any | Callable[[], Any] | None = None,
        cache_size: int = 50_000,
    ):
        self.model = model
        topic = encoder if encoder is not None else getattr(model, "topic_encoder", None)
        self._encoder = topic if topic is not None else getattr(model, "encoder", None)
        self._head = getattr(model, "head", None) if topic is None else None
        # the embedded model with its own topic encoder reads both in one pass of the shared
        # lower stack (EmbeddedSentiment.predict_with_topic): the same scores, less work
        self._joint = getattr(model, "predict_with_topic", None) if encoder is None else None
        can_embed = self._encoder is not None
        self.rumour_model = (
            (load_rumour_model() if rumour_model is _DEFAULT else rumour_model)
            if can_embed
            else None
        )
        self.crisis_model = (
            (load_crisis_type_model() if crisis_model is _DEFAULT else crisis_model)
            if can_embed
            else None
        )
        self.name = _model_name(model.name, self.rumour_model, self.crisis_model)
        self.cache_size = cache_size
        self._cache: OrderedDict[bytes, tuple] = OrderedDict()
        self.stats = {"texts": 0, "distinct": 0, "cached": 0, "computed": 0}

    @property
    def encoder(self):
        """The embedding encoder, built on first use when it was given as a factory."""
        if self._encoder is not None and not hasattr(self._encoder, "embed"):
            self._encoder = self._encoder()
        return self._encoder

    def score(self, texts: list[str], langs: list[str | None] | None = None) -> list[Scores]:
        cores = [_strip_retweet(t) for t in texts]
        langs = [
            lang or detect_language(core) for lang, core in zip(langs or [None] * len(texts), cores)
        ]
        keys = [hashlib.sha256(c.encode("utf-8", "surrogatepass")).digest() for c in cores]
        results: dict[bytes, tuple] = {}
        todo: dict[bytes, tuple[str, str]] = {}
        for key, core, lang in zip(keys, cores, langs):
            if key in results or key in todo:
                continue
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                results[key] = hit
            else:
                todo[key] = (core, lang)
        self.stats["texts"] += len(texts)
        self.stats["distinct"] += len(results) + len(todo)
        self.stats["cached"] += len(results)
        self.stats["computed"] += len(todo)
        if todo:
            texts_todo, langs_todo = (list(x) for x in zip(*todo.values()))
            for key, value in zip(todo, self._compute(texts_todo, langs_todo)):
                results[key] = value
                self._remember(key, value)
        out = []
        for key, core, lang in zip(keys, cores, langs):
            probs, rumour, crisis_class = results[key]
            out.append(
                Scores(
                    label=max(LABELS, key=probs.__getitem__),
                    probabilities=dict(probs),
                    rumour=rumour,
                    crisis_type=stored_type(crisis_class),
                    lang=lang,
                    model=self.name,
                    crisis_class=crisis_class,
                )
            )
        return out

    def sentiment_labels(self, texts: list[str]) -> list[str]:
        """Only the sentiment label of each text, as ``score`` would give it, through the
        sentiment model alone (one encoder pass per distinct text, no rumour or crisis-type
        reading): what ``crisiswatch sentiment predict`` asks for."""
        cores = [_strip_retweet(t) for t in texts]
        distinct = list(dict.fromkeys(cores))
        probs = dict(zip(distinct, self.model.predict(distinct))) if distinct else {}
        return [max(LABELS, key=probs[c].__getitem__) for c in cores]

    def _compute(
        self, texts: list[str], langs: list[str]
    ) -> list[tuple[dict[str, float], float, str | None]]:
        """(probabilities, rumour score, crisis class) per distinct text; ``langs`` selects
        per-language sentiment heads where the embedded head has them."""
        reads_topic = self.rumour_model is not None or self.crisis_model is not None
        if self._joint is not None and reads_topic:
            probs, emb = self._joint(texts, self.encoder)
        else:
            emb = self.encoder.embed(texts) if reads_topic or self._head is not None else None
            if self._head is not None:
                rows = self._head.probabilities(emb, langs).astype(float)
                probs = [dict(zip(self._head.labels, r)) for r in rows]
            else:
                probs = self.model.predict(texts)
        if self.rumour_model is not None:
            rumours = [round(float(p), 4) for p in self.rumour_model.probabilities(emb, texts)]
        else:
            rumours = [rumour_score(t) for t in texts]
        if self.crisis_model is not None:
            classes = self.crisis_model.predict(emb)
        else:
            classes = [_lexicon_class(t) for t in texts]
        return list(zip(probs, rumours, classes))

    def _remember(self, key: bytes, value: tuple) -> None:
        self._cache[key] = value
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def _lexicon_class(text: str) -> str | None:
    found = lexicon_crisis_type(text)
    return FROM_LEXICON.get(found, found) if found else None


def _model_name(sentiment: str, rumour: RumourModel | None, crisis: CrisisTypeModel | None) -> str:
    parts = [
        sentiment,
        rumour.name if rumour else f"rumour-lexicon/{LEXICON_VERSION}",
        crisis.name if crisis else f"crisis-lexicon/{LEXICON_VERSION}",
    ]
    name = ";".join(parts)
    if len(name) > MODEL_NAME_MAX:  # a long hub name: keep it traceable by digest
        digest = hashlib.sha256(sentiment.encode()).hexdigest()[:8]
        tail = ";".join(parts[1:])
        name = f"{sentiment[: MODEL_NAME_MAX - len(tail) - 11]}#{digest};{tail}"
    return name


def _strip_retweet(text: str) -> str:
    """'RT @someone: words' reads as 'words'; the retweet adds reach, not meaning."""
    if text.startswith("RT @") and ": " in text:
        return text.split(": ", 1)[1]
    return text


def score_pending(session: Session, scorer: Scorer, now: datetime, limit: int = 1024) -> int:
    """Score up to `limit` mentions that have no score yet; returns how many were scored.
    On PostgreSQL the batch is claimed (``FOR UPDATE SKIP LOCKED``), so workers scoring
    side by side take disjoint batches."""
    pending = (select(MentionRow).outerjoin(ScoreRow).where(ScoreRow.mention_id.is_(None))
               .order_by(MentionRow.id).limit(limit))
    mentions = session.execute(skip_locked(session, pending, MentionRow)).scalars().all()
    if mentions and is_postgres(session):
        # The claim's snapshot predates it: a worker that committed in between left these
        # rows unlocked but scored. A new statement sees its scores; drop them.
        done = set(session.execute(select(ScoreRow.mention_id).where(
            ScoreRow.mention_id.in_([m.id for m in mentions]))).scalars())
        mentions = [m for m in mentions if m.id not in done]
    if not mentions:
        return 0
    scores = scorer.score([m.text for m in mentions], [m.lang for m in mentions])
    for mention, s in zip(mentions, scores):
        session.add(
            ScoreRow(
                mention_id=mention.id,
                label=s.label,
                negative=s.probabilities["negative"],
                neutral=s.probabilities["neutral"],
                positive=s.probabilities["positive"],
                rumour=s.rumour,
                crisis_type=s.crisis_type,
                lang=s.lang,
                model=s.model,
                scored_at=now,
            )
        )
        if mention.lang is None:
            mention.lang = s.lang
    return len(mentions)


@dataclass
class Scoring:
    """Stage: score every mention still waiting, in batches of ``batch`` (each its own
    commit); returns how many were scored."""

    scorer: Scorer
    batch: int = 1024

    def run_once(self, store, now: datetime) -> int:
        scored = 0
        while True:
            with store.session() as session:
                n = score_pending(session, self.scorer, now, limit=self.batch)
            scored += n
            if n == 0:
                return scored
