"""Reddit collector through praw/prawcore against a fake reddit (token endpoint and
listings shaped like Reddit's: {"kind": "Listing", "data": {"children": [...]}})."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from collectors.backoff import Backoff
from collectors.base import CollectorError, keywords
from collectors.ingest import collect_once
from collectors.reddit import RedditCollector
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined
from tests.support.fake_http import FakeServer, Reply, Sleeps

NOW = datetime(2026, 11, 21, 12, 0)
BASE = datetime(2026, 11, 21, 9, 0, tzinfo=UTC).timestamp()
SUBS = "/r/nimbus+sysadmin"
LIMITS = {"x-ratelimit-remaining": "599", "x-ratelimit-used": "1", "x-ratelimit-reset": "599"}


def submission(n: int, **extra) -> dict:
    d = {"id": f"s{n}", "name": f"t3_s{n}", "title": f"Is Nimbus down? &amp; #{n}",
         "selftext": "Can't log in since 9am", "author": f"redditor{n}",
         "created_utc": BASE + 60 * n, "permalink": f"/r/nimbus/comments/s{n}/is_nimbus_down/",
         "url": f"https://www.reddit.com/r/nimbus/comments/s{n}/", "is_self": True,
         "score": n, "num_comments": 2, "upvote_ratio": 0.9, "subreddit": "nimbus"}
    d.update(extra)
    return {"kind": "t3", "data": d}


def comment(n: int, body: str) -> dict:
    return {"kind": "t1", "data": {
        "id": f"c{n}", "name": f"t1_c{n}", "body": body, "author": f"commenter{n}",
        "created_utc": BASE + 60 * n, "permalink": f"/r/sysadmin/comments/s1/x/c{n}/",
        "link_id": "t3_s1", "parent_id": "t3_s1", "score": 1, "subreddit": "sysadmin"}}


def listing(children) -> Reply:
    return Reply(json={"kind": "Listing", "data": {"after": None, "before": None, "dist":
                                                  len(children), "children": children}},
                 headers=LIMITS)


class FakeReddit:
    def __init__(self, api):
        self.api = api
        self.submissions = [submission(n) for n in range(3)]
        self.comments = [comment(1, "nimbus sync is broken for me too"),
                         comment(2, "unrelated: my cat")]
        self.faults: list[Reply] = []
        api.route("POST", "/api/v1/access_token", Reply(json={
            "access_token": "fake-token", "token_type": "bearer", "expires_in": 86400,
            "scope": "*"}))
        for path, rows in (("search", "submissions"), ("new", "submissions"),
                           ("comments", "comments")):
            api.route("GET", f"{SUBS}/{path}", self.handler(rows))

    def handler(self, rows):
        def serve(req):
            if self.faults:
                return self.faults.pop(0)
            items = sorted(getattr(self, rows), key=lambda c: -c["data"]["created_utc"])
            return listing(items)
        return serve


def collector(api, sleeps=None, secret="shh") -> RedditCollector:
    return RedditCollector("client-id", secret, user_agent="crisiswatch-test",
                           subreddits=["nimbus", "sysadmin"],
                           backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps),
                           oauth_url=api.url, reddit_url=api.url)


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def test_search_and_streams_with_keyword_match_then_resume(store, fake):
    reddit = FakeReddit(fake)
    c = collector(fake)
    assert collect_once(store, c, "nimbus", NOW) == 4  # 3 posts, 1 matching comment
    ids = set(external_ids(store, "reddit"))
    assert ids == {"t3_s0", "t3_s1", "t3_s2", "t1_c1"}
    with store.session() as s:
        from store.models import MentionRow

        post = s.query(MentionRow).filter_by(external_id="t3_s2").one()
        reply = s.query(MentionRow).filter_by(external_id="t1_c1").one()
    assert post.text == "Is Nimbus down? & #2\nCan't log in since 9am"
    assert post.url == "https://www.reddit.com/r/nimbus/comments/s2/is_nimbus_down/"
    assert post.author == "redditor2" and post.lang is None
    assert reply.in_reply_to == "t3_s1" and reply.metrics["subreddit"] == "sysadmin"
    marks = json.loads(cursor(store, "reddit", "nimbus"))
    assert marks["submissions"] == BASE + 120 and marks["comments"] == BASE + 120
    assert fake.calls(f"{SUBS}/search")[0].query["q"] == "nimbus"
    assert fake.calls(f"{SUBS}/search")[0].headers["Authorization"] == "bearer fake-token"

    reddit.submissions.append(submission(10))
    assert collect_once(store, c, "nimbus", NOW) == 1
    assert collect_once(store, c, "nimbus", NOW) == 0


def test_rate_limit_429_waits_retry_after(store, fake):
    reddit = FakeReddit(fake)
    reddit.faults = [Reply(429, {"message": "Too Many Requests", "error": 429},
                           headers={"retry-after": "7", **LIMITS})]
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "nimbus", NOW) == 4
    assert 7.0 in sleeps


def test_ratelimit_headers_pace_requests_through_injected_sleep(store, fake):
    reddit = FakeReddit(fake)
    fake.route("GET", f"{SUBS}/search", listing(reddit.submissions[:1]).__class__(
        json={"kind": "Listing", "data": {"children": [], "after": None, "before": None}},
        headers={"x-ratelimit-remaining": "0", "x-ratelimit-used": "600",
                 "x-ratelimit-reset": "42"}))
    sleeps = Sleeps()
    collect_once(store, collector(fake, sleeps), "nimbus", NOW)
    assert any(40 < s <= 42 for s in sleeps)  # waited for the window reset, not hammered


def test_server_errors_are_retried(store, fake):
    reddit = FakeReddit(fake)
    reddit.faults = [Reply(503, {"message": "unavailable"}), Reply(502, {"message": "bad gw"})]
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "nimbus", NOW) == 4
    assert sleeps  # prawcore's own retry waits went through our sleep


def test_bad_credentials_are_permanent(fake):
    fake.route("POST", "/api/v1/access_token", Reply(401, {"message": "Unauthorized",
                                                           "error": 401}))
    with pytest.raises(CollectorError) as err:
        list(collector(fake, secret="VERY-SECRET").fetch("nimbus", None, NOW))
    assert err.value.permanent and "VERY-SECRET" not in str(err.value)


def test_malformed_items_are_quarantined(store, fake):
    reddit = FakeReddit(fake)
    reddit.submissions.append({"kind": "t3", "data": {"id": "bad", "name": "t3_bad",
                                                      "created_utc": BASE + 30}})
    assert collect_once(store, collector(fake), "nimbus", NOW) == 4
    bad = quarantined(store, "reddit")
    assert bad and all("t3_bad" in q.payload for q in bad)


def test_kill_between_kinds_then_restart(store, fake):
    FakeReddit(fake)
    with pytest.raises(Killed):
        collect_once(store, Dying(collector(fake), after=1), "nimbus", NOW)
    assert set(external_ids(store, "reddit")) == {"t3_s0", "t3_s1", "t3_s2"}
    collect_once(store, collector(fake), "nimbus", NOW)
    ids = external_ids(store, "reddit")
    assert sorted(ids) == ["t1_c1", "t3_s0", "t3_s1", "t3_s2"]


def test_keywords():
    assert keywords('"nimbus down" OR #nimbusdown OR @nimbushq') == [
        "nimbus down", "#nimbusdown", "@nimbushq"]
