"""The cockpit's catalogues (dashboard/locale/) and time-zone formatting (dashboard.i18n):
every string the dashboard marks for translation has its French, a broken catalogue is a
clear error, and times read in the user's zone with the zone named."""

from __future__ import annotations

import ast
import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.extract import extract_from_file

from dashboard import i18n

DASHBOARD = Path(i18n.__file__).resolve().parent
PARIS = ZoneInfo("Europe/Paris")


def marked_strings() -> dict[str, str]:
    """Every `_("...")` / `N_("...")` literal under dashboard/ (not the public pages, which
    carry their own texts) -> where it is first seen."""
    found: dict[str, str] = {}
    for path in sorted(DASHBOARD.rglob("*.py")):
        if "public" in path.relative_to(DASHBOARD).parts:
            continue
        for lineno, message, _comments, _context in extract_from_file(
                "python", str(path), keywords={"_": None, "N_": None}):
            text = message[0] if isinstance(message, tuple) else message
            found.setdefault(text, f"{path.relative_to(DASHBOARD.parent)}:{lineno}")
    return found


def test_every_marked_string_has_french():
    french = i18n.catalogue("fr")
    marked = marked_strings()
    assert len(marked) > 300  # the walk found the pages (an empty walk would pass anything)
    missing = [f"{where}: {text!r}" for text, where in marked.items() if text not in french]
    assert not missing, "no French in dashboard/locale/fr/*.po for:\n" + "\n".join(missing)


def test_french_is_french_where_it_should_differ():
    """A copied-over English msgstr is an untranslated entry in disguise."""
    same = [k for k, v in i18n.catalogue("fr").items()
            if k == v and len(re.findall(r"[A-Za-z]{4,}", k)) >= 2]
    assert not same, same


def test_translate_and_fallback():
    assert i18n.translate("Declare incident", "fr") == "Déclarer l'incident"
    assert i18n.translate("Declare incident", "en") == "Declare incident"
    assert i18n.translate("a string nobody marked", "fr") == "a string nobody marked"
    assert i18n.translate("Declare incident", "de") == "Declare incident"
    assert i18n._("Declare incident") == "Declare incident"  # no request: English
    assert i18n.translate("{n} waiting for approval", "fr").format(n=3) == \
        "3 en attente de validation"


def _po(directory: Path, name: str, entries: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    body = "".join(f'msgid "{k}"\nmsgstr "{v}"\n\n' for k, v in entries.items())
    (directory / f"{name}.po").write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n' + body, "utf-8")


def test_catalogue_merges_page_files(tmp_path):
    _po(tmp_path / "fr", "a", {"Save": "Enregistrer", "Empty": ""})
    _po(tmp_path / "fr", "b", {"Save": "Enregistrer", "Plan": "Plan de crise"})
    merged = i18n.catalogue("fr", tmp_path)
    assert merged == {"Save": "Enregistrer", "Plan": "Plan de crise"}  # empty = not there


def test_conflicting_entries_name_both_files(tmp_path):
    _po(tmp_path / "fr", "a", {"Save": "Enregistrer"})
    _po(tmp_path / "fr", "b", {"Save": "Sauver"})
    with pytest.raises(i18n.CatalogueError, match=r"a\.po:\d+ and b\.po:\d+"):
        i18n.catalogue("fr", tmp_path)


def test_changed_placeholders_are_refused(tmp_path):
    _po(tmp_path / "fr", "a", {"{n} waiting": "{nombre} en attente"})
    with pytest.raises(i18n.CatalogueError, match=r"a\.po:\d+: .*placeholders"):
        i18n.catalogue("fr", tmp_path)


def test_unreadable_catalogue_is_a_clear_error(tmp_path):
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "bad.po").write_text('msgid "x"\nmsgtsr "y"\n', "utf-8")  # a typo
    with pytest.raises(i18n.CatalogueError, match=r"bad\.po"):
        i18n.catalogue("fr", tmp_path)


def test_times_in_the_users_zone_with_the_zone():
    winter, summer = datetime(2026, 12, 3, 13, 30), datetime(2026, 7, 3, 13, 30)  # naive UTC
    assert i18n.hhmm(winter, PARIS) == "14:30"
    assert i18n.hhmm(summer, PARIS) == "15:30"
    assert i18n.hhmm(winter, PARIS, seconds=True) == "14:30:00"
    assert i18n.clock_text(winter, PARIS) == "14:30 CET"
    assert i18n.clock_text(summer, PARIS) == "15:30 CEST"
    assert i18n.clock_text(winter, PARIS, date=True) == "3 Dec 14:30 CET"
    assert i18n.clock_text(winter, ZoneInfo("UTC")) == "13:30 UTC"
    assert i18n.hhmm(None) == "—" and i18n.clock_text(None) == "—"
    assert i18n.zone_abbreviation(winter, ZoneInfo("Asia/Dubai")) == "+04"


def test_wall_clock_round_trip_across_daylight_saving():
    assert i18n.to_utc(datetime(2026, 7, 1, 14, 30), PARIS) == datetime(2026, 7, 1, 12, 30)
    assert i18n.to_utc(datetime(2026, 12, 1, 14, 30), PARIS) == datetime(2026, 12, 1, 13, 30)
    at = datetime(2026, 3, 29, 1, 30)  # the night Paris moves to summer time
    assert i18n.to_utc(i18n.naive_local(at, PARIS), PARIS) == at


def test_outside_a_request_english_and_utc():
    assert i18n.current_lang() == "en"
    assert i18n.current_zone().key == "UTC"


def test_no_module_that_translates_rebinds_underscore():
    """`def layout(**_)` or `for x, _ in ...` next to `_()` calls the kwargs or the loop
    value instead of translating (a TypeError at render, or English silently)."""
    offenders = []
    for path in sorted(DASHBOARD.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        imports_gettext = any(isinstance(node, ast.ImportFrom) and node.module == "dashboard.i18n"
                              and any(a.name == "_" for a in node.names)
                              for node in ast.walk(tree))
        if not imports_gettext:
            continue
        for node in ast.walk(tree):
            rebinds = (isinstance(node, ast.arg) and node.arg == "_") or (
                isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store))
            if rebinds:
                offenders.append(f"{path.relative_to(DASHBOARD.parent)}:{node.lineno}")
    assert not offenders, offenders
