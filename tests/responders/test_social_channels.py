"""Social reply adapters through their real client libraries (tweepy, praw, Mastodon.py,
atproto) against a local fake API: the outbound payload is checked, and every error class
maps to a permanent or transient ChannelError."""

from __future__ import annotations

import base64
import json
import time
from datetime import datetime

import pytest
import tweepy

from responders.channels.base import ChannelError, Message
from responders.channels.bluesky import BlueskyChannel, link_facets
from responders.channels.mastodon import MastodonChannel
from responders.channels.reddit import RedditChannel
from responders.channels.x import XChannel
from tests.support.fake_http import FakeServer, Reply, dead_url, mount_rewrite
from tests.support.mastodon import MastodonServer, mastodon_fields

NOW = datetime(2026, 3, 10, 10, 0)
BODY = ("@dana_k Sorry for the disruption. About 60% of customers cannot log in. We're "
        "working on it. Next update by 11:00 UTC: https://status.nimbus.example/incidents/12")


def message(channel: str, in_reply_to: str | None, body: str = BODY, lang: str = "en",
            key: str = "cw-7-x-abc") -> Message:
    return Message(draft_id=7, channel=channel, audience="customers", lang=lang, subject="",
                   body=body, phase="investigating", incident_id=1, incident_title="Outage",
                   in_reply_to=in_reply_to, idempotency_key=key)


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """prawcore sleeps seconds between its own retries of 5xx and network errors."""
    import prawcore.sessions

    monkeypatch.setattr(prawcore.sessions.time, "sleep", lambda s: None)


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


# --- X (tweepy) ----------------------------------------------------------------------------

def x_channel(base: str, **kw) -> XChannel:
    keys = kw or {"consumer_key": "ck", "consumer_secret": "cs", "access_token": "at",
                      "access_token_secret": "ats"}
    channel = XChannel(handle="@nimbushq", **keys)
    # what tweepy addresses to api.twitter.com goes to the fake server instead
    mount_rewrite(channel.client.session, base, "https://api.twitter.com")
    return channel


def test_x_reply_payload_and_link(fake):
    fake.route("POST", "/2/tweets", Reply(201, {"data": {"id": "1770001", "text": BODY}}))
    delivery = x_channel(fake.url).send(message("x", "1769990"), NOW)
    assert delivery.external_id == "1770001"
    assert delivery.url == "https://x.com/nimbushq/status/1770001"
    [req] = fake.calls("/2/tweets", "POST")
    assert req.json == {"text": BODY, "reply": {"in_reply_to_tweet_id": "1769990"}}
    assert req.headers["authorization"].startswith("OAuth ")
    assert 'oauth_consumer_key="ck"' in req.headers["authorization"]


def test_x_oauth2_user_token(fake):
    fake.route("POST", "/2/tweets", Reply(201, {"data": {"id": "5", "text": "x"}}))
    x_channel(fake.url, user_token="user-tok").send(message("x", "4"), NOW)
    assert fake.requests[0].headers["authorization"] == "Bearer user-tok"


@pytest.mark.parametrize("status, body, permanent", [
    (401, {"title": "Unauthorized", "detail": "Unauthorized"}, True),
    (403, {"detail": "You are not allowed to create a Tweet with duplicate content."}, True),
    (400, {"errors": [{"message": "Invalid reply id"}]}, True),
    (429, {"title": "Too Many Requests"}, False),
    (503, {"title": "Service Unavailable"}, False),
])
def test_x_errors(fake, status, body, permanent):
    fake.route("POST", "/2/tweets", Reply(status, body))
    with pytest.raises(ChannelError) as err:
        x_channel(fake.url).send(message("x", "1"), NOW)
    assert err.value.permanent is permanent
    if status == 403:
        assert "duplicate content" in str(err.value)


def test_x_network_failure_is_transient():
    with pytest.raises(ChannelError) as err:
        x_channel(dead_url()).send(message("x", "1"), NOW)
    assert not err.value.permanent


# --- Reddit (praw) -------------------------------------------------------------------------

def reddit_channel(base: str) -> RedditChannel:
    return RedditChannel(client_id="cid", client_secret="secret", username="nimbus_support",
                         password="pw", oauth_url=base, reddit_url=base, timeout=5)


def reddit_token(fake):
    fake.route("POST", "/api/v1/access_token", Reply(
        200, {"access_token": "tok-1", "token_type": "bearer", "expires_in": 3600,
              "scope": "*"}))


def comment_created(req):
    form = req.form
    return Reply(200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {
        "id": "kx9", "name": "t1_kx9", "body": form["text"], "parent_id": form["thing_id"],
        "link_id": "t3_abc", "subreddit": "nimbus",
        "permalink": "/r/nimbus/comments/abc/outage/kx9/"}}]}}})


@pytest.mark.parametrize("target, thing_id", [("t1_c0mm", "t1_c0mm"), ("c0mm", "t1_c0mm"),
                                              ("t3_p0st", "t3_p0st")])
def test_reddit_reply_payload(fake, target, thing_id):
    reddit_token(fake)
    fake.route("POST", "/api/comment/", comment_created)
    delivery = reddit_channel(fake.url).send(message("reddit", target), NOW)
    assert delivery.external_id == "t1_kx9"
    assert delivery.url == "https://www.reddit.com/r/nimbus/comments/abc/outage/kx9/"
    [token] = fake.calls("/api/v1/access_token", "POST")
    assert token.form == {"grant_type": "password", "username": "nimbus_support",
                          "password": "pw"}
    assert token.headers["authorization"] == "Basic " + base64.b64encode(b"cid:secret").decode()
    [req] = fake.calls("/api/comment/", "POST")
    assert req.form["thing_id"] == thing_id and req.form["text"] == BODY
    assert req.headers["authorization"] == "bearer tok-1"


@pytest.mark.parametrize("answer, permanent", [
    (Reply(200, {"json": {"errors": [["THREAD_LOCKED", "that thread is locked", "parent"]]}}), True),
    (Reply(200, {"json": {"errors": [["RATELIMIT", "take a break for 3 minutes", "ratelimit"]]}}),
     False),
    (Reply(403, {"message": "Forbidden", "error": 403}), True),
    (Reply(429, {"message": "Too Many Requests", "error": 429}), False),
    (Reply(500, {"message": "Internal Server Error"}), False),
])
def test_reddit_errors(fake, answer, permanent):
    reddit_token(fake)
    fake.route("POST", "/api/comment/", answer)
    with pytest.raises(ChannelError) as err:
        reddit_channel(fake.url).send(message("reddit", "t1_c0mm"), NOW)
    assert err.value.permanent is permanent


def test_reddit_bad_credentials_are_permanent(fake):
    fake.route("POST", "/api/v1/access_token", Reply(401, {"message": "Unauthorized"}))
    with pytest.raises(ChannelError) as err:
        reddit_channel(fake.url).send(message("reddit", "t1_c0mm"), NOW)
    assert err.value.permanent


def test_reddit_unreachable_is_transient():
    with pytest.raises(ChannelError) as err:
        reddit_channel(dead_url()).send(message("reddit", "t1_c0mm"), NOW)
    assert not err.value.permanent


def test_reddit_needs_a_target():
    with pytest.raises(ChannelError) as err:
        reddit_channel("http://127.0.0.1:9").send(message("reddit", None), NOW)
    assert err.value.permanent


# --- Mastodon (Mastodon.py) ----------------------------------------------------------------

def test_mastodon_reply_payload(fake):
    fake.route("POST", "/api/v1/statuses", server := MastodonServer())
    channel = MastodonChannel(api_base_url=fake.url, access_token="mtok", visibility="unlisted")
    delivery = channel.send(message("mastodon", "109000", lang="fr"), NOW)
    assert delivery.external_id == "110001"
    assert delivery.url == "https://social.example/@nimbus/110001"
    [req] = fake.calls("/api/v1/statuses", "POST")
    fields = mastodon_fields(req)
    assert fields["status"] == BODY and str(fields["in_reply_to_id"]) == "109000"
    assert fields["language"] == "fr" and fields["visibility"] == "unlisted"
    assert req.headers["idempotency-key"] == "cw-7-x-abc"
    assert req.headers["authorization"] == "Bearer mtok"
    # the same message again (a retry after a crash): Mastodon answers with the same status
    again = channel.send(message("mastodon", "109000", lang="fr"), NOW)
    assert again.external_id == "110001" and server.count == 1


@pytest.mark.parametrize("status, permanent", [(401, True), (403, True), (404, True),
                                               (422, True), (429, False), (500, False),
                                               (503, False)])
def test_mastodon_errors(fake, status, permanent):
    fake.route("POST", "/api/v1/statuses", Reply(status, {"error": f"status {status}"}))
    channel = MastodonChannel(api_base_url=fake.url, access_token="mtok")
    with pytest.raises(ChannelError) as err:
        channel.send(message("mastodon", "1"), NOW)
    assert err.value.permanent is permanent


def test_mastodon_unreachable_is_transient():
    channel = MastodonChannel(api_base_url=dead_url(), access_token="mtok", timeout=5)
    with pytest.raises(ChannelError) as err:
        channel.send(message("mastodon", "1"), NOW)
    assert not err.value.permanent


# --- Bluesky (atproto) ---------------------------------------------------------------------

ME = "did:plc:nimbusbrand"
CID = "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm"
ROOT = "at://did:plc:someone/app.bsky.feed.post/3kroot000000a"
PARENT = "at://did:plc:dana/app.bsky.feed.post/3kparent0000a"


def jwt(sub: str) -> str:
    def part(d):
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
    return ".".join([part({"alg": "ES256K", "typ": "at+jwt"}),
                     part({"sub": sub, "scope": "com.atproto.access",
                           "iat": int(time.time()), "exp": int(time.time()) + 7200}), "sig"])


class BlueskyServer:
    """createSession, getProfile, getPosts, listRecords and createRecord over one repo."""

    def __init__(self, fake: FakeServer):
        self.records: list[dict] = []
        x = "/xrpc/"
        fake.route("POST", x + "com.atproto.server.createSession", self.session)
        fake.route("GET", x + "app.bsky.actor.getProfile", Reply(
            200, {"did": ME, "handle": "nimbus.bsky.social"}))
        fake.route("GET", x + "app.bsky.feed.getPosts", self.get_posts)
        fake.route("GET", x + "com.atproto.repo.listRecords", self.list_records)
        fake.route("POST", x + "com.atproto.repo.createRecord", self.create)

    def session(self, req):
        return Reply(200, {"did": ME, "handle": "nimbus.bsky.social", "accessJwt": jwt(ME),
                     "refreshJwt": jwt(ME), "active": True})

    def get_posts(self, req):
        [uri] = req.query_lists["uris"]
        record = {"$type": "app.bsky.feed.post", "text": "is nimbus hacked?",
                  "createdAt": "2026-03-10T09:58:00Z",
                  "reply": {"root": {"uri": ROOT, "cid": CID}, "parent": {"uri": ROOT,
                                                                            "cid": CID}}}
        if uri == ROOT:
            record.pop("reply")
        return Reply(200, {"posts": [{"uri": uri, "cid": CID, "record": record,
                                "author": {"did": "did:plc:dana", "handle": "dana.bsky.social"},
                                "indexedAt": "2026-03-10T09:58:01Z"}]})

    def list_records(self, req):
        assert req.query_lists["repo"] == [ME]
        return Reply(200, {"records": list(reversed(self.records))})

    def create(self, req):
        body = req.json
        uri = f"at://{ME}/app.bsky.feed.post/3kreply{len(self.records):06d}"
        self.records.append({"uri": uri, "cid": CID, "value": body["record"]})
        return Reply(200, {"uri": uri, "cid": CID})


def untyped(value):
    """The record as data, without the lexicon `$type` tags atproto adds."""
    if isinstance(value, dict):
        return {k: untyped(v) for k, v in value.items() if k != "$type"}
    if isinstance(value, list):
        return [untyped(v) for v in value]
    return value


def bluesky(fake) -> BlueskyChannel:
    return BlueskyChannel(handle="nimbus.bsky.social", app_password="app-pw",
                          base_url=fake.url + "/xrpc")


def test_bluesky_reply_payload_threads_under_the_root(fake):
    server = BlueskyServer(fake)
    delivery = bluesky(fake).send(message("bluesky", PARENT, lang="fr"), NOW)
    assert delivery.external_id == f"at://{ME}/app.bsky.feed.post/3kreply000000"
    assert delivery.url == "https://bsky.app/profile/nimbus.bsky.social/post/3kreply000000"
    [login] = fake.calls("/xrpc/com.atproto.server.createSession", "POST")
    assert login.json == {"identifier": "nimbus.bsky.social", "password": "app-pw"}
    [create] = fake.calls("/xrpc/com.atproto.repo.createRecord", "POST")
    body = create.json
    assert body["repo"] == ME and body["collection"] == "app.bsky.feed.post"
    record = untyped(body["record"])
    assert record["text"] == BODY and record["langs"] == ["fr"]
    assert record["reply"] == {"parent": {"uri": PARENT, "cid": CID},
                               "root": {"uri": ROOT, "cid": CID}}
    [facet] = record["facets"]
    link = "https://status.nimbus.example/incidents/12"
    start = BODY.encode().index(link.encode())
    assert facet["index"] == {"byteStart": start, "byteEnd": start + len(link.encode())}
    assert facet["features"][0]["uri"] == link
    assert create.headers["authorization"].startswith("Bearer ")
    assert len(server.records) == 1


def test_bluesky_reply_to_a_top_level_post_uses_it_as_root(fake):
    BlueskyServer(fake)
    bluesky(fake).send(message("bluesky", ROOT), NOW)
    [create] = fake.calls("/xrpc/com.atproto.repo.createRecord", "POST")
    assert untyped(create.json["record"]["reply"]) == {"parent": {"uri": ROOT, "cid": CID},
                                              "root": {"uri": ROOT, "cid": CID}}


def test_bluesky_retry_after_unknown_outcome_posts_once(fake):
    server = BlueskyServer(fake)
    first = bluesky(fake).send(message("bluesky", PARENT), NOW)
    again = bluesky(fake).send(message("bluesky", PARENT), NOW)  # a fresh process retrying
    assert again.external_id == first.external_id and len(server.records) == 1
    other = bluesky(fake).send(message("bluesky", ROOT), NOW)  # same text, other post
    assert other.external_id != first.external_id and len(server.records) == 2


def test_bluesky_link_facets_count_bytes():
    text = "Été 🙂 voir https://status.example/é?x=1. Merci"
    [facet] = link_facets(text)
    raw = text.encode()
    assert raw[facet.index.byte_start:facet.index.byte_end].decode() == \
        "https://status.example/é?x=1"


@pytest.mark.parametrize("status, permanent", [(400, True), (401, True), (403, True),
                                               (429, False), (500, False), (502, False)])
def test_bluesky_errors(fake, status, permanent):
    BlueskyServer(fake)
    fake.route("POST", "/xrpc/com.atproto.repo.createRecord", Reply(
        status, {"error": "Boom", "message": f"status {status}"}))
    with pytest.raises(ChannelError) as err:
        bluesky(fake).send(message("bluesky", PARENT), NOW)
    assert err.value.permanent is permanent


def test_bluesky_bad_login_is_permanent_and_bad_target_too(fake):
    BlueskyServer(fake)
    fake.route("POST", "/xrpc/com.atproto.server.createSession", Reply(
        401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}))
    with pytest.raises(ChannelError) as err:
        bluesky(fake).send(message("bluesky", PARENT), NOW)
    assert err.value.permanent
    BlueskyServer(fake)
    with pytest.raises(ChannelError) as err:
        bluesky(fake).send(message("bluesky", "12345"), NOW)
    assert err.value.permanent and "at://" in str(err.value)


def test_bluesky_unreachable_is_transient():
    channel = BlueskyChannel(handle="nimbus.bsky.social", app_password="pw",
                             base_url=dead_url() + "/xrpc")
    with pytest.raises(ChannelError) as err:
        channel.send(message("bluesky", PARENT), NOW)
    assert not err.value.permanent


def test_tweepy_client_is_real():
    assert isinstance(x_channel("http://127.0.0.1:9").client, tweepy.Client)
