"""The dashboard's arithmetic, without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from core.analysis import AnalysisResult
from pipeline.web.dashboard import build, period_bounds
from storage.reports import ReportArticle
from storage.web_queries import OpenCase

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 25, 20, 0, tzinfo=dt.UTC)  # 03:00 on the 26th in Hanoi


def _fact(
    n: int,
    origin: str,
    stance: str | None,
    topics: list[str],
    hours_ago: float,
    flagged: bool = False,
) -> ReportArticle:
    analysis = None
    if stance is not None:
        analysis = AnalysisResult.from_json(
            {
                "stance": {"label": stance, "score": 0.8},
                "topics": [{"id": t, "score": 0.9} for t in topics]
                + [{"id": "weak", "score": 0.1}],
            }
        )
    when = NOW - dt.timedelta(hours=hours_ago)
    return ReportArticle(
        id=n,
        title=str(n),
        url="",
        source_id=None,
        source_name=None,
        origin=origin,
        reach=1,
        language="vi",
        published_at=when,
        fetched_at=when,
        flagged=flagged,
        analysis=analysis,
        story_id=None,
        analyzer_version=None,
        case_id=None,
        case_status=None,
        case_resolution=None,
    )


def test_periods_are_local_days_ending_today() -> None:
    end = dt.datetime(2026, 11, 26, 17, 0, tzinfo=dt.UTC)  # midnight after the 26th, Hanoi
    today = dt.datetime(2026, 11, 25, 17, 0, tzinfo=dt.UTC)
    assert period_bounds(1, NOW, "Asia/Ho_Chi_Minh") == (today, end)
    week = dt.datetime(2026, 11, 19, 17, 0, tzinfo=dt.UTC)
    assert period_bounds(7, NOW, "Asia/Ho_Chi_Minh") == (week, end)


def test_build_counts_topics_stances_and_cases() -> None:
    facts = [
        _fact(1, "domestic", "critical", ["disaster"], 1, flagged=True),
        _fact(2, "foreign", "critical", ["disaster", "border"], 2),
        _fact(3, "domestic", "supportive", ["tourism"], 30),
        _fact(4, "foreign", None, [], 5),
    ]
    cases = [OpenCase(1, "new", 90), OpenCase(2, "triaged", 50), OpenCase(3, "new", 10)]
    since, _ = period_bounds(7, NOW, "Asia/Ho_Chi_Minh")
    board = build(facts, cases, days=7, since=since, now=NOW, tz=HANOI, topic_threshold=0.5)
    assert board.total == 4 and board.flagged == 1
    assert dict(board.by_origin) == {"domestic": 2, "foreign": 2}
    assert board.by_topic[0] == ("disaster", 1, 1)
    assert "weak" not in {t for t, _, _ in board.by_topic}
    assert len(board.stance_by_day) == 7
    last = board.stance_by_day[-1]
    assert last.day == dt.date(2026, 11, 26) and last.counts["critical"] == 2
    assert last.counts["none"] == 0
    assert board.stance_by_day[-2].counts["none"] == 1  # 22:00 on the 25th, local time
    assert board.stance_by_day[-3].counts["supportive"] == 1
    assert dict(board.cases_by_status) == {"new": 2, "triaged": 1, "in_progress": 0}
    assert dict(board.cases_by_priority) == {
        "priority_high": 1,
        "priority_medium": 1,
        "priority_low": 1,
    }
    assert dict(board.stance_by_origin)["foreign"] == {
        "supportive": 0,
        "neutral": 0,
        "critical": 1,
        "none": 1,
    }
