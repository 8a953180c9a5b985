"""Each stage of `presswatch run` as a procrastinate task, calling the same stage
functions (pipeline/run/stages.py). Every stage asks storage what is not yet done
and upserts what it produces, so a job retried after a crash repeats no effect.
Locks keep one job per stage (and per crawl shard) running cluster-wide."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

import procrastinate

from core.config import Settings
from pipeline.cluster.sharding import shard_sources
from pipeline.run import stages
from storage.db import Database

blueprint = procrastinate.Blueprint()
CRAWL_SHARDS = 8
# Five fields: minutes; a sixth counts seconds (croniter), which the tests use.
PERIOD_CRON = os.environ.get("PRESSWATCH_CLUSTER_CRON", "* * * * *")
# A worker beats every 10 s (procrastinate default); three missed beats mean it is gone.
STALLED_SECONDS = 30.0
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=5)


@dataclass
class _Bound:
    settings: Settings | None = None
    database: Database | None = None


_bound = _Bound()


def bind(settings: Settings) -> None:
    """Give the tasks of this worker process their settings and database."""
    _bound.settings = settings
    _bound.database = Database.open(settings.database_url)


def _context() -> tuple[Settings, Database]:
    if _bound.settings is None or _bound.database is None:
        raise RuntimeError("pipeline.cluster.tasks.bind(settings) was not called")
    return _bound.settings, _bound.database


@blueprint.task(name="crawl_shard", queue="crawl", retry=RETRY, pass_context=False)
def crawl_shard(shard: int, shards: int = CRAWL_SHARDS) -> str:
    settings, database = _context()
    sources = shard_sources(settings, shard, shards)
    if not sources:
        return f"shard {shard}: no sources"
    return stages.crawl(settings, database, sources, due_only=True)


@blueprint.task(
    name="analyse_pending", queue="analyse", retry=RETRY, lock="analyse", queueing_lock="analyse"
)
def analyse_pending() -> str:
    settings, database = _context()
    return stages.process(settings, database)


@blueprint.task(
    name="deliver_alerts", queue="alerts", retry=RETRY, lock="alerts", queueing_lock="alerts"
)
def deliver_alerts() -> str:
    settings, database = _context()
    return stages.alerts(settings, database)


@blueprint.task(
    name="write_reports", queue="reports", retry=RETRY, lock="reports", queueing_lock="reports"
)
def write_reports() -> str:
    settings, database = _context()
    return "; ".join(
        (
            stages.digest_if_due(settings, database),
            stages.export_if_due(settings, database),
            stages.report_if_due(settings, database),
        )
    )


@blueprint.periodic(cron=PERIOD_CRON, periodic_id="crawl")
@blueprint.task(name="defer_crawls", queue="crawl", pass_context=False)
def defer_crawls(timestamp: int) -> None:
    """Once a minute cluster-wide: one job per shard, each under its shard's lock."""
    for shard in range(CRAWL_SHARDS):
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            crawl_shard.configure(
                lock=f"crawl-shard-{shard}", queueing_lock=f"crawl-shard-{shard}"
            ).defer(shard=shard, shards=CRAWL_SHARDS)


@blueprint.periodic(cron=PERIOD_CRON, periodic_id="stages")
@blueprint.task(name="defer_stages", queue="analyse", pass_context=False)
def defer_stages(timestamp: int) -> None:
    for task in (analyse_pending, deliver_alerts, write_reports):
        # One waiting already will see this period's work too.
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            task.defer()


@blueprint.periodic(cron=PERIOD_CRON, periodic_id="stalled")
@blueprint.task(name="retry_stalled_jobs", queue="crawl", pass_context=True)
async def retry_stalled_jobs(context: procrastinate.JobContext, timestamp: int) -> int:
    """Requeue the jobs of workers whose heartbeat stopped (killed -9, node lost):
    at-least-once delivery, made exactly-once by the stages' idempotence."""
    manager = context.app.job_manager
    stalled = list(await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_SECONDS))
    for job in stalled:
        await manager.retry_job(job)
    return len(stalled)
