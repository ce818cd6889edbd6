"""The one shape every channel adapter has: send a message, return a delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """An approved draft (or an alert) on its way out. `in_reply_to` is the mention's
    external id for social replies; `to` overrides the channel's configured recipient (a
    phone number, an email address) and `alert_id` marks an early-warning alert, whose
    `draft_id` is 0."""

    draft_id: int
    channel: str
    audience: str
    lang: str
    subject: str
    body: str
    phase: str | None = None
    incident_id: int | None = None
    incident_title: str = ""
    in_reply_to: str | None = None
    to: str | None = None
    alert_id: int | None = None
    # The same for every attempt at this message (draft id, channel, approved body): channels
    # that can deduplicate (Mastodon's Idempotency-Key, a lookup of our own recent posts)
    # use it so a retry after a crash never posts twice.
    idempotency_key: str | None = None


@dataclass(frozen=True)
class Delivery:
    """What the channel said: its id for the post (a tweet id, a status post id) and,
    where there is one, the public link to it."""

    external_id: str | None = None
    url: str | None = None


class ChannelError(Exception):
    """Sending failed; permanent errors (bad credentials, message refused) are not retried."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    """`send` posts once or raises ChannelError. A channel may also set `idempotent = True`
    when sending the same message (same idempotency key) twice shows it once; the outbox
    then retries a send whose outcome a crash left unknown instead of asking a human."""

    name: str

    def send(self, message: Message, now: datetime) -> Delivery: ...
