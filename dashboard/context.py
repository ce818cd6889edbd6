"""What the dashboard is handed: the store, the (possibly simulated) clock, the brand, and
the pipeline stages it may trigger. Nothing in the dashboard reads the environment or the
wall clock; everything comes from here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app

from responders.cell import CellConfig
from responders.drafts import Brand
from responders.templates import TemplateLibrary
from store import Store

CONFIG_KEY = "CRISISWATCH_CONTEXT"


@dataclass
class DashboardContext:
    store: Store
    clock: Callable[[], datetime]  # naive UTC "now"; simulated and time-compressed in the demo
    library: TemplateLibrary
    brand: Brand
    secret_key: str
    two_person_rule: bool = False
    refresh_drafts: Callable[[datetime], int] = lambda now: 0  # = pipeline.draft
    publish: Callable[[datetime], int] = lambda now: 0  # = pipeline.publish (the outbox)
    playbook_facts: Callable[[], dict] | None = None  # suggested title/type/severity/facts
    contacts: Sequence = ()  # responders.alerting.Contact: who may acknowledge by SMS
    twilio_auth_token: str | None = None  # checks inbound SMS replies; None refuses them
    secure_cookies: bool = False  # session cookies only over HTTPS (behind TLS)
    trusted_proxies: int = 0  # reverse proxies in front whose X-Forwarded-For/-Proto count
    cell: CellConfig = field(default_factory=CellConfig)  # the crisis cell's roster, timings
    stages: Sequence[str] = ()  # the pipeline's stage names, in order (the Sources page)


def current() -> DashboardContext:
    """The context of the app serving the current request (callbacks and routes)."""
    return current_app.config[CONFIG_KEY]
