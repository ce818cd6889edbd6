"""Zendesk ticket volume through zenpy's cursor-based incremental export, against a fake
Zendesk (tickets shaped like the documented Ticket object; after_url/end_of_stream)."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

import pytest

from collectors.backoff import Backoff
from collectors.base import CollectorError
from collectors.ingest import collect_once
from collectors.zendesk import ZendeskCollector
from tests.support.collector_support import Dying, Killed, cursor, quarantined, ticket_counts
from tests.support.fake_http import FakeServer, Reply, Sleeps

EXPORT = "/api/v2/incremental/tickets/cursor.json"
T0 = datetime(2026, 11, 21, 10, 0)


def stamp(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def ticket(n: int, created: datetime, channel="email", updated=None, tags=()) -> dict:
    return {"id": n, "url": f"https://nimbus.zendesk.com/api/v2/tickets/{n}.json",
            "created_at": stamp(created), "updated_at": stamp(updated or created),
            "subject": f"Cannot log in #{n}", "status": "new", "priority": None,
            "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
            "tags": list(tags), "requester_id": 1000 + n, "custom_fields": []}


class FakeZendesk:
    def __init__(self, api, page=2):
        self.tickets, self.page, self.faults = [], page, []
        api.route("GET", EXPORT, self.export)
        api.route("GET", "/api/v2/users/me.json", Reply(json={"user": {
            "id": 42, "email": "ops@nimbus.example", "name": "Ops"}}))
        self.api = api

    def export(self, req):
        if self.faults:
            return self.faults.pop(0)
        if "cursor" in req.query:
            start_time, offset = req.query["cursor"].split(":")
            start_time, offset = int(start_time), int(offset)
        else:
            start_time, offset = int(req.query["start_time"]), 0
        rows = sorted((t for t in self.tickets
                       if calendar.timegm(datetime.fromisoformat(
                           t["updated_at"][:-1]).timetuple()) >= start_time),
                      key=lambda t: (t["updated_at"], t["id"]))
        chunk = rows[offset:offset + self.page]
        end = offset + self.page >= len(rows)
        nxt = f"{start_time}:{offset + len(chunk)}"
        return Reply(json={
            "tickets": chunk, "after_cursor": nxt, "before_cursor": None,
            "after_url": None if not chunk else f"{self.api.url}{EXPORT}?cursor={nxt}",
            "before_url": None, "end_of_stream": end})


@pytest.fixture
def fake(monkeypatch):
    with FakeServer() as api:
        # zenpy's own test hooks: talk to the fake over http, keeping its URL handling
        # (response handlers match on the host they expect).
        monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
        monkeypatch.setenv("ZENPY_FORCE_NETLOC", api.url.split("//")[1])
        yield api


def collector(api, sleeps=None, token="zd-token-secret", **kw) -> ZendeskCollector:
    c = ZendeskCollector("nimbus", "ops@nimbus.example", token,
                         backoff=Backoff(sleep=Sleeps() if sleeps is None else sleeps),
                         settle_minutes=2, **kw)
    return c


def test_counts_per_minute_and_channel_with_subjects_then_resumes(store, fake):
    zd = FakeZendesk(fake)
    zd.tickets = [ticket(1, T0), ticket(2, T0 + timedelta(seconds=30)),
                  ticket(3, T0 + timedelta(seconds=40), channel="web"),
                  ticket(4, T0 + timedelta(minutes=1)),
                  ticket(5, T0 + timedelta(minutes=4))]  # not final at 10:05
    c = collector(fake, since=T0)
    collect_once(store, c, "tickets", T0 + timedelta(minutes=5))
    counts = ticket_counts(store, "zendesk")
    assert counts == {(T0, "email"): (2, ["Cannot log in #1", "Cannot log in #2"]),
                      (T0, "web"): (1, ["Cannot log in #3"]),
                      (T0 + timedelta(minutes=1), "email"): (1, ["Cannot log in #4"])}
    assert cursor(store, "zendesk", "tickets") == "2026-11-21T10:03"
    auth = fake.calls(EXPORT)[0].headers["Authorization"]
    assert auth.startswith("Basic ")  # email/token, never printed
    assert fake.calls(EXPORT)[0].query["start_time"] == str(calendar.timegm(T0.timetuple()))

    # ticket 1 updated later (appears again: not counted twice); two new ones arrive
    zd.tickets[0] = ticket(1, T0, updated=T0 + timedelta(minutes=6))
    zd.tickets += [ticket(6, T0 + timedelta(minutes=4, seconds=10)),
                   ticket(7, T0 + timedelta(minutes=6))]
    collect_once(store, c, "tickets", T0 + timedelta(minutes=10))
    counts = ticket_counts(store, "zendesk")
    assert counts[(T0, "email")][0] == 2
    assert counts[(T0 + timedelta(minutes=4), "email")][0] == 2  # 5 and 6, recounted whole
    assert counts[(T0 + timedelta(minutes=6), "email")][0] == 1
    assert sum(n for n, _ in counts.values()) == 7


def test_tag_channels(store, fake):
    zd = FakeZendesk(fake)
    zd.tickets = [ticket(1, T0, tags=["outage", "vip"]), ticket(2, T0)]
    collect_once(store, collector(fake, since=T0, tag_channels=["outage"]), "tickets",
                 T0 + timedelta(minutes=5))
    assert set(ticket_counts(store, "zendesk")) == {(T0, "tag:outage"), (T0, "email")}


def test_429_retry_after_and_5xx(store, fake):
    zd = FakeZendesk(fake)
    zd.tickets = [ticket(1, T0)]
    zd.faults = [Reply(429, {"error": "APIRateLimitExceeded"}, headers={"Retry-After": "17"}),
                 Reply(503, {"error": "Service Unavailable"})]
    sleeps = Sleeps()
    collect_once(store, collector(fake, sleeps, since=T0), "tickets", T0 + timedelta(minutes=5))
    assert sleeps == [17.0, 4.0]
    assert ticket_counts(store, "zendesk")[(T0, "email")][0] == 1


def test_bad_token_is_permanent(fake):
    fake.route("GET", EXPORT, Reply(401, {"error": "Couldn't authenticate you"}))
    with pytest.raises(CollectorError) as err:
        list(collector(fake, token="ZD-SECRET", since=T0).fetch("tickets", None,
                                                                T0 + timedelta(minutes=5)))
    assert err.value.permanent and "ZD-SECRET" not in str(err.value)


def test_malformed_ticket_quarantined(store, fake):
    zd = FakeZendesk(fake)
    zd.tickets = [ticket(1, T0), {**ticket(2, T0), "created_at": "yesterday-ish"}]
    collect_once(store, collector(fake, since=T0), "tickets", T0 + timedelta(minutes=5))
    assert ticket_counts(store, "zendesk")[(T0, "email")][0] == 1
    assert len(quarantined(store, "zendesk")) == 1


def test_kill_then_restart_counts_once(store, fake):
    zd = FakeZendesk(fake)
    zd.tickets = [ticket(n, T0 + timedelta(seconds=10 * n)) for n in range(1, 12)]
    now = T0 + timedelta(minutes=10)
    with pytest.raises(Killed):
        collect_once(store, Dying(collector(fake, since=T0), after=0), "tickets", now)
    assert ticket_counts(store, "zendesk") == {}
    collect_once(store, collector(fake, since=T0), "tickets", now)
    collect_once(store, collector(fake, since=T0), "tickets", now)
    counts = ticket_counts(store, "zendesk")
    assert sum(n for n, _ in counts.values()) == 11


def test_check_uses_users_me(fake):
    FakeZendesk(fake)
    assert "ops@nimbus.example" in collector(fake).check()
