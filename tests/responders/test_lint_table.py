"""The linter on a good/bad table in both languages, with the send time (`now`) given:
each bad message trips exactly the rule it is about; each good one trips no error."""

from datetime import UTC, datetime

import pytest

from responders.lint import consistency, lint

NOW = datetime(2026, 12, 3, 11, 59, tzinfo=UTC)  # when the message would go out
UNKNOWN = {"cause": None, "eta": None, "eta_estimate": None, "impact": "60% cannot log in"}

# (lang, phase, tz, text); every one must pass with no error at NOW.
GOOD = [
    ("en", "investigating", None,
     ("About 60% of customers cannot log in. We are investigating; the cause is not yet known. "
     "Next update by 12:30 UTC.")),
    ("en", "investigating", None,
     ("About 60% of customers cannot log in; the cause is not yet known. Failover to the "
     "secondary in progress. Next sync in 30 minutes.")),
    ("en", "investigating", None,
     ("About 60% of customers cannot log in and the cause is unknown.\nPlan: Mark checks the "
     "database.\nNext sync in 30 min.")),
    ("en", "investigating", None,
     ("About 60% of customers cannot pay by IBAN transfer; the cause is not yet known. We are "
     "investigating. Next update in 30 minutes.")),
    ("en", "monitoring", None,
     ("About 2% of customers still see delayed sync. We are watching error rates, which are "
     "back to normal levels. Next update by 13:00 UTC.")),
    ("fr", "investigating", None,
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Nos équipes analysent le problème. Point dans 30 min.")),
    ("fr", "investigating", "Europe/Paris",
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Bascule vers le site de secours en cours. Prochain point à 16h.")),
    ("fr", "investigating", "Europe/Paris",
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Nous analysons le problème. Prochaine mise à jour à 13 h 30.")),
    ("fr", "investigating", None,
     ("Environ 60 % des clients ne peuvent plus payer par virement IBAN ; la cause n'est pas "
     "encore connue. Nous analysons le problème. Prochaine mise à jour à 12:30 UTC.")),
]

# (lang, phase, tz, text, rule, span text or None)
BAD = [
    ("en", "investigating", None,
     ("About 60% of customers cannot log in; the cause is not yet known. We are investigating. "
     "Next update by 11:15 UTC."), "stale", "11:15 UTC"),
    ("fr", "investigating", None,
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Nous analysons le problème. Prochaine mise à jour à 11:00 UTC."),
     "stale", "11:00 UTC"),
    ("fr", "investigating", "Europe/Paris",  # 12:30 in Paris is 11:30 UTC: already past
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Nous analysons le problème. Prochain point à 12 h 30."), "stale", "12 h 30"),
    ("fr", "investigating", None,
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. Nous analysons le problème. Prochaine mise à jour à 12 h 30 (heure de Paris)."),
     "stale", "12 h 30 (heure de Paris)"),
    ("en", "investigating", None,
     ("About 60% of customers cannot log in; the cause is not yet known. It's our supplier's "
     "fault. We are investigating. Next update by 12:30 UTC."), "blame", "It's our supplier's fault"),
    ("fr", "investigating", None,
     ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
     "connue. C'est la faute de notre fournisseur. Nous analysons le problème. Prochaine mise "
     "à jour à 12:30 UTC."), "blame", None),
    ("en", "fixing", None,
     "Everything is working normally. We are watching the service. Next update by 12:30 UTC.",
     "denial", "Everything is working normally"),
    ("fr", "fixing", None,
     ("Tout fonctionne normalement. Nous surveillons le service. Prochaine mise à jour à "
     "12:30 UTC."), "denial", "Tout fonctionne normalement"),
    ("fr", "investigating", None,
     ("Désolés pour la gêne. Many customers cannot log in or sync files. Nous y travaillons ; "
     "la cause n'est pas encore connue. Prochaine mise à jour à 12:30 UTC."),
     "mixed_language", "Many customers cannot log in or sync files"),
    ("en", "investigating", None,
     ("Sorry for the trouble. Les connexions et la synchronisation échouent depuis 10:00. We "
     "are investigating; the cause is not yet known. Next update by 12:30 UTC."),
     "mixed_language", "Les connexions et la synchronisation échouent depuis 10:00"),
    ("en", "investigating", None,
     "About 60% of customers cannot log in; the cause is not yet known. Next sync in 30 min.",
     "action", None),  # no action: a warning, and nothing else wrong
]


def errors(findings):
    return [f for f in findings if f.severity == "error"]


@pytest.mark.parametrize("lang, phase, tz, text", GOOD)
def test_good_messages_have_no_error(lang, phase, tz, text):
    found = lint(text, phase=phase, lang=lang, facts=UNKNOWN, now=NOW, tz=tz)
    assert errors(found) == [], found
    assert not [f for f in found if f.rule in ("action", "over_promise", "calm")], found


@pytest.mark.parametrize("lang, phase, tz, text, rule, span", BAD)
def test_bad_messages_trip_their_rule(lang, phase, tz, text, rule, span):
    found = [f for f in lint(text, phase=phase, lang=lang, facts=UNKNOWN, now=NOW, tz=tz)
             if f.rule == rule]
    assert found, lint(text, phase=phase, lang=lang, facts=UNKNOWN, now=NOW, tz=tz)
    if span is not None:
        assert text[slice(*found[0].span)] == span
    if rule != "action":
        assert found[0].severity == "error"


def test_a_promised_time_after_now_is_fine_and_exactly_now_is_stale():
    text = ("About 60% of customers cannot log in; the cause is not yet known. We are "
            "investigating. Next update by 11:59 UTC.")
    assert [f.rule for f in errors(lint(text, phase="investigating", facts=UNKNOWN, now=NOW))
            ] == ["stale"]
    later = datetime(2026, 12, 3, 11, 58, tzinfo=UTC)
    assert not errors(lint(text, phase="investigating", facts=UNKNOWN, now=later))
    # naive means UTC; without `now` nothing can be stale
    assert errors(lint(text, phase="investigating", facts=UNKNOWN, now=NOW.replace(tzinfo=None)))
    assert not errors(lint(text, phase="investigating", facts=UNKNOWN))


def test_resolved_messages_promise_nothing_and_denial_is_only_during_an_incident():
    text = "Everything is working normally again. Sorry for the disruption this morning."
    assert not [f for f in lint(text, phase="resolved", now=NOW) if f.rule in ("stale", "denial")]
    assert not [f for f in lint("Everything is working normally.", phase="resolved")
                if f.rule == "denial"]


def test_blame_is_public_outside_postmortems_and_blameless_inside():
    text = "The outage was caused by our supplier. We are working on it. Next update 12:30 UTC."
    assert [f.rule for f in lint(text, phase="fixing") if f.rule.startswith("blame")] == ["blame"]
    pm = lint("It's our supplier's fault.", audience="board", phase="postmortem")
    assert "blame" not in {f.rule for f in pm}
    system = "The outage was caused by a configuration change. We are rolling it back. " \
             "Next update 12:30 UTC."
    assert not [f for f in lint(system, phase="fixing") if f.rule == "blame"]


def test_acronyms_are_not_shouting_but_shouting_is():
    found = lint("Payments by IBAN and SEPA transfer fail. We are DOWN and WORKING on it. "
                 "Next update 12:30 UTC.")
    shouted = [f.message.split("'")[1] for f in found if f.rule == "calm"]
    assert shouted == ["DOWN", "WORKING"]


def test_findings_speak_the_users_language():
    text = "Tout fonctionne normalement. Prochaine mise à jour à 11:00 UTC."
    fr = lint(text, phase="fixing", lang="fr", now=NOW, ui_lang="fr")
    en = lint(text, phase="fixing", lang="fr", now=NOW)
    assert {f.rule for f in fr} == {f.rule for f in en}
    stale = next(f for f in fr if f.rule == "stale")
    assert "prochain point" in stale.message and "11 h 59" in stale.message
    assert "next update" in next(f for f in en if f.rule == "stale").message


def test_untranslated_facts_block_the_french_message():
    facts = {**UNKNOWN, "untranslated": ["title", "impact"]}
    text = ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
            "connue. Nous analysons. Prochaine mise à jour à 12:30 UTC.")
    found = [f for f in lint(text, phase="investigating", lang="fr", facts=facts, now=NOW)
             if f.rule == "translate"]
    assert [f.severity for f in found] == ["error"]
    assert found[0].message.startswith("translate: title, impact")
    assert not [f for f in lint(text, lang="en", facts=facts) if f.rule == "translate"]


def test_breach_is_not_presupposed_while_impact_is_unconfirmed():
    facts = {"cause": None, "eta": None, "eta_estimate": None,
             "impact": "aucun impact confirmé sur les données clients à ce stade"}
    text = ("Aucun impact confirmé sur les données clients à ce stade. Nous n'avons pas encore "
            "établi comment cela a pu se produire. Nous analysons. Prochaine mise à jour à "
            "12:30 UTC.")
    found = [f for f in lint(text, phase="investigating", lang="fr", facts=facts, now=NOW)
             if f.rule == "truth" and f.severity == "error"]
    assert found and text[slice(*found[0].span)] == "comment cela a pu se produire"


def test_one_eta_in_two_zones_is_consistent():
    en = "We expect a fix by 14:30 UTC. Next update by 12:30 UTC."
    fr = "Retour prévu vers 15 h 30 (heure de Paris). Prochaine mise à jour à 13 h 30."
    assert consistency([en, fr], now=NOW) == []
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert consistency([en, fr.replace("15 h 30", "16 h 30")], now=summer) == []
    assert [f.rule for f in consistency([en, fr.replace("15 h 30", "16 h 30")], now=NOW)] == [
        "consistency"]
