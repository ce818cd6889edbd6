"""Collectors for the sources named in the config file's [sources.*] tables.

Secrets never live in the TOML file: each source's secret keys are filled in here from
the environment (or NAME_FILE), and collectors receive them through `from_config`. What
this module prints or returns about a source never contains a secret value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from collectors import COLLECTORS, CollectorError, load_collector_class
from crisiswatch.settings import Settings, env

# Per source: config key -> environment variable holding it.
SECRETS: dict[str, dict[str, str]] = {
    "x": {"bearer_token": "CRISISWATCH_X_BEARER_TOKEN"},
    "reddit": {"client_id": "CRISISWATCH_REDDIT_CLIENT_ID",
               "client_secret": "CRISISWATCH_REDDIT_CLIENT_SECRET",
               "username": "CRISISWATCH_REDDIT_USERNAME",
               "password": "CRISISWATCH_REDDIT_PASSWORD"},
    "mastodon": {"access_token": "CRISISWATCH_MASTODON_ACCESS_TOKEN"},
    "bluesky": {"app_password": "CRISISWATCH_BLUESKY_APP_PASSWORD"},
    "zendesk": {"api_token": "CRISISWATCH_ZENDESK_API_TOKEN"},
    "webhook": {"secret": "CRISISWATCH_WEBHOOK_SECRET"},
}
# Sources that are not pulled by a collector but pushed to us (wired into the dashboard
# server by the caller, see `webhook_config`).
INBOUND = ("webhook",)
# Keys a source's table may have besides its own: handled here, not by the collector.
COMMON_KEYS = {"enabled", "queries"}


def source_config(name: str, conf: dict, getenv: Callable[[str], str | None] = env) -> dict:
    """The source's table with its secrets filled in from the environment."""
    full = dict(conf)
    for key, var in SECRETS.get(name, {}).items():
        value = getenv(var)
        if value:
            full[key] = value
    return full


def secret_values(settings: Settings, getenv: Callable[[str], str | None] = env) -> list[str]:
    """Every secret value in play, to scrub from anything shown."""
    values = []
    for name, conf in settings.sources.items():
        full = source_config(name, conf, getenv)
        values += [str(full[k]) for k in SECRETS.get(name, {}) if full.get(k)]
    return [v for v in values if v.strip()]


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every word that contains a secret replaced by "***". Whole words, not
    just the secret: masking "short" inside "shorter" as "***er" would tell the secret."""
    for value in sorted(secrets, key=len, reverse=True):
        if " " in value.strip():
            text = text.replace(value, "***")
    return " ".join("***" if any(v in word for v in secrets) else word
                    for word in text.split(" "))


def queries_for(name: str, cls: type, conf: dict) -> list[str]:
    if hasattr(cls, "queries"):
        return list(cls.queries(conf))
    return list(conf.get("queries", [name]))


def enabled_sources(settings: Settings) -> list[str]:
    names = []
    for name, conf in settings.sources.items():
        if name not in COLLECTORS and name not in INBOUND:
            raise ValueError(f"unknown source [sources.{name}]; known: "
                             f"{', '.join([*COLLECTORS, *INBOUND])}")
        if conf.get("enabled", True) and name not in INBOUND:
            names.append(name)
    return names


def configured_collectors(settings: Settings, store=None) -> list[tuple[object, str]]:
    """(collector, query) pairs for every enabled, known source in the config. Given the
    store, each collector records its health (last success, lag, errors) there."""
    from collectors.health import Tracked

    pairs = []
    for name in enabled_sources(settings):
        conf = settings.sources[name]
        cls = load_collector_class(name)
        collector = cls.from_config(source_config(name, conf))
        if store is not None:
            collector = Tracked(collector, store)
        for query in queries_for(name, cls, conf):
            pairs.append((collector, query))
    return pairs


def webhook_config(settings: Settings) -> dict | None:
    """{"secret", "max_bytes"} when [sources.webhook] is enabled, else None."""
    conf = settings.sources.get("webhook")
    if not conf or not conf.get("enabled", True):
        return None
    full = source_config("webhook", conf)
    return {"secret": full.get("secret") or "", "max_bytes": int(conf.get("max_bytes", 256_000))}


@dataclass
class Check:
    source: str
    ok: bool
    message: str
    warnings: tuple[str, ...] = ()


def check_sources(settings: Settings, getenv: Callable[[str], str | None] = env,
                  only: list[str] | None = None) -> list[Check]:
    """Validate each configured source and make one cheap authenticated call to it.
    Messages name what is wrong (missing variable, refused token, unreachable URL) and
    never contain a secret."""
    secrets = secret_values(settings, getenv)
    results = []
    for name, conf in settings.sources.items():
        if only and name not in only:
            continue
        warnings = tuple(
            f"{key} is in the config file; move it to {var} (or {var}_FILE)"
            for key, var in SECRETS.get(name, {}).items() if key in conf)
        if name not in COLLECTORS and name not in INBOUND:
            results.append(Check(name, False, "unknown source; known: "
                                 + ", ".join([*COLLECTORS, *INBOUND])))
            continue
        if not conf.get("enabled", True):
            results.append(Check(name, True, "disabled", warnings))
            continue
        try:
            message = _check_one(name, conf, getenv)
            results.append(Check(name, True, scrub(message, secrets), warnings))
        except CollectorError as exc:
            kind = "" if exc.permanent else " (transient: try again later)"
            text = str(exc) if getattr(exc, "plain", False) else scrub(str(exc), secrets)
            results.append(Check(name, False, text + kind, warnings))
        except Exception as exc:  # noqa: BLE001 - a check reports, it never crashes
            results.append(Check(name, False, scrub(f"{type(exc).__name__}: {exc}", secrets),
                                 warnings))
    return results


def _check_one(name: str, conf: dict, getenv) -> str:
    full = source_config(name, conf, getenv)
    if name == "webhook":
        secret = full.get("secret") or ""
        if len(secret) < 16:
            error = CollectorError(f"webhook: {SECRETS['webhook']['secret']} missing or "
                                   "shorter than 16 characters", permanent=True)
            error.plain = True  # fixed words, no secret in them: shown as they are
            raise error
        return f"shared secret set; max body {int(conf.get('max_bytes', 256_000))} bytes"
    missing = [var for key, var in SECRETS.get(name, {}).items()
               if key in _required(name, conf) and not full.get(key)]
    if missing:
        raise CollectorError(f"{name}: {', '.join(missing)} not set", permanent=True)
    cls = load_collector_class(name)
    collector = cls.from_config(full)
    if not queries_for(name, cls, conf):
        raise CollectorError(f"{name}: no queries configured", permanent=True)
    backoff = getattr(collector, "backoff", None)
    if backoff is not None:  # a check answers quickly rather than waiting out a window
        backoff.attempts, backoff.cap = 2, 5.0
    check = getattr(collector, "check", None)
    return check() if check else "configured"


def _required(name: str, conf: dict) -> set[str]:
    return {"x": {"bearer_token"}, "reddit": {"client_id", "client_secret"},
            "zendesk": {"api_token"},
            "bluesky": {"app_password"} if conf.get("handle") else set(),
            "mastodon": set()}.get(name, set())


def backfill(store, pairs: list[tuple[object, str]], since: datetime | None, now: datetime,
             progress: Callable[[str, int, datetime | None], None] | None = None
             ) -> dict[str, int | str]:
    """Collect every (collector, query). With `since`, start there whatever the stored
    cursor says (what is already stored is deduplicated; the cursor is saved batch by
    batch as usual); without, carry on from the cursor. Returns new mentions per source,
    or the error that stopped it; one failing source never stops the others."""
    from collectors.ingest import collect_once, save_batch

    done: dict[str, int | str] = {}
    for collector, query in pairs:
        key = collector.name
        try:
            if since is None:
                n = collect_once(store, collector, query, now)
                done[key] = int(done.get(key, 0) or 0) + n
                if progress:
                    progress(f"{key} {query}", n, None)
                continue
            collector.since = since
            for batch in collector.fetch(query, None, now):
                with store.session() as session:
                    n = save_batch(session, collector.name, query, batch, now)
                done[key] = int(done.get(key, 0) or 0) + n
                if progress:
                    times = [m.created_at for m in batch.mentions] + [t.minute
                                                                      for t in batch.tickets]
                    progress(f"{key} {query}", n, min(times) if times else None)
        except CollectorError as exc:
            done[key] = f"error: {exc}" + (" (permanent)" if exc.permanent else "")
    return done
