"""What an operator reads and repairs in the cluster's queue, shared by
`presswatch cluster` and the web admin page.

procrastinate keeps no error text for a failed job (its tables hold the task,
its arguments, the attempts and a timeline of events; the traceback goes to the
worker's log), so a failed job is shown by those and its last event's time.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import procrastinate
from sqlalchemy import text

from core.config import Settings
from pipeline.crawl.due import due_plan
from storage import crawl_state
from storage.db import Database

# Statuses a job no worker holds is in: only these may be deleted by hand.
DISCARDABLE = ("todo", "failed", "cancelled", "aborted")


class JobNotRetried(Exception):
    """The job is not failed, or a job of the same kind is already waiting."""


@dataclass(frozen=True, slots=True)
class FailedJob:
    id: int
    task: str
    queue: str
    args: dict[str, Any]
    attempts: int
    last_event_at: dt.datetime | None

    @property
    def args_text(self) -> str:
        return json.dumps(self.args, ensure_ascii=False, sort_keys=True)


def failed_jobs(queue: procrastinate.App, limit: int = 50) -> list[FailedJob]:
    """Failed jobs, newest first, each with the time of its last event."""
    rows = queue.connector.execute_query_all(
        "SELECT job.id, job.task_name, job.queue_name, job.args, job.attempts, "
        "max(event.at) AS last_event_at FROM procrastinate_jobs job "
        "LEFT JOIN procrastinate_events event ON event.job_id = job.id "
        "WHERE job.status = 'failed' GROUP BY job.id ORDER BY job.id DESC LIMIT %(limit)s",
        limit=limit,
    )
    return [
        FailedJob(
            id=row["id"],
            task=row["task_name"],
            queue=row["queue_name"],
            args=dict(row["args"] or {}),
            attempts=row["attempts"],
            last_event_at=row["last_event_at"],
        )
        for row in rows
    ]


def retry_failed(queue: procrastinate.App, job_id: int) -> None:
    """Put a failed job back in its queue, to run now."""
    found = queue.job_manager.list_jobs(id=job_id)
    if not found or found[0].status != "failed":
        raise JobNotRetried(f"job {job_id} is not a failed job")
    try:
        queue.job_manager.retry_job_by_id(job_id, retry_at=dt.datetime.now(dt.UTC))
    except procrastinate.exceptions.UniqueViolation:
        raise JobNotRetried(
            f"job {job_id}: a {found[0].task_name} job is already waiting and does the same "
            "work; discard this one"
        ) from None


def discard(queue: procrastinate.App, job_id: int) -> bool:
    """Delete a job no worker is running (its events go with it); False if there is
    no such job or it is running."""
    row = queue.connector.execute_query_one(
        "WITH gone AS (DELETE FROM procrastinate_jobs WHERE id = %(id)s "
        "AND status = ANY(%(statuses)s::procrastinate_job_status[]) RETURNING id) "
        "SELECT count(*) AS n FROM gone",
        id=job_id,
        statuses=list(DISCARDABLE),
    )
    return bool(row["n"])


def queue_schema_present(database: Database) -> bool:
    """True on PostgreSQL once `presswatch db upgrade` applied the queue schema."""
    if database.engine.dialect.name != "postgresql":
        return False
    with database.engine.connect() as connection:
        found = connection.execute(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))
        return bool(found.scalar())


@dataclass(frozen=True, slots=True)
class FeedDue:
    source_id: str
    url: str
    next_poll_at: dt.datetime | None  # None: never polled, due at once


@dataclass(frozen=True, slots=True)
class FeedsDue:
    due: int
    total: int
    disabled: int
    upcoming: list[FeedDue]


def feeds_due(settings: Settings, database: Database, now: dt.datetime, first: int = 5) -> FeedsDue:
    """How many feeds of the enabled sources the next crawl tick fetches (the
    crawl's own due rule), and the `first` feeds by next poll time."""
    enabled = [source.id for source in settings.sources if source.enabled]
    plan = due_plan(settings, database, enabled, now)
    feeds = [(s.id, url) for s in settings.sources if s.enabled for url in s.feeds]
    with database.read_session() as session:
        known = crawl_state.entry_schedules(session, [url for _, url in feeds])
    polled = [
        FeedDue(source_id, url, known[url].next_poll_at if url in known else None)
        for source_id, url in feeds
        if not (url in known and known[url].disabled_reason)
    ]
    never = dt.datetime.min.replace(tzinfo=dt.UTC)
    polled.sort(key=lambda feed: (_aware(feed.next_poll_at) or never, feed.url))
    return FeedsDue(
        due=sum(len(source.feeds) for source in plan.sources),
        total=len(feeds),
        disabled=sum(len(urls) for urls in plan.disabled.values()),
        upcoming=polled[:first],
    )


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive UTC datetimes.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment
