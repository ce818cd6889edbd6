"""The command line explains itself: every command and option has a help text, every
command's `--help` prints (no internal name, no option without its default), and
`crisiswatch --version` answers."""

from __future__ import annotations

import argparse

import pytest

from crisiswatch.cli import COMMAND_MODULES, all_parsers, main, parser

# Words of the code, not of the user: a help screen that shows one leaks the implementation.
INTERNAL = ("COMMAND_MODULES", "==SUPPRESS==", "own_db", "func", "_command", "argparse",
            "Namespace")


def walk(p: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(command path, what, help text) for every command and option below `p`."""
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield path + (name,), "command", helps.get(name)
                yield from walk(sub, path + (name,))
        elif not isinstance(action, argparse._HelpAction):
            yield path, "/".join(action.option_strings) or action.dest, action.help


def command_paths() -> list[tuple[str, ...]]:
    return [()] + [path for path, what, _help in walk(parser()) if what == "command"]


def test_the_walk_reaches_every_command():
    paths = command_paths()
    top = {path[0] for path in paths if path}
    # the commands of cli.py and at least one per command module
    assert {"demo", "drill", "run", "db", "users", "lint", "web", "worker", "plan",
            "contacts", "broadcasts", "regulator"} <= top
    assert len(top) >= len(COMMAND_MODULES) + 5
    assert ("db", "upgrade") in paths and ("plan", "import") in paths


def test_every_command_and_option_has_help():
    missing = [f"crisiswatch {' '.join(path)} {what}" for path, what, text in walk(parser())
               if not (text or "").strip()]
    assert missing == []


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "crisiswatch")
def test_each_help_screen(path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([*path, "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: {' '.join(('crisiswatch', *path))}")
    leaked = [word for word in INTERNAL if word in out]
    assert not leaked, f"internal names on `crisiswatch {' '.join(path)} --help`: {leaked}"


def test_an_option_with_a_default_says_it():
    """Every option whose default is a value shows it, once, on its help line."""
    p = parser()
    silent = []
    for sub in all_parsers(p):
        formatter = sub._get_formatter()
        for action in sub._actions:
            shown = action.default not in (None, False, True, [], "", argparse.SUPPRESS)
            if not (shown and action.option_strings):
                continue
            text = formatter._expand_help(action)
            if "default" not in text.lower() or text.lower().count("default") > 1 and \
                    "(default: " in text:
                silent.append(f"{sub.prog} {action.option_strings[0]}: {text!r}")
    assert not silent


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("crisiswatch ") and out.split()[1][0].isdigit()
