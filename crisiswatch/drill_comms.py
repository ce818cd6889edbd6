"""The drill's stakeholder communication (issue 18), played for the data-leak scenario: the
staff list is imported, the regulator clock starts at declaration (GDPR art. 33: 72 hours),
and a staff broadcast goes out asking each person to confirm (written by the drill's
comms lead and approved in the approvals queue, like any broadcast). Simulated people answer the
way people do: three reply OUI/YES by SMS within minutes (through the same code as the
inbound SMS route), a wrong number answers too (ignored), one clicks the e-mail link after
the reminder, one never answers and is escalated to e-mail. The broadcast stage of the
pipeline does the sending, re-sending and escalating; `crisiswatch drill --json` reports
the totals (`broadcasts`) and the deadline (`regulator_due`). The key account's owner
calls the client, opens the shared channel and keeps its cadence."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from responders.broadcasts import (
    BroadcastError,
    approve_broadcast,
    confirm,
    create_broadcast,
    sms_reply,
)
from responders.contacts import find_contact, import_csv
from responders.key_accounts import complete
from responders.key_accounts import plan as key_account_plan
from responders.regulators import ensure_clock
from store.models import BroadcastRecipientRow, IncidentRow

STAFF_CSV = """name,segments,email,phone,lang,tz,organisation,owner
Drill Ana,staff;on-call,ana@drill.example,+15550100001,fr,Europe/Paris,Drill,
Drill Ben,staff,ben@drill.example,+15550100002,en,UTC,Drill,
Drill Chloé,staff;management,chloe@drill.example,+15550100003,fr,Europe/Paris,Drill,
Drill Dev,staff,dev@drill.example,+15550100004,en,UTC,Drill,
Drill Eve,staff,eve@drill.example,+15550100005,en,UTC,Drill,
Drill Key,key-accounts,cso@bigclient.example,+15550100009,en,UTC,BigClient,Drill Ana
"""
# minutes after the broadcast -> (phone, SMS body) or (email, "link")
REPLIES = [(5, "+15550100001", "OUI"), (5, "+15550100002", "yes"), (10, "+15550100003", "O"),
           (10, "+15550199999", "YES"),  # a wrong number: ignored
           (35, "dev@drill.example", "link")]
TEXT = ("We are investigating a possible exposure of customer data, noticed at {at} UTC. "
        "The security team is containing it and we are preparing the notification to the "
        "regulator. Please keep it inside the incident channel for now. "
        "Next update by {next} UTC.")


class DrillComms:
    def __init__(self, scenario: str, actor: str):
        self.active = scenario == "data-leak"
        self.actor = actor
        self.broadcast_at: datetime | None = None
        self.replied: set[int] = set()
        self.errors: list[str] = []

    def act(self, session, incident: IncidentRow, now: datetime) -> None:
        if not self.active:
            return
        if self.broadcast_at is None:
            import_csv(session, STAFF_CSV, now)
            ensure_clock(session, incident, actor=self.actor, now=now)
            text = TEXT.format(at=f"{incident.declared_at:%H:%M}",
                               next=f"{now + timedelta(minutes=90):%H:%M}")
            try:
                broadcast = create_broadcast(
                    session, segments=["staff"], body=text, author=self.actor,
                    role="approver", now=now, incident=incident,
                    subject="Security incident: please confirm you have read",
                    channels=("sms", "email"))
                approve_broadcast(session, broadcast, approver=self.actor, role="approver",
                                  now=now, override_reason="drill: warnings accepted")
            except BroadcastError as exc:
                self.errors.append(f"broadcast: {exc}")
            self.broadcast_at = now
            return
        for n, (after, who, body) in enumerate(REPLIES):
            if n in self.replied or now < self.broadcast_at + timedelta(minutes=after):
                continue
            self.replied.add(n)
            if body == "link":
                recipient = session.execute(select(BroadcastRecipientRow).where(
                    BroadcastRecipientRow.name == "Drill Dev")).scalars().first()
                if recipient is not None:
                    confirm(session, recipient, via="link", now=now)
            else:
                sms_reply(session, [], who, body, now)
        # The key account's owner calls first, then opens the shared channel, then keeps
        # the 2-hour cadence.
        for standing in key_account_plan(session, incident, now):
            if standing.next_task in ("call", "channel", "followup") or (
                    standing.next_task == "update" and standing.state != "ok"):
                contact = find_contact(session, str(standing.contact_id))
                complete(session, incident, contact, standing.next_task,
                         actor=standing.owner, now=now, note="drill")
