"""`presswatch run`: the daemon. APScheduler 3 with its jobs from config.

- Jobs: a crawl tick per source (every 10 minutes, or its interval_minutes if
  shorter; each tick fetches only the pages due: adaptive feed periods, see
  pipeline.crawl.due), recrawl (`recrawl.schedule`), process, alerts, digest,
  export and, when configured,
  the weekly and monthly report (cron strings in `schedules`, in their timezone).
  Each job runs with config.yaml as it is now (re-read when it changed:
  pipeline.run.reload).
- The job store is SQLAlchemyJobStore in the same database, so next run times
  survive restarts; a job whose trigger did not change keeps its stored next
  run time, and runs missed while the daemon was down are coalesced into one
  (within MISFIRE_GRACE).
- One instance of a job at a time (max_instances=1).
- One daemon per database: a `job_locks` row with a heartbeat; a second
  `presswatch run` refuses to start while the heartbeat is fresh.
- SIGTERM / Ctrl-C: no new jobs start; the jobs in hand stop at their next
  batch boundary (process between batches, alerts between deliveries, a crawl
  child gets SIGTERM then SIGKILL after 10 s); what they committed stays and
  the next run does the rest. The lock is released and one line logged, within
  30 s. A lock whose holder process is gone on this host is taken over at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from core.errors import PresswatchError
from pipeline.crawl.due import tick_minutes
from pipeline.run import stages
from pipeline.run.reload import LiveSettings
from storage import locks
from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)

LOCK_NAME = "presswatch-run"
HEARTBEAT = dt.timedelta(seconds=20)
STALE_AFTER = dt.timedelta(seconds=90)
MISFIRE_GRACE = dt.timedelta(hours=6)
# systemd's stop timeout is 90 s: a stop request ends the daemon well within it.
STOP_TIMEOUT = 25.0
JOBS_TABLE = "apscheduler_jobs"

Stage = Callable[[], str]


class AlreadyRunning(PresswatchError):
    """Another `presswatch run` holds this database."""


class _Runtime:
    """What the stored jobs call into. Stored jobs can only name a module-level
    function and plain arguments, so the live settings and stages sit here."""

    def __init__(
        self,
        stages_by_name: dict[str, Callable[[str | None], str]],
        stop: threading.Event | None = None,
    ) -> None:
        self.stages = stages_by_name
        self.stop = stop or threading.Event()


_runtime: _Runtime | None = None


def run_job(stage: str, arg: str | None = None) -> None:
    """The one function every stored job points at."""
    if _runtime is None:
        logger.warning("job %s fired outside a running daemon; ignored", stage)
        return
    if _runtime.stop.is_set():
        return  # stopping: start nothing new (the next daemon runs what is missed)
    try:
        logger.info("job %s%s: %s", stage, f" {arg}" if arg else "", _runtime.stages[stage](arg))
    except Exception:
        # Logged and left: the next run of the job starts from what storage holds.
        logger.exception("job %s%s failed", stage, f" {arg}" if arg else "")


def default_stages(
    settings: Settings,
    database: Database,
    stop: threading.Event,
    live: Callable[[], Settings] | None = None,
) -> dict[str, Callable[[str | None], str]]:
    # Each crawl is a ~300 MB child process; due sources queue for one at a time.
    crawl_slot = threading.Lock()
    # Each job asks for the settings as they are now (config.yaml re-read when changed,
    # e.g. a narrative edited in the web app; see pipeline.run.reload).
    cfg = live or (lambda: settings)

    def crawl(source: str | None) -> str:
        with crawl_slot:
            if stop.is_set():
                return "not started (stopping)"
            # Each tick fetches only the pages due (adaptive feed periods; see crawl.due).
            sources = [source] if source else None
            return stages.crawl(cfg(), database, sources, stop, due_only=True)

    return {
        "crawl": crawl,
        "recrawl": lambda _: stages.recrawl(cfg(), database, stop),
        "process": lambda _: stages.process(cfg(), database, stop),
        "alerts": lambda _: stages.alerts(cfg(), database, stop=stop),
        "digest": lambda _: stages.digest_if_due(cfg(), database),
        "export": lambda _: stages.export_if_due(cfg(), database),
        "report": lambda kind: stages.report_if_due(cfg(), database, kinds=(kind or "week",)),
    }


def job_specs(settings: Settings) -> dict[str, tuple[Any, list[str | None]]]:
    """job id -> (trigger, args) as configured."""
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = ZoneInfo(settings.schedules.timezone)
    specs: dict[str, tuple[Any, list[str | None]]] = {}
    for source in settings.sources:
        if source.enabled:
            trigger = IntervalTrigger(minutes=tick_minutes(source), timezone=zone)
            specs[f"crawl:{source.id}"] = (trigger, ["crawl", source.id])
    for name in ("process", "alerts", "digest", "export"):
        cron = getattr(settings.schedules, name)
        specs[name] = (CronTrigger.from_crontab(cron, timezone=zone), [name, None])
    if settings.recrawl.enabled:
        specs["recrawl"] = (
            CronTrigger.from_crontab(settings.recrawl.schedule, timezone=zone),
            ["recrawl", None],
        )
    for kind, cron in (
        ("week", settings.schedules.report_weekly),
        ("month", settings.schedules.report_monthly),
    ):
        if cron:  # off unless configured: the report is heavier than the digest
            specs[f"report:{kind}"] = (
                CronTrigger.from_crontab(cron, timezone=zone),
                ["report", kind],
            )
    return specs


def _same_trigger(old: Any, new: Any) -> bool:
    """Same schedule? (str() names the fields but not the timezone; repr() of an
    interval trigger holds its start time, which differs on every start.)"""
    return bool(str(old) == str(new) and str(getattr(old, "timezone", "")) == str(new.timezone))


class Daemon:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        *,
        stages_by_name: dict[str, Callable[[str | None], str]] | None = None,
        heartbeat: dt.timedelta = HEARTBEAT,
        stale_after: dt.timedelta = STALE_AFTER,
        workers: int = 3,
    ) -> None:
        self.settings = settings
        self.database = database
        self.stop = threading.Event()
        self.live = LiveSettings(settings)
        self.stages = stages_by_name or default_stages(
            settings, database, self.stop, self.live.current
        )
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.workers = workers
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.started = threading.Event()
        self.stop_reason = "request"
        self.stop_timeout = STOP_TIMEOUT
        self.clean_stop = True

    def _scheduler(self) -> Any:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        return BackgroundScheduler(
            jobstores={
                "default": SQLAlchemyJobStore(engine=self.database.engine, tablename=JOBS_TABLE)
            },
            executors={"default": ThreadPoolExecutor(self.workers)},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(MISFIRE_GRACE.total_seconds()),
            },
            timezone=ZoneInfo(self.settings.schedules.timezone),
        )

    def _sync_jobs(self, scheduler: Any) -> None:
        wanted = job_specs(self.settings)
        for job in scheduler.get_jobs():
            if job.id not in wanted:
                logger.info("removing job %s (no longer configured)", job.id)
                job.remove()
        for job_id, (trigger, args) in wanted.items():
            existing = scheduler.get_job(job_id)
            if existing is not None and _same_trigger(existing.trigger, trigger):
                continue  # keep its stored next run time: missed runs still fire, once
            scheduler.add_job(
                "pipeline.run.scheduler:run_job",
                trigger,
                args=args,
                id=job_id,
                name=job_id,
                replace_existing=True,
            )

    def request_stop(self, signum: object = None, *_: object) -> None:
        # Only set the event here: a signal handler must not log or take locks. The
        # one log line is written when the daemon has stopped.
        if signum is not None and not self.stop.is_set():
            self.stop_reason = signal.Signals(signum).name if isinstance(signum, int) else "stop"
        self.stop.set()

    def run(self, *, install_signals: bool = True) -> None:
        """Block until stopped (SIGTERM, Ctrl-C or request_stop)."""
        global _runtime
        # Handlers first: a SIGTERM arriving the moment the lock row is committed
        # (a supervisor sees the lock and stops us) must be a clean stop, not a kill.
        if install_signals:
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)
        with hold_lock(
            self.database,
            self.holder,
            heartbeat=self.heartbeat,
            stale_after=self.stale_after,
            on_lost=self.stop.set,
        ):
            _runtime = _Runtime(self.stages, self.stop)
            scheduler = self._scheduler()
            try:
                scheduler.start(paused=True)
                self._sync_jobs(scheduler)
                scheduler.resume()
                self.started.set()
                logger.info("presswatch run: %d job(s) scheduled", len(scheduler.get_jobs()))
                self.stop.wait()
            finally:
                self.stop.set()
                stopping = time.monotonic()
                if scheduler.running:
                    self.clean_stop = _shutdown(scheduler, self.stop_timeout)
                _runtime = None
        logger.info(
            "presswatch run stopped (%s) in %.1f s%s",
            self.stop_reason,
            time.monotonic() - stopping,
            "" if self.clean_stop else "; a job did not reach a batch boundary in time",
        )


def _shutdown(scheduler: Any, timeout: float) -> bool:
    """Stop the scheduler without the "cannot schedule new futures after shutdown"
    race: pause first (its thread then submits nothing), then shut down, waiting
    for the jobs in hand (they watch the stop event) at most `timeout` seconds."""
    scheduler.pause()
    done = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    done.start()
    done.join(timeout)
    return not done.is_alive()


@contextmanager
def hold_lock(
    database: Database,
    holder: str,
    *,
    heartbeat: dt.timedelta = HEARTBEAT,
    stale_after: dt.timedelta = STALE_AFTER,
    on_lost: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Hold the run lock for the block, refreshing it from a thread."""
    with database.session() as session:
        held = locks.acquire(session, LOCK_NAME, holder, utcnow(), stale_after)
    if held is not None:
        url = database.engine.url.render_as_string(hide_password=True)
        raise AlreadyRunning(
            f"another presswatch run ({held.holder}, started {held.acquired_at:%Y-%m-%d %H:%M}"
            f" UTC, last seen {held.heartbeat_at:%H:%M:%S} UTC) is using {url}; stop it first"
        )
    done = threading.Event()

    def beat() -> None:
        while not done.wait(heartbeat.total_seconds()):
            with database.session() as session:
                if not locks.heartbeat(session, LOCK_NAME, holder, utcnow()):
                    logger.error("lost the run lock (taken over as stale); stopping")
                    if on_lost is not None:
                        on_lost()
                    return

    thread = threading.Thread(target=beat, name="presswatch-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        with database.session() as session:
            locks.release(session, LOCK_NAME, holder)


def run_once_locked(settings: Settings, database: Database) -> stages.OnceReport:
    """`run --once`: refuses while a daemon holds the database (it does this already)."""
    holder = f"{socket.gethostname()}:{os.getpid()}:once"
    with hold_lock(database, holder):
        return stages.run_once(settings, database)
