"""Hostile request bodies on every public route, on SQLite and PostgreSQL (issue 16):
oversize, deeply nested JSON, lone surrogates, NULs, invalid UTF-8, as JSON and as a form
(the ticket webhook's bodies signed, so they get past the signature). No route answers 500,
oversize is 413, and the app serves the next request normally.

"Every public route" is read from the app's own URL map: each rule the login wall lets an
anonymous visitor through, so a route added later is covered without editing this file."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

import pytest

from collectors.webhook import WEBHOOK_PATH
from collectors.webhook import register as register_webhook
from dashboard.app import create_app
from dashboard.auth import PUBLIC_PATHS, PUBLIC_PREFIXES, add_user
from dashboard.context import DashboardContext
from responders.drafts import Brand
from responders.templates import TemplateLibrary

NOW = datetime(2026, 3, 10, 10, 0)
SECRET = "whsec-hostile-0123456789"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def deep(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# name -> (body, content type); every one goes to every public route.
HOSTILE = {
    "oversize 5 MiB": (b'{"email": "' + b"a" * (5 * 1024 * 1024) + b'"}', JSON),
    "deep JSON 100,000": (deep(100_000), JSON),
    "deep JSON 5,000 (under the small limits)": (deep(5_000), JSON),
    "lone surrogate (JSON escape)": (
        (b'{"email": "x\\ud800@example.com", "url": "https://a.example/\\udfff", '
        b'"username": "\\ud800", "password": "\\udc00", "lang": "\\ud800"}'), JSON),
    "lone surrogate (raw bytes)": (b'{"email": "x\xed\xa0\x80@example.com"}', JSON),
    "NUL (JSON)": ((b'{"email": "a\\u0000@example.com", "url": "https://a.example/\\u0000", '
                   b'"username": "a\\u0000", "password": "\\u0000"}'), JSON),
    "NUL (form)": ((b"email=a%00%40example.com&username=a%00&password=%00&url=https%3A%2F%2Fa%00"
                   b"&lang=%00&next=%00"), FORM),
    "invalid UTF-8 (form)": ((b"email=%ff%fe%40example.com&username=\xff\xfe&password=\xc3(&"
                             b"lang=%ed%a0%80"), FORM),
    "invalid UTF-8 (JSON)": (b'\xff\xfe{"email": "\xc3("}', JSON),
    "surrogate and NUL (form)": (b"email=%ed%a0%80%00&Body=%ed%a0%80&From=%00", FORM),
    "a JSON scalar": (b'"\\ud800"', JSON),
}


def signed(body: bytes) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body,
                                                         hashlib.sha256).hexdigest()}


@pytest.fixture(scope="module")
def server(module_store):
    store = module_store
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test-secret")
    app = create_app(ctx)
    register_webhook(app.server, store, SECRET, clock=lambda: NOW)
    return app.server


def public_routes(server) -> list[tuple[str, str]]:
    """(method, path) for every rule anyone can reach, placeholders filled in."""
    out = []
    for rule in server.url_map.iter_rules():
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<{arg}>", "tok-123").replace(f"<string:{arg}>", "tok-123")
        if not (path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)):
            continue
        out += [(m, path) for m in sorted(rule.methods & {"GET", "POST"})]
    return out


def test_the_public_routes_found_are_the_known_ones(server):
    paths = {p for _, p in public_routes(server)}
    assert {"/login", "/status", "/status.json", "/status.rss", "/status.atom",
            "/status/subscribe", "/status/subscribe/webhook", "/status/confirm/tok-123",
            "/status/unsubscribe/tok-123", "/ack/tok-123", WEBHOOK_PATH} <= paths


@pytest.mark.fault
@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_body_on_every_public_route(server, name):
    """hostile bodies on every public route: no 500, oversize 413"""
    body, ctype = HOSTILE[name]
    client = server.test_client()
    answers = {}
    for path in (p for m, p in public_routes(server) if m == "POST"):
        headers = {"Content-Type": ctype, **(signed(body) if path == WEBHOOK_PATH else {})}
        answers[path] = client.post(path, data=body, headers=headers).status_code
    failed = {k: v for k, v in answers.items() if v >= 500}
    assert not failed, failed
    if name.startswith("oversize"):
        assert set(answers.values()) == {413}, answers
    assert client.get("/status").status_code == 200  # the app is fine afterwards


@pytest.mark.fault
def test_hostile_query_strings_on_get_routes(server):
    """hostile query strings on every public GET route: no 500"""
    client = server.test_client()
    for query in (b"lang=%ed%a0%80", b"lang=%00", b"lang=%ff", b"next=%00%ff",
                  b"lang=" + b"x" * 10_000, b"%ff=%fe", b"lang=\xed\xa0\x80",
                  b"next=\xff\xfe", b"lang=en\x00"):
        for method, path in public_routes(server):
            if method == "GET":
                r = client.get(path, environ_overrides={"QUERY_STRING": query.decode("latin-1")})
                assert r.status_code < 500, (path, query, r.status_code)
    assert json.loads(client.get("/status.json").data)  # still answers
    assert client.post("/login", data={"username": "alice", "password": "pw-alice"}
                       ).status_code == 302
