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
    from pipeline.cluster.tasks import bind

    settings = app_context(ctx).settings
    with cluster_app(settings.database_url) as app:
        bind(settings)
        app.run_worker(
            queues=[q for q in queues.split(",") if q], concurrency=concurrency, wait=not burst
        )


@cluster_app.command("status")
@reports_errors
def status(ctx: typer.Context) -> None:
    """Workers alive, queue depth per queue, oldest waiting job and failed jobs."""
    from pipeline.cluster.app import cluster_app
    from pipeline.cluster.tasks import STALLED_SECONDS

    with cluster_app(app_context(ctx).settings.database_url, sync=True) as app:
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
        for job in app.job_manager.list_jobs(status="failed"):
            typer.echo(f"failed: job {job.id} {job.task_name} after {job.attempts} attempt(s)")


@cluster_app.command("retry")
@reports_errors
def retry(ctx: typer.Context, job_id: int) -> None:
    """Put a failed job back in its queue."""
    from pipeline.cluster.app import cluster_app

    with cluster_app(app_context(ctx).settings.database_url, sync=True) as app:
        app.job_manager.retry_job_by_id(job_id, retry_at=dt.datetime.now(dt.UTC))
    typer.echo(f"job {job_id} queued again")


@cluster_app.command("discard")
@reports_errors
def discard(ctx: typer.Context, job_id: int) -> None:
    """Delete a waiting or failed job."""
    from pipeline.cluster.app import cluster_app

    with cluster_app(app_context(ctx).settings.database_url, sync=True) as app:
        app.connector.execute_query("DELETE FROM procrastinate_jobs WHERE id = %(id)s", id=job_id)
    typer.echo(f"job {job_id} discarded")


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(cluster_app, name="cluster")
