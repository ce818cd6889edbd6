"""The stored texts that stayed English on French screens (issue 20's leftovers), read by a
French and an English reader: the Broadcasting stage's per-cycle summary, the reason
crisiswatch withdrew a draft, lint findings quoted in a refusal, and times inside stored
sentences (shown in the reader's zone, not as "HH:MM UTC"). The English stored beside each
stays what it always was; a row written before keeps its text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from dashboard import actions, stored_texts
from responders import approval, regulators
from responders.broadcasts import (
    BroadcastError,
    activate_approved,
    advance_broadcasts,
    approve_broadcast,
    create_broadcast,
)
from responders.channels.base import Delivery
from responders.contacts import import_csv
from responders.drafts import Brand, suggest_replies
from responders.incidents import declare, transition
from responders.templates import TemplateLibrary
from responders.wording import Wording, moment, wording
from store.models import DraftRow, TimelineRow

NIGHT = datetime(2026, 3, 10, 22, 30)  # 23:30 in Paris: customers' quiet hours
PARIS, UTC = ZoneInfo("Europe/Paris"), ZoneInfo("UTC")
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Ana Martin,staff,ana@nimbus.example,,fr,Europe/Paris,Nimbus,
Dan Client,customers,dan@client.example,,fr,Europe/Paris,Client,
"""
TEXT = ("We are investigating an outage of the API since 22:00 UTC. We are restoring "
        "service. Next update by 23:30 UTC.")


@pytest.fixture
def reader(monkeypatch):
    """reader("fr", PARIS): the current user's language and zone, as a request gives them."""
    def be(lang: str, zone: ZoneInfo) -> None:
        monkeypatch.setattr(stored_texts, "current_lang", lambda: lang)
        monkeypatch.setattr(stored_texts, "current_zone", lambda: zone)
    return be


def shown(row: TimelineRow) -> str:
    return stored_texts.from_row(row.detail_key, row.detail_params, row.detail)


class Mailbox:
    name = "email"

    def send(self, message, now):
        return Delivery("m1")


def test_broadcast_cycle_summary_in_the_readers_language_and_zone(store, reader):
    with store.session() as s:
        import_csv(s, CSV, NIGHT)
        incident = declare(s, title="API outage", crisis_type="outage", severity="major",
                           actor="lead", now=NIGHT)
        queued = create_broadcast(s, segments=["staff", "customers"], body=TEXT, author="ed",
                                  role="editor", now=NIGHT, incident=incident,
                                  channels=("email",))
        approve_broadcast(s, queued, approver="lead", role="approver", now=NIGHT,
                          override_reason="tested")
    assert activate_approved(store, NIGHT) == 1
    channels = {"email": Mailbox()}
    advance_broadcasts(store, channels, NIGHT)  # Ana now, Dan held until 08:00 in Paris
    advance_broadcasts(store, channels, datetime(2026, 3, 11, 7, 0))  # 23:30 UTC has passed: neither goes
    with store.session() as s:
        held, stale = s.execute(select(TimelineRow).where(
            TimelineRow.actor == "broadcasts").order_by(TimelineRow.id)).scalars()
        assert held.detail == ("Broadcast #1: send to 1 (email 1); 1 held for quiet hours "
                               "(customers) until 2026-03-11 07:00 UTC")  # as always
        assert stale.detail == ("Broadcast #1: 2 not sent: the promised next update "
                                "(23:30 UTC) has passed; send a new message")
        reader("fr", PARIS)
        assert shown(held) == ("Diffusion n° 1 : envoi à 1 destinataire(s) (e-mail 1) ; "
                               "1 retenu(s) pendant les heures calmes (clients) jusqu'au "
                               "11 mars 08:00 CET")
        assert shown(stale) == ("Diffusion n° 1 : 2 non envoyé(s) : l'heure promise du "
                                "prochain point (00:30 CET) est passée ; envoyez un nouveau "
                                "message")
        reader("en", UTC)
        assert shown(held) == ("Broadcast #1: send to 1 (email 1); 1 held for quiet hours "
                               "(customers) until 11 Mar 07:00 UTC")
        assert shown(stale) == stale.detail


def test_void_reason_in_the_readers_language_and_old_drafts_keep_theirs(store, reader):
    now = datetime(2026, 3, 11, 10, 0)
    with store.session() as s:
        incident = declare(s, title="Login down", crisis_type="outage", severity="major",
                           actor="sam", now=now)
        for _n in range(2):
            s.add(DraftRow(incident_id=incident.id, kind="reply", audience="customers",
                           channel="x", lang="en", phase="investigating", body="Sorry!",
                           template="t", author="crisiswatch", status="draft",
                           created_at=now, updated_at=now))
        transition(s, incident, "resolved", actor="sam", now=now)
        suggest_replies(s, incident, TemplateLibrary(), Brand(), now)
        voided, old = s.execute(select(DraftRow).order_by(DraftRow.id)).scalars()
        old.void_key = old.void_params = None  # as withdrawn before migration 0018
        withdrew = s.execute(select(TimelineRow).where(
            TimelineRow.detail.like("Withdrew draft #1 %"))).scalar_one()
        assert voided.void_reason == "the incident is resolved; the reply no longer fits"
        assert withdrew.detail.endswith(": the incident is resolved; the reply no longer fits")
        reader("fr", PARIS)
        assert stored_texts.from_row(voided.void_key, voided.void_params, voided.void_reason) \
            == "l'incident est en phase « Résolu » ; la réponse n'est plus adaptée"
        assert shown(withdrew).endswith(
            " : l'incident est en phase « Résolu » ; la réponse n'est plus adaptée")
        assert stored_texts.from_row(old.void_key, old.void_params, old.void_reason) == \
            "the incident is resolved; the reply no longer fits"
        reader("en", UTC)
        assert stored_texts.from_row(voided.void_key, voided.void_params, voided.void_reason) \
            == "the incident is Resolved; the reply no longer fits"


def test_lint_findings_quoted_in_a_refusal_are_in_the_readers_language(store, reader):
    now = datetime(2026, 3, 11, 10, 0)
    body = ("We are investigating an outage of the API since 09:50 UTC. We are restoring "
            "service. Next update by 11:00 UTC. This is a DISASTER")
    with store.session() as s:
        incident = declare(s, title="API outage", crisis_type="outage", severity="major",
                           actor="sam", now=now)
        draft = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                         channel="statuspage", lang="en", phase="investigating", body=body,
                         template="t", author="ed", status="draft", created_at=now,
                         updated_at=now)
        s.add(draft)
        s.flush()
        with pytest.raises(approval.ApprovalError) as refused:
            approval.approve(s, draft, approver="ann", role="approver", now=now)
        with pytest.raises(BroadcastError) as not_queued:
            create_broadcast(s, segments=["staff"], body=body, author="ed", role="editor",
                             now=now, incident=incident)
    assert str(refused.value) == ("fix before approving: Alarm word 'DISASTER' spreads panic; "
                                  "describe the impact factually instead.")
    assert str(not_queued.value) == ("the message does not pass the linter: calm: Alarm word "
                                     "'DISASTER' spreads panic; describe the impact factually "
                                     "instead.")
    reader("fr", PARIS)
    assert str(actions.ActionError.of(refused.value)) == (
        "à corriger avant validation : Le mot « DISASTER » affole ; décrivez plutôt l'impact "
        "de façon factuelle.")
    assert stored_texts.say(not_queued.value.wording) == (
        "le message est refusé par le vérificateur : calm: Le mot « DISASTER » affole ; "
        "décrivez plutôt l'impact de façon factuelle.")
    reader("en", UTC)
    assert str(actions.ActionError.of(refused.value)) == str(refused.value)
    assert stored_texts.say(not_queued.value.wording) == str(not_queued.value)


def test_times_in_stored_sentences_are_shown_in_the_readers_zone(store, reader):
    now = datetime(2026, 3, 11, 10, 0)
    with store.session() as s:
        incident = declare(s, title="Data leak", crisis_type="data_leak", severity="major",
                           actor="dpo", now=now)
        regulators.start_clock(s, incident, actor="dpo", now=now)
        started = s.execute(select(TimelineRow).where(TimelineRow.kind == "regulator")).scalar_one()
        draft = DraftRow(incident_id=incident.id, kind="status", audience="customers",
                         channel="statuspage", lang="en", phase="investigating", body="x",
                         template="t", author="ed", status="draft", created_at=now,
                         updated_at=now, promised_next_update=datetime(2026, 3, 11, 9, 30))
        s.add(draft)
        s.flush()
        stale = approval.stale_reason(s, draft, now)
    assert started.detail.endswith(": aware 2026-03-11 10:00 UTC, notification due by "
                                   "2026-03-14 10:00 UTC")  # the English, as always
    assert str(stale) == "out of date: it promises the next update by 09:30 UTC, which has passed"
    reader("fr", PARIS)
    assert shown(started).endswith(": connaissance le 11 mars 11:00 CET, notification due au "
                                   "plus tard le 14 mars 11:00 CET")
    assert stored_texts.say(stale.as_json()) == \
        "périmé : il promet le prochain point pour 10:30 CET, heure déjà passée"
    # a sentence stored before (its key says " UTC", the time a string) reads as written
    before = wording("out of date: it promises the next update by {at} UTC, which has passed",
                     at="09:30")
    assert stored_texts.say(before.as_json()) == \
        "périmé : il promet le prochain point pour 09:30 UTC, heure déjà passée"
    reader("en", UTC)
    assert stored_texts.say(stale) == str(stale)
    assert shown(started).endswith(": aware 11 Mar 10:00 UTC, notification due by "
                                   "14 Mar 10:00 UTC")


def test_a_moment_keeps_its_time_through_json():
    said = wording("since {at}", at=moment(datetime(2026, 3, 11, 9, 5, tzinfo=PARIS),
                                           date=True, english="%H:%M UTC, %d %b"))
    assert said.english == "since 08:05 UTC, 11 Mar"  # an aware time is kept as UTC
    assert Wording.from_json(said.as_json()) == said
