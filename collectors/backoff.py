"""One retry policy for every source: rate limits waited out, transient faults retried
with exponential backoff, permanent faults (bad credentials, suspended access) raised as
`CollectorError(permanent=True)`.

Sleeping goes through an injected `sleep` callable so tests never wait, and every wait
is at least `floor` seconds: a collector that honours the policy never hammers an API.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import requests

from collectors.base import CollectorError

T = TypeVar("T")


@dataclass(frozen=True)
class Verdict:
    """How to treat one failure: `kind` is "rate", "transient" or "permanent"; `wait` is
    what the server asked for (seconds), None to back off exponentially."""

    kind: str
    message: str
    wait: float | None = None


@dataclass
class Backoff:
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time  # epoch seconds, for reset timestamps
    attempts: int = 5
    base: float = 2.0
    floor: float = 1.0
    cap: float = 900.0  # X's rate window is 15 minutes; nothing asks for longer
    slept: list[float] = field(default_factory=list)  # what it waited, for reports and tests

    def run(self, call: Callable[[], T], classify: Callable[[Exception], Verdict | None]) -> T:
        """`call()` until it succeeds; `classify` maps an exception to a Verdict (None:
        not ours, re-raised as is). Gives up with a transient CollectorError."""
        for attempt in range(self.attempts):
            try:
                return call()
            except CollectorError:
                raise
            except Exception as exc:
                verdict = classify(exc)
                if verdict is None:
                    raise
                if verdict.kind == "permanent":
                    raise CollectorError(verdict.message, permanent=True) from exc
                if attempt == self.attempts - 1:
                    raise CollectorError(
                        f"{verdict.message} (gave up after {self.attempts} attempts)") from exc
                self.pause(verdict.wait if verdict.wait is not None
                           else self.base * 2 ** attempt)
        raise AssertionError("unreachable")

    def pause(self, seconds: float) -> None:
        wait = min(self.cap, max(self.floor, seconds))
        self.slept.append(wait)
        self.sleep(wait)

    def until(self, reset_epoch: float | str | None, margin: float = 1.0) -> float | None:
        """Seconds until an epoch reset time (header value), None if absent/garbled."""
        try:
            return max(0.0, float(reset_epoch) - self.clock()) + margin
        except (TypeError, ValueError):
            return None


def retry_after(value: str | None, clock: Callable[[], float] = time.time) -> float | None:
    """A Retry-After header in seconds (delta-seconds or an HTTP date), None if absent."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - clock())
    except (TypeError, ValueError):
        return None


def http_verdict(status: int, what: str, wait: float | None = None) -> Verdict | None:
    """The usual meaning of an HTTP status for a collector."""
    if status == 429:
        return Verdict("rate", f"{what}: rate limited (429)", wait)
    if status in (401, 403):
        return Verdict("permanent", f"{what}: access refused ({status}): check credentials "
                                    "and that the account is not suspended")
    if status == 404:
        return Verdict("permanent", f"{what}: not found (404): check the configured URL")
    if status >= 500 or status == 408:
        return Verdict("transient", f"{what}: server error ({status})")
    return None


class RetryingSession(requests.Session):
    """A requests session that waits out 429s (Retry-After), retries 5xx and connection
    errors under a Backoff, and returns the last response when it gives up, so client
    libraries built on requests (zenpy, the feed fetcher) see one polite HTTP chokepoint."""

    RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

    def __init__(self, backoff: Backoff, timeout: float = 30.0):
        super().__init__()
        self.backoff = backoff
        self.timeout = timeout

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        for attempt in range(self.backoff.attempts):
            last = attempt == self.backoff.attempts - 1
            try:
                response = super().request(method, url, *args, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if last:
                    raise
                self.backoff.pause(self.backoff.base * 2 ** attempt)
                continue
            if response.status_code not in self.RETRY_STATUSES or last:
                return response
            wait = retry_after(response.headers.get("Retry-After"), self.backoff.clock)
            self.backoff.pause(wait if wait is not None else self.backoff.base * 2 ** attempt)
        raise AssertionError("unreachable")


# --- normalising text at the edge ----------------------------------------------------------

_TAGS = re.compile(r"<[^>]+>")
_BREAKS = re.compile(r"<\s*(br|/p|/li|/div)\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"[ \t\r\f\v]+")


def plain_text(value: str | None) -> str:
    """HTML (Mastodon, feeds) or entity-escaped text (X) as plain text."""
    if not value:
        return ""
    text = _BREAKS.sub("\n", value)
    text = _TAGS.sub("", text)
    text = html.unescape(text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines()).strip()


def naive_utc(value: Any) -> datetime:
    """An ISO string, epoch number or datetime as a naive UTC datetime (the store's time)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)):
        dt = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str):
        dt = datetime.fromisoformat(value)  # 3.11 reads "Z" and fractions
    else:
        raise TypeError(f"not a time: {value!r}")
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def lang_or_none(value: str | None) -> str | None:
    """An API's language tag, None when it says it does not know (the scorer detects)."""
    if not value or value in ("und", "zxx", "qme", "qht", "art"):
        return None
    return value.split("-")[0].lower()[:8]

