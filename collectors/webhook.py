"""An inbound endpoint any help desk can POST new tickets to, signed with a shared secret.

    POST /hooks/tickets
    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>          (GitHub style), or
    X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256(secret, timestamp + body)>
    X-Zendesk-Webhook-Signature-Timestamp: <timestamp>

    {"id": "4711", "created_at": "2026-11-21T10:02:13Z", "channel": "email",
     "subject": "Cannot log in", "tags": ["login"]}          or {"tickets": [ ... ]}

Unsigned or badly signed requests get 401, bodies over `max_bytes` 413 (before they are
read), and nothing is stored for either. A signed body that is not JSON (or nested absurdly
deep) is quarantined whole and answered 422. Otherwise each ticket is validated on its own:
one without an id or a plausible time, with a lone surrogate or nested too deeply, is
quarantined (kept raw, counted) and the good tickets beside it are stored; NULs are
stripped as for mentions.
Tickets are stored once per id (help desks retry; a replay is harmless), and the minute
they fall in is recounted from the stored tickets, under a lock, so concurrent posts
never lose a count.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Flask, jsonify, request

from collectors import tickets
from collectors.backoff import naive_utc
from collectors.base import Batch
from collectors.health import record
from collectors.ingest import quarantine, save_batch

WEBHOOK_PATH = "/hooks/tickets"
SOURCE = "webhook"
MAX_TICKETS = 1000


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# Wide enough for clock skew and a help desk's own retries of a signed request, narrow
# enough that a captured request is worthless soon after.
SIGNATURE_WINDOW = timedelta(hours=1)


def signature_ok(secret: str, body: bytes, headers, now: datetime | None = None,
                 window: timedelta = SIGNATURE_WINDOW) -> bool:
    """Constant-time check of either supported signature scheme. The Zendesk scheme signs
    a timestamp: given `now`, one further than `window` from it is refused, so a captured
    request cannot be replayed later (the GitHub scheme has no timestamp; the ticket ids
    make its replays harmless)."""
    key = secret.encode()
    hub = headers.get("X-Hub-Signature-256", "")
    if hub.startswith("sha256="):
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, hub[7:].strip().lower())
    zd, ts = headers.get("X-Zendesk-Webhook-Signature"), headers.get(
        "X-Zendesk-Webhook-Signature-Timestamp")
    if zd and ts:
        if now is not None and not _recent(ts, now, window):
            return False
        expected = base64.b64encode(hmac.new(key, ts.encode() + body, hashlib.sha256).digest())
        return hmac.compare_digest(expected, zd.strip().encode())
    return False


def _recent(stamp: str, now: datetime, window: timedelta) -> bool:
    try:
        value = float(stamp) if stamp.strip().replace(".", "", 1).isdigit() else stamp.strip()
        at = naive_utc(value)
    except (ValueError, TypeError, OverflowError, OSError):
        return False
    return abs(at - now) <= window


def register(server: Flask, store, secret: str, max_bytes: int = 256_000,
             clock: Callable[[], datetime] = utcnow, path: str = WEBHOOK_PATH) -> Blueprint:
    """Add the endpoint to `server`. The path must be public in the login wall (the
    signature is the authentication). An empty secret refuses to register."""
    if not secret or len(secret) < 16:
        raise ValueError("webhook secret missing or shorter than 16 characters "
                         "(CRISISWATCH_WEBHOOK_SECRET)")
    bp = Blueprint("ticket_webhook", __name__)

    @bp.route(path, methods=["POST"])
    def receive():
        length = request.content_length
        if length is not None and length > max_bytes:
            return jsonify(error="body too large", max_bytes=max_bytes), 413
        body = request.stream.read(max_bytes + 1)
        if len(body) > max_bytes:
            return jsonify(error="body too large", max_bytes=max_bytes), 413
        now = clock()
        if not signature_ok(secret, body, request.headers, now):
            return jsonify(error="missing, bad or expired signature"), 401
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
            exc = "nested too deeply" if isinstance(exc, RecursionError) else exc
            with store.session() as session:
                save_batch(session, SOURCE, SOURCE, Batch(quarantined=[
                    quarantine(body.decode("utf-8", "replace"), f"webhook: not JSON: {exc}")]),
                    now)
            record(store, SOURCE, now, quarantined=1, error="webhook: a body was not JSON")
            return jsonify(error="body is not JSON; kept in quarantine"), 422
        items = payload.get("tickets") if isinstance(payload, dict) and "tickets" in payload \
            else [payload]
        if not isinstance(items, list) or len(items) > MAX_TICKETS:
            items = [payload]  # quarantined below as one unreadable ticket
        result = accept(store, items, now)
        record(store, SOURCE, now, collected=result["accepted"],
               quarantined=result["quarantined"])
        return jsonify(result), 202

    server.register_blueprint(bp)
    return bp


def accept(store, items: list, now: datetime, source: str = SOURCE) -> dict:
    """Store tickets once each, validated one by one (``collectors.tickets.accept``)."""
    return tickets.accept(store, items, now, source)
