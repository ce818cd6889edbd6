"""X collector through tweepy against a fake v2 recent-search endpoint whose responses
are shaped like the documented ones (data, includes.users, includes.tweets, meta)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
import tweepy

from collectors.backoff import Backoff
from collectors.base import CollectorError
from collectors.ingest import collect_once
from collectors.x import XCollector
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined
from tests.support.fake_http import FakeServer, Reply, Sleeps, mount_rewrite

SEARCH = "/2/tweets/search/recent"
NOW = datetime(2026, 11, 21, 12, 0)
T0 = datetime(2026, 11, 21, 9, 0)


def tweet(n: int, **extra) -> dict:
    t = {
        "id": str(1_800_000_000_000_000_000 + n), "author_id": str(100 + n % 3),
        "text": f"Nimbus is down again &amp; nobody answers #{n} https://t.co/abc{n}",
        "created_at": (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "lang": "en", "conversation_id": str(1_800_000_000_000_000_000 + n),
        "public_metrics": {"retweet_count": n, "reply_count": 0, "like_count": 2 * n,
                           "quote_count": 0, "bookmark_count": 0, "impression_count": 10 * n},
        "entities": {"urls": [{"start": 40, "end": 63, "url": f"https://t.co/abc{n}",
                               "expanded_url": f"https://status.nimbus.example/{n}",
                               "display_url": f"status.nimbus.example/{n}"}]},
        "edit_history_tweet_ids": [str(1_800_000_000_000_000_000 + n)],
    }
    t.update(extra)
    return t


USERS = [{"id": str(100 + i), "name": f"User {i}", "username": f"user{i}",
          "public_metrics": {"followers_count": 1000 * (i + 1), "following_count": 5,
                             "tweet_count": 50, "listed_count": 1}} for i in range(3)]


class FakeX:
    """Recent search over a list of tweets: since_id/until_id/start_time, newest first,
    next_token pagination, includes.users, plus scripted faults before the real answer."""

    def __init__(self, tweets, page=3):
        self.tweets, self.page, self.faults = list(tweets), page, []

    def __call__(self, req):
        if self.faults:
            return self.faults.pop(0)
        q = req.query
        rows = sorted(self.tweets, key=lambda t: -int(t["id"]))
        if "since_id" in q:
            rows = [t for t in rows if int(t["id"]) > int(q["since_id"])]
        if "until_id" in q:
            rows = [t for t in rows if int(t["id"]) < int(q["until_id"])]
        start = int(q.get("pagination_token") or q.get("next_token") or 0)
        size = min(int(q.get("max_results", 10)), self.page)
        chunk = rows[start:start + size]
        if not chunk:
            return Reply(json={"meta": {"result_count": 0}})
        meta = {"newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"],
                "result_count": len(chunk)}
        if start + size < len(rows):
            meta["next_token"] = str(start + size)
        return Reply(json={"data": chunk, "includes": {"users": USERS}, "meta": meta},
                     headers={"x-rate-limit-remaining": "100", "x-rate-limit-reset": "0"})


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def collector(api, sleeps=None, token="AAAA-fake-bearer") -> XCollector:
    c = XCollector(token, page_size=10,
                   backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps, clock=lambda: 1_000_000.0))
    mount_rewrite(c.client.session, api.url)
    return c


def test_paginates_normalises_and_resumes_from_since_id(store, fake):
    x = FakeX([tweet(n) for n in range(7)])
    fake.route("GET", SEARCH, x)
    c = collector(fake)
    assert collect_once(store, c, "nimbus", NOW) == 7
    assert len(fake.calls(SEARCH)) == 3  # 3 + 3 + 1
    auth = fake.calls(SEARCH)[0].headers["Authorization"]
    assert auth == "Bearer AAAA-fake-bearer"
    newest = tweet(6)["id"]
    assert json.loads(cursor(store, "x", "nimbus")) == {"since": newest}
    with store.session() as s:
        from store.models import MentionRow

        m = s.query(MentionRow).filter_by(external_id=tweet(4)["id"]).one()
    assert m.text == "Nimbus is down again & nobody answers #4 https://status.nimbus.example/4"
    assert m.author == "user1" and m.author_followers == 2000 and m.lang == "en"
    assert m.url == f"https://x.com/user1/status/{tweet(4)['id']}"
    assert m.created_at == T0 + timedelta(minutes=4) and m.metrics["like_count"] == 8

    x.tweets += [tweet(n) for n in (7, 8)]
    assert collect_once(store, c, "nimbus", NOW) == 2
    assert fake.calls(SEARCH)[-1].query["since_id"] == newest
    assert collect_once(store, c, "nimbus", NOW) == 0


def test_retweets_quotes_and_replies_link_to_their_original(store, fake):
    original = tweet(1)
    rt = tweet(2, text="RT @user1: Nimbus is down again &amp; nobody…",
               referenced_tweets=[{"type": "retweeted", "id": original["id"]}], lang="und")
    quote = tweet(3, referenced_tweets=[{"type": "quoted", "id": original["id"]}])
    reply = tweet(4, referenced_tweets=[{"type": "replied_to", "id": original["id"]}])

    def search(req):
        return Reply(json={"data": [reply, quote, rt],
                           "includes": {"users": USERS, "tweets": [original]},
                           "meta": {"result_count": 3}})

    fake.route("GET", SEARCH, search)
    collect_once(store, collector(fake), "nimbus", NOW)
    with store.session() as s:
        from store.models import MentionRow

        rows = {r.external_id: r for r in s.query(MentionRow)}
    assert rows[rt["id"]].metrics["retweet_of"] == original["id"]
    assert rows[rt["id"]].text.startswith("RT @user1: Nimbus is down again & nobody answers #1")
    assert rows[rt["id"]].lang is None  # "und": the scorer detects it
    assert rows[quote["id"]].metrics["quote_of"] == original["id"]
    assert rows[reply["id"]].in_reply_to == original["id"]
    query = fake.calls(SEARCH)[0].query
    assert "referenced_tweets.id" in query["expansions"]


def test_rate_limit_waits_for_the_reset_header_then_continues(store, fake):
    x = FakeX([tweet(n) for n in range(2)])
    x.faults = [Reply(429, {"title": "Too Many Requests", "detail": "Too Many Requests",
                            "type": "about:blank", "status": 429},
                      headers={"x-rate-limit-reset": "1000060", "x-rate-limit-remaining": "0"})]
    fake.route("GET", SEARCH, x)
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "nimbus", NOW) == 2
    assert sleeps == [61.0]  # reset - clock + 1 s margin, not a hammering retry


def test_server_errors_are_retried_with_backoff(store, fake):
    x = FakeX([tweet(1)])
    x.faults = [Reply(503, {"title": "Service Unavailable"}), Reply(500, {"title": "oops"})]
    fake.route("GET", SEARCH, x)
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "nimbus", NOW) == 1
    assert sleeps == [2.0, 4.0]


def test_persistent_server_errors_give_up_as_transient(store, fake):
    fake.route("GET", SEARCH, Reply(503, {"title": "Service Unavailable"}))
    with pytest.raises(CollectorError) as err:
        collect_once(store, collector(fake), "nimbus", NOW)
    assert not err.value.permanent and "gave up" in str(err.value)


@pytest.mark.parametrize("status", [401, 403])
def test_bad_credentials_are_permanent_and_not_echoed(fake, status):
    fake.route("GET", SEARCH, Reply(status, {"title": "Unauthorized", "status": status,
                                             "type": "about:blank", "detail": "Unauthorized"}))
    with pytest.raises(CollectorError) as err:
        list(collector(fake, token="SECRET-TOKEN-123").fetch("nimbus", None, NOW))
    assert err.value.permanent and "SECRET-TOKEN-123" not in str(err.value)


def test_malformed_tweets_are_quarantined_not_dropped(store, fake):
    bad = {"id": "1800000000000000999", "text": "no author or date"}
    fake.route("GET", SEARCH, Reply(json={"data": [tweet(1), bad, "garbage"],
                                          "includes": {"users": USERS},
                                          "errors": [{"resource_id": "5", "title": "Not Found"}],
                                          "meta": {"result_count": 3}}))
    assert collect_once(store, collector(fake), "nimbus", NOW) == 1
    q = quarantined(store, "x")
    assert len(q) == 3
    assert any("no author or date" in r.payload and "KeyError" in r.error for r in q)


def test_kill_midway_then_restart_loses_and_duplicates_nothing(store, fake):
    x = FakeX([tweet(n) for n in range(10)])
    fake.route("GET", SEARCH, x)
    with pytest.raises(Killed):
        collect_once(store, Dying(collector(fake), after=2), "nimbus", NOW)
    assert len(external_ids(store, "x")) == 6  # two pages committed
    assert "until" in json.loads(cursor(store, "x", "nimbus"))
    x.tweets.append(tweet(10))  # something new arrives while we are down
    collect_once(store, collector(fake), "nimbus", NOW)  # finishes the interrupted run
    ids = external_ids(store, "x")
    assert sorted(ids) == sorted(t["id"] for t in x.tweets[:10]) and len(ids) == len(set(ids))
    collect_once(store, collector(fake), "nimbus", NOW)  # then picks up what is newer
    ids = external_ids(store, "x")
    assert sorted(ids) == sorted(t["id"] for t in x.tweets) and len(ids) == len(set(ids))


def test_client_is_real_tweepy():
    assert isinstance(XCollector("t").client, tweepy.Client)


def test_replayed_cassette_from_api_twitter_com(store):
    """The same client against a vcrpy cassette of api.twitter.com (Authorization header
    filtered out when it was recorded): a 429 with its reset header, then two pages."""
    from pathlib import Path

    import vcr

    cassette = str(Path(__file__).parent / "cassettes" / "test_x_search_recent_cassette.yaml")
    sleeps = Sleeps()
    c = XCollector("cassette-token", page_size=10,
                   backoff=Backoff(sleep=sleeps, clock=lambda: 1_000_000.0))
    with vcr.use_cassette(cassette, record_mode="none", filter_headers=["authorization"]) as cas:
        assert collect_once(store, c, "nimbus", NOW) == 5
    assert cas.play_count == 3 and sleeps == [61.0]
    with open(cassette) as f:
        assert "authorization" not in f.read().lower()


def test_backfill_since_is_clamped_to_the_recent_search_window(fake):
    x = FakeX([tweet(1)])
    fake.route("GET", SEARCH, x)
    c = collector(fake)
    c.since = NOW - timedelta(days=30)
    list(c.fetch("nimbus", None, NOW))
    assert fake.calls(SEARCH)[0].query["start_time"] == "2026-11-14T12:05:00Z"
