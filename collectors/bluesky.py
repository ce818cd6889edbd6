"""Bluesky through the atproto SDK: `app.bsky.feed.searchPosts`, latest first, paginated
with the API's cursor.

Results come newest first, so (as for X) the saved cursor is a JSON object: `since` (all
posts sorted at or before it are stored), and while a run is in progress `until` (the
oldest post time stored so far) and `newest`. A restarted run asks again for
`since..until` and carries on backwards; the last page sets `since=newest`. Times overlap
by a second at both ends; the store deduplicates what is read twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from atproto import Client, models
from atproto_client import exceptions as at
from atproto_client.models.utils import get_or_create

from collectors.backoff import Backoff, Verdict, http_verdict, lang_or_none, naive_utc, retry_after
from collectors.base import Batch, CollectorError, Mention
from collectors.ingest import quarantine

PUBLIC_APPVIEW = "https://public.api.bsky.app"
OVERLAP = timedelta(seconds=1)


class BlueskyCollector:
    name = "bluesky"

    def __init__(self, handle: str | None, app_password: str | None, *,
                 base_url: str | None = None, page_size: int = 100, max_pages: int = 50,
                 backoff: Backoff | None = None, since: datetime | None = None):
        if bool(handle) != bool(app_password):
            raise CollectorError("bluesky: set both handle and app password, or neither "
                                 "(public AppView, unauthenticated)", permanent=True)
        self.client = Client(base_url=base_url or (None if handle else PUBLIC_APPVIEW))
        self.handle, self._password = handle, app_password
        self.logged_in = False
        self.page_size, self.max_pages = max(1, min(100, page_size)), max_pages
        self.backoff = backoff or Backoff()
        self.since = since

    @classmethod
    def from_config(cls, conf: dict) -> BlueskyCollector:
        """[sources.bluesky]: handle, base_url (a PDS, default bsky.social when logged in,
        the public AppView otherwise), queries, page_size; the secret app_password
        (CRISISWATCH_BLUESKY_APP_PASSWORD)."""
        return cls(conf.get("handle"), conf.get("app_password"), base_url=conf.get("base_url"),
                   page_size=int(conf.get("page_size", 100)),
                   max_pages=int(conf.get("max_pages", 50)))

    def check(self) -> str:
        self._login()
        self._search("bluesky", {"limit": 1})
        return f"logged in as {self.handle}" if self.handle else "public search reachable"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        self._login()
        state = json.loads(cursor) if cursor else {}
        since, until, newest = state.get("since"), state.get("until"), state.get("newest")
        if not since and self.since:
            since = _iso(self.since)
        page_cursor, query_until = None, until  # within a run, the API cursor pages
        for _ in range(self.max_pages):
            params: dict[str, Any] = {"q": query, "sort": "latest", "limit": self.page_size}
            if since:
                params["since"] = since
            if query_until:
                params["until"] = query_until
            if page_cursor:
                params["cursor"] = page_cursor
            content = self._search(query, params)
            posts = content.get("posts") or []
            batch = self.parse(posts)
            times = [t for p in posts if (t := _sort_at(p)) is not None]
            if times:
                newest = _iso(max([*times, *([_parse(newest)] if newest else [])]))
            page_cursor = content.get("cursor")
            if not posts or not page_cursor:
                since = _iso(_parse(newest) - OVERLAP) if newest else since
                yield Batch(batch.mentions, quarantined=batch.quarantined,
                            cursor=json.dumps({"since": since}) if since else None)
                return
            until = _iso(min(times) + OVERLAP) if times else until
            yield Batch(batch.mentions, quarantined=batch.quarantined,
                        cursor=json.dumps({"since": since, "until": until, "newest": newest}))

    def parse(self, posts: list) -> Batch:
        batch = Batch()
        for raw in posts:
            try:
                post = get_or_create(raw, models.AppBskyFeedDefs.PostView, strict=False)
                batch.mentions.append(self.mention(post, raw))
            except (at.ModelError, KeyError, TypeError, ValueError, AttributeError) as exc:
                batch.quarantined.append(quarantine(raw, f"bluesky: {type(exc).__name__}: {exc}"))
        return batch

    def mention(self, post, raw: dict) -> Mention:
        record = post.record
        text = record.text
        for facet in getattr(record, "facets", None) or []:  # links: the full URI
            for feature in facet.features:
                uri = getattr(feature, "uri", None)
                if uri:
                    start, end = facet.index.byte_start, facet.index.byte_end
                    shown = text.encode()[start:end].decode(errors="ignore")
                    if shown and shown != uri:
                        text = text.replace(shown, uri, 1)
        metrics: dict[str, Any] = {"like_count": post.like_count or 0,
                                   "repost_count": post.repost_count or 0,
                                   "reply_count": post.reply_count or 0,
                                   "quote_count": post.quote_count or 0}
        embed = getattr(record, "embed", None)
        quoted = getattr(embed, "record", None)
        quoted = getattr(quoted, "record", quoted)  # recordWithMedia nests one level
        if getattr(quoted, "uri", None):
            metrics["quote_of"] = quoted.uri
        reply = getattr(record, "reply", None)
        rkey = post.uri.rsplit("/", 1)[-1]
        return Mention(
            source=self.name, external_id=post.uri,
            url=f"https://bsky.app/profile/{post.author.handle}/post/{rkey}",
            author=post.author.handle,
            author_followers=int(raw.get("author", {}).get("followersCount") or 0),
            text=text, lang=lang_or_none((record.langs or [None])[0]),
            created_at=naive_utc(record.created_at), metrics=metrics,
            in_reply_to=reply.parent.uri if reply else None, raw=raw,
        )

    def _login(self) -> None:
        if self.handle and not self.logged_in:
            self._call(lambda: self.client.login(self.handle, self._password,
                                                 fetch_bsky_profile=False))
            self.logged_in = True

    def _search(self, query: str, params: dict) -> dict:
        response = self._call(lambda: self.client.invoke_query(
            "app.bsky.feed.searchPosts",
            params=get_or_create(params, models.AppBskyFeedSearchPosts.Params),
            output_encoding="application/json"))
        content = response.content
        if not isinstance(content, dict):
            raise CollectorError(f"bluesky: unreadable search response for {query!r}")
        return content

    def _call(self, call):
        return self.backoff.run(call, self._classify)

    def _classify(self, exc: Exception) -> Verdict | None:
        response = getattr(exc, "response", None)
        headers = {k.lower(): v for k, v in (getattr(response, "headers", None) or {}).items()}
        if isinstance(exc, at.RateLimitExceededError):
            wait = retry_after(headers.get("retry-after"), self.backoff.clock)
            if wait is None:
                wait = self.backoff.until(headers.get("ratelimit-reset"))
            return Verdict("rate", "bluesky: rate limited (429)", wait)
        if isinstance(exc, at.UnauthorizedError):
            return Verdict("permanent", "bluesky: login or token refused: check the handle and "
                                        "app password, and that the account is not suspended")
        if isinstance(exc, at.NetworkError):
            return Verdict("transient", "bluesky: network error")
        if isinstance(exc, at.RequestErrorBase) and response is not None:
            return http_verdict(response.status_code, "bluesky") or Verdict(
                "permanent", f"bluesky: request refused: {exc}")
        if isinstance(exc, at.AtProtocolError):
            return Verdict("transient", f"bluesky: {type(exc).__name__}")
        return None


def _sort_at(raw: dict) -> datetime | None:
    """Bluesky's sort time: the earlier of createdAt and indexedAt."""
    try:
        times = [naive_utc(raw["indexedAt"])]
        if (raw.get("record") or {}).get("createdAt"):
            times.append(naive_utc(raw["record"]["createdAt"]))
        return min(times)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _parse(value: str) -> datetime:
    return naive_utc(value)
