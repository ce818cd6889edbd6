"""`crisiswatch lint`: check one message against the crisis-communication rules.

Contract (stable)::

    crisiswatch lint [--audience team|ceo|customers|board] [--phase PHASE] [--lang en|fr]
                     [--channel CHANNEL] [--now ISO] [--tz NAME] [--json] FILE

FILE is a path or ``-`` for stdin and holds one message. Prints one line per finding (or, with
``--json``, a JSON list of ``{rule, severity, span, text, message}`` where ``text`` is the offending
substring or null); messages are in ``--lang``'s language. ``--now`` is when the message would
be sent (ISO 8601 with an offset or ``Z``; naive means UTC): a next-update time at or before it
is an error (``stale``). Times in the message are read in ``--tz`` (default: the brand's zone for
that language from the configuration, else UTC) unless they say UTC. ``run(args)`` returns 1
when any finding is an error, 2 on bad input, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from responders.lint import lint, zone

AUDIENCES = ("team", "ceo", "customers", "board")
PHASES = ("investigating", "identified", "fixing", "monitoring", "resolved", "postmortem")


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``lint`` subcommand; its handler is stored as ``func`` (call ``args.func(args)``)."""
    parser = subparsers.add_parser(
        "lint",
        help="check a message against the crisis-communication rules",
        description="Check one message (FILE, or - for stdin) for truth, calm, action, "
        "over-promises, stale next-update times, vagueness, blame, denial, mixed language "
        "and channel length.",
    )
    parser.add_argument("--audience", choices=AUDIENCES, default="customers",
                        help="who reads it (default customers)")
    parser.add_argument("--phase", choices=PHASES, default=None,
                        help="the incident's phase when it is sent")
    parser.add_argument("--lang", choices=("en", "fr"), default="en",
                        help="the message's language, and the findings' (default en)")
    parser.add_argument("--channel", default=None, help="x, bluesky, mastodon, sms, ...")
    parser.add_argument("--now", default=None, metavar="ISO",
                        help="when the message would be sent, e.g. 2026-12-03T11:59:00Z "
                        "(naive = UTC); a next update promised at or before it is an error")
    parser.add_argument("--tz", default=None, metavar="NAME",
                        help="time zone of times in the message that do not say UTC, e.g. "
                        "Europe/Paris (default: the brand's zone for --lang, else UTC)")
    parser.add_argument("--json", action="store_true", help="print findings as a JSON list")
    parser.add_argument("file", metavar="FILE", help="message file, or - for stdin")
    parser.set_defaults(func=run)
    return parser


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def parse_now(value: str | None) -> datetime | None:
    """``--now``: ISO 8601, ``Z`` or an offset; naive is UTC. ValueError otherwise."""
    if value is None:
        return None
    raw = value.strip()
    at = datetime.fromisoformat(raw[:-1] + "+00:00" if raw[-1:] in "Zz" else raw)
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


def _default_tz(lang: str) -> str:
    try:
        from crisiswatch.settings import load_brand

        return load_brand().tz_for(lang)
    except (OSError, ValueError) as exc:  # a broken config must not hide the lint result
        print(f"crisiswatch lint: configuration ignored ({exc}); times read as UTC",
              file=sys.stderr)
        return "UTC"


def run(args: argparse.Namespace) -> int:
    """Lint the message named by ``args.file``; print findings; 1 if any error, else 0."""
    try:
        now = parse_now(getattr(args, "now", None))
    except ValueError:
        print(f"crisiswatch lint: --now {args.now!r} is not an ISO time "
              "(e.g. 2026-12-03T11:59:00Z)", file=sys.stderr)
        return 2
    tz = getattr(args, "tz", None) or _default_tz(args.lang)
    try:
        zone(tz)
    except ValueError:
        print(f"crisiswatch lint: --tz {tz!r} is not a known time zone (e.g. Europe/Paris)",
              file=sys.stderr)
        return 2
    try:
        text = _read(args.file)
    except OSError as exc:
        print(f"crisiswatch lint: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 2
    findings = lint(
        text,
        audience=args.audience,
        phase=args.phase,
        lang=args.lang,
        channel=args.channel,
        now=now,
        tz=tz,
        ui_lang=args.lang,
    )
    if args.json:
        rows = [
            {
                "rule": f.rule,
                "severity": f.severity,
                "span": list(f.span) if f.span else None,
                "text": text[f.span[0] : f.span[1]] if f.span else None,
                "message": f.message,
            }
            for f in findings
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for f in findings:
            where = f"{f.span[0]}-{f.span[1]} {text[f.span[0] : f.span[1]]!r}" if f.span else "-"
            print(f"{f.severity}: {f.rule}: {where}: {f.message}")
        if not findings:
            print("ok: aucune remarque" if args.lang == "fr" else "ok: no findings")
    return 1 if any(f.severity == "error" for f in findings) else 0
