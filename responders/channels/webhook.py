"""A generic webhook: the message as JSON, signed so the receiver can trust it.

`X-Crisiswatch-Signature: sha256=<hex>` is HMAC-SHA256 of the exact body bytes with the
shared secret (as GitHub does); `X-Crisiswatch-Timestamp` is the send time, inside the
signed body too, so a receiver can refuse replays. Redirects are not followed (a 3xx is a
failed send): a signed POST goes to the configured URL or nowhere. `connect_to` pins the
address the POST goes to (see `Http.post`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict
from datetime import datetime

from responders.channels.base import Delivery, Message
from responders.channels.http import Http


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str, secret: str, http: Http | None = None,
                 connect_to: str | None = None):
        self.url, self.secret, self.connect_to = url, secret, connect_to
        self.http = http or Http()

    def send(self, message: Message, now: datetime) -> Delivery:
        payload = {"sent_at": now.isoformat(), **asdict(message)}
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
        self.http.post(self.url, what=self.name, connect_to=self.connect_to, data=body,
                       allow_redirects=False, headers={
            "Content-Type": "application/json",
            "X-Crisiswatch-Signature": signature(self.secret, body),
            "X-Crisiswatch-Timestamp": now.isoformat(),
        })
        return Delivery(external_id=None)
