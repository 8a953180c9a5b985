"""`presswatch worker` and `presswatch cluster ...`: cluster mode on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from pipeline.cli.context import app_context, reports_errors

cluster_app = typer.Typer(help="Inspect and repair the cluster's job queue.", no_args_is_help=True)


@reports_errors
def worker(
    ctx: typer.Context,
    queues: Annotated[str, typer.Option(help="Comma-separated queues to take jobs from.")] = (
        "crawl,analyse,alerts,reports"
    ),
    concurrency: Annotated[int, typer.Option(min=1, help="Jobs run at once.")] = 1,
    burst: Annotated[bool, typer.Option(help="Exit once the queues are empty.")] = False,
) -> None:
    """Run a cluster worker (PostgreSQL only); start one on each node."""
    from pipeline.cluster.app import cluster_app
    from pipeline.cluster.tasks import STALLED_SECONDS, bind

    settings = app_context(ctx).settings
    with cluster_app(settings.database_url) as app:
        bind(settings)
        app.run_worker(
            queues=[q for q in queues.split(",") if q],
            concurrency=concurrency,
            wait=not burst,
            update_heartbeat_interval=STALLED_SECONDS / 3,
            stalled_worker_timeout=STALLED_SECONDS,
        )


@cluster_app.command("status")
@reports_errors
def status(ctx: typer.Context) -> None:
    """Workers alive, queue depth per queue, oldest waiting job, failed jobs and
    the feeds due now."""
    from pipeline.cluster.app import cluster_app
    from pipeline.cluster.ops import failed_jobs, feeds_due
    from pipeline.cluster.tasks import STALLED_SECONDS

    context = app_context(ctx)
    with cluster_app(context.settings.database_url, sync=True) as app:
        workers = app.connector.execute_query_one(
            "SELECT count(*) FILTER (WHERE last_heartbeat >= now() - make_interval(secs => %(s)s))"
            " AS alive, count(*) AS known FROM procrastinate_workers",
            s=STALLED_SECONDS,
        )
        silent = workers["known"] - workers["alive"]
        typer.echo(
            f"workers: {workers['alive']} alive"
            + (f", {silent} silent for over {STALLED_SECONDS:.0f} s" if silent else "")
        )
        for queue in app.job_manager.list_queues():
            typer.echo(
                f"queue {queue['name']}: {queue['todo']} waiting, {queue['doing']} running, "
                f"{queue['failed']} failed"
            )
        waiting = app.job_manager.list_jobs(status="todo")
        if waiting:
            oldest = min(waiting, key=lambda job: job.scheduled_at or dt.datetime.max)
            typer.echo(f"oldest waiting: job {oldest.id} {oldest.task_name}")
        failed = failed_jobs(app)
        for job in failed:
            last = (
                f", last event {job.last_event_at:%Y-%m-%d %H:%M:%S %Z}"
                if job.last_event_at
                else ""
            )
            typer.echo(
                f"failed: job {job.id} {job.task} after {job.attempts} attempt(s), "
                f"args {job.args_text}{last}"
            )
        if failed:
            typer.echo(
                "  (the error itself is in the log of the worker that ran it; procrastinate "
                "stores none; `presswatch cluster retry|discard JOB`)"
            )
    feeds = feeds_due(context.settings, context.database(), dt.datetime.now(dt.UTC))
    typer.echo(
        f"feeds: {feeds.due} due now of {feeds.total}"
        + (f", {feeds.disabled} disabled after repeated failures" if feeds.disabled else "")
    )
    for feed in feeds.upcoming:
        when = (
            f"{feed.next_poll_at:%Y-%m-%d %H:%M} UTC" if feed.next_poll_at else "now (never polled)"
        )
        typer.echo(f"  next: {when}  {feed.source_id}  {feed.url}")


@cluster_app.command("retry")
@reports_errors
def retry(ctx: typer.Context, job_id: int) -> None:
    """Put a failed job back in its queue."""
    from pipeline.cluster.app import cluster_app
    from pipeline.cluster.ops import JobNotRetried, retry_failed

    with cluster_app(app_context(ctx).settings.database_url, sync=True) as app:
        try:
            retry_failed(app, job_id)
        except JobNotRetried as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from None
    typer.echo(f"job {job_id} queued again")


@cluster_app.command("discard")
@reports_errors
def discard(ctx: typer.Context, job_id: int) -> None:
    """Delete a waiting or failed job (a running one is left alone)."""
    from pipeline.cluster.app import cluster_app
    from pipeline.cluster.ops import discard as discard_job

    with cluster_app(app_context(ctx).settings.database_url, sync=True) as app:
        if not discard_job(app, job_id):
            typer.echo(f"error: no job {job_id} that is waiting or finished", err=True)
            raise typer.Exit(1)
    typer.echo(f"job {job_id} discarded")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(cluster_app, name="cluster")
