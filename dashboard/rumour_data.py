"""The rumours page's queries: claims with their volume and linked statement, as plain
dicts (no ORM objects leak), `now` passed in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from responders import rumours
from store.models import RumourClaimRow, ScoreRow, StatusPostRow


def claim_rows(session: Session, now: datetime, limit: int = 50) -> list[dict]:
    out = []
    for c in rumours.claims(session, limit=limit):
        v = rumours.volume(session, c, now)
        out.append({"id": c.id, "text": c.text, "lang": c.lang, "mentions": c.mentions,
                    "first_seen": c.first_seen, "last_seen": c.last_seen,
                    "statement_url": c.statement_url, "statement_at": v["statement_at"],
                    "before_rate": v["before_rate"], "after_rate": v["after_rate"],
                    "decaying": v["decaying"]})
    return out


def claim_detail(session: Session, claim_id: int, now: datetime) -> dict | None:
    claim = session.get(RumourClaimRow, claim_id)
    if claim is None:
        return None
    mentions = []
    for m in rumours.claim_mentions(session, claim):
        score = session.get(ScoreRow, m.id)
        mentions.append({"id": m.id, "source": m.source, "author": m.author,
                         "followers": m.author_followers, "text": m.text, "lang": m.lang,
                         "url": m.url, "external_id": m.external_id,
                         "created_at": m.created_at, "label": score.label if score else None,
                         "rumour": score.rumour if score else None})
    return {"id": claim.id, "text": claim.text, "statement_url": claim.statement_url,
            "linked_by": claim.linked_by, "linked_at": claim.linked_at,
            "volume": rumours.volume(session, claim, now), "mentions": mentions}


def statement_options(session: Session, limit: int = 30) -> list[dict]:
    """Published status-page updates a claim can be linked to, newest first."""
    posts = session.execute(select(StatusPostRow).order_by(
        StatusPostRow.published_at.desc(), StatusPostRow.id.desc()).limit(limit)).scalars()
    return [{"label": f"#{p.id} · {p.published_at:%H:%M} · {p.lang} · {p.body[:70]}",
             "value": p.id} for p in posts]
