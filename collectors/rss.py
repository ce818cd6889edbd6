"""News and blogs through feedparser: configured RSS/Atom feeds, Google-Alerts-style ones
included. Each feed is its own query (so its own cursor: ETag, Last-Modified, newest
entry time); entries are keyed by their id (or link), so a feed re-read after a restart
adds nothing twice. Feeds are fetched through the retrying session (conditional GET,
429/5xx waited out) and the body is handed to feedparser.
"""

from __future__ import annotations

import calendar
import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import feedparser
import requests

from collectors.backoff import Backoff, RetryingSession, lang_or_none, plain_text
from collectors.base import Batch, CollectorError, Mention, keywords, matches
from collectors.ingest import quarantine

MAX_BODY = 5_000_000  # a feed larger than this is not a feed
USER_AGENT = "crisiswatch/0.1 (+feed reader)"


class RSSCollector:
    name = "rss"

    def __init__(self, feeds: list[str], *, keywords: list[str] | None = None,
                 backoff: Backoff | None = None, since: datetime | None = None,
                 timeout: float = 30.0):
        if not feeds:
            raise CollectorError("rss: no feeds configured ([sources.rss] feeds = [...])",
                                 permanent=True)
        self.feeds = list(feeds)
        self.words = [w for k in (keywords or []) for w in _words(k)]
        self.backoff = backoff or Backoff()
        self.session = RetryingSession(self.backoff, timeout=timeout)
        self.session.headers["User-Agent"] = USER_AGENT
        self.since = since

    @classmethod
    def from_config(cls, conf: dict) -> RSSCollector:
        """[sources.rss]: feeds (URLs; each is a query with its own cursor), keywords (an
        entry must mention one; empty: every entry, as for Google Alerts feeds)."""
        return cls(conf.get("feeds", []), keywords=conf.get("keywords", []))

    @staticmethod
    def queries(conf: dict) -> list[str]:
        return list(conf.get("feeds", []))

    def check(self) -> str:
        bad = []
        for url in self.feeds:
            batch = next(self.fetch(url, None, datetime.now(UTC).replace(tzinfo=None)))
            if batch.quarantined and not batch.mentions:
                bad.append(url)
        if bad:
            raise CollectorError(f"rss: unreadable feed(s): {', '.join(bad)}")
        return f"{len(self.feeds)} feed(s) readable"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        state = json.loads(cursor) if cursor else {}
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("modified"):
            headers["If-Modified-Since"] = state["modified"]
        try:
            response = self.session.get(query, headers=headers)
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise CollectorError(f"rss: {query}: network error ({type(exc).__name__})") from exc
        if response.status_code == 304:
            return
        if response.status_code in (401, 403, 404, 410):
            raise CollectorError(f"rss: {query}: HTTP {response.status_code}", permanent=True)
        if response.status_code >= 400:
            raise CollectorError(f"rss: {query}: HTTP {response.status_code} (gave up)")
        body = response.content[:MAX_BODY]
        parsed = feedparser.parse(body, response_headers={
            k.lower(): v for k, v in response.headers.items()})
        batch = Batch()
        if parsed.bozo and not parsed.entries:
            batch.quarantined.append(quarantine(body.decode("utf-8", "replace")[:100_000],
                                                f"rss: {query}: not a feed: "
                                                f"{parsed.get('bozo_exception')!r}"))
        feed_lang = lang_or_none(parsed.feed.get("language"))
        source_name = parsed.feed.get("title") or urlsplit(query).netloc
        newest = state.get("newest", 0)
        for entry in parsed.entries:
            try:
                m = self.mention(entry, feed_lang, source_name, now)
            except (KeyError, TypeError, ValueError) as exc:
                batch.quarantined.append(quarantine(dict(entry), f"rss: {exc!r}"))
                continue
            if self.since and m.created_at < self.since:
                continue
            if self.words and not matches(self.words, m.text):
                continue
            batch.mentions.append(m)
            newest = max(newest, calendar.timegm(m.created_at.timetuple()))
        new_state = {"newest": newest}
        etag, modified = response.headers.get("ETag"), response.headers.get("Last-Modified")
        if etag and len(etag) < 120:
            new_state["etag"] = etag
        if modified:
            new_state["modified"] = modified
        yield Batch(batch.mentions, quarantined=batch.quarantined,
                    cursor=json.dumps(new_state))

    def mention(self, entry, feed_lang: str | None, source_name: str, now: datetime) -> Mention:
        link = expand_link(entry.get("link") or "")
        ident = entry.get("id") or link
        if not ident:
            raise ValueError("entry has neither id nor link")
        title = plain_text(entry.get("title"))
        summary = plain_text(entry.get("summary"))
        if not (title or summary):
            raise ValueError("entry has no text")
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        created = datetime(*when[:6]) if when else now  # feedparser gives UTC struct_time
        return Mention(
            source=self.name, external_id=_short(ident), url=link or None,
            author=entry.get("author") or source_name, author_followers=0,
            text=title + ("\n" + summary if summary and summary != title else ""),
            lang=lang_or_none(entry.get("language")) or feed_lang, created_at=created,
            metrics={"feed": source_name}, raw={"id": ident, "link": entry.get("link"),
                                                "title": entry.get("title"),
                                                "summary": entry.get("summary"),
                                                "published": entry.get("published")},
        )


def expand_link(link: str) -> str:
    """A Google Alerts redirect (google.com/url?...&url=TARGET) as its target."""
    parts = urlsplit(link)
    if parts.netloc.endswith("google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("url") or parse_qs(parts.query).get("q")
        if target:
            return target[0]
    return link


def _short(ident: str) -> str:
    """External ids are at most 128 characters; longer ones are hashed (kept in raw)."""
    return ident if len(ident) <= 128 else "sha1:" + hashlib.sha1(ident.encode()).hexdigest()


def _words(keyword: str) -> list[str]:
    return keywords(keyword) or [keyword.lower()]
