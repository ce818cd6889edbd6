"""An inbound endpoint any help desk can POST new tickets to, signed with a shared secret.

    POST /hooks/tickets
    X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>          (GitHub style), or
    X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256(secret, timestamp + body)>
    X-Zendesk-Webhook-Signature-Timestamp: <timestamp>

    {"id": "4711", "created_at": "2026-11-21T10:02:13Z", "channel": "email",
     "subject": "Cannot log in", "tags": ["login"]}          or {"tickets": [ ... ]}

Unsigned or badly signed requests get 401, bodies over `max_bytes` 413 (before they are
read), and nothing is stored for either. A signed body that is not JSON, or tickets
without an id or a time, are quarantined (kept raw, counted) and answered 422 / listed.
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
from datetime import UTC, datetime

from flask import Blueprint, Flask, jsonify, request
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from collectors.backoff import naive_utc
from collectors.base import Batch, TicketCount
from collectors.health import record
from collectors.ingest import _insert, quarantine, save_batch
from store.models import InboundTicketRow

WEBHOOK_PATH = "/hooks/tickets"
SOURCE = "webhook"
MAX_TICKETS = 1000


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def signature_ok(secret: str, body: bytes, headers) -> bool:
    """Constant-time check of either supported signature scheme."""
    key = secret.encode()
    hub = headers.get("X-Hub-Signature-256", "")
    if hub.startswith("sha256="):
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, hub[7:].strip().lower())
    zd, ts = headers.get("X-Zendesk-Webhook-Signature"), headers.get(
        "X-Zendesk-Webhook-Signature-Timestamp")
    if zd and ts:
        expected = base64.b64encode(hmac.new(key, ts.encode() + body, hashlib.sha256).digest())
        return hmac.compare_digest(expected, zd.strip().encode())
    return False


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
        if not signature_ok(secret, body, request.headers):
            return jsonify(error="missing or bad signature"), 401
        now = clock()
        try:
            payload = json.loads(body)
        except ValueError as exc:
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
    """Store tickets once each and recount the minutes they touch; one transaction.
    Also the path of a CSV import (`source="csv-import"`): re-importing is harmless."""
    bad, fresh = [], 0
    buckets: set[tuple[datetime, str]] = set()
    with store.session() as session:
        for item in items:
            try:
                row = _ticket(item, source)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                bad.append(quarantine(item, f"webhook: {exc!r}"))
                continue
            stmt = _insert(session, InboundTicketRow).values(**row, received_at=now)
            inserted = session.execute(stmt.on_conflict_do_nothing(
                index_elements=["source", "external_id"]).returning(InboundTicketRow.id)).all()
            fresh += len(inserted)
            if inserted:
                buckets.add((row["minute"], row["channel"]))
        counts = [recount(session, source, minute, channel)
                  for minute, channel in sorted(buckets)]
        save_batch(session, source, source, Batch(tickets=counts, quarantined=bad), now)
    return {"accepted": fresh, "duplicates": len(items) - fresh - len(bad),
            "quarantined": len(bad)}


def recount(session: Session, source: str, minute: datetime, channel: str) -> TicketCount:
    if session.get_bind().dialect.name == "postgresql":
        # Two posts for the same minute: the second waits, then sees the first's ticket.
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"),
                        {"k": f"{source}|{minute.isoformat()}|{channel}"})
    where = (InboundTicketRow.source == source, InboundTicketRow.minute == minute,
             InboundTicketRow.channel == channel)
    n = session.execute(select(func.count()).select_from(InboundTicketRow).where(*where)).scalar()
    subjects = session.execute(select(InboundTicketRow.subject).where(*where)
                               .order_by(InboundTicketRow.id).limit(20)).scalars()
    return TicketCount(source, minute, int(n), channel, tuple(s for s in subjects if s))


def _ticket(item: dict, source: str) -> dict:
    ident = str(item["id"]).strip()
    if not ident or len(ident) > 128:
        raise ValueError("ticket id empty or longer than 128 characters")
    created = naive_utc(item["created_at"])
    via = item.get("via")
    channel = item.get("channel") or (via.get("channel") if isinstance(via, dict) else via)
    return {"source": source, "external_id": ident,
            "minute": created.replace(second=0, microsecond=0),
            "channel": str(channel or "unknown")[:32],
            "subject": str(item.get("subject") or "")[:500]}
