"""Updates to contact segments, drafted on every phase change like the other audiences
(issue 18): the customers' e-mail (``notify/<type>/customers.<phase>``) and SMS
(``sms.<phase>``), and the partners', investors' and regulators' e-mails
(``partners.<phase>``, ``investors.<phase>``, ``regulators.<phase>``), EN and FR.

A segment's update is drafted in a language only when some contact of the segment reads
that language and can be reached on its channel: the French text for French-speaking
customers, the English one for the others (a contact whose language the brand does not
publish in gets the brand's first language). They are `broadcast` drafts: they wait in
the approvals queue like every message, are kept true like every draft (rewritten while
untouched when the incident moves on, voided when a human's text no longer fits), and
once approved the Broadcasting stage sends each to its segment's contacts in the
languages it serves, exactly once, asking no confirmation (an update to read).

The customers hear the one promise of the status page (`customer_promise`); the other
segments, outside organisations, hear from us at management's rhythm (`CADENCE`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from responders.approval import stale_reason
from responders.broadcasts import langs_served
from responders.contacts import channels_of, in_segments
from responders.drafts import (
    MACHINE,
    PROMISE_MARGIN,
    Brand,
    Plan,
    _find,
    _queued,
    _upsert,
    context,
    customer_promise,
    retire_stale,
    void,
)
from responders.incidents import ACTIVE, Phase
from responders.outbox import BROADCAST_KIND
from responders.templates import TemplateLibrary
from store.models import DraftRow, IncidentRow


class Segment(StrEnum):
    """The contact segments crisiswatch drafts updates for (responders.contacts.SEGMENTS)."""

    CUSTOMERS = "customers"
    PARTNERS = "partners"
    INVESTORS = "investors"
    REGULATORS = "regulators"


# (segment, template name before the phase, channel), in the order of the approvals queue.
UPDATES = (
    (Segment.CUSTOMERS, "customers", "email"),
    (Segment.CUSTOMERS, "sms", "sms"),
    (Segment.PARTNERS, "partners", "email"),
    (Segment.INVESTORS, "investors", "email"),
    (Segment.REGULATORS, "regulators", "email"),
)
# Phases that call for an update: every active one and the all-clear (the post-mortem
# has its own public version).
PHASES = (*ACTIVE, Phase.RESOLVED)
# Outside organisations hear from us at management's rhythm, by severity.
CADENCE = {"minor": timedelta(hours=4), "major": timedelta(hours=2),
           "critical": timedelta(hours=1)}


def readers(session: Session, brand: Brand) -> set[tuple[str, str, str]]:
    """(segment, channel, language of the text) for which someone is there to read it:
    contacts who have not opted out, in the brand's language closest to theirs."""
    out = set()
    wanted = {segment.value for segment, _, _ in UPDATES}
    for contact in in_segments(session, sorted(wanted)):
        lang = next((lang for lang in brand.public_langs
                     if contact.lang in langs_served(lang, brand.public_langs)), None)
        if lang is None:
            continue
        for segment in wanted & set(contact.segments or []):
            for channel in channels_of(contact):
                out.add((segment, channel, lang))
    return out


def segment_plans(session: Session, incident: IncidentRow, brand: Brand) -> list[Plan]:
    """The segment updates the incident's phase calls for, for the languages read."""
    phase = Phase(incident.phase)
    if phase not in PHASES:
        return []
    reach = readers(session, brand)
    return [Plan(BROADCAST_KIND, f"{name}.{phase.value}", segment, channel, lang)
            for segment, name, channel in UPDATES for lang in brand.public_langs
            if (segment.value, channel, lang) in reach]


def _promise(session: Session, incident: IncidentRow, plan: Plan, customers: datetime | None,
             now: datetime) -> datetime | None:
    """The next update the text promises: none once the incident is over; the status
    page's promise to customers; for the others, kept while the queued draft is still good,
    else now plus `CADENCE` rounded up to a quarter hour."""
    if Phase(incident.phase) not in ACTIVE:
        return None
    if plan.audience is Segment.CUSTOMERS:
        return customers
    existing = _find(session, incident, plan, None)
    if existing is not None and existing.promised_next_update is not None and (
            existing.promised_next_update > now + PROMISE_MARGIN):
        return existing.promised_next_update
    at = (now + CADENCE.get(incident.severity, CADENCE["major"])).replace(second=0,
                                                                         microsecond=0)
    return at + timedelta(minutes=-at.minute % 15)


def suggest_segment_updates(session: Session, incident: IncidentRow,
                            library: TemplateLibrary, brand: Brand,
                            now: datetime) -> list[DraftRow]:
    """Create or refresh the segment updates for the incident's current phase; returns
    the drafts created or refreshed. Queued broadcast drafts the incident has moved past
    are rewritten, or voided when a human wrote them (`retire_stale`); machine drafts the
    phase no longer calls for are voided."""
    customers = customer_promise(session, incident, now)
    retire_stale(session, incident, now, kinds=(BROADCAST_KIND,))
    drafts, kept = [], set()
    for plan in segment_plans(session, incident, brand):
        promise = _promise(session, incident, plan, customers, now)
        ctx = context(incident, brand, plan.lang, now, promise=promise)
        rendered = library.render("notify", name=plan.name, crisis_type=incident.crisis_type,
                                  lang=plan.lang, context=ctx, now=now)
        draft = _upsert(session, incident, plan, rendered, now, promise=promise)
        if draft is not None:
            drafts.append(draft)
            kept.add(draft.id)
    for draft in _queued(session, incident, kinds=(BROADCAST_KIND,)):
        if draft.id not in kept and draft.author == MACHINE and stale_reason(
                session, draft, now):
            void(session, draft, now, "the incident moved on; it is no longer called for")
    return drafts
