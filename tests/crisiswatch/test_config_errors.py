"""A broken configuration is one clear line per problem (which key, what is wrong, what
would be right), exit status 2, no traceback, and no secret in the output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from crisiswatch.cli import main
from crisiswatch.config_check import ConfigError
from crisiswatch.settings import load

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("CRISISWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CRISISWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CRISISWATCH_SECRET_KEY", "k" * 32)
    return monkeypatch


def config(tmp_path, text: str) -> str:
    path = tmp_path / "crisiswatch.toml"
    path.write_text(text)
    return str(path)


CASES = {
    "malformed toml": ("[brand\nname = 1", {}, "not valid TOML"),
    "languages string": ('[brand]\nlanguages = "en"', {}, "brand.languages: expected a list"),
    "keywords number": ("[brand]\nkeywords = 3", {}, "brand.keywords: expected a list"),
    "port too big": ("port = 70000", {}, "port: expected a whole number from 1 to 65535"),
    "port string": ('port = "8050"', {}, "port: expected a whole number"),
    "env port": ("", {"CRISISWATCH_PORT": "eighty"}, "CRISISWATCH_PORT: expected a whole"),
    "proxies negative": ("trusted_proxies = -1", {}, "trusted_proxies: expected a whole"),
    "two person rule": ('two_person_rule = "maybe"', {}, "two_person_rule: expected true"),
    "env two person": ("", {"CRISISWATCH_TWO_PERSON_RULE": "perhaps"},
                       "CRISISWATCH_TWO_PERSON_RULE: expected"),
    "bad url": ('database_url = "not a url"', {}, "database_url: not a usable database URL"),
    "unknown driver": ("", {"CRISISWATCH_DATABASE_URL": "nosuchdb://u:hunter2@h/db"},
                       "CRISISWATCH_DATABASE_URL: not a usable database URL"),
    "resends word": ('[alerting]\nresends = "two"', {}, "alerting.resends: expected"),
    "contact no name": ('[[alerting.contacts]]\nchannels = { email = "a@x" }', {},
                        "alerting.contacts[1].name: missing"),
    "quiet hours": ('[[alerting.contacts]]\nname = "a"\nquiet_hours = "late"', {},
                    "alerting.contacts[1].quiet_hours: expected"),
    "source not table": ("[sources]\nx = 3", {}, "sources.x: expected a table"),
    "time zone": ('[brand]\ntimezone = "Mars/Olympus"', {}, "brand.timezone:"),
    "false alarms": ("[detection]\nfalse_alarms_per_week = -1", {},
                     "detection.false_alarms_per_week: expected a number"),
    "components": ("[status]\ncomponents = 3", {}, "status.components: expected a list"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_broken_config_is_one_clear_line_and_exit_2(name, clean_env, tmp_path, capsys):
    text, environ, expected = CASES[name]
    for key, value in environ.items():
        clean_env.setenv(key, value)
    code = main(["--config", config(tmp_path, text), "db", "upgrade"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("crisiswatch: configuration error: ")
    assert expected in err[0], err[0]
    assert "hunter2" not in err[0] and "Traceback" not in err[0]


def test_languages_string_never_becomes_letters(clean_env, tmp_path):
    with pytest.raises(ConfigError):
        load(config(tmp_path, '[brand]\nlanguages = "en"'))
    assert load(config(tmp_path, '[brand]\nlanguages = ["en"]')).brand.public_langs == ("en",)


def test_files_missing_or_directories_and_secrets_never_shown(clean_env, tmp_path, capsys):
    cases = [
        ({"CRISISWATCH_CONFIG": str(tmp_path / "nope.toml")}, "cannot read", "no such file"),
        ({"CRISISWATCH_CONFIG": str(tmp_path)}, "cannot read", "is a directory"),
    ]
    clean_env.delenv("CRISISWATCH_SECRET_KEY")
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-value-123")
    cases += [
        ({"CRISISWATCH_SECRET_KEY_FILE": str(tmp_path / "missing")},
         "CRISISWATCH_SECRET_KEY_FILE: cannot read", "no such file"),
        ({"CRISISWATCH_SECRET_KEY_FILE": str(tmp_path)},
         "CRISISWATCH_SECRET_KEY_FILE: cannot read", "is a directory"),
    ]
    for environ, expected, why in cases:
        with pytest.MonkeyPatch.context() as mp:
            for key, value in environ.items():
                mp.setenv(key, value)
            assert main(["db", "upgrade"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and expected in err[0] and why in err[0], err
    # several problems: one line each
    code = main(["--config", config(tmp_path, 'port = 0\n[brand]\nlanguages = "en"'),
                 "db", "upgrade"])
    assert code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 2


def test_no_traceback_from_the_real_command(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRISISWATCH_")}
    env.update(CRISISWATCH_DATA_DIR=str(tmp_path), CRISISWATCH_CONFIG=config(
        tmp_path, "[brand\n"), CRISISWATCH_DATABASE_URL="postgresql://u:hunter2@h:99999/db")
    proc = subprocess.run([sys.executable, "-m", "crisiswatch.cli", "db", "upgrade"],
                          capture_output=True, text=True, check=False, env=env, cwd=ROOT, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "hunter2" not in proc.stderr
    assert proc.stderr.startswith("crisiswatch: configuration error: config file")


def test_secure_cookies_follow_an_https_public_url(clean_env, tmp_path):
    assert load(config(tmp_path, "")).secure_cookies is False
    clean_env.setenv("CRISISWATCH_PUBLIC_URL", "https://crisis.example.com")
    assert load(config(tmp_path, "")).secure_cookies is True
    assert load(config(tmp_path, "secure_cookies = false")).secure_cookies is False
