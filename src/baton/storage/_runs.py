"""Runs and who owns them: one writer per step, and runs whose process died.

Every run records its owner (this machine's identity and the process id) and a heartbeat,
refreshed while it runs (``SqlStore.heartbeat``). The owner of a ``running`` run is alive
while its heartbeat is younger than ``RUN_LEASE_S`` and, on this machine, its process
exists; otherwise the run is reported ``interrupted``. An exclusive step (replay, judge)
starts only when no live run of it exists: the check and the insert are one transaction,
serialised by SQLite's write lock (``BEGIN IMMEDIATE``) or, on PostgreSQL, by a
transaction-level advisory lock on the step, so of two runs started at once one is refused.
A killed process holds nothing: its run stops counting as soon as its pid is gone (same
machine) or its lease runs out (another machine).
"""

from __future__ import annotations

import functools
import json
import os
import socket
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Row, insert, select, text, update

from baton.errors import StepBusyError
from baton.storage import _tables as t
from baton.storage._base import RunRecord, RunStatus

__all__ = [
    "RUN_LEASE_S",
    "claim_run",
    "owner_alive",
    "pid_alive",
    "run_record",
    "this_host",
]

RUN_LEASE_S = 120.0
"""How long a run counts as alive after its last heartbeat (it beats every sixth of it)."""

_PG_STEP_LOCK = 0x62746E00  # + crc32(step) % 2**16: serialises starts of one step


@functools.cache
def this_host() -> str:
    """This machine: its name and, where the kernel gives one, its boot id (so a machine
    rebooted, or another one of the same name, is not taken for this one)."""
    name = socket.gethostname()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return name
    return f"{name}/{boot[:8]}"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (a zombie does not count)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    except OSError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return True
    return stat.rpartition(")")[2].split()[:1] != ["Z"]


def owner_alive(
    host: str | None, pid: int | None, heartbeat_at: datetime | None, *, now: datetime
) -> bool:
    """Whether a run's owner still runs it (see the module's docstring). A run stored
    before owners were recorded has none: not alive."""
    if host is None or pid is None or heartbeat_at is None:
        return False
    if now - heartbeat_at > timedelta(seconds=RUN_LEASE_S):
        return False
    return pid_alive(pid) if host == this_host() else True


def run_record(row: Row[Any], *, now: datetime) -> RunRecord:
    """A stored run, ``interrupted`` if it is ``running`` with its owner gone."""
    status = cast(RunStatus, row.status)
    if status == "running" and not owner_alive(
        row.owner_host, row.owner_pid, row.heartbeat_at, now=now
    ):
        status = "interrupted"
    return RunRecord(
        run_id=row.run_id,
        step=row.step,
        fingerprint=row.fingerprint,
        status=status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        summary=json.loads(row.summary),
        owner=f"pid {row.owner_pid} on {row.owner_host}" if row.owner_pid is not None else None,
    )


def claim_run(connection: Connection, step: str, fingerprint: str, *, exclusive: bool) -> int:
    """Insert a ``running`` run of ``step`` owned by this process; ``exclusive``: first
    refuse (``StepBusyError``) if a live run of ``step`` exists, and mark the dead ones
    ``interrupted``. Runs inside the caller's write transaction."""
    now = datetime.now(UTC)
    if exclusive:
        if connection.dialect.name == "postgresql":
            key = _PG_STEP_LOCK + zlib.crc32(step.encode()) % 2**16
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        _check_free(connection, step, now)
    statement = (
        insert(t.runs)
        .values(
            step=step,
            fingerprint=fingerprint,
            status="running",
            started_at=now,
            finished_at=None,
            summary="{}",
            owner_host=this_host(),
            owner_pid=os.getpid(),
            heartbeat_at=now,
        )
        .returning(t.runs.c.run_id)
    )
    return int(connection.execute(statement).scalar_one())


def _check_free(connection: Connection, step: str, now: datetime) -> None:
    running = connection.execute(
        select(t.runs).where(t.runs.c.step == step, t.runs.c.status == "running")
    ).all()
    dead = []
    for row in running:
        if owner_alive(row.owner_host, row.owner_pid, row.heartbeat_at, now=now):
            started = row.started_at.strftime("%Y-%m-%d %H:%M:%S UTC")
            where = "" if row.owner_host == this_host() else f" on {row.owner_host}"
            raise StepBusyError(
                f"another {step} of this store is running (pid {row.owner_pid}{where}, "
                f"started {started}); wait for it to finish, or stop it"
            )
        dead.append(row.run_id)
    if dead:
        connection.execute(
            update(t.runs).where(t.runs.c.run_id.in_(dead)).values(status="interrupted")
        )
