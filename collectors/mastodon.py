"""Mastodon through Mastodon.py: a hashtag timeline for `#tag` queries, status search for
the rest, on one instance.

Paging is forward with `min_id` (the page just newer than the cursor), so every page is
committed with the id it reaches and a restart carries on from there; `since_id` would
return the newest page and leave a gap behind it after an outage. A first run (no cursor)
takes the newest page, or walks back to `since` for a backfill before setting the cursor.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import requests
from mastodon import (
    Mastodon,
    MastodonAPIError,
    MastodonError,
    MastodonNetworkError,
    MastodonRatelimitError,
    MastodonServerError,
    MastodonUnauthorizedError,
)

from collectors.backoff import (
    Backoff,
    Verdict,
    http_verdict,
    lang_or_none,
    naive_utc,
    plain_text,
    retry_after,
)
from collectors.base import Batch, CollectorError, Mention
from collectors.ingest import quarantine


class MastodonCollector:
    name = "mastodon"

    def __init__(self, api_base_url: str, access_token: str | None, *, page_size: int = 40,
                 max_pages: int = 50, backoff: Backoff | None = None,
                 since: datetime | None = None):
        if not api_base_url:
            raise CollectorError("mastodon: api_base_url missing", permanent=True)
        self.backoff = backoff or Backoff()
        self.session = requests.Session()
        self.last_response: requests.Response | None = None
        self.session.hooks["response"].append(self._remember)
        self.api = Mastodon(access_token=access_token or None, api_base_url=api_base_url,
                            ratelimit_method="throw", version_check_mode="none",
                            session=self.session, request_timeout=30)
        self.page_size, self.max_pages, self.since = page_size, max_pages, since

    @classmethod
    def from_config(cls, conf: dict) -> MastodonCollector:
        """[sources.mastodon]: api_base_url, queries ("#tag" or search words), page_size;
        the secret access_token (CRISISWATCH_MASTODON_ACCESS_TOKEN; search needs one)."""
        return cls(conf.get("api_base_url", ""), conf.get("access_token"),
                   page_size=int(conf.get("page_size", 40)),
                   max_pages=int(conf.get("max_pages", 50)))

    def check(self) -> str:
        if self.api.access_token:
            account = self._call(self.api.account_verify_credentials)
            return f"token accepted (account @{account['acct']})"
        self._call(lambda: self.api.timeline_public(limit=1))
        return "instance reachable (no token: hashtag timelines only)"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        if cursor is None:
            yield from self._first_run(query)
            return
        for _ in range(self.max_pages):
            statuses = self._page(query, min_id=cursor)
            if not statuses:
                return
            batch = self.parse(statuses)
            cursor = str(max(int(_id(s)) for s in statuses if _id(s) is not None))
            yield Batch(batch.mentions, quarantined=batch.quarantined, cursor=cursor)

    def _first_run(self, query: str) -> Iterator[Batch]:
        statuses = self._page(query)
        newest = max((int(i) for s in statuses if (i := _id(s)) is not None), default=None)
        pages = 0
        while statuses:
            batch = self.parse(statuses)
            older = [s for s in statuses if _id(s) is not None]
            done = (self.since is None or pages >= self.max_pages or not older
                    or any(_created(s) and _created(s) < self.since for s in older))
            # Walking backwards: saved, but the cursor only moves once the walk is done.
            yield Batch([m for m in batch.mentions if not self.since or m.created_at >= self.since],
                        quarantined=batch.quarantined,
                        cursor=str(newest) if done and newest is not None else None)
            if done:
                return
            pages += 1
            statuses = self._page(query, max_id=min(int(_id(s)) for s in older))

    def _page(self, query: str, **where: Any) -> list:
        if query.startswith("#"):
            return list(self._call(lambda: self.api.timeline_hashtag(
                query[1:], limit=self.page_size, **where)) or [])
        result = self._call(lambda: self.api.search_v2(
            query, result_type="statuses", resolve=False, exclude_unreviewed=False,
            limit=self.page_size, **where))
        return list((result or {}).get("statuses") or [])

    def parse(self, statuses: list) -> Batch:
        batch = Batch()
        for status in statuses:
            try:
                batch.mentions.append(self.mention(status))
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                batch.quarantined.append(quarantine(_plain(status),
                                                    f"mastodon: {type(exc).__name__}: {exc}"))
        return batch

    def mention(self, status: dict) -> Mention:
        account = status["account"]
        metrics: dict[str, Any] = {k: status.get(k, 0) for k in
                                   ("reblogs_count", "favourites_count", "replies_count")}
        reblog = status.get("reblog")
        text = plain_text(status["content"])
        if reblog:  # a boost has empty content; the words are the original's
            metrics["retweet_of"] = str(reblog["id"])
            text = f"RT @{reblog['account']['acct']}: " + plain_text(reblog["content"])
        if status.get("quote"):
            quoted = status["quote"].get("quoted_status") or status["quote"]
            if quoted.get("id"):
                metrics["quote_of"] = str(quoted["id"])
        if status.get("card") and status["card"].get("url"):
            metrics["link"] = status["card"]["url"]
        return Mention(
            source=self.name, external_id=str(status["id"]),
            url=status.get("url") or status.get("uri"), author=account["acct"],
            author_followers=int(account.get("followers_count") or 0), text=text,
            lang=lang_or_none(status.get("language")), created_at=naive_utc(status["created_at"]),
            metrics=metrics,
            in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
            raw=_plain(status),
        )

    def _remember(self, response, *args, **kwargs):
        self.last_response = response

    def _call(self, call):
        return self.backoff.run(call, self._classify)

    def _classify(self, exc: Exception) -> Verdict | None:
        if isinstance(exc, MastodonRatelimitError):
            headers = self.last_response.headers if self.last_response is not None else {}
            wait = retry_after(headers.get("Retry-After"), self.backoff.clock)
            if wait is None and self.api.ratelimit_reset:
                wait = self.backoff.until(self.api.ratelimit_reset)
            return Verdict("rate", "mastodon: rate limited (429)", wait)
        if isinstance(exc, MastodonUnauthorizedError):
            return Verdict("permanent", "mastodon: access token refused (401)")
        if isinstance(exc, MastodonServerError):
            return Verdict("transient", f"mastodon: server error ({_status(exc)})")
        if isinstance(exc, MastodonNetworkError):
            return Verdict("transient", "mastodon: network error")
        if isinstance(exc, MastodonAPIError):
            return http_verdict(_status(exc), "mastodon") or Verdict(
                "permanent", f"mastodon: request refused ({_status(exc)})")
        if isinstance(exc, MastodonError):
            return Verdict("transient", f"mastodon: {type(exc).__name__}")
        return None


def _status(exc: Exception) -> int:
    for arg in exc.args:
        if isinstance(arg, int):
            return arg
    return 0


def _id(status) -> str | None:
    try:
        return str(int(status["id"]))
    except (KeyError, TypeError, ValueError):
        return None


def _created(status) -> datetime | None:
    try:
        return naive_utc(status["created_at"])
    except (KeyError, TypeError, ValueError):
        return None


def _plain(value):
    """Mastodon.py's attribute dicts and datetimes as plain JSON-able values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
