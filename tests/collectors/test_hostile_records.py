"""One bad record never blocks a batch: the signed ticket webhook, replay JSONL/CSV and the
CSV import validate each record, quarantine the bad ones and store the good ones beside
them (SQLite and PostgreSQL); nothing answers 500 or ends in a traceback."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from collectors.csv_import import import_file
from collectors.ingest import collect_once
from collectors.replay import ReplayCollector
from collectors.webhook import register
from store.models import InboundTicketRow, MentionRow, QuarantineRow

pytestmark = pytest.mark.fault  # the fault suite (issue 16): `pytest -m fault`

SECRET = "whsec-0123456789abcdef"
NOW = datetime(2026, 11, 21, 10, 30)
T0 = datetime(2026, 11, 21, 10, 0)


def sign(body: bytes) -> dict:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body,
                                                         hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def good(n: int, **over) -> dict:
    return {"id": str(n), "created_at": (T0 + timedelta(seconds=n)).isoformat() + "Z",
            "channel": "email", "subject": f"Sync broken #{n}", **over}


@pytest.fixture
def client(store):
    app = Flask(__name__)
    register(app, store, SECRET, max_bytes=1_000_000, clock=lambda: NOW)
    return app.test_client()


def post(client, body: bytes):
    return client.post("/hooks/tickets", data=body, headers=sign(body))


def stored(store, source="webhook") -> dict[str, str]:
    with store.session() as s:
        return {r.external_id: r.subject for r in s.execute(
            select(InboundTicketRow).where(InboundTicketRow.source == source)).scalars()}


def quarantine_count(store) -> int:
    with store.session() as s:
        return len(s.execute(select(QuarantineRow.id)).all())


def nested(depth: int):
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


DEEP = nested(200)  # parses, but no ticket is nested like that


@pytest.mark.parametrize("bad", [
    {"id": "90", "created_at": T0.isoformat(), "subject": "x \ud800"},  # lone surrogate
    {"id": "91", "created_at": 1e20, "subject": "far future"},
    {"id": "92", "created_at": "2026-11-21T10:00:00Z", "subject": "x", "tags": DEEP},
    {"id": "\ud800", "created_at": T0.isoformat()},
    "just a string \udfff",
], ids=["surrogate", "1e20", "nested", "surrogate-id", "string"])
def test_a_bad_ticket_is_quarantined_and_the_five_good_ones_stored(store, client, bad):
    batch = [good(1), good(2), bad, good(3), good(4), good(5)]
    r = post(client, json.dumps({"tickets": batch}).encode())
    assert r.status_code == 202, r.data
    assert r.json == {"accepted": 5, "duplicates": 0, "quarantined": 1}
    assert set(stored(store)) == {"1", "2", "3", "4", "5"}
    assert quarantine_count(store) == 1
    assert post(client, json.dumps({"tickets": batch}).encode()).json["duplicates"] == 5


def test_100000_deep_nesting_is_a_clear_4xx_not_a_500(store, client):
    body = (b'{"tickets": [' + json.dumps(good(1)).encode() + b", " + b"[" * 100_000 +
            b"]" * 100_000 + b"]}")
    r = post(client, body)
    assert r.status_code == 422 and "JSON" in r.json["error"]
    assert quarantine_count(store) == 1


def test_nul_in_a_ticket_subject_is_stripped_as_for_mentions(store, client):
    r = post(client, json.dumps({"tickets": [good(1, subject="Sync\x00 broken"),
                                             good(2)]}).encode())
    assert r.json["accepted"] == 2
    assert stored(store)["1"] == "Sync broken"


def mention_line(n: int, **over) -> dict:
    return {"id": f"m{n}", "created_at": (T0 + timedelta(minutes=n)).isoformat() + "Z",
            "text": f"Nimbus is down again {n}", "author": f"u{n}", **over}


def test_replay_jsonl_with_a_surrogate_and_a_bad_byte_imports_the_rest(store, tmp_path):
    path = tmp_path / "rec.jsonl"
    lines = [json.dumps(mention_line(n)).encode() for n in range(4)]
    lines.insert(1, json.dumps(mention_line(10, text="broken \ud800 text")).encode())
    lines.insert(3, json.dumps(mention_line(11)).encode().replace(b"down", b"d\xffwn"))
    path.write_bytes(b"\n".join(lines) + b"\n")
    collector = ReplayCollector(path, start=T0, speed=1.0)
    assert collector.check() == "4 record(s) readable, 2 unreadable"
    assert collect_once(store, collector, "replay", T0 + timedelta(hours=1)) == 4
    with store.session() as s:
        texts = s.execute(select(MentionRow.text)).scalars().all()
        errors = s.execute(select(QuarantineRow.error)).scalars().all()
    assert len(texts) == 4 and all("\ufffd" not in t for t in texts)
    assert len(errors) == 2 and all("invalid text" in e for e in errors)
    # the next run goes on from the cursor: nothing stuck, nothing twice
    assert collect_once(store, collector, "replay", T0 + timedelta(hours=2)) == 0


def test_replay_csv_with_an_invalid_byte_imports_the_rest(store, tmp_path):
    path = tmp_path / "rec.csv"
    path.write_bytes(b"id,created_at,text\n"
                     b"a,2026-11-21T10:00:00Z,fine one\n"
                     b"b,2026-11-21T10:01:00Z,bad \xc3( byte\n"
                     b"c,2026-11-21T10:02:00Z,fine two\n")
    collector = ReplayCollector(path, start=T0)
    assert collect_once(store, collector, "replay", T0 + timedelta(hours=1)) == 2
    assert quarantine_count(store) == 1


def test_csv_import_with_an_invalid_byte_and_a_surrogate_imports_the_rest(store, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_bytes(b"id,created_at,channel,subject\n"
                     b"1,2026-11-21T10:00:00Z,email,Sync broken\n"
                     b"2,2026-11-21T10:01:00Z,email,Caf\xe9 down\n"
                     b"3,2026-11-21T10:02:00Z,email,Sync \xed\xa0\x80 surrogate\n"
                     b"4,2026-11-21T10:03:00Z,email,Login broken\x00 too\n")
    result = import_file(store, path, NOW)
    assert (result["accepted"], result["quarantined"]) == (2, 2)
    assert stored(store, "csv-import") == {"1": "Sync broken", "4": "Login broken too"}


def zendesk(body: bytes, ts: str) -> dict:
    import base64
    sig = base64.b64encode(hmac.new(SECRET.encode(), ts.encode() + body,
                                    hashlib.sha256).digest()).decode()
    return {"X-Zendesk-Webhook-Signature": sig, "X-Zendesk-Webhook-Signature-Timestamp": ts,
            "Content-Type": "application/json"}


@pytest.mark.parametrize("ts,code", [
    ("2026-11-21T10:29:00Z", 202),   # a minute ago: fine
    ("2001-01-01T00:00:00Z", 401),   # a replay from 2001
    ("2026-11-21T12:40:00Z", 401),   # from the future
    ("not a time", 401),
    (str(int((NOW - datetime(1970, 1, 1)).total_seconds())), 202),  # epoch seconds
])
def test_zendesk_signature_timestamp_must_be_recent(store, client, ts, code):
    body = json.dumps(good(1)).encode()
    r = client.post("/hooks/tickets", data=body, headers=zendesk(body, ts))
    assert r.status_code == code
