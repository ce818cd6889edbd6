"""Replays a recorded crisis (JSONL or CSV of mentions) as if it were happening now, for
drills on real past events.

The recording's timeline is moved to start at `start` and compressed by `speed` (speed 20:
one recorded hour plays in three minutes); `fetch(now)` emits every record whose replayed
time has come. Records are sorted by their recorded time once, so the cursor is simply
how many have been emitted; unreadable records sort first and are quarantined in the
first batch. Replayed mentions keep their platform as `source` and get external ids
prefixed with "replay:", so they never collide with live collection.

Record fields: created_at (ISO 8601 with an offset or ``Z``, naive meaning UTC, or Unix
seconds) and text, and optionally id (or external_id; else a stable id from the record's
time, author and text), source, author, author_followers (or followers), lang, url,
in_reply_to, metrics (JSON object), and retweet_of / quote_of.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from collectors.backoff import lang_or_none, naive_utc, plain_text
from collectors.base import Batch, CollectorError, Mention
from collectors.ingest import quarantine, text_problem

BATCH = 500


class ReplayCollector:
    name = "replay"

    def __init__(self, path: str | Path, *, start: datetime | None = None,
                 speed: float = 1.0, default_source: str = "replay",
                 default_lang: str | None = None, rows: list | None = None):
        """`rows`, when given, are the records already read (an exercise keeps its
        recording in the store); `path` then only names them in messages."""
        if speed <= 0:
            raise CollectorError("replay: speed must be positive", permanent=True)
        self.path, self.speed, self.default_source = Path(path), float(speed), default_source
        self.start, self.default_lang = start, default_lang
        self.since: datetime | None = None
        self._records: list[tuple[datetime | None, dict | str, str | None]] | None = None
        self._rows = rows

    @classmethod
    def from_config(cls, conf: dict) -> ReplayCollector:
        """[sources.replay]: path (.jsonl or .csv), start (ISO time the recording's first
        record is replayed at; default: its own time), speed (time compression)."""
        if not conf.get("path"):
            raise CollectorError("replay: no path configured", permanent=True)
        start = datetime.fromisoformat(conf["start"]) if conf.get("start") else None
        return cls(conf["path"], start=start, speed=float(conf.get("speed", 1.0)),
                   default_source=conf.get("default_source", "replay"))

    def check(self) -> str:
        records = self.records()
        good = sum(1 for at, _, err in records if err is None)
        return f"{good} record(s) readable, {len(records) - good} unreadable"

    def records(self) -> list[tuple[datetime | None, dict | str, str | None]]:
        """(recorded time, record, error) sorted: unreadable first, then by time and id."""
        if self._records is None:
            try:
                raw = list(self._rows) if self._rows is not None else list(_read(self.path))
            except OSError as exc:
                raise CollectorError(f"replay: cannot read {self.path}: {exc.strerror}",
                                     permanent=True) from exc
            out = []
            for rec in raw:
                try:
                    if not isinstance(rec, dict):
                        raise TypeError("not an object")
                    if (problem := text_problem(rec)) is not None:
                        raise ValueError(problem)
                    out.append((recorded_at(rec["created_at"]), rec, None))
                except (KeyError, TypeError, ValueError, OverflowError, OSError) as exc:
                    out.append((None, rec, repr(exc)))
            out.sort(key=lambda r: (r[0] is not None, r[0] or datetime.min,
                                    str(r[1].get("id", "")) if isinstance(r[1], dict) else ""))
            self._records = out
        return self._records

    def replayed_at(self, recorded: datetime) -> datetime:
        first = next((at for at, _, err in self.records() if at is not None), recorded)
        start = self.start or first
        return start + (recorded - first) / self.speed

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        records = self.records()
        done = int(cursor) if cursor else 0
        batch = Batch()
        while done < len(records):
            at, rec, error = records[done]
            if at is not None and self.replayed_at(at) > now:
                break
            if error is None:
                try:
                    batch.mentions.append(self.mention(rec, self.replayed_at(at)))
                except (KeyError, TypeError, ValueError, OverflowError) as exc:
                    batch.quarantined.append(quarantine(rec, f"replay: {exc!r}"))
            else:
                batch.quarantined.append(quarantine(rec, f"replay: {error}"))
            done += 1
            if len(batch.mentions) + len(batch.quarantined) >= BATCH:
                yield Batch(batch.mentions, quarantined=batch.quarantined, cursor=str(done))
                batch = Batch()
        if batch.mentions or batch.quarantined:
            yield Batch(batch.mentions, quarantined=batch.quarantined, cursor=str(done))

    def mention(self, rec: dict, at: datetime) -> Mention:
        ident = str(rec.get("id") or rec.get("external_id") or stable_id(rec))
        metrics = rec.get("metrics") or {}
        if isinstance(metrics, str):
            metrics = json.loads(metrics) if metrics.strip() else {}
        metrics = {**metrics, "replayed_from": rec["created_at"]}
        for link in ("retweet_of", "quote_of"):
            if rec.get(link):
                metrics[link] = "replay:" + str(rec[link])
        text = plain_text(rec["text"])
        if not text:
            raise ValueError("empty text")
        return Mention(
            source=str(rec.get("source") or self.default_source)[:32],
            external_id=("replay:" + ident)[:128], url=rec.get("url") or None,
            author=str(rec.get("author") or "unknown")[:128],
            author_followers=int(rec.get("author_followers") or rec.get("followers") or 0),
            text=text, lang=lang_or_none(rec.get("lang")) or self.default_lang,
            created_at=at, metrics=metrics,
            in_reply_to=("replay:" + str(rec["in_reply_to"])) if rec.get("in_reply_to") else None,
            raw=rec,
        )


_UNIX_SECONDS = re.compile(r"\s*-?\d+(\.\d+)?\s*")


def recorded_at(value) -> datetime:
    """A record's time as naive UTC: ISO 8601 (offset, ``Z`` or naive UTC), or Unix seconds
    as a number or as digits (a CSV cell)."""
    if isinstance(value, str) and _UNIX_SECONDS.fullmatch(value):
        value = float(value)
    return naive_utc(value)


def stable_id(rec: dict) -> str:
    """The same id for the same record on every run, so a replay never stores it twice."""
    key = "\0".join(str(rec.get(k) or "") for k in ("created_at", "author", "text"))
    return "h" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def read_records(path: str | Path) -> list[dict | str]:
    """The raw records of a `.jsonl` or `.csv` recording (a line that is not JSON is kept
    as its text, for `ReplayCollector` to quarantine); raises OSError."""
    return list(_read(Path(path)))


def _read(path: Path) -> Iterator[dict | str]:
    # surrogateescape: an invalid UTF-8 byte becomes a lone surrogate in that record only,
    # which `records()` quarantines (text_problem), instead of ending the whole read.
    if path.suffix.lower() == ".csv":
        with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
            yield from csv.DictReader(f)
        return
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if line.strip():
                try:
                    yield json.loads(line)
                except (ValueError, RecursionError):
                    yield line.rstrip("\n")

