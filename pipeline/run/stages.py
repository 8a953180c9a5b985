"""The stages `presswatch run` runs, each a function of (settings, database).

Used by `run --once` in order (crawl → recrawl → process → alerts → digest, export and
the periodic report when due) and by the daemon's jobs on their own clocks. Each asks storage what
is not yet done, so running one twice, or after a crash, is harmless.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

from core.errors import PresswatchError
from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:
    from core.config import Settings
    from pipeline.process.analyse import Analyzer
    from pipeline.reports.periods import Period

logger = logging.getLogger(__name__)


def last_fire(cron: str, timezone: str, now: dt.datetime, *, days: int = 8) -> dt.datetime | None:
    """The latest time at or before `now` the cron expression fired (within `days`)."""
    from apscheduler.triggers.cron import CronTrigger

    trigger = CronTrigger.from_crontab(cron, timezone=ZoneInfo(timezone))
    cursor = now - dt.timedelta(days=days)
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


def due_report_period(
    settings: Settings, kind: Literal["week", "month"], now: dt.datetime
) -> Period | None:
    """The period the most recent report time covers: the ISO week, or the calendar
    month, before the one it fired in (local time); None when not scheduled."""
    from pipeline.reports.periods import month_period, previous_week, week_period

    schedules = settings.schedules
    cron = schedules.report_weekly if kind == "week" else schedules.report_monthly
    # A month's report is still owed after a long stop (up to a month); a week's, a week.
    if cron is None:
        return None
    fired = last_fire(cron, schedules.timezone, now, days=8 if kind == "week" else 32)
    if fired is None:
        return None
    if kind == "week":
        return week_period(previous_week(settings.profile.timezone, fired))
    local = fired.astimezone(ZoneInfo(settings.profile.timezone)).date()
    before = local.replace(day=1) - dt.timedelta(days=1)
    return month_period(f"{before.year:04d}-{before.month:02d}")


def report_if_due(
    settings: Settings,
    database: Database,
    now: dt.datetime | None = None,
    *,
    kinds: tuple[str, ...] = ("week", "month"),
) -> str:
    """The weekly and monthly report when their time has passed: each written once per
    period and, with `report.send`, mailed once (storage records both)."""
    from pipeline.reports.periodic_mail import scheduled_report

    now = now or utcnow()
    done = []
    for kind in ("week", "month"):
        period = due_report_period(settings, kind, now) if kind in kinds else None
        if period is not None:
            done.append(scheduled_report(settings, database, period, now=now))
    return "; ".join(done) or "report: not scheduled"


def crawl(
    settings: Settings,
    database: Database,
    source_ids: list[str] | None = None,
    stop: threading.Event | None = None,
    *,
    due_only: bool = False,
    enqueue_analysis: bool = False,
) -> str:
    """With `enqueue_analysis` (cluster mode) each batch of new relevant articles
    commits with the job that analyses it."""
    from pipeline.crawl.run import run_crawl

    report = run_crawl(
        settings, source_ids, stop=stop, due_only=due_only, enqueue_analysis=enqueue_analysis
    )
    failed = [s.source_id for s in report.sources if not s.ok]
    text = f"{report.new_articles} new article(s) from {len(report.sources)} source(s)"
    return text + (f"; failed: {', '.join(failed)}" if failed else "")


def recrawl(settings: Settings, database: Database, stop: threading.Event | None = None) -> str:
    """Refetch the relevant articles now due (issue 15: edits and deletions)."""
    from pipeline.recrawl.refetch import run_recrawl

    if not settings.recrawl.enabled:
        return "recrawl: off"
    return str(run_recrawl(settings, database, stop=stop))


def process(
    settings: Settings,
    database: Database,
    stop: threading.Event | None = None,
    *,
    article_ids: list[int] | None = None,
    analyzer: Analyzer | None = None,
) -> str:
    """Analyse and flag what needs it, then capture the evidence of new cases.
    With `article_ids` (a cluster job, beside others) only those are analysed and
    capture is left to the periodic run without. `analyzer`: one built before, to
    reuse its models."""
    from pipeline.evidence.capture import capture_pending
    from pipeline.process.analyse import run_process

    done = str(run_process(settings, database, analyzer, stop=stop, article_ids=article_ids))
    if article_ids is not None:
        return done
    # Flag-time evidence: the pages of newly opened cases as they look now. Never
    # fails the stage; a missing Chromium is logged by capture_pending.
    captured = capture_pending(settings, database, stop=stop)
    return f"{done}; {captured}" if captured.rendered or captured.failed else done


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
    """crawl → recrawl → process → alerts → digest/export/report when due; a failing stage is
    reported and the next ones still run (they work from what storage holds)."""
    report = OnceReport()
    steps: list[tuple[str, Callable[[], str]]] = []
    if crawl_first:
        steps.append(("crawl", lambda: crawl(settings, database)))
        # Before process, so an edited article is analysed again in this run.
        steps.append(("recrawl", lambda: recrawl(settings, database)))
    steps += [
        ("process", lambda: process(settings, database)),
        ("alerts", lambda: alerts(settings, database)),
        ("digest", lambda: digest_if_due(settings, database)),
        ("export", lambda: export_if_due(settings, database)),
        ("report", lambda: report_if_due(settings, database)),
    ]
    for name, step in steps:
        try:
            outcome = step()
            report.lines.append(f"{name}: {outcome}")
        except PresswatchError as exc:  # a named failure (SMTP down, disk full): one line
            logger.error("stage %s failed: %s", name, exc)
            report.failed.append(name)
            report.lines.append(f"{name}: FAILED: {exc}")
        except Exception as exc:
            logger.exception("stage %s failed", name)
            report.failed.append(name)
            report.lines.append(f"{name}: FAILED: {exc}")
    return report
