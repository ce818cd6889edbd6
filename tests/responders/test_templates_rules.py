"""Every template, every audience, phase, language and crisis type, rendered with facts of
both kinds (cause known / unknown, impact confirmed / unconfirmed), passes the linter with
no error; French is typeset and timed for its readers; facts join cleanly."""

from datetime import UTC, datetime

import pytest

from responders.lint import lint
from responders.templates import (
    PHASES,
    REPLY_CATEGORIES,
    TemplateLibrary,
    example_context,
    format_clock,
    format_day,
    french_typography,
)

LIB = TemplateLibrary()
NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
CRISIS_TYPES = ("outage", "data_leak", "degraded", "billing", "controversy")
UNCONFIRMED = {
    ("outage", "en"): "logins may be failing in the EU; numbers not yet confirmed",
    ("outage", "fr"): "des connexions pourraient échouer en Europe ; nombre non confirmé",
    ("data_leak", "en"): "no confirmed impact on customer data so far",
    ("data_leak", "fr"): "aucun impact confirmé sur les données clients à ce stade",
}


def _messages(crisis_type, phase):
    """(kind, name, audience, channel) of every message a phase calls for."""
    if phase == "postmortem":
        return [("postmortem", "board", "board", None), ("postmortem", "public", "customers", None)]
    jobs = [("status", phase, "customers", None)]
    jobs += [("notify", f"{who}.{phase}", who, None) for who in ("team", "ceo", "customers")]
    jobs.append(("notify", f"sms.{phase}", "customers", "sms"))
    jobs += [("replies", category, "customers", "x") for category in REPLY_CATEGORIES]
    if phase not in ("resolved", "postmortem"):  # a rumour is corrected while it spreads
        jobs.append(("replies", "correction", "customers", "x"))
    return jobs


def _variants():
    for crisis_type in CRISIS_TYPES:
        for lang in ("en", "fr"):
            for phase in PHASES:
                for cause in ("known", "unknown"):
                    if phase == "investigating" and cause == "known":
                        continue  # a known cause moves the incident to identified
                    for impact in ("confirmed", "unconfirmed"):
                        yield crisis_type, lang, phase, cause, impact


def _context(crisis_type, lang, phase, cause, impact):
    ctx = example_context(lang, phase=phase, crisis_type=crisis_type)
    facts = ctx["facts"]
    if cause == "known" and not facts["cause"]:
        facts["cause"] = example_context(lang, phase="fixing", crisis_type=crisis_type)[
            "facts"]["cause"]
    if cause == "unknown":
        facts["cause"], facts["eta"] = None, None
    if impact == "unconfirmed":
        key = ("data_leak" if crisis_type == "data_leak" else "outage", lang)
        facts["impact"] = UNCONFIRMED[key]
    return ctx


def _raw_facts(ctx):
    facts = ctx["facts"]
    eta = None
    if facts["eta"]:
        hours, minutes = facts["eta"].split()[0].split(":")
        eta = NOW.replace(hour=int(hours), minute=int(minutes))
    return {"cause": facts["cause"], "eta": eta, "eta_estimate": eta, "impact": facts["impact"]}


@pytest.mark.parametrize("crisis_type, lang, phase, cause, impact", list(_variants()))
def test_every_combination_lints_without_error(crisis_type, lang, phase, cause, impact):
    ctx = _context(crisis_type, lang, phase, cause, impact)
    for kind, name, audience, channel in _messages(crisis_type, phase):
        rendered = LIB.render(kind, name=name, crisis_type=crisis_type, lang=lang, context=ctx)
        errors = [f for f in lint(rendered.body, audience=audience, phase=phase, lang=lang,
                                  channel=channel, facts=_raw_facts(ctx), now=NOW)
                  if f.severity == "error"]
        assert errors == [], f"{rendered.template}:\n{rendered.body}\n{errors}"
        assert ".." not in rendered.body.replace("...", "")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_facts_typed_with_full_stops_and_capitals_join_cleanly(lang):
    ctx = example_context(lang, phase="identified")
    for key in ("impact", "known", "unknown", "cause", "actions"):
        value = ctx["facts"][key]
        ctx["facts"][key] = value[:1].upper() + value[1:] + "."
    for kind, name, _, _ in _messages("outage", "identified"):
        body = LIB.render(kind, name=name, crisis_type="outage", lang=lang, context=ctx).body
        assert ".." not in body and ". ." not in body, body
        for label in ("Cause", "Impact", "What we know", "Ce que nous savons"):
            for sep in (": ", "\u00a0: "):
                start = body.find(label + sep)
                if start >= 0:
                    after = body[start + len(label + sep):][:1]
                    assert not after.isupper(), body  # no capital after a colon
    assert ctx["facts"]["impact"].endswith(".")  # the caller's context is left alone


def test_french_typography_and_times():
    ctx = example_context("fr", phase="investigating")
    body = LIB.render("status", name="investigating", crisis_type="outage", lang="fr",
                      context=ctx).body
    assert "savons\u00a0:" in body and " :" not in body and " ;" not in body
    assert "11 h 30 UTC" in body
    sms = LIB.render("notify", name="sms.investigating", crisis_type="outage", lang="fr",
                     context=ctx).body
    assert "\u00a0" not in sms and "\u202f" not in sms  # GSM-7 keeps plain spaces
    assert french_typography("Vraiment ? Oui ; non ! Voir : ceci, https://x.example:8080") == (
        "Vraiment\u202f? Oui\u202f; non\u202f! Voir\u00a0: ceci, https://x.example:8080")


def test_times_in_the_audience_time_zone():
    paris = TemplateLibrary(timezones={"fr": "Europe/Paris"})
    ctx = example_context("fr", phase="investigating")
    ctx["facts"]["next_update"] = datetime(2026, 12, 3, 11, 30)  # naive: UTC
    body = paris.render("status", name="investigating", crisis_type="outage", lang="fr",
                        context=ctx).body
    assert "12 h 30 (heure de Paris)" in body
    # A string time moves to the zone only when the day is known (the offset depends on it).
    ctx["facts"]["next_update"] = "11:30 UTC"
    assert "11 h 30 UTC" in paris.render("status", name="investigating", crisis_type="outage",
                                         lang="fr", context=ctx).body
    summer = paris.render("status", name="investigating", crisis_type="outage", lang="fr",
                          context=ctx, now=datetime(2026, 7, 1, 9, 0)).body
    assert "13 h 30 (heure de Paris)" in summer
    # English stays UTC unless the brand gives it a zone
    en = example_context("en", phase="investigating")
    assert "11:30 UTC" in paris.render("status", name="investigating", crisis_type="outage",
                                       lang="en", context=en).body
    # and the linter reads the zone the message names: not stale at 11:59 UTC, 12:31 is
    assert not [f for f in lint(body, phase="investigating", lang="fr",
                                now=datetime(2026, 12, 3, 11, 29, tzinfo=UTC)) if f.rule == "stale"]
    assert [f.rule for f in lint(body, phase="investigating", lang="fr",
                                 now=datetime(2026, 12, 3, 11, 30, tzinfo=UTC))
            if f.rule == "stale"] == ["stale"]


def test_clock_and_day_formats():
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert format_clock(at, "fr") == "12 h 00 UTC"
    assert format_clock(at, "en") == "12:00 UTC"
    assert format_clock(at, "fr", "Europe/Paris") == "13 h 00 (heure de Paris)"
    assert format_clock(at, "en", "Europe/London") == "12:00 (London time)"
    assert format_clock(None, "fr") is None and format_clock("bientôt", "fr") == "bientôt"
    assert format_day(at, "fr") == "3 déc. 2026" and format_day(at, "en") == "3 Dec 2026"
    assert format_day(datetime(2026, 1, 1, 12), "fr") == "1er janv. 2026"
    assert format_day(datetime(2026, 12, 31, 23, 30), "fr", "Europe/Paris") == "1er janv. 2027"


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_rumour_reply_answers_is_it_true_without_ordering_or_thanking(lang):
    for impact in ("confirmed", "unconfirmed"):
        ctx = _context("outage", lang, "investigating", "unknown", impact)
        body = LIB.render("replies", name="rumour", crisis_type="outage", lang=lang,
                          context=ctx).body
        rest = body.split(" ", 1)[1]
        assert rest.startswith("Is it true?" if lang == "en" else "Est-ce vrai\u202f?"), body
        assert "Merci de" not in body and "Thanks" not in body
        assert "confirm" in body  # it says what is and is not confirmed


def test_data_leak_update_does_not_assert_a_breach_while_impact_is_unconfirmed():
    ctx = _context("data_leak", "fr", "investigating", "unknown", "unconfirmed")
    body = LIB.render("status", name="investigating", crisis_type="data_leak", lang="fr",
                      context=ctx).body
    assert "comment cela a pu se produire" not in body
    assert "si des données ont réellement été exposées" in body
    confirmed = _context("data_leak", "fr", "investigating", "unknown", "confirmed")
    confirmed["facts"]["impact"] = "les noms et adresses e-mail de 2 312 clients ont été exposés"
    body = LIB.render("status", name="investigating", crisis_type="data_leak", lang="fr",
                      context=confirmed).body
    assert "comment cela s'est produit" in body
