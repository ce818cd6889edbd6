"""CPU seconds spent, for benchmarks on a shared machine where the wall clock moves with
other people's load: this process's (``resource.getrusage``) and, when the PostgreSQL
server runs on this machine and its processes are readable (``/proc``), the server's:
given backends (``/proc/PID/schedstat``, nanoseconds) or the whole cluster (postmaster and
every backend, autovacuum and WAL writer included).

    with CpuMeter(backends=[pid]) as cpu:
        work()
    cpu.client_s, cpu.server_s  # server_s is None when the server cannot be read
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Self

from sqlalchemy import Engine, text

TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cluster_pids(postmaster: int) -> list[int]:
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == postmaster:  # field 4 of stat: the parent's pid
            pids.append(int(stat.parent.name))
    return pids


def _cpu_of(pid: int) -> float:
    """utime + stime of `pid` and of its children that ended and were waited for (so a
    backend that exits during the measurement still counts through the postmaster)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[11:15] are utime, stime, cutime, cstime (stat fields 14-17)
    return sum(int(f) for f in fields[11:15]) / TICKS


def postmaster_pid(engine: Engine) -> int | None:
    """The local PostgreSQL cluster's postmaster pid, or None (not PostgreSQL, remote, or
    not readable by this user)."""
    if engine.dialect.name != "postgresql":
        return None
    try:
        with engine.connect() as conn:
            data_dir = conn.execute(text("SHOW data_directory")).scalar()
        pid = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
        Path(f"/proc/{pid}/stat").read_text()
        return pid
    except Exception:  # noqa: BLE001 - any failure means "cannot measure the server"
        return None


def cluster_cpu(postmaster: int | None) -> float | None:
    if postmaster is None:
        return None
    return sum(_cpu_of(pid) for pid in _cluster_pids(postmaster))


def backend_pid(session) -> int | None:
    """The PostgreSQL server process serving this session, or None (SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.execute(text("SELECT pg_backend_pid()")).scalar()


def thread_cpu_ns(pid: int | None) -> int:
    """CPU nanoseconds `pid` has run so far (``/proc/PID/schedstat``: nanosecond
    resolution, unlike ``stat``'s clock ticks); 0 when it cannot be read. Parallel query
    workers a backend starts are other processes, not counted here."""
    if pid is None:
        return 0
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


class CpuMeter:
    """Context manager measuring CPU seconds over its block: this process's (``client_s``)
    and the server's (``server_s``): the PostgreSQL backends ``backends`` when given (the
    connections doing the work, so other databases of a shared cluster do not count), else
    the whole local cluster; None when the server cannot be read."""

    def __init__(self, engine: Engine | None = None, backends: list[int] | None = None):
        self.backends = backends
        self.postmaster = (postmaster_pid(engine) if engine is not None and not backends
                           else None)
        self.client_s = 0.0
        self.server_s: float | None = None

    def _server(self) -> float | None:
        if self.backends:
            return sum(thread_cpu_ns(pid) for pid in self.backends) / 1e9
        return cluster_cpu(self.postmaster)

    def __enter__(self) -> Self:
        self._client, self._start = _process_cpu(), self._server()
        return self

    def __exit__(self, *exc) -> None:
        self.client_s = _process_cpu() - self._client
        server = self._server()
        self.server_s = None if server is None or self._start is None else server - self._start
