"""Each user's language and time zone (dashboard.preferences): stored with the user,
checked before anything is stored, changed only by a same-origin POST of the user
themself, and used by `_()` and the time formatting of their requests."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from dashboard import i18n
from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from dashboard.preferences import PreferenceError, set_preferences, zone_choices
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store.models import AuditRow, UserRow

NOW = datetime(2026, 12, 3, 13, 30)  # naive UTC: 14:30 in Paris


@pytest.fixture
def app(store):
    with store.session() as s:
        add_user(s, "camille", "pw-camille", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(internal_lang="en"), secret_key="k")
    dash_app = create_app(ctx)
    dash_app.server.testing = True
    return dash_app


def _row(store, name="camille") -> UserRow:
    with store.session() as s:
        row = s.execute(select(UserRow).where(UserRow.username == name)).scalar_one()
        s.expunge(row)
        return row


def _client(app):
    client = app.server.test_client()
    assert client.post("/login", data={"username": "camille", "password": "pw-camille",
                                       "next": "/"}).status_code == 302
    return client


@pytest.mark.parametrize("lang, zone, message", [
    ("de", "Europe/Paris", "unknown language 'de'"),
    ("fr", "Europe/Atlantis", "unknown time zone 'Europe/Atlantis'"),
    ("fr", "../etc/passwd", "unknown time zone"),
    ("fr", "", "unknown time zone"),
])
def test_bad_choices_are_refused_and_change_nothing(app, store, lang, zone, message):
    uid = _row(store).id
    with store.session() as s, pytest.raises(PreferenceError, match=message):
        set_preferences(s, uid, lang, zone, NOW)
    row = _row(store)
    assert (row.lang, row.timezone) == (None, None)


def test_stored_and_audited(app, store):
    with store.session() as s:
        set_preferences(s, _row(store).id, "fr", " Europe/Paris ", NOW)
    row = _row(store)
    assert (row.lang, row.timezone) == ("fr", "Europe/Paris")
    with store.session() as s:
        audit = s.execute(select(AuditRow).where(AuditRow.action == "user.preferences")
                          ).scalar_one()
        assert audit.actor == "camille" and "lang=fr" in audit.detail


def test_the_switcher_post_changes_the_users_language_and_zone(app, store):
    client = _client(app)
    answer = client.post("/preferences", data={"lang": "fr", "timezone": "Europe/Paris"},
                         headers={"Referer": "http://localhost/mentions?x=1"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/mentions?x=1")
    assert (_row(store).lang, _row(store).timezone) == ("fr", "Europe/Paris")
    # A Referer from elsewhere (with this origin, else it is refused) never becomes the redirect.
    answer = client.post("/preferences", data={"lang": "en", "timezone": "UTC"},
                         headers={"Origin": "http://localhost",
                                  "Referer": "https://evil.example/phish"})
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]
    assert answer.headers["Location"] in ("/", "http://localhost/")


def test_a_bad_post_says_why_and_changes_nothing(app, store):
    answer = _client(app).post("/preferences", data={"lang": "fr", "timezone": "Mars/Olympus"})
    assert answer.status_code == 400 and "unknown time zone" in answer.get_data(as_text=True)
    assert _row(store).lang is None


def test_cross_origin_and_anonymous_posts_are_refused(app, store):
    answer = _client(app).post("/preferences", data={"lang": "fr", "timezone": "UTC"},
                               headers={"Origin": "https://sibling.example"})
    assert answer.status_code == 403 and _row(store).lang is None
    anonymous = app.server.test_client().post("/preferences", data={"lang": "fr",
                                                                    "timezone": "UTC"})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert _row(store).lang is None


def test_requests_of_the_user_use_their_language_and_zone(app, store):
    from flask_login import login_user

    from dashboard.auth import User

    row = _row(store)
    with app.server.test_request_context("/"):
        assert i18n.current_lang() == "en" and i18n.current_zone().key == "UTC"
        login_user(User(row.id, row.username, row.role, 0, "fr", "Europe/Paris"))
        assert i18n._("Declare incident") == "Déclarer l'incident"
        assert i18n.clock_text(NOW) == "14:30 CET"
        assert i18n.clock_text(NOW, date=True) == "3 déc. 14:30 CET"


def test_the_brand_decides_for_users_who_never_chose(store):
    brand = Brand(internal_lang="fr", timezone="UTC", timezones=(("fr", "Europe/Paris"),))
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=brand, secret_key="k")
    dash_app = create_app(ctx)
    with dash_app.server.test_request_context("/"):
        assert i18n.current_lang() == "fr" and i18n.current_zone().key == "Europe/Paris"
    assert zone_choices(brand, "Asia/Tokyo")[:3] == ["Asia/Tokyo", "UTC", "Europe/Paris"]
