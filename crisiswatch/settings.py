"""Configuration: read once here, from the environment and one optional TOML file, and
handed down through constructors. Secrets may come from `NAME_FILE` paths; they are never
logged or shown."""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from responders.drafts import Brand

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
        return Path(path).read_text(encoding="utf-8").strip()
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
    trusted_proxies: int = 0  # reverse proxies in front of the dashboard (X-Forwarded-For)
    sources: dict = field(default_factory=dict)
    alerting: dict = field(default_factory=dict)  # [alerting] with [[alerting.contacts]]
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
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    brand = raw.get("brand", {})
    s.brand = Brand(
        name=brand.get("name", s.brand.name), handle=brand.get("handle", s.brand.handle),
        status_url=brand.get("status_url", s.brand.status_url),
        internal_lang=brand.get("internal_lang", "en"),
        public_langs=tuple(brand.get("languages", s.brand.public_langs)),
        keywords=tuple(brand.get("keywords", ())),
        accounts=tuple(brand.get("accounts", ())),
    )
    s.sources = raw.get("sources", {})
    s.alerting = raw.get("alerting", {})
    s.channels = social_channels(raw.get("channels", {}))
    s.status_components = raw.get("status", {}).get("components", [])
    s.false_alarms_per_week = float(raw.get("detection", {}).get("false_alarms_per_week", 1.0))
    s.data_dir = Path(env("CRISISWATCH_DATA_DIR", raw.get("data_dir", str(s.data_dir))))
    s.database_url = env("CRISISWATCH_DATABASE_URL",
                         raw.get("database_url", "sqlite:///" + str(s.data_dir / "crisiswatch.db")))
    s.model = env("CRISISWATCH_SENTIMENT_MODEL", raw.get("sentiment_model"))
    s.cache_dir = Path(env("CRISISWATCH_CACHE_DIR", raw.get("cache_dir", str(s.cache_dir))))
    s.two_person_rule = (env("CRISISWATCH_TWO_PERSON_RULE", str(raw.get("two_person_rule", "")))
                         or "").lower() in ("1", "true", "yes")
    s.port = int(env("CRISISWATCH_PORT", str(raw.get("port", s.port))))
    s.host = env("CRISISWATCH_HOST", raw.get("host", s.host))
    s.trusted_proxies = int(env("CRISISWATCH_TRUSTED_PROXIES",
                                str(raw.get("trusted_proxies", s.trusted_proxies))))
    s.secret_key = env("CRISISWATCH_SECRET_KEY") or _persistent_secret(s.data_dir)
    return s


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
