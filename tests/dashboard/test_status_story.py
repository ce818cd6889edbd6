"""The status page tells one story: declaring names the affected components and their state,
every update can change them, resolution releases them, and "Operational" never shows under
an ongoing incident; the French page titles the incident in French."""

from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest

from dashboard import actions
from dashboard.context import DashboardContext
from dashboard.public.page import public_status
from responders.drafts import Brand
from responders.statusboard import incident_components, sync_components
from responders.templates import TemplateLibrary
from store.models import DraftRow, IncidentRow, StatusComponentRow, StatusPostRow

NOW = datetime(2026, 12, 3, 10, 0)
COMPONENTS = [{"key": "login", "names": {"en": "Login", "fr": "Connexion"}},
              {"key": "sync", "names": {"en": "File sync", "fr": "Synchronisation"}}]


def user(name="eve", role="editor"):
    return SimpleNamespace(username=name, role=role, is_authenticated=True)


@pytest.fixture
def ctx(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW - timedelta(days=1))
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="x")
    ctx.refresh_drafts = lambda now: None
    ctx.publish = lambda now: None
    return ctx


def states(ctx):
    with ctx.store.session() as s:
        return {c.key: c.state for c in s.query(StatusComponentRow)}


def declare(ctx, **kwargs):
    args = {"alert_id": None, "title": "Login and file sync outage", "crisis_type": "outage",
                "severity": "major", "facts": {"impact": "many customers cannot log in"},
                "translations": {"fr": {"title": "Panne de connexion"}},
                "components": {"login": "major_outage"}}
    args.update(kwargs)
    return actions.declare_incident(ctx, user(), **args)


def test_declaring_asks_for_components_and_sets_them(ctx):
    with pytest.raises(actions.ActionError, match="cannot be operational"):
        declare(ctx, components={"login": "operational"})
    with pytest.raises(actions.ActionError):
        declare(ctx, components={"nope": "degraded"})
    incident_id = declare(ctx)
    assert states(ctx) == {"login": "major_outage", "sync": "operational"}
    with ctx.store.session() as s:
        incident = s.get(IncidentRow, incident_id)
        assert incident_components(s, incident) == {"login": "major_outage"}
        assert incident.translations["fr"]["title"] == "Panne de connexion"


def test_every_update_can_change_them_but_not_all_clear_while_open(ctx):
    incident_id = declare(ctx)
    changed = actions.set_incident_components(ctx, user(), incident_id,
                                              {"login": "partial_outage", "sync": "degraded"})
    assert sorted(changed) == ["login", "sync"]
    assert states(ctx) == {"login": "partial_outage", "sync": "degraded"}
    actions.set_incident_components(ctx, user(), incident_id, {"sync": "operational"})
    with pytest.raises(actions.ActionError, match="at least one component"):
        actions.set_incident_components(ctx, user(), incident_id, {"login": "operational"})
    assert states(ctx)["login"] == "partial_outage"
    # resolution is the all-clear
    actions.set_phase(ctx, user(), incident_id, "resolved")
    assert states(ctx) == {"login": "operational", "sync": "operational"}


def _publish(ctx, incident_id, lang, title, phase="investigating", minutes=1):
    at = NOW + timedelta(minutes=minutes)
    with ctx.store.session() as s:
        draft = DraftRow(incident_id=incident_id, kind="status", audience="customers",
                         channel="statuspage", lang=lang, body="...", template="-",
                         author="eve", status="published", created_at=at, updated_at=at)
        s.add(draft)
        s.flush()
        s.add(StatusPostRow(incident_id=incident_id, draft_id=draft.id, lang=lang, title=title,
                            phase=phase, body="...", published_at=at))


def test_public_page_never_says_operational_under_an_ongoing_incident(ctx):
    incident_id = declare(ctx)
    _publish(ctx, incident_id, "fr", "Panne de connexion", minutes=1)
    _publish(ctx, incident_id, "en", "Login and file sync outage", minutes=2)
    with ctx.store.session() as s:
        fr = public_status(s, "fr", NOW + timedelta(minutes=3))
    assert fr["page"]["incidents"][0]["title"] == "Panne de connexion"  # not the English one
    assert {c["key"]: c["state"] for c in fr["components"]}["login"] == "major_outage"
    # a component left operational by hand while the incident is open cannot hide it
    with ctx.store.session() as s:
        s.get(StatusComponentRow, "login").state = "operational"
        s.get(StatusComponentRow, "login").incident_id = None
    with ctx.store.session() as s:
        en = public_status(s, "en", NOW + timedelta(minutes=3))
    assert {c["state"] for c in en["components"]} == {"checking"}
    assert en["overall"] == "incident"


def test_french_drafts_wait_for_french_facts_title_and_component_names(ctx):
    from responders.incidents import facts_for
    from responders.lint import lint

    with ctx.store.session() as s:
        s.get(StatusComponentRow, "sync").names = {"en": "File sync"}  # no French name
    incident_id = declare(ctx, components={"sync": "degraded"}, translations={})
    with ctx.store.session() as s:
        incident = s.get(IncidentRow, incident_id)
        fr = facts_for(incident, "fr")
        assert fr["untranslated"] == ["title", "impact", "components"]
        assert facts_for(incident, "en")["untranslated"] == []
        found = [f for f in lint("Nous analysons le problème.", lang="fr", facts=fr)
                 if f.rule == "translate"]
        assert found and found[0].severity == "error"
        assert found[0].message.startswith("translate: title, impact, component names")


def test_french_public_page_is_typeset_titled_and_timed_in_french(ctx):
    import flask

    from dashboard.context import CONFIG_KEY
    from dashboard.public.page import init_status
    from dashboard.public.text import when

    incident_id = declare(ctx)
    _publish(ctx, incident_id, "fr", "Panne de connexion", minutes=1)
    _publish(ctx, incident_id, "en", "Login and file sync outage", minutes=2)
    ctx.brand = Brand(timezones=(("fr", "Europe/Paris"),))
    ctx.clock = lambda: NOW + timedelta(minutes=3)
    server = flask.Flask(__name__)
    server.config[CONFIG_KEY] = ctx
    init_status(server)
    page = server.test_client().get("/status?lang=fr").get_data(as_text=True)
    assert "Incident en cours\u00a0: Panne de connexion" in page
    assert "11 h 01 (heure de Paris), 3 déc. 2026" in page
    english = server.test_client().get("/status?lang=en").get_data(as_text=True)
    assert "Ongoing incident: Login and file sync outage" in english
    assert "10:02 UTC, 3 Dec 2026" in english
    assert when(datetime(2026, 7, 1, 10, 24), "fr", "Europe/Paris") == (
        "12 h 24 (heure de Paris), 1er juil. 2026")


def test_the_next_update_is_one_promise_shown_in_every_language(ctx):
    import flask

    from dashboard.context import CONFIG_KEY
    from dashboard.public.page import init_status

    incident_id = declare(ctx)
    _publish(ctx, incident_id, "en", "Login and file sync outage", minutes=1)
    _publish(ctx, incident_id, "fr", "Panne de connexion", minutes=1)
    with ctx.store.session() as s:
        for draft in s.query(DraftRow).filter(DraftRow.incident_id == incident_id):
            draft.promised_next_update = NOW + timedelta(hours=1)
    ctx.clock = lambda: NOW + timedelta(minutes=3)
    server = flask.Flask(__name__)
    server.config[CONFIG_KEY] = ctx
    init_status(server)
    client = server.test_client()
    assert "next update by 11:00 UTC, 3 Dec 2026" in client.get("/status?lang=en").get_data(
        as_text=True)
    assert "prochain point à 11 h 00 UTC, 3 déc. 2026" in client.get(
        "/status?lang=fr").get_data(as_text=True)
    for lang in ("en", "fr"):
        js = client.get(f"/status.json?lang={lang}").get_json()
        assert js["incidents"][0]["next_update_at"] == "2026-12-03T11:00:00Z"


def test_an_incident_without_updates_in_a_language_says_one_follows(ctx, store):
    """Between declaring and the first approved update (or in a language not yet
    approved), the page names the incident, in its language when the person declaring
    gave the title in it, and never says "no incidents reported"."""
    from dashboard.app import create_app

    incident_id = declare(ctx)
    _publish(ctx, incident_id, "en", "Login and file sync outage", minutes=1)
    client = create_app(ctx).server.test_client()
    fr = client.get("/status?lang=fr").get_data(as_text=True)
    assert "Pas encore de mise à jour en français" in fr
    assert "Panne de connexion" in fr  # the French title typed when declaring
    assert "Aucun incident signalé" not in fr
    en = client.get("/status?lang=en").get_data(as_text=True)
    assert "No incidents reported" not in en and "No update in English yet" not in en
