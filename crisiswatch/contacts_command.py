"""`crisiswatch contacts ...` and `crisiswatch broadcasts ...` (issue 18).

- `contacts import FILE.csv [--json]`: columns `name, segments, email, phone, lang, tz,
  organisation, owner` (optional `slack`), segments separated by `;`. Prints what was added,
  updated and refused (line and reasons); exits 1 when a row was refused, 2 when the file
  cannot be read or its columns are wrong (nothing imported).
- `contacts list [--segment S] [--json]`, `contacts export REF` (everything held about one
  person, JSON), `contacts delete REF`, `contacts opt-out REF` (REF: id, e-mail or phone).
- `broadcasts send --segment S ... [--author NAME] [--approver NAME] FILE|-`: a linted
  message to segments, confirmations asked, queued for approval (the Approvals page, or
  `broadcasts approve ID --approver NAME`); with `--approver` it is approved at once
  (refused under the two-person rule when the approver wrote it). Exits 1 when refused.
  `broadcasts status [ID] [--json]`: figures per segment.
- `regulator start|set|notified|notice|status --incident ID`: the regulator clock (GDPR
  art. 33: 72 hours from awareness), its checklist and the art. 34 notice.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from crisiswatch.file_import import read_text, run_import
from crisiswatch.wiring import utcnow


def cmd_import(args, app) -> int:
    from responders.contacts import ContactError, import_csv

    return run_import(app, args.file, args.json,
                      lambda session, text: import_csv(session, text, utcnow()), ContactError)


def cmd_list(args, app) -> int:
    from sqlalchemy import select

    from responders.contacts import in_segments
    from store.models import ContactRow

    with app.store.session() as session:
        rows = (in_segments(session, [args.segment], include_opted_out=True) if args.segment
                else session.execute(select(ContactRow).order_by(ContactRow.id)).scalars().all())
        out = [{"id": c.id, "name": c.name, "segments": c.segments, "email": c.email,
                "phone": c.phone, "lang": c.lang, "tz": c.tz, "organisation": c.organisation,
                "owner": c.owner, "opted_out": c.opted_out_at is not None} for c in rows]
    if args.json:
        print(json.dumps(out))
    else:
        for c in out:
            print(f"#{c['id']:<5} {c['name']:30} {';'.join(c['segments']):28} "
                  f"{c['email'] or '-':32} {c['phone'] or '-':16}"
                  + (" opted out" if c["opted_out"] else ""))
    return 0


def _contact_cmd(action):
    def run(args, app) -> int:
        from responders.contacts import find_contact

        with app.store.session() as session:
            contact = find_contact(session, args.ref)
            if contact is None:
                print(f"crisiswatch: no contact {args.ref!r} (give an id, e-mail or phone)",
                      file=sys.stderr)
                return 2
            print(action(session, contact))
        return 0
    return run


def _export(session, contact) -> str:
    from responders.contacts import export_contact

    return json.dumps(export_contact(session, contact), ensure_ascii=False, indent=2)


def _delete(session, contact) -> str:
    from responders.contacts import delete_contact

    name, cid = contact.name, contact.id
    delete_contact(session, contact)
    return f"contact #{cid} ({name}) deleted; their broadcast figures stay, anonymous"


def _opt_out(session, contact) -> str:
    from responders.contacts import opt_out

    changed = opt_out(session, contact, utcnow())
    return f"contact #{contact.id} ({contact.name}) " + (
        "opted out: no more broadcasts" if changed else "had already opted out")


def cmd_send(args, app) -> int:
    from responders.broadcasts import BroadcastError, approve_broadcast, create_broadcast
    from store.models import IncidentRow

    body = read_text(args.file).strip()
    author = args.author or args.approver
    if not author:
        print("crisiswatch: say who wrote it (--author) or who approves it (--approver)",
              file=sys.stderr)
        return 2
    with app.store.session() as session:
        incident = session.get(IncidentRow, args.incident) if args.incident else None
        if args.incident and incident is None:
            print(f"crisiswatch: no incident #{args.incident}", file=sys.stderr)
            return 2
        now = utcnow()
        try:
            broadcast = create_broadcast(
                session, segments=args.segment, body=body, author=author,
                role=args.role, now=now, incident=incident, subject=args.subject or "",
                severity=args.severity, lang=args.lang,
                channels=tuple(c.strip() for c in args.channels.split(",") if c.strip()))
            if args.approver:
                approve_broadcast(session, broadcast, approver=args.approver, role=args.role,
                                  now=now, override_reason=args.reason,
                                  two_person_rule=app.settings.two_person_rule)
        except BroadcastError as exc:
            session.rollback()  # neither queued nor approved: nothing half-done
            print(f"crisiswatch: broadcast refused: {exc}", file=sys.stderr)
            return 1
        if args.approver:
            print(f"broadcast #{broadcast.id} approved by {args.approver}; the broadcast stage "
                  "sends it (crisiswatch run / worker)")
        else:
            print(f"broadcast #{broadcast.id} waiting for approval (draft #{broadcast.draft_id}"
                  f"): the Approvals page, or crisiswatch broadcasts approve {broadcast.id} "
                  "--approver NAME")
    return 0


def cmd_approve(args, app) -> int:
    from responders.broadcasts import BroadcastError, approve_broadcast
    from store.models import BroadcastRow

    with app.store.session() as session:
        broadcast = session.get(BroadcastRow, args.id)
        if broadcast is None:
            print(f"crisiswatch: no broadcast #{args.id}", file=sys.stderr)
            return 2
        try:
            approve_broadcast(session, broadcast, approver=args.approver, role=args.role,
                              now=utcnow(), override_reason=args.reason,
                              two_person_rule=app.settings.two_person_rule)
        except BroadcastError as exc:
            session.rollback()
            print(f"crisiswatch: not approved: {exc}", file=sys.stderr)
            return 1
        print(f"broadcast #{broadcast.id} approved by {args.approver}; the broadcast stage "
              "sends it (crisiswatch run / worker)")
    return 0


def cmd_status(args, app) -> int:
    from responders.broadcasts import by_segment

    with app.store.session() as session:
        rows = by_segment(session, args.id)
    if args.json:
        print(json.dumps(rows))
    else:
        for r in rows:
            print(f"#{r['broadcast']:<4} {r['segment']:14} recipients {r['recipients']:<5} "
                  f"sent {r['sent']:<5} delivered {r['delivered']:<5} "
                  f"confirmed {r['confirmed']:<5} resent {r['resent']:<4} "
                  f"escalated {r['escalated']}")
    return 0


def _clock(session, args):
    from sqlalchemy import select

    from store.models import RegulatorClockRow

    return session.execute(select(RegulatorClockRow).where(
        RegulatorClockRow.incident_id == args.incident,
        RegulatorClockRow.jurisdiction == args.jurisdiction)).scalar_one_or_none()


def cmd_regulator(args, app) -> int:
    from responders import regulators
    from store.models import IncidentRow

    now = utcnow()
    with app.store.session() as session:
        incident = session.get(IncidentRow, args.incident)
        if incident is None:
            print(f"crisiswatch: no incident #{args.incident}", file=sys.stderr)
            return 2
        try:
            if args.regulator == "start":
                aware = datetime.fromisoformat(args.aware) if args.aware else None
                if aware is not None and aware.tzinfo is not None:
                    aware = aware.astimezone(UTC).replace(tzinfo=None)
                regulators.start_clock(session, incident, actor=args.by, now=now,
                                       aware_at=aware, jurisdiction=args.jurisdiction,
                                       hours=args.hours)
            clock = _clock(session, args)
            if clock is None:
                print(f"crisiswatch: no {args.jurisdiction} clock for incident "
                      f"#{args.incident}; run `crisiswatch regulator start`", file=sys.stderr)
                return 2
            if args.regulator == "set":
                regulators.set_item(session, clock, args.item, args.text, actor=args.by,
                                    now=now)
            elif args.regulator == "notified":
                regulators.mark_notified(session, clock, actor=args.by, now=now)
            elif args.regulator == "notice":
                print(regulators.notice_to_affected(clock, args.lang))
                return 0
        except (regulators.RegulatorError, ValueError) as exc:
            print(f"crisiswatch: {exc}", file=sys.stderr)
            return 1
        out = {"jurisdiction": clock.jurisdiction, "aware_at": clock.aware_at.isoformat(),
               "due_at": clock.due_at.isoformat(), "state": regulators.state(clock, now),
               "missing": regulators.missing(clock),
               "notified_at": clock.notified_at.isoformat() if clock.notified_at else None}
    print(json.dumps(out) if args.json else
          f"{out['jurisdiction']}: due {out['due_at']} UTC ({out['state']}); missing: "
          f"{', '.join(out['missing']) or 'nothing'}")
    return 0


def register(subparsers) -> None:
    from responders.broadcasts import CHANNELS, SEVERITIES
    from responders.contacts import SEGMENTS

    contacts = subparsers.add_parser("contacts", help="contacts and segments: import, list, "
                                     "export, delete, opt out")
    sub = contacts.add_subparsers(dest="contacts", required=True, metavar="ACTION")
    imp = sub.add_parser("import", help="import contacts from a CSV file (report of refusals)")
    imp.add_argument("file", help="CSV with name, segments (a;b), email, phone, lang, tz, "
                     "organisation, owner [, slack]; - for stdin")
    imp.add_argument("--json", action="store_true", help="print the report as one JSON object")
    imp.set_defaults(func=cmd_import)
    lst = sub.add_parser("list", help="list contacts")
    lst.add_argument("--segment", choices=SEGMENTS, help="only this segment")
    lst.add_argument("--json", action="store_true", help="print one JSON list")
    lst.set_defaults(func=cmd_list)
    for name, action, text in (("export", _export, "everything held about one contact (JSON)"),
                               ("delete", _delete, "erase one contact (GDPR art. 17)"),
                               ("opt-out", _opt_out, "no more broadcasts to one contact")):
        one = sub.add_parser(name, help=text)
        one.add_argument("ref", help="the contact's id, e-mail or phone")
        one.set_defaults(func=_contact_cmd(action))

    casts = subparsers.add_parser("broadcasts", help="messages to segments, confirmed by "
                                  "each recipient")
    sub = casts.add_subparsers(dest="broadcasts", required=True, metavar="ACTION")
    send = sub.add_parser("send", help="queue a message to segments for approval (or "
                          "approve it at once with --approver)")
    send.add_argument("file", help="the message text (a file, or - for stdin)")
    send.add_argument("--segment", action="append", required=True, choices=SEGMENTS,
                      help="a segment to reach (repeatable)")
    send.add_argument("--author", help="who wrote the text (default: the approver)")
    send.add_argument("--approver", help="who approves the text now (else it waits in the "
                                         "approvals queue)")
    send.add_argument("--role", default="approver",
                      help="the role of the author and approver (editor, approver, admin)")
    send.add_argument("--incident", type=int, help="the incident it is about (its timeline)")
    send.add_argument("--subject", help="e-mail subject (default: the first line)")
    send.add_argument("--severity", choices=SEVERITIES,
                      help="critical overrides quiet hours (default: the incident's)")
    send.add_argument("--lang", default="en", choices=["en", "fr"], help="the text's language")
    send.add_argument("--channels", default=",".join(CHANNELS),
                      help=f"channels in preference order (default {','.join(CHANNELS)}): "
                           "the first a contact has, then the next as the alternative")
    send.add_argument("--reason", help="why lint warnings are accepted")
    send.set_defaults(func=cmd_send)
    approve = sub.add_parser("approve", help="approve a broadcast waiting for approval")
    approve.add_argument("id", type=int, help="the broadcast")
    approve.add_argument("--approver", required=True, help="who approves the text")
    approve.add_argument("--role", default="approver", help="their role (approver, admin)")
    approve.add_argument("--reason", help="why lint warnings are accepted")
    approve.set_defaults(func=cmd_approve)
    status = sub.add_parser("status", help="sent / delivered / confirmed per segment")
    status.add_argument("id", nargs="?", type=int, help="one broadcast (default: all)")
    status.add_argument("--json", action="store_true", help="print one JSON list")
    status.set_defaults(func=cmd_status)

    from responders.regulators import CHECKLIST

    reg = subparsers.add_parser("regulator", help="the regulator clock of a data-leak incident "
                                "(GDPR art. 33: 72 hours)")
    sub = reg.add_subparsers(dest="regulator", required=True, metavar="ACTION")
    helps = {"start": "start the clock (once per incident and jurisdiction)",
             "set": "fill one item of the notification's checklist",
             "notified": "record the notification sent (refused while an item is missing)",
             "notice": "print the art. 34 notice to the people affected",
             "status": "when it is due and what is missing"}
    for name, text in helps.items():
        one = sub.add_parser(name, help=text)
        one.add_argument("--incident", type=int, required=True, help="the incident's id")
        one.add_argument("--jurisdiction", default="eu-gdpr",
                         help="eu-gdpr (default), uk-gdpr, ch-ndsg, or any name with --hours")
        one.add_argument("--by", default="cli", help="who does it (on the timeline)")
        one.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "start":
            one.add_argument("--aware", help="when the company became aware (ISO; default: "
                             "the declaration)")
            one.add_argument("--hours", type=float, help="hours to notify (default: the "
                             "jurisdiction's, 72 under GDPR)")
        if name == "set":
            one.add_argument("item", choices=list(CHECKLIST), help="the checklist item")
            one.add_argument("text", help="what to say for it")
        if name == "notice":
            one.add_argument("--lang", default="en", choices=["en", "fr"],
                             help="the notice's language")
        one.set_defaults(func=cmd_regulator)
