"""The one shape every channel adapter has: send a message, return a delivery."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """An approved draft on its way out. `in_reply_to` is the mention's external id for
    social replies."""

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


@dataclass(frozen=True)
class Delivery:
    """What the channel said: its id for the post (a tweet id, a status post id)."""

    external_id: str | None = None


class ChannelError(Exception):
    """Sending failed; permanent errors (bad credentials, message refused) are not retried."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, message: Message, now: datetime) -> Delivery: ...
