"""Support tickets from CSV exports (any help desk can produce one).

Two ways in:
- `CSVTicketCollector`: configured files, re-read whenever they change; together they are
  the authority for the minutes they cover (a minute's count is recomputed from all the
  files and replaces the stored one), so a re-run or an appended row never double counts.
- `import_file(store, path, now)`: a one-off import (`crisiswatch sources import-csv`);
  tickets are stored once per id, like the webhook's, so importing twice is harmless and
  overlapping exports add up correctly.

Columns (names configurable): id, created_at (ISO 8601, UTC if no offset), channel,
subject; rows missing an id or a readable time are quarantined.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from collectors.backoff import naive_utc
from collectors.base import Batch, CollectorError, TicketCount
from collectors.ingest import quarantine, text_problem

COLUMNS = {"id": "id", "created_at": "created_at", "channel": "channel", "subject": "subject"}


def read_rows(path: str | Path, columns: dict | None = None) -> tuple[list[dict], list]:
    """(tickets, quarantined) from one CSV file; tickets are dicts with id, created_at
    (naive UTC), channel, subject."""
    cols = {**COLUMNS, **(columns or {})}
    good, bad = [], []
    # surrogateescape: an invalid UTF-8 byte spoils its row only (quarantined below).
    with open(path, newline="", encoding="utf-8-sig", errors="surrogateescape") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            try:
                if (problem := text_problem(row)) is not None:
                    raise ValueError(problem)
                ident = (row.get(cols["id"]) or "").strip()
                if not ident:
                    raise ValueError("no ticket id")
                good.append({"id": ident, "created_at": naive_utc(row[cols["created_at"]].strip()),
                             "channel": (row.get(cols["channel"]) or "unknown").strip()[:32]
                             or "unknown",
                             "subject": (row.get(cols["subject"]) or "").strip()[:500]})
            except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
                bad.append(quarantine(row, f"csv: {Path(path).name} line {n}: {exc!r}"))
    return good, bad


class CSVTicketCollector:
    name = "csv"

    def __init__(self, paths: list[str], columns: dict | None = None):
        if not paths:
            raise CollectorError("csv: no files configured ([sources.csv] paths = [...])",
                                 permanent=True)
        self.paths, self.columns = [Path(p) for p in paths], columns or {}
        self.since: datetime | None = None

    @classmethod
    def from_config(cls, conf: dict) -> CSVTicketCollector:
        """[sources.csv]: paths (CSV files), columns (a table mapping id, created_at,
        channel, subject to the file's column names)."""
        return cls(conf.get("paths", []), conf.get("columns"))

    @staticmethod
    def queries(conf: dict) -> list[str]:
        return ["files"]  # all files together: they share the minutes they count

    def check(self) -> str:
        missing = [str(p) for p in self.paths if not p.is_file()]
        if missing:
            raise CollectorError(f"csv: file(s) not found: {', '.join(missing)}", permanent=True)
        return f"{len(self.paths)} file(s) readable"

    def fetch(self, query: str, cursor: str | None, now: datetime) -> Iterator[Batch]:
        digest = hashlib.sha256()
        for path in self.paths:
            try:
                digest.update(path.read_bytes())
            except OSError as exc:
                raise CollectorError(f"csv: cannot read {path}: {exc.strerror}",
                                     permanent=True) from exc
        fingerprint = digest.hexdigest()
        if cursor == fingerprint:
            return  # nothing changed since the last read
        tickets: dict[str, dict] = {}
        bad: list = []
        for path in self.paths:
            rows, rejected = read_rows(path, self.columns)
            bad += rejected
            for row in rows:
                tickets.setdefault(row["id"], row)  # the same ticket in two exports: once
        counts: dict[tuple[datetime, str], list[str]] = defaultdict(list)
        for t in tickets.values():
            if self.since and t["created_at"] < self.since:
                continue
            counts[(t["created_at"].replace(second=0, microsecond=0), t["channel"])].append(
                t["subject"])
        yield Batch(tickets=[TicketCount(self.name, minute, len(subjects), channel,
                                         tuple(s for s in subjects if s)[:20])
                             for (minute, channel), subjects in sorted(counts.items())],
                    quarantined=bad, cursor=fingerprint)


def import_file(store, path: str | Path, now: datetime, source: str = "csv-import",
                columns: dict | None = None) -> dict:
    """Import one CSV once: tickets stored by id, per-minute counts recounted."""
    from collectors.ingest import save_batch
    from collectors.tickets import accept

    rows, bad = read_rows(path, columns)
    result = accept(store, [{**r, "created_at": r["created_at"].isoformat()} for r in rows],
                    now, source=source)
    if bad:
        with store.session() as session:
            save_batch(session, source, source, Batch(quarantined=bad), now)
    result["quarantined"] += len(bad)
    return result
