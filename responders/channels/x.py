"""Replies on X through tweepy's API v2 client: `create_tweet(text, in_reply_to_tweet_id)`.

Errors: bad credentials, forbidden (including X's "duplicate content" refusal), bad request
and a deleted tweet are permanent; rate limits, 5xx and network failures are transient.
X offers no idempotency key, so the outbox never retries an X send whose outcome is unknown:
a human checks and marks it posted or sends it again.
"""

from __future__ import annotations

from datetime import datetime

import requests
import tweepy

from responders.channels.base import ChannelError, Delivery, Message


class XChannel:
    name = "x"
    idempotent = False

    def __init__(self, *, consumer_key: str | None = None, consumer_secret: str | None = None,
                 access_token: str | None = None, access_token_secret: str | None = None,
                 user_token: str | None = None, handle: str = "",
                 client: tweepy.Client | None = None):
        """OAuth 1.0a user context (the four keys), or an OAuth 2.0 user access token
        (`user_token`, with the tweet.write scope). `client` is for tests and callers that
        build their own."""
        self.handle = handle.lstrip("@")
        self.user_auth = user_token is None
        self.client = client or tweepy.Client(
            bearer_token=user_token, consumer_key=consumer_key,
            consumer_secret=consumer_secret, access_token=access_token,
            access_token_secret=access_token_secret, wait_on_rate_limit=False,
        )

    def send(self, message: Message, now: datetime) -> Delivery:
        try:
            response = self.client.create_tweet(
                text=message.body, in_reply_to_tweet_id=message.in_reply_to,
                user_auth=self.user_auth)
        except (tweepy.TooManyRequests, tweepy.TwitterServerError) as exc:
            raise ChannelError(f"X: {_describe(exc)}") from exc
        except tweepy.HTTPException as exc:  # 400, 401, 403 (incl. duplicate), 404...
            raise ChannelError(f"X refused the post: {_describe(exc)}",
                               permanent=exc.response.status_code < 500) from exc
        except requests.RequestException as exc:
            raise ChannelError(f"X unreachable: {type(exc).__name__}") from exc
        except tweepy.TweepyException as exc:
            raise ChannelError(f"X client error: {exc}", permanent=True) from exc
        tweet_id = str((response.data or {}).get("id") or "")
        if not tweet_id:
            raise ChannelError("X accepted the post but returned no id", permanent=True)
        who = self.handle or "i/web"
        return Delivery(external_id=tweet_id, url=f"https://x.com/{who}/status/{tweet_id}")


def _describe(exc: tweepy.HTTPException) -> str:
    detail = "; ".join(exc.api_messages) or exc.response.reason or ""
    return f"{exc.response.status_code} {detail}".strip()
