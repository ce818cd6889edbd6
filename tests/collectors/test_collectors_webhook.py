"""The signed inbound ticket webhook, the CSV ticket import and the CSV collector."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from datetime import datetime, timedelta

import pytest
from flask import Flask

from collectors.csv_import import CSVTicketCollector, import_file
from collectors.ingest import collect_once
from collectors.webhook import register
from store.models import InboundTicketRow, SourceHealthRow
from tests.support.collector_support import Dying, Killed, count, quarantined, ticket_counts

SECRET = "whsec-0123456789abcdef"
NOW = datetime(2026, 11, 21, 10, 30)
T0 = datetime(2026, 11, 21, 10, 0)


def sign(body: bytes, secret=SECRET) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body,
                                                         hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def tickets(*ns, minute=T0, channel="email"):
    return {"tickets": [{"id": str(n), "created_at": (minute + timedelta(seconds=n % 60))
                         .strftime("%Y-%m-%dT%H:%M:%SZ"), "channel": channel,
                         "subject": f"Sync broken #{n}", "tags": ["sync"]} for n in ns]}


@pytest.fixture
def client(store):
    app = Flask(__name__)
    register(app, store, SECRET, max_bytes=4096, clock=lambda: NOW)
    return app.test_client()


def post(client, payload, headers=None):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return client.post("/hooks/tickets", data=body,
                       headers=sign(body) if headers is None else headers)


def test_signed_tickets_counted_once_even_when_retried(store, client):
    r = post(client, tickets(1, 2, 3))
    assert r.status_code == 202 and r.json == {"accepted": 3, "duplicates": 0, "quarantined": 0}
    r = post(client, tickets(3, 4))  # the help desk retries 3 with a new one
    assert r.json == {"accepted": 1, "duplicates": 1, "quarantined": 0}
    counts = ticket_counts(store, "webhook")
    assert counts[(T0, "email")][0] == 4
    assert counts[(T0, "email")][1][:2] == ["Sync broken #1", "Sync broken #2"]
    with store.session() as s:
        health = s.get(SourceHealthRow, "webhook")
    assert health.last_success_at == NOW and health.collected_total == 4


def test_single_ticket_and_zendesk_signature(store, client):
    body = json.dumps({"id": "z1", "created_at": "2026-11-21T10:05:00Z",
                       "via": {"channel": "web"}, "subject": "Hi"}).encode()
    ts = "2026-11-21T10:05:01Z"
    sig = base64.b64encode(hmac.new(SECRET.encode(), ts.encode() + body,
                                    hashlib.sha256).digest()).decode()
    r = post(client, body, {"X-Zendesk-Webhook-Signature": sig,
                            "X-Zendesk-Webhook-Signature-Timestamp": ts})
    assert r.status_code == 202
    assert ticket_counts(store, "webhook")[(T0 + timedelta(minutes=5), "web")][0] == 1


@pytest.mark.parametrize("headers", [
    {}, {"X-Hub-Signature-256": "sha256=" + "0" * 64},
    {"X-Hub-Signature-256": "sha1=abc"},
    "wrong-secret",
])
def test_unsigned_or_badly_signed_is_rejected_and_nothing_stored(store, client, headers):
    body = json.dumps(tickets(1)).encode()
    if headers == "wrong-secret":
        headers = sign(body, secret="not-the-shared-secret")
    r = post(client, body, headers)
    assert r.status_code == 401
    assert count(store, InboundTicketRow) == 0 and ticket_counts(store, "webhook") == {}


def test_tampered_body_is_rejected(store, client):
    body = json.dumps(tickets(1)).encode()
    headers = sign(body)
    r = post(client, body.replace(b"Sync", b"Evil"), headers)
    assert r.status_code == 401


def test_oversized_body_is_rejected_before_reading(store, client):
    big = json.dumps(tickets(*range(200))).encode()
    assert len(big) > 4096
    r = post(client, big)
    assert r.status_code == 413 and count(store, InboundTicketRow) == 0


def test_not_json_and_bad_tickets_are_quarantined(store, client):
    r = post(client, b"this is not json")
    assert r.status_code == 422
    payload = tickets(1)
    payload["tickets"].append({"id": "", "created_at": "2026-11-21T10:00:00Z"})
    payload["tickets"].append({"id": "9"})
    r = post(client, payload)
    assert r.json == {"accepted": 1, "duplicates": 0, "quarantined": 2}
    assert len(quarantined(store, "webhook")) == 3


def test_concurrent_posts_for_one_minute_lose_no_count(store):
    app = Flask(__name__)
    register(app, store, SECRET, max_bytes=65536, clock=lambda: NOW)
    errors = []

    def worker(k):
        c = app.test_client()
        for j in range(5):
            r = post(c, tickets(k * 100 + j))
            if r.status_code != 202:
                errors.append(r.status_code)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sum(n for n, _ in ticket_counts(store, "webhook").values()) == 30


def test_short_secret_refused():
    with pytest.raises(ValueError, match="CRISISWATCH_WEBHOOK_SECRET"):
        register(Flask(__name__), None, "short")


CSV = """id,created_at,channel,subject
101,2026-11-21T10:00:05Z,email,Cannot log in
102,2026-11-21T10:00:50Z,email,Files missing
103,2026-11-21T10:01:10Z,chat,Sync stuck
,2026-11-21T10:01:20Z,chat,no id
104,not a date,chat,bad date
"""


def test_csv_import_is_idempotent_and_quarantines_bad_rows(store, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV)
    result = import_file(store, path, NOW)
    assert result == {"accepted": 3, "duplicates": 0, "quarantined": 2}
    again = import_file(store, path, NOW)
    assert again["accepted"] == 0 and again["duplicates"] == 3
    counts = ticket_counts(store, "csv-import")
    assert counts[(T0, "email")][0] == 2 and counts[(T0 + timedelta(minutes=1), "chat")][0] == 1


def test_csv_collector_recounts_changed_files_and_resumes(store, tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text(CSV)
    b.write_text("id,created_at,channel,subject\n101,2026-11-21T10:00:05Z,email,dup\n")
    c = CSVTicketCollector([str(a), str(b)])
    collect_once(store, c, "files", NOW)
    assert ticket_counts(store, "csv")[(T0, "email")][0] == 2  # 101 counted once
    assert len(quarantined(store, "csv")) == 2
    collect_once(store, c, "files", NOW)  # unchanged: nothing read again
    assert len(quarantined(store, "csv")) == 2
    with open(b, "a") as f:
        f.write("105,2026-11-21T10:00:30Z,email,more\n")
    collect_once(store, c, "files", NOW)
    assert ticket_counts(store, "csv")[(T0, "email")][0] == 3


def test_csv_collector_killed_then_restarted(store, tmp_path):
    a = tmp_path / "a.csv"
    a.write_text(CSV)
    with pytest.raises(Killed):
        collect_once(store, Dying(CSVTicketCollector([str(a)]), after=0), "files", NOW)
    collect_once(store, CSVTicketCollector([str(a)]), "files", NOW)
    assert sum(n for n, _ in ticket_counts(store, "csv").values()) == 3
