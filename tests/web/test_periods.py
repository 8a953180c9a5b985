"""One day, one week: the dashboard and the digest count the same articles for the
same local day (and the digest's week before is the dashboard's seven days)."""

from __future__ import annotations

import datetime as dt

from core.config import Settings
from pipeline.process.analyse import run_process
from pipeline.reports.digest_data import collect
from pipeline.reports.export import previous_week
from pipeline.reports.periods import day_bounds, days_bounds
from pipeline.run.stages import due_export_week
from pipeline.web import dashboard
from storage.db import Database
from storage.sources import sync_sources
from tests.pipeline.helpers import NOW, ScriptedAnalyzer, store_article

DAY = dt.date(2026, 11, 25)  # in Hanoi (UTC+7): 2026-11-24 17:00 to 2026-11-25 17:00 UTC
HOUR = dt.timedelta(hours=1)


def _utc(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=dt.UTC)


def test_the_dashboard_and_the_digest_count_the_same_day(
    database: Database, settings: Settings
) -> None:
    with database.session() as session:
        sync_sources(session, settings.sources)
    # In the day: just after local midnight, and late in the evening (flagged).
    store_article(database, title="sáng sớm", fetched_at=_utc(24, 17, 30))
    store_article(database, title="khuya", fetched_at=_utc(25, 16, 30), text="Lũ. SCORE=0.8")
    # Collected the evening before, though published in the day: not the day's.
    store_article(database, title="hôm trước", fetched_at=_utc(24, 16, 30), published_at=NOW)
    # Published in the day, collected after midnight: the next day's.
    store_article(database, title="hôm sau", fetched_at=_utc(25, 17, 30), published_at=NOW)
    store_article(database, title="không liên quan", relevant=False, fetched_at=NOW)
    # The week before: one article on each of three days, one on the 17th (outside).
    for day in (18, 20, 24):
        store_article(database, title=f"tuần trước {day}", fetched_at=_utc(day, 3))
    store_article(database, title="quá cũ", fetched_at=_utc(17, 3))
    run_process(settings, database, ScriptedAnalyzer(), now=NOW)

    zone = settings.profile.timezone
    digest = {m.key: m for m in collect(settings, database, DAY, "vi").metrics}
    threshold = settings.nlp.thresholds.topic_score
    with database.session() as session:
        # Any time of the day, from its first minute to its last, shows the same day.
        boards = [
            dashboard.load(session, days=1, now=now, timezone=zone, topic_threshold=threshold)
            for now in (_utc(24, 17, 1), NOW, _utc(25, 16, 59))
        ]
        week = dashboard.load(
            session, days=7, now=_utc(24, 12), timezone=zone, topic_threshold=threshold
        )
    assert digest["articles_total"].value == 2 and digest["flagged_total"].value == 1
    for board in boards:
        assert board.total == digest["articles_total"].value
        assert board.flagged == digest["flagged_total"].value
    assert dashboard.period_bounds(1, NOW, zone) == day_bounds(DAY, zone)
    # The digest's week before the 25th is the dashboard's seven days ending the 24th.
    assert week.total == round(digest["articles_total"].week_average * 7) == 4
    assert days_bounds(DAY - dt.timedelta(days=1), 7, zone) == dashboard.period_bounds(
        7, _utc(24, 12), zone
    )


def test_last_week_is_one_answer(settings: Settings) -> None:
    # Monday 2026-11-30 00:30 in Hanoi is still Sunday in UTC: last week is W48.
    monday = _utc(29, 17, 30)
    assert previous_week(settings, monday) == "2026-W48"
    assert previous_week(settings, monday - HOUR) == "2026-W47"
    # The scheduled export (Mondays 08:00 local) writes that same week.
    after_the_export = _utc(30, 2)
    assert due_export_week(settings, after_the_export) == previous_week(settings, monday)
