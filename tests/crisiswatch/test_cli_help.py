"""The command line explains itself: every command and option has a help text, and
`crisiswatch --version` answers."""

from __future__ import annotations

import argparse

import pytest

from crisiswatch.cli import main, parser


def walk(p: argparse.ArgumentParser, path: str = "crisiswatch"):
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", helps.get(name)
                yield from walk(sub, f"{path} {name}")
        elif not isinstance(action, (argparse._HelpAction,)):
            yield f"{path} {'/'.join(action.option_strings) or action.dest}", action.help


def test_every_command_and_option_has_help():
    missing = [where for where, text in walk(parser()) if not text]
    assert missing == []


def test_help_shows_no_internal_names(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "COMMAND_MODULES" not in capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("crisiswatch ")
