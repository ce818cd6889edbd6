"""`crisiswatch` command line: demo, drill, run, db upgrade, users add here, and the
commands that live in their own modules (COMMAND_MODULES: lint, signals, sources, collect,
sentiment, rumours, replay, web, worker, contacts, broadcasts, regulator, plan).

Every command and option has a help text (tests/crisiswatch/test_cli_help.py walks them
all), and an option's default is shown in its help when the text does not already say it
(`DefaultsShown`)."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from importlib import import_module
from pathlib import Path

from crisiswatch import settings as config
from crisiswatch.config_check import EXIT_CODE as CONFIG_EXIT
from crisiswatch.config_check import ConfigError
from crisiswatch.wiring import App, utcnow

# Commands that live in their own module: each has `register(subparsers)`, setting
# `func(args, app) -> int` on its parser (lint sets `run(args)` and needs no app).
COMMAND_MODULES = ("lint_command", "signals_command", "sources_command", "sentiment_command",
                   "replay_command", "process_commands", "contacts_command", "plan_command")


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("crisiswatch")
    except PackageNotFoundError:
        return "unknown (not installed)"



class DefaultsShown(argparse.HelpFormatter):
    """Adds "(default: X)" to an option's help unless the text already names its default,
    so no help line says "default" twice."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        shown = action.default not in (None, False, True, [], "", argparse.SUPPRESS)
        if shown and action.option_strings and "default" not in text.lower():
            text += " (default: %(default)s)"
        return text


def all_parsers(p: argparse.ArgumentParser):
    """`p` and every sub-command parser below it."""
    yield p
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from all_parsers(sub)


def cmd_demo(args, app: App) -> int:
    from crisiswatch.demo import run_demo

    return run_demo(app, scenario=args.scenario, speed=args.speed, seed=args.seed,
                    open_browser=not args.no_browser)


def cmd_drill(args, app: App) -> int:
    from collectors.drill import DrillPlan
    from crisiswatch.drill import run_drill

    if not args.keep:
        app.store.reset()
    result = run_drill(app.pipeline, DrillPlan(scenario=args.scenario, seed=args.seed))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:28} {value}")
    return 0


def cmd_run(args, app: App) -> int:
    """Every stage on a schedule against the configured sources, with the dashboard."""
    from crisiswatch import serve

    pipeline = app.live_pipeline()
    if all(c.name == "exercise" for c, _ in pipeline.collectors):  # the exercise feed only
        print("no sources configured; add [sources.*] to the config file "
              "(see config.example.toml)", file=sys.stderr)
    if args.once:
        print(json.dumps(pipeline.run_once(utcnow())))
        return 0
    if args.no_dashboard:
        while True:
            logging.getLogger("crisiswatch").info("cycle: %s", pipeline.run_once(utcnow()))
            time.sleep(args.interval)
    serve.serve_forever(app, serve.start(app, pipeline, utcnow, args.interval))
    return 0


def cmd_db_upgrade(args, app: App) -> int:
    app.store.upgrade()  # opening the store upgrades too; saying it twice is harmless
    print(f"database at head: {_safe_url(app.settings.database_url)}")
    return 0


def cmd_db_backup(args, app: App) -> int:
    from crisiswatch.db_backup import BackupError, backup

    try:
        print(backup(app.settings.database_url, Path(args.file)))
    except BackupError as exc:
        print(f"crisiswatch db backup: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_users_add(args, app: App) -> int:
    from dashboard.auth import add_user

    password = args.password or getpass.getpass(f"password for {args.username}: ")
    with app.store.session() as session:
        add_user(session, args.username, password, args.role, now=utcnow())
    print(f"user {args.username} added with role {args.role}")
    return 0


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="crisiswatch",
        description="A crisis-communication cockpit: listen to what people say about the "
                    "brand, notice a crisis early, say the right thing to each audience.",
        epilog="`crisiswatch COMMAND --help` tells more. Start with `crisiswatch demo`.")
    p.add_argument("--version", action="version", version=f"crisiswatch {version()}")
    p.add_argument("--config", metavar="FILE",
                   help="TOML config file (default: $CRISISWATCH_CONFIG; see config.example.toml)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the dashboard on a simulated crisis, offline")
    demo.add_argument("--scenario", default="outage", choices=["outage", "data-leak"],
                      help="which simulated crisis (default outage)")
    demo.add_argument("--speed", type=float, default=20.0,
                      help="simulated seconds per real second (default 20)")
    demo.add_argument("--seed", type=int, default=7,
                      help="random seed of the simulation (default 7: the same crisis each time)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    demo.set_defaults(func=cmd_demo, own_db="demo.db")

    drill = sub.add_parser("drill", help="run a whole drill headless and report")
    drill.add_argument("--scenario", default="outage", choices=["outage", "data-leak"],
                       help="which simulated crisis (default outage)")
    drill.add_argument("--seed", type=int, default=7,
                       help="random seed (default 7): the same seed gives the same figures")
    drill.add_argument("--json", action="store_true", help="print one JSON object")
    drill.add_argument("--keep", action="store_true", help="do not reset the database first")
    drill.set_defaults(func=cmd_drill, own_db="drill.db")

    run = sub.add_parser("run", help="all stages on a schedule against configured sources")
    run.add_argument("--interval", type=float, default=60.0, help="seconds between cycles (default 60)")
    run.add_argument("--once", action="store_true", help="one cycle, print its counts, exit")
    run.add_argument("--no-dashboard", action="store_true", help="the pipeline only")
    run.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="db", required=True, metavar="ACTION")
    db.add_parser("upgrade", help="migrate the schema to the latest version").set_defaults(
        func=cmd_db_upgrade)
    backup = db.add_parser("backup", help="a consistent copy of the store while it runs "
                                          "(SQLite backup API, or pg_dump on PostgreSQL)")
    backup.add_argument("file", help="where to write the copy (must not exist)")
    backup.set_defaults(func=cmd_db_backup)

    users = sub.add_parser("users", help="dashboard users").add_subparsers(
        dest="users", required=True, metavar="ACTION")
    add = users.add_parser("add", help="create a user")
    add.add_argument("username", help="the login name")
    add.add_argument("--role", default="admin", choices=["viewer", "editor", "approver", "admin"],
                     help="what the user may do (default admin)")
    add.add_argument("--password", help="the password (prompted when omitted)")
    add.set_defaults(func=cmd_users_add)

    for module in COMMAND_MODULES:
        import_module(f"crisiswatch.{module}").register(sub)
    for each in all_parsers(p):  # the command modules build their own parsers
        each.formatter_class = DefaultsShown
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        stream=sys.stderr)
    for chatty in ("alembic", "werkzeug"):  # one line per migration step or request
        logging.getLogger(chatty).setLevel(logging.WARNING)
    try:
        if args.command == "lint":  # pure text in, findings out: no store, no settings
            from crisiswatch import lint_command

            return lint_command.run(args)
        settings = config.load(args.config)
        own_db = getattr(args, "own_db", None)
        if own_db and not config.env("CRISISWATCH_DATABASE_URL"):
            settings.database_url = "sqlite:///" + str(settings.data_dir / own_db)
        return args.func(args, App(settings))
    except ConfigError as exc:  # one line per problem, no traceback, no secret
        for line in exc.lines:
            print(f"crisiswatch: configuration error: {line}", file=sys.stderr)
        return CONFIG_EXIT


if __name__ == "__main__":
    sys.exit(main())
