"""The crisis cell: paged on declaration with acknowledgement, the deputy when the primary
does not answer in time, exactly once under retries and crashes, handovers on the timeline,
and a fatigue reminder after the configured time on duty. Both engines."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from responders.alerting import Contact
from responders.cell import CellConfig, CellError, cell_view, hand_over, history
from responders.cell_paging import ack_by_link, ack_token, acknowledge, page_cell
from responders.channels.base import ChannelError, Delivery
from responders.contacts import import_csv
from responders.incidents import assign_roles, declare, transition
from responders.reminders import Reminding
from store.models import CellPageRow, CellPageSendRow, IncidentRow, SendAttemptRow, TimelineRow

T0 = datetime(2026, 3, 10, 10, 0)
CONFIG = CellConfig(roster={"commander": ("Ana", "Ben"), "legal": ("Lea", "Max", "Noa")},
                    ack_after=timedelta(minutes=10), fatigue_after=timedelta(hours=8))
CONTACTS = [Contact("Ana", (("sms", "+33600000001"),)),
            Contact("Ben", (("email", "ben@example.com"),)),
            Contact("Lea", (("sms", "+33600000002"), ("email", "lea@example.com"))),
            Contact("Max", (("email", "max@example.com"),), lang="fr"),
            Contact("Noa", (("email", "noa@example.com"),))]


class Inbox:
    """A channel that keeps what it was given; `fail` raises ChannelError that many times."""

    def __init__(self, fail: int = 0, permanent: bool = False):
        self.got, self.fail, self.permanent = [], fail, permanent

    def send(self, message, now):
        if self.fail:
            self.fail -= 1
            raise ChannelError("gateway down", permanent=self.permanent)
        self.got.append(message)
        return Delivery(external_id=f"m{len(self.got)}")


def declared(store, at=T0) -> int:
    with store.session() as s:
        return declare(s, title="Login outage", crisis_type="outage", severity="major",
                       actor="lead", now=at).id


def timeline(store, kind="cell") -> list[str]:
    with store.session() as s:
        return [e.detail for e in s.execute(select(TimelineRow).where(
            TimelineRow.kind == kind).order_by(TimelineRow.id)).scalars()]


def page_of(store, incident_id, role) -> CellPageRow:
    with store.session() as s:
        return s.execute(select(CellPageRow).where(CellPageRow.incident_id == incident_id,
                                                   CellPageRow.role == role)).scalar_one()


def test_declaration_pages_primaries_and_escalates_to_the_deputy(store):
    incident_id = declared(store)
    sms, email = Inbox(), Inbox()
    channels = {"sms": sms, "email": email}

    # The next cycle after the declaration pages each role's primary on every channel.
    assert page_cell(store, channels, CONTACTS, CONFIG, T0 + timedelta(minutes=1)) == 3
    assert sorted(m.to for m in sms.got) == ["+33600000001", "+33600000002"]
    assert [m.to for m in email.got] == ["lea@example.com"]
    assert "You are paged as Legal (primary) for incident" in email.got[0].body
    assert page_cell(store, channels, CONTACTS, CONFIG, T0 + timedelta(minutes=5)) == 0

    # Ana answers in time: she is the incident commander from then on, Ben is never paged.
    with store.session() as s:
        page = s.execute(select(CellPageRow).where(CellPageRow.role == "commander")).scalar_one()
        assert acknowledge(s, page, "Ana", now=T0 + timedelta(minutes=6), via="sms")
    # Lea does not: ten minutes after her page, Max (the first deputy) is paged, in French.
    assert page_cell(store, channels, CONTACTS, CONFIG, T0 + timedelta(minutes=11)) == 1
    assert [m.to for m in email.got] == ["lea@example.com", "max@example.com"]
    assert email.got[1].lang == "fr" and "suppléant" in email.got[1].body
    assert not any(m.to == "ben@example.com" for m in email.got)

    # Max takes the role from the link in his e-mail; Noa is never paged.
    token = ack_token("k", page_of(store, incident_id, "legal").id, "Max")
    with store.session() as s:
        ok, text = ack_by_link(s, "k", token, T0 + timedelta(minutes=14))
    assert ok and "Legal" in text
    assert page_cell(store, channels, CONTACTS, CONFIG, T0 + timedelta(minutes=40)) == 0
    assert len(email.got) == 2

    with store.session() as s:
        incident = s.get(IncidentRow, incident_id)
        assert incident.commander == "Ana"  # the existing field reads the cell
        views = {v.role: v for v in cell_view(s, incident, T0 + timedelta(minutes=74), CONFIG)}
    assert views["commander"].since == T0 + timedelta(minutes=6)
    assert views["commander"].on_duty == timedelta(minutes=68)
    assert (views["legal"].holder, views["legal"].page_state) == ("Max", "acknowledged")
    assert views["comms_lead"].holder == "lead"  # the declarer, not paged
    assert views["scribe"].holder is None and views["scribe"].page_state is None
    texts = timeline(store)
    assert any("Incident commander: Ana (primary) acknowledged by sms" in t for t in texts)
    assert any("Legal: paging Max (deputy 1, not acknowledged in time) by email" in t
               for t in texts)
    assert any("Legal: Max (deputy 1) acknowledged by link" in t for t in texts)


def test_nobody_answers_the_page_is_exhausted_once(store):
    incident_id = declared(store)
    inbox = Inbox()
    channels = {"sms": inbox, "email": inbox}
    config = CellConfig(roster={"legal": ("Lea", "Max")}, ack_after=timedelta(minutes=10))
    for minute in (1, 11, 21, 31, 41):
        page_cell(store, channels, CONTACTS, config, T0 + timedelta(minutes=minute))
    assert [m.to for m in inbox.got] == ["+33600000002", "lea@example.com", "max@example.com"]
    assert page_of(store, incident_id, "legal").state == "exhausted"
    assert sum("nobody of Lea, Max acknowledged" in t for t in timeline(store)) == 1
    with store.session() as s:  # a late answer is refused, not silently taken
        assert not acknowledge(s, s.get(CellPageRow, page_of(store, incident_id, "legal").id),
                               "Lea", now=T0 + timedelta(minutes=45), via="sms")


def test_someone_unreachable_is_skipped_at_once_and_strangers_cannot_acknowledge(store):
    incident_id = declared(store)
    inbox = Inbox()
    config = CellConfig(roster={"legal": ("Nobody Known", "Max")})
    assert page_cell(store, {"email": inbox}, CONTACTS, config, T0) == 1
    assert [m.to for m in inbox.got] == ["max@example.com"]
    assert any("Nobody Known cannot be paged" in t for t in timeline(store))
    with store.session() as s:
        page = s.get(CellPageRow, page_of(store, incident_id, "legal").id)
        with pytest.raises(CellError, match="was not paged"):
            acknowledge(s, page, "Noa", now=T0, via="dashboard")
    with store.session() as s:
        assert ack_by_link(s, "k", "1.bm9h.forged", T0)[0] is False


def test_a_role_taken_by_hand_stops_its_page(store):
    incident_id = declared(store)
    inbox = Inbox()
    channels = {"sms": inbox, "email": inbox}
    page_cell(store, channels, CONTACTS, CONFIG, T0)
    with store.session() as s:
        assign_roles(s, s.get(IncidentRow, incident_id), actor="lead",
                     now=T0 + timedelta(minutes=3), commander="Zoé")
    page_cell(store, channels, CONTACTS, CONFIG, T0 + timedelta(minutes=30))
    assert "ben@example.com" not in [m.to for m in inbox.got]
    assert page_of(store, incident_id, "commander").state == "covered"


def test_each_page_is_sent_once_under_retries_and_crashes(store):
    incident_id = declared(store)
    sms = Inbox(fail=1)  # the first SMS fails transiently
    channels = {"sms": sms, "email": Inbox()}
    config = CellConfig(roster={"commander": ("Ana", "Ben")})
    # Two workers (or a retry) in the same minute: one page, one failed attempt.
    assert page_cell(store, channels, CONTACTS, config, T0) == 0
    assert page_cell(store, channels, CONTACTS, config, T0) == 1
    assert page_cell(store, channels, CONTACTS, config, T0 + timedelta(minutes=1)) == 0
    assert len(sms.got) == 1
    with store.session() as s:
        assert s.execute(select(CellPageSendRow.state, CellPageSendRow.tries)).all() == \
            [("sent", 2)]

    with store.session() as s:  # resolved: its cell is not paged any more
        transition(s, s.get(IncidentRow, incident_id), "resolved", actor="lead",
                   now=T0 + timedelta(minutes=2))

    # A crash after the channel was called but before the outcome was written: the send
    # attempt is started and never finished. It is never sent again, but marked unknown.
    other = declared(store, T0 + timedelta(minutes=2))
    with store.session() as s:
        page = CellPageRow(incident_id=other, role="commander", roster=["Ana", "Ben"],
                           level=0, level_at=T0, state="paging", version=1, created_at=T0)
        s.add(page)
        s.flush()
        s.add(CellPageSendRow(page_id=page.id, level=0, person="Ana", channel="sms",
                              address="+33600000001", kind="page", lang="en",
                              state="sending", tries=1, claimed_at=T0))
        s.add(SendAttemptRow(purpose="cell", ref=f"cell:{page.id}:0:sms", channel="sms",
                             started_at=T0))
        # And one claimed before the channel was ever called: still owed, sent once.
        page2 = CellPageRow(incident_id=other, role="legal", roster=["Lea"], level=0,
                            level_at=T0, state="paging", version=1, created_at=T0)
        s.add(page2)
        s.flush()
        s.add(CellPageSendRow(page_id=page2.id, level=0, person="Lea", channel="sms",
                              address="+33600000002", kind="page", lang="en",
                              state="sending", tries=0, claimed_at=T0))
        crashed, owed = page.id, page2.id
    config = CellConfig(roster={"commander": ("Ana", "Ben"), "legal": ("Lea",)})
    page_cell(store, channels, CONTACTS, config, T0 + timedelta(minutes=1))  # within the lease
    assert len(sms.got) == 1
    page_cell(store, channels, CONTACTS, config, T0 + timedelta(minutes=3))
    assert [m.to for m in sms.got] == ["+33600000001", "+33600000002"]
    with store.session() as s:
        states = dict(s.execute(select(CellPageSendRow.page_id, CellPageSendRow.state).where(
            CellPageSendRow.page_id.in_((crashed, owed)))).all())
    assert states == {crashed: "unknown", owed: "sent"}


def test_handover_ends_one_shift_starts_the_next_and_says_so(store):
    incident_id = declared(store)
    with store.session() as s:
        incident = s.get(IncidentRow, incident_id)
        assign_roles(s, incident, actor="lead", now=T0, commander="Ana")
        for bad, why in (({"new_holder": ""}, "who takes over"),
                         ({"note": "  "}, "needs a note"),
                         ({"new_holder": "Ana"}, "already holds"),
                         ({"role": "chef"}, "unknown role")):
            args = {"role": "commander", "new_holder": "Ben", "note": "Rollback at 12:10",
                    **bad}
            with pytest.raises(CellError, match=why):
                hand_over(s, incident, args["role"], args["new_holder"], args["note"],
                          actor="lead", now=T0 + timedelta(hours=2))
        assert incident.commander == "Ana"  # refused: nothing changed
        hand_over(s, incident, "commander", "Ben", "Rollback at 12:10; CEO briefed at 11:45",
                  actor="lead", now=T0 + timedelta(hours=2))
    with store.session() as s:
        incident = s.get(IncidentRow, incident_id)
        assert incident.commander == "Ben"
        shifts = [(x.holder, x.started_at, x.ended_at, x.handed_to, x.note)
                  for x in history(s, incident_id) if x.role == "commander"]
    assert shifts == [("Ana", T0, T0 + timedelta(hours=2), "Ben",
                       "Rollback at 12:10; CEO briefed at 11:45"),
                      ("Ben", T0 + timedelta(hours=2), None, None, "")]
    assert timeline(store, "handover") == [
        ("Incident commander handed over from Ana to Ben after 2 h 00 min on duty. "
        "Note: Rollback at 12:10; CEO briefed at 11:45")]


def test_a_holder_on_duty_too_long_is_reminded_once_per_period(store):
    incident_id = declared(store)
    with store.session() as s:
        assign_roles(s, s.get(IncidentRow, incident_id), actor="lead", now=T0, commander="Ana")
    sms, slack = Inbox(), Inbox()
    stage = Reminding({"sms": sms, "slack": slack}, CONTACTS, CONFIG)

    def fatigue(inbox):
        return [m.body for m in inbox.got if "Time to rest" in m.body]

    stage.run_once(store, T0 + timedelta(hours=7, minutes=59))
    assert fatigue(sms) == fatigue(slack) == []
    stage.run_once(store, T0 + timedelta(hours=8, minutes=1))
    stage.run_once(store, T0 + timedelta(hours=8, minutes=30))
    assert [m.to for m in sms.got if "Time to rest" in m.body] == ["+33600000001"]
    assert "Ana has been Incident commander for 8 h 01 min" in fatigue(sms)[0]
    # The declarer, no contact, holds the comms lead role: the team channel hears it.
    assert len(fatigue(slack)) == 1 and "lead has been Comms lead" in fatigue(slack)[0]
    with store.session() as s:
        hand_over(s, s.get(IncidentRow, incident_id), "commander", "Ben", "All in the log",
                  actor="lead", now=T0 + timedelta(hours=9))
    stage.run_once(store, T0 + timedelta(hours=16, minutes=5))
    assert len(fatigue(sms)) == 1  # Ana's shift ended: no second reminder for her
    assert len(fatigue(slack)) == 2  # the comms lead is still on duty at 16 h
    assert sum("Time to rest" in t for t in timeline(store)) == 3  # Ana, lead at 8 h and 16 h


def test_stored_contacts_can_be_in_the_roster(store):
    incident_id = declared(store)
    with store.session() as s:
        import_csv(s, "name,segments,email,phone,lang,tz,organisation,owner\n"
                      "Camille Martin,staff,camille@example.com,+33 6 12 34 56 78,fr,"
                      "Europe/Paris,Nimbus,\n", T0)
    sms = Inbox()
    config = CellConfig(roster={"spokesperson": ("Camille Martin",),
                                "scribe": ("camille@example.com",)})
    assert page_cell(store, {"sms": sms}, [], config, T0) == 2
    assert {m.to for m in sms.got} == {"+33612345678"}
    assert all(m.lang == "fr" for m in sms.got)
    assert page_of(store, incident_id, "scribe").state == "paging"


def test_a_late_answer_from_the_primary_wins_over_the_escalation_being_sent(store):
    incident_id = declared(store)
    email = Inbox()
    config = CellConfig(roster={"legal": ("Max", "Noa")}, ack_after=timedelta(minutes=10))
    page_cell(store, {"email": email}, CONTACTS, config, T0)
    page_id = page_of(store, incident_id, "legal").id
    # The escalation to Noa is claimed (her send owed), then Max answers before it goes out.
    with store.session() as s:
        page = s.get(CellPageRow, page_id)
        s.add(CellPageSendRow(page_id=page_id, level=1, person="Noa", channel="email",
                              address="noa@example.com", kind="escalate", lang="en",
                              state="owed", tries=0))
        page.level, page.level_at, page.version = 1, T0 + timedelta(minutes=10), 5
    with store.session() as s:
        assert acknowledge(s, s.get(CellPageRow, page_id), "Max",
                           now=T0 + timedelta(minutes=10, seconds=30), via="link")
    page_cell(store, {"email": email}, CONTACTS, config, T0 + timedelta(minutes=11))
    assert [m.to for m in email.got] == ["max@example.com"]
    with store.session() as s:
        assert s.get(IncidentRow, incident_id).holder("legal") == "Max"


def test_an_sms_yes_takes_the_role_the_sms_paged_for(store):
    """A cell page by SMS says to reply YES, and the reply (to the number as the gateway
    writes it) acknowledges that page: the sender holds the role, the page stops."""
    from responders.broadcasts import sms_reply

    incident_id = declared(store)
    sms = Inbox()
    page_cell(store, {"sms": sms, "email": Inbox()}, CONTACTS, CONFIG, T0 + timedelta(minutes=1))
    to_ana = next(m for m in sms.got if m.to == "+33600000001")
    assert "Reply YES to take the role." in to_ana.body
    with store.session() as s:
        reply = sms_reply(s, [], "+33 6 00 00 00 01", "yes!", T0 + timedelta(minutes=3))
    assert reply.startswith("Ana, you are the ") and f"#{incident_id}" in reply
    page = page_of(store, incident_id, "commander")
    assert (page.state, page.acknowledged_by, page.via) == ("acknowledged", "Ana", "sms")
    assert page_of(store, incident_id, "legal").state == "paging"  # Lea's page goes on
    with store.session() as s:  # a second YES: nothing running for this number any more
        assert sms_reply(s, [], "+33600000001", "YES", T0 + timedelta(minutes=4)) is None
