"""Bluesky collector through the atproto SDK against a fake PDS/AppView (createSession and
app.bsky.feed.searchPosts shaped like the lexicon's output)."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

import pytest

from collectors.backoff import Backoff
from collectors.base import CollectorError
from collectors.bluesky import BlueskyCollector
from collectors.ingest import collect_once
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined
from tests.support.fake_http import FakeServer, Reply, Sleeps

NOW = datetime(2026, 11, 21, 12, 0)
T0 = datetime(2026, 11, 21, 9, 0)
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
SESSION = "/xrpc/com.atproto.server.createSession"
DID = "did:plc:brandwatcher000000000000"


def jwt(payload: dict) -> str:
    enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return f"{enc({'alg': 'ES256K', 'typ': 'at+jwt'})}.{enc(payload)}.c2lnbmF0dXJl"


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def post(n: int, **record) -> dict:
    at = T0 + timedelta(minutes=n)
    text = f"nimbus is down for me too #{n} status.nimbus.example/inc..."
    link = "status.nimbus.example/inc..."
    start = len(text.encode()) - len(link.encode())
    rec = {"$type": "app.bsky.feed.post", "text": text, "createdAt": stamp(at), "langs": ["en"],
           "facets": [{"index": {"byteStart": start, "byteEnd": len(text.encode())},
                       "features": [{"$type": "app.bsky.richtext.facet#link",
                                     "uri": f"https://status.nimbus.example/incident/{n}"}]}]}
    rec.update(record)
    return {"uri": f"at://did:plc:user{n:04d}/app.bsky.feed.post/3kpost{n:04d}",
            "cid": f"bafyreid{n:04d}", "author": {"did": f"did:plc:user{n:04d}",
                                                  "handle": f"user{n}.bsky.social",
                                                  "displayName": f"User {n}", "labels": []},
            "record": rec, "replyCount": 0, "repostCount": n, "likeCount": 2 * n,
            "quoteCount": 0, "indexedAt": stamp(at + timedelta(seconds=2)), "labels": []}


class FakeBluesky:
    def __init__(self, api, posts, page=3):
        self.posts, self.page, self.faults = list(posts), page, []
        api.route("POST", SESSION, Reply(json={
            "did": DID, "handle": "brand.bsky.social", "email": "x@example.com",
            "accessJwt": jwt({"scope": "com.atproto.appPass", "sub": DID, "iat": 1763700000,
                              "exp": 4102444800, "aud": "did:web:bsky.social"}),
            "refreshJwt": jwt({"scope": "com.atproto.refresh", "sub": DID, "iat": 1763700000,
                               "exp": 4102444800, "jti": "x", "aud": "did:web:bsky.social"}),
            "active": True}))
        api.route("GET", SEARCH, self.search)

    def search(self, req):
        if self.faults:
            return self.faults.pop(0)
        q = req.query
        key = lambda p: min(p.get("indexedAt", ""),
                            p.get("record", {}).get("createdAt", p.get("indexedAt", "")))
        rows = sorted(self.posts, key=key, reverse=True)
        if "since" in q:
            rows = [p for p in rows if key(p) >= q["since"]]
        if "until" in q:
            rows = [p for p in rows if key(p) < q["until"]]
        start = int(q.get("cursor") or 0)
        size = min(int(q.get("limit", 25)), self.page)
        body = {"posts": rows[start:start + size], "hitsTotal": len(rows)}
        if start + size < len(rows):
            body["cursor"] = str(start + size)
        return Reply(json=body)


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def collector(api, sleeps=None, password="app-pass-1234") -> BlueskyCollector:
    return BlueskyCollector("brand.bsky.social", password, base_url=api.url, page_size=3,
                            backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps,
                                            clock=lambda: 1_000_000.0))


def test_logs_in_paginates_and_resumes(store, fake):
    bsky = FakeBluesky(fake, [post(n) for n in range(7)])
    c = collector(fake)
    assert collect_once(store, c, "nimbus", NOW) == 7
    assert len(fake.calls(SEARCH)) == 3 and len(fake.calls(SESSION)) == 1
    assert fake.calls(SEARCH)[0].headers["Authorization"].startswith("Bearer ")
    assert fake.calls(SEARCH)[0].query["sort"] == "latest"
    with store.session() as s:
        from store.models import MentionRow

        m = s.query(MentionRow).filter_by(external_id=post(3)["uri"]).one()
    assert m.text == "nimbus is down for me too #3 https://status.nimbus.example/incident/3"
    assert m.url == "https://bsky.app/profile/user3.bsky.social/post/3kpost0003"
    assert m.lang == "en" and m.created_at == T0 + timedelta(minutes=3)
    assert json.loads(cursor(store, "bluesky", "nimbus")) == {"since": "2026-11-21T09:05:59.000Z"}
    bsky.posts += [post(8)]
    assert collect_once(store, c, "nimbus", NOW) == 1
    assert fake.calls(SEARCH)[-1].query["since"] == "2026-11-21T09:05:59.000Z"


def test_replies_and_quotes_are_linked(store, fake):
    original = post(1)
    ref = {"uri": original["uri"], "cid": original["cid"]}
    reply = post(2, reply={"root": ref, "parent": ref}, langs=[])
    quote = post(3, embed={"$type": "app.bsky.embed.record", "record": ref})
    FakeBluesky(fake, [original, reply, quote])
    collect_once(store, collector(fake), "nimbus", NOW)
    with store.session() as s:
        from store.models import MentionRow

        rows = {r.external_id: r for r in s.query(MentionRow)}
    assert rows[reply["uri"]].in_reply_to == original["uri"]
    assert rows[reply["uri"]].lang is None
    assert rows[quote["uri"]].metrics["quote_of"] == original["uri"]


def test_429_waits_then_5xx_retried(store, fake):
    bsky = FakeBluesky(fake, [post(1)])
    bsky.faults = [Reply(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                         headers={"RateLimit-Reset": "1000030", "RateLimit-Remaining": "0"}),
                   Reply(502, {"error": "UpstreamFailure"}),
                   Reply(500, {"error": "InternalServerError"})]
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, sleeps), "nimbus", NOW) == 1
    assert sleeps == [31.0, 4.0, 8.0]


def test_bad_app_password_is_permanent(fake):
    fake.route("POST", SESSION, Reply(401, {"error": "AuthenticationRequired",
                                            "message": "Invalid identifier or password"}))
    with pytest.raises(CollectorError) as err:
        list(collector(fake, password="TOP-SECRET").fetch("nimbus", None, NOW))
    assert err.value.permanent and "TOP-SECRET" not in str(err.value)


def test_malformed_post_quarantined(store, fake):
    broken = post(2)
    del broken["author"]
    FakeBluesky(fake, [post(1), broken, {"uri": 3, "indexedAt": stamp(T0)}])
    assert collect_once(store, collector(fake), "nimbus", NOW) == 1
    assert len(quarantined(store, "bluesky")) == 2


def test_kill_midway_then_restart(store, fake):
    bsky = FakeBluesky(fake, [post(n) for n in range(10)])
    with pytest.raises(Killed):
        collect_once(store, Dying(collector(fake), after=2), "nimbus", NOW)
    assert len(external_ids(store, "bluesky")) == 6
    bsky.posts.append(post(11))
    collect_once(store, collector(fake), "nimbus", NOW)
    collect_once(store, collector(fake), "nimbus", NOW)
    ids = external_ids(store, "bluesky")
    assert sorted(ids) == sorted(p["uri"] for p in bsky.posts) and len(set(ids)) == 11
