"""The outbox: approved drafts out to their channels, exactly once (through
``responders.delivery.deliver``, the one door to every channel).

Publishing is claim, send, record, each its own commit:
- claim flips one approved draft to `publishing` with a conditional UPDATE, so two
  workers never send the same draft, and in the same commit writes the attempt row with
  the message's idempotency key and no outcome yet (`finished_at` NULL);
- the approval is re-checked against the exact body just before sending;
- record fills in the attempt's outcome and moves the draft on.

A crash between send and record leaves the draft `publishing` with an open attempt. A
duplicate public post is worse than a late one, so once that attempt is older than
`UNCONFIRMED_AFTER` the next run either retries it, only on channels that deduplicate by
the idempotency key (`channel.idempotent`: the status page, Mastodon, Bluesky) and only
within `RETRY_UNCONFIRMED_WITHIN`, or marks the draft `needs_check`: a human looks at the
channel and either marks it posted (`mark_posted_manually`, with the link) or sends it
again (`send_again`). `mark_posted_manually` is also the fallback when a channel's API is
lost mid-crisis: copy the approved text, post it by hand, record the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from responders.approval import body_hash, stale_reason, valid_approval, void_approvals
from responders.channels.base import Channel, Delivery, Message
from responders.delivery import deliver
from responders.incidents import facts_for, record
from responders.subscribers import notify_subscribers
from responders.wording import WordedError, moment, word, wording
from store.models import DeliveryRow, DraftRow, DraftStatus, IncidentRow, MentionRow

MAX_ATTEMPTS = 5
# Drafts to contact segments go out as broadcasts (responders.broadcasts), never from here.
BROADCAST_KIND = "broadcast"
IDEMPOTENT = ("statuspage",)  # idempotent whatever object is configured for them
NEEDS_CHECK = DraftStatus.NEEDS_CHECK
UNCONFIRMED_AFTER = timedelta(minutes=2)  # no send takes this long: the sender died
RETRY_UNCONFIRMED_WITHIN = timedelta(minutes=30)  # Mastodon keeps idempotency keys ~1 h
UNKNOWN_OUTCOME = "outcome unknown: stopped between sending and recording"
MANUAL_FROM = (DraftStatus.APPROVED, DraftStatus.PUBLISHING, NEEDS_CHECK, DraftStatus.FAILED)


class OutboxError(WordedError, ValueError):
    """A manual outbox action that does not apply to the draft as it is."""


def idempotency_key(draft: DraftRow) -> str:
    """The same for every attempt at one approved message; a new body is a new message."""
    return f"cw-{draft.id}-{draft.channel}-{body_hash(draft.body)[:16]}"


def is_idempotent(channels: dict[str, Channel], name: str) -> bool:
    return name in IDEMPOTENT or bool(getattr(channels.get(name), "idempotent", False))


def publish_approved(store, channels: dict[str, Channel], now: datetime) -> int:
    """Send every approved draft once; returns how many were published."""
    flag_unconfirmed(store, channels, now)
    retryable = sorted(n for n in set(channels) | set(IDEMPOTENT) if is_idempotent(channels, n))
    with store.session() as session:
        ids = session.execute(
            select(DraftRow.id).where(
                DraftRow.kind != BROADCAST_KIND,  # the Broadcasting stage sends those
                (DraftRow.status == DraftStatus.APPROVED)
                | ((DraftRow.status == DraftStatus.PUBLISHING) & DraftRow.channel.in_(retryable))
            ).order_by(DraftRow.id)
        ).scalars().all()
    return sum(_publish_one(store, channels, draft_id, now) for draft_id in ids)


def _open_attempt(session: Session, draft_id: int) -> DeliveryRow | None:
    return session.execute(
        select(DeliveryRow).where(DeliveryRow.draft_id == draft_id,
                                  DeliveryRow.finished_at.is_(None))
        .order_by(DeliveryRow.attempt.desc()).limit(1)
    ).scalar_one_or_none()


def flag_unconfirmed(store, channels: dict[str, Channel], now: datetime) -> int:
    """Mark `needs_check` every draft whose send outcome a crash left unknown and that the
    outbox must not retry by itself; returns how many."""
    flagged = 0
    with store.session() as session:
        rows = session.execute(
            select(DraftRow, DeliveryRow).join(DeliveryRow, DeliveryRow.draft_id == DraftRow.id)
            .where(DraftRow.status == DraftStatus.PUBLISHING, DeliveryRow.finished_at.is_(None),
                   DeliveryRow.at <= now - UNCONFIRMED_AFTER)
        ).all()
        for draft, attempt in rows:
            if is_idempotent(channels, draft.channel) and (
                attempt.at >= now - RETRY_UNCONFIRMED_WITHIN
            ):
                continue  # publish_approved retries it; the channel deduplicates
            closed = session.execute(
                update(DeliveryRow).where(DeliveryRow.id == attempt.id,
                                          DeliveryRow.finished_at.is_(None))
                .values(finished_at=now, error=UNKNOWN_OUTCOME)
            ).rowcount
            if not closed:
                continue
            draft.status, draft.updated_at = NEEDS_CHECK, now
            flagged += 1
            if draft.incident_id is not None:
                record(session, session.get(IncidentRow, draft.incident_id), now, "outbox",
                       "delivery",
                       wording("Needs a human check: draft #{id} to {channel} may or may not "
                               "have been posted (attempt {attempt} at {at}). Look at the "
                               "channel, then mark it posted with its link or send it again.",
                               id=draft.id, channel=word("channel", draft.channel),
                               attempt=attempt.attempt, at=moment(attempt.at)))
    return flagged


def _publish_one(store, channels: dict[str, Channel], draft_id: int, now: datetime) -> bool:
    with store.session() as session:
        draft = session.get(DraftRow, draft_id)
        if draft is None:
            return False
        retrying = draft.status == DraftStatus.PUBLISHING
        if retrying:
            # A retry of an unconfirmed send on an idempotent channel: claim the open
            # attempt (closing it) so that only one worker retries.
            stale = _open_attempt(session, draft_id)
            if stale is not None:
                if stale.at > now - UNCONFIRMED_AFTER:
                    return False  # maybe still in flight in another worker
                if not session.execute(
                    update(DeliveryRow).where(DeliveryRow.id == stale.id,
                                              DeliveryRow.finished_at.is_(None))
                    .values(finished_at=now, error=UNKNOWN_OUTCOME)
                ).rowcount:
                    return False
        elif not session.execute(
            update(DraftRow).where(DraftRow.id == draft_id, DraftRow.status == DraftStatus.APPROVED)
            .values(status=DraftStatus.PUBLISHING)
        ).rowcount:
            return False
        session.refresh(draft)
        if valid_approval(session, draft) is None:
            draft.status = DraftStatus.DRAFT  # edited after approval by some path: ask again
            return False
        stale = None if retrying else stale_reason(session, draft, now)
        if stale:  # approved, but the incident moved on meanwhile: never send it as is
            draft.status, draft.updated_at = DraftStatus.DRAFT, now
            void_approvals(session, draft)
            if draft.incident_id is not None:
                record(session, session.get(IncidentRow, draft.incident_id), now, "outbox",
                       "delivery", wording("Not sent: draft #{id} is {stale}", id=draft.id,
                                           stale=stale))
            return False
        message = _message(session, draft)
        attempt = DeliveryRow(
            draft_id=draft_id, channel=draft.channel, attempt=_attempts(session, draft_id) + 1,
            at=now, ok=False, permanent=False, idempotency_key=message.idempotency_key,
        )
        session.add(attempt)
        session.flush()
        attempt_id, channel_name = attempt.id, draft.channel
    outcome = deliver(channels, channel_name, message, now, store=store, purpose="draft",
                      ref=f"draft:{draft_id}")
    _record(store, attempt_id, now, delivery=outcome.receipt, error=outcome.error,
            permanent=outcome.permanent)
    return outcome.ok


def _attempts(session: Session, draft_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(DeliveryRow).where(DeliveryRow.draft_id == draft_id)
    ).scalar_one()


def _record(store, attempt_id: int, now: datetime, *, delivery: Delivery | None,
            error: str | None, permanent: bool) -> None:
    """Write the outcome of one attempt and move its draft on (its own commit)."""
    with store.session() as session:
        attempt = session.get(DeliveryRow, attempt_id)
        draft = session.get(DraftRow, attempt.draft_id)
        attempt.ok, attempt.permanent, attempt.error = error is None, permanent, error
        attempt.finished_at = now
        if delivery is not None:
            attempt.external_id = (delivery.external_id or "")[:128] or None
            attempt.url = delivery.url
        if draft.status == DraftStatus.PUBLISHED:
            pass  # a human marked it posted meanwhile; the attempt is on record all the same
        elif error is None:
            draft.status, draft.published_at = DraftStatus.PUBLISHED, now
        elif permanent or attempt.attempt >= MAX_ATTEMPTS:
            draft.status = DraftStatus.FAILED
        else:
            draft.status = DraftStatus.APPROVED  # transient: the next run tries again
        if draft.incident_id is not None:
            channel = word("channel", draft.channel)
            record(session, session.get(IncidentRow, draft.incident_id), now, "outbox",
                   "delivery",
                   wording("Published: draft #{id} to {channel}", id=draft.id, channel=channel)
                   if error is None else
                   wording("Delivery failed ({error}): draft #{id} to {channel}", error=error,
                           id=draft.id, channel=channel))


def mark_posted_manually(session: Session, draft: DraftRow, *, actor: str, url: str,
                         now: datetime) -> DeliveryRow:
    """Record that a human posted the approved text by hand at `url` (the fallback when a
    channel's API is lost, or the answer to a `needs_check`). The text must still be the
    approved one: posting by hand is no way around approval."""
    url = (url or "").strip()
    if not url.lower().startswith(("https://", "http://")):
        raise OutboxError("give the link to the post (https://...)")
    if draft.status not in MANUAL_FROM:
        raise OutboxError(wording("draft #{id} is {status}; only an approved draft (or one "
                                  "whose sending failed or is unconfirmed) can be marked posted",
                                  id=draft.id, status=word("status", draft.status)))
    if valid_approval(session, draft) is None:
        raise OutboxError(wording("draft #{id} has no approval for its current text",
                                  id=draft.id))
    if not session.execute(
        update(DraftRow).where(DraftRow.id == draft.id, DraftRow.status.in_(MANUAL_FROM))
        .values(status=DraftStatus.PUBLISHED, published_at=now, updated_at=now)
    ).rowcount:
        raise OutboxError(wording("draft #{id} changed meanwhile; reload and check again",
                                  id=draft.id))
    session.execute(
        update(DeliveryRow).where(DeliveryRow.draft_id == draft.id,
                                  DeliveryRow.finished_at.is_(None))
        .values(finished_at=now, error="superseded: posted by hand")
    )
    delivery = DeliveryRow(
        draft_id=draft.id, channel=draft.channel, attempt=_attempts(session, draft.id) + 1,
        at=now, ok=True, permanent=False, idempotency_key=idempotency_key(draft),
        finished_at=now, url=url[:512], actor=actor,
    )
    session.add(delivery)
    session.refresh(draft)
    if draft.incident_id is not None:
        record(session, session.get(IncidentRow, draft.incident_id), now, actor, "delivery",
               wording("Posted by hand: draft #{id} to {channel} ({url})", id=draft.id,
                       channel=word("channel", draft.channel), url=url))
    return delivery


def send_again(session: Session, draft: DraftRow, *, actor: str, now: datetime) -> None:
    """A human checked the channel and the message is not there (or fixed what made it
    fail): hand the draft back to the outbox."""
    if draft.status not in (NEEDS_CHECK, DraftStatus.FAILED):
        raise OutboxError(wording("draft #{id} is {status}; only an unconfirmed or failed "
                                  "draft can be sent again",
                                  id=draft.id, status=word("status", draft.status)))
    if valid_approval(session, draft) is None:
        raise OutboxError(wording("draft #{id} has no approval for its current text",
                                  id=draft.id))
    draft.status, draft.updated_at = DraftStatus.APPROVED, now
    if draft.incident_id is not None:
        record(session, session.get(IncidentRow, draft.incident_id), now, actor, "delivery",
               wording("Sending again: draft #{id} to {channel} (checked by {actor})",
                       id=draft.id, channel=word("channel", draft.channel), actor=actor))


def needs_check(session: Session) -> list[dict]:
    """Drafts a human must look at: the outcome is unknown (`needs_check`) or sending
    failed for good (`failed`); with what to look for and the text to post by hand."""
    rows = session.execute(
        select(DraftRow).where(DraftRow.status.in_((NEEDS_CHECK, DraftStatus.FAILED)))
        .order_by(DraftRow.updated_at.desc(), DraftRow.id.desc())
    ).scalars().all()
    out = []
    for d in rows:
        last = session.execute(
            select(DeliveryRow).where(DeliveryRow.draft_id == d.id)
            .order_by(DeliveryRow.attempt.desc()).limit(1)
        ).scalar_one_or_none()
        mention = session.get(MentionRow, d.mention_id) if d.mention_id else None
        out.append({
            "id": d.id, "status": d.status, "channel": d.channel, "lang": d.lang,
            "audience": d.audience, "subject": d.subject, "body": d.body,
            "in_reply_to": mention.external_id if mention else None,
            "in_reply_to_url": mention.url if mention else None,
            "idempotency_key": idempotency_key(d),
            "last_attempt_at": last.at if last else None,
            "error": last.error if last else None,
        })
    return out


def _message(session: Session, draft: DraftRow) -> Message:
    incident = session.get(IncidentRow, draft.incident_id) if draft.incident_id else None
    mention = session.get(MentionRow, draft.mention_id) if draft.mention_id else None
    return Message(
        draft_id=draft.id, channel=draft.channel, audience=draft.audience, lang=draft.lang,
        subject=draft.subject, body=draft.body, phase=draft.phase,
        incident_id=draft.incident_id,
        incident_title=facts_for(incident, draft.lang)["title"] if incident else "",
        in_reply_to=mention.external_id if mention else None,
        idempotency_key=idempotency_key(draft),
    )


@dataclass
class Publishing:
    """Stage: send what was approved (``publish_approved``), then tell status-page
    subscribers about new updates; returns how many drafts were published."""

    channels: dict[str, Channel]
    brand: object = None

    def run_once(self, store, now: datetime) -> int:
        published = publish_approved(store, self.channels, now)
        notify_subscribers(store, self.channels, now, brand=self.brand)
        return published
