"""Cluster mode (procrastinate on PostgreSQL): schema, sharding, the worker and
`presswatch cluster` on a real queue."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.config import Settings
from pipeline.cli import app
from pipeline.cluster.app import cluster_app
from pipeline.cluster.sharding import shard_of, shard_sources, source_domain
from storage.db import Database
from tests.pipeline.helpers import write_config

runner = CliRunner()


def test_each_source_is_in_exactly_one_stable_shard(settings: Settings) -> None:
    shards = 4
    owned = [shard_sources(settings, k, shards) for k in range(shards)]
    flat = [source for shard in owned for source in shard]
    assert sorted(flat) == sorted(s.id for s in settings.sources if s.enabled)
    # sha1, not the per-process salted hash(): the same on every node
    assert shard_of("vnexpress.net", 8) == shard_of("vnexpress.net", 8)
    assert {shard_of(source_domain(s), 1) for s in settings.sources} == {0}


def test_worker_on_sqlite_says_cluster_mode_needs_postgresql(
    settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(settings, config, f"sqlite:///{tmp_path / 'x.db'}")
    result = runner.invoke(app, ["--config", str(config), "worker"])
    assert result.exit_code == 2
    assert "cluster mode needs PostgreSQL" in result.output
    assert "presswatch run" in result.output


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_db_upgrade_applies_the_queue_schema_once_and_status_reads_the_queue(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)
    first = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert "applied the cluster job queue schema" in first.output
    again = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert "applied the cluster" not in again.output
    with database.engine.connect() as connection:  # in the test's own schema
        where = (
            connection.exec_driver_sql(
                "SELECT table_schema FROM information_schema.tables "
                "WHERE table_name = 'procrastinate_jobs'"
            )
            .scalars()
            .all()
        )
    # Other schemas may hold a queue of their own (a test run beside this one).
    assert database_url.rsplit("%3D", 1)[1] in where and "public" not in where

    with cluster_app(database_url, sync=True) as queue:
        job_id = queue.tasks["presswatch:analyse_pending"].defer()
        queue.connector.execute_query(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now()), (now() - interval '5 minutes')"
        )
    status = runner.invoke(app, ["--config", str(config), "cluster", "status"])
    assert status.exit_code == 0, status.output
    assert "workers: 1 alive, 1 silent for over 30 s" in status.output
    assert "queue analyse: 1 waiting" in status.output
    assert f"oldest waiting: job {job_id} presswatch:analyse_pending" in status.output

    with cluster_app(
        database_url, sync=True
    ) as queue:  # a failed job, as a worker leaves it after its last attempt
        queue.connector.execute_query(
            "UPDATE procrastinate_jobs SET status = 'failed', attempts = 5 WHERE id = %(id)s",
            id=job_id,
        )
    failed = runner.invoke(app, ["--config", str(config), "cluster", "status"])
    assert f"failed: job {job_id} presswatch:analyse_pending after 5" in failed.output
    retried = runner.invoke(app, ["--config", str(config), "cluster", "retry", str(job_id)])
    assert retried.exit_code == 0, retried.output
    with cluster_app(database_url, sync=True) as queue:
        assert [j.status for j in queue.job_manager.list_jobs(id=job_id)] == ["todo"]
    runner.invoke(app, ["--config", str(config), "cluster", "discard", str(job_id)])
    with cluster_app(database_url, sync=True) as queue:
        assert queue.job_manager.list_jobs(id=job_id) == []


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_two_worker_processes_share_the_queue_and_run_each_job_once(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    # No sources: the crawl shards are empty and no report is scheduled, so each
    # job is cheap; what is checked is the worker processes and the queue.
    quiet = settings.model_copy(update={"sources": []})
    config = tmp_path / "config.yaml"
    write_config(quiet, config, database_url)
    assert runner.invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    with cluster_app(database_url, sync=True) as queue:
        shard_jobs = [
            queue.tasks["presswatch:crawl_shard"]
            .configure(lock=f"crawl-shard-{k}")
            .defer(shard=k, shards=4)
            for k in range(4)
        ]
        report_job = queue.tasks["presswatch:write_reports"].defer()
    presswatch = str(Path(sys.executable).parent / "presswatch")
    workers = [
        subprocess.Popen(
            [presswatch, "--config", str(config), "worker", "--burst", "--queues", queues],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for queues in ("crawl,reports", "crawl")
    ]
    for worker in workers:
        output, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, output.decode()
    with cluster_app(database_url, sync=True) as queue:
        jobs = {job.id: job for job in queue.job_manager.list_jobs()}
    for job_id in [*shard_jobs, report_job]:
        assert jobs[job_id].status == "succeeded"
        assert jobs[job_id].attempts == 1  # run once, not retried


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_periodic_tasks_are_deferred_once_per_period_with_three_workers(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(settings.model_copy(update={"sources": []}), config, database_url)
    assert runner.invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    presswatch = str(Path(sys.executable).parent / "presswatch")
    env = {**os.environ, "PRESSWATCH_CLUSTER_CRON": "* * * * * */2"}  # every 2 s
    workers = [
        subprocess.Popen(
            [presswatch, "--config", str(config), "worker", "--queues", "crawl"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    time.sleep(9)
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=30)
    with cluster_app(database_url, sync=True) as queue:
        jobs = queue.job_manager.list_jobs()
    for task in ("presswatch:defer_crawls", "presswatch:defer_stages"):
        stamps = [j.task_kwargs["timestamp"] for j in jobs if j.task_name == task]
        assert len(stamps) >= 2, task  # it did run, period after period
        assert len(stamps) == len(set(stamps)), (task, sorted(stamps))  # once per period
        assert all(b - a == 2 for a, b in itertools.pairwise(sorted(stamps))), sorted(stamps)


@pytest.mark.postgres
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
def test_the_job_of_a_worker_killed_mid_run_is_retried_and_finished_by_another(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    config = tmp_path / "config.yaml"
    write_config(settings.model_copy(update={"sources": []}), config, database_url)
    assert runner.invoke(app, ["--config", str(config), "db", "upgrade"]).exit_code == 0
    with cluster_app(database_url, sync=True) as queue:
        job_id = queue.tasks["presswatch:write_reports"].defer()
        # What kill -9 leaves: the job `doing`, owned by a worker whose heartbeat stopped
        # (the live worker prunes that row; retry_stalled_jobs must then requeue the job).
        dead = queue.connector.execute_query_one(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '5 minutes') RETURNING id"
        )["id"]
        queue.connector.execute_query(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = %(w)s, attempts = 1 "
            "WHERE id = %(id)s",
            w=dead,
            id=job_id,
        )
    presswatch = str(Path(sys.executable).parent / "presswatch")
    env = {**os.environ, "PRESSWATCH_CLUSTER_CRON": "* * * * * */2"}
    worker = subprocess.Popen(
        [presswatch, "--config", str(config), "worker", "--queues", "crawl,reports"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline and status != "succeeded":
            time.sleep(0.5)
            with cluster_app(database_url, sync=True) as queue:
                status = queue.job_manager.list_jobs(id=job_id)[0].status
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert status == "succeeded"
