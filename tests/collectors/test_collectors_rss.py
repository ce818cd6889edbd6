"""RSS/Atom collector through feedparser against local feeds (an RSS 2.0 news feed and a
Google-Alerts-style Atom feed), served with ETag/conditional GET like real servers."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from collectors.backoff import Backoff
from collectors.base import CollectorError
from collectors.ingest import collect_once
from collectors.rss import RSSCollector
from tests.support.collector_support import Dying, Killed, cursor, external_ids, quarantined
from tests.support.fake_http import FakeServer, Reply, Sleeps
from tests.support.feeds import ITEMS, rss

NOW = datetime(2026, 11, 21, 12, 0)

ALERTS = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:idx="urn:atom-extension:indexing">
<id>tag:google.com,2005:reader/user/0123/state/com.google/alerts/456</id>
<title>Google Alert - nimbus</title><updated>2026-11-21T10:30:00Z</updated>
<entry><id>tag:google.com,2013:googlealerts/feed:1111</id>
<title type="html">&lt;b&gt;Nimbus&lt;/b&gt; outage leaves users locked out</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://paper.example/nimbus-outage&amp;ct=ga&amp;cd=X&amp;usg=Y"/>
<published>2026-11-21T10:20:00Z</published><updated>2026-11-21T10:20:00Z</updated>
<content type="html">Cloud storage firm &lt;b&gt;Nimbus&lt;/b&gt; said engineers were investigating</content>
<author><name></name></author></entry>
</feed>"""


@pytest.fixture
def fake():
    with FakeServer() as api:
        yield api


def serve_feed(api, path, body, content_type="application/rss+xml", faults=()):
    state = {"faults": list(faults)}

    def handler(req):
        if state["faults"]:
            return state["faults"].pop(0)
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, body=b"")
        return Reply(body=body, content_type=content_type, headers={"ETag": '"v1"'})
    api.route("GET", path, handler)


def collector(api, feeds, sleeps=None, keywords=("nimbus",)) -> RSSCollector:
    return RSSCollector([api.url + f for f in feeds], keywords=list(keywords),
                        backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps))


def test_news_feed_keyword_match_and_conditional_get(store, fake):
    serve_feed(fake, "/news.rss", rss(ITEMS))
    c = collector(fake, ["/news.rss"])
    url = fake.url + "/news.rss"
    assert collect_once(store, c, url, NOW) == 2
    assert sorted(external_ids(store, "rss")) == ["a1", "a3"]
    with store.session() as s:
        from store.models import MentionRow

        m = s.query(MentionRow).filter_by(external_id="a1").one()
    assert m.text == "Nimbus outage hits thousands\nNimbus outage hits thousands & more"
    assert m.lang == "en" and m.url == "https://news.example/a1"
    assert m.created_at == datetime(2026, 11, 21, 10, 0) and m.author == "Tech News"
    assert json.loads(cursor(store, "rss", url))["etag"] == '"v1"'
    assert collect_once(store, c, url, NOW) == 0
    assert fake.calls("/news.rss")[-1].headers["If-None-Match"] == '"v1"'


def test_google_alerts_feed_links_expanded(store, fake):
    serve_feed(fake, "/alerts", ALERTS, "application/atom+xml")
    c = collector(fake, ["/alerts"], keywords=())
    assert collect_once(store, c, fake.url + "/alerts", NOW) == 1
    with store.session() as s:
        from store.models import MentionRow

        m = s.query(MentionRow).one()
    assert m.url == "https://paper.example/nimbus-outage"
    assert m.text.startswith("Nimbus outage leaves users locked out\nCloud storage firm Nimbus")
    assert m.external_id == "tag:google.com,2013:googlealerts/feed:1111"


def test_429_and_5xx_are_waited_out(store, fake):
    serve_feed(fake, "/news.rss", rss(ITEMS), faults=[
        Reply(429, body="slow down", headers={"Retry-After": "12"}), Reply(503, body="")])
    sleeps = Sleeps()
    assert collect_once(store, collector(fake, ["/news.rss"], sleeps),
                        fake.url + "/news.rss", NOW) == 2
    assert sleeps == [12.0, 4.0]


@pytest.mark.parametrize("status", [401, 403, 410])
def test_refused_feed_is_permanent(fake, status):
    fake.route("GET", "/private.rss", Reply(status, body="no"))
    c = collector(fake, ["/private.rss"])
    with pytest.raises(CollectorError) as err:
        list(c.fetch(fake.url + "/private.rss", None, NOW))
    assert err.value.permanent


def test_not_a_feed_is_quarantined_and_bad_entries_too(store, fake):
    serve_feed(fake, "/broken", "<html><body>502 Bad Gateway from a proxy", "text/html")
    serve_feed(fake, "/partial.rss", rss(ITEMS).replace(
        "<item><title>Nimbus outage hits thousands</title><link>https://news.example/a1</link>"
        '<guid isPermaLink="false">a1</guid>', "<item>"))
    c = collector(fake, ["/broken", "/partial.rss"])
    assert collect_once(store, c, fake.url + "/broken", NOW) == 0
    assert collect_once(store, c, fake.url + "/partial.rss", NOW) == 1
    bad = quarantined(store, "rss")
    assert len(bad) == 2 and "not a feed" in bad[0].error


def test_kill_between_feeds_then_restart(store, fake):
    serve_feed(fake, "/news.rss", rss(ITEMS))
    serve_feed(fake, "/alerts", ALERTS, "application/atom+xml")
    feeds = ["/news.rss", "/alerts"]
    c = collector(fake, feeds, keywords=())
    collect_once(store, c, fake.url + feeds[0], NOW)
    with pytest.raises(Killed):
        collect_once(store, Dying(c, after=0), fake.url + feeds[1], NOW)
    assert len(external_ids(store, "rss")) == 3
    for f in feeds:
        collect_once(store, collector(fake, feeds, keywords=()), fake.url + f, NOW)
    ids = external_ids(store, "rss")
    assert len(ids) == len(set(ids)) == 4
