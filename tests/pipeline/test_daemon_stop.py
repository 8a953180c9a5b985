"""SIGTERM stops the daemon at the next batch boundary without starting
anything new, and a dead daemon's lock is taken over at once (issue 13)."""

from __future__ import annotations

import datetime as dt
import logging
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.config import Settings
from pipeline.run.scheduler import JOBS_TABLE, AlreadyRunning, Daemon, hold_lock
from storage.db import Database
from storage.models import JobLockRow


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _lock_held_by(database: Database, holder: str) -> None:
    now = dt.datetime.now(dt.UTC)
    with database.session() as session:
        session.add(
            JobLockRow(name="presswatch-run", holder=holder, acquired_at=now, heartbeat_at=now)
        )


def test_a_fresh_lock_of_a_dead_process_on_this_host_is_taken_over_at_once(
    database: Database,
) -> None:
    _lock_held_by(database, f"{socket.gethostname()}:{_dead_pid()}:1")
    started = time.monotonic()
    with hold_lock(database, "me:1:1", stale_after=dt.timedelta(minutes=10)):
        pass
    assert time.monotonic() - started < 5


def test_a_fresh_lock_of_a_live_process_or_another_host_still_refuses(
    database: Database,
) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        for holder in (f"{socket.gethostname()}:{live.pid}:1", f"elsewhere:{_dead_pid()}:1"):
            with database.session() as session:
                session.query(JobLockRow).delete()
            _lock_held_by(database, holder)
            with pytest.raises(AlreadyRunning), hold_lock(database, "me:1:1"):
                pass
    finally:
        live.kill()
        live.wait()


def test_sigterm_starts_nothing_new_and_stops_the_jobs_in_hand(
    database: Database, db_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = db_settings.model_copy(update={"sources": []})
    entered: list[tuple[str, bool]] = []
    holder: dict[str, Daemon] = {}

    def stage(name: str) -> Callable[[str | None], str]:
        def run(_: str | None) -> str:
            stop = holder["daemon"].stop
            entered.append((name, stop.is_set()))
            # A stage that checks the stop event between its batches.
            while not stop.wait(0.05):
                pass
            time.sleep(0.2)  # finishing the batch in hand
            return "stopped at a batch boundary"

        return run

    stages = {n: stage(n) for n in ("crawl", "process", "alerts", "digest", "export")}
    first = Daemon(settings, database, stages_by_name=stages)
    holder["daemon"] = first
    thread = threading.Thread(target=first.run, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    assert first.started.wait(20)
    first.request_stop()
    thread.join(20)
    # Every job due now (as after a restart), more than the 3 workers can take.
    store = SQLAlchemyJobStore(engine=database.engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")
    for job in store.get_all_jobs():
        job._modify(next_run_time=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
        store.update_job(job)
    entered.clear()
    daemon = Daemon(settings, database, stages_by_name=stages)
    holder["daemon"] = daemon
    caplog.set_level(logging.INFO)
    thread = threading.Thread(target=daemon.run, kwargs={"install_signals": False}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while len(entered) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(entered) == 3, entered
    caplog.clear()
    stopping = time.monotonic()
    daemon.request_stop(signal.SIGTERM)
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - stopping < 5
    assert all(not after_stop for _, after_stop in entered), entered  # nothing new started
    assert "cannot schedule new futures" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    stopped = [r.getMessage() for r in caplog.records if "presswatch run stopped" in r.getMessage()]
    assert len(stopped) == 1 and "SIGTERM" in stopped[0]


@pytest.mark.slow
def test_a_daemon_killed_with_9_is_replaced_at_once_and_sigterm_stops_quietly(
    settings: Settings, tmp_path: Path
) -> None:
    import os

    from storage.db import upgrade
    from tests.pipeline.helpers import write_config

    url = f"sqlite:///{tmp_path / 'daemon.db'}"
    config = tmp_path / "config.yaml"
    write_config(settings.model_copy(update={"sources": []}), config, url)
    cli = [str(Path(sys.executable).with_name("presswatch")), "-c", str(config), "run"]
    database = Database.open(url, check=False)
    upgrade(database.engine)

    def start() -> subprocess.Popen[str]:
        proc = subprocess.Popen(cli, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with database.read_session() as session:
                row = session.get(JobLockRow, "presswatch-run")
                if row is not None and f":{proc.pid}:" in row.holder:
                    return proc
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.1)
        proc.kill()
        pytest.fail("presswatch run never took the lock")

    first = start()
    first.send_signal(signal.SIGKILL)
    first.wait()
    started = time.monotonic()
    second = start()  # the dead holder's fresh heartbeat does not make it wait 90 s
    assert time.monotonic() - started < 15
    second.send_signal(signal.SIGTERM)
    _, log = second.communicate(timeout=30)
    assert second.returncode == 0, log
    assert log.count("presswatch run stopped") == 1 and "SIGTERM" in log
    assert "Traceback" not in log and "cannot schedule new futures" not in log
    database.dispose()
