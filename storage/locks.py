"""A named lock row per running daemon, so a second instance refuses to start.

The holder refreshes `heartbeat_at`; a lock whose heartbeat is older than
`stale_after` belongs to a process that died and may be taken over. Taking
over is a conditional UPDATE on the old heartbeat, so two starters cannot
both win.
"""

from __future__ import annotations

import datetime as dt
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
    if row.heartbeat_at > now - stale_after:
        return current
    result = session.execute(
        update(JobLockRow)
        .where(JobLockRow.name == name, JobLockRow.heartbeat_at == row.heartbeat_at)
        .values(holder=holder, acquired_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return None if getattr(result, "rowcount", 0) == 1 else current


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
