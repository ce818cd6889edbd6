"""The login throttle holds under parallel requests and across web processes: the count is
taken in the database by one conditional statement before the password is checked (SQLite
and PostgreSQL)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from dashboard import auth
from dashboard.app import create_app
from dashboard.auth import LOGIN_FAILURES_PER_USER, add_user
from dashboard.context import DashboardContext
from dashboard.ratelimit import DbRateLimit
from responders.drafts import Brand
from responders.templates import TemplateLibrary

pytestmark = pytest.mark.fault  # the fault suite (issue 16): `pytest -m fault`

NOW = datetime(2026, 3, 10, 10, 0)


def make_app(store):
    ctx = DashboardContext(store=store, clock=lambda: NOW, library=TemplateLibrary(),
                           brand=Brand(), secret_key="test-secret")
    return create_app(ctx).server


@pytest.fixture
def counted(monkeypatch):
    calls, lock = [0], threading.Lock()
    real = auth.check_password_hash

    def counting(hashed, password):
        with lock:
            calls[0] += 1
        return real(hashed, password)

    monkeypatch.setattr(auth, "check_password_hash", counting)
    return calls


def test_300_parallel_guesses_on_100_threads_get_at_most_the_limit(store, counted):
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    servers = [make_app(store), make_app(store)]  # two web processes sharing the database
    local = threading.local()

    def guess(i: int) -> int:
        if not hasattr(local, "clients"):
            local.clients = [srv.test_client() for srv in servers]
        r = local.clients[i % 2].post("/login", data={"username": "alice",
                                                      "password": f"guess{i}"})
        return r.status_code

    with ThreadPoolExecutor(max_workers=100) as pool:
        codes = list(pool.map(guess, range(300)))
    assert counted[0] <= LOGIN_FAILURES_PER_USER
    assert codes.count(401) == counted[0] and codes.count(429) == 300 - counted[0]
    assert set(codes) <= {401, 429}


def test_right_password_gives_its_slot_back(store):
    with store.session() as s:
        add_user(s, "alice", "pw-alice", "approver", now=NOW)
    client = make_app(store).test_client()
    for _ in range(LOGIN_FAILURES_PER_USER + 5):
        assert client.post("/login", data={"username": "alice", "password": "pw-alice"}
                           ).status_code == 302
        client.post("/logout")
    assert client.post("/login", data={"username": "alice", "password": "x"}).status_code == 401


def test_db_rate_limit_window_restarts_and_waits_are_told(store):
    now = [datetime(2026, 1, 1)]
    limit = DbRateLimit("t", 2, 60, clock=lambda: now[0])
    assert limit.take(store, "a") == 0 and limit.take(store, "a") == 0
    assert limit.take(store, "a") == pytest.approx(60)
    now[0] += timedelta(seconds=30)
    assert limit.take(store, "a") == pytest.approx(30)
    assert limit.take(store, "b") == 0  # keys are separate
    limit.give_back(store, "a")
    assert limit.take(store, "a") == 0
    now[0] += timedelta(seconds=31)  # the window has passed
    assert limit.take(store, "a") == 0 and limit.take(store, "a") == 0
    assert limit.take(store, "a") > 0
    assert limit.take(store, "x" * 500) == 0  # long keys are hashed, not truncated
