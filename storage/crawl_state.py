"""Repository functions for per-URL fetch state: conditional-GET validators and failures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import FetchStateRow, utcnow

# Errors recorded with this prefix are never retried (404, not HTML, too large, robots).
PERMANENT = "permanent: "


def validators(session: Session, urls: Iterable[str]) -> dict[str, tuple[str | None, str | None]]:
    """(ETag, Last-Modified) per URL that has any, for conditional requests."""
    wanted = list(dict.fromkeys(urls))
    found: dict[str, tuple[str | None, str | None]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(FetchStateRow).where(FetchStateRow.url.in_(wanted[start : start + 500]))
        )
        for row in rows:
            if row.etag or row.last_modified:
                found[row.url] = (row.etag, row.last_modified)
    return found


def _row(session: Session, url: str, source_id: str | None) -> FetchStateRow:
    row = session.get(FetchStateRow, url)
    if row is None:
        row = FetchStateRow(url=url, source_id=source_id, failures=0)
        session.add(row)
    return row


def record_fetch(
    session: Session,
    url: str,
    *,
    source_id: str | None,
    status: int,
    etag: str | None = None,
    last_modified: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """A successful fetch (200 or 304): keep or replace the validators, clear failures."""
    row = _row(session, url, source_id)
    row.last_status = status
    row.last_fetched_at = at or utcnow()
    row.failures = 0
    row.last_error = None
    if status != 304:
        row.etag = etag
        row.last_modified = last_modified


def record_failure(
    session: Session,
    url: str,
    *,
    source_id: str | None,
    error: str,
    status: int | None = None,
    permanent: bool = False,
) -> None:
    row = _row(session, url, source_id)
    row.last_status = status
    row.last_fetched_at = utcnow()
    row.failures = (row.failures or 0) + 1
    row.last_error = (PERMANENT + error if permanent else error)[:2000]


def should_skip(session: Session, url: str, max_failures: int) -> bool:
    """True for URLs that failed for good, or too often: not worth another request."""
    row = session.get(FetchStateRow, url)
    if row is None or not row.last_error:
        return False
    return row.last_error.startswith(PERMANENT) or (row.failures or 0) >= max_failures


def retryable(
    session: Session, source_ids: Iterable[str], max_failures: int
) -> list[tuple[str, str]]:
    """(URL, source id) of pages that failed for a passing reason fewer than
    `max_failures` times: worth another request even if no feed lists them again."""
    rows = session.execute(
        select(FetchStateRow.url, FetchStateRow.source_id).where(
            FetchStateRow.source_id.in_(list(source_ids)),
            FetchStateRow.last_error.is_not(None),
            ~FetchStateRow.last_error.startswith(PERMANENT),
            FetchStateRow.failures < max_failures,
        )
    )
    return [(url, source_id) for url, source_id in rows if source_id is not None]


@dataclass(frozen=True, slots=True)
class EntrySchedule:
    """What the due check needs of one feed, sitemap or section page."""

    last_fetched_at: dt.datetime | None
    next_poll_at: dt.datetime | None
    poll_minutes: int | None
    polls_ok: int
    failures: int
    last_new_at: dt.datetime | None
    disabled_reason: str | None
    last_error: str | None


def entry_schedules(session: Session, urls: Iterable[str]) -> dict[str, EntrySchedule]:
    wanted = list(dict.fromkeys(urls))
    found: dict[str, EntrySchedule] = {}
    for start in range(0, len(wanted), 500):
        rows = session.scalars(
            select(FetchStateRow).where(FetchStateRow.url.in_(wanted[start : start + 500]))
        )
        for row in rows:
            found[row.url] = EntrySchedule(
                last_fetched_at=row.last_fetched_at,
                next_poll_at=row.next_poll_at,
                poll_minutes=row.poll_minutes,
                polls_ok=row.polls_ok or 0,
                failures=row.failures or 0,
                last_new_at=row.last_new_at,
                disabled_reason=row.disabled_reason,
                last_error=row.last_error,
            )
    return found


def record_poll(
    session: Session,
    url: str,
    *,
    source_id: str | None,
    period_minutes: int,
    next_poll_at: dt.datetime,
    polls_ok: int,
    last_new_at: dt.datetime | None,
    disabled_reason: str | None = None,
) -> None:
    """A feed's polling decision (after record_fetch or record_failure for it)."""
    row = _row(session, url, source_id)
    row.poll_minutes = period_minutes
    row.next_poll_at = next_poll_at
    row.polls_ok = polls_ok
    row.last_new_at = last_new_at
    row.disabled_reason = disabled_reason


def enable_feed(session: Session, url: str) -> bool:
    """Clear a feed's failures and disabled state: polled at the next tick. False if unknown."""
    row = session.get(FetchStateRow, url)
    if row is None:
        return False
    row.failures = 0
    row.disabled_reason = None
    row.next_poll_at = None
    return True
