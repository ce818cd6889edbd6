"""The cockpit's languages and time zones (issue 20).

`_("English text")` is that text in the current user's language; `local()`, `hhmm()` and
`clock_text()` show a naive-UTC time in the current user's time zone, with the zone.

Who gets what:

- The language is the logged-in user's own setting (`users.lang`, chosen in the shell's user
  menu, stored by `dashboard.preferences`), else the brand's `internal_lang` from the
  configuration, else English. Outside a request (imports, the CLI) it is English.
- The time zone is the user's `users.timezone`, else the brand's zone for that language
  (`Brand.tz_for`: `[brand] timezones = { fr = "Europe/Paris" }`), else UTC.
- A string with no entry in the user's language falls back to the English text, so a missing
  entry shows English, never an empty label (the completeness test fails on it).

How a page adds its French entries (every helper, every page):

1. Wrap each user-visible English string in `_()` *at render time* (inside `layout()` or a
   callback, never in a module-level constant: that is evaluated once, in English). For a
   constant table keep the English text and call `_()` where it is shown
   (`_(PHASE_LABELS[p])`), and mark the constant's strings with `N_("...")` (a no-op the
   completeness test reads). Variables go in a template, translated first, then formatted:
   `_("{n} waiting").format(n=n)` (never `_(f"{n} waiting")`).
2. Put the French in `dashboard/locale/fr/<your page module>.po` (e.g. `plan.po` for
   `dashboard/pages/plan.py`; one file per page, so parallel work never edits the same file),
   gettext format, UTF-8, no compile step (read at start-up by Babel)::

       msgid "Declare incident"
       msgstr "Déclarer l'incident"

       msgid "{n} waiting"
       msgstr "{n} en attente"

   A msgid is the English text exactly as passed to `_()`. The French keeps the same
   `{placeholders}`. Every `.po` file of a language is merged into one catalogue; the same
   msgid in two files must have the same French (else `CatalogueError` on the first French
   request, naming both files). An entry already present in another file (e.g. "Cancel" in `overview.po`) need
   not be repeated.
3. `tests/dashboard/test_i18n_catalogue.py` walks every `_("...")` and `N_("...")` literal
   in `dashboard/` (the public pages excepted: they have their own texts, dashboard/public/)
   and fails on one with no French; the browser test renders every page in French and fails
   on English left on screen. Never name anything `_` in such a module (`def layout(**_)`,
   `for key, _ in ...`): `_()` would then call the kwargs; a test refuses it.

A new page also picks its menu in the shell: `dash.register_page(..., name=N_("Plan"),
nav_group="prepare")` ("watch", "respond" or "prepare"; see `dashboard.app.NAV_GROUPS`).

Write French as a comms lead in Paris would: "Déclarer l'incident", "Brouillons à valider",
not word-for-word calques; times as "14 h 30" only in messages, the cockpit uses "14:30 CET".
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask
from babel.messages.pofile import read_po

LANGS = ("en", "fr")
LANG_NAMES = {"en": "English", "fr": "Français"}  # each in its own language, for the switcher
DEFAULT_LANG = "en"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def N_(text: str) -> str:  # the gettext name every extractor knows
    """Marks an English constant (a module-level table) for the catalogue, unchanged:
    translate it where it is shown, `_(TABLE[key])`."""
    return text


MONTHS = (N_("Jan"), N_("Feb"), N_("Mar"), N_("Apr"), N_("May"), N_("Jun"), N_("Jul"),
          N_("Aug"), N_("Sep"), N_("Oct"), N_("Nov"), N_("Dec"))


class CatalogueError(ValueError):
    """A `.po` file that cannot be used: unreadable, conflicting, or placeholders changed."""


@functools.cache
def catalogue(lang: str, root: Path = LOCALE_DIR) -> dict[str, str]:
    """English msgid -> text in `lang`, merged from every `root/<lang>/*.po` (read once).
    Empty translations are left out (they fall back to English). English is the identity."""
    if lang == DEFAULT_LANG:
        return {}
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in sorted((root / lang).glob("*.po")):
        try:
            with path.open("rb") as handle:
                entries = read_po(handle, locale=lang, abort_invalid=True)
        except Exception as exc:  # Babel raises several types; all mean the same here
            raise CatalogueError(f"{path}: {exc}") from exc
        for message in entries:
            if not message.id or not message.string or not isinstance(message.id, str):
                continue
            text, where = str(message.string), f"{path.name}:{message.lineno}"
            if sorted(_PLACEHOLDER.findall(message.id)) != sorted(_PLACEHOLDER.findall(text)):
                raise CatalogueError(f"{where}: the translation of {message.id!r} must keep "
                                     f"its placeholders {_PLACEHOLDER.findall(message.id)}")
            if message.id in merged and merged[message.id] != text:
                raise CatalogueError(f"{message.id!r} is translated differently in "
                                     f"{origin[message.id]} and {where}")
            merged[message.id], origin[message.id] = text, where
    return merged


def translate(text: str, lang: str) -> str:
    """`text` in `lang`, or `text` itself when that language has no entry for it."""
    return catalogue(lang).get(text, text) if lang in LANGS else text


def _user_setting(name: str) -> str | None:
    if not flask.has_request_context():
        return None
    from flask_login import current_user  # imported late: a request context is needed

    return getattr(current_user, name, None) if current_user.is_authenticated else None


def _brand():
    if not flask.has_app_context():
        return None
    from dashboard.context import CONFIG_KEY

    ctx = flask.current_app.config.get(CONFIG_KEY)
    return ctx.brand if ctx is not None else None


def current_lang() -> str:
    """The language of the current request's user (see the module docstring)."""
    lang = _user_setting("lang")
    if lang in LANGS:
        return lang
    brand = _brand()
    return brand.internal_lang if brand and brand.internal_lang in LANGS else DEFAULT_LANG


def current_zone() -> ZoneInfo:
    """The time zone of the current request's user (see the module docstring)."""
    brand = _brand()
    for name in (_user_setting("timezone"), brand.tz_for(current_lang()) if brand else None):
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue  # a zone removed from the system's database: the next choice
    return ZoneInfo("UTC")


def _(text: str) -> str:
    """`text` (an English source string) translated for the current request's user."""
    return translate(text, current_lang())


def local(at: datetime, zone: ZoneInfo | None = None) -> datetime:
    """`at` (naive UTC, as the store keeps times; or aware) as an aware time in `zone`,
    by default the current user's."""
    aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at
    return aware.astimezone(zone or current_zone())


def zone_abbreviation(at: datetime, zone: ZoneInfo | None = None) -> str:
    """The zone's short name at `at` ("CET", "CEST", "UTC"); the offset ("+04") when the
    zone has no abbreviation."""
    return local(at, zone).strftime("%Z")


def hhmm(at: datetime | None, zone: ZoneInfo | None = None, seconds: bool = False) -> str:
    """`at` as "14:30" in the user's zone ("—" for None). Say the zone once nearby
    (`zone_abbreviation`, or use `clock_text`)."""
    if at is None:
        return "—"
    return local(at, zone).strftime("%H:%M:%S" if seconds else "%H:%M")


def clock_text(at: datetime | None, zone: ZoneInfo | None = None, date: bool = False,
               lang: str | None = None) -> str:
    """`at` with its zone: "14:30 CET", or "3 Dec 14:30 CET" with `date` (month in `lang`,
    by default the user's language); "—" for None."""
    if at is None:
        return "—"
    moment = local(at, zone)
    time = f"{moment:%H:%M} {moment:%Z}"
    if not date:
        return time
    # from the catalogue: the C locale is English
    month = translate(MONTHS[moment.month - 1], lang or current_lang())
    return f"{moment.day} {month} {time}"


def naive_local(at: datetime, zone: ZoneInfo | None = None) -> datetime:
    """`at` in the user's zone with the offset dropped: what a chart axis plots, so its
    ticks read as the user's wall-clock time."""
    return local(at, zone).replace(tzinfo=None)


def to_utc(wall: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A wall-clock time typed in the user's zone (naive) -> naive UTC, as the store keeps it."""
    return wall.replace(tzinfo=zone or current_zone()).astimezone(UTC).replace(tzinfo=None)
