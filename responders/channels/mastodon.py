"""Replies on Mastodon through Mastodon.py: `status_post(text, in_reply_to_id=...)`.

Idempotent: every attempt at one message carries the same `Idempotency-Key`, which Mastodon
honours for about an hour, so the outbox may retry a send whose outcome a crash left
unknown. Errors: 401/403/404/422 are permanent; 429, 5xx and network failures transient.
"""

from __future__ import annotations

from datetime import datetime

from mastodon import Mastodon
from mastodon.errors import (
    MastodonAPIError,
    MastodonIllegalArgumentError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
)

from responders.channels.base import ChannelError, Delivery, Message


class MastodonChannel:
    name = "mastodon"
    idempotent = True

    def __init__(self, *, api_base_url: str | None = None, access_token: str | None = None,
                 visibility: str = "public", timeout: float = 20,
                 client: Mastodon | None = None):
        self.visibility = visibility
        self.api = client or Mastodon(
            access_token=access_token, api_base_url=api_base_url, ratelimit_method="throw",
            request_timeout=timeout, version_check_mode="none",
        )

    def send(self, message: Message, now: datetime) -> Delivery:
        try:
            status = self.api.status_post(
                message.body, in_reply_to_id=message.in_reply_to, language=message.lang,
                visibility=self.visibility, idempotency_key=message.idempotency_key)
        except (MastodonRatelimitError, MastodonServerError, MastodonNetworkError) as exc:
            raise ChannelError(f"Mastodon: {type(exc).__name__}: {_short(exc)}") from exc
        except (MastodonAPIError, MastodonIllegalArgumentError) as exc:
            raise ChannelError(f"Mastodon refused the post: {_short(exc)}",
                               permanent=True) from exc
        return Delivery(external_id=str(status["id"]),
                        url=status.get("url") or status.get("uri"))


def _short(exc: Exception) -> str:
    return " ".join(str(a) for a in exc.args)[:300]
