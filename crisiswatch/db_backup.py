"""`crisiswatch db backup FILE`: a consistent copy of the store, taken while it runs.

- SQLite: SQLite's online backup API (the same as the `sqlite3` shell's `.backup`), page by
  page under a read lock, so writers never see a half-copied file. Restore: stop crisiswatch,
  put the copy where `database_url` points, start it (`db upgrade` first if the copy is from
  an older version).
- PostgreSQL: `pg_dump --format=custom` (it must be on PATH; the password goes through
  PGPASSWORD, never the command line). Restore into an empty database with
  `pg_restore --no-owner --dbname URL FILE`, then `crisiswatch db upgrade`.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """The backup could not be taken (the message says why, without any password)."""


def backup(database_url: str, target: Path) -> str:
    """Write a backup of the store at `database_url` to `target` (not overwritten if it
    exists); returns a one-line description of what was written."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name")
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database or url.database == ":memory:":
            raise BackupError("an in-memory SQLite store has nothing to back up")
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            copy.close()
            source.close()
        return f"SQLite copy written to {target} ({target.stat().st_size:,} bytes)"
    if backend == "postgresql":
        pg_dump = shutil.which("pg_dump")
        if pg_dump is None:
            raise BackupError("pg_dump is not on PATH (install the PostgreSQL client tools)")
        env = {**os.environ}
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        dsn = url.set(drivername="postgresql", password=None).render_as_string(
            hide_password=False)
        done = subprocess.run([pg_dump, "--format=custom", "--file", str(target),
                               "--dbname", dsn], check=False, env=env, capture_output=True,
                              text=True)
        if done.returncode != 0:
            target.unlink(missing_ok=True)
            raise BackupError(f"pg_dump failed: {done.stderr.strip()[-500:]}")
        return (f"PostgreSQL dump (custom format) written to {target} "
                f"({target.stat().st_size:,} bytes); restore with pg_restore --no-owner")
    raise BackupError(f"no backup method for the {backend} engine")
