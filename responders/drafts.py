"""Drafts: the incident's phase and facts, rendered through templates for each audience.

Suggestions are refreshed, not piled up: while a machine-written draft is untouched by a
human, a change of phase or facts rewrites it in place; once a human edits it, it is theirs.

One source of truth at send time (issue 15): every draft records the incident version it
was built from and the next update it promises. When the incident moves on (phase, facts,
promise), every queued draft, replies included, is rewritten (machine text) or voided (a
human's text, which only they can bring up to date); approval and the outbox refuse
anything stale (``responders.approval.stale_reason``). The next update customers are told
is one promise (``incident.next_update_at``), the same in every language and channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from responders.approval import stale_reason, void_approvals
from responders.incidents import (
    ACTIVE,
    CADENCE,
    Audience,
    Phase,
    bump_version,
    facts_for,
    public_promise,
    record,
)
from responders.postmortem import postmortem_facts
from responders.rumours import cluster_pending, is_claim_source, statement_url_for
from responders.templates import TemplateLibrary
from responders.wording import Wording, word, wording
from sentiment.rumour import THRESHOLD as RUMOUR_THRESHOLD
from store.models import (
    AlertRow,
    DraftRow,
    DraftStatus,
    IncidentRow,
    MentionRow,
    RumourClaimRow,
    ScoreRow,
    SignalRow,
)

MACHINE = "crisiswatch"
UNKNOWN_CAUSE = {"en": "the cause", "fr": "la cause"}
PENDING = (DraftStatus.DRAFT, DraftStatus.APPROVED)
SENT = (DraftStatus.APPROVED, DraftStatus.PUBLISHING, DraftStatus.PUBLISHED)
# A promise about to lapse is renewed before anyone can approve it (it would be refused).
PROMISE_MARGIN = timedelta(minutes=5)
# Once the promised update is this close, the next one is prepared (promising a later time).
PROMISE_LEAD = timedelta(minutes=15)


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
    # The audience's time zone: `timezone` for every language unless `timezones` names one
    # for that language ((lang, zone) pairs, e.g. (("fr", "Europe/Paris"),)).
    timezone: str = "UTC"
    timezones: tuple[tuple[str, str], ...] = field(default=())

    @property
    def own_accounts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.handle, *self.accounts)))

    def tz_for(self, lang: str) -> str:
        """The time-zone name messages in `lang` are written in."""
        return dict(self.timezones).get(lang, self.timezone)


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
    at = at.replace(second=0, microsecond=0)
    return at + timedelta(minutes=-at.minute % 15)


def customer_promise(session: Session, incident: IncidentRow, now: datetime) -> datetime | None:
    """The one next-update time of the customers' update being prepared (status page in
    every language, and the replies), set once per update on ``incident.next_update_at``.

    Renewed, bumping the incident version (queued drafts are then rewritten), when there is
    none yet, when it is about to lapse, or when it has been published and is close: the
    next update is then prepared, promising the cadence after the published one."""
    if Phase(incident.phase) not in ACTIVE:
        return incident.next_update_at
    planned, public = incident.next_update_at, public_promise(session, incident)
    base = None
    if planned is None or planned <= now + PROMISE_MARGIN:
        base = max(now, public) if public and public > now + PROMISE_MARGIN else now
    elif public is not None and planned == public and now >= public - PROMISE_LEAD:
        base = public
    if base is not None:
        incident.next_update_at = next_update_at(incident, Audience.CUSTOMERS, base)
        bump_version(incident)
    return incident.next_update_at


def internal_promise(session: Session, incident: IncidentRow, plan: Plan,
                     now: datetime) -> datetime:
    """The next update an internal audience is told: kept while the queued draft is still
    good (a draft does not change under the approver's eyes every minute)."""
    existing = _find(session, incident, plan, None)
    if existing is not None and existing.promised_next_update is not None and (
            existing.promised_next_update > now + PROMISE_MARGIN):
        return existing.promised_next_update
    return next_update_at(incident, plan.audience, now)


def context(incident: IncidentRow, brand: Brand, lang: str, now: datetime,
            audience: Audience = Audience.CUSTOMERS, promise: datetime | None = None) -> dict:
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
            "next_update": format_time(promise or next_update_at(incident, audience, now)),
        },
        "statement_url": None,
    }


def suggest_updates(session: Session, incident: IncidentRow, library: TemplateLibrary,
                    brand: Brand, now: datetime) -> list[DraftRow]:
    """Create or refresh the suggested updates for the incident's current phase; queued
    updates the incident has moved past are rewritten, or voided when a human wrote them."""
    customers = customer_promise(session, incident, now)
    retire_stale(session, incident, now, kinds=("status", "notify", "postmortem"))
    drafts, kept = [], set()
    for plan in update_plans(incident, brand):
        promise = customers if plan.audience is Audience.CUSTOMERS else (
            internal_promise(session, incident, plan, now))
        if Phase(incident.phase) not in ACTIVE:
            promise = None
        ctx = context(incident, brand, plan.lang, now, plan.audience, promise=promise)
        if plan.kind == "postmortem":
            ctx["facts"].update(postmortem_facts(session, incident, plan.lang, plan.name, now))
        rendered = library.render(
            plan.kind, name=plan.name, crisis_type=incident.crisis_type, lang=plan.lang,
            context=ctx, now=now,
        )
        draft = _upsert(session, incident, plan, rendered, now, promise=promise)
        if draft is not None:
            drafts.append(draft)
            kept.add(draft.id)
    # Machine drafts of plans the phase no longer calls for: nothing will rewrite them.
    for draft in _queued(session, incident, kinds=("status", "notify", "postmortem")):
        if draft.id not in kept and draft.author == MACHINE and stale_reason(
                session, draft, now):
            void(session, draft, now,
                 wording("the incident moved on; it is no longer called for"))
    return drafts


def _queued(session: Session, incident: IncidentRow, kinds: tuple[str, ...]) -> list[DraftRow]:
    return list(session.execute(
        select(DraftRow).where(DraftRow.incident_id == incident.id, DraftRow.kind.in_(kinds),
                               DraftRow.status.in_(PENDING))
        .order_by(DraftRow.id)).scalars())


def void(session: Session, draft: DraftRow, now: datetime, why: Wording | str) -> None:
    """Withdraw a queued draft that can no longer be sent as written (not a human's no):
    `void_reason` is the English `why`, `void_key`/`void_params` its key and parameters
    (the cockpit shows them in the reader's language)."""
    said = why if isinstance(why, Wording) else Wording(why)
    draft.status, draft.void_reason, draft.updated_at = DraftStatus.REJECTED, said.english, now
    draft.void_key, draft.void_params = said.key, said.as_json()["params"]
    void_approvals(session, draft)
    record(session, session.get(IncidentRow, draft.incident_id), now, MACHINE, "draft",
           wording("Withdrew draft #{id} ({audience}/{channel}/{lang}): {why}",
                   why=why, **_which(draft)))


def _which(draft: DraftRow) -> dict:
    """A draft's id, audience, channel and language, as a `wording`'s parameters."""
    return {"id": draft.id, "audience": word("audience", draft.audience),
            "channel": word("channel", draft.channel), "lang": word("lang", draft.lang)}


def retire_stale(session: Session, incident: IncidentRow, now: datetime,
                 kinds: tuple[str, ...]) -> None:
    """Every queued draft built from an older incident version, or promising a time that
    has passed: a machine draft goes back to the queue to be rewritten (an approval of its
    old text is void); a human's draft is voided, with the reason on the timeline."""
    for draft in _queued(session, incident, kinds):
        why = stale_reason(session, draft, now)
        if why is None:
            continue
        if draft.author != MACHINE:
            void(session, draft, now, why)
        elif draft.status == DraftStatus.APPROVED:
            draft.status, draft.updated_at = DraftStatus.DRAFT, now
            void_approvals(session, draft)
            record(session, incident, now, MACHINE, "draft",
                   wording("Approval of draft #{id} withdrawn before sending: {why}",
                           id=draft.id, why=why))


def _find(session, incident, plan: Plan, mention_id, statuses=(DraftStatus.DRAFT,),
          machine_only=True, claim_id=None) -> DraftRow | None:
    q = select(DraftRow).where(
        DraftRow.claim_id.is_(None) if claim_id is None else DraftRow.claim_id == claim_id,
        DraftRow.incident_id == incident.id, DraftRow.audience == plan.audience.value,
        DraftRow.channel == plan.channel, DraftRow.lang == plan.lang,
        DraftRow.kind == plan.kind,
        DraftRow.mention_id.is_(None) if mention_id is None
        else DraftRow.mention_id == mention_id,
        DraftRow.status.in_(statuses),
    )
    if machine_only:
        q = q.where(DraftRow.author == MACHINE)
    return session.execute(q.order_by(DraftRow.id.desc()).limit(1)).scalar_one_or_none()


def _upsert(session, incident, plan: Plan, rendered, now, mention_id=None,
            promise: datetime | None = None, claim_id=None) -> DraftRow | None:
    existing = _find(session, incident, plan, mention_id, claim_id=claim_id)
    if existing is not None:
        if (existing.body, existing.phase) != (rendered.body, incident.phase):
            existing.body, existing.subject = rendered.body, rendered.subject
            existing.template, existing.phase, existing.updated_at = (
                rendered.template, incident.phase, now)
        existing.incident_version, existing.promised_next_update = incident.version, promise
        return existing
    sent = _find(session, incident, plan, mention_id, statuses=SENT, machine_only=False,
                 claim_id=claim_id)
    if sent is not None and (sent.body == rendered.body
                             or sent.incident_version == incident.version):
        return None  # nothing new since the last one went out: no duplicate of it
    draft = DraftRow(
        incident_id=incident.id, mention_id=mention_id, kind=plan.kind,
        audience=plan.audience.value, channel=plan.channel, lang=plan.lang,
        phase=incident.phase, subject=rendered.subject, body=rendered.body,
        template=rendered.template, author=MACHINE, status=DraftStatus.DRAFT, created_at=now,
        updated_at=now, incident_version=incident.version, promised_next_update=promise,
        claim_id=claim_id,
    )
    session.add(draft)
    session.flush()
    return draft


REPLY_CHANNELS = ("x", "reddit", "mastodon", "bluesky")
QUESTION = re.compile(r"\?|\b(is|are|anyone|est-ce|quelqu'un)\b", re.IGNORECASE)
# What the post itself is about, in its own words (English and French).
LEAK_WORDS = re.compile(
    r"\b(data|leak\w*|breach\w*|hack\w*|password\w*|stolen|exposed|personal info\w*|"
    r"donn[ée]es|fuit\w*|fuite\w*|pirat\w*|mots? de passe|vol[ée]e?s?|expos[ée]e?s?)\b",
    re.IGNORECASE)
BILLING_WORDS = re.compile(
    r"\b(bill\w*|charg\w*|refund\w*|invoice\w*|fees?|cancel\w*|subscription\w*|"
    r"payment\w*|factur\w*|rembours\w*|frais|abonnement\w*|r[ée]sili\w*|pr[ée]l[èe]v\w*|"
    r"paiement\w*)\b", re.IGNORECASE)
OUTAGE_WORDS = re.compile(
    r"\b(down|outage|offline|can'?t|cannot|unable|not working|broken|error\w*|log ?in|"
    r"sign ?in|sync\w*|slow|crash\w*|fail\w*|panne\w*|impossible|marche pas|"
    r"fonctionne pas|bug\w*|connexion|connecter|synchro\w*|lent|plant\w*|erreur\w*)\b",
    re.IGNORECASE)


def reply_category(text: str, score: ScoreRow, crisis_type: str | None = None) -> str | None:
    """Which reply a mention needs, from its own words and its score, never from the
    incident's type alone (`crisis_type` is ignored: during a data leak, a post about
    cancellation fees is a billing question). None: unrelated, no reply."""
    if score.rumour >= RUMOUR_THRESHOLD:
        return "rumour"
    if LEAK_WORDS.search(text):
        return "data_leak_worry"
    if BILLING_WORDS.search(text):
        return "billing"
    if OUTAGE_WORDS.search(text):
        return "status_question" if QUESTION.search(text) and score.label != "negative" \
            else "outage_complaint"
    if score.crisis_type == "data_leak":
        return "data_leak_worry"
    if score.crisis_type == "billing":
        return "billing"
    if score.crisis_type in ("outage", "degraded"):
        return "outage_complaint"
    if score.label == "positive":
        return "praise"
    return None


def onset(session: Session, incident: IncidentRow) -> datetime:
    """When the incident began as far as we can tell: its declaration, or earlier the
    alert it was declared from (its first anomalous minute)."""
    times = [incident.declared_at]
    alert_ids = []
    for alert_id, opened in session.execute(
            select(AlertRow.id, AlertRow.opened_at).where(AlertRow.incident_id == incident.id)):
        alert_ids.append(alert_id)
        times.append(opened)
    if alert_ids:
        first = session.execute(select(func.min(SignalRow.minute))
                                .where(SignalRow.alert_id.in_(alert_ids))).scalar_one()
        if first is not None:
            times.append(first)
    return min(times)


def _render_reply(session, incident, library, brand, now, mention, score, promise,
                  category=None) -> DraftRow | None:
    lang = mention.lang if mention.lang in brand.public_langs else brand.public_langs[0]
    category = category or reply_category(mention.text, score, incident.crisis_type)
    if category is None:
        return None
    ctx = context(incident, brand, lang, now, promise=promise)
    ctx["mention"] = {"author": "@" + mention.author.lstrip("@"), "text": mention.text,
                      "category": category}
    if category == "rumour":  # cite the statement that answers this claim, if any
        ctx["statement_url"] = statement_url_for(session, mention, now)
    rendered = library.render("replies", name=category, crisis_type=incident.crisis_type,
                              lang=lang, context=ctx, now=now)
    plan = Plan("reply", category, Audience.CUSTOMERS, mention.source, lang)
    return _upsert(session, incident, plan, rendered, now, mention_id=mention.id,
                   promise=promise)


def suggest_replies(session: Session, incident: IncidentRow, library: TemplateLibrary,
                    brand: Brand, now: datetime, limit: int = 10) -> list[DraftRow]:
    """Draft replies to the most-read unanswered negative or rumour mentions posted since
    the incident's onset (retweets excluded: we answer the original, once; the source of a
    rumour claim is not answered).

    Every queued reply is kept true, however many: rewritten when the incident moves on,
    voided when the incident is over. New ones are drafted in batches of at most `limit`,
    when fewer than half of that still wait: a queue longer than a person can read hides
    the replies that matter, and a queue refilled after every approval looks stuck.
    """
    active = Phase(incident.phase) in ACTIVE
    retire_stale(session, incident, now, kinds=("reply",))
    if not active:
        for draft in _queued(session, incident, kinds=("reply",)):
            void(session, draft, now, wording("the incident is {phase}; the reply no longer "
                                              "fits", phase=word("phase", incident.phase)))
        return []
    promise = customer_promise(session, incident, now)
    retire_stale(session, incident, now, kinds=("reply",))  # the promise may have moved
    drafts = []
    for draft in _queued(session, incident, kinds=("reply",)):
        if draft.status != DraftStatus.DRAFT or draft.author != MACHINE:
            continue
        mention, score = draft.mention, session.get(ScoreRow, draft.mention_id)
        if mention is None or score is None:
            continue
        before = (draft.body, draft.incident_version)
        out = _render_reply(session, incident, library, brand, now, mention, score, promise,
                            category=draft.template.rsplit("/", 1)[-1].split(".")[0] or None)
        if out is not None and (out.body, out.incident_version) != before:
            drafts.append(out)
    waiting = session.execute(
        select(func.count()).select_from(DraftRow).where(
            DraftRow.incident_id == incident.id, DraftRow.kind == "reply",
            DraftRow.status == DraftStatus.DRAFT)
    ).scalar_one()
    if waiting >= max(1, limit // 2):
        return drafts
    room = limit - waiting
    answered = exists().where(and_(
        DraftRow.mention_id == MentionRow.id,
        ~((DraftRow.status == DraftStatus.REJECTED) & DraftRow.void_reason.is_not(None))))
    rows = session.execute(
        select(MentionRow, ScoreRow).join(ScoreRow)
        .where(
            MentionRow.created_at >= onset(session, incident),
            MentionRow.created_at <= now,
            MentionRow.source.in_(REPLY_CHANNELS),
            ~MentionRow.text.startswith("RT @"),
            (ScoreRow.label == "negative") | (ScoreRow.rumour >= RUMOUR_THRESHOLD),
            ~answered,
        )
        .order_by(MentionRow.author_followers.desc(), MentionRow.created_at.desc())
        .limit(room * 5)
    ).all()
    if any(score.rumour >= RUMOUR_THRESHOLD for _, score in rows):
        cluster_pending(session, now, brand_words=(brand.name,))  # who said it first
    for mention, score in rows:
        if room <= 0:
            break
        if score.rumour >= RUMOUR_THRESHOLD and is_claim_source(session, mention, now):
            continue  # never thank or reassure whoever started the claim
        draft = _render_reply(session, incident, library, brand, now, mention, score, promise)
        if draft is not None:
            drafts.append(draft)
            room -= 1
    return drafts


CORRECTION_CHANNEL = REPLY_CHANNELS[0]  # posted on the brand's main account


def suggest_corrections(session: Session, incident: IncidentRow, library: TemplateLibrary,
                        brand: Brand, now: datetime) -> list[DraftRow]:
    """A correction for each rumour claim heard since the incident's onset and answered by
    a statement: one post per public language, citing the statement (the template
    ``replies/<type|generic>/correction.<lang>.j2``; without it, no correction is drafted).
    Kept true like every draft: rewritten or voided when the incident moves on."""
    from responders.templates import TemplateMissing

    retire_stale(session, incident, now, kinds=("correction",))
    if Phase(incident.phase) not in ACTIVE:
        for draft in _queued(session, incident, kinds=("correction",)):
            void(session, draft, now, wording("the incident is {phase}",
                                              phase=word("phase", incident.phase)))
        return []
    promise = customer_promise(session, incident, now)
    claims = session.execute(
        select(RumourClaimRow).where(RumourClaimRow.last_seen >= onset(session, incident),
                                     RumourClaimRow.statement_url.is_not(None))
        .order_by(RumourClaimRow.mentions.desc(), RumourClaimRow.id)).scalars().all()
    drafts = []
    for claim in claims:
        for lang in brand.public_langs:
            ctx = context(incident, brand, lang, now, promise=promise)
            ctx["mention"] = {"author": brand.handle, "text": claim.text,
                              "category": "correction"}
            ctx["statement_url"] = claim.statement_url
            try:
                rendered = library.render("replies", name="correction",
                                          crisis_type=incident.crisis_type, lang=lang,
                                          context=ctx, now=now)
            except TemplateMissing:
                continue
            plan = Plan("correction", "correction", Audience.CUSTOMERS, CORRECTION_CHANNEL,
                        lang)
            draft = _upsert(session, incident, plan, rendered, now, promise=promise,
                            claim_id=claim.id)
            if draft is not None:
                drafts.append(draft)
    return drafts


def draft_reply_to(session: Session, incident: IncidentRow, mention: MentionRow,
                   library: TemplateLibrary, brand: Brand, now: datetime) -> DraftRow | None:
    """A reply to one chosen mention, whatever its age (a post from before the onset is
    only answered when a human asks for it); None when it is unrelated."""
    score = session.get(ScoreRow, mention.id)
    if score is None or Phase(incident.phase) not in ACTIVE:
        return None
    return _render_reply(session, incident, library, brand, now, mention, score,
                         customer_promise(session, incident, now))


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
               wording("Edited draft #{id} ({audience}/{channel}/{lang})", **_which(draft)))
