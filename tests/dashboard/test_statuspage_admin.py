"""The status-page admin page: component states and maintenance set from the dashboard,
refused to viewers, audited, worded errors for bad input, and shown on the public page in
English and French."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from dashboard import actions
from dashboard.actions import ActionError
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.incidents import declare
from responders.statusboard import sync_components
from responders.templates import TemplateLibrary
from store.models import (
    AuditRow,
    MaintenanceRow,
    StatusComponentRow,
    TimelineRow,
    UserRow,
)

NOW = datetime(2026, 3, 10, 10, 30)
COMPONENTS = [{"key": "login", "names": {"en": "Login", "fr": "Connexion"}},
              {"key": "sync", "names": {"en": "File sync", "fr": "Synchronisation"}}]
TEXTS = {"en": {"title": "Database upgrade", "body": "Sync may pause <b>briefly</b>."},
         "fr": {"title": "Mise à niveau de la base", "body": "La synchro peut s'interrompre."}}


def user(name, role):
    return SimpleNamespace(username=name, role=role, is_authenticated=True)


def make_ctx(store):
    return DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                            brand=Brand(), secret_key="k")


@pytest.fixture
def ctx(store):
    with store.session() as s:
        sync_components(s, COMPONENTS, NOW - timedelta(days=1))
    return make_ctx(store)


def audits(store, action):
    with store.session() as s:
        return [(a.actor, a.target, a.detail) for a in s.execute(
            select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)).scalars()]


# --- actions ---------------------------------------------------------------------------

def test_set_component_checks_role_audits_and_ties_to_the_incident(ctx, store):
    with pytest.raises(ActionError, match="viewer.*you need to be"):
        actions.set_component(ctx, user("vic", "viewer"), "login", "major_outage")
    with pytest.raises(ActionError, match="sign in again"):
        actions.set_component(ctx, None, "login", "major_outage")
    with pytest.raises(ActionError, match="No component 'moon'"):
        actions.set_component(ctx, user("eve", "editor"), "moon", "major_outage")
    with pytest.raises(ActionError, match="Unknown state 'down'"):
        actions.set_component(ctx, user("eve", "editor"), "login", "down")
    with pytest.raises(ActionError, match="Incident #99"):
        actions.set_component(ctx, user("eve", "editor"), "login", "degraded", incident_id=99)
    assert audits(store, "status.component") == []
    with store.session() as s:
        incident_id = declare(s, title="Login outage", crisis_type="outage",
                              severity="major", actor="eve", now=NOW).id
    assert actions.set_component(ctx, user("eve", "editor"), "login", "major_outage",
                                 incident_id=incident_id)
    assert not actions.set_component(ctx, user("eve", "editor"), "login", "major_outage",
                                     incident_id=incident_id)  # no change, no audit
    assert actions.set_component(ctx, user("ada", "admin"), "sync", "degraded")
    with store.session() as s:
        login = s.get(StatusComponentRow, "login")
        assert (login.state, login.incident_id, login.updated_by) == (
            "major_outage", incident_id, "eve")
        assert s.get(StatusComponentRow, "sync").incident_id is None
        timeline = s.execute(select(TimelineRow.detail).where(
            TimelineRow.kind == "component")).scalars().all()
    assert timeline == ["Status page: Login operational -> major_outage"]
    assert audits(store, "status.component") == [
        ("eve", "component:login", f"operational -> major_outage (incident #{incident_id})"),
        ("ada", "component:sync", "operational -> degraded")]


def test_schedule_maintenance_checks_role_input_and_audits(ctx, store):
    eve = user("eve", "editor")
    ok = {"texts": TEXTS, "starts": "2026-03-11 22:00", "ends": "2026-03-11 23:30",
          "components": ["sync"]}
    with pytest.raises(ActionError, match="viewer.*you need to be"):
        actions.schedule_maintenance(ctx, user("vic", "viewer"), **ok)
    bad = [({"starts": "tomorrow night"}, "start time 'tomorrow night' is not a date"),
           ({"ends": "2026-13-01 10:00"}, "end time .* is not a date"),
           ({"starts": ""}, "Give the start time"),
           ({"ends": "2026-03-11 21:00"}, "ends .* before it starts"),
           ({"ends": "2026-03-11 22:00"}, "ends .* before it starts"),
           ({"starts": "2026-03-09 08:00", "ends": "2026-03-10 09:00"}, "already be over"),
           ({"components": ["sync", "moon"]}, "Unknown components: moon"),
           ({"texts": {"en": {"title": " ", "body": ""}}}, "Write the announcement"),
           ({"texts": {"en": TEXTS["en"], "fr": {"title": "", "body": "texte"}}},
            "The French announcement needs a title")]
    for change, message in bad:
        with pytest.raises(ActionError, match=message):
            actions.schedule_maintenance(ctx, eve, **{**ok, **change})
    with store.session() as s:
        assert s.execute(select(MaintenanceRow)).first() is None
    assert audits(store, "status.maintenance.schedule") == []

    mid = actions.schedule_maintenance(ctx, eve, **{**ok, "starts": "2026-03-11T22:00 UTC"})
    with store.session() as s:
        m = s.get(MaintenanceRow, mid)
        assert (m.starts_at, m.ends_at) == (datetime(2026, 3, 11, 22), datetime(2026, 3, 11, 23, 30))
        assert m.texts == TEXTS and m.components == ["sync"] and m.created_by == "eve"
    [(actor, target, detail)] = audits(store, "status.maintenance.schedule")
    assert (actor, target) == ("eve", f"maintenance:{mid}")
    assert "2026-03-11 22:00 to 2026-03-11 23:30 UTC [sync]" in detail
    assert "Mise à niveau de la base" in detail
    # English only is allowed (French readers fall back to it)
    only_en = actions.schedule_maintenance(ctx, eve, **{**ok, "texts": {
        "en": TEXTS["en"], "fr": {"title": "", "body": " "}}})
    with store.session() as s:
        assert set(s.get(MaintenanceRow, only_en).texts) == {"en"}


def test_cancel_maintenance_checks_role_and_state(ctx, store):
    mid = actions.schedule_maintenance(ctx, user("eve", "editor"), texts=TEXTS,
                                       starts="2026-03-11 22:00", ends="2026-03-11 23:00",
                                       components=[])
    with pytest.raises(ActionError, match="you need to be"):
        actions.cancel_maintenance(ctx, user("vic", "viewer"), mid)
    with pytest.raises(ActionError, match="#999 does not exist"):
        actions.cancel_maintenance(ctx, user("eve", "editor"), 999)
    actions.cancel_maintenance(ctx, user("apo", "approver"), mid)
    with pytest.raises(ActionError, match="already cancelled"):
        actions.cancel_maintenance(ctx, user("eve", "editor"), mid)
    with store.session() as s:
        assert s.get(MaintenanceRow, mid).cancelled_at == NOW
    assert audits(store, "status.maintenance.cancel") == [
        ("apo", f"maintenance:{mid}", "Database upgrade")]


# --- the page through the real app, then the public page ---------------------------------

def test_statuspage_admin_page_and_public_page(ctx, store):
    from flask_login import login_user

    from dashboard.app import create_app
    from dashboard.auth import User, add_user

    with store.session() as s:
        add_user(s, "eve", "pw-eve", "editor", now=NOW)
        incident_id = declare(s, title="Login <outage>", crisis_type="outage",
                              severity="major", actor="eve", now=NOW).id
    app = create_app(ctx)
    app.server.testing = True
    client = app.server.test_client()
    assert client.get("/statuspage-admin").status_code in (302, 401)  # login wall
    signed_in = client.post("/login", data={"username": "eve", "password": "pw-eve",
                                            "next": "/"})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)[-300:]
    assert client.get("/statuspage-admin").status_code == 200
    page = next(m for name, m in sys.modules.items() if name.endswith("pages.status_admin"))
    with app.server.test_request_context("/statuspage-admin"):  # the layout reads the clock
        layout = str(page.layout())
    assert "statuspage-components" in layout and "href='/status'" in layout
    assert "statuspage-en-title" in layout and "statuspage-fr-body" in layout

    with store.session() as s:
        uid = s.execute(select(UserRow.id).where(UserRow.username == "eve")).scalar_one()
    with app.server.test_request_context("/_dash-update-component"):
        login_user(User(uid, "eve", "editor"))
        listing, tie_options, tie = page.refresh_components(None)
        assert "statuspage-component-login" in str(listing) and "Operational" in str(listing)
        assert tie == [incident_id] and "Login <outage>" in tie_options[0]["label"]
        ids = [{"type": "statuspage-set", "key": k} for k in ("login", "sync")]
        value_ids = [{"type": "statuspage-state", "key": k} for k in ("login", "sync")]
        flash = page.set_state([1, None], ids, ["major_outage", "operational"], value_ids, tie)
        assert "now shown as Major outage" in str(flash)
        listing, _, _ = page.refresh_components(flash)
        assert f"incident #{incident_id}" in str(listing)

        maint, comp_options = page.refresh_maintenance(None, None)
        assert "No maintenance is scheduled" in str(maint)
        assert comp_options == [{"label": "Login", "value": "login"},
                                {"label": "File sync", "value": "sync"}]
        assert "end time" in str(page.schedule(1, "T", "", "", "", "2026-03-11 22:00",
                                               "soon", ["sync"]))
        flash = page.schedule(1, TEXTS["en"]["title"], TEXTS["en"]["body"],
                              TEXTS["fr"]["title"], TEXTS["fr"]["body"], "2026-03-11 22:00",
                              "2026-03-11 23:30", ["sync"])
        assert "is scheduled" in str(flash), flash
        with store.session() as s:
            mid = s.execute(select(MaintenanceRow.id)).scalar_one()
        maint, _ = page.refresh_maintenance(None, flash)
        assert f"statuspage-maintenance-{mid}" in str(maint) and "Mise à niveau" in str(maint)
        second = page.schedule(1, "Network work", "", "", "", "2026-03-12 01:00",
                               "2026-03-12 02:00", [])
        with store.session() as s:
            other = max(s.execute(select(MaintenanceRow.id)).scalars())
        cancel_ids = [{"type": "statuspage-cancel", "id": i} for i in (mid, other)]
        assert "is cancelled" in str(page.cancel([None, 1], cancel_ids)), second

        login_user(User(uid, "vic", "viewer"))
        assert "you need to be" in str(page.set_state([None, 1], ids, ["major_outage",
                                                                       "degraded"],
                                                      value_ids, []))
        assert "you need to be" in str(page.cancel([1, None], cancel_ids))
        assert "you need to be" in str(page.schedule(1, "x", "", "", "", "2026-03-11 22:00",
                                                     "2026-03-11 23:30", []))
    with store.session() as s:
        assert s.get(StatusComponentRow, "sync").state == "operational"
        assert s.get(MaintenanceRow, mid).cancelled_at is None

    client.post("/logout")
    en = client.get("/status").get_data(as_text=True)
    fr = client.get("/status?lang=fr").get_data(as_text=True)
    for html, name, state, title, body in (
            (en, "Login", "Major outage", "Database upgrade", "Sync may pause &lt;b&gt;briefly&lt;/b&gt;."),
            (fr, "Connexion", "Panne majeure", "Mise à niveau de la base",
             "La synchro peut s&#39;interrompre.")):
        login = html.split('id="component-login"', 1)[1].split("</li>", 1)[0]
        assert name in login and state in login, login
        assert f'id="maintenance-{mid}"' in html and title in html and body in html
        assert f'id="maintenance-{other}"' not in html  # cancelled
        assert "<b>briefly" not in html
