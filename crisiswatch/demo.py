"""The demo: the dashboard on a live drill, time-compressed, offline.

The calm hours before the crisis are processed at once (so the charts have a normal day
to compare with), then a simulated clock runs `speed` times faster than real time and the
pipeline follows it in a background thread while the dashboard serves.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from datetime import UTC, datetime, timedelta

from collectors.drill import DrillPlan
from crisiswatch import serve
from crisiswatch.drill import CALM_BEFORE, drill_pipeline
from crisiswatch.playbook import suggestion
from crisiswatch.wiring import App
from responders.plan_defaults import seed_default_plan

LEAD_IN = timedelta(minutes=20)  # simulated calm the user watches live before the onset
# What the drill brand's status page lists (config `[status] components` in production).
DEMO_COMPONENTS = [
    {"key": "login", "names": {"en": "Login", "fr": "Connexion"}},
    {"key": "sync", "names": {"en": "File sync", "fr": "Synchronisation des fichiers"}},
    {"key": "web", "names": {"en": "Web app", "fr": "Application web"}},
    {"key": "api", "names": {"en": "API", "fr": "API"}},
]
DEMO_USERS = (("lead", "crisis-demo", "approver"), ("editor", "crisis-demo", "editor"),
              ("admin", "crisis-demo", "admin"))


class SimClock:
    """Simulated time that runs `speed` times faster than the wall clock."""

    def __init__(self, start: datetime, speed: float):
        self.start, self.speed, self.began = start, speed, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=(time.monotonic() - self.began) * self.speed)


def today_plan(scenario: str, seed: int) -> DrillPlan:
    """Today's drill: the crisis hits at 10:00 UTC of the current day."""
    today = datetime.now(UTC).replace(tzinfo=None, hour=10, minute=0, second=0,
                                               microsecond=0)
    return DrillPlan(scenario=scenario, seed=seed, onset=today)


def start_demo(app: App, scenario: str = "outage", speed: float = 20.0, seed: int = 7,
               log=print) -> serve.Running:
    """Reset the demo store, replay the calm hours, start the live loop; returns the running
    pipeline thread with the Dash app ready to serve."""
    from dashboard.auth import add_user

    plan = today_plan(scenario, seed)
    app.store.reset()
    app.settings.status_components = app.settings.status_components or DEMO_COMPONENTS
    now = plan.onset - LEAD_IN
    with app.store.session() as session:
        for username, password, role in DEMO_USERS:
            add_user(session, username, password, role, now=now)
        seed_default_plan(session, actor="demo", now=now)  # the Plan page's register

    log(f"Loading the sentiment model (first run builds it into {app.settings.cache_dir}) ...")
    pipeline, _ = drill_pipeline(app.pipeline, plan)
    log(f"Replaying {CALM_BEFORE - LEAD_IN} of ordinary chatter before the drill starts ...")
    done = pipeline.run_once(now)
    log(f"  {done['collected']} mentions, {done['scored']} scored")

    return serve.start(
        app, pipeline, SimClock(now, speed), interval=1.0,
        playbook_facts=lambda: suggestion(scenario, plan.onset.strftime("%H:%M UTC")))


def run_demo(app: App, scenario: str, speed: float, seed: int, open_browser: bool) -> int:
    handle = start_demo(app, scenario, speed, seed)
    url = f"http://{app.settings.host}:{app.settings.port}/"
    print(f"\ncrisiswatch demo: {url}  (public status page: {url}status)")
    print(f"Drill '{scenario}': the crisis starts in about "
          f"{LEAD_IN.total_seconds() / speed:.0f} s (simulated time runs {speed:g}x).")
    print("Demo logins:  " + "   ".join(f"{u} / {p} ({r})" for u, p, r in DEMO_USERS))
    if open_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    serve.serve_forever(app, handle)
    return 0
