"""The daemon: jobs from config in a persistent store in the same database, one
daemon per database, missed runs coalesced, clean stop on SIGTERM."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select, text

from core.config import Settings
from pipeline.run.scheduler import JOBS_TABLE, AlreadyRunning, Daemon, run_once_locked
from pipeline.run.stages import due_digest_day, due_export_week, last_fire
from storage.db import Database
from storage.models import JobLockRow


def _counting() -> tuple[Counter[str], dict[str, Callable[[str | None], str]]]:
    calls: Counter[str] = Counter()

    def stage(name: str) -> Callable[[str | None], str]:
        def run(arg: str | None) -> str:
            calls[f"{name}:{arg}" if arg else name] += 1
            return "ok"

        return run

    names = ("crawl", "recrawl", "process", "alerts", "digest", "export")
    return calls, {name: stage(name) for name in names}


def _start(daemon: Daemon) -> threading.Thread:
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    assert daemon.started.wait(20), "daemon did not start"
    return thread


def _stop(daemon: Daemon, thread: threading.Thread) -> None:
    daemon.request_stop()
    thread.join(20)
    assert not thread.is_alive()


def test_jobs_come_from_config_and_a_second_daemon_refuses(
    database: Database, db_settings: Settings
) -> None:
    _, stages = _counting()
    daemon = Daemon(db_settings, database, stages_by_name=stages, heartbeat=dt.timedelta(seconds=1))
    thread = _start(daemon)
    try:
        with database.engine.connect() as connection:
            ids = set(connection.execute(text(f"select id from {JOBS_TABLE}")).scalars())
        expected = {f"crawl:{s.id}" for s in db_settings.sources if s.enabled}
        assert ids == expected | {"recrawl", "process", "alerts", "digest", "export"}
        second = Daemon(db_settings, database, stages_by_name=stages)
        with pytest.raises(AlreadyRunning, match="another presswatch run"):
            second.run(install_signals=False)
        with pytest.raises(AlreadyRunning):
            run_once_locked(db_settings, database)
        with database.session() as session:
            (lock,) = session.scalars(select(JobLockRow))
            first_beat = lock.heartbeat_at
        time.sleep(1.5)
        with database.session() as session:
            assert session.scalars(select(JobLockRow)).one().heartbeat_at > first_beat
    finally:
        _stop(daemon, thread)
    with database.session() as session:
        assert session.scalars(select(JobLockRow)).all() == []


def test_a_stale_lock_from_a_crashed_daemon_is_taken_over(
    database: Database, db_settings: Settings
) -> None:
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    with database.session() as session:
        session.add(
            JobLockRow(name="presswatch-run", holder="dead:1", acquired_at=old, heartbeat_at=old)
        )
    _, stages = _counting()
    daemon = Daemon(db_settings, database, stages_by_name=stages)
    _stop(daemon, _start(daemon))


def test_runs_missed_while_down_are_coalesced_into_one(
    database: Database, db_settings: Settings
) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = db_settings.model_copy(
        update={
            "schedules": db_settings.schedules.model_copy(update={"process": "* * * * *"}),
            "sources": [],
        }
    )
    calls, stages = _counting()
    daemon = Daemon(settings, database, stages_by_name=stages)
    _stop(daemon, _start(daemon))
    # Pretend the daemon was down for ten minutes: ten process runs were missed.
    # Straight through the job store: a running scheduler would fire the job itself.
    store = SQLAlchemyJobStore(engine=database.engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")
    job = store.lookup_job("process")
    assert job.max_instances == 1 and job.coalesce
    job._modify(next_run_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10))
    store.update_job(job)
    while dt.datetime.now().second > 55:  # keep clear of the next regular run
        time.sleep(0.5)
    calls.clear()
    daemon = Daemon(settings, database, stages_by_name=stages)
    thread = _start(daemon)
    try:
        deadline = time.monotonic() + 10
        while calls["process"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)
        assert calls["process"] == 1
    finally:
        _stop(daemon, thread)


def test_due_digest_and_export_follow_the_schedule(settings: Settings) -> None:
    # 2026-11-25 08:30 in Hanoi: the 07:00 digest has fired today, the Monday export on the 23rd.
    now = dt.datetime(2026, 11, 25, 1, 30, tzinfo=dt.UTC)
    fired = last_fire("0 7 * * *", "Asia/Ho_Chi_Minh", now)
    assert fired is not None and fired.astimezone(dt.UTC) == dt.datetime(
        2026, 11, 25, 0, 0, tzinfo=dt.UTC
    )
    assert due_digest_day(settings, now) == dt.date(2026, 11, 24)
    assert due_export_week(settings, now) == "2026-W47"
    early = dt.datetime(2026, 11, 24, 23, 0, tzinfo=dt.UTC)  # 06:00 on the 25th
    assert due_digest_day(settings, early) == dt.date(2026, 11, 23)


def _write_config(settings: Settings, path: Path, url: str) -> None:
    data = settings.model_dump(mode="json", exclude={"path"})
    data["database"] = {"url": url, "url_env": None}
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_presswatch_run_stops_cleanly_on_sigterm(settings: Settings, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'daemon.db'}"
    config = tmp_path / "config.yaml"
    _write_config(settings, config, url)
    cli = [str(Path(sys.executable).with_name("presswatch")), "-c", str(config)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    subprocess.run([*cli, "db", "upgrade"], check=True, env=env, capture_output=True)
    daemon = subprocess.Popen([*cli, "run"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        database = Database.open(url)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with database.session() as session:
                if session.scalars(select(JobLockRow)).first() is not None:
                    break
            time.sleep(0.2)
        else:
            pytest.fail("presswatch run never took the lock")
        second = subprocess.run([*cli, "run"], env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2 and "another presswatch run" in second.stderr
        daemon.send_signal(signal.SIGTERM)
        _, log = daemon.communicate(timeout=30)
        assert daemon.returncode == 0, log
        assert "presswatch run stopped" in log
        with database.session() as session:
            assert session.scalars(select(JobLockRow)).all() == []
        database.dispose()
    finally:
        if daemon.poll() is None:
            daemon.kill()
