"""Scale-out on PostgreSQL: a recorded stream replayed through 1, 2 and 4 worker processes,
one of them killed with SIGKILL mid-run (and replaced), against one database.

    python benchmarks/bench_scale.py --pg postgresql://user@host:port/postgres
        [--mentions 200000] [--workers 1,2,4] [--model words|embedded] [--step-minutes 30]

Each run gets a fresh database and replays the stream as production would live it: a
simulated clock moves in steps of `--step-minutes` over the recorded week, and at each step
every worker runs the product's stages (`crisiswatch worker`'s cycle: every stage of
`crisiswatch.pipeline.STAGES` through `Pipeline.run_stage`, then the statistics refresh),
claiming its work as in production: the replay source (`ReplayCollector`, its cursor under
an advisory lock) hands over the posts whose time has come, the scorer, the detector, the
paging, drafting and publishing stages follow. The clock moves on once every worker has run
a cycle that found nothing left to do at that time (the drafting stage's count aside: it
counts the drafts it refreshed), so alerts stay open while the paging stage looks at them,
as they do live, and the counts do not depend on how fast the workers are. The response
team is played by the drill's (`crisiswatch.drill.Responder`, outage playbook) between
steps: the on-call acknowledges the first alert by SMS and declares an incident, the
playbook moves its phases and facts, its status-page updates are approved, and so are the
incident's other drafts (notices to the team and the CEO, replies), so the publish stage has
posts to make. Pages go to two contacts (SMS and e-mail) and posts to Slack, e-mail and X
through the log channel (a JSON-lines file: what would have left the machine), status
updates to the status page (a row per update). The planner statistics are refreshed daily
of simulated time, not hourly (see STATISTICS_EVERY).

Before the killed runs, an expected run (one worker, nobody killed) gives the counts every
run must reproduce. Printed per worker count: mentions/s over the whole replay, the delay
from the step that released the last mention to its score, `duplicates=` / `lost=` against
the expected run over mentions, scores, signals, alerts (and those the paging stage saw
open), pages (deliveries recorded, and lines in the log: a page sent twice shows there even
if recorded once), posts (status-page posts, published drafts, lines in the log) and the
reminders that an update is owed, plus any message sent twice within the run; and the wall
time the workers spent in each stage.
`--model words` (default) scores with the tests' word model, so the figures are the
store's and the claims', not the encoder's (`bench_sentiment.py` measures that).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import create_engine, func, select, text

from collectors.drill import DrillPlan
from collectors.replay import ReplayCollector
from crisiswatch.drill import Responder
from crisiswatch.pipeline import STAGES, Pipeline
from responders.alerting import Contact
from responders.approval import ApprovalError, approve
from responders.channels.log import LogChannel
from responders.channels.statuspage import StatusPageChannel
from responders.drafts import Brand
from sentiment.scorer import Scorer
from store import Store
from store.models import (
    AlertDeliveryRow,
    AlertPagingRow,
    AlertRow,
    DraftRow,
    MentionRow,
    ScoreRow,
    SignalRow,
    StatusPostRow,
)
from store.statistics import Statistics

T0 = datetime(2026, 3, 2)
ONSET = T0 + timedelta(days=6, hours=10)
END = T0 + timedelta(days=7, hours=6)  # after the stream: the incident resolves, alerts close
EPOCH = datetime(2000, 1, 1)
WORDS = ["the app", "sync", "photos", "my account", "the new update", "support", "pricing"]
CONTACTS = [Contact("on-call", (("sms", "+15550100"), ("email", "oncall@example.com"))),
            Contact("backup", (("email", "backup@example.com"),))]
LOGGED = ("sms", "email", "slack", "webhook", "x", "reddit", "mastodon", "bluesky")
BUSY = -1.0  # a worker's slot while it runs a cycle
# The drafting stage counts the drafts it created *or refreshed*: while an incident is open
# it refreshes the same ones every cycle, so its count says nothing about work left.
NOT_WORK_LEFT = {"drafts"}
KILL_AT = 0.4  # share of the stream released when one worker is killed
# The planner statistics: hourly in production, which on a week replayed in minutes would
# be an ANALYZE per step and per worker; daily here (and after the mentions grew by a fifth).
STATISTICS_EVERY = timedelta(days=1)


def record_stream(path: Path, n: int, seed: int = 11) -> None:
    """n posts over 7 days with a daily rhythm, and an outage burst on day 6."""
    rng = random.Random(seed)
    with path.open("w") as f:
        for i in range(n):
            if i % 10 == 0:  # a tenth of the stream is the crisis hour
                at, text = ONSET + timedelta(seconds=rng.uniform(0, 3600)), "Nimbus is down!!"
            else:
                day, hour = rng.randrange(7), min(23.99, max(0.0, rng.gauss(14, 4)))
                at = T0 + timedelta(days=day, hours=hour)
                text = f"Nimbus {rng.choice(WORDS)} {'works fine' if i % 3 else 'is ok'}"
            f.write(json.dumps({"id": i, "created_at": at.isoformat() + "Z", "text": text,
                                "author": f"u{rng.randrange(50_000)}"}) + "\n")


def stream_times(path: Path) -> list[datetime]:
    with path.open() as f:
        return sorted(datetime.fromisoformat(json.loads(line)["created_at"][:-1]) for line in f)


def scorer(model: str) -> Scorer:
    if model == "embedded":
        from sentiment.model import EmbeddedSentiment

        return Scorer(EmbeddedSentiment(Path.home() / ".cache" / "crisiswatch"))
    from tests.support.word_model import WordModel

    return Scorer(WordModel())


def pipeline_for(store: Store, stream: str, model: str, outbox: str,
                 step: timedelta) -> Pipeline:
    """The worker's pipeline. Its detection settles for one step, as live it settles for
    longer than a collection interval (`[detection] settle_minutes`): a step's posts arrive
    all at once, and another worker may still be storing them while this one detects; a
    minute is final once the step that released it has been collected everywhere."""
    channels = {name: LogChannel(name, Path(outbox)) for name in LOGGED}
    channels["statuspage"] = StatusPageChannel(store)
    return Pipeline(store=store, collectors=[(ReplayCollector(stream, default_source="x"),
                                              "nimbus")],
                    scorer=scorer(model), channels=channels, brand=Brand(),
                    contacts=CONTACTS, statistics=Statistics(every=STATISTICS_EVERY),
                    settle=step)


def at(seconds: float) -> datetime:
    return EPOCH + timedelta(seconds=seconds)


def seconds(moment: datetime) -> float:
    return (moment - EPOCH).total_seconds()


def worker(url: str, stream: str, model: str, outbox: str, step: timedelta, clock, idle,
           slot: int, spent) -> None:
    """`crisiswatch worker`'s cycle at the shared clock's time, again until a cycle finds
    nothing to do; then the slot says so and the worker waits for the clock to move. The
    wall time of each stage is added to `spent` (one total per stage, all workers)."""
    store = Store(url)
    pipeline = pipeline_for(store, stream, model, outbox, step)
    while True:
        tick = clock.value
        if idle[slot] == tick:
            time.sleep(0.002)
            continue
        idle[slot] = BUSY
        now = at(tick)
        done, took = {}, []
        for key in STAGES:
            t = time.perf_counter()
            done[key] = pipeline.run_stage(key, now)
            took.append(time.perf_counter() - t)
        t = time.perf_counter()
        pipeline.refresh_statistics(now)
        took.append(time.perf_counter() - t)
        with spent.get_lock():
            for i, s in enumerate(took):
                spent[i] += s
        if not any(n for key, n in done.items() if key not in NOT_WORK_LEFT):
            idle[slot] = tick


def approve_the_rest(store: Store, now: datetime, refused: dict[int, str]) -> None:
    """The comms lead approves the incident's other drafts too (the notices to the team
    and the CEO, the replies to mentions), so the publish stage also sends to channels
    that cannot deduplicate (the log channel stands in for Slack, e-mail and X); a draft
    the approval refuses is noted once in `refused` (id -> reason)."""
    with store.session() as session:
        for draft in session.execute(select(DraftRow).where(
                DraftRow.status == "draft", DraftRow.incident_id.is_not(None),
                DraftRow.channel != "statuspage")).scalars():  # the drill approves those
            try:
                approve(session, draft, approver="bench-approver", role="approver", now=now,
                        override_reason="bench: warnings accepted")
            except ApprovalError as exc:
                refused.setdefault(draft.id, str(exc))


def counts(store: Store, outbox: Path) -> dict:
    """What the run left: rows in the store, and the lines of the log channel (what would
    have been sent), with any page or post in it twice."""
    with store.session() as s:
        def n(table, *where):
            return s.execute(select(func.count()).select_from(table).where(*where)).scalar_one()

        out = {"mentions": n(MentionRow), "scores": n(ScoreRow), "signals": n(SignalRow),
               "alerts": n(AlertRow),
               "alerts_paged": n(AlertPagingRow),  # seen open by the paging stage
               "pages": n(AlertDeliveryRow, AlertDeliveryRow.ok.is_(True),
                          AlertDeliveryRow.channel != "dashboard"),
               "posts": n(StatusPostRow),
               "published": n(DraftRow, DraftRow.status == "published")}
    lines = [json.loads(line) for line in outbox.read_text().splitlines()] \
        if outbox.exists() else []
    # A page is one message to one address at one time (a re-send is another time); a
    # post is one draft on its channel; the rest (reminders that an update is owed) are
    # whole messages at one time.
    pages = Counter((m["alert_id"], m["channel"], m["to"], m["at"], m["body"])
                    for m in lines if m.get("alert_id"))
    posts = Counter((m["draft_id"], m["channel"]) for m in lines
                    if not m.get("alert_id") and m.get("draft_id"))
    others = Counter((m["channel"], m["to"], m["at"], m["subject"], m["body"]) for m in lines
                     if not m.get("alert_id") and not m.get("draft_id"))
    out["pages_logged"] = sum(pages.values())
    out["posts_logged"] = sum(posts.values())
    out["reminders_logged"] = sum(others.values())
    out["sent_twice"] = sum(c - 1 for c in (*pages.values(), *posts.values(), *others.values())
                            if c > 1)
    return out


def run(pg: str, n: int, workers: int, stream: Path, model: str, kill: bool,
        step: timedelta) -> dict:
    name = "cw_scale_" + uuid.uuid4().hex[:8]
    admin = create_engine(pg, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = pg.rsplit("/", 1)[0] + "/" + name
    store = Store(url)
    store.upgrade()
    times = stream_times(stream)
    kill_after, last_at = times[int(KILL_AT * len(times))], times[-1]
    outbox = stream.parent / f"{name}-outbox.jsonl"
    ctx = multiprocessing.get_context("fork")
    start = T0 - step
    clock = ctx.Value("d", seconds(start), lock=False)
    idle = ctx.Array("d", [BUSY] * workers, lock=False)
    spent = ctx.Array("d", len(STAGES) + 1)
    store.engine.dispose()  # no pooled connection crosses the fork

    def spawn(slot: int):
        idle[slot] = BUSY
        p = ctx.Process(target=worker, args=(url, str(stream), model, str(outbox), step, clock,
                                             idle, slot, spent))
        p.start()
        return p

    procs = [spawn(i) for i in range(workers)]
    team = Responder(pipeline_for(store, str(stream), model, str(outbox), step),
                     DrillPlan(scenario="outage", onset=ONSET))
    killed, released, scored_last, refused = False, None, None, {}
    began = time.perf_counter()
    now = start
    try:
        while now < END:
            now += step
            clock.value = seconds(now)
            if kill and not killed and now > kill_after:
                time.sleep(random.Random(workers).uniform(0.005, 0.05))  # mid-cycle
                os.kill(procs[0].pid, signal.SIGKILL)  # its open claims must be taken over
                procs[0].join()
                procs[0] = spawn(0)
                killed = True
            if released is None and now > last_at:
                released = time.perf_counter()
            while any(idle[i] != clock.value for i in range(workers)):
                if any(not p.is_alive() for p in procs):
                    raise RuntimeError("a worker died on its own")
                time.sleep(0.002)
            if released is not None and scored_last is None:
                scored_last = time.perf_counter()  # every mention released is scored
            team.act(now)  # the humans answer what this step showed them
            if team.incident_id is not None:
                approve_the_rest(store, now, refused)
    finally:
        done = time.perf_counter()
        for p in procs:
            p.kill()
            p.join()
    result = {"workers": workers, "killed": killed, "counts": counts(store, outbox),
              "approval_errors": team.approval_errors + sorted(set(refused.values())),
              "mentions_per_s": round(n / (done - began), 1),
              "replay_s": round(done - began, 1),
              "last_mention_to_score_s": round(scored_last - released, 2),
              "stage_wall_s": {k: round(v, 1) for k, v in zip(
                  (*STAGES, "statistics"), spent[:], strict=True)}}
    store.engine.dispose()
    with admin.connect() as c:
        c.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()
    return result


def compare(c: dict, expected: dict, n: int) -> tuple[int, int]:
    """(duplicates, lost) of a run's counts against the expected run's and the stream."""
    keys = [k for k in expected if k != "sent_twice"]
    dup = sum(max(0, c[k] - expected[k]) for k in keys) + c["sent_twice"] + \
        max(0, c["scores"] - c["mentions"])
    lost = sum(max(0, expected[k] - c[k]) for k in keys) + max(0, n - c["scores"])
    return dup, lost


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", default=os.environ.get("CRISISWATCH_TEST_POSTGRES_URL"),
                    help="PostgreSQL server URL (a database per run is created on it)")
    ap.add_argument("--mentions", type=int, default=200_000)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--model", choices=("words", "embedded"), default="words")
    ap.add_argument("--step-minutes", type=float, default=30.0,
                    help="how far the simulated clock moves between cycles")
    args = ap.parse_args(argv)
    if not args.pg:
        print("give --pg or CRISISWATCH_TEST_POSTGRES_URL", file=sys.stderr)
        return 2
    step = timedelta(minutes=args.step_minutes)
    stream = Path(tempfile.mkdtemp(prefix="scale-")) / "stream.jsonl"
    record_stream(stream, args.mentions)
    runs = [(1, False)] + [(int(w), True) for w in args.workers.split(",")]
    expected = None
    for w, kill in runs:
        r = run(args.pg, args.mentions, w, stream, args.model, kill, step)
        c = r["counts"]
        expected = expected or c
        dup, lost = compare(c, expected, args.mentions)
        print(f"{'expected' if not kill else 'run':8} workers={w} killed_one={r['killed']} "
              f"mentions_per_s={r['mentions_per_s']} replay_s={r['replay_s']} "
              f"last_mention_to_score_s={r['last_mention_to_score_s']} duplicates={dup} "
              f"lost={lost} load={os.getloadavg()[0]:.1f} {json.dumps(c)}"
              + (f" approval_errors={r['approval_errors']}" if r["approval_errors"] else "")
              + f" stage_wall_s={json.dumps(r['stage_wall_s'])}",
              flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
