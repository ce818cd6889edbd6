"""The public status page's components, maintenance, JSON, RSS and Atom: well-formed,
escaped, in the reader's language, and only what was published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import flask
import pytest

from dashboard.context import CONFIG_KEY, DashboardContext
from dashboard.public.page import PUBLIC_PATHS, init_status
from responders.drafts import Brand
from responders.incidents import declare
from responders.statusboard import (
    cancel_maintenance,
    schedule_maintenance,
    set_component_state,
    sync_components,
)
from responders.templates import TemplateLibrary
from store.models import DraftRow, StatusComponentRow, StatusPostRow, TimelineRow

NOW = datetime(2026, 3, 10, 10, 30)
NASTY = "<img src=x onerror=alert(1)> & ]]> \x08\x1b\x0c \"quoted\" 'single' 🙂"
ATOM = "{http://www.w3.org/2005/Atom}"
COMPONENTS = [{"key": "login", "names": {"en": "Login", "fr": "Connexion"}},
              {"key": "sync", "names": {"en": "File sync", "fr": "Synchronisation"}},
              {"key": "api", "name": "API"}]


@pytest.fixture
def client(store):
    server = flask.Flask(__name__)
    server.config[CONFIG_KEY] = DashboardContext(
        store=store, clock=lambda: NOW, library=TemplateLibrary(),
        brand=Brand(name="Nimbus & Co", status_url="https://status.nimbus.example/status"),
        secret_key="x")
    init_status(server)
    return server.test_client()


def publish(session, incident, n, phase, lang, body, at, title="Login <outage>"):
    session.add(DraftRow(id=n, incident_id=incident.id, kind="status", audience="customers",
                         channel="statuspage", lang=lang, body=body, template="-",
                         author="eve", status="published", created_at=at, updated_at=at))
    session.flush()
    session.add(StatusPostRow(draft_id=n, incident_id=incident.id, title=title, phase=phase,
                              lang=lang, body=body, published_at=at))


@pytest.fixture
def populated(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW - timedelta(days=1))
        incident = declare(s, title="Login outage", crisis_type="outage", severity="major",
                           actor="eve", now=NOW - timedelta(hours=1))
        set_component_state(s, "login", "major_outage", actor="eve", now=NOW,
                            incident=incident)
        publish(s, incident, 1, "investigating", "en", "We are investigating.\n" + NASTY,
                NOW - timedelta(minutes=40))
        publish(s, incident, 2, "investigating", "fr", "Nous analysons le problème.",
                NOW - timedelta(minutes=39))
        publish(s, incident, 3, "identified", "en", "We found the cause.",
                NOW - timedelta(minutes=10))
        schedule_maintenance(
            s, texts={"en": {"title": "Database upgrade", "body": "Sync may pause " + NASTY},
                      "fr": {"title": "Mise à niveau de la base", "body": "Synchro en pause"}},
            starts_at=NOW + timedelta(days=1), ends_at=NOW + timedelta(days=1, hours=2),
            components=["sync"], actor="eve", role="editor", now=NOW)
    return store


def test_feed_paths_are_public():
    assert {"/status", "/status.json", "/status.rss", "/status.atom"} <= set(PUBLIC_PATHS)


def test_atom_is_well_formed_escaped_and_per_language(client, populated):
    r = client.get("/status.atom")
    assert r.status_code == 200 and r.mimetype == "application/atom+xml"
    feed = ET.fromstring(r.data)  # raises on anything not well-formed
    assert feed.tag == ATOM + "feed"
    assert feed.findtext(ATOM + "title") == "Nimbus & Co · Status"
    entries = feed.findall(ATOM + "entry")
    titles = [e.findtext(ATOM + "title") for e in entries]
    assert titles == ["Scheduled maintenance: Database upgrade", "Identified: Login <outage>",
                      "Investigating: Login <outage>"]
    bodies = [e.findtext(ATOM + "content") for e in entries]
    # XML 1.0 cannot carry control characters, even escaped: they are dropped (PostgreSQL
    # already refuses NUL in text, so it never gets this far)
    assert bodies[2] == "We are investigating.\n" + NASTY.replace("\x08", "").replace(
        "\x1b", "").replace("\x0c", "")
    assert "Nous analysons" not in r.get_data(as_text=True)
    assert b"<img" not in r.data and b"&lt;img" in r.data
    ids = [e.findtext(ATOM + "id") for e in entries]
    assert len(set(ids)) == 3 and ids[1] == "https://status.nimbus.example/status?lang=en#update-3"
    assert feed.findtext(ATOM + "updated") == "2026-03-10T10:30:00Z"  # announced now
    fr = ET.fromstring(client.get("/status.atom?lang=fr").data)
    assert fr.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr"
    fr_titles = [e.findtext(ATOM + "title") for e in fr.findall(ATOM + "entry")]
    assert fr_titles == ["Maintenance programmée: Mise à niveau de la base",
                         "Analyse en cours: Login <outage>"]


def test_rss_is_well_formed_with_dates_and_guids(client, populated):
    r = client.get("/status.rss?lang=en")
    assert r.status_code == 200 and r.mimetype == "application/rss+xml"
    root = ET.fromstring(r.data)
    channel = root.find("channel")
    assert root.get("version") == "2.0" and channel.findtext("language") == "en"
    items = channel.findall("item")
    # RSS titles and descriptions are HTML to readers: the text is HTML-escaped inside
    # (tests/dashboard/test_feed_escaping.py reads them as a reader does)
    assert [i.findtext("title") for i in items][1] == "Identified: Login &lt;outage&gt;"
    assert parsedate_to_datetime(items[1].findtext("pubDate")).replace(tzinfo=None) == \
        NOW - timedelta(minutes=10)
    assert items[2].findtext("description").startswith("<p>We are investigating.<br>&lt;img")
    assert {i.find("guid").get("isPermaLink") for i in items} == {"false"}
    assert root.find("channel/{http://www.w3.org/2005/Atom}link").get("rel") == "self"


def test_empty_feeds_are_valid(client):
    feed = ET.fromstring(client.get("/status.atom").data)
    assert feed.findall(ATOM + "entry") == [] and feed.findtext(ATOM + "updated")
    assert ET.fromstring(client.get("/status.rss").data).find("channel/item") is None


def test_json_keeps_its_fields_and_adds_components_and_maintenance(client, populated):
    js = client.get("/status.json").get_json()
    assert {"brand", "lang", "generated_at", "state", "incidents", "updates"} <= set(js)
    assert js["state"] == "incident" and js["overall"] == "incident"
    assert [u["id"] for u in js["updates"]] == [3, 1]
    assert [(c["key"], c["name"], c["state"]) for c in js["components"]] == [
        ("login", "Login", "major_outage"), ("sync", "File sync", "operational"),
        ("api", "API", "operational")]
    [m] = js["maintenance"]
    assert m["title"] == "Database upgrade" and m["components"] == ["sync"]
    assert m["in_progress"] is False and m["starts_at"] == "2026-03-11T10:30:00Z"
    fr = client.get("/status.json?lang=fr").get_json()
    assert fr["components"][0]["name"] == "Connexion"
    assert fr["components"][2]["name"] == "API"  # no French name: falls back to English


def test_html_shows_components_maintenance_and_incidents_with_their_updates(client, populated):
    page = client.get("/status").get_data(as_text=True)
    assert 'id="component-login"' in page and "Major outage" in page
    assert "Scheduled maintenance" in page and "Database upgrade" in page
    assert page.index('id="update-3"') < page.index('id="update-1"')
    assert 'id="incident-1"' in page
    assert "<img" not in page and "&lt;img src=x" in page
    assert 'href="/status.atom?lang=en"' in page
    fr = client.get("/status?lang=fr").get_data(as_text=True)
    assert "Connexion" in fr and "Panne majeure" in fr and "Maintenance programmée" in fr


def test_maintenance_in_progress_shows_on_its_components(client, store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW)
        m = schedule_maintenance(
            s, texts={"en": {"title": "Upgrade", "body": ""}}, starts_at=NOW - timedelta(
                minutes=5), ends_at=NOW + timedelta(hours=1), components=["sync"], actor="eve",
            role="admin", now=NOW)
    js = client.get("/status.json").get_json()
    assert js["state"] == "operational" and js["overall"] == "maintenance"
    assert [c["state"] for c in js["components"]] == ["operational", "maintenance",
                                                      "operational"]
    assert "Maintenance in progress" in client.get("/status").get_data(as_text=True)
    with store.session() as s:
        cancel_maintenance(s, m.id, now=NOW)
    js = client.get("/status.json").get_json()
    assert js["overall"] == "operational" and js["maintenance"] == []


def test_components_sync_keeps_state_and_follows_config(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW)
        set_component_state(s, "sync", "degraded", actor="eve", now=NOW)
        sync_components(s, [COMPONENTS[1], {"key": "web", "name": "Website"}], NOW)
        rows = {c.key: c for c in s.query(StatusComponentRow)}
        assert set(rows) == {"sync", "web"} and rows["sync"].state == "degraded"
        assert rows["sync"].position == 0
        with pytest.raises(ValueError, match="unknown component state"):
            set_component_state(s, "sync", "on fire", actor="eve", now=NOW)
        with pytest.raises(ValueError, match="no component"):
            set_component_state(s, "nope", "degraded", actor="eve", now=NOW)


def test_component_change_lands_on_the_incident_timeline(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW)
        incident = declare(s, title="t", crisis_type="outage", severity="minor", actor="eve",
                           now=NOW)
        set_component_state(s, "login", "partial_outage", actor="eve", now=NOW,
                            incident=incident)
        assert any("Login operational -> partial_outage" in e.detail
                   for e in s.query(TimelineRow))


def test_only_editors_schedule_and_windows_must_make_sense(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW)
        base = {"texts": {"en": {"title": "T", "body": ""}}, "starts_at": NOW,
                    "ends_at": NOW + timedelta(hours=1), "components": ["sync"], "actor": "v", "now": NOW}
        with pytest.raises(PermissionError):
            schedule_maintenance(s, role="viewer", **base)
        with pytest.raises(ValueError, match="end after"):
            schedule_maintenance(s, role="editor", **{**base, "ends_at": NOW})
        with pytest.raises(ValueError, match="unknown components"):
            schedule_maintenance(s, role="editor", **{**base, "components": ["moon"]})
        with pytest.raises(ValueError, match="title"):
            schedule_maintenance(s, role="editor", **{**base, "texts": {"en": {"title": " "}}})
