"""`crisiswatch replay FILE --brand NAME [--handle @x ...] [--lang fr] [--onset ISO] --json`
(a stable contract): "what would crisiswatch have told us that day?"

Replays a recorded stream of posts through the same stages as `crisiswatch run` (collect,
score, detect, page, draft, remind, publish), headless and as fast as the machine allows,
in the recording's own time. Nothing leaves the machine: every channel is a log channel
(`<data dir>/replay-outbox.jsonl`). The database is the command's own (`<data dir>/replay.db`,
reset first) unless CRISISWATCH_DATABASE_URL names another.

FILE is `.csv` or `.jsonl` (by extension), one post per row: `created_at` (ISO 8601 with an
offset or `Z`, or Unix seconds) and `text`; optional `id` (else a stable id from the row),
`author`, `lang` (else `--lang`, else detected), `source` (default `x`), `followers`.
`--brand` is the brand's name as matched in text; `--handle` (repeatable) its own accounts,
whose posts are stored but never feed a series. Prints one JSON object (see `replay`)."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import func, select

from collectors.backoff import naive_utc
from collectors.base import CollectorError
from collectors.replay import ReplayCollector
from responders.channels.log import LogChannel
from store.models import AlertRow, MentionRow, QuarantineRow, ScoreRow

STEP = timedelta(hours=1)  # alerts carry their minute whatever the step; see replay()
TAIL = timedelta(hours=1)  # run past the last post so its minutes close
LOCAL_CHANNELS = ("statuspage", "dashboard")


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "replay", help="replay a recorded stream of posts through every stage, headless")
    p.add_argument("file", help=".csv or .jsonl of posts (created_at, text, ...)")
    p.add_argument("--brand", required=True, help="the brand's name as matched in the posts")
    p.add_argument("--handle", action="append", default=[], metavar="@ACCOUNT",
                   help="one of the brand's own accounts (repeatable): stored, never counted")
    p.add_argument("--lang", default=None, help="language of posts without a `lang` column")
    p.add_argument("--onset", default=None,
                   help="when the crisis began (ISO 8601): adds first_alert_after_onset_s "
                        "and alerts_before_onset")
    p.add_argument("--json", action="store_true", help="print one JSON object (the contract)")
    p.set_defaults(func=cmd_replay, own_db="replay.db")


def cmd_replay(args, app) -> int:
    try:
        onset = naive_utc(args.onset) if args.onset else None
    except (TypeError, ValueError):
        print(f"crisiswatch replay: --onset {args.onset!r} is not an ISO 8601 time",
              file=sys.stderr)
        return 2
    collector = ReplayCollector(args.file, default_source="x", default_lang=args.lang)
    try:
        result = replay(app, collector, brand=args.brand, handles=tuple(args.handle),
                        onset=onset)
    except CollectorError as exc:
        print(f"crisiswatch replay: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


def replay(app, collector: ReplayCollector, *, brand: str, handles: tuple[str, ...] = (),
           onset: datetime | None = None) -> dict:
    """Run the recording through every stage; returns the figures `--json` prints.

    Time steps an hour at a time from the first post to an hour past the last: detection
    processes every closed minute and dates an alert by the minute that raised it, so the
    step only sets how often the other stages run, not when an alert is dated."""
    times = [at for at, _, err in collector.records() if err is None]
    if not times:
        raise CollectorError(f"replay: no readable post in {collector.path}", permanent=True)
    app.store.reset()
    settings = app.settings
    own = replace(settings.brand, name=brand, handle=handles[0] if handles else "",
                  accounts=handles[1:], keywords=(brand,))
    pipeline = app.pipeline([(collector, brand)])
    pipeline.brand = own
    outbox = settings.data_dir / "replay-outbox.jsonl"
    pipeline.channels = {  # the status page and dashboard stay: they only write the store
        name: ch if name in LOCAL_CHANNELS else LogChannel(name, outbox)
        for name, ch in pipeline.channels.items()}
    began = time.perf_counter()
    now, end = min(times), max(times) + TAIL
    while now < end:
        now = min(now + STEP, end)
        pipeline.run_once(now)
    elapsed = time.perf_counter() - began
    with app.store.session() as session:
        alerts = session.execute(select(AlertRow).order_by(AlertRow.opened_at)).scalars().all()
        mentions = session.execute(select(func.count()).select_from(MentionRow)).scalar_one()
        scored = session.execute(select(func.count()).select_from(ScoreRow)).scalar_one()
        quarantined = session.execute(
            select(func.count()).select_from(QuarantineRow)).scalar_one()
    result = {
        "mentions": mentions,
        "scored": scored,
        "quarantined": quarantined,
        "alerts": len(alerts),
        "alert_list": [{"opened_at": a.opened_at.isoformat() + "Z", "kinds": list(a.kinds),
                        "severity": a.severity} for a in alerts],
        "stage_errors": dict(pipeline.stage_errors),
    }
    if onset is not None:
        after = [a for a in alerts if a.opened_at >= onset]
        result["onset"] = onset.isoformat() + "Z"
        result["first_alert_after_onset_s"] = (
            (after[0].opened_at - onset).total_seconds() if after else None)
        result["alerts_before_onset"] = len(alerts) - len(after)
    result["elapsed_s"] = round(elapsed, 2)
    return result
