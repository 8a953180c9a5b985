"""Trend series and the periodic report's case facts, counted by the database.

A series counts relevant articles per bucket (a local calendar day, or a week
starting Monday, clipped to the period) by topic, by narrative repeated, by
stance, each split domestic / foreign. Buckets reach SQL as their UTC edges and
are matched by one CASE expression, so a zone with daylight saving still
buckets right and SQLite and PostgreSQL agree without their differing date
functions. The bucket is computed in a subquery and grouped on outside: the
same CASE repeated in GROUP BY would carry fresh bind parameters, which
PostgreSQL cannot tell are the same expression.

Articles count by `fetched_at` and with their latest analysis, like every
report (`storage.reports`); an article without a foreign source is domestic,
as in the digest.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import Session

from storage.analyses import is_latest_analysis
from storage.cases import OPEN_STATUSES, Case, to_case
from storage.models import (
    AnalysisLabelRow,
    AnalysisRow,
    ArticleRow,
    CaseEventRow,
    CaseRow,
    SourceRow,
)

Bucket = Literal["day", "week"]
ORIGINS = ("domestic", "foreign")
# Up to about two months a day is readable as a bar; beyond that, weeks.
DAY_BUCKET_MAX_DAYS = 62
NO_STANCE = "none"


@dataclass(frozen=True, slots=True)
class Split:
    domestic: int = 0
    foreign: int = 0

    @property
    def total(self) -> int:
        return self.domestic + self.foreign

    def __add__(self, other: Split) -> Split:
        return Split(self.domestic + other.domestic, self.foreign + other.foreign)


@dataclass(frozen=True, kw_only=True, slots=True)
class Series:
    key: str
    points: tuple[Split, ...]  # one per bucket, in order

    @property
    def total(self) -> Split:
        return sum(self.points, Split())


@dataclass(frozen=True, kw_only=True, slots=True)
class Trends:
    bucket: Bucket
    first_day: dt.date
    last_day: dt.date
    starts: tuple[dt.date, ...]  # each bucket's first local day
    volume: Series
    topics: tuple[Series, ...]  # largest total first
    narratives: tuple[Series, ...]
    stances: tuple[Series, ...]

    def topic(self, key: str) -> Series:
        return _find(self.topics, key, len(self.starts))

    def narrative(self, key: str) -> Series:
        return _find(self.narratives, key, len(self.starts))

    def stance(self, key: str) -> Series:
        return _find(self.stances, key, len(self.starts))


def _find(series: Sequence[Series], key: str, size: int) -> Series:
    for item in series:
        if item.key == key:
            return item
    return Series(key=key, points=(Split(),) * size)


def choose_bucket(first_day: dt.date, last_day: dt.date) -> Bucket:
    return "day" if (last_day - first_day).days + 1 <= DAY_BUCKET_MAX_DAYS else "week"


def bucket_starts(first_day: dt.date, last_day: dt.date, bucket: Bucket) -> list[dt.date]:
    """The first local day of each bucket; weeks start on Monday, the first one on
    `first_day` whatever weekday it is."""
    if last_day < first_day:
        raise ValueError(f"period ends ({last_day}) before it starts ({first_day})")
    starts, day = [first_day], first_day + dt.timedelta(days=1)
    while day <= last_day:
        if bucket == "day" or day.weekday() == 0:
            starts.append(day)
        day += dt.timedelta(days=1)
    return starts


def _edges(starts: list[dt.date], last_day: dt.date, timezone: str) -> list[dt.datetime]:
    zone = ZoneInfo(timezone)
    days = [*starts, last_day + dt.timedelta(days=1)]
    return [dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC) for day in days]


def _articles(edges: list[dt.datetime]) -> Any:
    """Relevant articles of the period: id, bucket index, origin, latest analysis, stance."""
    fetched = ArticleRow.fetched_at
    bucket = case(*[(fetched < edge, index) for index, edge in enumerate(edges[1:])], else_=-1)
    origin = case((SourceRow.origin == "foreign", literal("foreign")), else_=literal("domestic"))
    return (
        select(
            ArticleRow.id.label("id"),
            bucket.label("bucket"),
            origin.label("origin"),
            AnalysisRow.id.label("analysis_id"),
            func.coalesce(AnalysisRow.stance, NO_STANCE).label("stance"),
        )
        .outerjoin(SourceRow, SourceRow.id == ArticleRow.source_id)
        .outerjoin(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .where(ArticleRow.relevant.is_(True), fetched >= edges[0], fetched < edges[-1])
        .subquery("period_articles")
    )


def _series(session: Session, query: Select[Any], size: int) -> list[Series]:
    """(key, bucket, origin, count) rows as series, largest total first."""
    grid: dict[str, list[list[int]]] = {}
    for key, bucket, origin, count in session.execute(query):
        if 0 <= bucket < size:
            grid.setdefault(str(key), [[0, 0] for _ in range(size)])[bucket][
                ORIGINS.index(origin)
            ] += int(count)
    found = [
        Series(key=key, points=tuple(Split(d, f) for d, f in cells)) for key, cells in grid.items()
    ]
    return sorted(found, key=lambda s: (-s.total.total, s.key))


def period_trends(
    session: Session,
    first_day: dt.date,
    last_day: dt.date,
    timezone: str,
    *,
    topic_threshold: float,
    bucket: Bucket | None = None,
) -> Trends:
    """The series of the local days first_day..last_day (both included)."""
    chosen = bucket or choose_bucket(first_day, last_day)
    starts = bucket_starts(first_day, last_day, chosen)
    articles = _articles(_edges(starts, last_day, timezone))
    size = len(starts)
    keys = (articles.c.bucket, articles.c.origin)

    def labelled(kind: str, min_score: float) -> Select[Any]:
        label = AnalysisLabelRow
        return (
            select(label.ref, *keys, func.count())
            .select_from(articles)
            .join(
                label,
                and_(
                    label.analysis_id == articles.c.analysis_id,
                    label.kind == kind,
                    label.score >= min_score,
                ),
            )
            .group_by(label.ref, *keys)
        )

    volume = select(literal("all"), *keys, func.count()).group_by(*keys)
    stances = select(articles.c.stance, *keys, func.count()).group_by(articles.c.stance, *keys)
    totals = _series(session, volume.select_from(articles), size)
    return Trends(
        bucket=chosen,
        first_day=first_day,
        last_day=last_day,
        starts=tuple(starts),
        volume=totals[0] if totals else Series(key="all", points=(Split(),) * size),
        topics=tuple(_series(session, labelled("topic", topic_threshold), size)),
        narratives=tuple(_series(session, labelled("narrative", 0.0), size)),
        stances=tuple(_series(session, stances.select_from(articles), size)),
    )


# --- the periodic report's cases -----------------------------------------------------


@dataclass(frozen=True, kw_only=True, slots=True)
class CaseTiming:
    """A case with when the office first recorded its answer and what it repeats."""

    case: Case
    first_response_at: dt.datetime | None
    narratives: tuple[str, ...]

    @property
    def time_to_respond(self) -> dt.timedelta | None:
        if self.first_response_at is None:
            return None
        return self.first_response_at - self.case.opened_at


def case_timings(session: Session, rows: list[CaseRow]) -> list[CaseTiming]:
    """Each case with its first recorded answer and the narratives it repeats."""
    ids = [row.id for row in rows]
    if not ids:
        return []
    # The first "response" event: when the answer was recorded, whoever changed it later.
    answered = dict(
        session.execute(
            select(CaseEventRow.case_id, func.min(CaseEventRow.at))
            .where(CaseEventRow.case_id.in_(ids), CaseEventRow.action == "response")
            .group_by(CaseEventRow.case_id)
        ).all()
    )
    repeated: dict[int, set[str]] = {}
    for case_id, ref in session.execute(
        select(CaseRow.id, AnalysisLabelRow.ref)
        .join(ArticleRow, ArticleRow.story_id == CaseRow.story_id)
        .join(AnalysisRow, is_latest_analysis(ArticleRow.id))
        .join(
            AnalysisLabelRow,
            and_(
                AnalysisLabelRow.analysis_id == AnalysisRow.id, AnalysisLabelRow.kind == "narrative"
            ),
        )
        .where(CaseRow.id.in_(ids))
        .distinct()
    ):
        repeated.setdefault(case_id, set()).add(ref)
    return [
        CaseTiming(
            case=to_case(row),
            first_response_at=answered.get(row.id),
            narratives=tuple(sorted(repeated.get(row.id, ()))),
        )
        for row in rows
    ]


def cases_opened_in(session: Session, start: dt.datetime, end: dt.datetime) -> list[CaseTiming]:
    """Cases opened in [start, end), oldest first."""
    rows = session.scalars(
        select(CaseRow)
        .where(CaseRow.opened_at >= start, CaseRow.opened_at < end)
        .order_by(CaseRow.opened_at, CaseRow.id)
    )
    return case_timings(session, list(rows))


def cases_open_now(session: Session) -> list[CaseTiming]:
    """Every case not closed, highest priority first."""
    rows = session.scalars(
        select(CaseRow)
        .where(CaseRow.status.in_(OPEN_STATUSES))
        .order_by(CaseRow.priority.desc(), CaseRow.id)
    )
    return case_timings(session, list(rows))
