"""The stages `presswatch run` runs, each a function of (settings, database).

Used by `run --once` in order (crawl → process → alerts → digest and export
when due) and by the daemon's jobs on their own clocks. Each asks storage what
is not yet done, so running one twice, or after a crash, is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:
    from core.config import Settings

logger = logging.getLogger(__name__)


def last_fire(cron: str, timezone: str, now: dt.datetime) -> dt.datetime | None:
    """The latest time at or before `now` the cron expression fired (within 8 days)."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    cursor = now - dt.timedelta(days=8)
    latest: dt.datetime | None = None
    previous: dt.datetime | None = None
    while True:
        fire = trigger.get_next_fire_time(previous, cursor)
        if fire is None or fire > now:
            return latest
        latest = fire
        previous, cursor = fire, fire + dt.timedelta(seconds=1)


def due_digest_day(settings: Settings, now: dt.datetime) -> dt.date | None:
    """The day the most recent digest time covers: the local day before it."""
    fired = last_fire(settings.schedules.digest, settings.schedules.timezone, now)
    if fired is None:
        return None
    return fired.astimezone(ZoneInfo(settings.profile.timezone)).date() - dt.timedelta(days=1)


def due_export_week(settings: Settings, now: dt.datetime) -> str | None:
    """The ISO week completed before the most recent export time."""
    from pipeline.reports.periods import previous_week

    fired = last_fire(settings.schedules.export, settings.schedules.timezone, now)
    if fired is None:
        return None
    return previous_week(settings.profile.timezone, fired)


def crawl(
    settings: Settings,
    database: Database,
    source_ids: list[str] | None = None,
    stop: threading.Event | None = None,
    *,
    due_only: bool = False,
) -> str:
    from pipeline.crawl.run import run_crawl

    report = run_crawl(settings, source_ids, stop=stop, due_only=due_only)
    failed = [s.source_id for s in report.sources if not s.ok]
    text = f"{report.new_articles} new article(s) from {len(report.sources)} source(s)"
    return text + (f"; failed: {', '.join(failed)}" if failed else "")


def process(settings: Settings, database: Database, stop: threading.Event | None = None) -> str:
    from pipeline.process.analyse import run_process

    return str(run_process(settings, database, stop=stop))


def alerts(
    settings: Settings,
    database: Database,
    now: dt.datetime | None = None,
    stop: threading.Event | None = None,
) -> str:
    from pipeline.alerts.rules import run_alerts

    return str(run_alerts(settings, database, now, stop=stop))


def digest_if_due(settings: Settings, database: Database, now: dt.datetime | None = None) -> str:
    from pipeline.reports.digest import build_digest
    from storage.reports import digest_state

    now = now or utcnow()
    day = due_digest_day(settings, now)
    if day is None:
        return "digest: not scheduled"
    with database.session() as session:
        written, sent = digest_state(session, day, settings.digest.language)
    if written and (sent or not settings.digest.send):
        return f"digest {day}: already done"
    result = build_digest(settings, database, day)
    return f"digest {day}: {result.html_path}" + (" (sent)" if result.sent else "")


def export_if_due(settings: Settings, database: Database, now: dt.datetime | None = None) -> str:
    from pipeline.reports.export import run_export
    from storage.reports import export_done

    week = due_export_week(settings, now or utcnow())
    if week is None:
        return "export: not scheduled"
    with database.session() as session:
        if export_done(session, week):
            return f"export {week}: already done"
    result = run_export(settings, database, week)
    return f"export {week}: {result.rows} row(s) -> {result.path}"


@dataclass
class OnceReport:
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def run_once(settings: Settings, database: Database, *, crawl_first: bool = True) -> OnceReport:
    """crawl → process → alerts → digest/export when due; a failing stage is
    reported and the next ones still run (they work from what storage holds)."""
    report = OnceReport()
    steps: list[tuple[str, Callable[[], str]]] = []
    if crawl_first:
        steps.append(("crawl", lambda: crawl(settings, database)))
    steps += [
        ("process", lambda: process(settings, database)),
        ("alerts", lambda: alerts(settings, database)),
        ("digest", lambda: digest_if_due(settings, database)),
        ("export", lambda: export_if_due(settings, database)),
    ]
    for name, step in steps:
        try:
            outcome = step()
            report.lines.append(f"{name}: {outcome}")
        except Exception as exc:
            logger.exception("stage %s failed", name)
            report.failed.append(name)
            report.lines.append(f"{name}: FAILED: {exc}")
    return report
