"""The linter catches bad crisis messages in English and French and leaves good ones alone."""

import argparse
import io
import json
from datetime import UTC, datetime

import pytest

from crisiswatch import lint_command
from responders.lint import Finding, consistency, lint

NOW = datetime(2025, 3, 4, 10, 40, tzinfo=UTC)
ETA = datetime(2025, 3, 4, 14, 30, tzinfo=UTC)
UNKNOWN = {"cause": None, "eta": None, "eta_estimate": None, "impact": "60% cannot log in"}
KNOWN = {"cause": "a bad config change", "eta": ETA, "eta_estimate": ETA, "impact": "60%"}

GOOD_EN = (
    "About 60% of customers cannot log in or sync files. We are investigating and do not yet "
    "know the cause, so we can't give a time for the fix yet. Next update by 11:30 UTC."
)
GOOD_FR = (
    "Environ 60 % des clients ne peuvent plus se connecter. Nos équipes analysent le problème ; "
    "la cause n'est pas encore connue. Prochaine mise à jour à 11:30 UTC."
)


def rules(findings, severity=None):
    return {f.rule for f in findings if severity is None or f.severity == severity}


def only(findings, rule):
    return [f for f in findings if f.rule == rule]


@pytest.mark.parametrize("text, lang", [(GOOD_EN, "en"), (GOOD_FR, "fr")])
def test_good_messages_are_clean(text, lang):
    assert lint(text, phase="investigating", lang=lang, facts=UNKNOWN, now=NOW) == []


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("The outage is caused by a faulty deploy. " + GOOD_EN, "en", "caused by"),
        ("Root cause: the database. " + GOOD_EN, "en", "Root cause"),
        ("La panne est due à une mise à jour. " + GOOD_FR, "fr", "due à"),
        ("Coupure à cause de notre hébergeur. " + GOOD_FR, "fr", "à cause de"),
    ],
)
def test_truth_no_certain_cause_while_investigating(text, lang, word):
    found = only(lint(text, phase="investigating", lang=lang, facts=UNKNOWN), "truth")
    assert [f.severity for f in found] == ["error"]
    start, end = found[0].span
    assert text[start:end] == word
    assert "investigating" in found[0].message


def test_truth_negated_cause_is_fine_and_later_phases_may_state_it():
    text = "We don't know yet whether this is caused by the update. " + GOOD_EN
    assert not only(lint(text, phase="investigating", facts=UNKNOWN), "truth")
    stated = "The outage was caused by a faulty deploy. We are fixing it. Next update 11:30 UTC."
    assert not only(lint(stated, phase="identified", facts=KNOWN), "truth")


@pytest.mark.parametrize(
    "text, lang",
    [
        ("60% of customers cannot log in. We are on it. Next update at 11:30 UTC.", "en"),
        (
            (
                "60 % des clients ne peuvent pas se connecter. Nous travaillons. "
                "Prochaine mise à jour à 11:30 UTC."
            ),
            "fr",
        ),
    ],
)
def test_truth_warns_when_unknown_cause_is_not_acknowledged(text, lang):
    found = only(lint(text, phase="fixing", lang=lang, facts=UNKNOWN), "truth")
    assert [f.severity for f in found] == ["warning"]


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("This is a disaster. " + GOOD_EN, "en", "disaster"),
        ("Total meltdown here. " + GOOD_EN, "en", "meltdown"),
        ("C'est le chaos. " + GOOD_FR, "fr", "chaos"),
        ("Un vrai cauchemar. " + GOOD_FR, "fr", "cauchemar"),
    ],
)
def test_calm_panic_words(text, lang, word):
    found = only(lint(text, lang=lang), "calm")
    assert found[0].severity == "error" and text[slice(*found[0].span)] == word


def test_calm_technical_terms_are_not_panic():
    text = "We are failing over to our disaster recovery site after a kernel panic. " + GOOD_EN
    assert not only(lint(text), "calm")


def test_calm_shouting_and_exclamations():
    en = lint("We are WORKING on it!! The API and SMS gateway are down. Next update 11:30 UTC.")
    shouts = [f for f in only(en, "calm") if "capitals" in f.message]
    assert len(shouts) == 1 and "WORKING" in shouts[0].message  # API, SMS, UTC are acronyms
    assert any("exclamation" in f.message for f in only(en, "calm"))
    fr = lint(
        "Nous sommes MOBILISÉS. Prochaine mise à jour à 11:30 UTC. La CNIL est informée.", lang="fr"
    )
    assert [f.message.split("'")[1] for f in only(fr, "calm")] == ["MOBILISÉS"]


@pytest.mark.parametrize(
    "text, lang",
    [
        ("About 60% of customers cannot log in. We are investigating.", "en"),
        ("Environ 60 % des clients ne peuvent pas se connecter. Nous analysons le problème.", "fr"),
    ],
)
def test_action_needs_next_update(text, lang):
    found = only(lint(text, phase="investigating", lang=lang), "action")
    assert [f.severity for f in found] == ["error"] and "next update" in found[0].message


def test_action_warns_without_what_we_do_and_skips_resolved():
    text = "About 60% of customers cannot log in. Next update at 11:30 UTC."
    assert [f.severity for f in only(lint(text, phase="fixing"), "action")] == ["warning"]
    fr = "Environ 60 % des clients ne peuvent pas se connecter. Prochaine mise à jour à 11:30 UTC."
    assert [f.severity for f in only(lint(fr, phase="fixing", lang="fr"), "action")] == ["warning"]
    assert not only(
        lint("The incident is resolved; all customers can log in.", phase="resolved"), "action"
    )


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("Service will be restored by 12:00 UTC. " + GOOD_EN, "en", "restored by 12:00"),
        ("Service rétabli d'ici 30 minutes. " + GOOD_FR, "fr", "rétabli d'ici 30 minutes"),
    ],
)
def test_over_promise_eta_before_cause_is_known(text, lang, word):
    found = only(
        lint(text, phase="investigating", lang=lang, facts=UNKNOWN, now=NOW), "over_promise"
    )
    errors = [f for f in found if f.severity == "error"]
    assert len(errors) == 1 and text[slice(*errors[0].span)] == word


def test_over_promise_eta_earlier_than_estimate_or_already_past():
    early = "We expect service back by 13:00 UTC. We are rolling back. Next update 11:30 UTC."
    found = only(lint(early, phase="fixing", facts=KNOWN, now=NOW), "over_promise")
    assert len(found) == 1 and "13:00" in found[0].message and "14:30" in found[0].message
    honest = early.replace("13:00", "14:30")
    assert not only(lint(honest, phase="fixing", facts=KNOWN, now=NOW), "over_promise")
    late = datetime(2025, 3, 4, 15, 0, tzinfo=UTC)
    past = only(lint(honest, phase="fixing", facts=KNOWN, now=late), "over_promise")
    assert len(past) == 1 and "already passed" in past[0].message
    fr = "Retour à la normale prévu vers 13:00 UTC. Nous annulons la modification."
    assert only(lint(fr, lang="fr", phase="fixing", facts=KNOWN, now=NOW), "over_promise")


def test_over_promise_next_update_time_and_past_events_are_not_etas():
    text = (
        "Service was restored at 10:05 UTC. We are monitoring. Next update by 11:30 UTC; "
        "we'll get back to you by 12:00 UTC."
    )
    assert not only(lint(text, phase="monitoring", facts=UNKNOWN, now=NOW), "over_promise")


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("We guarantee this will never happen again. " + GOOD_EN, "en", "guarantee"),
        ("Nous garantissons que cela ne se reproduira plus. " + GOOD_FR, "fr", "garantissons"),
    ],
)
def test_over_promise_guarantees(text, lang, word):
    found = only(lint(text, lang=lang), "over_promise")
    assert len(found) == 2 and all(f.severity == "error" for f in found)
    assert text[slice(*found[0].span)] == word


def test_over_promise_honest_uncertainty_is_fine():
    text = "We cannot guarantee a time yet. " + GOOD_EN
    assert not only(lint(text, phase="investigating", facts=UNKNOWN), "over_promise")


@pytest.mark.parametrize(
    "text, lang",
    [
        ("Should be fixed in 5 minutes, we are on it. Next update 11:30 UTC.", "en"),
        ("Nous corrigeons, retour dans 5 minutes. Prochaine mise à jour à 11:30 UTC.", "fr"),
    ],
)
def test_over_promise_minute_precise_while_investigating(text, lang):
    found = only(lint(text, phase="investigating", lang=lang), "over_promise")
    assert "warning" in {f.severity for f in found}
    assert not only(
        lint("Next update in 30 minutes. " + GOOD_EN, phase="investigating"), "over_promise"
    )


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("Technical problem in progress.", "en", "Technical problem in progress"),
        ("Problème technique en cours.", "fr", "Problème technique en cours"),
    ],
)
def test_vague_boilerplate(text, lang, word):
    found = only(lint(text, phase="investigating", lang=lang), "vague")
    assert all(f.severity == "warning" for f in found)
    assert text[slice(*found[0].span)] == word
    messages = " ".join(f.message for f in found)
    assert "No impact statement" in messages and "characters" in messages


def test_vague_some_users_needs_a_figure():
    text = "Some users cannot sync files. We are investigating. Next update 11:30 UTC."
    assert only(lint(text, phase="investigating"), "vague")
    fr = "Certains utilisateurs ne peuvent pas synchroniser. Nous analysons. Prochaine mise à jour."
    assert only(lint(fr, phase="investigating", lang="fr"), "vague")
    scoped = text.replace("Some users", "Some users (about 5% of customers in the EU region)")
    assert not only(lint(scoped, phase="investigating"), "vague")


@pytest.mark.parametrize(
    "text, lang, word",
    [
        ("The outage was human error by an engineer.", "en", "human error"),
        ("The outage was caused by John Smith deploying on Friday.", "en", "caused by John Smith"),
        ("It was Marc's fault.", "en", "Marc's fault"),
        ("L'incident vient d'une erreur humaine.", "fr", "erreur humaine"),
        ("C'est la faute de l'équipe réseau.", "fr", "la faute de"),
    ],
)
def test_blameless_postmortem(text, lang, word):
    found = only(lint(text, audience="board", phase="postmortem", lang=lang), "blameless")
    assert found and found[0].severity == "error" and text[slice(*found[0].span)] == word
    assert not only(lint(text, audience="customers", phase="fixing", lang=lang), "blameless")


def test_blameless_system_causes_and_alerts_are_fine():
    text = (
        "The outage was caused by a configuration change. Monitoring alerts fired at 09:52 "
        "UTC. This review is blameless."
    )
    assert not only(lint(text, audience="board", phase="postmortem"), "blameless")


def test_length_per_channel():
    long = "We are investigating. Next update 11:30 UTC. " + "x" * 260
    assert [f.severity for f in only(lint(long, channel="x"), "length")] == ["error"]
    assert not only(lint(long, channel="mastodon"), "length")
    assert only(lint("ê" * 150, channel="sms"), "length")


def test_finding_as_dict():
    d = Finding("calm", "error", "msg", (1, 3)).as_dict()
    assert d == {"rule": "calm", "severity": "error", "message": "msg", "span": [1, 3]}
    assert Finding("action", "warning", "m").as_dict()["span"] is None


def test_consistency_across_messages():
    status = "About 60% of customers cannot log in. We expect a fix by 14:30 UTC."
    team = "Impact: 60% of customers. ETA: 14:30 UTC. Next update 11:00 UTC."
    sms = "Nimbus: incident in progress. Next update 11:30 UTC."
    assert consistency([status, team, sms]) == []
    ceo = "Impact: 40% of customers. Expected resolution: 15:00 UTC."
    found = consistency([status, team, ceo])
    assert {f.rule for f in found} == {"consistency"} and len(found) == 2
    assert "40" in found[0].message and "15:00" in found[1].message
    fr = "Environ 60 % des clients. Retour prévu vers 14h30 UTC."
    assert consistency([status, fr]) == []


# ------------------------------------------------------------------ CLI


def _parser():
    parser = argparse.ArgumentParser(prog="crisiswatch")
    lint_command.register(parser.add_subparsers(dest="command"))
    return parser


def test_cli_file_human_output(tmp_path, capsys):
    path = tmp_path / "msg.txt"
    path.write_text("C'est le chaos, tout est en panne.", encoding="utf-8")
    args = _parser().parse_args(["lint", "--lang", "fr", "--phase", "investigating", str(path)])
    assert args.func(args) == 1
    out = capsys.readouterr().out
    assert "error: calm: 9-14 'chaos'" in out and "error: action" in out


def test_cli_stdin_json(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO("Total meltdown!! Next update 11:30 UTC."))
    args = _parser().parse_args(["lint", "--json", "--channel", "x", "-"])
    assert lint_command.run(args) == 1
    rows = json.loads(capsys.readouterr().out)
    assert rows[0] == {
        "rule": "calm",
        "severity": "error",
        "span": [6, 14],
        "text": "meltdown",
        "message": rows[0]["message"],
    }
    assert set(rows[1]) == {"rule", "severity", "span", "text", "message"}


def test_cli_clean_message_exits_zero(monkeypatch, capsys):
    monkeypatch.setattr("sys.stdin", io.StringIO(GOOD_EN))
    args = _parser().parse_args(["lint", "--phase", "investigating", "-"])
    assert lint_command.run(args) == 0
    assert "no findings" in capsys.readouterr().out


@pytest.mark.parametrize("lang,text", [
    ("en", "Many customers cannot log in. What we know: . We are on it. Next update by 11:00 UTC."),
    ("fr", ("De nombreux clients sont bloqués. Ce que nous savons : . Nos équipes "
            "travaillent. Prochaine mise à jour à 11:00 UTC.")),
])
def test_a_blank_fact_is_an_error(lang, text):
    blank = [f for f in lint(text, phase="investigating", lang=lang) if f.rule == "vague"
             and f.severity == "error"]
    assert len(blank) == 1
    assert ("savons" if lang == "fr" else "know") in blank[0].message
    assert text[blank[0].span[0]:blank[0].span[1]].strip().endswith(": .")


def test_times_are_not_blank_facts():
    text = ("About 60% of customers cannot log in. Our engineers are rolling back the change. "
            "Next update: 10:30 UTC.")
    assert not [f for f in lint(text, phase="identified") if f.severity == "error"]
