"""Configuration: read once here, from the environment and one optional TOML file, and
handed down through constructors. Secrets may come from `NAME_FILE` paths; they are never
logged or shown."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from crisiswatch.config_check import ConfigError, problems
from responders.drafts import Brand
from sentiment.backends import scoring_backend_override

ROOT = Path(__file__).resolve().parents[1]
# A checkout keeps its data in ./var beside the code; an installed crisiswatch (a wheel, in
# site-packages) in the user's data directory.
DEFAULT_DATA_DIR = ROOT / "var" if (ROOT / "pyproject.toml").is_file() else Path(
    os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "crisiswatch"


def env(name: str, default: str | None = None) -> str | None:
    """`NAME`, or the contents of the file named by `NAME_FILE`, or `default`."""
    if os.environ.get(name):
        return os.environ[name]
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            why = ("not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else
                   "is a directory" if isinstance(exc, IsADirectoryError) else
                   (exc.strerror or type(exc).__name__).lower())
            raise ConfigError(f"{name}_FILE: cannot read {path!r} ({why}); expected a "
                              f"readable file holding the value (or set {name})") from None
    return default


@dataclass
class Settings:
    database_url: str = "sqlite:///" + str(DEFAULT_DATA_DIR / "crisiswatch.db")
    data_dir: Path = DEFAULT_DATA_DIR
    model: str | None = None  # None: the embedded multilingual default
    cache_dir: Path = Path.home() / ".cache" / "crisiswatch"
    brand: Brand = field(default_factory=Brand)
    secret_key: str = ""
    two_person_rule: bool = False
    host: str = "127.0.0.1"
    port: int = 8050
    secure_cookies: bool = False  # dashboard cookies marked Secure (HTTPS only)
    trusted_proxies: int = 0  # reverse proxies in front of the dashboard (X-Forwarded-For)
    sources: dict = field(default_factory=dict)
    alerting: dict = field(default_factory=dict)  # [alerting] with [[alerting.contacts]]
    broadcasts: dict = field(default_factory=dict)  # [broadcasts]: re-sends, quiet hours
    cell: dict = field(default_factory=dict)  # [cell]: roles' primary and deputies, timings
    channels: dict = field(default_factory=dict)  # [channels.x|reddit|mastodon|bluesky]
    status_components: list = field(default_factory=list)  # [status] components
    false_alarms_per_week: float = 1.0  # [detection]: how often the detector may cry wolf

    @property
    def outbox_log(self) -> Path:
        return self.data_dir / "outbox.jsonl"


def load(config_path: str | None = None) -> Settings:
    """Settings from `config_path` (or CRISISWATCH_CONFIG), then the environment on top."""
    s = Settings()
    path = config_path or env("CRISISWATCH_CONFIG")
    raw: dict = {}
    if path:
        raw = read_toml(path)
    if wrong := problems(raw, env):
        raise ConfigError(wrong)
    s.brand = brand_from(raw)
    s.sources = raw.get("sources", {})
    s.alerting = raw.get("alerting", {})
    s.broadcasts = raw.get("broadcasts", {})
    s.cell = raw.get("cell", {})
    s.channels = social_channels(raw.get("channels", {}))
    s.status_components = raw.get("status", {}).get("components", [])
    s.false_alarms_per_week = float(raw.get("detection", {}).get("false_alarms_per_week", 1.0))
    s.data_dir = Path(env("CRISISWATCH_DATA_DIR", raw.get("data_dir", str(s.data_dir))))
    s.database_url = env("CRISISWATCH_DATABASE_URL",
                         raw.get("database_url", "sqlite:///" + str(s.data_dir / "crisiswatch.db")))
    s.model = env("CRISISWATCH_SENTIMENT_MODEL", raw.get("sentiment_model"))
    try:  # CRISISWATCH_SCORING_BACKEND: a wrong value stops the start, in one line
        scoring_backend_override()
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    s.cache_dir = Path(env("CRISISWATCH_CACHE_DIR", raw.get("cache_dir", str(s.cache_dir))))
    s.two_person_rule = (env("CRISISWATCH_TWO_PERSON_RULE", str(raw.get("two_person_rule", "")))
                         or "").lower() in ("1", "true", "yes")
    s.port = int(env("CRISISWATCH_PORT", str(raw.get("port", s.port))))
    s.host = env("CRISISWATCH_HOST", raw.get("host", s.host))
    secure = env("CRISISWATCH_SECURE_COOKIES", str(raw.get("secure_cookies", "")))
    s.secure_cookies = secure.lower() in ("1", "true", "yes", "on") if secure else \
        (env("CRISISWATCH_PUBLIC_URL") or "").startswith("https://")
    s.trusted_proxies = int(env("CRISISWATCH_TRUSTED_PROXIES",
                                str(raw.get("trusted_proxies", s.trusted_proxies))))
    try:
        s.secret_key = env("CRISISWATCH_SECRET_KEY") or _persistent_secret(s.data_dir)
    except OSError as exc:
        raise ConfigError(f"CRISISWATCH_DATA_DIR / data_dir: cannot keep the session key in "
                          f"{str(s.data_dir)!r} ({(exc.strerror or type(exc).__name__).lower()}); "
                          "expected a writable directory (or set CRISISWATCH_SECRET_KEY)") from None
    return s


def brand_from(raw: dict) -> Brand:
    """The [brand] table: name, handle, status page, languages, keywords, own accounts, and
    the audience's time zone (`timezone`, and `[brand.timezones]` per language)."""
    brand, default = raw.get("brand", {}), Brand()
    zones = {str(k): str(v) for k, v in (brand.get("timezones") or {}).items()}
    for name in (brand.get("timezone"), *zones.values()):
        if name:
            _check_zone(name)
    return Brand(
        name=brand.get("name", default.name), handle=brand.get("handle", default.handle),
        status_url=brand.get("status_url", default.status_url),
        internal_lang=brand.get("internal_lang", "en"),
        public_langs=tuple(brand.get("languages", default.public_langs)),
        keywords=tuple(brand.get("keywords", ())),
        accounts=tuple(brand.get("accounts", ())),
        timezone=brand.get("timezone") or "UTC",
        timezones=tuple(sorted(zones.items())),
    )


def read_toml(path: str) -> dict:
    """The TOML file at `path`; ConfigError (one line, no traceback) when it cannot be."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path}: not valid TOML: {exc}; see "
                          "config.example.toml") from None
    except OSError as exc:
        why = "is a directory" if isinstance(exc, IsADirectoryError) else \
            (exc.strerror or type(exc).__name__).lower()
        raise ConfigError(f"CRISISWATCH_CONFIG / --config: cannot read {path!r} ({why}); "
                          "expected a TOML file like config.example.toml") from None


def load_brand(config_path: str | None = None) -> Brand:
    """Only the brand, from `config_path` (or CRISISWATCH_CONFIG); no side effect (the
    `lint` command needs the time zones, not a data directory)."""
    path = config_path or env("CRISISWATCH_CONFIG")
    if not path:
        return Brand()
    return brand_from(read_toml(path))


def _check_zone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"[brand] time zone {name!r} is not a known IANA zone "
                         "(e.g. Europe/Paris)") from exc


SOCIAL_KEYS = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret",
          "user_token", "handle"),
    "reddit": ("client_id", "client_secret", "username", "password", "user_agent"),
    "mastodon": ("api_base_url", "access_token", "visibility"),
    "bluesky": ("handle", "app_password", "base_url"),
}


def social_channels(tables: dict) -> dict[str, dict]:
    """Reply-channel settings: each key from its [channels.NAME] table, overridden by
    CRISISWATCH_REPLY_<NAME>_<KEY> (or its _FILE). A channel with no settings at all is
    absent. (The REPLY_ prefix keeps posting credentials apart from the collectors'
    read-only ones, which often belong to another app or token.)"""
    out = {}
    for name, keys in SOCIAL_KEYS.items():
        table = tables.get(name, {})
        conf = {key: env(f"CRISISWATCH_REPLY_{name.upper()}_{key.upper()}", table.get(key))
                for key in keys}
        conf = {k: v for k, v in conf.items() if v not in (None, "")}
        if conf:
            out[name] = conf
    return out


def channel_secrets() -> dict[str, str | None]:
    """Credentials of the delivery channels, from the environment only (never the TOML)."""
    names = ("SLACK_WEBHOOK_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD",
             "SMTP_FROM", "SMTP_STARTTLS", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
             "TWILIO_FROM", "TWILIO_BASE_URL", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET",
             "PUBLIC_URL")
    return {name.lower(): env(f"CRISISWATCH_{name}") for name in names}


def _persistent_secret(data_dir: Path) -> str:
    """A random session key kept in the data dir, so logins survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
