"""`crisiswatch lint`: check one message against the crisis-communication rules.

Contract (stable)::

    crisiswatch lint [--audience team|ceo|customers|board] [--phase PHASE] [--lang en|fr]
                     [--channel CHANNEL] [--json] FILE

FILE is a path or ``-`` for stdin and holds one message. Prints one line per finding (or, with
``--json``, a JSON list of ``{rule, severity, span, text, message}`` where ``text`` is the offending
substring or null). ``run(args)`` returns 1 when any finding is an error, else 0.
"""

from __future__ import annotations

import argparse
import json
import sys

from responders.lint import lint

AUDIENCES = ("team", "ceo", "customers", "board")
PHASES = ("investigating", "identified", "fixing", "monitoring", "resolved", "postmortem")


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``lint`` subcommand; its handler is stored as ``func`` (call ``args.func(args)``)."""
    parser = subparsers.add_parser(
        "lint",
        help="check a message against the crisis-communication rules",
        description="Check one message (FILE, or - for stdin) for truth, calm, action, "
        "over-promises, vagueness, blame and channel length.",
    )
    parser.add_argument("--audience", choices=AUDIENCES, default="customers")
    parser.add_argument("--phase", choices=PHASES, default=None)
    parser.add_argument("--lang", choices=("en", "fr"), default="en")
    parser.add_argument("--channel", default=None, help="x, bluesky, mastodon, sms, ...")
    parser.add_argument("--json", action="store_true", help="print findings as a JSON list")
    parser.add_argument("file", metavar="FILE", help="message file, or - for stdin")
    parser.set_defaults(func=run)
    return parser


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def run(args: argparse.Namespace) -> int:
    """Lint the message named by ``args.file``; print findings; 1 if any error, else 0."""
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
            print("ok: no findings")
    return 1 if any(f.severity == "error" for f in findings) else 0
