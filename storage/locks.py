"""A named lock row per running daemon, so a second instance refuses to start.

The holder refreshes `heartbeat_at`; a lock whose heartbeat is older than
`stale_after` belongs to a process that died and may be taken over. A holder
named `host:pid:…` on this host whose PID no longer runs is dead too, and is
taken over at once instead of after `stale_after`. Taking over is a
conditional UPDATE on the old heartbeat, so two starters cannot both win.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import JobLockRow


@dataclass(frozen=True)
class LockHolder:
    holder: str
    acquired_at: dt.datetime
    heartbeat_at: dt.datetime


def acquire(
    session: Session, name: str, holder: str, now: dt.datetime, stale_after: dt.timedelta
) -> LockHolder | None:
    """Take the lock; None on success, else who holds it."""
    try:
        with session.begin_nested():
            session.add(JobLockRow(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
            session.flush()
        return None
    except IntegrityError:
        pass
    row = session.get(JobLockRow, name, populate_existing=True)
    if row is None:  # released between our insert and read: try once more
        return acquire(session, name, holder, now, stale_after)
    current = LockHolder(row.holder, row.acquired_at, row.heartbeat_at)
    if row.heartbeat_at > now - stale_after and not holder_is_dead(row.holder):
        return current
    result = session.execute(
        update(JobLockRow)
        .where(JobLockRow.name == name, JobLockRow.heartbeat_at == row.heartbeat_at)
        .values(holder=holder, acquired_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return None if getattr(result, "rowcount", 0) == 1 else current


def holder_is_dead(holder: str) -> bool:
    """True when `holder` ("host:pid:…") names a process of this host that is gone.
    Another host's holder cannot be checked from here: its heartbeat decides."""
    host, _, rest = holder.partition(":")
    pid_text = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this very process (another thread or a `run --once`)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def heartbeat(session: Session, name: str, holder: str, now: dt.datetime) -> bool:
    """Refresh the lock; False if it is no longer ours (taken over as stale)."""
    result = session.execute(
        update(JobLockRow)
        .where(JobLockRow.name == name, JobLockRow.holder == holder)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return getattr(result, "rowcount", 0) == 1


def release(session: Session, name: str, holder: str) -> None:
    session.execute(
        delete(JobLockRow)
        .where(JobLockRow.name == name, JobLockRow.holder == holder)
        .execution_options(synchronize_session=False)
    )
