"""`crisiswatch lint --now ISO --tz NAME --lang fr`: stale next updates, time zones, findings
in the user's language; the contract (one line per finding, --json, exit 1 on error) holds."""

import argparse
import io
import json

import pytest

from crisiswatch import lint_command

GOOD_FR = ("Environ 60 % des clients ne peuvent plus se connecter ; la cause n'est pas encore "
           "connue. Nos équipes analysent le problème. Prochain point à 13 h 30.")
GOOD_EN = ("About 60% of customers cannot log in; the cause is not yet known. We are "
           "investigating. Next update by 12:30 UTC.")


def run(monkeypatch, capsys, text, *argv):
    monkeypatch.delenv("CRISISWATCH_CONFIG", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    parser = argparse.ArgumentParser(prog="crisiswatch")
    lint_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lint", "--phase", "investigating", *argv, "-"])
    code = args.func(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("now, tz, code", [
    ("2026-12-03T11:59:00Z", None, 0),                 # 13:30 read as UTC: later
    ("2026-12-03T11:59:00Z", "Europe/Paris", 0),       # 13:30 Paris = 12:30 UTC: later
    ("2026-12-03T12:30:00Z", "Europe/Paris", 1),       # exactly the promised time: stale
    ("2026-12-03T13:29:00+01:00", "Europe/Paris", 0),  # an offset in --now
    ("2026-12-03T12:31:00", "Europe/Paris", 1),        # naive --now is UTC
])
def test_now_and_tz(monkeypatch, capsys, now, tz, code):
    argv = ["--lang", "fr", "--now", now] + (["--tz", tz] if tz else [])
    got, out, _ = run(monkeypatch, capsys, GOOD_FR, *argv)
    assert got == code, out
    assert ("error: stale: " in out) == (code == 1)


def test_stale_line_format_and_french_findings(monkeypatch, capsys):
    text = GOOD_FR.replace("13 h 30", "11:00 UTC")
    code, out, _ = run(monkeypatch, capsys, text, "--lang", "fr", "--now", "2026-12-03T11:59Z")
    assert code == 1
    start = text.index("11:00 UTC")
    assert f"error: stale: {start}-{start + 9} '11:00 UTC': Annonce le prochain point" in out
    code, out, _ = run(monkeypatch, capsys, GOOD_FR, "--lang", "fr")
    assert code == 0 and out.strip() == "ok: aucune remarque"


def test_json_carries_the_new_rules(monkeypatch, capsys):
    text = ("Désolés pour la gêne. Many customers cannot log in or sync files. C'est la faute de "
            "notre fournisseur. Tout fonctionne normalement. Prochaine mise à jour à 11:00 UTC.")
    code, out, _ = run(monkeypatch, capsys, text, "--lang", "fr", "--json",
                       "--now", "2026-12-03T11:59:00Z")
    rows = json.loads(out)
    assert code == 1
    assert {"stale", "mixed_language", "blame", "denial"} <= {r["rule"] for r in rows}
    mixed = next(r for r in rows if r["rule"] == "mixed_language")
    assert mixed["text"] == "Many customers cannot log in or sync files"
    assert mixed["severity"] == "error" and "anglais" in mixed["message"]
    assert set(mixed) == {"rule", "severity", "span", "text", "message"}


def test_english_user_gets_english_findings(monkeypatch, capsys):
    code, out, _ = run(monkeypatch, capsys, GOOD_EN.replace("12:30", "11:00"),
                       "--now", "2026-12-03T11:59:00Z")
    assert code == 1 and "error: stale:" in out and "next update" in out
    code, out, _ = run(monkeypatch, capsys, GOOD_EN, "--now", "2026-12-03T11:59:00Z")
    assert code == 0 and "no findings" in out


def test_the_brand_time_zone_comes_from_the_config(monkeypatch, capsys, tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[brand]\nname = "Nimbus"\ntimezones = { fr = "Europe/Paris" }\n')
    text = GOOD_FR.replace("13 h 30", "13 h 00")  # 12:00 UTC in Paris, 13:00 UTC otherwise
    code, _, _ = run(monkeypatch, capsys, text, "--lang", "fr", "--now", "2026-12-03T12:30Z")
    assert code == 0
    monkeypatch.setenv("CRISISWATCH_CONFIG", str(config))
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    parser = argparse.ArgumentParser(prog="crisiswatch")
    lint_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["lint", "--phase", "investigating", "--lang", "fr", "--now",
                              "2026-12-03T12:30Z", "-"])
    assert args.func(args) == 1
    assert "error: stale:" in capsys.readouterr().out


@pytest.mark.parametrize("argv, what", [
    (["--now", "tomorrow"], "--now"),
    (["--tz", "Mars/Olympus"], "--tz"),
])
def test_bad_now_or_tz_is_a_usage_error(monkeypatch, capsys, argv, what):
    code, _, err = run(monkeypatch, capsys, GOOD_EN, *argv)
    assert code == 2 and what in err
