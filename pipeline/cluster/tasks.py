"""Each stage of `presswatch run` as a procrastinate task, calling the same stage
functions (pipeline/run/stages.py). Every stage asks storage what is not yet done
and upserts what it produces, so a job retried after a crash repeats no effect.
Locks keep one job per stage (and per crawl shard) running cluster-wide."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass

import procrastinate

from core.config import Settings
from pipeline.cluster.sharding import shard_sources
from pipeline.process.analyse import Analyzer
from pipeline.run import stages
from storage import job_queue
from storage.db import Database

blueprint = procrastinate.Blueprint()
NAMESPACE = "presswatch"  # pipeline.cluster.app adds the tasks under it
CRAWL_SHARDS = 8
# Five fields: minutes; a sixth counts seconds (croniter), which the tests use.
PERIOD_CRON = os.environ.get("PRESSWATCH_CLUSTER_CRON", "* * * * *")
# A worker beats every third of this; three missed beats mean it is gone and its
# jobs are requeued. 30 s by default (procrastinate's own); lower it to recover
# sooner from a lost node, at the cost of more heartbeat writes.
STALLED_SECONDS = float(os.environ.get("PRESSWATCH_CLUSTER_STALLED_SECONDS", "30"))
RETRY = procrastinate.RetryStrategy(max_attempts=5, exponential_wait=5)
# Finished jobs (and their events) are kept this many days for `cluster status`,
# then pruned hourly, so the queue tables stay small. Failed jobs are kept until
# retried or discarded: an operator has to see them.
KEEP_DAYS = int(os.environ.get("PRESSWATCH_CLUSTER_KEEP_DAYS", "7"))
PRUNE_CRON = "7 * * * *"


@dataclass
class _Bound:
    settings: Settings | None = None
    database: Database | None = None


_bound = _Bound()
# One analyzer per worker thread (sync jobs run in threads), so a job does not load
# its models again; kept per thread as models need not be thread-safe.
_analyzers = threading.local()


def bind(settings: Settings) -> None:
    """Give the tasks of this worker process their settings and database."""
    _bound.settings = settings
    _bound.database = Database.open(settings.database_url)


def _analyzer() -> Analyzer:
    settings, _ = _context()
    analyzer: Analyzer | None = getattr(_analyzers, "analyzer", None)
    if analyzer is None:
        from nlp.registry import build_analyzer

        analyzer = _analyzers.analyzer = build_analyzer(settings.analysis())
    return analyzer


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
    # Each batch of new relevant articles commits with its analyse_articles job.
    return stages.crawl(settings, database, sources, due_only=True, enqueue_analysis=True)


@blueprint.task(
    name=job_queue.ANALYSE_TASK.removeprefix(f"{NAMESPACE}:"),
    queue=job_queue.ANALYSE_QUEUE,
    retry=RETRY,
    pass_context=False,
)
def analyse_articles(article_ids: list[int]) -> str:
    """The articles one crawl batch stored (the job committed with them). No lock:
    jobs hold disjoint articles, so they run side by side on every worker; a
    retried job skips the articles already analysed."""
    settings, database = _context()
    return stages.process(settings, database, article_ids=article_ids, analyzer=_analyzer())


@blueprint.task(
    name="analyse_pending", queue="analyse", retry=RETRY, lock="analyse", queueing_lock="analyse"
)
def analyse_pending() -> str:
    """The safety net: what no live analyse_articles job holds (articles stored
    before cluster mode, by `presswatch run`, or whose job failed for good), and
    relevance re-decided after a watch-list change."""
    settings, database = _context()
    return stages.process(settings, database)


@blueprint.task(
    name="deliver_alerts", queue="alerts", retry=RETRY, lock="alerts", queueing_lock="alerts"
)
def deliver_alerts() -> str:
    settings, database = _context()
    return stages.alerts(settings, database)


@blueprint.task(
    name="recrawl_due", queue="crawl", retry=RETRY, lock="recrawl", queueing_lock="recrawl"
)
def recrawl_due() -> str:
    """Refetches of relevant articles now due (edits and deletions, issue 15)."""
    settings, database = _context()
    return stages.recrawl(settings, database)


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


def defer_shard_crawls(shards: int = CRAWL_SHARDS) -> list[int]:
    """One crawl job per shard, each under its shard's lock (one running at a time
    cluster-wide) and queueing lock (one waiting); ids of the jobs deferred now."""
    deferred = []
    for shard in range(shards):
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            deferred.append(
                crawl_shard.configure(
                    lock=f"crawl-shard-{shard}", queueing_lock=f"crawl-shard-{shard}"
                ).defer(shard=shard, shards=shards)
            )
    return deferred


@blueprint.periodic(cron=PERIOD_CRON, periodic_id="crawl")
@blueprint.task(name="defer_crawls", queue="crawl", pass_context=False)
def defer_crawls(timestamp: int) -> None:
    """Once a minute cluster-wide: one job per shard."""
    defer_shard_crawls()


@blueprint.periodic(cron=PERIOD_CRON, periodic_id="stages")
@blueprint.task(name="defer_stages", queue="analyse", pass_context=False)
def defer_stages(timestamp: int) -> None:
    for task in (recrawl_due, analyse_pending, deliver_alerts, write_reports):
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
        try:
            await manager.retry_job(job)
        except procrastinate.exceptions.UniqueViolation:
            # A twin under the same queueing lock is already waiting (the periodic
            # deferral kept going). Requeueing is refused, and left `doing` the dead job
            # would hold its lock and block that twin for ever. The twin does the same
            # work (every stage asks storage what is left), so this one is closed.
            await manager.finish_job(
                job, status=procrastinate.jobs.Status.ABORTED, delete_job=False
            )
    return len(stalled)


@blueprint.periodic(cron=PRUNE_CRON, periodic_id="prune")
@blueprint.task(name="prune_finished_jobs", queue="crawl", pass_context=True)
async def prune_finished_jobs(context: procrastinate.JobContext, timestamp: int) -> str:
    """Delete jobs that succeeded, were cancelled or aborted over KEEP_DAYS ago."""
    await context.app.job_manager.delete_old_jobs(
        nb_hours=KEEP_DAYS * 24, include_cancelled=True, include_aborted=True
    )
    return f"pruned jobs finished over {KEEP_DAYS} day(s) ago"
