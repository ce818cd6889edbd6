"""The demo: the dashboard on a live drill, time-compressed, offline.

The calm hours before the crisis are processed at once (so the charts have a normal day
to compare with), then a simulated clock runs `speed` times faster than real time and the
pipeline follows it in a background thread while the dashboard serves.
"""

from __future__ import annotations

import threading
import time
import webbrowser
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from collectors.drill import DrillPlan
from crisiswatch import quiet, serve
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
    pipeline thread with the Dash app ready to serve. `log` gets one line per step, with
    its time (`Steps`)."""
    from dashboard.auth import add_user

    step = Steps(4, log)
    plan = today_plan(scenario, seed)
    with step("demo database ready: {n} users, the default crisis plan") as done:
        app.store.reset()
        app.settings.status_components = app.settings.status_components or DEMO_COMPONENTS
        now = plan.onset - LEAD_IN
        with app.store.session() as session:
            for username, password, role in DEMO_USERS:
                add_user(session, username, password, role, now=now)
            seed_default_plan(session, actor="demo", now=now)  # the Plan page's register
        done(n=len(DEMO_USERS))

    log(f"Loading the sentiment model (the very first start builds it once into "
        f"{app.settings.cache_dir}: one to three minutes on 2 cores) ...")
    with step("sentiment model loaded"):
        pipeline, _ = drill_pipeline(app.pipeline, plan)
    with step("replayed {calm} of ordinary chatter: {collected} mentions, {scored} scored",
              calm=_hours(CALM_BEFORE - LEAD_IN)) as done:
        done(**pipeline.run_once(now))

    with step("dashboard ready"):
        return serve.start(
            app, pipeline, SimClock(now, speed), interval=1.0,
            playbook_facts=lambda: suggestion(scenario, plan.onset.strftime("%H:%M UTC")))


class Steps:
    """`with steps("what was done: {n}") as done: ...; done(n=3)` prints "[k/total] what
    was done: 3 (0.4 s)" when the block ends: one line per step, with its time."""

    def __init__(self, total: int, log=print):
        self.total, self.log, self.count = total, log, 0

    @contextmanager
    def __call__(self, title: str, **known):
        self.count += 1
        values = dict(known)
        started = time.monotonic()
        yield values.update
        elapsed = time.monotonic() - started
        self.log(f"[{self.count}/{self.total}] {title.format(**values)} ({elapsed:.1f} s)")


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def summary(url: str, scenario: str, speed: float, log_file) -> list[str]:
    """What a newcomer needs once the demo serves: where, who to sign in as, what comes."""
    crisis_in = LEAD_IN.total_seconds() / speed
    return [
        "",
        f"crisiswatch demo is running: open {url}",
        f"  public status page:  {url}status",
        "  sign in as:          " + "   ".join(f"{u} / {p} ({r})" for u, p, r in DEMO_USERS),
        (f"  what happens next:   the simulated '{scenario}' crisis starts about "
         f"{crisis_in:.0f} s after this line (simulated time runs {speed:g}x); an alert "
         "appears on the Overview, declare the incident from it, then approve the drafted "
         "updates under Approvals."),
        f"  libraries' logs:     {log_file}",
        "  stop:                Ctrl+C",
    ]


def run_demo(app: App, scenario: str, speed: float, seed: int, open_browser: bool) -> int:
    log_file = quiet.libraries_to(app.settings.cache_dir / "build.log")
    handle = start_demo(app, scenario, speed, seed)
    url = f"http://{app.settings.host}:{app.settings.port}/"
    print("\n".join(summary(url, scenario, speed, log_file)), flush=True)
    if open_browser:
        threading.Timer(1.5, webbrowser.open, args=(url,)).start()
    serve.serve_forever(app, handle)
    return 0
