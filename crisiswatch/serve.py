"""The pipeline on a clock in a background thread, and the dashboard over the same store:
what `crisiswatch run` serves in production and `crisiswatch demo` on a drill."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from collectors import webhook
from crisiswatch.pipeline import Pipeline
from crisiswatch.settings import channel_secrets
from crisiswatch.sources import webhook_config
from crisiswatch.wiring import App

log = logging.getLogger("crisiswatch")


@dataclass
class Running:
    """A live pipeline thread and the Dash app that shows it."""

    stop: threading.Event
    thread: threading.Thread
    dash_app: object


def start(app: App, pipeline: Pipeline, clock: Callable[[], datetime], interval: float,
          playbook_facts: Callable[[], dict] | None = None) -> Running:
    """Run `pipeline.run_once(clock())` every `interval` seconds until stopped, and build
    the dashboard for the same store."""
    from dashboard.app import create_app
    from dashboard.context import DashboardContext
    from responders.statusboard import sync_components

    if app.settings.status_components:
        with app.store.session() as session:
            sync_components(session, app.settings.status_components, clock())
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                done = pipeline.run_once(clock())
                log.debug("cycle: %s", done)
            except Exception:
                log.exception("pipeline cycle failed; retrying next cycle")
            stop.wait(interval)

    thread = threading.Thread(target=loop, name="pipeline", daemon=True)
    thread.start()
    ctx = DashboardContext(
        store=app.store, clock=clock, library=app.library, brand=app.settings.brand,
        secret_key=app.settings.secret_key, two_person_rule=app.settings.two_person_rule,
        refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=playbook_facts, contacts=pipeline.contacts,
        twilio_auth_token=channel_secrets()["twilio_auth_token"],
        trusted_proxies=app.settings.trusted_proxies,
    )
    dash_app = create_app(ctx)
    inbound = webhook_config(app.settings)
    if inbound:  # help desks POST tickets here, signed with the shared secret
        webhook.register(dash_app.server, app.store, inbound["secret"], inbound["max_bytes"],
                         clock=clock)
    return Running(stop, thread, dash_app)


def serve_forever(app: App, running: Running) -> None:
    """Serve the dashboard until interrupted, then stop the pipeline thread."""
    try:
        running.dash_app.run(host=app.settings.host, port=app.settings.port, debug=False)
    finally:
        running.stop.set()
