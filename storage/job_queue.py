"""The cluster's job queue (procrastinate's tables, PostgreSQL only) as storage sees
it: analysis jobs written in the caller's own transaction, and which articles a
live analysis job already holds.

procrastinate's `defer` opens its own connection, so a job deferred that way and
the article rows it is about commit separately: a crash between the two leaves
an article no job will analyse, or a job about an article that was rolled back.
Writing the job through procrastinate's SQL function on the session that writes
the articles makes them one commit. The job table's trigger notifies the
workers, and PostgreSQL delivers a NOTIFY only when its transaction commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import BigInteger, Select, column, select, text
from sqlalchemy.orm import Session

# The task as pipeline.cluster registers it (namespace "presswatch"); a test keeps
# the two in step.
ANALYSE_TASK = "presswatch:analyse_articles"
ANALYSE_QUEUE = "analyse"
# Statuses of a job that will still run, or is running: its articles are spoken for.
LIVE_STATUSES = ("todo", "doing")

_DEFER = text(
    "SELECT unnest(procrastinate_defer_jobs_v1(ARRAY[ROW("
    "CAST(:queue AS varchar), CAST(:task AS varchar), 0, NULL, NULL, "
    "CAST(:args AS jsonb), NULL)]::procrastinate_job_to_defer_v1[])) AS id"
)


def defer_analysis(session: Session, article_ids: Sequence[int]) -> int:
    """Queue one job analysing `article_ids`, in the session's transaction; its id."""
    args = json.dumps({"article_ids": sorted(set(article_ids))})
    job_id = session.execute(
        _DEFER, {"queue": ANALYSE_QUEUE, "task": ANALYSE_TASK, "args": args}
    ).scalar_one()
    return int(job_id)


def queue_present(session: Session) -> bool:
    """True on PostgreSQL once `presswatch db upgrade` applied the queue schema."""
    if session.get_bind().dialect.name != "postgresql":
        return False
    return bool(session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")))


def queued_for_analysis() -> Select[tuple[int]]:
    """Ids of the articles a waiting or running analysis job holds."""
    held = (
        text(
            "SELECT CAST(jsonb_array_elements_text(args->'article_ids') AS bigint) AS id "
            "FROM procrastinate_jobs WHERE task_name = :task "
            f"AND status IN ({', '.join(repr(status) for status in LIVE_STATUSES)})"
        )
        .bindparams(task=ANALYSE_TASK)
        .columns(column("id", BigInteger))
        .subquery("queued_analysis")
    )
    return select(held.c.id)
