"""The pipeline's stages on a clock and the dashboard over the same store: together in one
process (`crisiswatch run`, `crisiswatch demo`), or apart (`crisiswatch web` serves the
dashboard, `crisiswatch worker` runs stages; many of each may share PostgreSQL)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from collectors import webhook
from crisiswatch.pipeline import STAGE_NAMES, STAGES, Pipeline
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


def dashboard(app: App, pipeline: Pipeline, clock: Callable[[], datetime],
              playbook_facts: Callable[[], dict] | None = None):
    """The Dash app over the pipeline's store; what it triggers after a human's change
    (drafts refreshed, the outbox run) runs the pipeline's own stages."""
    from dashboard.app import create_app
    from dashboard.context import DashboardContext
    from responders.statusboard import sync_components

    if app.settings.status_components:
        with app.store.session() as session:
            sync_components(session, app.settings.status_components, clock())
    ctx = DashboardContext(
        store=app.store, clock=clock, library=app.library, brand=app.settings.brand,
        secret_key=app.settings.secret_key, two_person_rule=app.settings.two_person_rule,
        refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=playbook_facts, contacts=pipeline.contacts,
        twilio_auth_token=channel_secrets()["twilio_auth_token"],
        trusted_proxies=app.settings.trusted_proxies,
        secure_cookies=app.settings.secure_cookies, cell=pipeline.cell,
        stages=tuple(STAGE_NAMES),
    )
    dash_app = create_app(ctx)
    inbound = webhook_config(app.settings)
    if inbound:  # help desks POST tickets here, signed with the shared secret
        webhook.register(dash_app.server, app.store, inbound["secret"], inbound["max_bytes"],
                         clock=clock)
    return dash_app


def run_stages(pipeline: Pipeline, clock: Callable[[], datetime], interval: float,
               stop: threading.Event, stages: tuple[str, ...] | None = None) -> None:
    """Run the chosen stages (all by default) every `interval` seconds until `stop`; one
    failing stage is logged and reported by the pipeline, the others go on."""
    while not stop.is_set():
        now = clock()
        done = {key: pipeline.run_stage(key, now) for key in (stages or STAGES)}
        pipeline.refresh_statistics(now)
        pipeline.report_health(now)
        log.debug("cycle: %s", done)
        stop.wait(interval)


def start(app: App, pipeline: Pipeline, clock: Callable[[], datetime], interval: float,
          playbook_facts: Callable[[], dict] | None = None) -> Running:
    """Run every stage every `interval` seconds in a background thread until stopped, and
    build the dashboard for the same store."""
    stop = threading.Event()
    thread = threading.Thread(target=run_stages, args=(pipeline, clock, interval, stop),
                              name="pipeline", daemon=True)
    thread.start()
    return Running(stop, thread, dashboard(app, pipeline, clock, playbook_facts))


def serve_wsgi(app: App, dash_app, threads: int = 8) -> None:
    """Serve the dashboard with waitress, a production WSGI server (threads, no reloader,
    bounded request bodies), until interrupted."""
    import waitress

    from dashboard.app import MAX_REQUEST_BYTES

    # waitress refuses (413) any body past the app's own largest limit before buffering it
    waitress.serve(dash_app.server, host=app.settings.host, port=app.settings.port,
                   threads=threads, ident="crisiswatch",
                   max_request_body_size=MAX_REQUEST_BYTES)


def serve_forever(app: App, running: Running) -> None:
    """Serve the dashboard until interrupted, then stop the pipeline thread."""
    try:
        serve_wsgi(app, running.dash_app)
    finally:
        running.stop.set()
