"""Slack through an incoming webhook: one JSON post, `{"text": ...}`."""

from __future__ import annotations

from datetime import datetime

from responders.channels.base import Delivery, Message
from responders.channels.http import Http


class SlackChannel:
    name = "slack"

    def __init__(self, webhook_url: str, http: Http | None = None):
        self.webhook_url = webhook_url
        self.http = http or Http()

    def send(self, message: Message, now: datetime) -> Delivery:
        text = f"*{message.subject}*\n{message.body}" if message.subject else message.body
        # A contact may have their own webhook (a direct message); otherwise the channel.
        url = message.to if message.to and message.to.startswith(("https://", "http://")) else \
            self.webhook_url
        self.http.post(url, what=self.name, json={"text": text})
        return Delivery(external_id=None)
