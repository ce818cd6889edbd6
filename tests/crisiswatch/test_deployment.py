"""The README's production section, step by step, on real processes and PostgreSQL:
`db upgrade` on an empty database, a user, `crisiswatch web` and `crisiswatch worker` as
separate processes (the worker collects and scores; the web process answers and shows the
worker's stages), a backup taken while both run (`db backup`), restored into a new
database with `pg_restore`, and `db upgrade` on the restored copy."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from store.models import MentionRow, ScoreRow, StageHealthRow

pytestmark = pytest.mark.slow
PG = os.environ.get("CRISISWATCH_TEST_POSTGRES_URL")
N = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def crisiswatch(*args: str, env: dict, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crisiswatch.cli", *args], env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def new_database(admin_url: str) -> str:
    """A fresh, empty database on the test server; its SQLAlchemy URL."""
    name = f"deploy_{uuid.uuid4().hex[:10]}"
    engine = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"),
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin_url).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {"mentions": conn.execute(select(func.count()).select_from(MentionRow)).scalar(),
               "scores": conn.execute(select(func.count()).select_from(ScoreRow)).scalar()}
        out["stages_ok"] = conn.execute(select(func.count()).select_from(StageHealthRow).where(
            StageHealthRow.last_ok_at.is_not(None))).scalar()
    engine.dispose()
    return out


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (result := check()):
            return result
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def deployment(tmp_path):
    if not PG:
        pytest.skip("the production steps run on PostgreSQL (CRISISWATCH_TEST_POSTGRES_URL)")
    url = new_database(PG)
    now = datetime.now(UTC)
    stream = tmp_path / "recorded.jsonl"
    stream.write_text("".join(json.dumps({
        "id": f"p{i}", "created_at": (now - timedelta(minutes=50 - i)).isoformat(),
        "text": f"Nimbus login is down again ({i})" if i % 2 else f"Nimbus sync works fine {i}",
        "author": f"user{i}"}) + "\n" for i in range(N)))
    (tmp_path / "config.toml").write_text(f"""
[brand]
name = "Nimbus"
keywords = ["nimbus"]

[sources.replay]
enabled = true
path = "{stream}"
""")
    port = free_port()
    env = {**os.environ, "CRISISWATCH_DATABASE_URL": url, "CRISISWATCH_PORT": str(port),
           "CRISISWATCH_CONFIG": str(tmp_path / "config.toml"),
           "CRISISWATCH_DATA_DIR": str(tmp_path / "data"),
           "CRISISWATCH_SECRET_KEY": "deploy-test-secret-key-0123456789"}
    processes: list[subprocess.Popen] = []
    yield url, env, port, processes, tmp_path
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_production_steps_on_real_processes(deployment):
    url, env, port, processes, tmp_path = deployment

    upgraded = crisiswatch("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at head" in upgraded.stdout and "deploy-test" not in upgraded.stdout
    added = crisiswatch("users", "add", "lead", "--role", "approver", "--password",
                        "a long enough password", env=env)
    assert added.returncode == 0, added.stderr

    with open(tmp_path / "web.log", "w") as web_log, open(tmp_path / "worker.log", "w") as log:
        web = subprocess.Popen([sys.executable, "-m", "crisiswatch.cli", "web",
                                "--threads", "4"], env=env, stdout=web_log,
                               stderr=subprocess.STDOUT)
        worker = subprocess.Popen([sys.executable, "-m", "crisiswatch.cli", "worker",
                                   "--interval", "2"], env=env, stdout=log,
                                  stderr=subprocess.STDOUT)
    processes += [web, worker]  # each keeps its own copy of its log's file descriptor

    def login_page():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as r:
                return r.status == 200
        except OSError:
            return False
    wait_for(login_page, 120, "the web process to answer /login")

    def all_scored():
        c = counts(url)
        return c if c["mentions"] == N and c["scores"] == N and c["stages_ok"] >= 5 else None
    before = wait_for(all_scored, 900, "the worker to collect and score the recorded stream")
    # The web process drafts and publishes but never scores: it does not hold the model.
    assert rss_mib(web.pid) < rss_mib(worker.pid) / 2, (rss_mib(web.pid), rss_mib(worker.pid))
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/status.json", timeout=5) as r:
        assert r.status == 200 and "components" in json.loads(r.read())

    # The worker's stages are in the store, for the web process's Sources page.
    engine = create_engine(url)
    with engine.connect() as conn:
        workers = set(conn.execute(select(StageHealthRow.worker)).scalars())
    engine.dispose()
    assert all(w.endswith(f":{worker.pid}") for w in workers), workers

    # A backup while both run, restored into a new database, holds the same store.
    backup = tmp_path / "crisiswatch.dump"
    taken = crisiswatch("db", "backup", str(backup), env=env)
    assert taken.returncode == 0, taken.stderr
    assert "deploy-test" not in taken.stdout and backup.stat().st_size > 0
    again = crisiswatch("db", "backup", str(backup), env=env)
    assert again.returncode == 1 and "exists" in again.stderr  # never overwrites a backup
    restored = new_database(PG)
    target = make_url(restored).set(drivername="postgresql")
    done = subprocess.run(["pg_restore", "--no-owner", "--dbname",
                           target.render_as_string(hide_password=False), str(backup)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    upgraded = crisiswatch("db", "upgrade", env={**env, "CRISISWATCH_DATABASE_URL": restored})
    assert upgraded.returncode == 0, upgraded.stderr
    after = counts(restored)
    assert after["mentions"] == before["mentions"] == N and after["scores"] == N

    # Stopping the worker leaves the dashboard serving; a restarted worker repeats nothing.
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=30)
    assert login_page()
    once = crisiswatch("worker", "--once", env=env, timeout=600)
    assert once.returncode == 0, once.stdout + once.stderr
    cycle = json.loads(once.stdout.strip().splitlines()[-1])
    assert cycle["collected"] == 0 and cycle["scored"] == 0
    assert counts(url)["mentions"] == N
