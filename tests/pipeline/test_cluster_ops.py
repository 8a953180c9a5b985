"""Cluster operations (issue 14): `cluster status` shows failed jobs and the feeds
due, finished jobs are pruned on a schedule, and admins retry or discard failed
jobs from the web admin page (PostgreSQL with the queue schema only)."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from core.config import Settings, Source
from pipeline.cli import app
from pipeline.cluster.app import cluster_app
from pipeline.cluster.tasks import KEEP_DAYS
from pipeline.web import passwords
from pipeline.web.app import create_app
from storage import crawl_state
from storage.db import Database
from storage.sources import sync_sources
from tests.conftest import ROOT
from tests.pipeline.helpers import write_config
from tests.web.seed import PASSWORD, USERS, csrf_from, seed

runner = CliRunner()
postgres_only = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database", ["postgresql"], indirect=True),
]


def _feeds(*urls: str) -> list[Source]:
    return [
        Source(id=f"feed{n}", name=url, kind="feed", language="vi", origin="domestic", feeds=[url])
        for n, url in enumerate(urls)
    ]


def _upgraded(settings: Settings, database_url: str, tmp_path: Path) -> Path:
    config = tmp_path / "config.yaml"
    write_config(settings, config, database_url)
    upgraded = runner.invoke(app, ["--config", str(config), "db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    return config


def _failed_job(database_url: str, task: str, **kwargs: object) -> int:
    """A job as a worker leaves it after its last attempt."""
    with cluster_app(database_url, sync=True) as queue:
        job_id = queue.tasks[task].defer(**kwargs)
        queue.connector.execute_query(
            "UPDATE procrastinate_jobs SET status = 'failed', attempts = 5 WHERE id = %(id)s",
            id=job_id,
        )
    return int(job_id)


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_status_shows_failed_jobs_with_their_args_and_the_feeds_due(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    sources = _feeds("https://a.vn/rss", "https://b.vn/rss", "https://c.vn/rss", "https://d.vn/rss")
    configured = settings.model_copy(update={"sources": sources})
    config = _upgraded(configured, database_url, tmp_path)
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        sync_sources(session, sources)
        for source, minutes, disabled in (
            (sources[1], 45, None),  # polled, next in 45 min
            (sources[2], -5, None),  # overdue
            (sources[3], 30, "30 failures in a row"),
        ):
            crawl_state.record_poll(
                session,
                source.feeds[0],
                source_id=source.id,
                period_minutes=60,
                next_poll_at=now + dt.timedelta(minutes=minutes),
                polls_ok=3,
                last_new_at=now,
                disabled_reason=disabled,
            )
    job_id = _failed_job(database_url, "presswatch:crawl_shard", shard=3, shards=8)

    status = runner.invoke(app, ["--config", str(config), "cluster", "status"])
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    failed = next(line for line in lines if line.startswith(f"failed: job {job_id} "))
    assert 'presswatch:crawl_shard after 5 attempt(s), args {"shard": 3, "shards": 8}' in failed
    assert re.search(r", last event \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", failed)
    assert "procrastinate stores none" in status.output  # where the error text is
    # a.vn never polled and c.vn overdue are due; d.vn is disabled.
    assert "feeds: 2 due now of 4, 1 disabled after repeated failures" in lines
    upcoming = [line for line in lines if line.startswith("  next: ")]
    assert [line.split()[-1] for line in upcoming] == [
        "https://a.vn/rss",
        "https://c.vn/rss",
        "https://b.vn/rss",
    ]
    assert "now (never polled)" in upcoming[0] and "UTC" in upcoming[1]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_retry_and_discard_refuse_jobs_they_must_not_touch(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    config = _upgraded(settings.model_copy(update={"sources": []}), database_url, tmp_path)
    with cluster_app(database_url, sync=True) as queue:
        running = queue.tasks["presswatch:analyse_pending"].defer()
        queue.connector.execute_query(
            "UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %(id)s", id=running
        )
    not_failed = runner.invoke(app, ["--config", str(config), "cluster", "retry", str(running)])
    assert not_failed.exit_code == 1 and "is not a failed job" in not_failed.output
    busy = runner.invoke(app, ["--config", str(config), "cluster", "discard", str(running)])
    assert busy.exit_code == 1 and "waiting or finished" in busy.output
    # A failed job whose twin already waits under the same queueing lock: retrying
    # it would break the lock, so the CLI says to discard it.
    twin_failed = _failed_job(database_url, "presswatch:deliver_alerts")
    with cluster_app(database_url, sync=True) as queue:
        queue.tasks["presswatch:deliver_alerts"].defer()
    twin = runner.invoke(app, ["--config", str(config), "cluster", "retry", str(twin_failed)])
    assert twin.exit_code == 1 and "already waiting" in twin.output, twin.output
    gone = runner.invoke(app, ["--config", str(config), "cluster", "discard", str(twin_failed)])
    assert gone.exit_code == 0, gone.output


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_the_prune_task_deletes_old_finished_jobs_and_keeps_failed_and_recent_ones(
    database: Database, database_url: str, settings: Settings, tmp_path: Path
) -> None:
    config = _upgraded(settings.model_copy(update={"sources": []}), database_url, tmp_path)
    with cluster_app(database_url, sync=True) as queue:
        task = queue.tasks["presswatch:crawl_shard"]
        old_done, old_cancelled, recent_done, old_failed = (task.defer(shard=k) for k in range(4))
        for job_id, status in (
            (old_done, "succeeded"),
            (old_cancelled, "cancelled"),
            (recent_done, "succeeded"),
            (old_failed, "failed"),
        ):
            queue.connector.execute_query(
                "UPDATE procrastinate_jobs SET status = %(s)s WHERE id = %(id)s",
                s=status,
                id=job_id,
            )
        queue.connector.execute_query(
            "UPDATE procrastinate_events SET at = now() - make_interval(days => %(d)s) "
            "WHERE job_id = ANY(%(ids)s)",
            d=KEEP_DAYS + 1,
            ids=[old_done, old_cancelled, old_failed],
        )
        prune = queue.tasks["presswatch:prune_finished_jobs"].defer(timestamp=0)
    presswatch = str(Path(sys.executable).parent / "presswatch")
    done = subprocess.run(
        [presswatch, "--config", str(config), "worker", "--burst", "--queues", "crawl"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    with cluster_app(database_url, sync=True) as queue:
        left = {job.id: job.status for job in queue.job_manager.list_jobs()}
    assert old_done not in left and old_cancelled not in left
    assert left[recent_done] == "succeeded" and left[old_failed] == "failed"
    assert left[prune] == "succeeded"


# The admin page ----------------------------------------------------------------


@pytest.fixture
def web(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> TestClient:
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
    )
    seed(database, settings)
    hosts = [*settings.web.allowed_hosts, "testserver"]
    web_settings = settings.model_copy(
        update={"web": settings.web.model_copy(update={"allowed_hosts": hosts})}
    )
    return TestClient(
        create_app(web_settings, database, "test-secret-key-not-for-production"),
        follow_redirects=False,
    )


@pytest.fixture
def logged_in(web: TestClient) -> Iterator[dict[str, TestClient]]:
    clients = {}
    for role in ("admin", "analyst"):
        client = TestClient(web.app, follow_redirects=False)
        client.__enter__()
        form = {"username": USERS[role], "password": PASSWORD}
        token = csrf_from(client.get("/app/login").text)
        assert client.post("/app/login", data={**form, "csrf_token": token}).status_code == 303
        clients[role] = client
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)


def test_no_job_section_without_a_cluster_queue(
    database: Database, logged_in: dict[str, TestClient]
) -> None:
    page = logged_in["admin"].get("/app/admin/sources")
    assert page.status_code == 200 and 'id="sources"' in page.text
    assert 'id="jobs"' not in page.text  # SQLite, or PostgreSQL before `db upgrade`
    token = csrf_from(page.text)
    retry = logged_in["admin"].post("/app/admin/jobs/1/retry", data={"csrf_token": token})
    assert retry.status_code == 404


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
@pytest.mark.postgres
def test_admins_retry_and_discard_failed_jobs_from_the_sources_page(
    database: Database,
    database_url: str,
    settings: Settings,
    tmp_path: Path,
    logged_in: dict[str, TestClient],
) -> None:
    _upgraded(settings, database_url, tmp_path)
    first = _failed_job(database_url, "presswatch:crawl_shard", shard=1, shards=8)
    second = _failed_job(database_url, "presswatch:crawl_shard", shard=2, shards=8)
    admin, analyst = logged_in["admin"], logged_in["analyst"]

    page = admin.get("/app/admin/sources")
    assert page.status_code == 200
    for job_id in (first, second):
        assert f'data-job="{job_id}"' in page.text
        assert f'action="/app/admin/jobs/{job_id}/retry"' in page.text
        assert f'action="/app/admin/jobs/{job_id}/discard"' in page.text
    assert "&#34;shard&#34;: 1" in page.text or '"shard": 1' in page.text
    token = csrf_from(page.text)

    def statuses() -> dict[int, str]:
        with cluster_app(database_url, sync=True) as queue:
            return {job.id: job.status for job in queue.job_manager.list_jobs()}

    # Refused: an analyst, and a form without this session's token.
    analyst_token = csrf_from(analyst.get("/app/account").text)
    assert (
        analyst.post(f"/app/admin/jobs/{first}/retry", data={"csrf_token": analyst_token})
    ).status_code == 403
    assert admin.post(f"/app/admin/jobs/{first}/retry", data={}).status_code == 403
    forged = admin.post(f"/app/admin/jobs/{first}/discard", data={"csrf_token": analyst_token})
    assert forged.status_code == 403
    assert statuses() == {first: "failed", second: "failed"}

    retried = admin.post(f"/app/admin/jobs/{first}/retry", data={"csrf_token": token})
    assert retried.status_code == 303 and retried.headers["location"].endswith("#jobs")
    discarded = admin.post(f"/app/admin/jobs/{second}/discard", data={"csrf_token": token})
    assert discarded.status_code == 303
    assert statuses() == {first: "todo"}
    after = admin.get("/app/admin/sources").text
    assert 'id="failed-jobs-none"' in after and "flash-ok" in after
    assert admin.post(f"/app/admin/jobs/{second}/discard", data={"csrf_token": token})
    assert "flash-error" in admin.get("/app/admin/sources").text  # already gone: said so
