"""Rumours: mentions the scorer flagged (rumour >= 0.5) grouped into the claims they make,
each claim linked to the official statement that answers it, and its volume before and
after that statement (does it decay?).

Clustering is incremental and deterministic: each new rumour mention, oldest first, joins
the claim whose centroid it is most similar to (cosine over content words), or starts a
new claim. Words are normalised across English and French (accents folded, a small
crisis vocabulary mapped to shared concepts: "hacked" and "piraté" are one word), so the
same claim in both languages is one claim. Retweets are folded: "RT @x: text" counts as
the text, in the original's claim.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from responders.incidents import record
from responders.wording import wording
from store.models import (
    DraftRow,
    DraftStatus,
    IncidentRow,
    MentionRow,
    RumourClaimRow,
    RumourMentionRow,
    ScoreRow,
    StatusPostRow,
)

RUMOUR = 0.5
THRESHOLD = 0.45  # cosine to a claim's centroid to join it
BUCKET = timedelta(minutes=10)

_RT = re.compile(r"^\s*RT\s+@\w+:?\s*", re.IGNORECASE)
_NOISE = re.compile(r"https?://\S+|[@#]\w+")
_WORD = re.compile(r"[a-z0-9]+")
STOPWORDS = frozenset(["a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "by", "for", "with", "from", "as", "is", "are", "was", "were", "be", "been", "being", "it", "its", "this", "that", "these", "those", "there", "here", "i", "you", "he", "she", "we", "they", "me", "him", "her", "us", "them", "my", "your", "our", "their", "do", "does", "did", "done", "have", "has", "had", "not", "no", "so", "just", "about", "apparently", "heard", "hear", "say", "says", "said", "really", "very", "also", "now", "today", "what", "who", "why", "how", "when", "all", "any", "some", "can", "could", "would", "should", "will", "rt", "via", "lol", "omg", "le", "la", "les", "un", "une", "des", "du", "de", "d", "l", "et", "ou", "mais", "si", "a", "au", "aux", "en", "dans", "sur", "par", "pour", "avec", "sans", "ce", "cet", "cette", "ces", "il", "elle", "on", "nous", "vous", "ils", "elles", "je", "tu", "me", "te", "se", "leur", "leurs", "mon", "ma", "mes", "ton", "ta", "tes", "son", "sa", "ses", "notre", "nos", "votre", "vos", "est", "sont", "etait", "ete", "etre", "avoir", "ont", "qui", "que", "qu", "quoi", "ne", "pas", "plus", "y", "c", "s", "n", "j", "m", "t", "apparemment", "parait", "paraitrait", "dit", "selon", "entendu", "vraiment", "aussi"])
# Crisis vocabulary, English and French, to one concept each (checked after accent folding).
CONCEPTS = {
    "hack": "hack", "hacked": "hack", "hacker": "hack", "hackers": "hack", "hacking": "hack",
    "pirate": "hack", "pirates": "hack", "piratee": "hack", "piratage": "hack",
    "breach": "breach", "breached": "breach", "intrusion": "breach",
    "leak": "leak", "leaked": "leak", "leaks": "leak", "fuite": "leak", "fuites": "leak",
    "data": "data", "donnees": "data", "donnee": "data",
    "password": "password", "passwords": "password", "mdp": "password",
    "stolen": "steal", "steal": "steal", "stole": "steal", "vole": "steal", "voles": "steal",
    "volees": "steal", "vol": "steal",
    "bankrupt": "bankrupt", "bankruptcy": "bankrupt", "faillite": "bankrupt",
    "ransom": "ransom", "ransomware": "ransom", "rancon": "ransom", "rancongiciel": "ransom",
    "sold": "sell", "selling": "sell", "sell": "sell", "vendu": "sell", "vendues": "sell",
    "vendus": "sell", "vendre": "sell",
    "deleted": "delete", "delete": "delete", "wiped": "delete", "supprime": "delete",
    "supprimes": "delete", "effaces": "delete",
    "down": "down", "panne": "down", "outage": "down", "offline": "down",
    "shutting": "shutdown", "shutdown": "shutdown", "closing": "shutdown", "ferme": "shutdown",
    "fermeture": "shutdown",
    "customers": "customer", "customer": "customer", "clients": "customer",
    "client": "customer", "users": "customer", "utilisateurs": "customer",
    "files": "file", "file": "file", "fichiers": "file", "fichier": "file",
    "cards": "card", "card": "card", "cartes": "card", "carte": "card",
    "credit": "card", "bancaires": "card", "bancaire": "card",
    "government": "government", "gouvernement": "government", "police": "police",
    "fired": "fire", "licencie": "fire", "licencies": "fire", "layoffs": "fire",
    "week": "week", "weeks": "week", "semaine": "week", "semaines": "week",
    "next": "next", "prochaine": "next", "prochain": "next", "tomorrow": "tomorrow",
    "demain": "tomorrow", "money": "money", "argent": "money", "refund": "refund",
    "rembourse": "refund", "remboursement": "refund",
    "covering": "coverup", "cover": "coverup", "hiding": "coverup", "cachent": "coverup",
    "cache": "coverup",
    # Seen on the drill's and the replayed breach's claims (issue 15): "they got hacked" and
    # "s'est fait pirater" are one claim.
    "pirater": "hack", "piraterie": "hack", "pirated": "hack", "hackes": "hack",
    "true": "true", "vrai": "true", "vraie": "true", "real": "true",
    "unconfirmed": "confirm", "confirmed": "confirm", "confirm": "confirm",
    "confirme": "confirm", "confirmee": "confirm", "confirmer": "confirm",
    "because": "cause", "due": "cause", "cause": "cause", "parce": "cause",
    "exposed": "leak", "exposes": "leak", "exposees": "leak", "expose": "leak",
    "sale": "sell", "vente": "sell", "sample": "sample", "echantillon": "sample",
    "accounts": "account", "account": "account", "comptes": "account", "compte": "account",
    "emails": "email", "email": "email", "mails": "email",
    "database": "data", "base": "data",
}
# Concepts carry the claim across languages; other words only tell claims apart.
CONCEPT_WEIGHT = 2.0
# Filler that differs between languages and says nothing about the claim.
FILLER = frozenset(["got", "get", "gets", "getting", "fait", "faire", "serait", "seraient",
                    "aurait", "auraient", "rien", "ca", "cest", "est", "ete", "been", "one",
                    "someone", "quelqu", "un", "friend", "ami", "works", "work", "travaille",
                    "tell", "told", "dire", "says", "chez", "apparently", "apparemment"])


_CONCEPT_NAMES = frozenset(CONCEPTS.values())


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower())
                   if not unicodedata.combining(c))


def strip_retweet(text: str) -> str:
    return _RT.sub("", text, count=1)


def terms(text: str, brand_words: tuple[str, ...] = ()) -> dict[str, float]:
    """The unit-length term vector of a mention: content words, concepts shared across
    languages, without the brand's own name (every mention has it)."""
    words = _WORD.findall(fold(_NOISE.sub(" ", strip_retweet(text))))
    skip = STOPWORDS | FILLER | {fold(w) for w in brand_words}
    counts = Counter()
    for w in words:
        if w in skip or len(w) < 2:
            continue
        w = CONCEPTS.get(w, w)
        if w not in CONCEPTS.values() and len(w) > 4 and w.endswith(("s", "x")):
            w = w[:-1]  # plural, both languages
        counts[w] += CONCEPT_WEIGHT if w in _CONCEPT_NAMES else 1
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    return {w: v / norm for w, v in counts.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    na = math.sqrt(sum(v * v for v in a.values()))
    nb = math.sqrt(sum(v * v for v in b.values()))
    return dot / (na * nb) if na and nb else 0.0


def cluster_pending(session: Session, now: datetime, *, brand_words: tuple[str, ...] = (),
                    threshold: float = THRESHOLD, limit: int = 2000) -> int:
    """Assign every unclustered rumour mention up to `now` to a claim; returns how many."""
    clustered = select(RumourMentionRow.mention_id)
    rows = session.execute(
        select(MentionRow).join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(ScoreRow.rumour >= RUMOUR, MentionRow.created_at <= now,
               MentionRow.id.not_in(clustered))
        .order_by(MentionRow.created_at, MentionRow.id).limit(limit)
    ).scalars().all()
    if not rows:
        return 0
    claims = list(session.execute(select(RumourClaimRow)).scalars())
    for mention in rows:
        _assign(session, mention, claims, brand_words, threshold)
    session.flush()
    return len(rows)


def _assign(session, mention, claims, brand_words, threshold) -> RumourClaimRow:
    vec = terms(mention.text, brand_words)
    best, best_sim = None, 0.0
    for claim in claims:
        sim = cosine(vec, claim.terms or {})
        if sim > best_sim:
            best, best_sim = claim, sim
    if best is None or best_sim < threshold or not vec:
        best = RumourClaimRow(text=strip_retweet(mention.text)[:1000], lang=mention.lang or "en",
                              terms={}, first_seen=mention.created_at,
                              last_seen=mention.created_at, mentions=0)
        session.add(best)
        session.flush()
        claims.append(best)
        best_sim = 1.0
    # The centroid is the running sum of member vectors (stored unnormalised: cosine
    # does not care, and adding a member is one dict merge).
    centroid = dict(best.terms or {})
    for k, v in vec.items():
        centroid[k] = round(centroid.get(k, 0.0) + v, 6)
    best.terms = centroid
    best.mentions += 1
    best.first_seen = min(best.first_seen, mention.created_at)
    best.last_seen = max(best.last_seen, mention.created_at)
    session.add(RumourMentionRow(mention_id=mention.id, claim_id=best.id,
                                 similarity=round(best_sim, 4)))
    return best


def claim_of(session: Session, mention: MentionRow, now: datetime, *,
             brand_words: tuple[str, ...] = ()) -> RumourClaimRow | None:
    """The claim a rumour mention makes, clustering it now if it is not yet."""
    row = session.get(RumourMentionRow, mention.id)
    if row is None:
        score = session.get(ScoreRow, mention.id)
        if score is None or score.rumour < RUMOUR:
            return None
        claims = list(session.execute(select(RumourClaimRow)).scalars())
        claim = _assign(session, mention, claims, brand_words, THRESHOLD)
        session.flush()
        return claim
    return session.get(RumourClaimRow, row.claim_id)


def is_claim_source(session: Session, mention: MentionRow, now: datetime) -> bool:
    """Whether the mention is the first post of its claim (retweets aside): whoever broke a
    story is its source, not a worried customer, and is never thanked or reassured."""
    claim = claim_of(session, mention, now)
    if claim is None:
        return False
    first = session.execute(
        select(MentionRow.id).join(RumourMentionRow, RumourMentionRow.mention_id == MentionRow.id)
        .where(RumourMentionRow.claim_id == claim.id, ~MentionRow.text.startswith("RT @"))
        .order_by(MentionRow.created_at, MentionRow.id).limit(1)
    ).scalar_one_or_none()
    return first == mention.id


def statement_url_for(session: Session, mention: MentionRow, now: datetime) -> str | None:
    """The link a reply to this mention should cite: its claim's statement, if linked."""
    claim = claim_of(session, mention, now)
    return claim.statement_url if claim is not None else None


def link_statement(session: Session, claim: RumourClaimRow, *, actor: str, now: datetime,
                   status_url: str, post: StatusPostRow | None = None,
                   draft: DraftRow | None = None, url: str | None = None) -> str:
    """Link the claim to the statement that answers it: a published status-page update
    (`post`), another published draft (`draft`, with the `url` it was posted at), or just a
    `url`. Returns the statement URL replies will cite."""
    if post is None and draft is not None:
        post = session.execute(select(StatusPostRow).where(
            StatusPostRow.draft_id == draft.id)).scalar_one_or_none()
    if post is not None:
        url = url or f"{status_url.split('#')[0]}#update-{post.id}"
        draft = draft or session.get(DraftRow, post.draft_id)
    elif draft is not None and draft.status != DraftStatus.PUBLISHED:
        raise ValueError(f"draft #{draft.id} is {draft.status}: link a statement once it is "
                         "published")
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        raise ValueError("a statement needs a public link (https://...)")
    claim.statement_post_id = post.id if post is not None else None
    claim.statement_draft_id = draft.id if draft is not None else None
    claim.statement_url = url[:512]
    claim.linked_by, claim.linked_at = actor, now
    incident_id = (post.incident_id if post is not None else None) or (
        draft.incident_id if draft is not None else None)
    if incident_id is not None:
        record(session, session.get(IncidentRow, incident_id), now, actor, "rumour",
               wording("Rumour claim #{id} ({claim}) answered by {url}", id=claim.id,
                       claim=repr(claim.text[:80]), url=url))
    return url


def statement_at(session: Session, claim: RumourClaimRow) -> datetime | None:
    """When the statement went public: the status post's or the draft's publication."""
    if claim.statement_post_id is not None:
        post = session.get(StatusPostRow, claim.statement_post_id)
        if post is not None:
            return post.published_at
    if claim.statement_draft_id is not None:
        draft = session.get(DraftRow, claim.statement_draft_id)
        if draft is not None and draft.published_at is not None:
            return draft.published_at
    return claim.linked_at if claim.statement_url else None


def volume(session: Session, claim: RumourClaimRow, now: datetime, *,
           before: timedelta = timedelta(hours=2), after: timedelta = timedelta(hours=2),
           bucket: timedelta = BUCKET) -> dict:
    """The claim's mentions per `bucket`, around its statement (or up to `now` when none):
    {"statement_at", "buckets": [{"start", "count", "after"}], "before_rate",
    "after_rate", "decaying"}. Rates are mentions per bucket over the last hour before and
    the buckets after; `decaying` is None until there is at least one full bucket after."""
    pivot = statement_at(session, claim)
    end = min(now, pivot + after) if pivot else now
    anchor = pivot or now
    start = anchor - before
    # Buckets aligned on the statement, so no bucket straddles it.
    first = anchor - bucket * math.ceil((anchor - start) / bucket)
    n = max(0, math.ceil((end - first) / bucket))
    counts = [0] * n
    times = session.execute(
        select(MentionRow.created_at).join(RumourMentionRow,
                                           RumourMentionRow.mention_id == MentionRow.id)
        .where(RumourMentionRow.claim_id == claim.id, MentionRow.created_at >= first,
               MentionRow.created_at < end)
    ).scalars().all()
    for at in times:
        i = int((at - first) / bucket)
        if 0 <= i < n:
            counts[i] += 1
    buckets = [{"start": first + bucket * i, "count": c,
                "after": pivot is not None and first + bucket * i >= pivot}
               for i, c in enumerate(counts)]
    hour = max(1, int(timedelta(hours=1) / bucket))
    pre = [b["count"] for b in buckets if not b["after"]][-hour:]
    post = [b["count"] for b in buckets if b["after"] and b["start"] + bucket <= now]
    before_rate = sum(pre) / len(pre) if pre else 0.0
    after_rate = sum(post) / len(post) if post else None
    decaying = None if after_rate is None else after_rate < before_rate
    return {"statement_at": pivot, "buckets": buckets, "before_rate": before_rate,
            "after_rate": after_rate, "decaying": decaying}


def claims(session: Session, *, since: datetime | None = None, limit: int = 50) -> list:
    """Claims, loudest first (most mentions, then most recent)."""
    q = select(RumourClaimRow)
    if since is not None:
        q = q.where(RumourClaimRow.last_seen >= since)
    return list(session.execute(
        q.order_by(RumourClaimRow.mentions.desc(), RumourClaimRow.last_seen.desc(),
                   RumourClaimRow.id).limit(limit)).scalars())


def claim_mentions(session: Session, claim: RumourClaimRow, limit: int = 20) -> list:
    """The claim's most-read mentions (originals before retweets)."""
    return list(session.execute(
        select(MentionRow).join(RumourMentionRow, RumourMentionRow.mention_id == MentionRow.id)
        .where(RumourMentionRow.claim_id == claim.id)
        .order_by(MentionRow.text.startswith("RT @"), MentionRow.author_followers.desc(),
                  MentionRow.id).limit(limit)).scalars())


def unclustered_count(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(MentionRow)
        .join(ScoreRow, ScoreRow.mention_id == MentionRow.id)
        .where(ScoreRow.rumour >= RUMOUR,
               MentionRow.id.not_in(select(RumourMentionRow.mention_id)))).scalar_one()
