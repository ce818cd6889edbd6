"""`crisiswatch web` and `crisiswatch worker`: the dashboard and the pipeline as separate
processes, for a server with PostgreSQL (`crisiswatch run` keeps both in one process).

- `web [--threads N]` serves the dashboard with waitress (a production WSGI server); run
  several behind a proxy if one is not enough: sessions and throttles live in the database.
- `worker [--stages collect,score,...] [--interval S] [--once]` runs pipeline stages on a
  schedule. Every stage claims its work (`store.claims`), so any number of workers on any
  number of machines share one PostgreSQL database with no double work; SQLite allows one.
"""

from __future__ import annotations

import json
import sys
import threading

from crisiswatch.pipeline import STAGE_NAMES
from crisiswatch.wiring import utcnow


def stages_arg(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in STAGE_NAMES]
    if unknown or not names:
        raise ValueError(f"unknown stage(s) {', '.join(unknown) or '(none)'}; "
                         f"choose from {','.join(STAGE_NAMES)}")
    return tuple(STAGE_NAMES[n] for n in names)


def register(subparsers) -> None:
    web = subparsers.add_parser("web", help="serve the dashboard (production WSGI server)")
    web.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    web.set_defaults(func=cmd_web)
    worker = subparsers.add_parser("worker", help="run pipeline stages on a schedule")
    worker.add_argument("--stages", default=",".join(STAGE_NAMES),
                        help=f"comma-separated, in any order (default: all: "
                             f"{','.join(STAGE_NAMES)})")
    worker.add_argument("--interval", type=float, default=60.0,
                        help="seconds between cycles (default 60)")
    worker.add_argument("--once", action="store_true",
                        help="one cycle, print its counts as JSON, exit")
    worker.set_defaults(func=cmd_worker)


def cmd_web(args, app) -> int:
    from crisiswatch import serve

    pipeline = app.live_pipeline(load_model=False)  # web never scores: no model in memory
    serve.serve_wsgi(app, serve.dashboard(app, pipeline, utcnow), threads=args.threads)
    return 0


def cmd_worker(args, app) -> int:
    from crisiswatch import serve

    try:
        stages = stages_arg(args.stages)
    except ValueError as exc:
        print(f"crisiswatch worker: --stages: {exc}", file=sys.stderr)
        return 2
    pipeline = app.live_pipeline()
    if args.once:
        now = utcnow()
        print(json.dumps({key: pipeline.run_stage(key, now) for key in stages}))
        pipeline.report_health(now)
        return 1 if pipeline.stage_errors else 0
    try:
        serve.run_stages(pipeline, utcnow, args.interval, threading.Event(), stages)
    except KeyboardInterrupt:
        pass
    return 0
