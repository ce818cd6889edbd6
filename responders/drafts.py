"""Drafts: the incident's phase and facts, rendered through templates for each audience.

Suggestions are refreshed, not piled up: while a machine-written draft is untouched by a
human, a change of phase or facts rewrites it in place; once a human edits it, it is theirs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from responders.approval import void_approvals
from responders.incidents import (
    ACTIVE,
    CADENCE,
    Audience,
    Phase,
    facts_for,
    record,
)
from responders.postmortem import postmortem_facts
from responders.rumours import statement_url_for
from responders.templates import TemplateLibrary
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from store.models import DraftRow, DraftStatus, IncidentRow, MentionRow, ScoreRow

MACHINE = "crisiswatch"
UNKNOWN_CAUSE = {"en": "the cause", "fr": "la cause"}
PENDING = (DraftStatus.DRAFT, DraftStatus.APPROVED)


@dataclass(frozen=True)
class Brand:
    """Who we speak for; handed down from settings."""

    name: str = "Nimbus"
    handle: str = "@nimbushq"
    status_url: str = "http://127.0.0.1:8050/status"
    internal_lang: str = "en"
    public_langs: tuple[str, ...] = ("en", "fr")
    keywords: tuple[str, ...] = field(default=())
    # The brand's own accounts on every platform (``handle`` included by ``own_accounts``):
    # their posts are stored and shown but never feed a series nor get a reply.
    accounts: tuple[str, ...] = field(default=())

    @property
    def own_accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.handle, *self.accounts)))


@dataclass(frozen=True)
class Plan:
    """One message to suggest: which template, for whom, through which channel."""

    kind: str
    name: str
    audience: Audience
    channel: str
    lang: str


def update_plans(incident: IncidentRow, brand: Brand) -> list[Plan]:
    """The updates an incident in its current phase calls for."""
    phase = Phase(incident.phase)
    if phase is Phase.POSTMORTEM:
        return [Plan("postmortem", "board", Audience.BOARD, "email", brand.internal_lang)] + [
            Plan("postmortem", "public", Audience.CUSTOMERS, "statuspage", lang)
            for lang in brand.public_langs
        ]
    plans = [Plan("status", phase.value, Audience.CUSTOMERS, "statuspage", lang)
             for lang in brand.public_langs]
    plans.append(Plan("notify", f"team.{phase.value}", Audience.TEAM, "slack", brand.internal_lang))
    plans.append(Plan("notify", f"ceo.{phase.value}", Audience.CEO, "email", brand.internal_lang))
    return plans


def format_time(at: datetime | None) -> str | None:
    return None if at is None else at.strftime("%H:%M UTC")


def next_update_at(incident: IncidentRow, audience: Audience, now: datetime) -> datetime:
    """Now plus the audience's cadence, rounded up to a quarter hour people can remember."""
    cadence = CADENCE.get((incident.severity, audience), timedelta(hours=1))
    at = now + cadence
    return at + timedelta(minutes=-at.minute % 15, seconds=-at.second,
                          microseconds=-at.microsecond)


def context(incident: IncidentRow, brand: Brand, lang: str, now: datetime,
            audience: Audience = Audience.CUSTOMERS) -> dict:
    """The template context contract (see responders.templates)."""
    facts = facts_for(incident, lang)
    if not facts["unknown"] and not facts["cause"]:
        facts["unknown"] = UNKNOWN_CAUSE.get(lang, UNKNOWN_CAUSE["en"])  # true by definition
    return {
        "brand": {"name": brand.name, "handle": brand.handle, "status_url": brand.status_url},
        "incident": {
            "id": incident.id, "title": facts["title"], "crisis_type": incident.crisis_type,
            "severity": incident.severity, "phase": incident.phase,
            "declared_at": format_time(incident.declared_at),
        },
        "facts": {
            "impact": facts["impact"] or "", "known": facts["known"] or "",
            "unknown": facts["unknown"] or "", "cause": facts["cause"],
            "actions": facts["actions"] or "", "eta": format_time(facts["eta"]),
            "next_update": format_time(next_update_at(incident, audience, now)),
        },
        "statement_url": None,
    }


def suggest_updates(session: Session, incident: IncidentRow, library: TemplateLibrary,
                    brand: Brand, now: datetime) -> list[DraftRow]:
    """Create or refresh the suggested updates for the incident's current phase."""
    drafts = []
    for plan in update_plans(incident, brand):
        ctx = context(incident, brand, plan.lang, now, plan.audience)
        if plan.kind == "postmortem":
            ctx["facts"].update(postmortem_facts(session, incident, plan.lang, plan.name, now))
        rendered = library.render(
            plan.kind, name=plan.name, crisis_type=incident.crisis_type, lang=plan.lang,
            context=ctx,
        )
        drafts.append(_upsert(session, incident, plan, rendered, now))
    return drafts


def _upsert(session, incident, plan: Plan, rendered, now, mention_id=None) -> DraftRow:
    existing = session.execute(
        select(DraftRow).where(
            DraftRow.incident_id == incident.id, DraftRow.audience == plan.audience.value,
            DraftRow.channel == plan.channel, DraftRow.lang == plan.lang,
            DraftRow.mention_id.is_(None) if mention_id is None
            else DraftRow.mention_id == mention_id,
            DraftRow.status == DraftStatus.DRAFT, DraftRow.author == MACHINE,
        )
    ).scalar_one_or_none()
    if existing is not None:
        if (existing.body, existing.phase) != (rendered.body, incident.phase):
            existing.body, existing.subject = rendered.body, rendered.subject
            existing.template, existing.phase, existing.updated_at = (
                rendered.template, incident.phase, now)
        return existing
    draft = DraftRow(
        incident_id=incident.id, mention_id=mention_id, kind=plan.kind,
        audience=plan.audience.value, channel=plan.channel, lang=plan.lang,
        phase=incident.phase, subject=rendered.subject, body=rendered.body,
        template=rendered.template, author=MACHINE, status=DraftStatus.DRAFT, created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.flush()
    return draft


REPLY_CHANNELS = ("x", "reddit", "mastodon", "bluesky")
QUESTION = re.compile(r"\?|\b(is|are|anyone|est-ce|quelqu'un)\b", re.IGNORECASE)


def reply_category(text: str, score: ScoreRow, crisis_type: str) -> str:
    """Which reply a mention needs, from its score and wording."""
    if score.rumour >= RUMOUR_THRESHOLD:
        return "rumour"
    if score.crisis_type == "data_leak" or crisis_type == "data_leak":
        return "data_leak_worry"
    if score.crisis_type == "billing":
        return "billing"
    if score.label == "positive":
        return "praise"
    if QUESTION.search(text) and score.label != "negative":
        return "status_question"
    return "outage_complaint"


def suggest_replies(session: Session, incident: IncidentRow, library: TemplateLibrary,
                    brand: Brand, now: datetime, limit: int = 10) -> list[DraftRow]:
    """Draft replies to the most-read unanswered negative or rumour mentions of the
    incident window (retweets excluded: we answer the original, once).

    At most `limit` reply drafts wait at any time: a queue longer than a person can read
    hides the replies that matter; new ones are drafted as the queue is worked through.
    """
    if Phase(incident.phase) not in ACTIVE:
        return []
    waiting = session.execute(
        select(func.count()).select_from(DraftRow).where(
            DraftRow.incident_id == incident.id, DraftRow.kind == "reply",
            DraftRow.status == DraftStatus.DRAFT)
    ).scalar_one()
    limit -= waiting
    if limit <= 0:
        return []
    answered = exists().where(and_(DraftRow.mention_id == MentionRow.id))
    rows = session.execute(
        select(MentionRow, ScoreRow).join(ScoreRow)
        .where(
            MentionRow.created_at >= incident.declared_at - timedelta(hours=2),
            MentionRow.created_at <= now,
            MentionRow.source.in_(REPLY_CHANNELS),
            ~MentionRow.text.startswith("RT @"),
            (ScoreRow.label == "negative") | (ScoreRow.rumour >= RUMOUR_THRESHOLD),
            ~answered,
        )
        .order_by(MentionRow.author_followers.desc(), MentionRow.created_at.desc())
        .limit(limit)
    ).all()
    drafts = []
    for mention, score in rows:
        lang = mention.lang if mention.lang in brand.public_langs else brand.public_langs[0]
        category = reply_category(mention.text, score, incident.crisis_type)
        ctx = context(incident, brand, lang, now)
        ctx["mention"] = {"author": "@" + mention.author.lstrip("@"), "text": mention.text,
                          "category": category}
        if category == "rumour":  # cite the statement that answers this claim, if any
            ctx["statement_url"] = statement_url_for(session, mention, now)
        rendered = library.render("replies", name=category, crisis_type=incident.crisis_type,
                                  lang=lang, context=ctx)
        plan = Plan("reply", category, Audience.CUSTOMERS, mention.source, lang)
        drafts.append(_upsert(session, incident, plan, rendered, now, mention_id=mention.id))
    return drafts


def edit_draft(session: Session, draft: DraftRow, body: str, *, actor: str,
               now: datetime) -> None:
    """Replace a draft's text; any approval of the old text is void from now on."""
    if draft.status not in PENDING:
        raise ValueError(f"draft #{draft.id} is {draft.status} and can no longer be edited")
    if body == draft.body:
        return
    draft.body, draft.author, draft.updated_at = body, actor, now
    if draft.status == DraftStatus.APPROVED:
        draft.status = DraftStatus.DRAFT
    void_approvals(session, draft)
    if draft.incident_id is not None:
        record(session, session.get(IncidentRow, draft.incident_id), now, actor, "draft",
               f"Edited draft #{draft.id} ({draft.audience}/{draft.channel}/{draft.lang})")
