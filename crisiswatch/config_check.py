"""Checking the configuration before it is used: every problem is one line that says which
key, what is wrong and what would be right; values that may be secret are never shown.

`problems(raw, environ)` looks at the parsed TOML and the environment variables that
override it; `crisiswatch.settings.load` raises `ConfigError` with all the lines, and the
CLI prints them and exits 2 (no traceback)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from responders.cell import config_problems

EXIT_CODE = 2


class ConfigError(Exception):
    """One or more configuration problems, one line each."""

    def __init__(self, lines: list[str] | str):
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("; ".join(self.lines))


def _kind(value) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", float: "a number",
            list: "a list", dict: "a table"}.get(type(value), type(value).__name__)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


Check = Callable[[object], str | None]  # None: fine; else what is wrong and what is right


def string(example: str) -> Check:
    return lambda v: None if isinstance(v, str) else \
        f"expected a string, e.g. {example!r}; got {_kind(v)}"


def strings(example: str) -> Check:
    def check(v):
        if isinstance(v, str):
            return f"expected a list of strings, e.g. {example}; got the string {_shown(v)}"
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            return f"expected a list of strings, e.g. {example}; got {_kind(v)}"
        return None
    return check


def number(low: float | None = None, integer: bool = False, high: float | None = None,
           example: str = "1") -> Check:
    def check(v):
        ok_type = isinstance(v, int) if integer else isinstance(v, (int, float))
        what = "a whole number" if integer else "a number"
        bounds = (f" from {low:g} to {high:g}" if high is not None else
                  f" of at least {low:g}" if low is not None else "")
        if isinstance(v, bool) or not ok_type:
            return f"expected {what}{bounds}, e.g. {example}; got {_kind(v)} {_shown(v)}"
        if (low is not None and v < low) or (high is not None and v > high):
            return f"expected {what}{bounds}, e.g. {example}; got {v!r}"
        return None
    return check


def boolean(v) -> str | None:
    return None if isinstance(v, bool) else f"expected true or false; got {_kind(v)} {_shown(v)}"


def table(v) -> str | None:
    return None if isinstance(v, dict) else f"expected a table ([section]); got {_kind(v)}"


def zone(v) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if not isinstance(v, str):
        return f"expected an IANA time zone name, e.g. 'Europe/Paris'; got {_kind(v)}"
    try:
        ZoneInfo(v)
    except (ZoneInfoNotFoundError, ValueError):
        return f"{_shown(v)} is not a known IANA time zone; e.g. 'Europe/Paris' or 'UTC'"
    return None


def database_url(v) -> str | None:
    """Never shows the URL: it may hold a password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    if not isinstance(v, str):
        return f"expected a database URL string; got {_kind(v)}"
    try:
        make_url(v).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError):
        return ("not a usable database URL (value not shown); expected e.g. "
                "'sqlite:///var/crisiswatch.db' or 'postgresql://user@host:5432/crisiswatch'")
    return None


TOP = {
    "database_url": database_url, "sentiment_model": string("cardiffnlp/twitter-xlm-roberta"),
    "data_dir": string("var"), "cache_dir": string("~/.cache/crisiswatch"),
    "host": string("127.0.0.1"), "port": number(1, True, 65535, "8050"),
    "trusted_proxies": number(0, True, example="1"), "two_person_rule": boolean,
    "secure_cookies": boolean,
    "brand": table, "sources": table, "alerting": table, "channels": table, "status": table,
    "detection": table, "broadcasts": table, "cell": table,
}
BRAND = {
    "name": string("Nimbus"), "handle": string("@nimbushq"),
    "status_url": string("https://status.example.com"), "internal_lang": string("en"),
    "languages": strings('["en", "fr"]'), "keywords": strings('["nimbus", "#nimbusdown"]'),
    "accounts": strings('["@nimbus_support"]'), "timezone": zone, "timezones": table,
}
ALERTING = {
    "resend_after_minutes": number(0, example="10"), "resends": number(0, True, example="1"),
    "escalate_after_minutes": number(0, example="20"),
    "cooldown_minutes": number(0, example="30"), "public_url": string("https://crisis.example.com"),
    "admins": strings('["Sam (head of support)"]'),
    "stage_failing_minutes": number(0, example="5"), "stage_failures": number(1, True, example="3"),
}
# Environment variables that are checked as they are read (never secrets: shown when wrong).
ENV = {
    "CRISISWATCH_PORT": ("port", lambda s: int(s), number(1, True, 65535, "8050")),
    "CRISISWATCH_TRUSTED_PROXIES": ("trusted_proxies", lambda s: int(s),
                                    number(0, True, example="1")),
}
TRUTHY = {"1", "true", "yes", "on", "0", "false", "no", "off", ""}


def _table(lines: list[str], section: str, values: Mapping, checks: Mapping) -> None:
    for key, check in checks.items():
        if key in values and (wrong := check(values[key])):
            lines.append(f"{section}{key}: {wrong}")


def problems(raw: Mapping, environ: Callable[[str], str | None]) -> list[str]:
    """Every problem of the TOML `raw` and of the overriding environment, one line each."""
    lines: list[str] = []
    _table(lines, "", raw, TOP)
    if isinstance(raw.get("brand"), dict):
        brand = raw["brand"]
        _table(lines, "brand.", brand, BRAND)
        for lang, name in (brand.get("timezones") or {}).items() if isinstance(
                brand.get("timezones"), dict) else ():
            if wrong := zone(name):
                lines.append(f"brand.timezones.{lang}: {wrong}")
    if isinstance(raw.get("alerting"), dict):
        alerting = raw["alerting"]
        _table(lines, "alerting.", alerting, ALERTING)
        contacts = alerting.get("contacts", [])
        if not isinstance(contacts, list):
            lines.append("alerting.contacts: expected [[alerting.contacts]] tables; got "
                         f"{_kind(contacts)}")
        else:
            for n, c in enumerate(contacts, 1):
                where = f"alerting.contacts[{n}]"
                if not isinstance(c, dict):
                    lines.append(f"{where}: expected a table; got {_kind(c)}")
                    continue
                if not isinstance(c.get("name"), str) or not c.get("name"):
                    lines.append(f"{where}.name: missing; every contact needs a name, "
                                 "e.g. name = \"Camille\"")
                if "channels" in c and (wrong := table(c["channels"])):
                    lines.append(f"{where}.channels: {wrong}, e.g. {{ email = \"a@example.com\" }}")
                if "quiet_hours" in c and not _quiet_ok(c["quiet_hours"]):
                    lines.append(f"{where}.quiet_hours: expected \"HH:MM-HH:MM\", e.g. "
                                 f"\"22:00-07:00\"; got {_shown(c['quiet_hours'])}")
                if "timezone" in c and (wrong := zone(c["timezone"])):
                    lines.append(f"{where}.timezone: {wrong}")
            names = {c.get("name") for c in contacts if isinstance(c, dict)}
            for name in alerting.get("admins") or () if isinstance(
                    alerting.get("admins"), list) else ():
                if name not in names:
                    lines.append(f"alerting.admins: {_shown(name)} is not the name of an "
                                 "[[alerting.contacts]] entry")
    if isinstance(raw.get("sources"), dict):
        for name, conf in raw["sources"].items():
            if not isinstance(conf, dict):
                lines.append(f"sources.{name}: expected a table [sources.{name}]; got "
                             f"{_kind(conf)}")
    if isinstance(raw.get("cell"), dict):
        lines += config_problems(raw["cell"])
    detection = raw.get("detection")
    if isinstance(detection, dict) and "false_alarms_per_week" in detection and (
            wrong := number(0.0001, example="1.0")(detection["false_alarms_per_week"])):
        lines.append(f"detection.false_alarms_per_week: {wrong}")
    if isinstance(raw.get("status"), dict) and "components" in raw["status"]:
        comps = raw["status"]["components"]
        if not isinstance(comps, list) or not all(isinstance(c, dict) for c in comps):
            lines.append("status.components: expected a list of tables, e.g. "
                         "[{ key = \"login\", names = { en = \"Login\" } }]")
    for name, (key, parse, check) in ENV.items():
        value = environ(name)
        if value is None:
            continue
        try:
            wrong = check(parse(value))
        except ValueError:
            wrong = f"expected a whole number, e.g. {'8050' if key == 'port' else '1'}; " \
                    f"got {_shown(value)}"
        if wrong:
            lines.append(f"{name}: {wrong}")
    url = environ("CRISISWATCH_DATABASE_URL")
    if url is not None and (wrong := database_url(url)):
        lines.append(f"CRISISWATCH_DATABASE_URL: {wrong}")
    for name in ("CRISISWATCH_TWO_PERSON_RULE", "CRISISWATCH_SECURE_COOKIES"):
        flag = environ(name)
        if flag is not None and flag.lower() not in TRUTHY:
            lines.append(f"{name}: expected 1/true/yes or 0/false/no; got {_shown(flag)}")
    return lines


def _quiet_ok(value) -> bool:
    from datetime import time

    if not isinstance(value, str) or "-" not in value:
        return False
    try:
        start, _, end = value.partition("-")
        time.fromisoformat(start.strip()), time.fromisoformat(end.strip())
    except ValueError:
        return False
    return True
