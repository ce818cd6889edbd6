"""Sliding-window rate limits for the routes anyone can reach: the login form and the public
status page's subscription forms.

In memory, per process: the dashboard runs as one process (`crisiswatch serve`), so that is
where the counts are. Keys are client addresses (and user names for the login); behind a
reverse proxy, set `trusted_proxies` so the client address is the real one and not the
proxy's (see `client_address`)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

import flask


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
