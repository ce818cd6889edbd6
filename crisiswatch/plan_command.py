"""`crisiswatch plan ...`: the crisis plan in version control (issue 19).

- `plan export FILE.yaml` (or `-` for standard output): the whole risk register, highest
  risk first, in the format `responders.plan_yaml` describes. Exit 0; 2 when FILE cannot be
  written.
- `plan import FILE.yaml [--json]`: adds and updates risks by key (idempotent: the same file
  twice changes nothing the second time; nothing is deleted). Prints
  `N added, N updated, N unchanged, N refused` then one line per refused risk
  (`risks[INDEX] (KEY): reason; reason`); exits 1 when a risk was refused (the others are
  imported), 2 when the file cannot be read or is not a plan (nothing imported).
- `plan health [--json]`: one line per finding (`KIND  SUBJECT: DETAIL`), worst first;
  exits 1 when there is any finding, 0 when the plan is healthy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from crisiswatch.file_import import run_import
from crisiswatch.wiring import utcnow

ACTOR = "cli"


def cmd_export(args, app) -> int:
    from responders.plan import register as risks
    from responders.plan_yaml import export_yaml

    with app.store.session() as session:
        text, count = export_yaml(session), len(risks(session))
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.file).write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"crisiswatch: cannot write {args.file}: {exc}", file=sys.stderr)
        return 2
    print(f"{count} risk(s) written to {args.file}")
    return 0


def cmd_import(args, app) -> int:
    from responders.plan_yaml import PlanFileError, import_yaml

    return run_import(app, args.file, args.json,
                      lambda session, text: import_yaml(session, text, actor=ACTOR,
                                                        now=utcnow()), PlanFileError)


def cmd_health(args, app) -> int:
    from responders.plan_health import health

    with app.store.session() as session:
        findings = health(session, app.library, utcnow())
    if args.json:
        print(json.dumps([f.as_dict() for f in findings]))
    else:
        for f in findings:
            print(f"{f.kind:20} {f.subject}: {f.detail}")
        if not findings:
            print("the plan is healthy")
    return 1 if findings else 0


def register(sub) -> None:
    plan = sub.add_parser("plan", help="the crisis plan: risk register, prepared messages, "
                                       "playbooks (YAML export/import, health)")
    actions = plan.add_subparsers(dest="plan", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="write the plan as YAML")
    export.add_argument("file", metavar="FILE.yaml", help="where to write it (- for stdout)")
    export.set_defaults(func=cmd_export)
    imp = actions.add_parser("import", help="add and update risks from a YAML plan "
                                            "(idempotent; never deletes)")
    imp.add_argument("file", metavar="FILE.yaml", help="the plan to read (- for stdin)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=cmd_import)
    check = actions.add_parser("health", help="what the plan still lacks: messages, "
                                              "contacts, exercises, open actions")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.set_defaults(func=cmd_health)
