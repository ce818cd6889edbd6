"""The demo: the dashboard on a live drill, time-compressed, offline.

The calm hours before the crisis are processed at once (so the charts have a normal day
to compare with), then a simulated clock runs `speed` times faster than real time and the
pipeline follows it in a background thread while the dashboard serves.
"""

from __future__ import annotations

import sys
import threading
import time
import webbrowser
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from collectors.drill import DrillPlan
from crisiswatch.drill import CALM_BEFORE, drill_pipeline
from crisiswatch.playbook import suggestion
from crisiswatch.wiring import App

LEAD_IN = timedelta(minutes=20)  # simulated calm the user watches live before the onset
DEMO_USERS = (("lead", "crisis-demo", "approver"), ("editor", "crisis-demo", "editor"),
              ("admin", "crisis-demo", "admin"))


class SimClock:
    """Simulated time that runs `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float):
        self.start, self.speed, self.began = start, speed, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.began) * self.speed)


@dataclass
class DemoHandle:
    clock: SimClock
    stop: threading.Event
    thread: threading.Thread
    dash_app: object


def today_plan(scenario: str, seed: int) -> DrillPlan:
    """Today's drill: the crisis hits at 10:00 UTC of the current day."""
    today = datetime.now(timezone.utc).replace(tzinfo=None, hour=10, minute=0, second=0,
                                               microsecond=0)
    return DrillPlan(scenario=scenario, seed=seed, onset=today)


def start_demo(app: App, scenario: str = "outage", speed: float = 20.0, seed: int = 7,
               log=print) -> DemoHandle:
    """Reset the demo store, replay the calm hours, start the live loop; returns a handle
    with the Dash app ready to serve."""
    from dashboard.app import create_app
    from dashboard.auth import add_user
    from dashboard.context import DashboardContext

    plan = today_plan(scenario, seed)
    app.store.reset()
    now = plan.onset - LEAD_IN
    with app.store.session() as session:
        for username, password, role in DEMO_USERS:
            add_user(session, username, password, role, now=now)

    log(f"Loading the sentiment model (first run builds it into {app.settings.cache_dir}) ...")
    pipeline, _ = drill_pipeline(app.pipeline, plan)
    log(f"Replaying {CALM_BEFORE - LEAD_IN} of ordinary chatter before the drill starts ...")
    done = pipeline.run_once(now)
    log(f"  {done['collected']} mentions, {done['scored']} scored")

    clock = SimClock(now, speed)
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                pipeline.run_once(clock())
            except Exception as exc:  # noqa: BLE001 - keep the demo alive; the error is shown
                print(f"pipeline cycle failed: {exc!r}", file=sys.stderr)
            stop.wait(1.0)

    thread = threading.Thread(target=loop, name="drill", daemon=True)
    thread.start()
    ctx = DashboardContext(
        store=app.store, clock=clock, library=app.library, brand=app.settings.brand,
        secret_key=app.settings.secret_key, two_person_rule=app.settings.two_person_rule,
        refresh_drafts=pipeline.draft, publish=pipeline.publish,
        playbook_facts=lambda: suggestion(scenario, plan.onset.strftime("%H:%M UTC")),
    )
    return DemoHandle(clock, stop, thread, create_app(ctx))


def run_demo(app: App, scenario: str, speed: float, seed: int, open_browser: bool) -> int:
    handle = start_demo(app, scenario, speed, seed)
    url = f"http://{app.settings.host}:{app.settings.port}/"
    print(f"\ncrisiswatch demo: {url}  (public status page: {url}status)")
    print(f"Drill '{scenario}': the crisis starts in about "
          f"{LEAD_IN.total_seconds() / speed:.0f} s (simulated time runs {speed:g}x).")
    print("Demo logins:  " + "   ".join(f"{u} / {p} ({r})" for u, p, r in DEMO_USERS))
    if open_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    try:
        handle.dash_app.run(host=app.settings.host, port=app.settings.port, debug=False)
    finally:
        handle.stop.set()
    return 0
