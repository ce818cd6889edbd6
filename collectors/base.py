"""The one record every source produces, and the contract every collector keeps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Mention:
    """A brand mention as a collector saw it, keyed by (source, external_id)."""

    source: str
    external_id: str
    author: str
    text: str
    created_at: datetime
    url: str | None = None
    author_followers: int = 0
    lang: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    in_reply_to: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TicketCount:
    """Support tickets opened during one minute on one channel."""

    source: str
    minute: datetime
    count: int
    channel: str = "all"
    subjects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Batch:
    """What one fetch returned: mentions, ticket counts, payloads it could not read, and
    the cursor position that covers them (saved in the same transaction)."""

    mentions: list[Mention] = field(default_factory=list)
    tickets: list[TicketCount] = field(default_factory=list)
    quarantined: list[tuple[str, str]] = field(default_factory=list)  # (raw payload, error)
    cursor: str | None = None


class CollectorError(Exception):
    """A source failed; `permanent` errors (bad credentials) stop that source only."""

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Collector(Protocol):
    """A source of mentions. `fetch` returns what is new after `cursor` up to `now`;
    it never reads the clock itself, so drills can compress time."""

    name: str

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]: ...


def keywords(query: str) -> list[str]:
    """Lower-case words and quoted phrases of a query ("nimbus" OR "#nimbusdown")."""
    phrases = re.findall(r'"([^"]+)"', query)
    rest = re.sub(r'"[^"]+"', " ", query)
    words = [w for w in re.findall(r"[#@]?[\w.-]+", rest) if w.upper() not in ("OR", "AND")]
    return [w.lower() for w in phrases + words]


def matches(words: list[str], text: str) -> bool:
    low = text.lower()
    return any(w in low for w in words)
