"""Building the parts from settings: the store, the scorer, the channels, a pipeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cached_property

from crisiswatch import exercise_mode
from crisiswatch.pipeline import Pipeline
from crisiswatch.settings import Settings, channel_secrets
from crisiswatch.sources import configured_collectors
from responders import broadcasts
from responders.alerting import ack_key, contacts_from_config, policy_from_config
from responders.cell import cell_from_config
from responders.channels.dashboard import DashboardChannel
from responders.channels.email import EmailChannel
from responders.channels.log import LogChannel
from responders.channels.slack import SlackChannel
from responders.channels.sms import TwilioSMSChannel
from responders.channels.statuspage import StatusPageChannel
from responders.channels.webhook import WebhookChannel
from responders.stage_health import OpsPolicy
from responders.templates import TemplateLibrary
from sentiment.scorer import Scorer
from signals.detectors import Settings as DetectorSettings
from store import Store

LIVE_SETTLE = timedelta(minutes=2)


def utcnow() -> datetime:
    """The wall clock as the store keeps time (naive UTC); only commands read it, and
    hand it down."""
    return datetime.now(UTC).replace(tzinfo=None)

# A channel without credentials goes to the log channel: what would have been sent is
# kept, nothing leaves the machine (the demo and drills run this way).
LOGGED_CHANNELS = ("slack", "email", "sms", "webhook", "x", "reddit", "mastodon", "bluesky")


class App:
    """The wired application; parts are built on first use (the model takes seconds)."""

    def __init__(self, settings: Settings):
        self.settings = settings

    @cached_property
    def store(self) -> Store:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(self.settings.database_url)
        store.upgrade()
        return store

    @cached_property
    def scorer(self) -> Scorer:
        from sentiment.model import E5Encoder, load_sentiment_model

        model = load_sentiment_model(self.settings.model, self.settings.cache_dir)
        if hasattr(model, "topic_encoder"):
            return Scorer(model)  # the embedded model brings the encoder rumour and type read
        # A configured Hugging Face classifier reads sentiment; the rumour and crisis-type
        # heads still need the base embedded encoder, built on first use.
        return Scorer(model, encoder=lambda: E5Encoder(self.settings.cache_dir, adapter=None))

    @cached_property
    def library(self) -> TemplateLibrary:
        brand = self.settings.brand
        langs = {*brand.public_langs, brand.internal_lang}
        return TemplateLibrary(timezones={lang: brand.tz_for(lang) for lang in langs})

    @cached_property
    def channels(self) -> dict:
        channels = {name: LogChannel(name, self.settings.outbox_log) for name in LOGGED_CHANNELS}
        channels.update(configured_channels(channel_secrets()))
        channels.update(social_channels(self.settings.channels))
        channels["statuspage"] = StatusPageChannel(self.store,
                                                   page_url=self.settings.brand.status_url)
        channels["dashboard"] = DashboardChannel()
        # While a team exercise runs, every send goes to the exercise's log instead.
        return exercise_mode.guarded(channels, self.store,
                                     self.settings.data_dir / "exercise-outbox.jsonl")

    def live_pipeline(self, load_model: bool = True) -> Pipeline:
        """The pipeline over the configured sources, as `run` and `worker` use it: real
        sources deliver a minute's mentions late, so detection waits this long before it
        closes a minute (the drill, demo and replay are exact and need no wait).
        `load_model=False` (`web`, which drafts and publishes but never scores) defers
        loading the model until something scores, so the web process does not hold it."""
        pipeline = self.pipeline(configured_collectors(self.settings, store=self.store),
                                 scorer=None if load_model else OnFirstUse(lambda: self.scorer))
        # The running team exercise, if any, plays into the live pipeline (nothing otherwise).
        pipeline.collectors.append(exercise_mode.feed(self.store, self.settings.brand))
        pipeline.settle = LIVE_SETTLE
        return pipeline

    def pipeline(self, collectors, scorer=None) -> Pipeline:
        alerting = self.settings.alerting
        return Pipeline(
            store=self.store, collectors=collectors, scorer=scorer or self.scorer,
            channels=self.channels, brand=self.settings.brand, library=self.library,
            detector=DetectorSettings(false_alarms_per_week=self.settings.false_alarms_per_week),
            contacts=contacts_from_config(alerting.get("contacts", [])),
            alert_policy=policy_from_config(alerting, self.settings.secret_key),
            broadcast_policy=broadcasts.policy_from_config(
                self.settings.broadcasts,
                ack_key(self.settings.secret_key) if self.settings.secret_key else "",
                alerting.get("public_url", "")),
            cell=cell_from_config(self.settings.cell),
            admins=admins_from_config(alerting, contacts_from_config(alerting.get("contacts", []))),
            ops_policy=ops_policy_from_config(alerting),
        )


class OnFirstUse:
    """Stands for the object `build()` returns, built at the first attribute read."""

    def __init__(self, build):
        self._build, self._built = build, None

    def __getattr__(self, name):
        if self._built is None:
            self._built = self._build()
        return getattr(self._built, name)


def admins_from_config(alerting: dict, contacts: list) -> list:
    """Who hears that a pipeline stage keeps failing: `[alerting] admins` (contact names),
    by default the first contact in the escalation order."""
    names = alerting.get("admins")
    if names is None:
        return contacts[:1]
    by_name = {c.name: c for c in contacts}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"[alerting] admins: no [[alerting.contacts]] named "
                         f"{', '.join(map(repr, unknown))}")
    return [by_name[n] for n in names]


def ops_policy_from_config(alerting: dict) -> OpsPolicy:
    """`[alerting] stage_failing_minutes` and `stage_failures`: when a failing stage pages."""
    d = OpsPolicy()
    return OpsPolicy(
        after=timedelta(minutes=float(alerting.get("stage_failing_minutes",
                                                   d.after.total_seconds() / 60))),
        failures=int(alerting.get("stage_failures", d.failures)))


def social_channels(conf: dict[str, dict]) -> dict:
    """Reply channels with settings; their client libraries load only when configured."""
    from importlib import import_module

    classes = {"x": "XChannel", "reddit": "RedditChannel", "mastodon": "MastodonChannel",
               "bluesky": "BlueskyChannel"}
    out = {}
    for name, kw in conf.items():
        cls = getattr(import_module(f"responders.channels.{name}"), classes[name])
        try:
            out[name] = cls(**kw)
        except (TypeError, ValueError) as exc:  # a missing or wrong key: say which, not a trace
            raise ValueError(
                f"reply channel {name} is not fully configured ({exc}); set its keys in "
                f"[channels.{name}] or CRISISWATCH_REPLY_{name.upper()}_<KEY>") from None
    return out


def configured_channels(secrets: dict[str, str | None]) -> dict:
    """The real delivery adapters whose credentials are present."""
    out: dict = {}
    if secrets["slack_webhook_url"]:
        out["slack"] = SlackChannel(secrets["slack_webhook_url"])
    if secrets["smtp_host"]:
        out["email"] = EmailChannel(
            secrets["smtp_host"], int(secrets["smtp_port"] or 587),
            sender=secrets["smtp_from"] or "crisiswatch@localhost",
            username=secrets["smtp_user"], password=secrets["smtp_password"],
            starttls=(secrets["smtp_starttls"] or "").lower() in ("1", "true", "yes"))
    if secrets["twilio_account_sid"] and secrets["twilio_auth_token"]:
        out["sms"] = TwilioSMSChannel(
            secrets["twilio_account_sid"], secrets["twilio_auth_token"],
            secrets["twilio_from"] or "",
            base_url=secrets["twilio_base_url"] or "https://api.twilio.com")
    if secrets["alert_webhook_url"] and secrets["alert_webhook_secret"]:
        out["webhook"] = WebhookChannel(secrets["alert_webhook_url"],
                                        secrets["alert_webhook_secret"])
    return out
