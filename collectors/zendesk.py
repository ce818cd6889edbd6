"""Support-ticket volume from Zendesk through zenpy's cursor-based incremental ticket
export: tickets opened per minute, by channel (or by a configured tag), with subjects.

A ticket shows up in the export at its latest update, once; a minute's count is final
only after a whole pass has read everything changed since that minute. So each run reads
the export from the cursor minute to the end, counts tickets *created* from that minute
on (older tickets seen again because they were updated were counted when created), and
saves every minute before `now - settle` in one batch, whose cursor is the first minute
not yet final. A killed run saves nothing and the next one recounts the same minutes;
ticket counts replace rather than add, so nothing is counted twice.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

import requests
from zenpy import Zenpy
from zenpy.lib.exception import APIException, RatelimitBudgetExceeded, ZenpyException

from collectors.backoff import Backoff, RetryingSession, http_verdict, naive_utc
from collectors.base import Batch, CollectorError, TicketCount
from collectors.ingest import quarantine

MAX_SUBJECTS = 20  # per minute and channel: enough to read what people write about


class ZendeskCollector:
    name = "zendesk"

    def __init__(self, subdomain: str, email: str, token: str, *,
                 tag_channels: list[str] | None = None, settle_minutes: int = 2,
                 backfill_hours: float = 24, backoff: Backoff | None = None,
                 since: datetime | None = None):
        if not (subdomain and email and token):
            raise CollectorError("zendesk: subdomain, email and API token are all needed "
                                 "(token: CRISISWATCH_ZENDESK_API_TOKEN)", permanent=True)
        self.backoff = backoff or Backoff()
        self.session = RetryingSession(self.backoff)
        # ratelimit_budget=1: zenpy never sleeps on a 429 itself; the session already
        # waited out Retry-After under our Backoff before handing the 429 back.
        self.client = Zenpy(subdomain=subdomain, email=email, token=token,
                            session=self.session, ratelimit_budget=1)
        self.tag_channels = list(tag_channels or [])
        self.settle = timedelta(minutes=settle_minutes)
        self.backfill = timedelta(hours=backfill_hours)
        self.since = since

    @classmethod
    def from_config(cls, conf: dict) -> ZendeskCollector:
        """[sources.zendesk]: subdomain, email, tag_channels (a ticket with one of these
        tags is counted under it instead of its channel), settle_minutes, backfill_hours;
        the secret api_token (CRISISWATCH_ZENDESK_API_TOKEN)."""
        return cls(conf.get("subdomain", ""), conf.get("email", ""), conf.get("api_token") or "",
                   tag_channels=conf.get("tag_channels", []),
                   settle_minutes=int(conf.get("settle_minutes", 2)),
                   backfill_hours=float(conf.get("backfill_hours", 24)))

    def check(self) -> str:
        me = self._call(lambda: self.client.users.me())
        if getattr(me, "id", None) is None:  # zendesk answers anonymous for bad tokens
            raise CollectorError("zendesk: API token not accepted", permanent=True)
        return f"token accepted (user {getattr(me, 'email', '?')})"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        now = now.replace(second=0, microsecond=0)
        start = (datetime.fromisoformat(cursor) if cursor
                 else (self.since or now - self.backfill).replace(second=0, microsecond=0))
        final = now - self.settle  # minutes before this are counted for good
        if final <= start:
            return
        counts: dict[tuple[datetime, str], int] = defaultdict(int)
        subjects: dict[tuple[datetime, str], list[str]] = defaultdict(list)
        bad: list[tuple[str, str]] = []

        def read() -> None:
            counts.clear(), subjects.clear(), bad.clear()
            for ticket in self.client.tickets.incremental(start_time=_epoch(start)):
                try:
                    raw = ticket.to_dict() if hasattr(ticket, "to_dict") else dict(ticket)
                    created = naive_utc(raw["created_at"])
                    channel = self.channel_of(raw)
                except (KeyError, TypeError, ValueError, AttributeError) as exc:
                    bad.append(quarantine(_raw(ticket), f"zendesk: {exc!r}"))
                    continue
                minute = created.replace(second=0, microsecond=0)
                if not start <= minute < final:
                    continue  # counted when it was created, or not final yet
                counts[(minute, channel)] += 1
                if len(subjects[(minute, channel)]) < MAX_SUBJECTS and raw.get("subject"):
                    subjects[(minute, channel)].append(str(raw["subject"])[:200])

        self._call(read)
        tickets = [TicketCount(self.name, minute, n, channel, tuple(subjects[(minute, channel)]))
                   for (minute, channel), n in sorted(counts.items())]
        yield Batch(tickets=tickets, quarantined=bad, cursor=final.isoformat(timespec="minutes"))

    def channel_of(self, raw: dict) -> str:
        tags = raw.get("tags") or []
        for tag in self.tag_channels:
            if tag in tags:
                return f"tag:{tag}"[:32]
        via = raw.get("via") or {}
        return str(via.get("channel") or "unknown")[:32]

    def _call(self, call):
        return self.backoff.run(call, self._classify)

    def _classify(self, exc: Exception):
        from collectors.backoff import Verdict

        response = getattr(exc, "response", None)
        if isinstance(exc, RatelimitBudgetExceeded):
            return Verdict("rate", "zendesk: rate limited (429)", None)
        if isinstance(exc, (APIException, requests.HTTPError)) and response is not None:
            return http_verdict(response.status_code, "zendesk") or Verdict(
                "permanent", f"zendesk: request refused ({response.status_code})")
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            return Verdict("transient", "zendesk: network error")
        if isinstance(exc, ZenpyException):
            return Verdict("permanent", f"zendesk: {exc}")
        return None


def _epoch(at: datetime) -> int:
    return calendar.timegm(at.timetuple())


def _raw(ticket) -> dict:
    try:
        return ticket.to_dict()
    except Exception:  # noqa: BLE001 - whatever it is, keep what we can
        return {"repr": repr(ticket)}
