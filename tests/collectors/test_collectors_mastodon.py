"""Mastodon collector through Mastodon.py against a fake instance (statuses shaped like
the documented Status entity; min_id/max_id paging as Mastodon does it)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from collectors.backoff import Backoff
from collectors.base import CollectorError
from collectors.ingest import collect_once
from collectors.mastodon import MastodonCollector
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined
from tests.support.fake_http import FakeServer, Reply, Sleeps

NOW = datetime(2026, 11, 21, 12, 0)
T0 = datetime(2026, 11, 21, 9, 0)
TAG = "/api/v1/timelines/tag/nimbusdown"
SEARCH = "/api/v2/search"


def account(n: int) -> dict:
    return {"id": str(900 + n), "username": f"toot{n}", "acct": f"toot{n}@mastodon.example",
            "display_name": f"Tooter {n}", "followers_count": 10 * n, "following_count": 1,
            "statuses_count": 5, "url": f"https://mastodon.example/@toot{n}",
            "created_at": "2020-01-01T00:00:00.000Z", "locked": False, "bot": False,
            "note": "", "avatar": "", "header": "", "emojis": [], "fields": []}


def status(n: int, **extra) -> dict:
    s = {"id": str(110_000_000_000 + n),
         "uri": f"https://mastodon.example/users/toot{n}/statuses/{n}",
         "url": f"https://mastodon.example/@toot{n}/{n}",
         "created_at": (T0 + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
         "account": account(n % 4), "content":
             f'<p>Nimbus down &amp; out <a href="https://status.nimbus.example/incident/{n}" '
             'rel="nofollow noopener" target="_blank"><span class="invisible">https://</span>'
             f'<span class="ellipsis">status.nimbus.example/inc</span><span class="invisible">'
             f'ident/{n}</span></a> <a href="https://mastodon.example/tags/nimbusdown" '
             'class="mention hashtag">#<span>nimbusdown</span></a></p>',
         "visibility": "public", "sensitive": False, "spoiler_text": "", "language": "fr",
         "in_reply_to_id": None, "in_reply_to_account_id": None, "reblog": None,
         "replies_count": 1, "reblogs_count": 2, "favourites_count": n,
         "media_attachments": [], "mentions": [], "tags": [{"name": "nimbusdown"}],
         "emojis": [], "card": None, "poll": None}
    s.update(extra)
    return s


class FakeInstance:
    def __init__(self, api, statuses, page=3):
        self.statuses, self.page, self.faults = list(statuses), page, []
        api.route("GET", TAG, self.serve)
        api.route("GET", SEARCH, self.search)

    def rows(self, q):
        rows = sorted(self.statuses, key=lambda s: int(s["id"]))
        if "max_id" in q:
            rows = [s for s in rows if int(s["id"]) < int(q["max_id"])]
        limit = min(int(q.get("limit", 20)), self.page)
        if "min_id" in q:  # the page just newer than min_id
            rows = [s for s in rows if int(s["id"]) > int(q["min_id"])][:limit]
        else:
            rows = rows[-limit:]
        return list(reversed(rows))

    def serve(self, req):
        if self.faults:
            return self.faults.pop(0)
        return Reply(json=self.rows(req.query),
                     headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299",
                              "X-RateLimit-Reset": "2026-11-21T12:05:00.000Z"})

    def search(self, req):
        if self.faults:
            return self.faults.pop(0)
        return Reply(json={"accounts": [], "hashtags": [], "statuses": self.rows(req.query)})


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def collector(api, sleeps=None, token="mastodon-token", **kw) -> MastodonCollector:
    return MastodonCollector(api.url, token, page_size=3,
                             backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps), **kw)


def test_first_run_takes_newest_then_pages_forward_with_min_id(store, fake):
    inst = FakeInstance(fake, [status(n) for n in range(3)])
    c = collector(fake)
    assert collect_once(store, c, "#nimbusdown", NOW) == 3
    assert cursor(store, "mastodon", "#nimbusdown") == status(2)["id"]
    inst.statuses += [status(n) for n in range(3, 10)]
    assert collect_once(store, c, "#nimbusdown", NOW) == 7
    assert [s.query.get("min_id") for s in fake.calls(TAG)][1:4] == [
        status(2)["id"], status(5)["id"], status(8)["id"]]
    with store.session() as s:
        from store.models import MentionRow

        m = s.query(MentionRow).filter_by(external_id=status(5)["id"]).one()
    assert m.text == "Nimbus down & out https://status.nimbus.example/incident/5 #nimbusdown"
    assert m.lang == "fr" and m.author == "toot1@mastodon.example" and m.author_followers == 10
    assert m.created_at == T0 + timedelta(minutes=5)
    assert fake.calls(TAG)[0].headers["Authorization"] == "Bearer mastodon-token"


def test_search_query_boosts_and_replies(store, fake):
    original = status(1)
    boost = status(2, content="", reblog=original)
    reply = status(3, in_reply_to_id=original["id"], language=None)
    FakeInstance(fake, [original, boost, reply])
    assert collect_once(store, collector(fake), "nimbus outage", NOW) == 3
    assert fake.calls(SEARCH)[0].query["type"] == "statuses"
    with store.session() as s:
        from store.models import MentionRow

        rows = {r.external_id: r for r in s.query(MentionRow)}
    assert rows[boost["id"]].metrics["retweet_of"] == original["id"]
    assert rows[boost["id"]].text.startswith("RT @toot1@mastodon.example: Nimbus down")
    assert rows[reply["id"]].in_reply_to == original["id"] and rows[reply["id"]].lang is None


def test_backfill_walks_back_to_since(store, fake):
    FakeInstance(fake, [status(n) for n in range(10)])
    c = collector(fake, since=T0 + timedelta(minutes=2))
    collect_once(store, c, "#nimbusdown", NOW)
    assert sorted(external_ids(store, "mastodon")) == sorted(status(n)["id"]
                                                             for n in range(2, 10))
    assert cursor(store, "mastodon", "#nimbusdown") == status(9)["id"]


def test_429_waits_retry_after(store, fake):
    inst = FakeInstance(fake, [status(1)])
    inst.faults = [Reply(429, {"error": "Too many requests"}, headers={"Retry-After": "30"})]
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "#nimbusdown", NOW) == 1
    assert sleeps == [30.0]


def test_5xx_retried(store, fake):
    inst = FakeInstance(fake, [status(1)])
    inst.faults = [Reply(502, {"error": "bad gateway"}), Reply(500, {"error": "oops"})]
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "#nimbusdown", NOW) == 1
    assert sleeps == [2.0, 4.0]


@pytest.mark.parametrize("status_code", [401, 403])
def test_bad_token_or_suspended_is_permanent(fake, status_code):
    fake.route("GET", TAG, Reply(status_code, {"error": "The access token is invalid"}))
    with pytest.raises(CollectorError) as err:
        list(collector(fake, token="SUPER-SECRET").fetch("#nimbusdown", None, NOW))
    assert err.value.permanent and "SUPER-SECRET" not in str(err.value)


def test_malformed_status_quarantined(store, fake):
    FakeInstance(fake, [status(1), {"id": str(110_000_000_000 + 2), "content": "<p>x</p>"}])
    assert collect_once(store, collector(fake), "#nimbusdown", NOW) == 1
    assert len(quarantined(store, "mastodon")) == 1


def test_kill_midway_then_restart(store, fake):
    inst = FakeInstance(fake, [status(0)])
    collect_once(store, collector(fake), "#nimbusdown", NOW)
    inst.statuses += [status(n) for n in range(1, 11)]
    with pytest.raises(Killed):
        collect_once(store, Dying(collector(fake), after=2), "#nimbusdown", NOW)
    assert len(external_ids(store, "mastodon")) == 7
    collect_once(store, collector(fake), "#nimbusdown", NOW)
    ids = external_ids(store, "mastodon")
    assert sorted(ids) == sorted(s["id"] for s in inst.statuses) and len(set(ids)) == 11
