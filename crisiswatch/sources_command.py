"""`crisiswatch sources check|import-csv` and `crisiswatch collect [--since DATE]`."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from crisiswatch import sources
from crisiswatch.wiring import utcnow


def cmd_sources_check(args, app) -> int:
    """One line per source: ok/FAIL, what was proved or what is wrong. Exit 1 on any
    failure. Secrets are never printed."""
    results = sources.check_sources(app.settings, only=args.source or None)
    if not app.settings.sources:
        print("no sources configured: add [sources.*] tables to the config file "
              "(see config.example.toml)", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([{"source": r.source, "ok": r.ok, "message": r.message,
                           "warnings": list(r.warnings)} for r in results]))
    else:
        for r in results:
            print(f"{'ok  ' if r.ok else 'FAIL'}  {r.source:10} {r.message}")
            for w in r.warnings:
                print(f"      {'':10} warning: {w}")
    return 0 if all(r.ok for r in results) else 1


def cmd_sources_import_csv(args, app) -> int:
    from collectors.csv_import import import_file

    result = import_file(app.store, args.file, utcnow(), source=args.source)
    print(f"{args.file}: {result['accepted']} new ticket(s), {result['duplicates']} already "
          f"imported, {result['quarantined']} unreadable row(s) quarantined")
    return 0


def cmd_collect(args, app) -> int:
    """Collect once from every configured source (or those named), with a progress bar;
    `--since` backfills from that date."""
    since = _date(args.since) if args.since else None
    now = utcnow()
    pairs = sources.configured_collectors(app.settings, store=app.store)
    if args.source:
        pairs = [(c, q) for c, q in pairs if c.name in args.source]
    if not pairs:
        print("no sources to collect from (see `crisiswatch sources check`)", file=sys.stderr)
        return 1
    secrets = sources.secret_values(app.settings)
    bar = _progress(len(pairs), since, now, quiet=args.quiet)
    result = sources.backfill(app.store, pairs, since, now, progress=bar.update)
    bar.close()
    failed = False
    for name, value in result.items():
        if isinstance(value, str):
            failed = True
            print(f"{name:10} {sources.scrub(value, secrets)}", file=sys.stderr)
        else:
            print(f"{name:10} {value} new")
    return 1 if failed else 0


class _progress:
    """A tqdm bar over mentions stored, showing how far back a backfill has reached."""

    def __init__(self, total_pairs: int, since: datetime | None, now: datetime, quiet: bool):
        from tqdm import tqdm

        self.since = since
        self.bar = tqdm(total=None, unit=" new", file=sys.stderr, disable=quiet,
                        desc="collecting" + (f" since {since:%Y-%m-%d}" if since else ""),
                        dynamic_ncols=True)

    def update(self, label: str, new: int, oldest: datetime | None) -> None:
        self.bar.update(new)
        self.bar.set_postfix_str(label + (f" at {oldest:%Y-%m-%d %H:%M}" if oldest else ""),
                                 refresh=False)

    def close(self) -> None:
        self.bar.close()


def _date(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def register(subparsers) -> None:
    src = subparsers.add_parser("sources", help="configured sources: check, import")
    sub = src.add_subparsers(dest="sources", required=True)
    check = sub.add_parser("check", help="validate config and credentials of every source")
    check.add_argument("source", nargs="*", help="only these sources")
    check.add_argument("--json", action="store_true", help="one JSON list")
    check.set_defaults(func=cmd_sources_check)
    imp = sub.add_parser("import-csv", help="import support tickets from a CSV export")
    imp.add_argument("file", help="CSV of mentions or ticket counts (see the README)")
    imp.add_argument("--source", default="csv-import", help="source name for the counts")
    imp.set_defaults(func=cmd_sources_import_csv)

    collect = subparsers.add_parser("collect", help="collect now from configured sources")
    collect.add_argument("--since", help="backfill from this date (ISO, UTC), e.g. 2026-11-01")
    collect.add_argument("--source", action="append", help="only this source (repeatable)")
    collect.add_argument("--quiet", action="store_true", help="no progress bar")
    collect.set_defaults(func=cmd_collect)
