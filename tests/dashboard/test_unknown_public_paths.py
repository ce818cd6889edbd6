"""Unknown paths under the public namespaces are a 404, not Dash's index page with its
library versions (issue 16), whether logged in or not; the real routes still answer."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.app import create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from dashboard.public.unknown_paths import in_public_namespace
from responders.drafts import Brand
from responders.templates import TemplateLibrary

NOW = datetime(2026, 3, 10, 10, 0)
UNKNOWN = ["/status/", "/status/nope", "/status/confirm/", "/status/confirm/tok/extra",
           "/status/unsubscribe/tok/extra", "/status/subscribe/x", "/status.json/x",
           "/login/", "/login/admin", "/logout/x", "/ack/", "/ack/a/b/c", "/alerts/sms/x",
           "/alerts/smsx"]


@pytest.fixture
def client(store):
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test-secret")
    return create_app(ctx).server.test_client()


def log_in(client):
    assert client.post("/login", data={"username": "alice", "password": "pw-alice"}
                       ).status_code == 302


@pytest.mark.fault
@pytest.mark.parametrize("logged_in", [False, True])
def test_unknown_public_paths_are_404_without_the_dash_index(client, logged_in):
    """unknown GET paths under public prefixes: 404, no Dash index"""
    if logged_in:
        log_in(client)
    for path in UNKNOWN:
        r = client.get(path)
        assert r.status_code == 404, path
        assert b"_dash-config" not in r.data and b"dash_renderer" not in r.data, path


def test_the_real_public_routes_and_pages_still_answer(client):
    for path in ("/status", "/status.json", "/status.rss", "/status.atom", "/login"):
        assert client.get(path).status_code == 200, path
    bad_token = client.get("/status/confirm/bad-token")  # the route's own "unknown link"
    assert bad_token.status_code == 404 and b"/status" in bad_token.data
    assert b"Not found. The status page" not in bad_token.data
    assert client.get("/statuspage-admin").status_code == 302  # the login wall, not a 404
    log_in(client)
    for path in ("/", "/statuspage-admin", "/mentions"):
        r = client.get(path)
        assert r.status_code == 200 and b"_dash-config" in r.data, path


def test_namespace_is_the_root_and_below_not_shared_letters():
    assert in_public_namespace("/status") and in_public_namespace("/status/x")
    assert in_public_namespace("/status.rss/x") and in_public_namespace("/login/")
    assert not in_public_namespace("/statuspage-admin")
    assert not in_public_namespace("/loginhelp") and not in_public_namespace("/")
