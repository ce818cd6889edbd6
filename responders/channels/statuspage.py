"""The public status page, hosted by crisiswatch itself: publishing is one row insert.

Idempotent by the unique draft id, so a retried publish never shows an update twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from responders.channels.base import Delivery, Message
from store.models import StatusPostRow


class StatusPageChannel:
    name = "statuspage"
    idempotent = True  # one post per draft id, enforced by a unique constraint

    def __init__(self, store, page_url: str | None = None):
        self.store = store
        self.page_url = page_url  # the public page, for the link recorded on the delivery

    def send(self, message: Message, now: datetime) -> Delivery:
        with self.store.session() as session:
            post = session.execute(
                select(StatusPostRow).where(StatusPostRow.draft_id == message.draft_id)
            ).scalar_one_or_none()
            if post is None:
                post = StatusPostRow(
                    draft_id=message.draft_id, incident_id=message.incident_id,
                    title=message.incident_title, phase=message.phase or "", lang=message.lang,
                    body=message.body, published_at=now,
                )
                session.add(post)
                session.flush()
            url = f"{self.page_url}#update-{post.id}" if self.page_url else None
            return Delivery(external_id=f"status-{post.id}", url=url)
