"""Updates to contact segments (issue 18): the customers' e-mail and SMS, partners, investors
and regulators, drafted on every phase change in the languages their contacts read, linted,
waiting in the approvals queue, and sent after approval to the real recipients through the
broadcast stage exactly once (a real local SMTP server, a local Twilio-shaped receiver)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dashboard.broadcast_data import broadcast_info
from responders.approval import approve
from responders.broadcasts import Broadcasting, BroadcastPolicy, by_segment, create_broadcast
from responders.channels.email import EmailChannel
from responders.channels.http import Http
from responders.channels.sms import TwilioSMSChannel, sms_segments
from responders.contacts import import_csv, opt_out
from responders.drafting import Drafting
from responders.drafts import Brand
from responders.incidents import declare, transition, update_facts
from responders.lint import lint
from responders.outbox import publish_approved
from responders.templates import TemplateLibrary, example_context
from store.models import BroadcastRecipientRow, ContactRow, DraftRow, IncidentRow
from tests.support.fake_http import FakeServer, Reply
from tests.support.smtp import Inbox, smtp_server

T0 = datetime(2026, 3, 10, 10, 0)  # a Tuesday, 11:00 in Paris: no quiet hours
CSV = """name,segments,email,phone,lang,tz,organisation,owner
Dan Client,customers,dan@client.example,+33 6 00 00 00 04,fr,Europe/Paris,Client,
Eve Client,customers,eve@client.example,,en,Europe/London,Client,
Pat Partner,partners,pat@partner.example,,en,UTC,Partner Co,
Paul Partenaire,partners,paul@partenaire.example,,fr,Europe/Paris,Partenaire SA,
Ines Investor,investors,ines@fonds.example,,fr,Europe/Paris,Fonds,
Rita Regulator,regulators,notifications@cnil.example,,fr,Europe/Paris,CNIL,
"""
FACTS = {
    "en": {"title": "Login failures", "impact": "about 40% of customers cannot log in",
           "known": "logins have been failing since 09:50 UTC in the EU region",
           "unknown": "why the authentication service stopped responding",
           "actions": "our engineers are restarting the authentication service"},
    "fr": {"title": "Échecs de connexion",
           "impact": "environ 40 % des clients ne peuvent plus se connecter",
           "known": "les connexions échouent depuis 09:50 UTC dans la région Europe",
           "unknown": "pourquoi le service d'authentification a cessé de répondre",
           "actions": "nos ingénieurs redémarrent le service d'authentification"},
}
SENT = Reply(200, body='{"sid": "SM1"}')


@pytest.fixture
def world(store):
    inbox = Inbox()
    with FakeServer() as twilio, smtp_server(inbox) as smtp_port:
        twilio.script(then=SENT)
        http = Http(timeout=2, retries=1, backoff=0.01, sleep=lambda s: None)
        channels = {
            "sms": TwilioSMSChannel("AC1", "token", "+15550000000", base_url=twilio.url,
                                    http=http),
            "email": EmailChannel("127.0.0.1", smtp_port, sender="crisis@nimbus.example"),
        }
        with store.session() as session:
            import_csv(session, CSV, T0)
            opt_out(session, session.execute(select(ContactRow).where(
                ContactRow.name == "Paul Partenaire")).scalar_one(), T0)
            incident = declare(session, title="Login failures", crisis_type="outage",
                               severity="major", actor="lead", now=T0)
            for lang, facts in FACTS.items():
                update_facts(session, incident, actor="lead", now=T0, lang=lang, **facts)
        yield twilio, inbox, channels


def queued(store) -> dict[tuple[str, str, str], DraftRow]:
    with store.session() as session:
        rows = session.execute(select(DraftRow).where(
            DraftRow.kind == "broadcast", DraftRow.status == "draft")).scalars().all()
        session.expunge_all()
    return {(d.audience, d.channel, d.lang): d for d in rows}


def approve_draft(store, draft_id: int, at: datetime) -> None:
    with store.session() as session:
        approve(session, session.get(DraftRow, draft_id), approver="lead", role="approver",
                now=at)


def mails_to(inbox, address: str) -> list[str]:
    return [m.message.get_payload(decode=True).decode() for m in inbox.messages
            if m.rcpts == [address]]


def sms_sent(twilio) -> list[dict]:
    return [r.form for r in twilio.requests if r.path.endswith("Messages.json")]


def test_each_segment_is_drafted_in_the_languages_its_contacts_read(store, world):
    Drafting(Brand()).run_once(store, T0 + timedelta(minutes=1))
    drafts = queued(store)
    # Eve reads English, Dan French; only Dan has a phone; Paul opted out, so no French
    # partner text.
    assert sorted(drafts) == [
        ("customers", "email", "en"), ("customers", "email", "fr"), ("customers", "sms", "fr"),
        ("investors", "email", "fr"), ("partners", "email", "en"),
        ("regulators", "email", "fr")]
    assert drafts[("partners", "email", "en")].template == (
        "notify/generic/partners.investigating.en.j2")
    assert "Ce que nous savons\u00a0: les connexions échouent" in drafts[
        ("regulators", "email", "fr")].body
    # One promise: the customers' texts promise the status page's next update.
    with store.session() as session:
        promise = session.execute(select(IncidentRow.next_update_at)).scalar_one()
    assert {drafts[k].promised_next_update for k in drafts if k[0] == "customers"} == {promise}

    # A phase change rewrites every untouched draft in place, in its language.
    with store.session() as session:
        transition(session, session.execute(select(IncidentRow)).scalar_one(), "identified",
                   actor="lead", now=T0 + timedelta(minutes=20))
    Drafting(Brand()).run_once(store, T0 + timedelta(minutes=20))
    after = queued(store)
    assert sorted(after) == sorted(drafts)
    assert all(after[k].id == drafts[k].id and after[k].phase == "identified" for k in after)
    assert "cause identifiée" in after[("investors", "email", "fr")].subject
    assert after[("partners", "email", "en")].template.endswith("partners.identified.en.j2")


def test_approved_updates_reach_their_recipients_once_in_their_language(store, world):
    twilio, inbox, channels = world
    now = T0 + timedelta(minutes=1)
    Drafting(Brand()).run_once(store, now)
    drafts = queued(store)
    stage = Broadcasting(channels, BroadcastPolicy())
    # Nothing approved: nothing sent, and the outbox never sends a broadcast draft.
    assert stage.run_once(store, now) == 0
    assert publish_approved(store, channels, now) == 0
    assert inbox.messages == [] and sms_sent(twilio) == []

    for key in (("customers", "email", "fr"), ("customers", "sms", "fr"),
                ("regulators", "email", "fr")):
        approve_draft(store, drafts[key].id, now)
    assert stage.run_once(store, now) == 3
    assert stage.run_once(store, now + timedelta(hours=1)) == 0  # exactly once
    assert publish_approved(store, channels, now) == 0
    (mail,) = mails_to(inbox, "dan@client.example")
    assert mail.startswith("Bonjour,") and "Répondez" not in mail  # no reply asked
    (sms,) = sms_sent(twilio)
    assert sms["To"] == "+33600000004"
    assert sms["Body"] == drafts[("customers", "sms", "fr")].body  # as approved, nothing added
    assert sms_segments(sms["Body"])[0] == "GSM-7"
    assert mails_to(inbox, "eve@client.example") == []  # the English text is not approved
    (letter,) = mails_to(inbox, "notifications@cnil.example")
    assert letter.startswith("Madame, Monsieur,")

    approve_draft(store, drafts[("customers", "email", "en")].id, now)
    assert stage.run_once(store, now) == 1  # Eve, in English; never Dan again
    assert mails_to(inbox, "eve@client.example")[0].startswith("Hello,")
    assert len(mails_to(inbox, "dan@client.example")) == 1
    with store.session() as session:
        states = {r.name: r.state for r in session.execute(
            select(BroadcastRecipientRow)).scalars()}
        rows = by_segment(session)
    assert set(states.values()) == {"informed"}
    assert sum(r["informed"] for r in rows) == 4 and sum(r["confirmed"] for r in rows) == 0


def test_a_brand_writing_english_only_sends_its_french_readers_the_english_text(store, world):
    _twilio, inbox, channels = world
    now = T0 + timedelta(minutes=1)
    Drafting(Brand(public_langs=("en",))).run_once(store, now)
    drafts = queued(store)
    assert {lang for _, _, lang in drafts} == {"en"}
    assert ("customers", "sms", "en") in drafts  # Dan's phone, in the brand's language
    approve_draft(store, drafts[("customers", "email", "en")].id, now)
    assert Broadcasting(channels, BroadcastPolicy(), ("en",)).run_once(store, now) == 2
    assert mails_to(inbox, "dan@client.example")[0].startswith("Hello,")


def test_a_queued_update_is_stale_after_the_incident_moves_on(store, world):
    _twilio, inbox, channels = world
    Drafting(Brand()).run_once(store, T0 + timedelta(minutes=1))
    draft_id = queued(store)[("partners", "email", "en")].id
    approve_draft(store, draft_id, T0 + timedelta(minutes=1))
    with store.session() as session:  # the facts change before the stage runs
        update_facts(session, session.execute(select(IncidentRow)).scalar_one(), actor="lead",
                     now=T0 + timedelta(minutes=2), impact="about 45% of customers cannot log in")
    assert Broadcasting(channels, BroadcastPolicy()).run_once(
        store, T0 + timedelta(minutes=2)) == 0
    assert inbox.messages == []
    with store.session() as session:
        assert session.get(DraftRow, draft_id).status == "draft"  # back in the queue


def test_the_approver_sees_who_it_reaches_and_what_one_sms_costs(store, world):
    Drafting(Brand()).run_once(store, T0 + timedelta(minutes=1))
    drafts = queued(store)
    with store.session() as session:
        sms = broadcast_info(session, session.get(DraftRow, drafts[("customers", "sms",
                                                                    "fr")].id))
        mail = broadcast_info(session, session.get(DraftRow, drafts[("customers", "email",
                                                                     "en")].id))
        body = drafts[("customers", "sms", "fr")].body
    encoding, segments = sms_segments(body)
    assert sms["sms"] == {"chars": len(body), "encoding": encoding, "segments": segments}
    assert (sms["segments"], sms["channels"], sms["recipients"]) == (["customers"], ["sms"], 1)
    assert mail["sms"] is None and mail["recipients"] == 1 and mail["ask_confirm"] is False
    assert mail["langs"] == ["en"]  # Eve; Dan reads French
    assert sms_segments(body + "ê")[0] == "UCS-2"  # why the template writes GSM-7 only
    # A hand-written broadcast asks for a confirmation: its SMS carries the reply line.
    text = ("We are investigating a login outage since 09:50 UTC and restarting the "
            "authentication service. Next update by 12:00 UTC.")
    with store.session() as session:
        queued_row = create_broadcast(session, segments=["customers"], body=text,
                                      author="ed", role="editor", now=T0,
                                      channels=("sms", "email"))
        info = broadcast_info(session, session.get(DraftRow, queued_row.draft_id))
    sent = text + "\nReply YES to confirm you have read this."
    assert info["sms"] == {"chars": len(sent), "encoding": "GSM-7",
                           "segments": sms_segments(sent)[1]}
    assert (info["recipients"], info["langs"], info["ask_confirm"]) == (2, None, True)


NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
PHASES = ("investigating", "identified", "fixing", "monitoring", "resolved")


def _contexts():
    for crisis_type in ("outage", "data_leak", "degraded"):
        for lang in ("en", "fr"):
            for phase in PHASES:
                for cause_known in (True, False):
                    if phase == "investigating" and cause_known:
                        continue
                    yield crisis_type, lang, phase, cause_known


@pytest.mark.parametrize("who", ["partners", "investors", "regulators"])
@pytest.mark.parametrize("crisis_type, lang, phase, cause_known", list(_contexts()))
def test_partner_investor_regulator_templates_lint_clean(who, crisis_type, lang, phase,
                                                         cause_known):
    ctx = example_context(lang, phase=phase, crisis_type=crisis_type)
    facts = ctx["facts"]
    if cause_known and not facts["cause"]:
        facts["cause"] = example_context(lang, phase="fixing", crisis_type=crisis_type)[
            "facts"]["cause"]
    if not cause_known:
        facts["cause"], facts["eta"] = None, None
    eta = None
    if facts["eta"]:
        hours, minutes = facts["eta"].split()[0].split(":")
        eta = NOW.replace(hour=int(hours), minute=int(minutes))
    rendered = TemplateLibrary().render("notify", name=f"{who}.{phase}",
                                        crisis_type=crisis_type, lang=lang, context=ctx)
    findings = lint(rendered.body, audience=who, phase=phase, lang=lang, now=NOW,
                    facts={"cause": facts["cause"], "eta": eta, "eta_estimate": eta,
                           "impact": facts["impact"]})
    assert findings == [], [(f.rule, f.message) for f in findings]
    assert rendered.subject and "{{" not in rendered.body
    if phase == "resolved":
        assert facts["next_update"] not in rendered.body  # nothing more is promised
    else:
        assert facts["next_update"].split()[0].replace(":", " h " if lang == "fr" else ":") \
            in rendered.body
