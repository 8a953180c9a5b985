"""Trend series counted in SQL: per local day or week, by topic, narrative and
stance, domestic vs foreign, on SQLite and PostgreSQL; and the report's case facts."""

from __future__ import annotations

import datetime as dt

import pytest

from core.config import Settings
from storage.db import Database
from storage.trends import (
    Split,
    bucket_starts,
    cases_open_now,
    cases_opened_in,
    choose_bucket,
    period_trends,
)
from tests.pipeline.periodic_seed import local, seed_month

NOV_1, NOV_30 = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
ZONE = "Asia/Ho_Chi_Minh"


def test_the_bucket_follows_the_period_length() -> None:
    assert choose_bucket(NOV_1, NOV_30) == "day"
    assert choose_bucket(dt.date(2026, 1, 1), dt.date(2026, 12, 31)) == "week"
    weeks = bucket_starts(dt.date(2026, 11, 4), dt.date(2026, 11, 30), "week")
    # The first week starts on the period's first day, the next ones on Mondays.
    assert weeks == [dt.date(2026, 11, d) for d in (4, 9, 16, 23, 30)]
    with pytest.raises(ValueError):
        bucket_starts(NOV_30, NOV_1, "day")


def test_daily_series_by_topic_narrative_stance_and_origin(
    database: Database, settings: Settings
) -> None:
    seed_month(database, settings.sources)
    with database.read_session() as session:
        trends = period_trends(session, NOV_1, NOV_30, ZONE, topic_threshold=0.5)
    assert trends.bucket == "day" and len(trends.starts) == 30
    assert trends.volume.total == Split(7, 3)
    totals = {s.key: s.total.total for s in trends.topics}
    assert totals == {"disaster": 4, "tourism": 3, "investment": 2, "administration": 1}
    assert trends.topics[0].key == "disaster"  # largest first
    assert trends.topic("disaster").total == Split(2, 2)
    assert {s.key: s.total for s in trends.stances} == {
        "supportive": Split(4, 0),
        "critical": Split(1, 3),
        "neutral": Split(2, 0),
    }
    rice = trends.narrative("relief-rice-mouldy")
    assert rice.total == Split(0, 2)
    # One on the 17th, one on the 18th (local days).
    assert rice.points[16] == Split(0, 1) and rice.points[17] == Split(0, 1)
    assert trends.narrative("airport-sold-abroad").points[23] == Split(0, 1)
    # 30 Nov 23:30 local is the month's (the next day's 00:30 is not).
    assert trends.volume.points[29] == Split(1, 0)
    # A topic nobody wrote about is all zeros, not missing.
    assert trends.topic("border").total == Split()


def test_weekly_series_sum_to_the_same_totals(database: Database, settings: Settings) -> None:
    seed_month(database, settings.sources)
    with database.read_session() as session:
        weekly = period_trends(session, NOV_1, NOV_30, ZONE, topic_threshold=0.5, bucket="week")
        w47 = period_trends(
            session, dt.date(2026, 11, 16), dt.date(2026, 11, 22), ZONE, topic_threshold=0.5
        )
    assert weekly.starts[:3] == (NOV_1, dt.date(2026, 11, 2), dt.date(2026, 11, 9))
    assert weekly.volume.total == Split(7, 3)
    # 16-22 Nov: the rice story's two foreign copies, the relief story, the rumour.
    assert weekly.volume.points[3] == Split(2, 2) == w47.volume.total


def test_case_timings_from_the_trail(database: Database, settings: Settings) -> None:
    seeded = seed_month(database, settings.sources)
    with database.read_session() as session:
        opened = cases_opened_in(session, local(11, 1, 0), local(12, 1, 0))
        still_open = cases_open_now(session)
    by_id = {t.case.id: t for t in opened}
    assert list(by_id) == [seeded.cases[k] for k in ("rice", "rumour", "airport")]
    assert by_id[seeded.cases["rice"]].time_to_respond == dt.timedelta(hours=6)
    assert by_id[seeded.cases["rumour"]].time_to_respond == dt.timedelta(hours=48)
    assert by_id[seeded.cases["airport"]].time_to_respond is None
    assert by_id[seeded.cases["rice"]].narratives == ("relief-rice-mouldy",)
    assert by_id[seeded.cases["airport"]].narratives == ("airport-sold-abroad",)
    assert [t.case.id for t in still_open] == [seeded.cases["airport"]]
