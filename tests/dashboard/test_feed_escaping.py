"""The status feeds as a feed reader sees them (issue 16): parsed with feedparser, the facts
with <, &, quotes and markup in them show as text in RSS and Atom, never as HTML."""

from __future__ import annotations

from datetime import datetime, timedelta
from html.parser import HTMLParser

import feedparser
import flask
import pytest

from dashboard.context import CONFIG_KEY, DashboardContext
from dashboard.public.page import init_status
from responders.drafts import Brand
from responders.incidents import declare
from responders.templates import TemplateLibrary
from store.models import DraftRow, StatusPostRow

NOW = datetime(2026, 3, 10, 10, 30)
TITLE = 'Login <b>outage</b> & "sync" for R&amp;D'
BODY = ("Impact: <b>40%</b> of customers & their <i>files</i>; <script>alert(1)</script>\n"
        "Known: the 'login' service fails with <503> errors & &amp; entities stay text\n\n"
        "Next update by 11:00 UTC.")


class Reader(HTMLParser):
    """Renders HTML the way a reader shows it, as text, and notes every tag it met."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.tags = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "br":
            self.text.append("\n")
        elif tag == "p" and self.text:
            self.text.append("\n\n")

    def handle_data(self, data):
        self.text.append(data)


def shown(value: str, content_type: str) -> tuple[str, list[str]]:
    """(what a reader shows, the tags it rendered) for a feedparser value."""
    if content_type == "text/plain":
        return value, []
    reader = Reader()
    reader.feed(value)
    reader.close()
    return "".join(reader.text), reader.tags


@pytest.fixture
def client(store):
    server = flask.Flask(__name__)
    server.config[CONFIG_KEY] = DashboardContext(
        store=store, clock=lambda: NOW, library=TemplateLibrary(),
        brand=Brand(name="Nimbus <&> Co", status_url="https://status.nimbus.example/status"),
        secret_key="x")
    init_status(server)
    at = NOW - timedelta(minutes=5)
    with store.session() as s:
        incident = declare(s, title=TITLE, crisis_type="outage", severity="major",
                           actor="eve", now=NOW - timedelta(hours=1))
        s.add(DraftRow(id=1, incident_id=incident.id, kind="status", audience="customers",
                       channel="statuspage", lang="en", body=BODY, template="-",
                       author="eve", status="published", created_at=at, updated_at=at))
        s.flush()
        s.add(StatusPostRow(draft_id=1, incident_id=incident.id, title=TITLE,
                            phase="investigating", lang="en", body=BODY, published_at=at))
    return server.test_client()


@pytest.mark.fault
@pytest.mark.parametrize("path", ["/status.rss", "/status.atom"])
def test_facts_with_markup_read_as_text_in_a_feed_reader(client, path):
    """feed facts with <, &, quotes: text in a reader, not HTML"""
    feed = feedparser.parse(client.get(path).data)
    assert not feed.bozo, feed.get("bozo_exception")
    entry = feed.entries[0]
    body = entry.content[0] if "content" in entry else entry.summary_detail
    text, tags = shown(body.value, body.type)
    assert text == BODY
    assert set(tags) <= {"p", "br"}  # the fact's <b>, <i>, <script> are not elements
    title, title_tags = shown(entry.title_detail.value, entry.title_detail.type)
    assert title == "Investigating: " + TITLE and title_tags == []
    channel, _ = shown(feed.feed.title_detail.value, feed.feed.title_detail.type)
    assert channel == "Nimbus <&> Co · Status"
