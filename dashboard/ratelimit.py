"""Rate limits for the routes anyone can reach: the login form and the public status page's
subscription forms.

`DbRateLimit` counts in the database with one conditional statement, so a burst of
parallel requests, or several web processes, cannot get past it (the login throttle and
the subscribe routes use it). `RateLimit` is the in-memory sliding window, per process. Keys are client addresses (and user names for the login); behind a
reverse proxy, set `trusted_proxies` so the client address is the real one and not the
proxy's (see `client_address`)."""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta

import flask
from sqlalchemy import case, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from store.models import RateCountRow


class RateLimit:
    """At most `limit` events per `window` seconds for each key.

    `wait(key)` says how long (seconds, 0 = not limited) before the key may act again;
    `hit(key)` records an event; `take(key)` does both under one lock, recording the event
    only when it is allowed (for limits where every request counts). Memory is bounded: past
    `max_keys` keys, the ones idle longest are forgotten first."""

    def __init__(self, limit: int, window: float, *, max_keys: int = 10_000,
                 clock: Callable[[], float] = time.monotonic):
        self.limit, self.window, self.max_keys, self.clock = limit, window, max_keys, clock
        self._events: OrderedDict[Hashable, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, key: Hashable) -> float:
        with self._lock:
            return self._wait(key)

    def take(self, key: Hashable) -> float:
        with self._lock:
            wait = self._wait(key)
            if not wait:
                self._hit(key)
            return wait

    def hit(self, key: Hashable) -> None:
        with self._lock:
            self._hit(key)

    def _wait(self, key: Hashable) -> float:
        events = self._trimmed(key)
        if events is None or len(events) < self.limit:
            return 0.0
        return max(0.0, events[0] + self.window - self.clock())

    def _hit(self, key: Hashable) -> None:
        events = self._trimmed(key)
        if events is None:
            events = self._events[key] = deque()
            while len(self._events) > self.max_keys:
                self._events.popitem(last=False)
        events.append(self.clock())
        self._events.move_to_end(key)

    def _trimmed(self, key: Hashable) -> deque[float] | None:
        events = self._events.get(key)
        if events is None:
            return None
        horizon = self.clock() - self.window
        while events and events[0] <= horizon:
            events.popleft()
        if not events:
            del self._events[key]
            return None
        return events


def client_address() -> str:
    """The requesting client's address (the proxy-corrected one when `trusted_proxies`
    wrapped the app in werkzeug's ProxyFix)."""
    return flask.request.remote_addr or "?"


def retry_minutes(seconds: float) -> int:
    """Whole minutes to tell a limited client to wait (at least 1)."""
    return max(1, math.ceil(seconds / 60))


def retry_after(seconds: float) -> dict[str, str]:
    """The `Retry-After` header for a 429 answer."""
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


class DbRateLimit:
    """At most `limit` events per `window` seconds for each key, counted in the database.

    `take(store, key)` takes one slot with a single conditional UPSERT on `rate_counts`
    (``INSERT ... ON CONFLICT (key) DO UPDATE SET count = count + 1 WHERE count < limit
    RETURNING count``; the window restarts once it has passed), so no two threads or web
    processes can both take the last slot: it returns 0 when taken, else the seconds to
    wait. `give_back` returns a slot (a login that turned out right is not a failure).
    The window runs from the first event of a burst; times are UTC wall-clock seconds,
    the one clock every process shares."""

    def __init__(self, name: str, limit: int, window: float, *,
                 clock: Callable[[], datetime] | None = None):
        self.name, self.limit, self.window = name, limit, timedelta(seconds=window)
        self.clock = clock or (lambda: datetime.now(UTC).replace(tzinfo=None))
        self._takes = 0

    def _key(self, key: Hashable) -> str:
        text = f"{self.name}:{key!r}"
        return text if len(text) <= 200 else \
            f"{self.name}:sha256:{hashlib.sha256(text.encode()).hexdigest()}"

    def take(self, store, key: Hashable) -> float:
        now, k = self.clock(), self._key(key)
        table = RateCountRow.__table__
        stale = table.c.window_start <= now - self.window
        insert = (pg_insert if store.engine.dialect.name == "postgresql" else sqlite_insert)
        stmt = insert(table).values(key=k, window_start=now, count=1).on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((stale, 1), else_=table.c.count + 1),
                  "window_start": case((stale, now), else_=table.c.window_start)},
            where=or_(stale, table.c.count < self.limit),
        ).returning(table.c.count)
        with store.session() as session:
            if session.execute(stmt).first() is not None:
                self._tidy(session, now)
                return 0.0
            start = session.execute(select(table.c.window_start)
                                    .where(table.c.key == k)).scalar_one_or_none()
        if start is None:
            return 0.0
        return max(1.0, (start + self.window - now).total_seconds())

    def give_back(self, store, key: Hashable) -> None:
        table = RateCountRow.__table__
        with store.session() as session:
            session.execute(update(table).where(table.c.key == self._key(key),
                                                table.c.count > 0)
                            .values(count=table.c.count - 1))

    def _tidy(self, session, now: datetime) -> None:
        self._takes += 1
        if self._takes % 500 == 0:  # keys whose window has long passed
            table = RateCountRow.__table__
            session.execute(delete(table).where(table.c.window_start <= now - 2 * self.window))
