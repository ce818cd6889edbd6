"""Reddit through praw: search, plus the newest submissions and comments of configured
subreddits matched against the query's keywords (what praw's streams read, without their
endless loop: `fetch` returns what is new up to now).

Listings are newest first and capped by Reddit at ~1000 items, so each kind (search,
submissions, comments) is read back to its watermark (created_utc of the newest item
already stored, minus an overlap; re-read items are deduplicated by the store) and saved
as one batch with the advanced watermark. A kill mid-listing saves nothing of that kind
and the restart re-reads it: nothing lost, nothing twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import praw
import prawcore

from collectors.backoff import Backoff, Verdict, http_verdict, plain_text, retry_after
from collectors.base import Batch, CollectorError, Mention, keywords, matches
from collectors.ingest import quarantine

OVERLAP_S = 120  # items can show up in a listing a little after their created_utc
KINDS = ("search", "submissions", "comments")


class RedditCollector:
    name = "reddit"

    def __init__(self, client_id: str, client_secret: str, *, user_agent: str,
                 subreddits: list[str] | None = None, limit: int = 500,
                 backoff: Backoff | None = None, since: datetime | None = None,
                 **praw_kwargs: Any):
        if not (client_id and client_secret):
            raise CollectorError("reddit: client id or secret missing (set "
                                 "CRISISWATCH_REDDIT_CLIENT_ID and _SECRET)", permanent=True)
        self.backoff = backoff or Backoff()
        self.reddit = praw.Reddit(client_id=client_id, client_secret=client_secret,
                                  user_agent=user_agent, check_for_updates=False,
                                  check_for_async=False, **praw_kwargs)
        _route_sleeps(self.reddit, self.backoff)
        self.subreddits = list(subreddits or [])
        self.limit = limit
        self.since = since

    @classmethod
    def from_config(cls, conf: dict) -> RedditCollector:
        """[sources.reddit]: subreddits, queries (keywords), user_agent, limit; secrets
        client_id / client_secret (and optional username / password for a script app)
        come from the environment."""
        extra = {k: conf[k] for k in ("username", "password", "oauth_url", "reddit_url")
                 if conf.get(k)}
        return cls(conf.get("client_id") or "", conf.get("client_secret") or "",
                   user_agent=conf.get("user_agent", "crisiswatch/0.1 (brand monitoring)"),
                   subreddits=conf.get("subreddits", []), limit=int(conf.get("limit", 500)),
                   **extra)

    def check(self) -> str:
        self._call(lambda: next(iter(self.reddit.subreddit("all").new(limit=1)), None))
        return "credentials accepted (read-only listing)"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        marks: dict[str, float] = json.loads(cursor) if cursor else {}
        floor = self.since.replace(tzinfo=UTC).timestamp() if self.since else 0.0
        where = self.reddit.subreddit("+".join(self.subreddits) or "all")
        words = keywords(query)
        for kind in KINDS:
            if kind != "search" and not self.subreddits:
                continue  # streams are per subreddit; all of Reddit is only searched
            mark = marks.get(kind, floor)
            if kind == "search":
                listing = lambda: where.search(query, sort="new", time_filter="week",
                                               limit=self.limit)
            elif kind == "submissions":
                listing = lambda: where.new(limit=self.limit)
            else:
                listing = lambda: where.comments(limit=self.limit)
            items = self._call(lambda listing=listing, mark=mark: _read_back(listing(),
                                                                       mark - OVERLAP_S))
            batch = Batch()
            for item in items:
                try:
                    m = self.mention(item)
                except (AttributeError, KeyError, TypeError, ValueError) as exc:
                    batch.quarantined.append(quarantine(_raw(item), f"reddit: {exc!r}"))
                    continue
                if kind == "search" or matches(words, m.text):
                    batch.mentions.append(m)
            created = [_created(i) for i in items if _created(i) is not None]
            marks[kind] = max([mark, *created])
            yield Batch(batch.mentions, quarantined=batch.quarantined,
                        cursor=json.dumps(marks, sort_keys=True))

    def mention(self, item) -> Mention:
        raw = _raw(item)
        created = datetime.fromtimestamp(float(raw["created_utc"]), UTC)
        author = raw.get("author")
        author = getattr(author, "name", author) or "[deleted]"
        if raw["name"].startswith("t1_"):
            text = plain_text(raw["body"])
            parent = raw.get("parent_id")
            in_reply_to = parent
        else:
            text = plain_text(raw["title"] + ("\n" + raw["selftext"] if raw.get("selftext")
                                              else ""))
            in_reply_to = None
        metrics = {k: raw[k] for k in ("score", "num_comments", "upvote_ratio") if k in raw}
        subreddit = raw.get("subreddit")
        metrics["subreddit"] = str(getattr(subreddit, "display_name", subreddit))
        if raw.get("url") and not raw.get("is_self", True):
            metrics["link"] = raw["url"]  # the article a link post points at
        if raw.get("crosspost_parent"):
            metrics["retweet_of"] = raw["crosspost_parent"]
        return Mention(
            source=self.name, external_id=raw["name"],
            url="https://www.reddit.com" + raw["permalink"] if raw.get("permalink") else None,
            author=author, author_followers=0, text=text, lang=None,
            created_at=created.replace(tzinfo=None), metrics=metrics, in_reply_to=in_reply_to,
            raw={k: v for k, v in raw.items() if _jsonable(v)},
        )

    def _call(self, call):
        return self.backoff.run(call, self._classify)

    def _classify(self, exc: Exception) -> Verdict | None:
        if isinstance(exc, prawcore.TooManyRequests):
            wait = retry_after(exc.response.headers.get("retry-after"))
            if wait is None:
                wait = _float(exc.response.headers.get("x-ratelimit-reset"))
            return Verdict("rate", "reddit: rate limited (429)", wait)
        if isinstance(exc, prawcore.OAuthException):
            return Verdict("permanent", f"reddit: authentication refused ({exc.error})")
        if isinstance(exc, prawcore.ResponseException):
            verdict = http_verdict(exc.response.status_code, "reddit")
            return verdict or Verdict("permanent", f"reddit: request refused: {exc}")
        if isinstance(exc, (prawcore.RequestException, prawcore.BadJSON)):
            return Verdict("transient", f"reddit: network error: {exc}")
        if isinstance(exc, (prawcore.PrawcoreException, praw.exceptions.PRAWException)):
            return Verdict("transient", f"reddit: {type(exc).__name__}: {exc}")
        return None


def _read_back(listing, floor: float) -> list:
    """Items of a newest-first listing down to `floor` (created_utc)."""
    out = []
    for item in listing:
        created = _created(item)
        if created is not None and created < floor:
            break
        out.append(item)
    return out


def _raw(item) -> dict:
    return {k: v for k, v in vars(item).items() if not k.startswith("_")}


def _created(item) -> float | None:
    try:
        return float(vars(item)["created_utc"])
    except (KeyError, TypeError, ValueError):
        return None


def _float(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _jsonable(value) -> bool:
    return value is None or isinstance(value, (str, int, float, bool, list, dict))


def _route_sleeps(reddit: praw.Reddit, backoff: Backoff) -> None:
    """prawcore paces requests from Reddit's x-ratelimit-* headers and retries 5xx on its
    own, sleeping with time.sleep. Its pacing is right, so we keep it, but send the waits
    through the collector's Backoff (injectable, recorded). Private attributes: if a praw
    release renames them, prawcore simply keeps sleeping itself."""
    import time

    for core in {id(c): c for c in (getattr(reddit, "_core", None),
                                    getattr(reddit, "_read_only_core", None),
                                    getattr(reddit, "_authorized_core", None)) if c}.values():
        limiter = getattr(core, "_rate_limiter", None)
        if limiter is not None and hasattr(limiter, "next_request_timestamp_ns"):
            def delay(limiter=limiter):
                at = limiter.next_request_timestamp_ns
                if at is not None and (wait := (at - time.monotonic_ns()) / 1e9) > 0:
                    backoff.sleep(wait)
                    backoff.slept.append(wait)
            limiter.delay = delay
        strategy = getattr(core, "_retry_strategy_class", None)
        if strategy is not None and hasattr(strategy, "_sleep_seconds"):
            class Strategy(strategy):  # type: ignore[misc, valid-type]
                def sleep(self):
                    if (seconds := self._sleep_seconds()) is not None:
                        backoff.sleep(seconds)
                        backoff.slept.append(seconds)
            core._retry_strategy_class = Strategy
