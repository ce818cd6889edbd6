"""Request-size limits on every route (413, the public ones far lower), and logout that
ends the session server-side and only from the dashboard's own origin."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest

from dashboard.app import MAX_REQUEST_BYTES, create_app
from dashboard.auth import add_user
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.templates import TemplateLibrary

pytestmark = pytest.mark.fault  # the fault suite (issue 16): `pytest -m fault`

NOW = datetime(2026, 3, 10, 10, 0)


@pytest.fixture
def server(store):
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test-secret")
    return create_app(ctx).server


def login(client):
    r = client.post("/login", data={"username": "alice", "password": "pw-alice"})
    assert r.status_code == 302
    return r


@pytest.mark.parametrize("path,body,ctype", [
    ("/login", b"username=alice&password=" + b"x" * 200_000,
     "application/x-www-form-urlencoded"),
    ("/status/subscribe", b"email=a@example.com&pad=" + b"x" * 100_000,
     "application/x-www-form-urlencoded"),
    ("/status/subscribe/webhook", json.dumps({"url": "https://a.example", "pad": "x" * 100_000})
     .encode(), "application/json"),
])
def test_oversize_bodies_on_public_routes_get_413(server, path, body, ctype):
    client = server.test_client()
    r = client.post(path, data=body, content_type=ctype)
    assert r.status_code == 413 and r.json["max_bytes"] < 100_000


def test_oversize_chunked_body_without_length_gets_413(server):
    client = server.test_client()
    stream = io.BytesIO(b"username=alice&password=" + b"x" * 200_000)
    r = client.post("/login", input_stream=stream, content_type="application/x-www-form-urlencoded",
                    headers={"Transfer-Encoding": "chunked"},
                    environ_base={"wsgi.input_terminated": True})
    assert r.status_code == 413


def test_every_route_has_a_limit(server):
    client = server.test_client()
    login(client)
    big = b'{"output": "' + b"x" * (MAX_REQUEST_BYTES + 10) + b'"}'
    r = client.post("/_dash-update-component", data=big, content_type="application/json")
    assert r.status_code == 413
    # normal sizes still pass
    assert client.post("/login", data={"username": "alice", "password": "pw-alice"}
                       ).status_code == 302


def test_logout_revokes_copied_cookies(server):
    client = server.test_client()
    login(client)
    assert client.get("/_dash-layout").status_code == 200
    stolen = client.get_cookie("session").value
    thief = server.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/_dash-layout").status_code == 200
    assert client.post("/logout").status_code == 302
    assert thief.get("/_dash-layout").status_code == 401  # the copy is dead too
    login(client)  # a new login works, and a new copy does
    assert client.get("/_dash-layout").status_code == 200


def test_logout_refuses_other_origins_and_gets(server):
    client = server.test_client()
    login(client)
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Origin": "http://sub.localhost"},
                    {"Referer": "https://evil.example/page"}):
        assert client.post("/logout", headers=headers).status_code == 403
        assert client.get("/_dash-layout").status_code == 200
    client.get("/logout")  # a GET (an <img src>) does nothing
    assert client.get("/_dash-layout").status_code == 200
    assert client.post("/logout", headers={"Origin": "http://localhost"}).status_code == 302
    assert client.get("/_dash-layout").status_code == 401


def test_security_headers_forbid_framing_everywhere(server):
    client = server.test_client()
    for path in ("/login", "/status", "/"):
        r = client.get(path)
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"] or \
            path == "/status"


def test_secure_cookie_option(store):
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test-secret", secure_cookies=True)
    client = create_app(ctx).server.test_client()
    r = client.post("/login", data={"username": "alice", "password": "pw-alice"},
                    base_url="https://localhost")
    assert "Secure" in r.headers["Set-Cookie"]
