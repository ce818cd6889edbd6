"""Replies on Bluesky through atproto: `send_post(text, reply_to=ReplyRef(root, parent))`.

The mention's id is the post's `at://` URI; its CID and thread root come from
`app.bsky.feed.getPosts`. Links in the text become link facets (Bluesky does not detect
them). Idempotent by lookup: before posting, our own most recent posts are listed and a
reply with the same text to the same post counts as already sent, so the outbox may retry
a send whose outcome a crash left unknown. Errors: 400/401/403 permanent; 429, 5xx and
network failures transient.
"""

from __future__ import annotations

import re
from datetime import datetime

from atproto import Client, models
from atproto_client import exceptions as atx

from responders.channels.base import ChannelError, Delivery, Message

POST = "app.bsky.feed.post"
URL = re.compile(r"https?://[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]")


class BlueskyChannel:
    name = "bluesky"
    idempotent = True

    def __init__(self, *, handle: str, app_password: str,
                 base_url: str = "https://bsky.social/xrpc", lookback: int = 50,
                 client: Client | None = None):
        self.handle, self._password, self.lookback = handle.lstrip("@"), app_password, lookback
        self.client = client or Client(base_url=base_url)

    def send(self, message: Message, now: datetime) -> Delivery:
        try:
            if self.client.me is None:
                self.client.login(self.handle, self._password)
            reply_to = self._reply_ref(message.in_reply_to) if message.in_reply_to else None
            parent = reply_to.parent.uri if reply_to else None
            uri = self._already_posted(message.body, parent)
            if uri is None:
                uri = self.client.send_post(
                    text=message.body, reply_to=reply_to, langs=[message.lang],
                    facets=link_facets(message.body) or None).uri
        except (atx.RateLimitExceededError, atx.NetworkError) as exc:
            raise ChannelError(f"Bluesky: {type(exc).__name__}: {exc}") from exc
        except (atx.UnauthorizedError, atx.BadRequestError, atx.LoginRequiredError) as exc:
            raise ChannelError(f"Bluesky refused the post: {exc}", permanent=True) from exc
        except atx.RequestException as exc:
            status = exc.response.status_code if exc.response is not None else 500
            raise ChannelError(f"Bluesky: {exc}", permanent=status < 500) from exc
        except atx.AtProtocolError as exc:  # malformed answers, model errors
            raise ChannelError(f"Bluesky client error: {type(exc).__name__}: {exc}",
                               permanent=True) from exc
        rkey = uri.rsplit("/", 1)[-1]
        return Delivery(external_id=uri, url=f"https://bsky.app/profile/{self.handle}/post/{rkey}")

    def _reply_ref(self, target: str) -> models.AppBskyFeedPost.ReplyRef:
        if not target.startswith("at://"):
            raise ChannelError(f"Bluesky: cannot reply to {target!r}, not an at:// post URI",
                               permanent=True)
        posts = self.client.get_posts([target]).posts
        if not posts:
            raise ChannelError(f"Bluesky: the post {target} no longer exists", permanent=True)
        post = posts[0]
        parent = models.ComAtprotoRepoStrongRef.Main(uri=post.uri, cid=post.cid)
        root = getattr(post.record, "reply", None)
        return models.AppBskyFeedPost.ReplyRef(parent=parent, root=root.root if root else parent)

    def _already_posted(self, text: str, parent: str | None) -> str | None:
        """Our recent post with this text in reply to `parent`, if a previous attempt made
        it through."""
        records = self.client.com.atproto.repo.list_records(
            models.ComAtprotoRepoListRecords.Params(repo=self.client.me.did, collection=POST,
                                                    limit=self.lookback)).records
        for r in records:
            reply = getattr(r.value, "reply", None)
            if getattr(r.value, "text", None) == text and (
                (reply.parent.uri if reply else None) == parent
            ):
                return r.uri
        return None


def link_facets(text: str) -> list[models.AppBskyRichtextFacet.Main]:
    """Clickable links: Bluesky wants byte offsets (UTF-8), not character offsets."""
    facets = []
    for m in URL.finditer(text):
        start = len(text[: m.start()].encode("utf-8"))
        end = start + len(m.group().encode("utf-8"))
        facets.append(models.AppBskyRichtextFacet.Main(
            index=models.AppBskyRichtextFacet.ByteSlice(byte_start=start, byte_end=end),
            features=[models.AppBskyRichtextFacet.Link(uri=m.group())]))
    return facets
