"""Replies on Reddit through praw: `reddit.comment(id).reply(text)`, or
`reddit.submission(id).reply(text)` when the mention is a post (`t3_` fullname).

Errors: Reddit's API errors (locked thread, deleted comment, too long...) and auth or
permission failures are permanent, except RATELIMIT; 429, 5xx and network failures are
transient. Reddit has no idempotency key: an unknown outcome goes to a human.
"""

from __future__ import annotations

from datetime import datetime

import praw
import prawcore
from praw.exceptions import RedditAPIException

from responders.channels.base import ChannelError, Delivery, Message

WEB = "https://www.reddit.com"


class RedditChannel:
    name = "reddit"
    idempotent = False

    def __init__(self, *, client_id: str | None = None, client_secret: str | None = None,
                 username: str | None = None, password: str | None = None,
                 user_agent: str = "crisiswatch/0.1 (replies)", reddit: praw.Reddit | None = None,
                 **praw_settings):
        """A script app's credentials, or a ready `reddit` instance; `praw_settings` go to
        praw (`oauth_url`, `reddit_url`, `timeout`...)."""
        self.reddit = reddit or praw.Reddit(
            client_id=client_id, client_secret=client_secret, username=username,
            password=password, user_agent=user_agent, check_for_updates=False,
            ratelimit_seconds=0, **praw_settings,
        )

    def send(self, message: Message, now: datetime) -> Delivery:
        target = (message.in_reply_to or "").strip()
        if not target:
            raise ChannelError("Reddit: a reply needs the comment or post it answers",
                               permanent=True)
        kind, _, ident = target.partition("_") if target[:3] in ("t1_", "t3_") else ("t1", "",
                                                                                    target)
        thing = self.reddit.submission(ident) if kind == "t3" else self.reddit.comment(ident)
        try:
            reply = thing.reply(message.body)
        except RedditAPIException as exc:
            kinds = {item.error_type for item in exc.items}
            raise ChannelError(f"Reddit refused the reply: {exc}",
                               permanent="RATELIMIT" not in kinds) from exc
        except (prawcore.TooManyRequests, prawcore.ServerError,
                prawcore.RequestException) as exc:
            raise ChannelError(f"Reddit: {type(exc).__name__}: {exc}") from exc
        except prawcore.ResponseException as exc:
            status = exc.response.status_code
            raise ChannelError(f"Reddit refused the reply: {status}",
                               permanent=status < 500) from exc
        except prawcore.PrawcoreException as exc:  # bad credentials, invalid token...
            raise ChannelError(f"Reddit: {type(exc).__name__}: {exc}", permanent=True) from exc
        if reply is None:
            raise ChannelError("Reddit did not create the reply (archived or locked?)",
                               permanent=True)
        permalink = reply.__dict__.get("permalink")
        return Delivery(external_id=reply.fullname,
                        url=WEB + permalink if permalink else f"{WEB}/comments/{reply.id}")
