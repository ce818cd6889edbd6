"""The outbox: the only code that calls Channel.send.

Publishing is claim, send, record, each its own commit:
- claim flips one approved draft to `publishing` with a conditional UPDATE, so two
  workers never send the same draft;
- the approval is re-checked against the exact body just before sending;
- a crash after sending but before recording leaves the draft `publishing`; it is not
  retried automatically (a duplicate public post is worse than a late one) but surfaced
  for a human, unless the channel is idempotent by draft id (the status page).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update

from responders.approval import valid_approval
from responders.channels.base import Channel, ChannelError, Message
from responders.incidents import facts_for, record
from store.models import DeliveryRow, DraftRow, IncidentRow, MentionRow

MAX_ATTEMPTS = 5
IDEMPOTENT = ("statuspage",)


def publish_approved(store, channels: dict[str, Channel], now: datetime) -> int:
    """Send every approved draft once; returns how many were published."""
    with store.session() as session:
        ids = session.execute(
            select(DraftRow.id).where(
                (DraftRow.status == "approved")
                | ((DraftRow.status == "publishing") & DraftRow.channel.in_(IDEMPOTENT))
            ).order_by(DraftRow.id)
        ).scalars().all()
    return sum(_publish_one(store, channels, draft_id, now) for draft_id in ids)


def _publish_one(store, channels: dict[str, Channel], draft_id: int, now: datetime) -> bool:
    with store.session() as session:
        claimed = session.execute(
            update(DraftRow).where(DraftRow.id == draft_id,
                                   DraftRow.status.in_(("approved", "publishing")))
            .values(status="publishing")
        ).rowcount
        if not claimed:
            return False
        draft = session.get(DraftRow, draft_id)
        if valid_approval(session, draft) is None:
            draft.status = "draft"  # edited after approval by some path: ask again
            return False
        message = _message(session, draft)
        attempt = 1 + session.execute(
            select(func.count()).select_from(DeliveryRow).where(DeliveryRow.draft_id == draft_id)
        ).scalar_one()
    channel = channels.get(draft.channel)
    error, permanent, delivery = None, False, None
    if channel is None:
        error, permanent = f"no channel configured for {draft.channel!r}", True
    else:
        try:
            delivery = channel.send(message, now)
        except ChannelError as exc:
            error, permanent = str(exc), exc.permanent
    with store.session() as session:
        draft = session.get(DraftRow, draft_id)
        session.add(DeliveryRow(
            draft_id=draft_id, channel=draft.channel, attempt=attempt, at=now,
            ok=error is None, permanent=permanent, error=error,
            external_id=delivery.external_id if delivery else None,
        ))
        if error is None:
            draft.status, draft.published_at = "published", now
        elif permanent or attempt >= MAX_ATTEMPTS:
            draft.status = "failed"
        else:
            draft.status = "approved"  # transient: the next run tries again
        if draft.incident_id is not None:
            outcome = "Published" if error is None else f"Delivery failed ({error})"
            record(session, session.get(IncidentRow, draft.incident_id), now, "outbox",
                   "delivery", f"{outcome}: draft #{draft_id} to {draft.channel}")
    return error is None


def _message(session, draft: DraftRow) -> Message:
    incident = session.get(IncidentRow, draft.incident_id) if draft.incident_id else None
    mention = session.get(MentionRow, draft.mention_id) if draft.mention_id else None
    return Message(
        draft_id=draft.id, channel=draft.channel, audience=draft.audience, lang=draft.lang,
        subject=draft.subject, body=draft.body, phase=draft.phase,
        incident_id=draft.incident_id,
        incident_title=facts_for(incident, draft.lang)["title"] if incident else "",
        in_reply_to=mention.external_id if mention else None,
    )
