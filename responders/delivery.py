"""The one door to every channel: ``deliver`` is the only code that calls ``Channel.send``.

The outbox (approved drafts), paging (alerts), reminders, status-page subscribers and
broadcasts all go through it, so "no such channel", a ``ChannelError`` and the record of
the attempt are handled once. With a ``store``, every attempt is written to
``send_attempts`` in its own commit *before* the channel is called (``finished_at`` NULL)
and completed after, so a crash between the two leaves visible evidence instead of a
silent gap; callers keep their own domain records (a draft's ``deliveries``, an alert's
``alert_deliveries``) on top.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from responders.channels.base import Channel, ChannelError, Delivery, Message
from store.models import SendAttemptRow

log = logging.getLogger("crisiswatch.delivery")


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt: delivered (with the channel's receipt) or not, and
    whether trying again could help (``permanent`` False)."""

    ok: bool
    error: str | None = None
    permanent: bool = False
    receipt: Delivery | None = None

    @property
    def external_id(self) -> str | None:
        return self.receipt.external_id if self.receipt else None

    @property
    def url(self) -> str | None:
        return self.receipt.url if self.receipt else None


def deliver(channels: Mapping[str, Channel], name: str, message: Message, now: datetime, *,
            store=None, purpose: str = "", ref: str = "") -> Outcome:
    """Send ``message`` through ``channels[name]``; never raises for a channel failure.

    A missing channel is a permanent failure. ``purpose`` (``draft``, ``page``,
    ``reminder``, ``subscriber``, ``broadcast``) and ``ref`` (what the attempt is for, such
    as ``alert:3:alice``) label the ``send_attempts`` row written when ``store`` is given.
    """
    attempt_id = _start(store, name, message, now, purpose, ref) if store is not None else None
    route = getattr(channels, "route", None)
    # A map that routes by message (exercise mode: crisiswatch.exercise_mode) picks the
    # channel for this message; any other map by name.
    channel = route(name, message) if route is not None else channels.get(name)
    if channel is None:
        outcome = Outcome(False, f"no channel configured for {name!r}", permanent=True)
    else:
        try:
            outcome = Outcome(True, receipt=channel.send(message, now))
        except ChannelError as exc:
            outcome = Outcome(False, str(exc)[:1000] or type(exc).__name__, exc.permanent)
    if not outcome.ok:
        log.warning("%s %s by %s failed: %s", purpose or "message", ref or message.draft_id,
                    name, outcome.error)
    if attempt_id is not None:
        _finish(store, attempt_id, outcome, now)
    return outcome


def _start(store, name: str, message: Message, now: datetime, purpose: str, ref: str) -> int:
    with store.session() as session:
        row = SendAttemptRow(purpose=purpose[:32], ref=ref[:128], channel=name[:32],
                             idempotency_key=message.idempotency_key, started_at=now)
        session.add(row)
        session.flush()
        return row.id


def _finish(store, attempt_id: int, outcome: Outcome, now: datetime) -> None:
    with store.session() as session:
        row = session.get(SendAttemptRow, attempt_id)
        row.finished_at, row.ok, row.permanent = now, outcome.ok, outcome.permanent
        row.error, row.external_id = outcome.error, (outcome.external_id or "")[:128] or None
