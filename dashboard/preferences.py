"""Each user's language and time zone: the shell's switcher posts to `/preferences`, which
stores them on the user's row (`users.lang`, `users.timezone`) and goes back to the page it
was posted from.

A plain form POST, like logout: SameSite=Lax cookies and the same-origin check keep other
sites and sibling origins from changing someone's settings."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import flask
from flask_login import current_user
from sqlalchemy.orm import Session

from dashboard import actions
from dashboard.auth import same_origin
from dashboard.context import current
from dashboard.i18n import LANGS, _
from store.models import UserRow

PATH = "/preferences"
# Offered in the switcher besides the brand's zones and the user's own; any IANA zone is
# accepted by `set_preferences`.
COMMON_ZONES = ("UTC", "Europe/Paris", "Europe/London", "Europe/Brussels", "Europe/Berlin",
                "America/Montreal", "America/New_York", "America/Los_Angeles",
                "Asia/Singapore", "Australia/Sydney")


class PreferenceError(ValueError):
    """A language or time zone the cockpit cannot use; the message says which."""


def valid_zone(name: str) -> str:
    """`name` if it is an IANA time zone on this system, else PreferenceError."""
    name = (name or "").strip()
    try:
        if not name or name.startswith(("/", ".")):
            raise ValueError
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise PreferenceError(f"unknown time zone {name!r} (an IANA name such as "
                              "Europe/Paris)") from None
    return name


def set_preferences(session: Session, user_id: int, lang: str, timezone: str,
                    now: datetime) -> UserRow:
    """Store `lang` (one of LANGS) and `timezone` (an IANA name) for `user_id`; audited.
    PreferenceError, changing nothing, when either is invalid or the user is gone."""
    if lang not in LANGS:
        raise PreferenceError(f"unknown language {lang!r}; one of {', '.join(LANGS)}")
    zone = valid_zone(timezone)
    row = session.get(UserRow, user_id)
    if row is None:
        raise PreferenceError(f"no user with id {user_id}")
    row.lang, row.timezone = lang, zone
    actions.audit(session, actor=row.username, action="user.preferences", target=row.username,
                  detail=f"lang={lang} timezone={zone}", now=now)
    return row


def zone_choices(brand, selected: str) -> list[str]:
    """The zones the switcher offers: the selected one, the brand's, then COMMON_ZONES."""
    brand_zones = [brand.timezone, *(zone for _lang, zone in brand.timezones)]
    return list(dict.fromkeys([selected, *brand_zones, *COMMON_ZONES]))


def _back(referrer: str | None, host: str) -> str:
    """The page the form was posted from (its Referer), if it is on this site; else the
    overview. Never another site: only the path and query are kept."""
    parts = urlsplit(referrer or "")
    if parts.netloc != host or not parts.path.startswith("/") or parts.path.startswith("//"):
        return "/"
    return parts.path + (f"?{parts.query}" if parts.query else "")


def init_preferences(server: flask.Flask) -> None:
    """The `/preferences` route on `server` (behind the login wall like every page)."""

    @server.route(PATH, methods=["POST"])
    def preferences():
        if not same_origin(flask.request):
            return flask.Response(_("Cross-origin request refused."), 403,
                                  mimetype="text/plain")
        if not current_user.is_authenticated:
            return flask.redirect("/login")
        ctx = current()
        form = flask.request.form
        try:
            with ctx.store.session() as session:
                set_preferences(session, current_user.id, form.get("lang", ""),
                                form.get("timezone", ""), ctx.clock())
        except PreferenceError as exc:
            return flask.Response(str(exc), 400, mimetype="text/plain")
        return flask.redirect(_back(flask.request.referrer, flask.request.host))
