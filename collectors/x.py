"""X (Twitter) through tweepy's API v2 client: `search_recent_tweets`, newest first.

Pagination runs newest to oldest, so a plain `since_id` cursor saved after the first page
would lose the older pages if the process died. The cursor is therefore a small JSON
object: `since` (everything at or below it is stored), and while a run is in progress
`until` (the oldest id stored so far) and `newest` (the id the run will end at). Pages
are requested with `until_id` (the position `next_token` encodes, but one that never
expires), so a restarted run resumes exactly where the last committed page ended, with
`since_id=since, until_id=until`; the last page (no `next_token`) sets `since=newest`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import requests
import tweepy

from collectors.backoff import Backoff, Verdict, http_verdict, lang_or_none, naive_utc
from collectors.base import Batch, CollectorError, Mention
from collectors.ingest import quarantine

TWEET_FIELDS = ["author_id", "created_at", "lang", "public_metrics", "referenced_tweets",
                "entities", "conversation_id", "in_reply_to_user_id"]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
# Recent search covers the last 7 days; an older start_time is refused (400).
RECENT_WINDOW = timedelta(days=7) - timedelta(minutes=5)
EXPANSIONS = ["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"]


class XCollector:
    name = "x"

    def __init__(self, bearer_token: str, *, page_size: int = 100, max_pages: int = 50,
                 backoff: Backoff | None = None, client: tweepy.Client | None = None,
                 since: datetime | None = None):
        if not bearer_token and client is None:
            raise CollectorError("x: no bearer token (set CRISISWATCH_X_BEARER_TOKEN)",
                                 permanent=True)
        self.client = client or tweepy.Client(bearer_token=bearer_token, return_type=dict,
                                              wait_on_rate_limit=False)
        self.client.return_type = dict  # per-tweet parsing, so one bad tweet is quarantined
        self.page_size = max(10, min(100, page_size))
        self.max_pages = max_pages
        self.backoff = backoff or Backoff()
        self.since = since  # backfill start when there is no cursor yet

    @classmethod
    def from_config(cls, conf: dict) -> XCollector:
        """[sources.x]: queries (X search syntax), page_size, max_pages; the secret
        `bearer_token` is filled in from CRISISWATCH_X_BEARER_TOKEN by crisiswatch."""
        return cls(conf.get("bearer_token") or "", page_size=int(conf.get("page_size", 100)),
                   max_pages=int(conf.get("max_pages", 50)))

    def check(self) -> str:
        """One cheap authenticated call; what it proved."""
        self._call(lambda: self.client.search_recent_tweets("from:XDevelopers", max_results=10))
        return "bearer token accepted (recent search)"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        state = json.loads(cursor) if cursor else {}
        since, until, newest = state.get("since"), state.get("until"), state.get("newest")
        since_time = max(self.since, now - RECENT_WINDOW) if self.since else None
        start = state.get("start") or (since_time.strftime("%Y-%m-%dT%H:%M:%SZ")
                                       if since_time and not since else None)
        for _ in range(self.max_pages):
            params: dict[str, Any] = {
                "max_results": self.page_size, "tweet_fields": TWEET_FIELDS,
                "user_fields": USER_FIELDS, "expansions": EXPANSIONS,
            }
            if since:
                params["since_id"] = since
            elif start:  # a backfill: X keeps 7 days of recent search
                params["start_time"] = start
            if until:
                params["until_id"] = until
            page = self._call(lambda params=params: self.client.search_recent_tweets(query, **params))
            if not isinstance(page, dict):
                raise CollectorError(f"x: unexpected response type {type(page).__name__}")
            batch = self.parse(page)
            ids = [int(t["id"]) for t in page.get("data") or [] if _has_id(t)]
            if not ids or not (page.get("meta") or {}).get("next_token"):
                if ids or newest:
                    since = str(max([int(newest or 0), *ids]))
                yield Batch(batch.mentions, quarantined=batch.quarantined,
                            cursor=json.dumps({"since": since}) if since else None)
                return
            newest = str(max([int(newest or 0), *ids]))
            until = str(min(ids))
            progress = {"since": since, "until": until, "newest": newest}
            if start and not since:
                progress["start"] = start
            yield Batch(batch.mentions, quarantined=batch.quarantined,
                        cursor=json.dumps(progress))
        # max_pages reached: the cursor keeps `until`, so the next run carries on.

    def parse(self, page: dict) -> Batch:
        """Mentions from one v2 search page; tweets that do not parse are quarantined."""
        includes = page.get("includes") or {}
        users = {u.get("id"): u for u in includes.get("users") or [] if isinstance(u, dict)}
        referenced = {t.get("id"): t for t in includes.get("tweets") or [] if isinstance(t, dict)}
        batch = Batch()
        for tweet in page.get("data") or []:
            try:
                batch.mentions.append(self.mention(tweet, users, referenced))
            except (KeyError, TypeError, ValueError) as exc:
                batch.quarantined.append(quarantine(tweet, f"x: {type(exc).__name__}: {exc}"))
        for error in page.get("errors") or []:  # partial errors, e.g. a deleted original
            batch.quarantined.append(quarantine(error, "x: partial error in response"))
        return batch

    def mention(self, tweet: dict, users: dict, referenced: dict) -> Mention:
        user = users.get(tweet["author_id"]) or {}
        username = user.get("username") or tweet["author_id"]
        metrics: dict[str, Any] = dict(tweet.get("public_metrics") or {})
        in_reply_to = None
        for ref in tweet.get("referenced_tweets") or []:
            kind, ref_id = ref["type"], str(ref["id"])
            if kind == "retweeted":
                metrics["retweet_of"] = ref_id
            elif kind == "quoted":
                metrics["quote_of"] = ref_id
            elif kind == "replied_to":
                in_reply_to = ref_id
        text = expand_urls(tweet["text"], tweet.get("entities") or {})
        original = referenced.get(metrics.get("retweet_of"))
        if original and text.endswith("…"):  # a retweet's text is truncated; the original is not
            text = f"RT @{_author_of(original, users)}: " + expand_urls(
                original.get("text", ""), original.get("entities") or {})
        return Mention(
            source=self.name, external_id=str(tweet["id"]),
            url=f"https://x.com/{username}/status/{tweet['id']}",
            author=username,
            author_followers=int((user.get("public_metrics") or {}).get("followers_count", 0)),
            text=_unescape(text), lang=lang_or_none(tweet.get("lang")),
            created_at=naive_utc(tweet["created_at"]), metrics=metrics,
            in_reply_to=in_reply_to, raw=tweet,
        )

    def _call(self, call):
        return self.backoff.run(call, self._classify)

    def _classify(self, exc: Exception) -> Verdict | None:
        if isinstance(exc, tweepy.TooManyRequests):
            wait = self.backoff.until(exc.response.headers.get("x-rate-limit-reset"))
            return Verdict("rate", "x: rate limited (429)", wait)
        if isinstance(exc, tweepy.HTTPException):
            verdict = http_verdict(exc.response.status_code, "x")
            if verdict is None:  # 400: a malformed query is the operator's to fix
                return Verdict("permanent", f"x: request refused: {exc}")
            return verdict
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return Verdict("transient", f"x: network error: {type(exc).__name__}")
        if isinstance(exc, ValueError):  # body that is not JSON
            return Verdict("transient", f"x: unreadable response: {exc}")
        if isinstance(exc, tweepy.TweepyException):
            return Verdict("transient", f"x: {type(exc).__name__}: {exc}")
        return None


def expand_urls(text: str, entities: dict) -> str:
    """t.co links replaced by the expanded URLs the API gives."""
    for url in sorted(entities.get("urls") or [], key=lambda u: -len(u.get("url", ""))):
        if url.get("url") and url.get("expanded_url"):
            text = text.replace(url["url"], url["expanded_url"])
    return text


def _unescape(text: str) -> str:
    import html

    return html.unescape(text)


def _author_of(tweet: dict, users: dict) -> str:
    return (users.get(tweet.get("author_id")) or {}).get("username") or str(tweet.get("author_id"))


def _has_id(tweet: Any) -> bool:
    try:
        int(tweet["id"])
        return True
    except (KeyError, TypeError, ValueError):
        return False
